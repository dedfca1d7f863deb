"""Anki interchange end to end: .apkg export read back with sqlite3 as Anki would, import (of our own
export, and of genanki-built packages with a review log), a 10,000-note import as a job, bad input."""

from __future__ import annotations

import hashlib
import html
import io
import json
import re
import sqlite3
import time
import zipfile
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import genanki
import pytest
from fastapi.testclient import TestClient
from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler

from models.note import NoteKind
from processing.render import render_cards
from tests.conftest import ingest, make_course, make_deck, make_note, register, sql, user_id, wait_for_job
from tests.test_ws import connected

FINISHED = {"succeeded", "failed", "cancelled"}


# --- helpers ------------------------------------------------------------------------------------------


def export(client: TestClient, headers: dict, deck_id: int, **body) -> tuple[dict, bytes]:
    response = client.post(f"/api/decks/{deck_id}/export/apkg", json=body, headers=headers)
    assert response.status_code == 202, response.text
    assert response.json()["kind"] == "apkg_export"
    job = wait_for_job(client, headers, response.json()["id"])
    assert job["status"] == "succeeded", job
    download = client.get(f"/api/files/{job['result']['file_id']}/download", headers=headers)
    assert download.status_code == 200
    return job, download.content


def upload_apkg(client: TestClient, headers: dict, data: bytes, name: str = "deck.apkg", **query):
    return client.post(
        "/api/decks/import/apkg",
        files={"file": (name, data, "application/octet-stream")},
        params=query,
        headers=headers,
    )


def import_apkg(client: TestClient, headers: dict, data: bytes, **query) -> dict:
    response = upload_apkg(client, headers, data, **query)
    assert response.status_code == 202, response.text
    assert response.json()["kind"] == "apkg_import"
    return wait_for_job(client, headers, response.json()["id"])


def open_collection(package: bytes, tmp_path: Path) -> tuple[sqlite3.Connection, zipfile.ZipFile]:
    archive = zipfile.ZipFile(io.BytesIO(package))
    path = tmp_path / f"collection-{time.monotonic_ns()}.anki2"
    path.write_bytes(archive.read("collection.anki2"))
    return sqlite3.connect(path), archive


def anki_checksum(text: str) -> int:
    """Anki's fieldChecksum, written out independently of the exporter."""
    plain = html.unescape(re.sub(r"<[^>]*>", "", text)).strip()
    return int(hashlib.sha1(plain.encode()).hexdigest()[:8], 16)


def decks_of(client: TestClient, headers: dict) -> dict[str, dict]:
    return {d["name"]: d for d in client.get("/api/decks", headers=headers).json()}


def notes_of(client: TestClient, headers: dict, deck_id: int) -> list[dict]:
    page = client.get("/api/notes", params={"deck_id": deck_id, "page_size": 100}, headers=headers).json()
    return sorted(page["items"], key=lambda n: n["id"])


def rendered(note: dict) -> list[tuple[int, str, str]]:
    return [(c.ord, c.front_html, c.back_html) for c in render_cards(**{k: note[k] for k in ("kind", "front", "back")})]


# --- export -------------------------------------------------------------------------------------------

KINDS = [
    {"kind": "basic", "front": "Area of a circle: $\\pi r^2$?", "back": "It is **$\\pi r^2$** & more", "tags": ["geo"]},
    {"kind": "reversed", "front": "perro", "back": "dog", "tags": ["spanish", "animals"]},
    {
        "kind": "cloze",
        "front": "The {{c1::mitochondria}} makes {{c2::ATP::energy molecule}}.",
        "back": "Cell biology",
        "tags": [],
    },
    {"kind": "typein", "front": "Capital of France?", "back": "Paris", "tags": ["geo"]},
]


