"""Register, log in, refresh, log out."""

from fastapi import APIRouter, Request, status

from models.user import AuthConfig, RefreshRequest, TokenPair, UserLogin, UserRegister
from processing import accounts
from processing.errors import Unauthorized
from routers.deps import DatabaseDep, LoginLimiterDep, SessionDep, SettingsDep, TokensDep, run_password_work

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.get("/config")
def auth_config(session: SessionDep, settings: SettingsDep) -> AuthConfig:
    """What the login screen needs: may one register, and is this a fresh instance (first = admin)."""
    return accounts.auth_config(session, default_open=settings.registration_open)


@router.post("/register", status_code=status.HTTP_201_CREATED, responses={403: {}, 409: {}})
async def register(
    data: UserRegister, request: Request, database: DatabaseDep, settings: SettingsDep, tokens: TokensDep
) -> TokenPair:
    def work() -> TokenPair:
        with database.session(write=True) as session:
            user = accounts.register(
                session, data=data, rounds=settings.bcrypt_rounds, default_open=settings.registration_open
            )
            return accounts.issue_tokens(session, tokens=tokens, user=user)

    return await run_password_work(request, work)


@router.post("/login", responses={401: {}, 403: {}, 429: {}})
async def login(
    data: UserLogin,
    request: Request,
    database: DatabaseDep,
    settings: SettingsDep,
    tokens: TokensDep,
    limiter: LoginLimiterDep,
) -> TokenPair:
    client = request.client.host if request.client else "unknown"
    limiter.check(client=client, email=data.email)

    def work() -> TokenPair:
        with database.session(write=True) as session:
            try:
                user = accounts.authenticate(
                    session, email=data.email, password=data.password, rounds=settings.bcrypt_rounds
                )
            except Unauthorized:
                limiter.failed(client=client, email=data.email)
                raise
            return accounts.issue_tokens(session, tokens=tokens, user=user)

    return await run_password_work(request, work)


@router.post("/refresh")
def refresh(data: RefreshRequest, session: SessionDep, tokens: TokensDep) -> TokenPair:
    return accounts.refresh(session, tokens=tokens, refresh_token=data.refresh_token)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(data: RefreshRequest, session: SessionDep, tokens: TokensDep) -> None:
    accounts.logout(session, tokens=tokens, refresh_token=data.refresh_token)
