"""Accounts: registration, login, token refresh, password change, deletion, and admin actions."""

from __future__ import annotations

from sqlalchemy import delete, func
from sqlmodel import Session, select

from db import RawSQL, as_sql
from models.common import utcnow
from models.deck import Deck
from models.lecture import Lecture
from models.note import Note
from models.user import (
    AdminUserRow,
    AppSetting,
    AuthConfig,
    Learner,
    RefreshToken,
    TokenPair,
    User,
    UserPublic,
    UserRegister,
)
from processing.errors import BadRequest, Conflict, Forbidden, Invalid, NotFound, Unauthorized
from processing.security import TokenClaims, TokenService, dummy_hash, hash_password, verify_password
from processing.storage import Storage

REGISTRATION_KEY = "registration_open"


def registration_open(session: Session, *, default: bool) -> bool:
    row = session.get(AppSetting, REGISTRATION_KEY)
    return default if row is None else row.value == "true"


def set_registration_open(session: Session, *, open_: bool) -> bool:
    row = session.get(AppSetting, REGISTRATION_KEY) or AppSetting(key=REGISTRATION_KEY, value="")
    row.value = "true" if open_ else "false"
    session.add(row)
    session.commit()
    return open_


def has_users(session: Session) -> bool:
    return session.exec(select(User.id).limit(1)).first() is not None


def auth_config(session: Session, *, default_open: bool) -> AuthConfig:
    """What the login screen needs. A fresh instance always takes its first account (the admin)."""
    users = has_users(session)
    return AuthConfig(registration_open=not users or registration_open(session, default=default_open), has_users=users)


def register(session: Session, *, data: UserRegister, rounds: int, default_open: bool) -> User:
    """The first account becomes the admin and may always register, even with registration closed."""
    password_hash = hash_password(data.password, rounds=rounds)  # slow: before the write transaction starts
    is_first = not has_users(session)
    if not is_first and not registration_open(session, default=default_open):
        raise Forbidden("Registration is closed on this Lectern; ask its admin for an account")
    if session.exec(select(User.id).where(User.email == data.email)).first() is not None:
        raise Conflict("An account with this email already exists")
    user = User(
        email=data.email,
        display_name=data.display_name or data.email.split("@")[0],
        password_hash=password_hash,
        is_admin=is_first,
    )
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


def authenticate(session: Session, *, email: str, password: str, rounds: int = 12) -> User:
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    session.commit()  # end the transaction before the slow hash check, so no lock is held meanwhile
    if user is None:
        verify_password(password, dummy_hash(rounds))
        raise Unauthorized("Wrong email or password")
    if not verify_password(password, user.password_hash):
        raise Unauthorized("Wrong email or password")
    if user.is_disabled:
        raise Forbidden("This account has been disabled by the admin")
    user.last_login_at = utcnow()
    session.add(user)
    session.commit()
    return user


def issue_tokens(session: Session, *, tokens: TokenService, user: User) -> TokenPair:
    refresh, claims = tokens.refresh_token(user_id=user.id, token_version=user.token_version)
    session.add(RefreshToken(jti=claims.jti, user_id=user.id, expires_at=claims.expires_at))
    session.exec(delete(RefreshToken).where(RefreshToken.user_id == user.id, RefreshToken.expires_at < utcnow()))
    session.commit()
    return TokenPair(
        access_token=tokens.access_token(user_id=user.id, token_version=user.token_version),
        refresh_token=refresh,
        expires_in=int(tokens.access_lifetime.total_seconds()),
        user=UserPublic.of(user),
    )


def _check_session(*, claims: TokenClaims, found: bool, token_version: int, is_disabled: bool) -> None:
    """A token stays valid while its user exists, has not ended its sessions, and is not disabled."""
    if not found or token_version != claims.token_version:
        raise Unauthorized("Your session has ended; please log in again")
    if is_disabled:
        raise Forbidden("This account has been disabled by the admin")


def user_for_token(session: Session, *, tokens: TokenService, token: str) -> User:
    claims = tokens.decode(token, kind="access")
    user = session.get(User, claims.user_id)
    _check_session(
        claims=claims,
        found=user is not None,
        token_version=user.token_version if user else -1,
        is_disabled=bool(user and user.is_disabled),
    )
    return user


_LEARNER = (
    "SELECT id, token_version, is_disabled, desired_retention, new_cards_per_day, timezone, day_start_hour,"
    ' fsrs_parameters FROM "user" WHERE id = :id'
)