@pytest.fixture
def exported(client: TestClient, alice: dict, text_pdf: Path) -> dict:
    """Alice's deck with every card kind and a note citing page 1 of an ingested lecture, exported."""
    lecture = ingest(client, alice, make_course(client, alice), "cells.pdf", text_pdf.read_bytes())
    deck_id = make_deck(client, alice, "Biology")
    notes = [make_note(client, alice, deck_id, **fields) for fields in KINDS]
    cited = make_note(client, alice, deck_id, front="What does page 1 say?", back="Cells")
    sql(client, "UPDATE note SET source_lecture_id = ?, source_page = 1 WHERE id = ?", lecture["id"], cited["id"])
    job, package = export(client, alice, deck_id)
    return {"deck_id": deck_id, "notes": [*notes, cited], "lecture": lecture, "job": job, "package": package}


def test_export_is_a_collection_anki_can_read(client: TestClient, alice: dict, exported: dict, tmp_path: Path) -> None:
    conn, archive = open_collection(exported["package"], tmp_path)
    assert exported["job"]["result"] | {"file_id": 0} == {
        "deck_id": exported["deck_id"], "file_id": 0, "notes": 5, "cards": 7, "media": 1, "images_missing": 0
    }  # fmt: skip
    ver, models_json, decks_json = conn.execute("SELECT ver, models, decks FROM col").fetchone()
    assert ver == 11
    models = {m["name"]: m for m in json.loads(models_json).values()}
    assert set(models) == {
        "Basic (Lectern)", "Basic (and reversed card) (Lectern)", "Cloze (Lectern)",
        "Basic (type in the answer) (Lectern)",
    }  # fmt: skip
    for model in models.values():
        assert [f["name"] for f in model["flds"]][-1] == "Source"
        assert model["sortf"] == 0 and model["tmpls"] and all(t["qfmt"] and t["afmt"] for t in model["tmpls"])
    cloze, reversed_, typein = (
        models["Cloze (Lectern)"], models["Basic (and reversed card) (Lectern)"],
        models["Basic (type in the answer) (Lectern)"],
    )  # fmt: skip
    assert cloze["type"] == 1 and "{{cloze:Text}}" in cloze["tmpls"][0]["qfmt"]
    assert [f["name"] for f in cloze["flds"]] == ["Text", "Back Extra", "Source"]
    assert reversed_["type"] == 0 and [t["qfmt"] for t in reversed_["tmpls"]] == ["{{Front}}", "{{Back}}"]
    assert reversed_["req"] == [[0, "all", [0]], [1, "all", [1]]]
    assert "{{type:Back}}" in typein["tmpls"][0]["qfmt"]
    (deck,) = [d for d in json.loads(decks_json).values() if d["name"] == "Biology"]

    rows = conn.execute("SELECT id, guid, mid, flds, sfld, csum, tags FROM notes ORDER BY id").fetchall()
    assert len(rows) == 5 and len({r[1] for r in rows}) == 5
    by_model = {int(m["id"]): m["name"] for m in models.values()}
    fields = {by_model[mid]: flds.split("\x1f") for _, _, mid, flds, _, _, _ in rows[:4]}
    for _, _, _, flds, sfld, csum, _ in rows:
        first = flds.split("\x1f")[0]
        assert sfld == html.unescape(re.sub(r"<[^>]*>", "", first)).strip()
        assert csum == anki_checksum(first) != 0
    assert fields["Basic (Lectern)"][0] == "<p>Area of a circle: \\(\\pi r^2\\)?</p>"
    assert fields["Basic (Lectern)"][1] == "<p>It is <strong>\\(\\pi r^2\\)</strong> &amp; more</p>"
    assert fields["Cloze (Lectern)"][0] == "<p>The {{c1::mitochondria}} makes {{c2::ATP::energy molecule}}.</p>"
    assert fields["Basic (type in the answer) (Lectern)"][:2] == ["<p>Capital of France?</p>", "<p>Paris</p>"]
    assert [r[6] for r in rows[:2]] == [" geo ", " animals spanish "]
    lecture = exported["lecture"]
    source = rows[4][3].split("\x1f")[2]
    media_name = f"lectern-{lecture['id']}-p1.webp"
    assert source == f'{html.escape(lecture["title"])}, p. 1<br><img src="{media_name}">'
    assert all(flds.split("\x1f")[2] == "" for _, _, _, flds, *_ in rows[:4])

    cards = conn.execute("SELECT nid, ord, did FROM cards ORDER BY nid, ord").fetchall()
    assert {did for *_, did in cards} == {deck["id"]}
    ords = {}
    for nid, ord_, _ in cards:
        ords.setdefault(nid, []).append(ord_)
    assert [ords[r[0]] for r in rows] == [[0], [0, 1], [0, 1], [0], [0]]

    assert json.loads(archive.read("media")) == {"0": media_name}
    image = client.get(f"/api/lectures/{lecture['id']}/pages/1/image", headers=alice).content
    assert archive.read("0") == image and image[8:12] == b"WEBP"


