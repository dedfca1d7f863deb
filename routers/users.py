"""The logged-in user's account: profile, study settings, password, deletion."""

from fastapi import APIRouter, status

from models.user import PasswordChange, PasswordConfirm, SettingsUpdate, TokenPair, UserPublic, UserUpdate
from processing import accounts
from routers.deps import CurrentUser, SessionDep, SettingsDep, TokensDep

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
def delete_me(data: PasswordConfirm, session: SessionDep, user: CurrentUser) -> None:
    accounts.delete_account(session, user=user, password=data.password)
