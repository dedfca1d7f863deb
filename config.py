"""Lectern's settings: one class, read from the environment (prefix LECTERN_), checked at start-up."""

from __future__ import annotations

import re
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "changethis", "your-secret-key", "lectern"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LECTERN_", extra="ignore")

    data_dir: Path = Path("data")
    database_url: str = Field(
        default="",
        validation_alias=AliasChoices("LECTERN_DATABASE_URL", "DATABASE_URL"),
        description="SQLAlchemy URL; empty means SQLite at <data_dir>/app.db",
    )
    secret_key: str = Field(
        default="", description="JWT signing key; empty = generated once into <data_dir>/secret.key"
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=30, ge=1, le=365)
    registration_open: bool = Field(default=True, description="initial state; the admin can change it at run time")
    login_rate_limit: str = "10/minute"
    log_level: str = "info"
    log_json: bool = True
    bcrypt_rounds: int = Field(default=12, ge=4, le=16)
    request_threads: int = Field(default=4, ge=1, le=64, description="threads serving blocking requests")
    max_upload_mb: int = Field(default=100, ge=1, le=10_000, description="largest accepted upload")
    user_quota_mb: int = Field(
        default=1024, ge=1, le=10_000_000, description="card media (images, audio) each account may store"
    )
    max_pages: int = Field(default=500, ge=1, le=100_000, description="most pages (slides) one lecture may have")
    ocr_langs: str = Field(default="eng", description="Tesseract languages, e.g. 'eng+deu'")
    models_dir: Path | None = Field(default=None, description="where the exported embedding model lives")
    preload_model: bool = Field(default=True, description="load the embedding model in the background at start")
    vector_cache_mb: int = Field(default=512, ge=16, le=65_536, description="search vectors kept in memory")
    # Language model provider: builtin (offline, default) | gemini | openai (any OpenAI-compatible server).
    llm: Literal["builtin", "gemini", "openai"] = "builtin"
    gemini_api_key: str = Field(default="", validation_alias=AliasChoices("GEMINI_API_KEY", "LECTERN_GEMINI_API_KEY"))
    gemini_model: str = Field(
        default="gemini-2.5-flash", validation_alias=AliasChoices("GEMINI_MODEL", "LECTERN_GEMINI_MODEL")
    )
    gemini_base_url: str = Field(
        default="", validation_alias=AliasChoices("GEMINI_BASE_URL", "LECTERN_GEMINI_BASE_URL")
    )  # empty: Google's endpoint; set it for a proxy or gateway speaking the same API
    openai_base_url: str = Field(
        default="http://127.0.0.1:11434/v1", validation_alias=AliasChoices("OPENAI_BASE_URL", "LECTERN_OPENAI_BASE_URL")
    )
    openai_api_key: str = Field(default="", validation_alias=AliasChoices("OPENAI_API_KEY", "LECTERN_OPENAI_API_KEY"))
    openai_model: str = Field(default="", validation_alias=AliasChoices("OPENAI_MODEL", "LECTERN_OPENAI_MODEL"))
    llm_timeout_seconds: float = Field(default=120.0, gt=0, le=3600, description="per model request")

    @field_validator("ocr_langs")
    @classmethod
    def _plain_langs(cls, value: str) -> str:
        value = value.strip()
        if not re.fullmatch(r"[A-Za-z_]+([+,\s]+[A-Za-z_]+)*", value):
            raise ValueError("LECTERN_OCR_LANGS must be Tesseract language codes joined by '+', like 'eng+deu'")
        return value

    @field_validator("secret_key")
    @classmethod
    def _reject_placeholder_secret(cls, value: str) -> str:
        if not value:
            return value
        if value.lower() in PLACEHOLDER_SECRETS:
            raise ValueError("LECTERN_SECRET_KEY is a placeholder; set a random value or leave it empty")
        if len(value) < 32:
            raise ValueError("LECTERN_SECRET_KEY must be at least 32 characters")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        value = value.lower()
        if value not in {"debug", "info", "warning", "error", "critical"}:
            raise ValueError("LECTERN_LOG_LEVEL must be one of debug, info, warning, error, critical")
        return value

    @field_validator("login_rate_limit")
    @classmethod
    def _valid_rate(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError as exc:
            raise ValueError(f"LECTERN_LOGIN_RATE_LIMIT is not a rate like '10/minute': {exc}") from exc
        return value

    @model_validator(mode="after")
    def _provider_is_configured(self) -> Settings:
        if self.llm == "gemini" and not self.gemini_api_key:
            raise ValueError("LECTERN_LLM=gemini needs GEMINI_API_KEY")
        if self.llm == "openai" and not self.openai_model:
            raise ValueError(
                "LECTERN_LLM=openai needs OPENAI_MODEL (and OPENAI_BASE_URL unless it is Ollama on this machine)"
            )
        return self

    @model_validator(mode="after")
    def _absolute_data_dir(self) -> Settings:
        self.data_dir = self.data_dir.expanduser().resolve()
        self.models_dir = (self.models_dir or self.data_dir / "models").expanduser().resolve()
        return self

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def user_quota_bytes(self) -> int:
        return self.user_quota_mb * 1024 * 1024

    @cached_property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'app.db'}"

    def jwt_secret(self) -> str:
        """The configured secret, or one generated once and kept in the data dir (mode 0600)."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secrets.token_urlsafe(48))
        tmp.chmod(0o600)
        tmp.replace(path)
        return path.read_text().strip()


ENV_NAMES = {
    "database_url": "LECTERN_DATABASE_URL",
    **{
        name: name.upper()
        for name in ("gemini_api_key", "gemini_model", "gemini_base_url", "openai_base_url", "openai_api_key")
    },
    "openai_model": "OPENAI_MODEL",
}


class SettingsError(SystemExit):
    """Raised instead of pydantic's traceback: names each wrong variable the way it is set."""


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            variable = ENV_NAMES.get(field, f"LECTERN_{field.upper()}")
            message = str(error["msg"]).removeprefix("Value error, ")
            lines.append(message if message.startswith("LECTERN_") else f"{variable}: {message}")
        raise SettingsError("Lectern cannot start because of its settings:\n  " + "\n  ".join(lines)) from None