def test_guids_are_stable_and_a_selection_exports_only_it(
    client: TestClient, alice: dict, exported: dict, tmp_path: Path
) -> None:
    first, _ = open_collection(exported["package"], tmp_path)
    guids = dict(first.execute("SELECT sfld, guid FROM notes").fetchall())
    chosen = exported["notes"][1]["id"]
    job, package = export(client, alice, exported["deck_id"], note_ids=[chosen], include_source_images=False)
    again, archive = open_collection(package, tmp_path)
    assert again.execute("SELECT sfld, guid FROM notes").fetchall() == [("perro", guids["perro"])]
    assert json.loads(archive.read("media")) == {} and job["result"]["media"] == 0
    listed = client.get("/api/files", params={"kind": "apkg"}, headers=alice).json()
    assert [f["filename"] for f in listed] == ["Biology.apkg", "Biology.apkg"]


def test_round_trip_into_another_account(client: TestClient, alice: dict, exported: dict) -> None:
    bob = register(client, "bob@example.com")
    job = import_apkg(client, bob, exported["package"])
    assert job["status"] == "succeeded", job
    result = job["result"]
    counts = ("notes", "cards", "skipped", "media_imported", "media_missing", "media_refused")
    assert tuple(result[k] for k in counts) == (5, 7, 0, 1, 0, 0)
    deck = decks_of(client, bob)["Biology"]
    assert result["decks"] == [{"id": deck["id"], "name": "Biology", "notes": 5}]
    assert (deck["note_count"], deck["card_count"], deck["new_count"]) == (5, 7, 7)
    mine = notes_of(client, alice, exported["deck_id"])
    theirs = notes_of(client, bob, deck["id"])
    for original, copy in zip(mine[:4], theirs[:4], strict=True):
        assert (copy["kind"], copy["tags"]) == (original["kind"], original["tags"])
        assert rendered(copy) == rendered(original)
    assert theirs[2]["front"] == KINDS[2]["front"]  # the cloze is intact, hint and all
    assert theirs[0]["front"] == KINDS[0]["front"]  # math back to $…$
    cited = theirs[4]
    assert cited["back"].startswith("Cells\n\n**Source:** ")
    page_image = f"lectern-{exported['lecture']['id']}-p1"
    assert re.search(rf", p\. 1<br>!\[{page_image}\]\(media:\d+\)$", cited["back"]), cited["back"]
    again = import_apkg(client, bob, exported["package"])
    assert again["result"]["decks"][0]["name"] == "Biology (2)"


# --- import of packages made elsewhere ------------------------------------------------------------------


def genanki_package(path: Path, notes: list[tuple[genanki.Model, list[str], list[str], str]]) -> Path:
    """(model, fields, tags, deck name) per note → an .apkg written by genanki."""
    decks: dict[str, genanki.Deck] = {}
    for model, fields, tags, deck_name in notes:
        deck = decks.setdefault(deck_name, genanki.Deck(2_000_000 + len(decks), deck_name))
        deck.add_note(genanki.Note(model=model, fields=fields, tags=tags))
    genanki.Package(list(decks.values())).write_to_file(path, timestamp=1_700_000_000)
    return path


def rewrite_collection(package: Path, change) -> bytes:
    """Runs `change(conn)` on the package's collection and returns the new package bytes."""
    with zipfile.ZipFile(package) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    db = package.with_suffix(".db")
    db.write_bytes(members["collection.anki2"])
    with closing(sqlite3.connect(db)) as conn, conn:
        change(conn)
    members["collection.anki2"] = db.read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


