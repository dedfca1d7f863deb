"""Reading an Anki package (.apkg): a zip holding collection.anki21 / collection.anki2 (SQLite, schema
version 11), a `media` map {"0": "name.jpg"} and the media files named by number.

`check_package` does the quick checks on the upload (a zip, a collection in it, safe media names, not
the newest zstd format); `read_collection` opens a temporary copy of the collection read-only and
returns what the importer needs as plain data.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import zipfile
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

from processing.errors import DomainError, Invalid

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
COLLECTIONS = ("collection.anki21", "collection.anki2")  # the first one present is read
NEWEST_FORMAT = "collection.anki21b"
SUPPORTED_VERSIONS = {11}
MAX_COLLECTION_BYTES = 2 * 1024**3
NEWEST_FORMAT_MESSAGE = (
    "This package was exported by Anki 2.1.50+ in its newest format; "
    "in Anki, export with 'Support older Anki versions' ticked"
)


class NotAnkiPackage(DomainError):
    status_code = 415


@dataclass(frozen=True)
class AnkiModel:
    id: int
    name: str
    is_cloze: bool
    field_names: list[str]
    templates: list[dict]  # Anki's tmpls: name, qfmt, afmt


@dataclass(frozen=True)
class AnkiNote:
    id: int
    guid: str
    model_id: int
    tags: list[str]
    fields: list[str]


@dataclass(frozen=True)
class AnkiCard:
    id: int
    note_id: int
    deck_id: int
    ord: int
    queue: int  # -1 suspended


@dataclass(frozen=True)
class AnkiReview:
    card_id: int
    at_ms: int  # revlog.id: when it was answered (ms since the epoch)
    ease: int  # 1–4 (0: a manual reschedule, not a review)
    duration_ms: int
    kind: int  # 0 learn, 1 review, 2 relearn, 3 filtered, 4 manual


@dataclass
class AnkiCollection:
    version: int
    scheduler_version: int
    models: dict[int, AnkiModel]
    deck_names: dict[int, str]
    notes: list[AnkiNote]
    cards: list[AnkiCard]
    reviews: list[AnkiReview]
    media: dict[str, str] = field(default_factory=dict)  # zip member → file name


def _is_zip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) in ZIP_MAGIC


def unsafe_media_name(name: str) -> bool:
    """A media name that could escape a directory: a path, a parent reference, a drive, a NUL."""
    if not name or name in (".", "..") or "\x00" in name or "\\" in name or "/" in name:
        return True
    return PurePosixPath(name).is_absolute() or PureWindowsPath(name).drive != ""


def _media_map(archive: zipfile.ZipFile) -> dict[str, str]:
    if "media" not in archive.namelist():
        return {}
    try:
        media = json.loads(archive.read("media") or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid("The package's media list is damaged (not the JSON map Anki writes)") from exc
    if not isinstance(media, dict) or not all(isinstance(v, str) for v in media.values()):
        raise Invalid("The package's media list is damaged (not the JSON map Anki writes)")
    unsafe = sorted(name for name in media.values() if unsafe_media_name(name))
    if unsafe:
        raise Invalid(
            f"The package names media files with a path in them ({unsafe[0][:80]!r}), which could write "
            "outside the media folder; nothing was imported"
        )
    return {str(member): name for member, name in media.items()}


def _collection_member(archive: zipfile.ZipFile) -> str:
    names = set(archive.namelist())
    if NEWEST_FORMAT in names:
        raise Invalid(NEWEST_FORMAT_MESSAGE)
    member = next((name for name in COLLECTIONS if name in names), None)
    if member is None:
        raise Invalid("This zip holds no Anki collection (collection.anki21 or collection.anki2); is it an .apkg?")
    if archive.getinfo(member).file_size > MAX_COLLECTION_BYTES:
        raise Invalid("The package's collection is larger than 2 GB once unpacked; split the deck in Anki")
    return member


def check_package(path: Path) -> None:
    """The checks that need no unpacking; raises NotAnkiPackage (415) or Invalid (422)."""
    if not _is_zip(path):
        raise NotAnkiPackage("This file is not an Anki package (.apkg): it is not a zip archive")
    try:
        with zipfile.ZipFile(path) as archive:
            _collection_member(archive)
            _media_map(archive)
    except zipfile.BadZipFile as exc:
        raise NotAnkiPackage("This file is not an Anki package (.apkg): the zip archive is damaged") from exc


def read_collection(path: Path, *, work_dir: Path) -> AnkiCollection:
    """Unpacks the collection into `work_dir` and reads it; raises Invalid with a human message."""
    check_package(path)
    with zipfile.ZipFile(path) as archive:
        member = _collection_member(archive)
        media = _media_map(archive)
        copy = work_dir / "collection.sqlite"
        with archive.open(member) as source, copy.open("wb") as target:
            shutil.copyfileobj(source, target, 1024 * 1024)
    try:
        with closing(sqlite3.connect(f"{copy.as_uri()}?mode=ro", uri=True)) as conn:
            return _read(conn, media)
    except sqlite3.DatabaseError as exc:
        raise Invalid(f"The package's collection is not a readable Anki database ({exc})") from exc


def _read(conn: sqlite3.Connection, media: dict[str, str]) -> AnkiCollection:
    row = conn.execute("SELECT ver, models, decks, conf FROM col").fetchone()
    if row is None:
        raise Invalid("The package's collection is empty (no col row)")
    version, models_json, decks_json, conf_json = row
    if version not in SUPPORTED_VERSIONS:
        raise Invalid(
            f"This package uses Anki collection schema version {version}, which Lectern cannot read "
            f"(it reads version {', '.join(map(str, sorted(SUPPORTED_VERSIONS)))}: Anki 2.1 packages)"
        )
    try:
        models, decks, conf = json.loads(models_json), json.loads(decks_json), json.loads(conf_json or "{}")
    except ValueError as exc:
        raise Invalid("The package's note types or decks are damaged (not JSON)") from exc
    sched = 3 if conf.get("sched2021") else int(conf.get("schedVer", 1) or 1)
    notes = [
        AnkiNote(id=i, guid=g, model_id=m, tags=tags.split(), fields=flds.split("\x1f"))
        for i, g, m, tags, flds in conn.execute("SELECT id, guid, mid, tags, flds FROM notes ORDER BY id")
    ]
    # A card borrowed by a filtered deck belongs to its home deck (odid).
    home_deck = "CASE WHEN odid != 0 THEN odid ELSE did END"
    cards = [
        AnkiCard(*r) for r in conn.execute(f"SELECT id, nid, {home_deck}, ord, queue FROM cards ORDER BY nid, ord")
    ]
    reviews = [AnkiReview(*r) for r in conn.execute("SELECT cid, id, ease, time, type FROM revlog ORDER BY cid, id")]
    return AnkiCollection(
        version=version,
        scheduler_version=sched,
        models={int(k): _model(v) for k, v in models.items()},
        deck_names={int(k): str(v.get("name", "")).replace("\x1f", "::") for k, v in decks.items()},
        notes=notes,
        cards=cards,
        reviews=reviews,
        media=media,
    )


def _model(raw: dict) -> AnkiModel:
    fields = sorted(raw.get("flds", []), key=lambda f: f.get("ord", 0))
    templates = sorted(raw.get("tmpls", []), key=lambda t: t.get("ord", 0))
    return AnkiModel(
        id=int(raw["id"]),
        name=str(raw.get("name", "")),
        is_cloze=raw.get("type") == 1,
        field_names=[str(f.get("name", "")) for f in fields],
        templates=[{k: str(t.get(k, "")) for k in ("name", "qfmt", "afmt")} for t in templates],
    )
