"""The admin's instance backup, taken while reviews are being written, restored with
`python main.py restore` into a new data dir, and an app started on it; bad archives refused."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from config import Settings
from main import create_app
from processing.interchange.backup import RestoreError, restore
from tests.conftest import ROOT, bearer, ingest, login, make_course, make_deck, sql, wait_for_job


def run_restore(archive: Path, data_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "main.py", "restore", str(archive), "--data-dir", str(data_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def take_backup(client: TestClient, headers: dict, target: Path) -> dict:
    response = client.post("/api/admin/backup", headers=headers)
    assert response.status_code == 202, response.text
    job = wait_for_job(client, headers, response.json()["id"])
    assert job["status"] == "succeeded", job
    download = client.get(job["result"]["download_url"], headers=headers)
    assert download.status_code == 200
    target.write_bytes(download.content)
    return job


def fill_deck(client: TestClient, headers: dict, count: int) -> int:
    deck = make_deck(client, headers, "Load")
    rows = "".join(f"Question {i},Answer {i}\n" for i in range(count)).encode()
    response = client.post(
        "/api/import/csv",
        files={"file": ("load.csv", rows, "text/csv")},
        data={"deck_id": str(deck), "mapping": json.dumps({"front": 0, "back": 1}), "has_header": "false"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return deck


class ReviewLoad(threading.Thread):
    """Rates the next card again and again (several reviews a second) until stopped."""

    def __init__(self, client: TestClient, headers: dict) -> None:
        super().__init__(daemon=True)
        self.client, self.headers = client, headers
        self.done, self.errors = 0, []
        self.stop = threading.Event()

    def run(self) -> None:
        card = self.client.get("/api/review/next", headers=self.headers).json()["card"]
        while card is not None and not self.stop.is_set():
            response = self.client.post(f"/api/review/{card['id']}", json={"rating": 3, "duration_ms": 700},
                                        headers=self.headers)  # fmt: skip
            if response.status_code != 200:
                self.errors.append(response.text)
                return
            self.done += 1
            card = response.json()["next"]["card"]
            time.sleep(0.02)


def test_backup_under_reviews_restores_to_a_working_instance(
    client: TestClient, alice: dict, bob: dict, text_pdf: Path, tmp_path: Path, shared_models_dir: Path
) -> None:
    response = client.post("/api/admin/backup", headers=bob)
    assert response.status_code == 403 and response.json()["detail"] == "Only the admin can do this"

    client.put("/api/users/me/settings", json={"new_cards_per_day": 9999}, headers=alice)
    fill_deck(client, alice, 400)
    lecture = ingest(client, alice, make_course(client, alice), "cells.pdf", text_pdf.read_bytes())
    png = io.BytesIO()
    Image.new("RGB", (16, 9), "green").save(png, "PNG")
    media = client.post("/api/media", files={"file": ("m.png", png.getvalue(), "image/png")}, headers=alice).json()
    media_bytes = client.get(f"/api/media/{media['id']}", headers=alice).content
    export = client.post("/api/account/export", headers=alice).json()
    assert wait_for_job(client, alice, export["id"])["status"] == "succeeded"
    first = take_backup(client, alice, tmp_path / "first.tar.gz")

    load = ReviewLoad(client, alice)
    load.start()
    while load.done < 10:
        assert load.is_alive(), load.errors
        time.sleep(0.01)
    before = load.done
    job = take_backup(client, alice, tmp_path / "backup.tar.gz")
    time.sleep(0.2)
    load.stop.set()
    load.join(timeout=30)
    assert not load.errors and load.done > before
    assert job["result"]["restore_command"].startswith("python main.py restore lectern-backup-")

    with tarfile.open(tmp_path / "backup.tar.gz") as tar:
        names = set(tar.getnames())
    assert {"lectern-backup/manifest.json", "lectern-backup/app.db", "lectern-backup/secret.key"} <= names
    assert f"lectern-backup/uploads/{lecture['id']}/original.pdf" in names
    assert f"lectern-backup/pages/{lecture['id']}/1.webp" in names
    alice_id = client.get("/api/users/me", headers=alice).json()["id"]
    assert f"lectern-backup/generated/{alice_id}/{first['result']['file_id']}.gz" not in names  # no backups
    assert not any(name.startswith(("lectern-backup/tmp", "lectern-backup/models")) for name in names)

    restored = tmp_path / "restored"
    result = run_restore(tmp_path / "backup.tar.gz", restored)
    assert result.returncode == 0, result.stderr
    assert "Restored the backup of" in result.stdout and f"LECTERN_DATA_DIR={restored} python main.py" in result.stdout
    again = run_restore(tmp_path / "backup.tar.gz", restored)
    assert again.returncode == 1 and "is not an empty folder" in again.stderr

    db = restored / "app.db"
    reviews = sql(db, "SELECT count(*) FROM review_log")[0][0]
    assert 10 <= reviews <= load.done
    # a consistent snapshot: every review is in its card's state, none half-written
    assert sql(db, "SELECT count(*) FROM card_state s WHERE s.reps != (SELECT count(*) FROM review_log r"
                   " WHERE r.card_id = s.card_id)") == [(0,)]  # fmt: skip
    assert sql(db, "SELECT status FROM job WHERE id = ?", job["id"]) == [("succeeded",)]
    assert sql(db, "SELECT kind FROM generated_file") == [("account",)]

    settings = Settings(data_dir=restored, bcrypt_rounds=4, log_level="warning", models_dir=shared_models_dir,
                        preload_model=False)  # fmt: skip
    with TestClient(create_app(settings)) as other:
        headers = bearer(login(other, "alice@example.com")["access_token"])
        assert other.get("/api/users/me", headers=alice).status_code == 200  # secret.key came along
        (deck,) = other.get("/api/decks", headers=headers).json()
        assert deck["name"] == "Load" and deck["card_count"] == 400
        assert len(other.get("/api/review/log", params={"limit": 500}, headers=headers).json()) == reviews
        card = other.get("/api/review/next", headers=headers).json()["card"]
        assert other.post(f"/api/review/{card['id']}", json={"rating": 4}, headers=headers).status_code == 200
        assert other.get(f"/api/lectures/{lecture['id']}/pages/1/image", headers=headers).status_code == 200
        assert other.get(f"/api/media/{media['id']}", headers=headers).content == media_bytes
        hits = other.get("/api/search", params={"q": "mitochondria"}, headers=headers).json()["results"]
        assert hits
        (account_file,) = other.get("/api/files", headers=headers).json()
        assert other.get(account_file["download_url"], headers=headers).status_code == 200
        assert (
            other.get("/api/review/log", headers=bearer(login(other, "bob@example.com")["access_token"])).json() == []
        )


def make_tar(path: Path, members: list[tuple[str, bytes | None, bytes]]) -> Path:
    """(name, data, type) members; type tarfile.REGTYPE / SYMTYPE (data is then the link target)."""
    with tarfile.open(path, "w:gz") as tar:
        for name, data, kind in members:
            info = tarfile.TarInfo(name)
            info.type = kind
            if kind == tarfile.SYMTYPE:
                info.linkname = data.decode()
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return path


MANIFEST = json.dumps({"format": "lectern-backup", "format_version": 1, "created_at": "2025-01-01T00:00:00Z",
                       "app_version": "0.1.0", "files": 0}).encode()  # fmt: skip


@pytest.mark.parametrize(
    ("members", "message"),
    [
        (
            [
                ("lectern-backup/manifest.json", MANIFEST, tarfile.REGTYPE),
                ("lectern-backup/../evil", b"x", tarfile.REGTYPE),
            ],
            "The archive holds an unsafe file name",
        ),
        (
            [("lectern-backup/manifest.json", MANIFEST, tarfile.REGTYPE), ("/etc/cron.d/x", b"x", tarfile.REGTYPE)],
            "The archive holds an unsafe file name",
        ),
        (
            [
                ("lectern-backup/manifest.json", MANIFEST, tarfile.REGTYPE),
                ("lectern-backup/uploads/link", b"/etc/passwd", tarfile.SYMTYPE),
            ],
            "is a link or a device",
        ),
        ([("lectern-backup/app.db", b"x", tarfile.REGTYPE)], "This archive is not a Lectern backup"),
        (
            [("lectern-backup/manifest.json", MANIFEST, tarfile.REGTYPE), ("other/x", b"x", tarfile.REGTYPE)],
            "is outside lectern-backup/",
        ),
        ([("lectern-backup/manifest.json", MANIFEST, tarfile.REGTYPE)], "This backup has no database"),
        (
            [
                ("lectern-backup/manifest.json", MANIFEST, tarfile.REGTYPE),
                ("lectern-backup/app.db", b"not sqlite" * 50, tarfile.REGTYPE),
            ],
            "The database in this backup",
        ),
    ],  # fmt: skip
)
def test_bad_backups_are_refused_and_leave_nothing(tmp_path: Path, members: list, message: str) -> None:
    archive = make_tar(tmp_path / "bad.tar.gz", members)
    target = tmp_path / "target"
    with pytest.raises(RestoreError) as caught:
        restore(archive, target)
    assert message in str(caught.value)
    assert not target.exists()
    assert not (tmp_path / "evil").exists()


def test_restore_cli_refuses_what_is_not_a_backup(tmp_path: Path) -> None:
    (tmp_path / "junk.tar.gz").write_bytes(b"definitely not a tar")
    result = run_restore(tmp_path / "junk.tar.gz", tmp_path / "target")
    assert result.returncode == 1 and "is not a Lectern backup (.tar.gz)" in result.stderr
    assert not (tmp_path / "target").exists()