DAY_MS = 86_400_000
T0 = 1_700_000_000_000  # 2023-11-14, ms


def test_import_with_review_history_and_a_suspended_card(client: TestClient, alice: dict, tmp_path: Path) -> None:
    make_deck(client, alice, "Spanish")  # taken: the import is named "Spanish (2)"
    package = genanki_package(
        tmp_path / "history.apkg",
        [
            (genanki.BASIC_AND_REVERSED_CARD_MODEL, ["perro", "dog"], ["es", "animals"], "Spanish"),
            (genanki.BASIC_MODEL, ["gato", "cat"], ["es"], "Spanish"),
            (genanki.CLOZE_MODEL, ["{{c1::Madrid}} is in {{c2::Spain}}", ""], ["geo"], "Spanish::Places"),
            (genanki.BASIC_TYPE_IN_THE_ANSWER_MODEL, ["hola?", "hello"], [], "Spanish"),
        ],
    )
    # Anki's revlog: id = answered at (ms), ease 1–4, time taken (ms), type 0 learn / 1 review / 2 relearn.
    reviews = {  # (note's sort field, card ord) → [(day, ease, ms, type)]
        ("perro", 0): [(0, 3, 4000, 0), (1, 3, 3000, 1), (4, 1, 9000, 1), (4.01, 3, 2000, 2), (6, 4, 1500, 1)],
        ("perro", 1): [(0, 2, 5000, 0)],
        ("gato", 0): [(0, 3, 2500, 0), (2, 0, 0, 4)],  # a manual reschedule is not a review
    }

    def add_history(conn: sqlite3.Connection) -> None:
        conn.execute("""UPDATE col SET conf = json_set(conf, '$.schedVer', 2)""")
        for offset, ((sfld, ord_), rows) in enumerate(reviews.items()):
            (cid,) = conn.execute(
                "SELECT cards.id FROM cards JOIN notes ON notes.id = cards.nid WHERE notes.sfld = ? AND ord = ?",
                (sfld, ord_),
            ).fetchone()
            for day, ease, ms, kind in rows:
                conn.execute(
                    "INSERT INTO revlog VALUES (?, ?, -1, ?, 0, 0, 0, ?, ?)",
                    (T0 + int(day * DAY_MS) + offset, cid, ease, ms, kind),
                )
        conn.execute("UPDATE cards SET queue = -1 WHERE nid = (SELECT id FROM notes WHERE sfld = 'gato')")

    job = import_apkg(client, alice, rewrite_collection(package, add_history))
    assert job["status"] == "succeeded", job
    result = job["result"]
    assert (result["notes"], result["cards"], result["reviews"], result["suspended"]) == (4, 6, 7, 1)
    decks = decks_of(client, alice)
    assert {d["name"]: d["notes"] for d in result["decks"]} == {"Spanish (2)": 3, "Spanish::Places": 1}
    notes = notes_of(client, alice, decks["Spanish (2)"]["id"])
    assert [(n["kind"], n["front"], n["back"], n["tags"]) for n in notes] == [
        ("reversed", "perro", "dog", ["animals", "es"]),
        ("basic", "gato", "cat", ["es"]),
        ("typein", "hola?", "hello", []),
    ]
    (cloze,) = notes_of(client, alice, decks["Spanish::Places"]["id"])
    assert (cloze["kind"], [c["ord"] for c in cloze["cards"]]) == ("cloze", [1, 2])

    perro_card = notes[0]["cards"][0]["id"]
    logs = sql(
        client,
        "SELECT rating, reviewed_at, duration_ms, state_before FROM review_log WHERE card_id = ? ORDER BY id",
        perro_card,
    )
    days = [0, 1, 4, 4.01, 6]
    assert [r[0] for r in logs] == [3, 3, 1, 3, 4] and [r[2] for r in logs] == [4000, 3000, 9000, 2000, 1500]
    at = [datetime.fromtimestamp((T0 + int(d * DAY_MS)) / 1000, tz=UTC) for d in days]
    assert [r[1] for r in logs] == [t.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds") for t in at]
    assert logs[0][3] == 0  # the first review was of a new card
    # The state is what py-fsrs gives for the same reviews in the same order.
    scheduler, card = Scheduler(enable_fuzzing=False), FsrsCard(card_id=1)
    for moment, rating in zip(at, [3, 3, 1, 3, 4], strict=True):
        card, _ = scheduler.review_card(card, Rating(rating), review_datetime=moment)
    state, stability, reps, lapses, due, suspended = sql(
        client,
        "SELECT state, stability, reps, lapses, due, suspended FROM card_state WHERE card_id = ?",
        perro_card,
    )[0]
    assert (state, reps, lapses, suspended) == (2, 5, 1, 0)
    assert stability == pytest.approx(card.stability) and stability > 0
    assert due.startswith(card.due.replace(tzinfo=None).isoformat(sep=" ")[:19])
    gato = sql(client, "SELECT state, reps, suspended FROM card_state WHERE card_id = ?", notes[1]["cards"][0]["id"])
    assert gato == [(1, 1, 1)]  # one learning review; the reschedule was left out; still suspended
    assert notes[1]["cards"][0]["suspended"] is True
    history = client.get("/api/review/log", params={"limit": 50}, headers=alice)
    assert history.status_code == 200 and len(history.json()) == 7


def test_a_large_deck_imports_as_a_job_with_progress(client: TestClient, alice: dict, tmp_path: Path) -> None:
    count = 10_000
    package = genanki_package(
        tmp_path / "big.apkg",
        [
            (genanki.BASIC_MODEL, [f"Question {i} with <b>bold</b>", f"Answer {i}"], ["big"], "Big")
            for i in range(count)
        ],
    )
    with connected(client, alice) as ws:
        started = time.monotonic()
        response = upload_apkg(client, alice, package.read_bytes())
        assert response.status_code == 202, response.text
        job_id, events = response.json()["id"], []
        while not events or events[-1]["type"] not in ("job.done", "job.failed", "job.cancelled"):
            event = ws.receive_json()
            if event["type"].startswith("job.") and event["job"]["id"] == job_id:
                events.append(event)
        elapsed = time.monotonic() - started
    assert events[-1]["type"] == "job.done", events[-1]
    converting = [e["job"]["current"] for e in events if e["job"]["step"] == "converting"]
    assert len(set(converting)) >= 3 and converting == sorted(converting)
    assert events[-1]["job"]["result"]["notes"] == count
    print(f"\n10,000-note .apkg import: {elapsed:.1f} s (upload to done)")
    assert elapsed < 120
    deck = decks_of(client, alice)["Big"]
    assert (deck["note_count"], deck["card_count"]) == (count, count)


# --- bad input ----------------------------------------------------------------------------------------


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def nothing_imported(client: TestClient, headers: dict) -> None:
    assert client.get("/api/decks", headers=headers).json() == []
    assert sql(client, "SELECT count(*) FROM note")[0][0] == 0
    assert not list((client.app.state.settings.data_dir / "imports").rglob("*.apkg"))


def test_bad_packages_are_refused_with_a_reason(client: TestClient, alice: dict, tmp_path: Path) -> None:
    cases = [
        (b"%PDF-1.4 not a zip at all", 415, "not a zip archive"),
        (zip_of({"notes.txt": b"hello"}), 422, "no Anki collection"),
        (zip_of({"collection.anki21b": b"\x28\xb5\x2f\xfd", "collection.anki2": b"x"}), 422, "newest format"),
    ]
    base = genanki_package(tmp_path / "one.apkg", [(genanki.BASIC_MODEL, ["a", "b"], [], "D")]).read_bytes()
    collection = zipfile.ZipFile(io.BytesIO(base)).read("collection.anki2")
    for bad in ("../../etc/passwd", "/etc/passwd", "..\\evil.jpg", ".."):
        media = json.dumps({"0": "fine.jpg", "1": bad}).encode()
        cases.append((zip_of({"collection.anki2": collection, "media": media, "0": b"x", "1": b"y"}), 422, "path"))
    for data, status, words in cases:
        response = upload_apkg(client, alice, data)
        assert response.status_code == status, response.text
        assert words in response.json()["detail"]
    nothing_imported(client, alice)


def test_an_unknown_schema_version_fails_the_job_and_writes_nothing(
    client: TestClient, alice: dict, tmp_path: Path
) -> None:
    package = genanki_package(tmp_path / "v.apkg", [(genanki.BASIC_MODEL, ["a", "b"], [], "D")])
    job = import_apkg(client, alice, rewrite_collection(package, lambda c: c.execute("UPDATE col SET ver = 18")))
    assert job["status"] == "failed"
    assert job["error"].startswith("This package uses Anki collection schema version 18, which Lectern cannot read")
    nothing_imported(client, alice)


def test_a_failure_while_saving_leaves_no_deck(client: TestClient, alice: dict, tmp_path: Path) -> None:
    package = genanki_package(tmp_path / "f.apkg", [(genanki.BASIC_MODEL, [f"q{i}", "a"], [], "D") for i in range(50)])
    me = user_id(client, alice)
    # A real database failure after the deck, notes and cards are written, inside the same transaction.
    sql(client, f"CREATE TRIGGER no_states BEFORE INSERT ON card_state WHEN NEW.user_id = {me} "
        "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END")  # fmt: skip
    job = import_apkg(client, alice, package.read_bytes())
    assert job["status"] == "failed" and "importing the Anki package" in job["error"]
    sql(client, "DROP TRIGGER no_states")
    nothing_imported(client, alice)


def test_export_refusals(client: TestClient, alice: dict, bob: dict) -> None:
    empty = make_deck(client, alice, "Empty")
    response = client.post(f"/api/decks/{empty}/export/apkg", json={}, headers=alice)
    assert (response.status_code, response.json()["detail"]) == (409, "This deck has no cards to export")
    deck = make_deck(client, alice, "Full")
    note = make_note(client, alice, deck)
    other = make_note(client, alice, empty)
    for who, deck_id, body, status, detail in [
        (bob, deck, {}, 404, "Deck not found"),
        (bob, 999_999, {}, 404, "Deck not found"),
        (alice, deck, {"note_ids": [other["id"]]}, 404, "Some of these cards do not exist or are not in this deck"),
        (alice, deck, {"note_ids": [note["id"], 999_999]}, 404, "Some"),
    ]:
        response = client.post(f"/api/decks/{deck_id}/export/apkg", json=body, headers=who)
        assert response.status_code == status and response.json()["detail"].startswith(detail), response.text
    bobs_deck = make_deck(client, bob, "Bob's")
    response = client.post(f"/api/decks/{bobs_deck}/export/apkg", json={"note_ids": [note["id"]]}, headers=bob)
    assert response.status_code == 404  # alice's note in bob's selection
    assert sql(client, "SELECT count(*) FROM job WHERE kind = 'apkg_export'") == [(0,)]


def test_deck_name_puts_everything_in_one_deck(client: TestClient, alice: dict, tmp_path: Path) -> None:
    package = genanki_package(
        tmp_path / "n.apkg",
        [(genanki.BASIC_MODEL, ["a", "b"], [], "One"), (genanki.BASIC_MODEL, ["c", "d"], ["Tag_With(Caps)"], "Two")],
    )
    job = import_apkg(client, alice, package.read_bytes(), deck_name="  My   import ")
    assert [d["name"] for d in job["result"]["decks"]] == ["My import"]
    notes = notes_of(client, alice, job["result"]["decks"][0]["id"])
    assert [n["tags"] for n in notes] == [[], ["tag_with_caps_"]]
    assert NoteKind(notes[0]["kind"]) == NoteKind.basic


# --- card media -------------------------------------------------------------------------------------------


def image_bytes(fmt: str, colour: str, *, exif: bool = False) -> bytes:
    from PIL import Image

    picture = Image.new("RGB", (48, 32), colour)
    buffer = io.BytesIO()
    extra = {}
    if exif:
        tags = Image.Exif()
        tags[0x010F] = "Test Camera"
        tags[0x8825] = {1: "N", 2: (48.0, 51.0, 30.0)}
        extra["exif"] = tags
    picture.save(buffer, fmt, **extra)
    return buffer.getvalue()


def wav_bytes(frames: int = 800) -> bytes:
    import struct

    data = b"\x01\x00" * frames
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt "
    return (
        header + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16) + b"data" + struct.pack("<I", len(data)) + data
    )


