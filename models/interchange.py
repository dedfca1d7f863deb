"""Request schemas for moving decks to and from Anki (.apkg export and import)."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class ApkgExportRequest(SQLModel):
    """A deck's notes as an Anki package: all of them, or the selection `note_ids` (all in the deck)."""

    note_ids: list[int] | None = Field(default=None, min_length=1, max_length=100_000)
    include_source_images: bool = True
