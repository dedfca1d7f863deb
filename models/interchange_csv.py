"""CSV/TSV import and export: the preview of an uploaded file and the column mapping of an import."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator
from sqlmodel import Field, SQLModel

from models.note import NoteKind

Delimiter = Literal[",", "\t", ";"]


class CsvPreview(SQLModel):
    delimiter: Delimiter
    has_header: bool  # detected; the import form lets the user change it
    columns: list[str]  # the header's names, or "Column 1", "Column 2", … without one
    rows: list[list[str]]  # the first PREVIEW_ROWS data rows
    row_count: int  # data rows (the header is not counted)
    encoding: Literal["utf-8", "utf-8-sig"]  # utf-8-sig: the file starts with a byte-order mark
    ragged_rows: int  # rows with a different number of cells than the first row
    ragged_lines: list[int]  # their line numbers (the first 20)


class CsvMapping(SQLModel):
    """Which column (0-based) becomes which field; `kind` applies to every row unless `kind_column`
    names a column holding basic / reversed / cloze / typein per row (an empty cell means `kind`)."""

    front: int = Field(ge=0)
    back: int | None = Field(default=None, ge=0)
    tags: int | None = Field(default=None, ge=0)
    kind: NoteKind = NoteKind.basic
    kind_column: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _distinct_columns(self) -> CsvMapping:
        used = [c for c in (self.front, self.back, self.tags, self.kind_column) if c is not None]
        if len(used) != len(set(used)):
            raise ValueError("each column can be mapped to one field only")
        return self


class CsvImported(SQLModel):
    created: int  # notes
    cards: int
    deck_id: int