def learner_for(session: Session | RawSQL, *, claims: TokenClaims) -> Learner:
    """The same checks as user_for_token, in one plain query (the review routes call this per request)."""
    row = as_sql(session).first(_LEARNER, {"id": claims.user_id}) or {}
    _check_session(
        claims=claims,
        found=bool(row),
        token_version=row.get("token_version", -1),
        is_disabled=bool(row.get("is_disabled")),
    )
    return Learner(
        id=row["id"],
        desired_retention=row["desired_retention"],
        new_cards_per_day=row["new_cards_per_day"],
        timezone=row["timezone"],
        day_start_hour=row["day_start_hour"],
        fsrs_parameters=row["fsrs_parameters"],
    )


def refresh(session: Session, *, tokens: TokenService, refresh_token: str) -> TokenPair:
    """Single use: the presented refresh token is consumed and a new pair is issued."""
    claims = tokens.decode(refresh_token, kind="refresh")
    row = session.get(RefreshToken, claims.jti) if claims.jti else None
    user = session.get(User, claims.user_id)
    if row is None or row.user_id != claims.user_id or user is None or user.token_version != claims.token_version:
        raise Unauthorized("Your session has ended; please log in again")
    if user.is_disabled:
        raise Forbidden("This account has been disabled by the admin")
    session.delete(row)
    return issue_tokens(session, tokens=tokens, user=user)


def logout(session: Session, *, tokens: TokenService, refresh_token: str) -> None:
    try:
        claims = tokens.decode(refresh_token, kind="refresh")
    except Unauthorized:
        return  # already unusable: logging out is idempotent
    if claims.jti:
        session.exec(delete(RefreshToken).where(RefreshToken.jti == claims.jti))
        session.commit()


def end_all_sessions(session: Session, *, user: User) -> None:
    """Invalidates every access and refresh token of the user (the caller commits)."""
    user.token_version += 1
    session.add(user)
    session.exec(delete(RefreshToken).where(RefreshToken.user_id == user.id))


def change_password(
    session: Session, *, tokens: TokenService, user: User, current: str, new: str, rounds: int
) -> TokenPair:
    if not verify_password(current, user.password_hash):
        raise Forbidden("The current password is wrong")
    if current == new:
        raise Invalid("The new password must differ from the current one")
    new_hash = hash_password(new, rounds=rounds)
    user.password_hash = new_hash
    end_all_sessions(session, user=user)
    session.commit()
    return issue_tokens(session, tokens=tokens, user=user)


def delete_account(session: Session, *, storage: Storage, user: User, password: str) -> None:
    """Removes the user and, through ON DELETE CASCADE, every row they own; then their files."""
    if not verify_password(password, user.password_hash):
        raise Forbidden("The password is wrong")
    if user.is_admin:
        others = session.exec(select(func.count()).select_from(User).where(User.is_admin, User.id != user.id)).one()
        users = session.exec(select(func.count()).select_from(User)).one()
        if others == 0 and users > 1:
            raise Conflict("You are the only admin: make the instance yours alone, or keep the account")
    owner_id = user.id
    lecture_ids = list(session.exec(select(Lecture.id).where(Lecture.owner_id == owner_id)).all())
    session.delete(user)
    session.commit()
    storage.delete_user_files(owner_id, lecture_ids)  # after the commit: a failed delete keeps the files


def update_settings(session: Session, *, user: User, changes: dict) -> User:
    for key, value in changes.items():
        setattr(user, key, value)
    session.add(user)
    session.commit()
    return user


# --- admin ---------------------------------------------------------------------


def list_users(session: Session) -> list[AdminUserRow]:
    decks = dict(session.exec(select(Deck.owner_id, func.count()).group_by(Deck.owner_id)).all())
    notes = dict(session.exec(select(Note.owner_id, func.count()).group_by(Note.owner_id)).all())
    return [_admin_row(u, decks.get(u.id, 0), notes.get(u.id, 0)) for u in session.exec(select(User).order_by(User.id))]


def _admin_row(user: User, decks: int, notes: int) -> AdminUserRow:
    return AdminUserRow(
        **UserPublic.of(user).model_dump(), deck_count=decks, note_count=notes, last_login_at=user.last_login_at
    )


def set_user_disabled(session: Session, *, admin: User, user_id: int, disabled: bool) -> AdminUserRow:
    if user_id == admin.id:
        raise BadRequest("You cannot disable your own account")
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user")
    user.is_disabled = disabled
    if disabled:
        end_all_sessions(session, user=user)
    session.add(user)
    session.commit()
    decks = session.exec(select(func.count()).select_from(Deck).where(Deck.owner_id == user.id)).one()
    notes = session.exec(select(func.count()).select_from(Note).where(Note.owner_id == user.id)).one()
    return _admin_row(user, decks, notes)
