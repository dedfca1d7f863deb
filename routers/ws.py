"""/ws: the logged-in user's live events (job progress, chat answers, written feedback), one JSON
object per text frame.

Browsers cannot set headers on a WebSocket, so the first message authenticates:
  client → {"type": "auth", "token": "<access token>"}   within 5 s, else closed with 4401
  server → {"type": "hello", "user_id": N}                then the user's events, as they happen
  server → {"type": "ping"}                               every 20 s (no answer needed)
  client → {"type": "ping"}                    → {"type": "pong"}
  client → {"type": "jobs.sync"}               → {"type": "jobs.snapshot", "jobs": [JobPublic]}
  client → {"type": "auth", "token": "<new>"}  → renews the session (send it after a token refresh)
  anything else                                → {"type": "error", "code": "...", "message": "..."}
Close codes: 4401 not authenticated (no, bad or expired token, or the session ended: refresh and
reconnect), 4403 account disabled. The token is re-checked at every heartbeat.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.datastructures import State

from models.job import JobPublic
from processing import accounts, jobs
from processing.errors import Forbidden, Unauthorized
from processing.hub import Hub

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403

router = APIRouter()


@dataclass
class WebSocketTiming:
    """Seconds; one object on app.state, so tests can shorten them."""

    auth_seconds: float = 5.0
    heartbeat_seconds: float = 20.0


class _Refused(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


class _BadMessage(Exception):
    pass


@dataclass
class _Connection:
    user_id: int
    token: str
    closing: _Refused | None = None


@router.websocket("/ws")
async def events(websocket: WebSocket) -> None:
    await websocket.accept()
    state: State = websocket.app.state
    try:
        with anyio.fail_after(state.ws_timing.auth_seconds):
            first = await _receive(websocket)
        if first.get("type") != "auth" or not isinstance(first.get("token"), str):
            raise _Refused(CLOSE_UNAUTHENTICATED, 'Send {"type": "auth", "token": …} first')
        conn = _Connection(user_id=await _check_token(state, first["token"]), token=first["token"])
    except TimeoutError:
        await websocket.close(CLOSE_UNAUTHENTICATED, "No auth message within the time allowed")
        return
    except _BadMessage:
        await websocket.close(CLOSE_UNAUTHENTICATED, 'Send {"type": "auth", "token": …} first')
        return
    except _Refused as refused:
        await websocket.close(refused.code, refused.reason)
        return
    except WebSocketDisconnect:
        return

    hub: Hub = state.hub
    async with hub.subscribe(conn.user_id) as queue:  # before hello: nothing after it is missed
        await websocket.send_json({"type": "hello", "user_id": conn.user_id})
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(_write, websocket, queue, tasks.cancel_scope)
            tasks.start_soon(_heartbeat, state, hub, queue, conn, tasks.cancel_scope)
            await _read(websocket, state, hub, queue, conn)
            tasks.cancel_scope.cancel()
    if conn.closing is not None:
        with suppress(RuntimeError, OSError):  # the client may have gone meanwhile
            await websocket.close(conn.closing.code, conn.closing.reason)


async def _receive(websocket: WebSocket) -> dict[str, Any]:
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    text = message.get("text")
    if text is None:
        raise _BadMessage("Send JSON text frames")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _BadMessage("The message is not valid JSON") from exc
    if not isinstance(data, dict):
        raise _BadMessage('A message is a JSON object with a "type"')
    return data


async def _check_token(state: State, token: str) -> int:
    """The user id of a valid access token of an active account (the database read in a thread)."""

    def check() -> int:
        with state.db.session() as session:
            return accounts.user_for_token(session, tokens=state.tokens, token=token).id

    try:
        return await anyio.to_thread.run_sync(check)
    except Unauthorized as exc:
        raise _Refused(CLOSE_UNAUTHENTICATED, exc.detail) from exc
    except Forbidden as exc:
        raise _Refused(CLOSE_FORBIDDEN, exc.detail) from exc


async def _read(websocket: WebSocket, state: State, hub: Hub, queue: asyncio.Queue, conn: _Connection) -> None:
    """Answers the client's messages (through the queue, so the writer is the only sender) until
    it disconnects or its session must end."""
    while True:
        try:
            message = await _receive(websocket)
        except WebSocketDisconnect:
            return
        except _BadMessage as exc:
            hub.offer(queue, {"type": "error", "code": "bad_message", "message": str(exc)})
            continue
        kind = message.get("type")
        if kind == "ping":
            hub.offer(queue, {"type": "pong"})
        elif kind == "jobs.sync":
            snapshot = await anyio.to_thread.run_sync(_job_snapshot, state, conn.user_id)
            hub.offer(queue, {"type": "jobs.snapshot", "jobs": snapshot})
        elif kind == "auth" and isinstance(message.get("token"), str):
            try:
                renewed = await _check_token(state, message["token"])
            except _Refused as refused:
                conn.closing = refused
                return
            if renewed != conn.user_id:
                conn.closing = _Refused(CLOSE_UNAUTHENTICATED, "This connection belongs to another account")
                return
            conn.token = message["token"]
        else:
            hub.offer(queue, {"type": "error", "code": "unknown_type", "message": f"Unknown message type {kind!r}"})


async def _write(websocket: WebSocket, queue: asyncio.Queue, scope: anyio.CancelScope) -> None:
    while True:
        event = await queue.get()
        try:
            await websocket.send_json(event)
        except (WebSocketDisconnect, RuntimeError, OSError):  # the client went away mid-send
            scope.cancel()
            return


async def _heartbeat(state: State, hub: Hub, queue: asyncio.Queue, conn: _Connection, scope: anyio.CancelScope) -> None:
    """Pings, and ends the connection once its token expires or the session ends (password
    changed, account disabled or deleted)."""
    while True:
        await anyio.sleep(state.ws_timing.heartbeat_seconds)
        try:
            await _check_token(state, conn.token)
        except _Refused as refused:
            conn.closing = refused
            scope.cancel()
            return
        hub.offer(queue, {"type": "ping"})


def _job_snapshot(state: State, user_id: int) -> list[dict[str, Any]]:
    with state.db.session() as session:
        return [JobPublic.of(job).model_dump(mode="json") for job in jobs.snapshot(session, owner_id=user_id)]
