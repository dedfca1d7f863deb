"""Whole-account export and import: a real account (decks of every kind, reviews, a read lecture, a
conversation) exported as a zip, imported into a new account on a second instance with its own data
dir; and every kind of bad archive refused with nothing written."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from config import Settings
from main import create_app
from tests.conftest import ingest, make_course, make_deck, make_note, register, sql, wait_for_job, wait_for_lecture

FINISHED = ("succeeded", "failed", "cancelled")


def export_account(client: TestClient, headers: dict) -> bytes:
    response = client.post("/api/account/export", headers=headers)
    assert response.status_code == 202, response.text
    job = wait_for_job(client, headers, response.json()["id"])
    assert job["status"] == "succeeded", job
    download = client.get(job["result"]["download_url"], headers=headers)
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    return download.content


def post_import(client: TestClient, headers: dict, data: bytes, name: str = "export.zip"):
    return client.post("/api/account/import", files={"file": (name, data, "application/zip")}, headers=headers)


def rewritten(data: bytes, *, drop: str | None = None, replace: dict[str, bytes] | None = None) -> bytes:
    """The zip with one member dropped and/or some replaced or added."""
    replace = replace or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename != drop and info.filename not in replace:
                dst.writestr(info, src.read(info))
        for name, content in replace.items():
            dst.writestr(name, content)
    return out.getvalue()


@pytest.fixture
def second_app(tmp_path: Path, shared_models_dir: Path) -> Iterator[TestClient]:
    """Another instance on its own data dir."""
    settings = Settings(data_dir=tmp_path / "other", bcrypt_rounds=4, log_level="warning",
                        models_dir=shared_models_dir, preload_model=False)  # fmt: skip
    with TestClient(create_app(settings)) as other:
        yield other


def build_account(client: TestClient, headers: dict, pdf: bytes) -> dict:
    client.put("/api/users/me/settings", json={"desired_retention": 0.85, "new_cards_per_day": 7}, headers=headers)
    deck = make_deck(client, headers, "Biology")
    make_deck(client, headers, "Empty deck")
    make_note(client, headers, deck, front="What is ATP?", back="The cell's energy currency", tags=["cell"])
    make_note(client, headers, deck, kind="cloze", front="{{c1::Mitochondria}} make {{c2::ATP}}")
    make_note(client, headers, deck, kind="reversed", front="Zelle", back="cell", tags=["de"])
    make_note(client, headers, deck, kind="typein", front="Symbol of water?", back="H2O")
    for rating in (3, 4, 1, 3):
        card = client.get("/api/review/next", headers=headers).json()["card"]
        response = client.post(
            f"/api/review/{card['id']}", json={"rating": rating, "duration_ms": 900}, headers=headers
        )
        assert response.status_code == 200, response.text
    lecture = ingest(client, headers, make_course(client, headers, "Cell biology"), "cells.pdf", pdf)
    conversation = client.post("/api/conversations", json={"scope": "lecture", "lecture_id": lecture["id"]},
                               headers=headers).json()  # fmt: skip
    response = client.post(f"/api/conversations/{conversation['id']}/messages",
                           json={"question": "What do mitochondria do?"}, headers=headers)  # fmt: skip
    assert response.status_code == 202, response.text
    deadline = time.monotonic() + 60
    while (detail := client.get(f"/api/conversations/{conversation['id']}", headers=headers).json())["messages"][-1][
        "status"
    ] == "streaming":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return {"deck": deck, "lecture": lecture, "conversation": detail}


def snapshot(client: TestClient, headers: dict) -> dict:
    """What the user sees of their account, without ids."""
    decks = sorted(
        (d["name"], d["note_count"], d["card_count"]) for d in client.get("/api/decks", headers=headers).json()
    )
    uid = client.get("/api/users/me", headers=headers).json()["id"]
    states = sorted(
        sql(
            client,
            "SELECT n.front, c.ord, c.front_html, s.state, s.due, s.stability, s.difficulty, s.reps, s.lapses"
            " FROM card_state s JOIN card c ON c.id = s.card_id JOIN note n ON n.id = c.note_id WHERE s.user_id = ?"
            " AND s.state > 0",
            uid,
        )
    )
    notes = sorted(
        sql(
            client,
            "SELECT d.name, n.kind, n.front, n.back, n.tags FROM note n JOIN deck d ON d.id = n.deck_id"
            " WHERE n.owner_id = ?",
            uid,
        )  # fmt: skip
    )
    reviews = sql(client, "SELECT rating, reviewed_at, duration_ms, state_before FROM review_log WHERE user_id = ?"
                          " ORDER BY reviewed_at", uid)  # fmt: skip
    conversations = []
    for summary in client.get("/api/conversations", headers=headers).json():
        detail = client.get(f"/api/conversations/{summary['id']}", headers=headers).json()
        messages = [
            (m["role"], m["content"], [(c["n"], c["lecture_title"], c["page"], c["quote"]) for c in m["citations"]])
            for m in detail["messages"]
        ]
        conversations.append((detail["title"], detail["scope"], detail["scope_label"], messages))
    lectures = sorted((lec["title"], lec["filename"], lec["page_count"])
                      for lec in client.get("/api/lectures", headers=headers).json())  # fmt: skip
    settings = client.get("/api/users/me", headers=headers).json()["settings"]
    return dict(decks=decks, states=states, notes=notes, reviews=reviews, conversations=conversations,
                lectures=lectures, settings=settings)  # fmt: skip


def test_export_then_import_into_a_fresh_instance_restores_the_account(
    client: TestClient, alice: dict, text_pdf: Path, second_app: TestClient
) -> None:
    built = build_account(client, alice, text_pdf.read_bytes())
    before = snapshot(client, alice)
    assert len(before["reviews"]) == 4 and before["states"] and before["conversations"][0][3][1][2]
    data = export_account(client, alice)

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("account.json"))
        assert f"files/lectures/{built['lecture']['id']}/original.pdf" in names
        assert archive.read(f"files/lectures/{built['lecture']['id']}/original.pdf") == text_pdf.read_bytes()
        assert b"password" not in archive.read("account.json")
        pages = json.loads(archive.read("lecture_pages.json"))
    assert manifest["format"] == "lectern-account" and manifest["format_version"] == 1
    assert manifest["user"]["email"] == "alice@example.com"
    assert manifest["counts"]["review_log"] == 4 and manifest["counts"]["notes"] == 4
    assert pages and all(page["text"] for page in pages)

    carol = register(second_app, "carol@example.com")
    response = post_import(second_app, carol, data)
    assert response.status_code == 202, response.text
    job = wait_for_job(second_app, carol, response.json()["id"])
    assert job["status"] == "succeeded", job
    assert job["result"] == {"decks": 2, "notes": 4, "cards": 6, "reviews": 4, "lectures": 1, "conversations": 1,
                             "reingesting": 1}  # fmt: skip
    (lecture,) = second_app.get("/api/lectures", headers=carol).json()
    assert wait_for_lecture(second_app, carol, lecture["id"])["status"] == "ready"
    after = snapshot(second_app, carol)
    assert after == before
    hits = second_app.get("/api/search", params={"q": "mitochondria"}, headers=carol).json()["results"]
    assert hits and hits[0]["lecture_id"] == lecture["id"]
    # the imported account reviews on: a due card can be rated
    card = second_app.get("/api/review/next", headers=carol).json()["card"]
    assert second_app.post(f"/api/review/{card['id']}", json={"rating": 3, "duration_ms": 500},
                           headers=carol).status_code == 200  # fmt: skip
    # and an account that now holds decks refuses a second import
    response = post_import(second_app, carol, data)
    assert response.status_code == 409
    assert response.json()["detail"].startswith("Import into a new, empty account")
    assert not list((second_app.app.state.settings.data_dir / "imports").iterdir())
    assert not list((second_app.app.state.settings.data_dir / "tmp").glob("account-import-*"))


@pytest.fixture
def small_export(client: TestClient, alice: dict) -> bytes:
    deck = make_deck(client, alice, "Small")
    make_note(client, alice, deck, front="One", back="1")
    return export_account(client, alice)


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"data": b"not a zip at all"}, 400, "This file is not a zip archive"),
        ({"drop": "account.json"}, 400, "This zip is not a Lectern account export: it has no account.json"),
        ({"manifest": {"format_version": 99}}, 400, "This account export has format version 99"),
        ({"manifest": {"format": "something-else"}}, 400, "This zip is not a Lectern account export"),
        ({"add": {"../../evil.txt": b"x"}}, 400, "The archive holds an unsafe file name ('../../evil.txt')"),
        ({"add": {"/etc/passwd": b"x"}}, 400, "The archive holds an unsafe file name"),
        ({"add": {"files/lectures/1/../../x": b"x"}}, 400, "The archive holds an unsafe file name"),
    ],
)
def test_bad_archives_are_refused_at_once(
    client: TestClient, alice: dict, small_export: bytes, change: dict, status: int, message: str
) -> None:
    data = change.get("data") or small_export
    replace = {}
    if "manifest" in change:
        manifest = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("account.json")) | change["manifest"]
        replace["account.json"] = json.dumps(manifest).encode()
    replace |= change.get("add", {})
    if "data" not in change:
        data = rewritten(data, drop=change.get("drop"), replace=replace)
    dave = register(client, "dave@example.com")
    response = post_import(client, dave, data)
    assert response.status_code == status, response.text
    assert response.json()["detail"].startswith(message)
    assert sql(client, "SELECT count(*) FROM job WHERE kind = 'account_import'") == [(0,)]
    assert not list((client.app.state.settings.data_dir / "tmp").glob("*.upload"))


def test_a_damaged_table_fails_the_job_and_writes_nothing(client: TestClient, alice: dict, small_export: bytes) -> None:
    dave = register(client, "dave@example.com")
    cases = [
        ({"notes.json": b"[{not json"}, "notes.json cannot be read"),
        ({"notes.json": json.dumps([{"id": 1, "deck_id": 999, "kind": "basic", "front": "x"}]).encode()},
         "a row cannot be read"),
        ({"notes.json": json.dumps([{"id": 1, "deck_id": 1, "kind": "cloze", "front": "no deletion"}]).encode()},
         "The account export holds a note Lectern cannot show"),
    ]  # fmt: skip
    for replace, message in cases:
        response = post_import(client, dave, rewritten(small_export, replace=replace))
        assert response.status_code == 202, response.text
        job = wait_for_job(client, dave, response.json()["id"])
        assert job["status"] == "failed" and message in job["error"], job
        dave_id = client.get("/api/users/me", headers=dave).json()["id"]
        assert sql(client, "SELECT count(*) FROM deck WHERE owner_id = ?", dave_id) == [(0,)]
        assert sql(client, "SELECT count(*) FROM note WHERE owner_id = ?", dave_id) == [(0,)]
    missing = rewritten(small_export, drop="decks.json")
    job = wait_for_job(client, dave, post_import(client, dave, missing).json()["id"])
    assert job["status"] == "failed" and "decks.json is missing" in job["error"]
    assert not list((client.app.state.settings.data_dir / "imports").iterdir())


def test_import_into_an_account_with_decks_is_refused(client: TestClient, alice: dict, small_export: bytes) -> None:
    response = post_import(client, alice, small_export)
    assert response.status_code == 409
    assert response.json()["detail"].startswith("Import into a new, empty account")


def test_exports_are_the_owners_only(client: TestClient, alice: dict, bob: dict) -> None:
    make_deck(client, alice)
    response = client.post("/api/account/export", headers=alice)
    job = wait_for_job(client, alice, response.json()["id"])
    file_id = job["result"]["file_id"]
    assert client.get(f"/api/files/{file_id}/download", headers=bob).status_code == 404
    assert client.get(f"/api/jobs/{job['id']}", headers=bob).status_code == 404
    assert [f["kind"] for f in client.get("/api/files", headers=alice).json()] == ["account"]
    assert client.get("/api/files", headers=bob).json() == []


def test_card_media_moves_with_the_account(client: TestClient, alice: dict, second_app: TestClient) -> None:
    from PIL import Image

    picture = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "Test Camera"
    Image.new("RGB", (30, 20), "purple").save(picture, "JPEG", exif=exif)
    uploaded = client.post("/api/media", files={"file": ("cell.jpg", picture.getvalue(), "image/jpeg")}, headers=alice)
    assert uploaded.status_code == 201, uploaded.text
    media = uploaded.json()
    deck = make_deck(client, alice, "With media")
    note = make_note(client, alice, deck, front=f"Which cell? {media['reference']}", back="Red blood cell")
    stored = client.get(f"/api/media/{media['id']}", headers=alice).content
    data = export_account(client, alice)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.read(f"files/media/{media['id']}.jpg") == stored
        assert json.loads(archive.read("media.json"))[0]["original_name"] == "cell.jpg"

    carol = register(second_app, "carol@example.com")
    dave = register(second_app, "dave@example.com")
    other = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(other, "PNG")  # so the media ids differ between the instances
    assert (
        second_app.post(
            "/api/media", files={"file": ("w.png", other.getvalue(), "image/png")}, headers=dave
        ).status_code
        == 201
    )
    response = post_import(second_app, carol, data)
    assert response.status_code == 202, response.text
    assert wait_for_job(second_app, carol, response.json()["id"])["status"] == "succeeded"
    library = second_app.get("/api/media", headers=carol).json()
    (copy,) = library["items"]
    assert copy["original_name"] == "cell.jpg" and library["usage"]["used_bytes"] == len(stored)
    assert second_app.get(f"/api/media/{copy['id']}", headers=carol).content == stored
    (imported,) = second_app.get("/api/notes", headers=carol).json()["items"]
    assert imported["front"] == note["front"].replace(f"media:{media['id']}", f"media:{copy['id']}")
    assert copy["id"] != media["id"]
    card = sql(second_app, "SELECT front_html FROM card WHERE note_id = ?", imported["id"])[0][0]
    assert f'data-media="{copy["id"]}"' in card
    assert sql(second_app, "SELECT media_id FROM note_media WHERE note_id = ?", imported["id"]) == [(copy["id"],)]
