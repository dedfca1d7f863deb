"""Importing a whole-account export (models/account_archive.py) into the current, empty account.

The archive is checked before anything is written: a zip, safe member names (no absolute paths,
no `..`, no duplicates), account.json of a known format version, every table's rows valid, every
note renderable. Then one write transaction inserts all rows with new ids (each reference mapped
to the new id of its row) and places each lecture's original by rename; a failure anywhere rolls
everything back and removes the placed files. After the commit each lecture with its original is
read again by the usual ingest job, which rebuilds its pages, images and search chunks.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, SQLModel, select

from db import Database
from models.account_archive import (
    ACCOUNT_FORMAT,
    ACCOUNT_FORMAT_VERSION,
    ACCOUNT_MANIFEST,
    ACCOUNT_TABLES,
    LECTURE_FILES,
    AccountImportResult,
    AccountManifest,
)
from models.chat import ChatCitation, ChatMessage, Conversation, MessageStatus
from models.common import utcnow
from models.deck import Deck
from models.draft import CardDraft
from models.job import Job
from models.lecture import Course, Lecture, LecturePage, LectureStatus
from models.note import Card, Note, NoteKind
from models.review import CardState, ReviewLog
from models.user import User
from processing.errors import BadRequest, Conflict, DomainError, TooLarge
from processing.interchange import account_media
from processing.jobs import JobRunner
from processing.lectures import EXTENSIONS, INGEST
from processing.media.library import PreparedMedia, remove_files
from processing.media.links import link_notes
from processing.render import RenderedCard, render_cards
from processing.storage import Storage

MAX_TABLE_BYTES = 512 * 1024 * 1024  # one <table>.json, uncompressed
MAX_TOTAL_BYTES = 20 * 1024**3  # the whole archive, uncompressed
Progress = Callable[[str, str], None]  # (step, message)


class DamagedArchive(BadRequest):
    """The archive is not a (readable) account export; the message says why."""


def check_member_name(name: str) -> None:
    """Refuses a member name that could point outside the folder it is extracted into."""
    path = PurePosixPath(name)
    if (
        not name
        or "\\" in name
        or "\x00" in name
        or path.is_absolute()
        or (len(name) > 1 and name[1] == ":")
        or any(part in ("..", "") for part in name.rstrip("/").split("/"))
    ):
        raise DamagedArchive(f"The archive holds an unsafe file name ({name[:80]!r}); nothing was imported")


@dataclass
class AccountArchive:
    manifest: AccountManifest
    zip: zipfile.ZipFile
    originals: dict[int, zipfile.ZipInfo] = field(default_factory=dict)  # exported lecture id → member

    def table(self, name: str) -> list[dict[str, Any]]:
        member = f"{name}.json"
        try:
            info = self.zip.getinfo(member)
        except KeyError:
            raise DamagedArchive(f"The account export is incomplete: {member} is missing") from None
        if info.file_size > MAX_TABLE_BYTES:
            raise TooLarge(f"{member} in the account export is too large to import")
        try:
            rows = json.loads(self.zip.read(info))
        except (ValueError, zipfile.BadZipFile) as exc:
            raise DamagedArchive(f"The account export is damaged: {member} cannot be read ({exc})") from None
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise DamagedArchive(f"The account export is damaged: {member} is not a list of rows")
        return rows


def open_account_archive(path: Path) -> AccountArchive:
    """Checks the zip, its member names and account.json; the caller closes `.zip`."""
    if not zipfile.is_zipfile(path):
        raise DamagedArchive("This file is not a zip archive; choose the .zip made by “Export my account”")
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise DamagedArchive(f"This zip archive is damaged ({exc})") from None
    try:
        return _check(archive)
    except BaseException:
        archive.close()
        raise


def _check(archive: zipfile.ZipFile) -> AccountArchive:
    infos = archive.infolist()
    names = [info.filename for info in infos]
    for name in names:
        check_member_name(name)
    if len(set(names)) != len(names):
        raise DamagedArchive("The archive holds the same file name twice; nothing was imported")
    if sum(info.file_size for info in infos) > MAX_TOTAL_BYTES:
        raise TooLarge("This archive unpacks to more than 20 GB; it is not an account export")
    if ACCOUNT_MANIFEST not in names:
        raise DamagedArchive("This zip is not a Lectern account export: it has no account.json")
    try:
        raw = json.loads(archive.read(ACCOUNT_MANIFEST))
    except ValueError:
        raise DamagedArchive("This account export is damaged: account.json is not valid JSON") from None
    if not isinstance(raw, dict) or raw.get("format") != ACCOUNT_FORMAT:
        raise DamagedArchive("This zip is not a Lectern account export (account.json names another format)")
    if raw.get("format_version") != ACCOUNT_FORMAT_VERSION:
        raise DamagedArchive(
            f"This account export has format version {raw.get('format_version')!r}; "
            f"this Lectern reads version {ACCOUNT_FORMAT_VERSION}. Import it with the Lectern version that made it"
        )
    try:
        manifest = AccountManifest.model_validate(raw)
    except ValidationError as exc:
        raise DamagedArchive(
            f"This account export is damaged: account.json is incomplete ({exc.errors()[0]['msg']})"
        ) from None
    out = AccountArchive(manifest=manifest, zip=archive)
    for info in infos:
        if info.filename.startswith(LECTURE_FILES) and not info.is_dir():
            parts = info.filename[len(LECTURE_FILES) :].split("/")
            if len(parts) != 2 or not parts[0].isdigit() or not parts[1].startswith("original."):
                raise DamagedArchive(f"The account export holds an unexpected file: {info.filename[:80]}")
            out.originals[int(parts[0])] = info
    return out


def check_empty_account(session: Session, *, owner_id: int) -> None:
    for table in (Deck, Course, Lecture):
        if session.exec(select(table.id).where(table.owner_id == owner_id).limit(1)).first() is not None:
            raise Conflict(
                "Import into a new, empty account: this one already has decks or lectures. "
                "Register a new account (or delete these) and import there"
            )


# --- writing ---------------------------------------------------------------------------------------


def _row(cls: type[SQLModel], data: dict[str, Any], **overrides: Any) -> Any:
    values = {k: v for k, v in data.items() if k in cls.model_fields and k != "id"} | overrides
    return cls.model_validate(values)


@dataclass
class _Plan:
    """What the archive says, read and checked before the write transaction starts."""

    tables: dict[str, list[dict[str, Any]]]
    rendered: dict[int, list[RenderedCard]]  # exported note id → its cards
    staged: dict[int, Path]  # exported lecture id → its original, extracted under tmp/
    media: dict[int, PreparedMedia] = field(default_factory=dict)  # exported media id → its checked file


def _prepare(archive: AccountArchive, storage: Storage, staging: Path, progress: Progress) -> _Plan:
    progress("reading", "Reading the export")
    tables = {name: archive.table(name) for name in ACCOUNT_TABLES}
    rendered = {}
    for row in tables["notes"]:
        try:
            rendered[int(row["id"])] = render_cards(
                kind=NoteKind(row["kind"]), front=row["front"], back=row.get("back") or ""
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DamagedArchive(f"The account export is damaged: a note cannot be read ({exc})") from None
        except DomainError as exc:
            raise DamagedArchive(f"The account export holds a note Lectern cannot show: {exc.detail}") from None
    progress("files", f"Unpacking {len(archive.originals)} lecture files")
    staged = {}
    for lecture_id, info in archive.originals.items():
        target = staging / f"{lecture_id}.bin"
        with archive.zip.open(info) as source, target.open("wb") as out:
            shutil.copyfileobj(source, out, 1024 * 1024)
        staged[lecture_id] = target
    return _Plan(tables=tables, rendered=rendered, staged=staged, media=account_media.read(archive.zip))


class _Writer:
    """Inserts the plan's rows for `owner_id` in the caller's transaction, mapping every id."""

    def __init__(self, session: Session, *, owner_id: int, storage: Storage, runner: JobRunner) -> None:
        self.session, self.owner_id, self.storage, self.runner = session, owner_id, storage, runner
        self.ids: dict[str, dict[int, int]] = {}
        self.placed: list[int] = []  # new lecture ids whose original has been placed
        self.jobs: list[Job] = []
        self.media_ids: dict[int, int] = {}  # exported media id → new
        self.media_written: list[Path] = []  # media files placed here (removed again if the import fails)

    def _insert(self, name: str, rows: list[dict], build: Callable[[dict], SQLModel | None]) -> list[Any]:
        pairs = [(int(row["id"]), obj) for row in rows if (obj := build(row)) is not None]
        self.session.add_all([obj for _, obj in pairs])
        self.session.flush()
        self.ids[name] = {old: obj.id for old, obj in pairs}
        return [obj for _, obj in pairs]

    def _map(self, name: str, old: int | None) -> int | None:
        return None if old is None else self.ids[name].get(int(old))

    def write(self, plan: _Plan, manifest: AccountManifest) -> AccountImportResult:
        t, own = plan.tables, {"owner_id": self.owner_id}
        self._settings(manifest)
        self._insert("courses", t["courses"], lambda r: _row(Course, r, **own))
        lectures = self._insert("lectures", t["lectures"], lambda r: self._lecture(r, plan))
        self._insert("lecture_pages", t["lecture_pages"], self._page)
        self._insert("decks", t["decks"], lambda r: _row(Deck, r, **own))
        self.media_ids = account_media.store(self.session, storage=self.storage, owner_id=self.owner_id,
                                             media=plan.media, written=self.media_written)  # fmt: skip
        notes = self._insert("notes", t["notes"], self._note)
        link_notes(self.session, owner_id=self.owner_id, notes=[(n.id, n.front, n.back) for n in notes])
        self._cards(plan, notes, t["cards"], t["card_states"])
        self._insert("review_log", t["review_log"], self._review)
        self._insert("card_drafts", t["card_drafts"], self._draft)
        self._insert("conversations", t["conversations"], self._conversation)
        self._insert("chat_messages", t["chat_messages"], self._message)
        self._insert("chat_citations", t["chat_citations"], self._citation)
        self._place_originals(plan, lectures)
        return AccountImportResult(
            decks=len(t["decks"]),
            notes=len(notes),
            cards=len(self.ids["cards"]),
            reviews=len(self.ids["review_log"]),
            lectures=len(lectures),
            conversations=len(self.ids["conversations"]),
            reingesting=len(self.jobs),
        )

    def _settings(self, manifest: AccountManifest) -> None:
        user = self.session.get(User, self.owner_id)
        for name, value in manifest.user.settings.model_dump().items():
            setattr(user, name, value)
        user.display_name = user.display_name or manifest.user.display_name
        self.session.add(user)

    def _lecture(self, row: dict, plan: _Plan) -> Lecture:
        has_file = int(row["id"]) in plan.staged and row.get("file_kind") in EXTENSIONS
        lecture = _row(
            Lecture,
            row,
            **{"owner_id": self.owner_id, "course_id": self.ids["courses"][int(row["course_id"])], "job_id": None},
            status=LectureStatus.queued if has_file else LectureStatus.failed,
            error=None if has_file else "The original file was not in the account export; upload it again",
        )
        lecture.updated_at = utcnow()
        return lecture

    def _page(self, row: dict) -> LecturePage:
        return _row(LecturePage, row, lecture_id=self.ids["lectures"][int(row["lecture_id"])], has_image=False)

    def _note(self, row: dict) -> Note:
        source = self._map("lectures", row.get("source_lecture_id"))
        front, back = (account_media.rewrite(row.get(k) or "", self.media_ids) for k in ("front", "back"))
        return _row(Note, row, owner_id=self.owner_id, deck_id=self.ids["decks"][int(row["deck_id"])],
                    source_lecture_id=source, front=front, back=back)  # fmt: skip

    def _cards(self, plan: _Plan, notes: list[Note], card_rows: list[dict], state_rows: list[dict]) -> None:
        old_note = {new: old for old, new in self.ids["notes"].items()}
        cards = [
            Card(
                note_id=note.id,
                ord=r.ord,
                front_html=account_media.rewrite(r.front_html, self.media_ids),
                back_html=account_media.rewrite(r.back_html, self.media_ids),
                answer=r.answer,
            )  # fmt: skip
            for note in notes
            for r in plan.rendered[old_note[note.id]]
        ]
        self.session.add_all(cards)
        self.session.flush()
        by_place = {(c.note_id, c.ord): c.id for c in cards}
        self.ids["cards"] = {}
        for row in card_rows:
            new_note = self._map("notes", row["note_id"])
            if (new_note, int(row["ord"])) in by_place:
                self.ids["cards"][int(row["id"])] = by_place[(new_note, int(row["ord"]))]
        deck_of = {note.id: note.deck_id for note in notes}
        card_note = {c.id: c.note_id for c in cards}
        states = {}
        for row in state_rows:
            card_id = self._map("cards", row["card_id"])
            if card_id is not None:
                states[card_id] = _row(
                    CardState, row, user_id=self.owner_id, card_id=card_id, deck_id=deck_of[card_note[card_id]]
                )
        now = utcnow()  # a card without a state (none should be) is new, at the end of the queue
        for card in cards:
            states.setdefault(card.id, CardState(user_id=self.owner_id, card_id=card.id,
                                                 deck_id=deck_of[card.note_id], due=now))  # fmt: skip
        self.session.add_all(states.values())
        self.session.flush()

    def _review(self, row: dict) -> ReviewLog | None:
        card_id = self._map("cards", row["card_id"])
        return None if card_id is None else _row(ReviewLog, row, user_id=self.owner_id, card_id=card_id)

    def _draft(self, row: dict) -> CardDraft | None:
        lecture_id, deck_id = self._map("lectures", row["lecture_id"]), self._map("decks", row["deck_id"])
        if lecture_id is None or deck_id is None:
            return None
        return _row(
            CardDraft,
            row,
            owner_id=self.owner_id,
            deck_id=deck_id,
            lecture_id=lecture_id,
            job_id=None,
            duplicate_of_note_id=self._map("notes", row.get("duplicate_of_note_id")),
            note_id=self._map("notes", row.get("note_id")),
        )

    def _conversation(self, row: dict) -> Conversation:
        return _row(
            Conversation,
            row,
            owner_id=self.owner_id,
            course_id=self._map("courses", row.get("course_id")),
            lecture_id=self._map("lectures", row.get("lecture_id")),
            card_id=self._map("cards", row.get("card_id")),
        )

    def _message(self, row: dict) -> ChatMessage | None:
        conversation_id = self._map("conversations", row["conversation_id"])
        if conversation_id is None:
            return None
        message = _row(ChatMessage, row, conversation_id=conversation_id)
        if message.status == MessageStatus.streaming:  # exported while it was being written
            message.status, message.error = MessageStatus.interrupted, "This answer was cut off by the export"
        return message

    def _citation(self, row: dict) -> ChatCitation | None:
        message_id = self._map("chat_messages", row["message_id"])
        if message_id is None:
            return None
        return _row(ChatCitation, row, message_id=message_id, lecture_id=self._map("lectures", row.get("lecture_id")))

    def _place_originals(self, plan: _Plan, lectures: list[Lecture]) -> None:
        old_lecture = {new: old for old, new in self.ids["lectures"].items()}
        for lecture in lectures:
            if lecture.status != LectureStatus.queued:
                continue
            job = self.runner.enqueue(self.session, owner_id=self.owner_id, kind=INGEST,
                                      params={"lecture_id": lecture.id})  # fmt: skip
            lecture.job_id = job.id
            self.jobs.append(job)
            self.storage.place_upload(plan.staged[old_lecture[lecture.id]], lecture.id, EXTENSIONS[lecture.file_kind])
            self.placed.append(lecture.id)


def import_account(
    *, database: Database, storage: Storage, runner: JobRunner, owner_id: int, path: Path, progress: Progress
) -> AccountImportResult:
    """Reads and checks the whole archive, then writes it in one transaction (all or nothing) and
    starts reading the lectures again. Raises BadRequest/Conflict/TooLarge with a human message."""
    staging = storage.temp_dir(prefix="account-import-")
    try:
        archive = open_account_archive(path)
        with archive.zip:
            plan = _prepare(archive, storage, staging, progress)
        progress("saving", "Saving your decks, cards, lectures and conversations")
        writer = None
        try:
            with database.transaction() as session:
                check_empty_account(session, owner_id=owner_id)
                writer = _Writer(session, owner_id=owner_id, storage=storage, runner=runner)
                result = writer.write(plan, archive.manifest)
        except BaseException as exc:
            for lecture_id in writer.placed if writer else []:
                storage.delete_lecture(lecture_id)
            remove_files(writer.media_written if writer else [])
            if isinstance(exc, KeyError | TypeError | ValueError):  # ValidationError is a ValueError
                raise DamagedArchive(f"The account export is damaged: a row cannot be read ({_short(exc)})") from None
            raise
        for job in writer.jobs:
            runner.dispatch(job)
        return result
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _short(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
    return f"{type(exc).__name__}: {exc}"[:200]
