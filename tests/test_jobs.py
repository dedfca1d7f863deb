"""Jobs end to end: the app's own runner runs job kinds registered here (the framework under
test), on a real SQLite file; state is read back through the REST API."""

from __future__ import annotations

import logging
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from config import Settings
from main import create_app
from processing.jobs import JobContext, JobError, JobRunner
from tests.conftest import db_file, register, sql, user_id

WAIT = 10.0  # seconds; every wait below ends as soon as its condition holds


def runner(client: TestClient) -> JobRunner:
    return client.app.state.jobs


def count_to(ctx: JobContext) -> dict:
    n, delay = ctx.params["n"], ctx.params.get("delay", 0.0)
    for i in range(1, n + 1):
        ctx.progress(step="counting", current=i, total=n, message=f"Counted {i} of {n}")
        time.sleep(delay)
    return {"counted": n}


def refuse(ctx: JobContext) -> None:
    raise JobError("This file is not a PDF")


def crash(ctx: JobContext) -> None:
    raise ValueError("internal detail: list index out of range")


class Gate:
    """A handler that reports, then holds until released (or stops when cancelled)."""

    def __init__(self) -> None:
        self.started = threading.Semaphore(0)
        self.release = threading.Event()
        self.calls = 0
        self.reported: list[int] = []

    def handler(self, ctx: JobContext) -> dict:
        self.calls += 1
        ctx.progress(step="reading", current=2, total=3, message="Read 2 of 3 pages")
        self.started.release()
        while not self.release.wait(0.005):
            ctx.check_cancelled()
        return {"pages": 3}

    def until_cancelled(self, ctx: JobContext) -> None:
        self.started.release()
        tick = 0
        while True:
            tick += 1
            ctx.progress(step="waiting", current=tick, message=f"Tick {tick}")
            self.reported.append(tick)
            time.sleep(0.002)

    def wait_started(self, times: int = 1) -> None:
        for _ in range(times):
            assert self.started.acquire(timeout=WAIT), "the handler did not start"


def wait_for_status(client: TestClient, headers: dict, job_id: int, *statuses: str) -> dict:
    deadline = time.monotonic() + WAIT
    while True:
        job = client.get(f"/api/jobs/{job_id}", headers=headers).json()
        if job["status"] in statuses:
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.01)


@pytest.fixture
def alice_id(client: TestClient, alice: dict) -> int:
    return user_id(client, alice)


def test_a_job_runs_from_queued_to_succeeded(client: TestClient, alice: dict, alice_id: int) -> None:
    runner(client).register("count", count_to, doing="counting")
    job = runner(client).submit(owner_id=alice_id, kind="count", params={"n": 5, "delay": 0.001})
    assert job.status == "queued"

    done = wait_for_status(client, alice, job.id, "succeeded")
    assert {k: done[k] for k in ("kind", "step", "current", "total", "message", "error", "params", "result")} == {
        "kind": "count",
        "step": "counting",
        "current": 5,
        "total": 5,
        "message": "Done",
        "error": None,
        "params": {"n": 5, "delay": 0.001},
        "result": {"counted": 5},
    }
    assert done["attempts"] == 1 and done["cancel_requested"] is False
    assert done["created_at"] <= done["started_at"] <= done["finished_at"] <= done["updated_at"]


def test_progress_is_readable_while_running(client: TestClient, alice: dict, alice_id: int) -> None:
    gate = Gate()
    runner(client).register("read", gate.handler)
    job = runner(client).submit(owner_id=alice_id, kind="read")
    gate.wait_started()

    running = client.get(f"/api/jobs/{job.id}", headers=alice).json()
    assert (running["status"], running["step"], running["current"], running["total"]) == ("running", "reading", 2, 3)
    assert running["message"] == "Read 2 of 3 pages" and running["finished_at"] is None
    gate.release.set()
    assert wait_for_status(client, alice, job.id, "succeeded")["result"] == {"pages": 3}


