"""Instance administration: users and open registration (admin only)."""

from fastapi import APIRouter

from models.user import AdminUserRow, RegistrationSetting, UserDisable
from processing import accounts
from routers.deps import AdminUser, SessionDep, SettingsDep

router = APIRouter(prefix="/api/admin", tags=["admin"])


@router.get("/users")
def list_users(session: SessionDep, _admin: AdminUser) -> list[AdminUserRow]:
    return accounts.list_users(session)


@router.patch("/users/{user_id}")
def set_disabled(user_id: int, data: UserDisable, session: SessionDep, admin: AdminUser) -> AdminUserRow:
    return accounts.set_user_disabled(session, admin=admin, user_id=user_id, disabled=data.is_disabled)


@router.get("/settings")
def read_settings(session: SessionDep, settings: SettingsDep, _admin: AdminUser) -> RegistrationSetting:
    return RegistrationSetting(
        registration_open=accounts.registration_open(session, default=settings.registration_open)
    )


@router.put("/settings")
def write_settings(data: RegistrationSetting, session: SessionDep, _admin: AdminUser) -> RegistrationSetting:
    return RegistrationSetting(registration_open=accounts.set_registration_open(session, open_=data.registration_open))
