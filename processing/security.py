"""Password hashing (bcrypt) and JWT access/refresh tokens (PyJWT, HS256)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import bcrypt
import jwt

from models.common import utcnow
from processing.errors import Unauthorized


def _prehash(password: str) -> bytes:
    # bcrypt reads only 72 bytes; hashing first lets every character of a long passphrase count.
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest())


def hash_password(password: str, *, rounds: int = 12) -> str:
    return bcrypt.hashpw(_prehash(password), bcrypt.gensalt(rounds=rounds)).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(_prehash(password), password_hash.encode("ascii"))
    except ValueError:
        return False


@cache
def dummy_hash(rounds: int) -> str:
    """A real hash to check against when the email is unknown, so both failures take the same time.
    Made on first use: computing it at import would cost every start-up a quarter of a second."""
    return hash_password("lectern-timing-equaliser", rounds=rounds)


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    token_version: int
    jti: str | None
    expires_at: datetime


class TokenService:
    """Issues and checks tokens. Access tokens are short-lived; refresh tokens are single-use
    (their jti is stored, and deleted when used or revoked)."""

    ALGORITHM = "HS256"

    def __init__(self, *, secret: str, access_minutes: int, refresh_days: int) -> None:
        self._secret = secret
        self.access_lifetime = timedelta(minutes=access_minutes)
        self.refresh_lifetime = timedelta(days=refresh_days)

    def access_token(self, *, user_id: int, token_version: int) -> str:
        now = utcnow()
        claims = {
            "sub": str(user_id),
            "tv": token_version,
            "type": "access",
            "iat": now,
            "exp": now + self.access_lifetime,
        }
        return jwt.encode(claims, self._secret, algorithm=self.ALGORITHM)

    def refresh_token(self, *, user_id: int, token_version: int) -> tuple[str, TokenClaims]:
        now = utcnow()
        jti = secrets.token_urlsafe(24)
        expires = now + self.refresh_lifetime
        claims = {"sub": str(user_id), "tv": token_version, "type": "refresh", "jti": jti, "iat": now, "exp": expires}
        token = jwt.encode(claims, self._secret, algorithm=self.ALGORITHM)
        return token, TokenClaims(user_id, token_version, jti, expires)

    def decode(self, token: str, *, kind: str) -> TokenClaims:
        try:
            claims = jwt.decode(
                token, self._secret, algorithms=[self.ALGORITHM], options={"require": ["exp", "sub", "type"]}
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("Your session has expired; please log in again") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthorized("Invalid token; please log in again") from exc
        if claims.get("type") != kind:
            raise Unauthorized("Invalid token; please log in again")
        try:
            user_id = int(claims["sub"])
            version = int(claims.get("tv", 0))
        except (TypeError, ValueError) as exc:
            raise Unauthorized("Invalid token; please log in again") from exc
        return TokenClaims(user_id, version, claims.get("jti"), claims["exp"])