def test_listing_is_newest_first_with_filters(client: TestClient, alice: dict, alice_id: int) -> None:
    runner(client).register("count", count_to)
    runner(client).register("refuse", refuse)
    first = runner(client).submit(owner_id=alice_id, kind="count", params={"n": 1})
    wait_for_status(client, alice, first.id, "succeeded")
    second = runner(client).submit(owner_id=alice_id, kind="refuse")
    wait_for_status(client, alice, second.id, "failed")

    assert [j["id"] for j in client.get("/api/jobs", headers=alice).json()] == [second.id, first.id]
    assert [j["id"] for j in client.get("/api/jobs?limit=1", headers=alice).json()] == [second.id]
    assert [j["id"] for j in client.get("/api/jobs?status=succeeded", headers=alice).json()] == [first.id]
    assert client.get("/api/jobs?status=running", headers=alice).json() == []
    bad = client.get("/api/jobs?status=done", headers=alice)
    assert bad.status_code == 422 and "status" in bad.json()["detail"]
    assert client.get("/api/jobs").status_code == 401


def test_failures_carry_human_errors(client: TestClient, alice: dict, alice_id: int) -> None:
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("lectern.jobs").addHandler(handler)
    try:
        runner(client).register("refuse", refuse)
        runner(client).register("crash", crash, doing="counting sheep")
        refused = runner(client).submit(owner_id=alice_id, kind="refuse")
        crashed = runner(client).submit(owner_id=alice_id, kind="crash")
        refused_row = wait_for_status(client, alice, refused.id, "failed")
        crashed_row = wait_for_status(client, alice, crashed.id, "failed")
    finally:
        logging.getLogger("lectern.jobs").removeHandler(handler)

    assert refused_row["error"] == "This file is not a PDF"
    assert crashed_row["error"] == "Something went wrong while counting sheep; the error has been logged"
    assert "internal detail" not in str(client.get("/api/jobs", headers=alice).json())
    assert refused_row["finished_at"] and refused_row["result"] is None
    logged = [r for r in records if r.exc_info]
    assert len(logged) == 1 and isinstance(logged[0].exc_info[1], ValueError)
    assert logged[0].job_id == crashed.id


def test_cancel_a_queued_job(client: TestClient, alice: dict, alice_id: int) -> None:
    """Every worker is busy, so the last job waits in the queue and is cancelled before it starts."""
    gate = Gate()
    workers = os.cpu_count() or 2
    runner(client).register("read", gate.handler)
    busy = [runner(client).submit(owner_id=alice_id, kind="read") for _ in range(workers)]
    gate.wait_started(workers)
    waiting = runner(client).submit(owner_id=alice_id, kind="read")

    cancelled = client.post(f"/api/jobs/{waiting.id}/cancel", headers=alice)
    assert cancelled.status_code == 202, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["message"]) == ("cancelled", "Cancelled")
    assert cancelled.json()["finished_at"] is not None
    gate.release.set()
    for job in busy:
        wait_for_status(client, alice, job.id, "succeeded")
    assert gate.calls == workers  # the cancelled job never ran
    row = client.get(f"/api/jobs/{waiting.id}", headers=alice).json()
    assert (row["status"], row["started_at"], row["attempts"]) == ("cancelled", None, 0)
    again = client.post(f"/api/jobs/{waiting.id}/cancel", headers=alice)
    assert again.status_code == 409 and "already finished" in again.json()["detail"]


def test_cancel_a_running_job_stops_it_at_its_next_progress(client: TestClient, alice: dict, alice_id: int) -> None:
    gate = Gate()
    runner(client).register("wait", gate.until_cancelled)
    job = runner(client).submit(owner_id=alice_id, kind="wait")
    gate.wait_started()

    asked = client.post(f"/api/jobs/{job.id}/cancel", headers=alice)
    reported_at_cancel = len(gate.reported)
    assert asked.status_code == 202
    assert (asked.json()["status"], asked.json()["cancel_requested"]) == ("running", True)

    final = wait_for_status(client, alice, job.id, "cancelled")
    # The handler stopped at once (one tick may have been between its progress call and the list).
    assert len(gate.reported) - reported_at_cancel <= 1
    assert final["current"] == gate.reported[-1] and final["message"] == "Cancelled"
    assert final["error"] is None and final["result"] is None and final["finished_at"] is not None
    time.sleep(0.05)
    assert client.get(f"/api/jobs/{job.id}", headers=alice).json() == final  # nothing written after
    assert client.post(f"/api/jobs/{job.id}/cancel", headers=alice).status_code == 409


