"""Uploads waiting under data/imports/ for an import job are kept while the job may still run, and
swept at start-up once no queued or running job needs them (e.g. the job was cancelled while queued)."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from config import Settings
from main import create_app
from processing.interchange.jobs import sweep_imports
from tests.conftest import sql, user_id


def _queue_import(client: TestClient, owner: int, upload: str, status: str) -> None:
    sql(
        client,
        "INSERT INTO job (owner_id, kind, status, step, current, total, message, params, cancel_requested,"
        " attempts, created_at, updated_at) VALUES (?, 'account_import', ?, '', 0, 0, '', ?, 0, 0,"
        " '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000')",
        owner,
        status,
        json.dumps({"upload": upload, "filename": "export.zip"}),
    )


def test_sweep_keeps_what_unfinished_jobs_need(client: TestClient, alice: dict, settings: Settings) -> None:
    imports = settings.data_dir / "imports"
    (imports / "7").mkdir(parents=True)
    waiting, done, stray, nested = (
        imports / "waiting.zip",
        imports / "done.zip",
        imports / "stray.zip",
        imports / "7" / "old.apkg",
    )
    for path in (waiting, done, stray, nested):
        path.write_bytes(b"PK")
    owner = user_id(client, alice)
    _queue_import(client, owner, "waiting.zip", "queued")
    _queue_import(client, owner, "done.zip", "cancelled")

    removed = sweep_imports(client.app.state.db, client.app.state.storage)

    assert removed == 3
    assert waiting.exists()
    assert not done.exists() and not stray.exists() and not nested.exists()


def test_start_up_sweeps_uploads_of_cancelled_imports(settings: Settings) -> None:
    with TestClient(create_app(settings)):
        pass
    stray = settings.data_dir / "imports" / "cancelled-while-queued.zip"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"PK")
    with TestClient(create_app(settings)):
        assert not stray.exists()
