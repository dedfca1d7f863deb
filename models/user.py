"""Accounts, their refresh tokens and instance-wide settings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import available_timezones

from pydantic import field_validator
from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from models.common import UTCDateTime, utcnow


class UserSettings(SQLModel):
    desired_retention: float = Field(default=0.9, ge=0.7, le=0.99)
    new_cards_per_day: int = Field(default=20, ge=0, le=9999)
    timezone: str = Field(default="UTC", max_length=64)
    day_start_hour: int = Field(default=4, ge=0, le=23)
    # The most reviews per study day that exam scheduling (processing/exam.py) may lead to.
    exam_daily_budget: int = Field(default=200, ge=10, le=5000)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value != "UTC" and value not in _zones():
            raise ValueError(f"unknown time zone '{value}'")
        return value


def _zones() -> set[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = available_timezones()
    return _ZONES


_ZONES: set[str] | None = None


@dataclass(frozen=True)
class Learner:
    """What scheduling needs to know about a user; read in one query on the review hot path."""

    id: int
    desired_retention: float
    new_cards_per_day: int
    timezone: str
    day_start_hour: int
    fsrs_parameters: str | None = None  # JSON list of the 21 FSRS weights; None: the defaults


class User(UserSettings, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    display_name: str = Field(default="", max_length=80)
    password_hash: str
    is_admin: bool = False
    is_disabled: bool = False
    token_version: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Personal FSRS weights fitted from this user's review log (processing/optimize.py); None: the defaults.
    fsrs_parameters: str | None = Field(default=None, sa_type=Text())


class FsrsStatus(SQLModel):
    """The user's scheduling weights: personal once fitted from enough reviews, else FSRS's defaults."""

    personal: bool
    parameters: list[float]
    reviews: int  # logged reviews of cards in the Review state (what the fit learns from)
    threshold: int  # reviews needed before fitting is offered


class RefreshToken(SQLModel, table=True):
    __tablename__ = "refresh_token"
    jti: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE", index=True)
    expires_at: datetime = Field(sa_type=UTCDateTime)


class AppSetting(SQLModel, table=True):
    __tablename__ = "app_setting"
    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=1000)


# --- API schemas ---------------------------------------------------------------


class UserPublic(SQLModel):
    id: int
    email: str
    display_name: str
    is_admin: bool
    is_disabled: bool
    created_at: datetime
    settings: UserSettings

    @classmethod
    def of(cls, user: User) -> UserPublic:
        return cls(
            id=user.id,
            email=user.email,
            display_name=user.display_name,
            is_admin=user.is_admin,
            is_disabled=user.is_disabled,
            created_at=user.created_at,
            settings=UserSettings.model_validate(user, from_attributes=True),
        )


class AdminUserRow(UserPublic):
    deck_count: int
    note_count: int
    last_login_at: datetime | None


EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+$")


class UserRegister(SQLModel):
    # A light shape check only: self-hosted instances use addresses like admin@lectern.lan.
    email: str = Field(max_length=254)
    password: str = Field(min_length=8, max_length=128)
    display_name: str = Field(default="", max_length=80)

    @field_validator("email")
    @classmethod
    def _email_shape(cls, value: str) -> str:
        value = value.strip().lower()
        if not EMAIL_SHAPE.match(value):
            raise ValueError("not an email address")
        return value

    @field_validator("display_name")
    @classmethod
    def _strip_name(cls, value: str) -> str:
        return value.strip()


class UserLogin(SQLModel):
    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=128)


class UserUpdate(SQLModel):
    display_name: str = Field(max_length=80)


class SettingsUpdate(SQLModel):
    desired_retention: float | None = Field(default=None, ge=0.7, le=0.99)
    new_cards_per_day: int | None = Field(default=None, ge=0, le=9999)
    timezone: str | None = Field(default=None, max_length=64)
    day_start_hour: int | None = Field(default=None, ge=0, le=23)
    exam_daily_budget: int | None = Field(default=None, ge=10, le=5000)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return None if value is None else UserSettings._known_zone(value)


class PasswordChange(SQLModel):
    current_password: str = Field(min_length=1, max_length=128)
    new_password: str = Field(min_length=8, max_length=128)


class PasswordConfirm(SQLModel):
    password: str = Field(min_length=1, max_length=128)


class RefreshRequest(SQLModel):
    refresh_token: str = Field(min_length=1, max_length=2000)


class TokenPair(SQLModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int
    user: UserPublic


class UserDisable(SQLModel):
    is_disabled: bool


class RegistrationSetting(SQLModel):
    registration_open: bool


class AuthConfig(RegistrationSetting):
    has_users: bool  # False on a fresh instance: the first account to register becomes the admin