def test_another_user_gets_404_on_jobs(client: TestClient, alice: dict, bob: dict, alice_id: int) -> None:
    gate = Gate()
    runner(client).register("read", gate.handler)
    job = runner(client).submit(owner_id=alice_id, kind="read")
    gate.wait_started()
    before = sql(client, "SELECT * FROM job WHERE id = ?", job.id)

    for method, path in (("GET", f"/api/jobs/{job.id}"), ("POST", f"/api/jobs/{job.id}/cancel")):
        response = client.request(method, path, headers=bob)
        assert (response.status_code, response.json()) == (404, {"detail": "Job not found"})
    assert client.get("/api/jobs", headers=bob).json() == []
    assert client.get("/api/jobs/999999", headers=alice).status_code == 404
    assert sql(client, "SELECT * FROM job WHERE id = ?", job.id) == before
    gate.release.set()
    assert wait_for_status(client, alice, job.id, "succeeded")["cancel_requested"] is False


def test_deleting_the_account_deletes_its_jobs(client: TestClient, alice: dict, alice_id: int) -> None:
    runner(client).register("count", count_to)
    job = runner(client).submit(owner_id=alice_id, kind="count", params={"n": 1})
    wait_for_status(client, alice, job.id, "succeeded")
    deleted = client.request("DELETE", "/api/users/me", json={"password": "correct horse battery"}, headers=alice)
    assert deleted.status_code == 204
    assert sql(client, "SELECT count(*) FROM job") == [(0,)]


def _settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, bcrypt_rounds=4, log_level="warning")


def test_a_job_interrupted_by_a_crash_is_requeued_and_resumed(tmp_path: Path) -> None:
    gate = Gate()
    with TestClient(create_app(_settings(tmp_path / "data"))) as first:
        headers = register(first, "alice@example.com")
        runner(first).register("import", gate.handler)
        job = runner(first).submit(owner_id=user_id(first, headers), kind="import", params={"file": "a.pdf"})
        gate.wait_started()
        db = db_file(first)
    # A graceful stop puts the running job back in the queue, without counting the start ...
    assert sql(db, "SELECT status, attempts, current FROM job WHERE id = ?", job.id) == [("queued", 0, 2)]
    # ... but a crash leaves it "running", as if the process had died under it.
    sql(db, "UPDATE job SET status = 'running', attempts = 1 WHERE id = ?", job.id)

    with TestClient(create_app(_settings(tmp_path / "data"))) as second:
        requeued = second.get(f"/api/jobs/{job.id}", headers=headers).json()
        assert (requeued["status"], requeued["message"]) == ("queued", "Resuming after a server restart")
        # It waits for its kind, registered after start-up, and then runs again.
        runner(second).register("import", lambda ctx: {"file": ctx.params["file"], "attempt": ctx.attempt})
        done = wait_for_status(second, headers, job.id, "succeeded")
    assert done["result"] == {"file": "a.pdf", "attempt": 2} and done["attempts"] == 2


def test_a_job_that_used_its_attempts_fails_at_start_up(tmp_path: Path) -> None:
    with TestClient(create_app(_settings(tmp_path / "data"))) as first:
        headers = register(first, "alice@example.com")
        runner(first).register("count", count_to)
        job = runner(first).submit(owner_id=user_id(first, headers), kind="count", params={"n": 1})
        wait_for_status(first, headers, job.id, "succeeded")
        db = db_file(first)
    sql(db, "UPDATE job SET status = 'running', attempts = 3, finished_at = NULL WHERE id = ?", job.id)

    with TestClient(create_app(_settings(tmp_path / "data"))) as second:
        runner(second).register("count", count_to)
        failed = second.get(f"/api/jobs/{job.id}", headers=headers).json()
    assert failed["status"] == "failed" and failed["attempts"] == 3 and failed["finished_at"] is not None
    assert failed["error"].startswith("The server stopped while this job was running, 3 times; it was given up.")
    assert sql(db, "SELECT count(*) FROM job WHERE status = 'running'") == [(0,)]


def test_job_threads_and_the_tesseracts_they_start_run_at_lower_priority(client: TestClient, alice: dict) -> None:
    def niceness(ctx: JobContext) -> dict:
        child = subprocess.run(["sh", "-c", "nice"], capture_output=True, text=True, check=True)
        return {"thread": os.getpriority(os.PRIO_PROCESS, threading.get_native_id()), "child": int(child.stdout)}

    runner = client.app.state.jobs
    runner.register("niceness", niceness)
    job = runner.submit(owner_id=user_id(client, alice), kind="niceness")
    done = wait_for_status(client, alice, job.id, "succeeded")
    base = os.getpriority(os.PRIO_PROCESS, 0)  # the test process: 0 unless started under nice
    assert done["result"] == {"thread": min(base + 10, 19), "child": min(base + 10, 19)}
