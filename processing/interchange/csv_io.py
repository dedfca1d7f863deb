"""CSV/TSV in and out of a deck: reading an upload (UTF-8 with or without BOM; delimiter and header
detected), a preview, an all-or-nothing import (cards rendered by processing/render.py, rows as
processing/notes.py writes them), and a deck's export.

Refused with a message that says where: a file that is not UTF-8 (the byte and its line), an empty
file, rows with a different number of cells than the first (at import; the preview counts them),
a cell the csv module cannot read (NUL bytes, an unclosed quote over a huge field), and any row
whose note would be invalid (the first few line numbers and why). Nothing is written unless every
row is good.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from pydantic import ValidationError
from sqlmodel import Session, col, select

from db import Database
from models.interchange_csv import CsvImported, CsvMapping, CsvPreview
from models.lecture import Lecture
from models.note import MAX_FIELD_CHARS, Note, NoteCreate, NoteKind, normalize_tags
from models.user import User
from processing.decks import get_owned_deck
from processing.errors import BadRequest, Conflict, Invalid
from processing.generated import download_name
from processing.notes import add_rendered_notes
from processing.render import render_cards

PREVIEW_ROWS = 10
MAX_ROWS = 10_000
MAX_LISTED = 10  # line numbers named in one error message
DELIMITERS = ("\t", ";", ",")
SAMPLE_ROWS = 50
HEADER_WORDS = {
    "front", "back", "question", "answer", "tags", "tag", "kind", "type", "source", "text", "extra",
    "term", "definition", "note", "notes", "hint", "deck", "word", "meaning", "prompt", "response",
}  # fmt: skip
EXPORT_COLUMNS = ["front", "back", "kind", "tags", "source"]
KIND_WORDS = {
    "basic": NoteKind.basic,
    "reversed": NoteKind.reversed,
    "basic (and reversed card)": NoteKind.reversed,
    "cloze": NoteKind.cloze,
    "typein": NoteKind.typein,
    "type-in": NoteKind.typein,
    "type in": NoteKind.typein,
}
_TAG_SPLIT = re.compile(r"[\s,]+")


@dataclass
class ParsedCsv:
    delimiter: str
    encoding: str
    rows: list[tuple[int, list[str]]]  # (line number where the row starts, cells); blank rows left out


# --- reading ---------------------------------------------------------------------------------------


def decode_utf8(data: bytes, *, name: str = "The file") -> tuple[str, str]:
    """(text, encoding); BadRequest naming the first byte that is not UTF-8 and its line."""
    encoding = "utf-8"
    if data.startswith(b"\xef\xbb\xbf"):
        data, encoding = data[3:], "utf-8-sig"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BadRequest(
            f"{name} is not UTF-8 text (byte 0x{data[exc.start]:02X} at line {line}); save it as CSV UTF-8"
        ) from None
    if not text.strip():
        raise BadRequest(f"{name} is empty: it has no rows")
    return text, encoding


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first rows into the same number (> 1) of cells most often."""
    sample = text[:65536]
    best, best_score = ",", (0.0, 1)
    for delimiter in DELIMITERS:
        if delimiter not in sample.split("\n", 1)[0]:
            continue
        widths = []
        try:
            for row in csv.reader(io.StringIO(sample), delimiter=delimiter):
                if any(cell.strip() for cell in row):
                    widths.append(len(row))
                if len(widths) >= SAMPLE_ROWS:
                    break
        except csv.Error:
            continue
        if len(widths) > 1 and sample.count("\n") >= SAMPLE_ROWS:
            widths = widths[:-1]  # the sample may end inside the last row
        if not widths or widths[0] < 2:
            continue
        score = (sum(w == widths[0] for w in widths) / len(widths), widths[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def parse_csv(data: bytes, *, name: str = "The file") -> ParsedCsv:
    text, encoding = decode_utf8(data, name=name)
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((start, row))
                if len(rows) > MAX_ROWS + 1:
                    raise BadRequest(f"{name} has more than {MAX_ROWS:,} rows; split it into smaller files")
            start = reader.line_num + 1
    except csv.Error as exc:
        raise BadRequest(f"{name} cannot be read as CSV at line {reader.line_num}: {exc}") from None
    if not rows:
        raise BadRequest(f"{name} is empty: it has no rows")
    return ParsedCsv(delimiter=delimiter, encoding=encoding, rows=rows)


def looks_like_header(rows: list[list[str]]) -> bool:
    """Known column names in the first row, or (csv.Sniffer's test) a first row unlike the rest."""
    if len(rows) < 2:
        return False
    first = [cell.strip().lower() for cell in rows[0]]
    if any(not cell for cell in first) or len(set(first)) != len(first):
        return False
    if any(cell in HEADER_WORDS for cell in first):
        return True
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows[:SAMPLE_ROWS])
    try:
        return csv.Sniffer().has_header(buffer.getvalue())
    except csv.Error:
        return False


def ragged_lines(parsed: ParsedCsv) -> list[int]:
    width = len(parsed.rows[0][1])
    return [line for line, row in parsed.rows if len(row) != width]


def preview(data: bytes, *, name: str = "The file") -> CsvPreview:
    parsed = parse_csv(data, name=name)
    cells = [row for _, row in parsed.rows]
    has_header = looks_like_header(cells)
    columns = [c.strip() or f"Column {i + 1}" for i, c in enumerate(cells[0])] if has_header else []
    widest = max(len(row) for row in cells[: PREVIEW_ROWS + 1])
    columns += [f"Column {i + 1}" for i in range(len(columns), widest)]
    body = cells[1:] if has_header else cells
    ragged = ragged_lines(parsed)
    return CsvPreview(
        delimiter=parsed.delimiter,
        has_header=has_header,
        columns=columns,
        rows=body[:PREVIEW_ROWS],
        row_count=len(body),
        encoding=parsed.encoding,
        ragged_rows=len(ragged),
        ragged_lines=ragged[:20],
    )


# --- importing -------------------------------------------------------------------------------------


def _listed(lines: list[int]) -> str:
    shown = ", ".join(str(n) for n in lines[:MAX_LISTED])
    return shown + (f" and {len(lines) - MAX_LISTED} more" if len(lines) > MAX_LISTED else "")


def _row_note(row: list[str], *, mapping: CsvMapping, deck_id: int) -> NoteCreate:
    """The note one row makes; ValueError (a human message) if it cannot make one."""
    kind = mapping.kind
    if mapping.kind_column is not None and row[mapping.kind_column].strip():
        word = row[mapping.kind_column].strip().lower()
        if word not in KIND_WORDS:
            raise ValueError(f"unknown card kind “{word[:30]}” (use basic, reversed, cloze or typein)")
        kind = KIND_WORDS[word]
    front = row[mapping.front].strip()
    back = row[mapping.back].strip() if mapping.back is not None else ""
    if len(front) > MAX_FIELD_CHARS or len(back) > MAX_FIELD_CHARS:
        raise ValueError(f"a field is longer than {MAX_FIELD_CHARS:,} characters")
    tags = normalize_tags(_TAG_SPLIT.split(row[mapping.tags])) if mapping.tags is not None else []
    try:
        return NoteCreate(deck_id=deck_id, kind=kind, front=front, back=back, tags=tags)
    except ValidationError as exc:
        raise ValueError(exc.errors()[0]["msg"].removeprefix("Value error, ")) from None


def import_csv(
    *, database: Database, user: User, deck_id: int, data: bytes, mapping: CsvMapping, has_header: bool, name: str
) -> CsvImported:
    """Every data row becomes a note in the deck, in one transaction: all rows or none."""
    with database.session() as session:
        get_owned_deck(session, user=user, deck_id=deck_id)
    parsed = parse_csv(data, name=name)
    rows = parsed.rows[1:] if has_header else parsed.rows
    if not rows:
        raise BadRequest(f"{name} has a header row but no rows under it")
    ragged = ragged_lines(parsed)
    if ragged:
        width = len(parsed.rows[0][1])
        raise BadRequest(
            f"Lines {_listed(ragged)} do not have {width} cells like the first row; "
            "fix them (a missing quote or delimiter) and import again"
        )
    width = len(parsed.rows[0][1])
    for field in ("front", "back", "tags", "kind_column"):
        column = getattr(mapping, field)
        if column is not None and column >= width:
            raise Invalid(f"Column {column + 1} (mapped to {field}) is not in this file: it has {width} columns")
    prepared, errors = [], []
    for line, row in rows:
        try:
            note_in = _row_note(row, mapping=mapping, deck_id=deck_id)
            prepared.append((note_in, render_cards(kind=note_in.kind, front=note_in.front, back=note_in.back)))
        except (ValueError, Invalid) as exc:
            errors.append((line, str(exc.detail if isinstance(exc, Invalid) else exc)))
            if len(errors) >= MAX_LISTED:
                break
    if errors:
        raise Invalid("Nothing was imported: " + "; ".join(f"line {line}: {why}" for line, why in errors))
    with database.transaction() as session:
        get_owned_deck(session, user=user, deck_id=deck_id)
        cards = add_rendered_notes(session, user=user, deck_id=deck_id, prepared=prepared)
    return CsvImported(created=len(prepared), cards=cards, deck_id=deck_id)


# --- exporting -------------------------------------------------------------------------------------


def export_deck(session: Session, *, user: User, deck_id: int, delimiter: str) -> tuple[str, str]:
    """(file name, CSV text) with a header row: front, back, kind, tags, source."""
    deck = get_owned_deck(session, user=user, deck_id=deck_id)
    rows = session.exec(
        select(Note, Lecture.title)
        .join(Lecture, col(Lecture.id) == Note.source_lecture_id, isouter=True)
        .where(Note.deck_id == deck.id, Note.owner_id == user.id)
        .order_by(col(Note.id))
    ).all()
    if not rows:
        raise Conflict(f"“{deck.name}” has no cards to export yet")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for note, lecture_title in rows:
        source = f"{lecture_title}, p. {note.source_page}" if lecture_title and note.source_page else ""
        writer.writerow([note.front, note.back, note.kind, " ".join(note.tag_list), source])
    extension = "tsv" if delimiter == "\t" else "csv"
    return download_name(deck.name, extension, fallback="deck"), buffer.getvalue()