def attach(client: TestClient, headers: dict, name: str, data: bytes) -> dict:
    response = client.post("/api/media", files={"file": (name, data, "application/octet-stream")}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def without_media_ids(text: str) -> str:
    """Media references with their ids (which differ between accounts) and audio labels left out."""
    text = re.sub(r"\[audio: [^\]]*\]\(media:\d+\)", "[audio](media)", text)
    return re.sub(r"\(media:\d+\)", "(media)", text)


def media_bytes(client: TestClient, headers: dict, text: str) -> list[bytes]:
    ids = re.findall(r"\(media:(\d+)\)", text)
    return [client.get(f"/api/media/{i}", headers=headers).content for i in ids]


def test_every_card_kind_with_media_round_trips_through_apkg(client: TestClient, alice: dict) -> None:
    photo = attach(client, alice, "cell.jpg", image_bytes("JPEG", "red"))
    diagram = attach(client, alice, "diagram.png", image_bytes("PNG", "blue"))
    sound = attach(client, alice, "heart.wav", wav_bytes())
    deck_id = make_deck(client, alice, "Media deck")
    bodies = [
        {"kind": "basic", "front": f"What is this? {photo['reference']}", "back": f"A cell {sound['reference']}"},
        {"kind": "reversed", "front": f"Diagram {diagram['reference']}", "back": "Mitosis"},
        {
            "kind": "cloze",
            "front": f"The {{{{c1::nucleus}}}} is here {photo['reference']}",
            "back": diagram["reference"],
        },
        {"kind": "typein", "front": f"Name the sound {sound['reference']}", "back": "Heartbeat"},
    ]
    originals = [make_note(client, alice, deck_id, **body) for body in bodies]
    job, package = export(client, alice, deck_id)
    assert (job["result"]["notes"], job["result"]["media"]) == (4, 3)
    archive = zipfile.ZipFile(io.BytesIO(package))
    names = json.loads(archive.read("media"))
    assert sorted(names.values()) == sorted(
        f"lectern-{sql(client, 'SELECT sha256 FROM media WHERE id = ?', m['id'])[0][0][:24]}.{ext}"
        for m, ext in ((photo, "jpg"), (diagram, "png"), (sound, "wav"))
    )
    conn, _ = open_collection(package, Path(client.app.state.settings.data_dir))
    fields = [row[0].split("\x1f") for row in conn.execute("SELECT flds FROM notes ORDER BY id")]
    assert re.search(r'<img src="lectern-[0-9a-f]{24}\.jpg" alt="cell">', fields[0][0])
    assert re.search(r"\[sound:lectern-[0-9a-f]{24}\.wav\]", fields[0][1])

    bob = register(client, "bob@example.com")
    result = import_apkg(client, bob, package)
    assert result["status"] == "succeeded", result
    counts = ("notes", "cards", "media_imported", "media_missing", "media_refused")
    assert tuple(result["result"][k] for k in counts) == (4, 5, 3, 0, 0)
    copies = notes_of(client, bob, decks_of(client, bob)["Media deck"]["id"])
    for original, copy in zip(originals, copies, strict=True):
        assert copy["kind"] == original["kind"]
        for side in ("front", "back"):
            assert without_media_ids(copy[side]) == without_media_ids(original[side]), side
            assert media_bytes(client, bob, copy[side]) == media_bytes(client, alice, original[side])
    assert copies[2]["front"].startswith("The {{c1::nucleus}} is here ![cell](media:")
    assert len(client.get("/api/media", headers=bob).json()["items"]) == 3
    card = sql(client, "SELECT front_html FROM card WHERE note_id = ?", copies[0]["id"])[0][0]
    bob_photo = re.findall(r"\(media:(\d+)\)", copies[0]["front"])[0]
    assert f'data-media="{bob_photo}"' in card
    assert sql(client, "SELECT count(*) FROM note_media WHERE note_id = ?", copies[0]["id"]) == [(2,)]


def test_a_genanki_package_with_an_image_and_audio_imports_them(
    client: TestClient, alice: dict, tmp_path: Path
) -> None:
    (tmp_path / "photo.jpg").write_bytes(image_bytes("JPEG", "green", exif=True))
    (tmp_path / "word.wav").write_bytes(wav_bytes())
    (tmp_path / "fake.png").write_bytes(b"<html>not an image</html>")
    deck = genanki.Deck(3_000_001, "Vocabulary")
    for fields in (
        ['<div>Tree <img src="photo.jpg"></div>', "árbol [sound:word.wav]"],
        ['Fake <img src="fake.png">', 'Gone <img src="missing.jpg">'],
    ):
        deck.add_note(genanki.Note(model=genanki.BASIC_MODEL, fields=fields))
    package = genanki.Package(deck)
    package.media_files = [str(tmp_path / name) for name in ("photo.jpg", "word.wav", "fake.png")]
    package.write_to_file(tmp_path / "vocab.apkg", timestamp=1_700_000_000)

    job = import_apkg(client, alice, (tmp_path / "vocab.apkg").read_bytes())
    assert job["status"] == "succeeded", job
    result = job["result"]
    assert (result["media_imported"], result["media_missing"], result["media_refused"]) == (2, 1, 1)
    assert any(r.startswith("fake.png: ") and "not a file Lectern can attach" in r for r in result["media_reasons"])
    assert "missing.jpg: not in the package" in result["media_reasons"]
    tree, fake = notes_of(client, alice, decks_of(client, alice)["Vocabulary"]["id"])
    assert re.fullmatch(r"Tree !\[photo\]\(media:\d+\)", tree["front"]), tree["front"]
    assert re.fullmatch(r"árbol \[audio: word\.wav\]\(media:\d+\)", tree["back"]), tree["back"]
    image, audio = media_bytes(client, alice, tree["front"] + tree["back"])
    assert audio == wav_bytes()
    assert b"Exif\x00\x00" not in image and b"Test Camera" not in image and image.startswith(b"\xff\xd8")
    assert fake["front"] == 'Fake <img src="fake.png">'  # left as Anki wrote it, and counted
    library = client.get("/api/media", headers=alice).json()
    assert library["usage"]["media_count"] == 2


def test_media_over_the_quota_fails_the_whole_import(client: TestClient, alice: dict, tmp_path: Path) -> None:
    client.app.state.settings.user_quota_mb = 1
    from PIL import Image

    noise = io.BytesIO()
    Image.effect_noise((700, 700), 90).convert("RGB").save(noise, "PNG")
    assert noise.getbuffer().nbytes > 1024 * 1024
    (tmp_path / "noise.png").write_bytes(noise.getvalue())
    deck = genanki.Deck(3_000_002, "Noisy")
    deck.add_note(genanki.Note(model=genanki.BASIC_MODEL, fields=['<img src="noise.png">', "static"]))
    package = genanki.Package(deck)
    package.media_files = [str(tmp_path / "noise.png")]
    package.write_to_file(tmp_path / "noisy.apkg", timestamp=1_700_000_000)
    job = import_apkg(client, alice, (tmp_path / "noisy.apkg").read_bytes())
    assert job["status"] == "failed"
    assert "storage is full" in job["error"] and "nothing was imported" in job["error"]
    nothing_imported(client, alice)
    assert sql(client, "SELECT count(*) FROM media") == [(0,)]
    media_dir = client.app.state.settings.data_dir / "media"
    assert not media_dir.exists() or not [p for p in media_dir.rglob("*") if p.is_file()]
