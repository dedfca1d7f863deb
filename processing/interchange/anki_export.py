"""A deck (or a selection of its notes) as an Anki package, written with genanki.

Each card kind has its own note type with a fixed id, so Anki recognises them on every import:
Basic, Basic (and reversed card), Cloze and Basic (type in the answer), named "… (Lectern)" the way
genanki names its own (Anki renames a note type whose name matches a built-in one but whose id does
not). Every note type has a Source field: "Lecture title, p. N", with the page's image when asked.
Note GUIDs derive from the account and the note, so re-importing a newer export updates the notes
in Anki instead of duplicating them. Card media goes into the package as Anki media files
(`lectern-<hash>.<ext>`), shown by <img src> and [sound:].
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import sqlite3
import zipfile
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import genanki

from models.note import Note, NoteKind
from processing.interchange.anki_html import field_checksum, markdown_to_anki, media_to_anki, plain_field

MODEL_ID_BASE = 1_717_171_700  # fixed: the note types keep their ids across exports and instances
CSS = (
    ".card { font-family: sans-serif; font-size: 20px; text-align: center; color: black; background: white; }\n"
    ".source { margin-top: 1.5em; font-size: 14px; color: #666; }\n"
    ".source img { display: block; max-width: 100%; margin: 0.5em auto 0; border: 1px solid #ddd; }\n"
    ".cloze { font-weight: bold; color: blue; }\n"
)
SOURCE = "{{#Source}}<div class=source>{{Source}}</div>{{/Source}}"


def _fields(*names: str) -> list[dict]:
    return [{"name": name} for name in names]


def _model(offset: int, name: str, fields: list[str], templates: list[dict], **kwargs) -> genanki.Model:
    return genanki.Model(
        MODEL_ID_BASE + offset, f"{name} (Lectern)", fields=_fields(*fields), templates=templates, css=CSS, **kwargs
    )


def note_types() -> dict[NoteKind, genanki.Model]:
    """Built per export: genanki fills in a model's templates and fields as it writes them."""
    answer = "{{FrontSide}}\n\n<hr id=answer>\n\n"
    return {
        NoteKind.basic: _model(
            1,
            "Basic",
            ["Front", "Back", "Source"],
            [{"name": "Card 1", "qfmt": "{{Front}}", "afmt": answer + "{{Back}}" + SOURCE}],
        ),
        NoteKind.reversed: _model(
            2,
            "Basic (and reversed card)",
            ["Front", "Back", "Source"],
            [
                {"name": "Card 1", "qfmt": "{{Front}}", "afmt": answer + "{{Back}}" + SOURCE},
                {"name": "Card 2", "qfmt": "{{Back}}", "afmt": answer + "{{Front}}" + SOURCE},
            ],
        ),
        NoteKind.cloze: _model(
            3,
            "Cloze",
            ["Text", "Back Extra", "Source"],
            [{"name": "Cloze", "qfmt": "{{cloze:Text}}", "afmt": "{{cloze:Text}}<br>\n{{Back Extra}}" + SOURCE}],
            model_type=genanki.Model.CLOZE,
        ),
        NoteKind.typein: _model(
            4,
            "Basic (type in the answer)",
            ["Front", "Back", "Source"],
            [
                {
                    "name": "Card 1",
                    "qfmt": "{{Front}}\n\n{{type:Back}}",
                    "afmt": "{{Front}}\n\n<hr id=answer>\n\n{{type:Back}}" + SOURCE,
                }
            ],
        ),
    }


def stable_id(*parts: object, bits: int = 52) -> int:
    """A positive integer from the parts (fits a JSON number exactly)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> (64 - bits) or 1


def note_guid(*, owner_id: int, owner_created: datetime, note_id: int) -> str:
    return genanki.guid_for("lectern", owner_id, owner_created.isoformat(), note_id)


@dataclass(frozen=True)
class SourcePage:
    lecture_id: int
    lecture_title: str
    page: int
    image: Path | None  # the page's viewer image, when it is to be packaged and exists


def media_name(lecture_id: int, page: int) -> str:
    return f"lectern-{lecture_id}-p{page}.webp"


def source_field(source: SourcePage | None) -> str:
    if source is None:
        return ""
    text = f"{html.escape(source.lecture_title)}, p. {source.page}"
    if source.image is not None:
        text += f'<br><img src="{media_name(source.lecture_id, source.page)}">'
    return text


@dataclass(frozen=True)
class CardMedia:
    name: str  # the file's name in the package
    path: Path


def card_media_name(sha256: str, extension: str) -> str:
    return f"lectern-{sha256[:24]}.{extension}"


@dataclass(frozen=True)
class ExportedNote:
    note: Note
    source: SourcePage | None


def write_package(
    *,
    target: Path,
    deck_name: str,
    deck_id: int,
    notes: list[ExportedNote],
    guid: Callable[[Note], str],
    timestamp: float,
    progress: Callable[[int, int], None],
    card_media: dict[int, CardMedia] | None = None,
) -> dict:
    """Writes the .apkg to `target`; returns counts for the job result. `card_media`: the files of the
    media the notes show (media id → file), packaged under their names."""
    card_media = card_media or {}
    names = {media_id: item.name for media_id, item in card_media.items()}
    models = note_types()
    deck = genanki.Deck(deck_id, deck_name)
    media: dict[str, Path] = {}
    for index, item in enumerate(notes):
        if index % 500 == 0:
            progress(index, len(notes))
        note = item.note
        kind = NoteKind(note.kind)
        front, used_front = media_to_anki(markdown_to_anki(note.front), names)
        back, used_back = media_to_anki(markdown_to_anki(note.back), names)
        for media_id in used_front | used_back:
            media[card_media[media_id].name] = card_media[media_id].path
        fields = [front, back, source_field(item.source)]
        deck.add_note(
            genanki.Note(
                model=models[kind],
                fields=fields,
                sort_field=plain_field(fields[0]),
                tags=note.tag_list,
                guid=guid(note),
            )
        )
        if item.source is not None and item.source.image is not None:
            media[media_name(item.source.lecture_id, item.source.page)] = item.source.image
    progress(len(notes), len(notes))
    collection = target.with_suffix(".collection")
    try:
        with closing(sqlite3.connect(collection)) as conn:
            cursor = conn.cursor()
            genanki.Package(deck).write_to_db(cursor, timestamp, itertools.count(int(timestamp * 1000)))
            _fill_checksums(cursor)
            conn.commit()
            card_count = cursor.execute("SELECT count(*) FROM cards").fetchone()[0]
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(collection, "collection.anki2")
            names = sorted(media)
            archive.writestr("media", json.dumps({str(i): name for i, name in enumerate(names)}))
            for i, name in enumerate(names):
                archive.write(media[name], str(i), compress_type=zipfile.ZIP_STORED)  # images, audio: compressed
    finally:
        collection.unlink(missing_ok=True)
    return {"notes": len(notes), "cards": card_count, "media": len(media)}


def _fill_checksums(cursor: sqlite3.Cursor) -> None:
    """genanki leaves notes.csum at 0; Anki finds duplicates by it, so it is filled in."""
    rows = cursor.execute("SELECT id, flds FROM notes").fetchall()
    cursor.executemany(
        "UPDATE notes SET csum = ? WHERE id = ?", [(field_checksum(flds.split("\x1f")[0]), i) for i, flds in rows]
    )
