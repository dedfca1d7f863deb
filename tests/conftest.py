"""Shared fixtures: a real app on a real SQLite file in a temp dir, and a live server for the browser."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from config import Settings
from main import create_app

ROOT = Path(__file__).resolve().parent.parent
pytest_plugins = ["tests.documents"]  # fixtures that build real PDFs, slides and images

PASSWORD = "correct horse battery"


@pytest.fixture
def settings(tmp_path: Path, shared_models_dir: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        bcrypt_rounds=4,
        log_level="warning",
        models_dir=shared_models_dir,
        preload_model=False,
    )


@pytest.fixture(scope="session", autouse=True)
def shared_models_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One exported embedding model for the whole run (the export takes a while; apps share it),
    loaded when a test first needs it, not in the background of every app a test starts."""
    path = tmp_path_factory.mktemp("models")
    saved = {name: os.environ.get(name) for name in ("LECTERN_MODELS_DIR", "LECTERN_PRELOAD_MODEL")}
    os.environ.update(LECTERN_MODELS_DIR=str(path), LECTERN_PRELOAD_MODEL="false")
    yield path
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def register(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    """Registers an account and returns its Authorization header."""
    response = client.post("/api/auth/register", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def alice(client: TestClient) -> dict[str, str]:
    return register(client, "alice@example.com")


@pytest.fixture
def bob(client: TestClient, alice: dict[str, str]) -> dict[str, str]:
    return register(client, "bob@example.com")


def make_deck(client: TestClient, headers: dict[str, str], name: str = "Biology") -> int:
    response = client.post("/api/decks", json={"name": name}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def make_note(client: TestClient, headers: dict[str, str], deck_id: int, **fields) -> dict:
    body = {"deck_id": deck_id, "kind": "basic", "front": "Q", "back": "A", "tags": []} | fields
    response = client.post("/api/notes", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def login(client: TestClient, email: str, password: str = PASSWORD) -> dict:
    """Logs in and returns the whole TokenPair (asserting success)."""
    response = client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


def user_id(client: TestClient, headers: dict[str, str]) -> int:
    response = client.get("/api/users/me", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["id"]


def db_file(client: TestClient) -> Path:
    return client.app.state.settings.data_dir / "app.db"


def sql(client_or_path: TestClient | Path, statement: str, *params) -> list[tuple]:
    """Runs one statement on the app's SQLite file with a separate connection (committed) and returns its rows."""
    path = client_or_path if isinstance(client_or_path, Path) else db_file(client_or_path)
    with closing(sqlite3.connect(path, timeout=15)) as conn, conn:
        return conn.execute(statement, params).fetchall()


def sql_time(moment: datetime) -> str:
    """A datetime as the app stores it in SQLite (naive UTC text), for patching rows directly."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def api_routes(client: TestClient) -> list[tuple[str, str, APIRoute]]:
    """Every (method, full path, route) of the app's /api endpoints, from included routers too."""
    out = []
    for context in iter_route_contexts(client.app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and context.path.startswith("/api/"):
            out.extend((method, context.path, route) for method in sorted(context.methods))
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_server(tmp_path: Path, shared_models_dir: Path) -> Iterator[str]:
    """`python main.py` on a loopback port with an empty data dir, as a user would start it."""
    with serve(tmp_path / "live-data", models_dir=shared_models_dir, log_path=tmp_path / "server.log") as server:
        yield server.url


@dataclass
class Server:
    url: str
    process: subprocess.Popen


@contextmanager
def serve(data_dir: Path, *, models_dir: Path, log_path: Path, port: int | None = None) -> Iterator[Server]:
    """Runs `python main.py` until the block ends (terminated; a test may kill it first)."""
    port = port or free_port()
    env = os.environ | {
        "LECTERN_DATA_DIR": str(data_dir),
        "LECTERN_BCRYPT_ROUNDS": "4",
        "LECTERN_LOG_LEVEL": "warning",
        "LECTERN_MODELS_DIR": str(models_dir),
    }
    with log_path.open("ab") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "main.py", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start:\n{log_path.read_text()}")
                time.sleep(0.1)
            yield Server(url, proc)  # a test may kill the process
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()


# --- lectures ---------------------------------------------------------------------------------------


def make_course(client: TestClient, headers: dict[str, str], name: str = "Biology 101") -> int:
    response = client.post("/api/courses", json={"name": name}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def upload(client: TestClient, headers: dict[str, str], course_id: int, name: str, data: bytes, **fields):
    """POSTs one file as multipart; returns the response (the caller checks the status)."""
    return client.post(
        f"/api/courses/{course_id}/lectures",
        files={"file": (name, data, "application/octet-stream")},
        data=fields,
        headers=headers,
    )


def wait_for_job(client: TestClient, headers: dict[str, str], job_id: int, timeout: float = 120) -> dict:
    """Polls until the job has finished (any outcome); returns the job."""
    deadline = time.monotonic() + timeout
    while (job := client.get(f"/api/jobs/{job_id}", headers=headers).json())["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
    return job


def wait_for_lecture(client: TestClient, headers: dict[str, str], lecture_id: int, timeout: float = 120) -> dict:
    """Polls until the lecture's ingest has finished (any outcome); returns the lecture."""
    deadline = time.monotonic() + timeout
    while True:
        lecture = client.get(f"/api/lectures/{lecture_id}", headers=headers).json()
        if lecture["status"] not in ("queued", "processing"):
            return lecture
        assert time.monotonic() < deadline, f"lecture still {lecture['status']} after {timeout} s"
        time.sleep(0.05)


def ingest(client: TestClient, headers: dict[str, str], course_id: int, name: str, data: bytes) -> dict:
    """Uploads and waits for the lecture to be ready."""
    response = upload(client, headers, course_id, name, data)
    assert response.status_code == 202, response.text
    lecture = wait_for_lecture(client, headers, response.json()["lecture"]["id"])
    assert lecture["status"] == "ready", lecture
    return lecture
