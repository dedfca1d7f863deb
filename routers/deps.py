"""Dependencies as Annotated aliases: routers read `def handler(session: SessionDep, user: CurrentUser)`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Annotated, TypeVar

import anyio.to_thread
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from config import Settings
from db import Database
from models.user import User
from processing import accounts
from processing.chat.answering import ChatAnswers
from processing.embeddings import Embedder
from processing.errors import Forbidden, Unauthorized
from processing.jobs import JobRunner
from processing.ratelimit import LoginLimiter
from processing.search import VectorIndex
from processing.security import TokenClaims, TokenService
from processing.storage import Storage

READ_METHODS = {"GET", "HEAD", "OPTIONS"}
# Dependencies that only read app.state are `async def`: FastAPI runs sync ones in the thread pool,
# and a thread hop per dependency is a measurable share of a review request.


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_database(request: Request) -> Database:
    return request.app.state.db


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.db.session(write=request.method not in READ_METHODS) as session:
        yield session


async def get_tokens(request: Request) -> TokenService:
    return request.app.state.tokens


async def get_login_limiter(request: Request) -> LoginLimiter:
    return request.app.state.login_limiter


async def get_job_runner(request: Request) -> JobRunner:
    return request.app.state.jobs


async def get_storage(request: Request) -> Storage:
    return request.app.state.storage


async def get_embedder(request: Request) -> Embedder:
    return request.app.state.embedder


async def get_vector_index(request: Request) -> VectorIndex:
    return request.app.state.vector_index


async def get_chat_answers(request: Request) -> ChatAnswers:
    return request.app.state.chat


T = TypeVar("T")


async def run_password_work(request: Request, fn: Callable[..., T], /, *args, **kwargs) -> T:
    """bcrypt takes ~0.25 s of CPU per hash: logins and registrations run on their own small thread
    pool, so a burst of them never occupies the threads that serve reviews."""
    return await anyio.to_thread.run_sync(partial(fn, *args, **kwargs), limiter=request.app.state.password_limiter)


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]
SessionDep = Annotated[Session, Depends(get_session)]
TokensDep = Annotated[TokenService, Depends(get_tokens)]
LoginLimiterDep = Annotated[LoginLimiter, Depends(get_login_limiter)]
JobRunnerDep = Annotated[JobRunner, Depends(get_job_runner)]
StorageDep = Annotated[Storage, Depends(get_storage)]
EmbedderDep = Annotated[Embedder, Depends(get_embedder)]
VectorIndexDep = Annotated[VectorIndex, Depends(get_vector_index)]
ChatAnswersDep = Annotated[ChatAnswers, Depends(get_chat_answers)]
bearer = HTTPBearer(auto_error=False, description="The access token from /api/auth/login")


def current_user(
    session: SessionDep, tokens: TokensDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> User:
    if credentials is None:
        raise Unauthorized("Please log in")
    user = accounts.user_for_token(session, tokens=tokens, token=credentials.credentials)
    session.commit()  # end the read, so a write request takes its lock only when it writes
    return user


CurrentUser = Annotated[User, Depends(current_user)]


async def token_claims(
    tokens: TokensDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> TokenClaims:
    """Only checks the token's signature and expiry (no I/O); the review routes then load the
    user in the same thread hop as their own work (see routers/review.py)."""
    if credentials is None:
        raise Unauthorized("Please log in")
    return tokens.decode(credentials.credentials, kind="access")


TokenClaimsDep = Annotated[TokenClaims, Depends(token_claims)]


def admin_user(user: CurrentUser) -> User:
    if not user.is_admin:
        raise Forbidden("Only the admin can do this")
    return user


AdminUser = Annotated[User, Depends(admin_user)]
