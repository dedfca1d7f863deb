"""Files made for download: stored by rename with their row, listed newest first, served with their
name, deleted with their bytes, and only ever to their owner."""

from __future__ import annotations

from fastapi.testclient import TestClient

from models.generated import GeneratedKind
from processing.generated import download_name, save_generated
from tests.conftest import user_id


def make_file(client: TestClient, headers: dict, title: str, data: bytes, *, kind=GeneratedKind.quiz) -> dict:
    storage = client.app.state.storage
    source = storage.temp_file(suffix=".pdf")
    source.write_bytes(data)
    with client.app.state.db.session(write=True) as session:
        row = save_generated(
            session,
            storage=storage,
            owner_id=user_id(client, headers),
            kind=kind,
            title=title,
            filename=f"{title}.pdf",
            media_type="application/pdf",
            source=source,
        )
    assert not source.exists()
    return {"id": row.id, "path": storage.generated_path(row.owner_id, row.id, "pdf")}


def test_a_file_is_listed_downloaded_and_deleted(client: TestClient, alice: dict) -> None:
    first = make_file(client, alice, "Quiz one", b"%PDF-1.4 first")
    second = make_file(client, alice, "Guide", b"%PDF-1.4 second", kind=GeneratedKind.guide)
    listed = client.get("/api/files", headers=alice).json()
    assert [f["id"] for f in listed] == [second["id"], first["id"]]
    assert listed[1] | {"created_at": None} == {
        "id": first["id"],
        "kind": "quiz",
        "title": "Quiz one",
        "filename": "Quiz one.pdf",
        "media_type": "application/pdf",
        "size_bytes": 14,
        "job_id": None,
        "created_at": None,
        "download_url": f"/api/files/{first['id']}/download",
    }
    assert [f["id"] for f in client.get("/api/files?kind=guide", headers=alice).json()] == [second["id"]]
    download = client.get(f"/api/files/{first['id']}/download", headers=alice)
    assert download.status_code == 200 and download.content == b"%PDF-1.4 first"
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"] == "attachment; filename*=utf-8''Quiz%20one.pdf"
    assert client.delete(f"/api/files/{first['id']}", headers=alice).status_code == 204
    assert not first["path"].exists()
    gone = client.get(f"/api/files/{first['id']}/download", headers=alice)
    assert (gone.status_code, gone.json()) == (404, {"detail": "File not found"})


def test_a_missing_file_says_so(client: TestClient, alice: dict) -> None:
    made = make_file(client, alice, "Lost", b"%PDF")
    made["path"].unlink()
    response = client.get(f"/api/files/{made['id']}/download", headers=alice)
    assert (response.status_code, response.json()) == (
        404,
        {"detail": "This file is missing from the data volume; make it again"},
    )


def test_download_names_keep_words_and_drop_the_rest() -> None:
    assert download_name("Quiz: Greek & math", "pdf") == "Quiz Greek math.pdf"
    assert download_name("Ωμέγα / ../../etc", "apkg") == "Ωμέγα etc.apkg"
    assert download_name("  ?!  ", "csv", fallback="deck") == "deck.csv"
    assert len(download_name("x" * 300, "zip")) == 104
