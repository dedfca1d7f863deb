"""/ws end to end through TestClient.websocket_connect: authentication by first message, per-user
fan-out of job events, the jobs snapshot, heartbeats."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from config import Settings
from processing.security import TokenService
from tests.conftest import sql, user_id
from tests.test_jobs import Gate, count_to, refuse, runner, wait_for_status

FINAL = {"job.done", "job.failed", "job.cancelled"}


def token_of(headers: dict) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


@contextmanager
def connected(client: TestClient, headers: dict) -> Iterator[WebSocketTestSession]:
    with client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "auth", "token": token_of(headers)})
        hello = ws.receive_json()
        assert hello == {"type": "hello", "user_id": user_id(client, headers)}
        yield ws


def job_events(ws: WebSocketTestSession, job_id: int, limit: int = 1000) -> list[dict]:
    """This job's events up to and including its final one."""
    events = []
    for _ in range(limit):
        event = ws.receive_json()
        assert event["type"].startswith("job."), event
        assert event["job"]["id"] == job_id
        events.append(event)
        if event["type"] in FINAL:
            return events
    raise AssertionError(f"no final event in {limit} messages")


def refused(client: TestClient, *messages: dict) -> WebSocketDisconnect:
    with client.websocket_connect("/ws") as ws:
        for message in messages:
            ws.send_json(message)
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    return closed.value


def test_auth_is_required(client: TestClient, alice: dict, settings: Settings) -> None:
    client.app.state.ws_timing.auth_seconds = 0.2
    silent = refused(client)
    assert (silent.code, silent.reason) == (4401, "No auth message within the time allowed")
    assert refused(client, {"type": "ping"}).code == 4401
    bad = refused(client, {"type": "auth", "token": "not-a-token"})
    assert (bad.code, bad.reason) == (4401, "Invalid token; please log in again")
    expired_token = TokenService(secret=settings.jwt_secret(), access_minutes=-1, refresh_days=1).access_token(
        user_id=user_id(client, alice), token_version=0
    )
    expired = refused(client, {"type": "auth", "token": expired_token})
    assert (expired.code, expired.reason) == (4401, "Your session has expired; please log in again")


def test_a_disabled_account_is_refused_with_4403(client: TestClient, alice: dict, bob: dict) -> None:
    sql(client, "UPDATE user SET is_disabled = 1 WHERE id = ?", user_id(client, bob))
    closed = refused(client, {"type": "auth", "token": token_of(bob)})
    assert (closed.code, closed.reason) == (4403, "This account has been disabled by the admin")


def test_the_owner_gets_events_in_order_and_nobody_else_does(client: TestClient, alice: dict, bob: dict) -> None:
    runner(client).register("count", count_to)
    with connected(client, alice) as tab1, connected(client, alice) as tab2, connected(client, bob) as bobs:
        job = runner(client).submit(owner_id=user_id(client, alice), kind="count", params={"n": 5, "delay": 0.02})
        for tab in (tab1, tab2):
            events = job_events(tab, job.id)
            types = [e["type"] for e in events]
            assert types == ["job.progress"] * (len(types) - 1) + ["job.done"]
            statuses = [e["job"]["status"] for e in events]
            assert statuses[:2] == ["queued", "running"] and statuses[-1] == "succeeded"
            currents = [e["job"]["current"] for e in events]
            assert currents == sorted(currents) and currents[-1] == 5
            assert any(e["job"]["step"] == "counting" and 0 < e["job"]["current"] < 5 for e in events)
            assert events[-1]["job"]["result"] == {"counted": 5}
            assert set(events[-1]["job"]) >= {"id", "kind", "status", "step", "current", "total", "message", "error"}
        # Replies go through the same queue as events: had bob been sent any, they would come first.
        bobs.send_json({"type": "ping"})
        assert bobs.receive_json() == {"type": "pong"}


def test_failed_and_cancelled_jobs_have_their_own_events(client: TestClient, alice: dict) -> None:
    gate = Gate()
    runner(client).register("refuse", refuse)
    runner(client).register("wait", gate.until_cancelled)
    with connected(client, alice) as ws:
        failed = runner(client).submit(owner_id=user_id(client, alice), kind="refuse")
        last = job_events(ws, failed.id)[-1]
        assert (last["type"], last["job"]["status"], last["job"]["error"]) == (
            "job.failed",
            "failed",
            "This file is not a PDF",
        )
        waiting = runner(client).submit(owner_id=user_id(client, alice), kind="wait")
        gate.wait_started()
        assert client.post(f"/api/jobs/{waiting.id}/cancel", headers=alice).status_code == 202
        events = job_events(ws, waiting.id)
        assert any(e["job"]["cancel_requested"] for e in events[:-1])
        assert (events[-1]["type"], events[-1]["job"]["status"]) == ("job.cancelled", "cancelled")


def test_progress_events_are_throttled(client: TestClient, alice: dict) -> None:
    runner(client).register("count", count_to)
    with connected(client, alice) as ws:
        job = runner(client).submit(owner_id=user_id(client, alice), kind="count", params={"n": 2000})
        events = job_events(ws, job.id, limit=2000)
    assert len(events) < 100
    assert events[-2]["job"]["current"] == 2000  # reaching the total is always reported
    assert wait_for_status(client, alice, job.id, "succeeded")["current"] == 2000


def test_jobs_sync_returns_a_snapshot(client: TestClient, alice: dict, bob: dict) -> None:
    gate = Gate()
    runner(client).register("count", count_to)
    runner(client).register("read", gate.handler)
    alice_id = user_id(client, alice)
    finished = runner(client).submit(owner_id=alice_id, kind="count", params={"n": 1})
    wait_for_status(client, alice, finished.id, "succeeded")
    running = runner(client).submit(owner_id=alice_id, kind="read")
    gate.wait_started()
    runner(client).submit(owner_id=user_id(client, bob), kind="count", params={"n": 1})

    with connected(client, alice) as ws:
        ws.send_json({"type": "jobs.sync"})
        snapshot = ws.receive_json()
    assert snapshot["type"] == "jobs.snapshot"
    assert [(j["id"], j["status"], j["current"]) for j in snapshot["jobs"]] == [
        (running.id, "running", 2),
        (finished.id, "succeeded", 1),
    ]
    assert snapshot["jobs"] == client.get("/api/jobs", headers=alice).json()
    gate.release.set()
    wait_for_status(client, alice, running.id, "succeeded")


def test_ping_pong_heartbeat_and_bad_messages(client: TestClient, alice: dict) -> None:
    with connected(client, alice) as ws:
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}
        ws.send_text("not json")
        assert ws.receive_json()["code"] == "bad_message"
        ws.send_json({"type": "subscribe"})
        assert ws.receive_json() == {
            "type": "error",
            "code": "unknown_type",
            "message": "Unknown message type 'subscribe'",
        }
    client.app.state.ws_timing.heartbeat_seconds = 0.05
    with connected(client, alice) as ws:
        assert ws.receive_json() == {"type": "ping"}
        assert ws.receive_json() == {"type": "ping"}


def test_the_socket_closes_when_the_session_ends(client: TestClient, alice: dict) -> None:
    client.app.state.ws_timing.heartbeat_seconds = 0.05
    with connected(client, alice) as ws:
        assert ws.receive_json() == {"type": "ping"}
        changed = client.post(
            "/api/users/me/password",
            json={"current_password": "correct horse battery", "new_password": "another good passphrase"},
            headers=alice,
        )
        assert changed.status_code == 200
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                assert ws.receive_json() == {"type": "ping"}
    assert (closed.value.code, closed.value.reason) == (4401, "Your session has ended; please log in again")
