"""Whole-account export: every row a user owns as JSON, plus the lectures' original files, in one zip
(layout in models/account_archive.py; card media as media.json and files/media/, see account_media.py).
Read in one read transaction, so the rows are a consistent
snapshot even while the user keeps reviewing. Search chunks, page images and jobs are left out:
they are rebuilt when the lectures are read again after an import.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

from sqlmodel import Session, col, select

from models.account_archive import (
    ACCOUNT_FORMAT,
    ACCOUNT_FORMAT_VERSION,
    ACCOUNT_MANIFEST,
    ACCOUNT_TABLES,
    LECTURE_FILES,
    AccountManifest,
    ExportedUser,
)
from models.chat import ChatCitation, ChatMessage, Conversation
from models.common import utcnow
from models.deck import Deck
from models.draft import CardDraft
from models.lecture import Course, Lecture, LecturePage
from models.note import Card, Note
from models.review import CardState, ReviewLog
from models.user import User, UserSettings
from processing.interchange import account_media
from processing.storage import Storage

Progress = Callable[[str, int, int], None]  # (what, current, total)


def _queries(owner_id: int) -> dict[str, object]:
    """One SELECT per file of the archive, each in id order."""
    lecture_ids = select(Lecture.id).where(Lecture.owner_id == owner_id)
    note_ids = select(Note.id).where(Note.owner_id == owner_id)
    conversation_ids = select(Conversation.id).where(Conversation.owner_id == owner_id)
    message_ids = select(ChatMessage.id).where(col(ChatMessage.conversation_id).in_(conversation_ids))
    return {
        "courses": select(Course).where(Course.owner_id == owner_id).order_by(col(Course.id)),
        "lectures": select(Lecture).where(Lecture.owner_id == owner_id).order_by(col(Lecture.id)),
        "lecture_pages": select(LecturePage)
        .where(col(LecturePage.lecture_id).in_(lecture_ids))
        .order_by(col(LecturePage.lecture_id), col(LecturePage.number)),
        "decks": select(Deck).where(Deck.owner_id == owner_id).order_by(col(Deck.id)),
        "notes": select(Note).where(Note.owner_id == owner_id).order_by(col(Note.id)),
        "cards": select(Card).where(col(Card.note_id).in_(note_ids)).order_by(col(Card.id)),
        "card_states": select(CardState).where(CardState.user_id == owner_id).order_by(col(CardState.card_id)),
        "review_log": select(ReviewLog).where(ReviewLog.user_id == owner_id).order_by(col(ReviewLog.id)),
        "card_drafts": select(CardDraft).where(CardDraft.owner_id == owner_id).order_by(col(CardDraft.id)),
        "conversations": select(Conversation).where(Conversation.owner_id == owner_id).order_by(col(Conversation.id)),
        "chat_messages": select(ChatMessage)
        .where(col(ChatMessage.conversation_id).in_(conversation_ids))
        .order_by(col(ChatMessage.id)),
        "chat_citations": select(ChatCitation)
        .where(col(ChatCitation.message_id).in_(message_ids))
        .order_by(col(ChatCitation.id)),
    }


def collect_rows(session: Session, *, owner_id: int) -> dict[str, list[dict]]:
    """Every table's rows of the owner as JSON-ready dicts (datetimes as ISO 8601 UTC)."""
    queries = _queries(owner_id)
    return {
        name: [row.model_dump(mode="json", warnings=False) for row in session.exec(queries[name])]
        for name in ACCOUNT_TABLES
    }


def manifest_for(user: User, *, counts: dict[str, int], app_version: str) -> AccountManifest:
    return AccountManifest(
        format=ACCOUNT_FORMAT,
        format_version=ACCOUNT_FORMAT_VERSION,
        exported_at=utcnow(),
        app_version=app_version,
        user=ExportedUser(
            email=user.email,
            display_name=user.display_name,
            created_at=user.created_at,
            settings=UserSettings.model_validate(user, from_attributes=True),
        ),
        counts=counts,
    )


def write_account_zip(
    *,
    session: Session,
    storage: Storage,
    owner_id: int,
    target: Path,
    app_version: str,
    progress: Progress,
) -> dict[str, int]:
    """Writes the archive to `target` (a temp file); returns the row counts. `session` must be a
    read session: everything is read in its one transaction."""
    user = session.get(User, owner_id)
    if user is None:
        raise LookupError("the account is gone")
    rows = collect_rows(session, owner_id=owner_id)
    counts = {name: len(items) for name, items in rows.items()}
    manifest = manifest_for(user, counts=counts, app_version=app_version)
    lectures = [(row["id"], storage.original(row["id"])) for row in rows["lectures"]]
    media = account_media.collect(session, storage=storage, owner_id=owner_id)
    session.rollback()  # the snapshot is taken; do not hold the read transaction while zipping files
    total = len(ACCOUNT_TABLES) + len(lectures)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.writestr(ACCOUNT_MANIFEST, manifest.model_dump_json(indent=2))
        for done, name in enumerate(ACCOUNT_TABLES, start=1):
            archive.writestr(f"{name}.json", json.dumps(rows[name], ensure_ascii=False))
            progress(name, done, total)
        for done, (lecture_id, original) in enumerate(lectures, start=len(ACCOUNT_TABLES) + 1):
            if original is not None and original.is_file():
                # Page originals are PDFs and images, compressed already: stored as they are.
                archive.write(original, f"{LECTURE_FILES}{lecture_id}/{original.name}", zipfile.ZIP_STORED)
            progress("files", done, total)
        account_media.write(archive, media)
    return counts | {"media": len(media)}
