"""The logged-in user's account: profile, study settings, password, deletion."""

from fastapi import APIRouter, status

from models.job import JobPublic
from models.user import (
    FsrsStatus,
    PasswordChange,
    PasswordConfirm,
    SettingsUpdate,
    TokenPair,
    UserPublic,
    UserUpdate,
)
from processing import accounts, optimize
from routers.deps import CurrentUser, JobRunnerDep, SessionDep, SettingsDep, StorageDep, TokensDep

router = APIRouter(prefix="/api/users/me", tags=["account"])


@router.get("")
def read_me(user: CurrentUser) -> UserPublic:
    return UserPublic.of(user)


@router.patch("")
def update_me(data: UserUpdate, session: SessionDep, user: CurrentUser) -> UserPublic:
    return UserPublic.of(
        accounts.update_settings(session, user=user, changes={"display_name": data.display_name.strip()})
    )


@router.put("/settings")
def update_my_settings(data: SettingsUpdate, session: SessionDep, user: CurrentUser) -> UserPublic:
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    return UserPublic.of(accounts.update_settings(session, user=user, changes=changes))


@router.post("/password")
def change_password(
    data: PasswordChange, session: SessionDep, user: CurrentUser, tokens: TokensDep, settings: SettingsDep
) -> TokenPair:
    return accounts.change_password(
        session,
        tokens=tokens,
        user=user,
        current=data.current_password,
        new=data.new_password,
        rounds=settings.bcrypt_rounds,
    )


@router.delete("", status_code=status.HTTP_204_NO_CONTENT)
def delete_me(data: PasswordConfirm, session: SessionDep, user: CurrentUser, storage: StorageDep) -> None:
    accounts.delete_account(session, storage=storage, user=user, password=data.password)


@router.get("/fsrs")
def fsrs_status(session: SessionDep, user: CurrentUser) -> FsrsStatus:
    """The scheduling weights in use and how many reviews a fit would learn from."""
    return optimize.status(session, user=user)


@router.post("/fsrs/optimize", status_code=status.HTTP_202_ACCEPTED)
def optimize_fsrs(session: SessionDep, user: CurrentUser, runner: JobRunnerDep) -> JobPublic:
    """Fits personal FSRS weights to your review log as a job (409 below the threshold); they are kept only
    if they predict your reviews better than the defaults (the job's result has both log losses)."""
    return JobPublic.of(optimize.start(session, runner=runner, user=user))


@router.delete("/fsrs")
def reset_fsrs(session: SessionDep, user: CurrentUser) -> FsrsStatus:
    """Back to the FSRS defaults."""
    return optimize.reset(session, user=user)
