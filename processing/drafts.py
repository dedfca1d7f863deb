"""Card drafts: starting a generation job for a lecture, and the user's accept / edit / reject.

Ownership is checked here and nowhere else; accepting makes a note that keeps the citation.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from models.draft import CardDraft, DraftBulk, DraftEdit, DraftPublic, DraftStatus, GenerateRequest
from models.job import Job
from models.lecture import Lecture, LectureStatus
from models.note import Note, NoteCreate, NoteKind, NotePublic, NoteSource
from models.user import User
from processing import notes
from processing.decks import get_owned_deck
from processing.errors import Conflict, Invalid, NotFound
from processing.jobs import JobRunner, get_owned_job
from processing.lectures import get_owned_lecture

CARDGEN = "cardgen"


def start_generation(
    session: Session, *, runner: JobRunner, user: User, lecture_id: int, request: GenerateRequest
) -> Job:
    lecture = get_owned_lecture(session, owner_id=user.id, lecture_id=lecture_id)
    get_owned_deck(session, user=user, deck_id=request.deck_id)
    if lecture.status in (LectureStatus.queued, LectureStatus.processing):
        raise Conflict("This lecture is still being read; make cards once it is ready")
    if lecture.status != LectureStatus.ready:
        raise Conflict("This lecture could not be read; re-process it first")
    first = request.first_page or 1
    last = request.last_page or lecture.page_count
    if not 1 <= first <= last <= lecture.page_count:
        raise Invalid(f"Pages {first}–{last} are not a range within this lecture (pages 1–{lecture.page_count})")
    params = {"lecture_id": lecture.id, "deck_id": request.deck_id, "target": request.target}
    job = runner.enqueue(
        session, owner_id=user.id, kind=CARDGEN, params=params | {"first_page": first, "last_page": last}
    )
    session.commit()
    runner.dispatch(job)
    return job


def start_generation_for_pages(
    session: Session, *, runner: JobRunner, user: User, pages: dict[int, list[int]], deck_id: int, target: int
) -> list[Job]:
    """One job per lecture over the given pages only ({lecture id: page numbers}), all queued in one
    transaction; lectures that are gone or not ready are left out (409 if that leaves none)."""
    get_owned_deck(session, user=user, deck_id=deck_id)
    ready = session.exec(
        select(Lecture).where(
            col(Lecture.id).in_(list(pages)), Lecture.owner_id == user.id, Lecture.status == LectureStatus.ready
        )
    ).all()
    if not ready:
        raise Conflict("The lectures this answer cites are gone or being read again; no cards can be made from it")
    jobs = []
    for lecture in sorted(ready, key=lambda lecture: lecture.id):
        numbers = sorted({n for n in pages[lecture.id] if 1 <= n <= lecture.page_count})
        if not numbers:
            continue
        params = {"lecture_id": lecture.id, "deck_id": deck_id, "target": target, "pages": numbers}
        params |= {"first_page": numbers[0], "last_page": numbers[-1]}
        jobs.append(runner.enqueue(session, owner_id=user.id, kind=CARDGEN, params=params))
    if not jobs:
        raise Conflict("The pages this answer cites are no longer in their lectures")
    session.commit()
    for job in jobs:
        runner.dispatch(job)
    return jobs


def _owned_draft(session: Session, *, user: User, draft_id: int) -> CardDraft:
    draft = session.get(CardDraft, draft_id)
    if draft is None or draft.owner_id != user.id:
        raise NotFound("Draft not found")
    return draft


def _pending(session: Session, *, user: User, draft_id: int) -> CardDraft:
    draft = _owned_draft(session, user=user, draft_id=draft_id)
    if draft.status != DraftStatus.pending:
        raise Conflict(f"This draft has already been {draft.status}")
    return draft


def list_drafts(
    session: Session,
    *,
    user: User,
    deck_id: int | None = None,
    lecture_id: int | None = None,
    job_id: int | None = None,
    status: DraftStatus | None = DraftStatus.pending,
) -> list[DraftPublic]:
    query = select(CardDraft).where(CardDraft.owner_id == user.id)
    if deck_id is not None:
        get_owned_deck(session, user=user, deck_id=deck_id)
        query = query.where(CardDraft.deck_id == deck_id)
    if lecture_id is not None:
        get_owned_lecture(session, owner_id=user.id, lecture_id=lecture_id)
        query = query.where(CardDraft.lecture_id == lecture_id)
    if job_id is not None:
        get_owned_job(session, owner_id=user.id, job_id=job_id)
        query = query.where(CardDraft.job_id == job_id)
    if status is not None:
        query = query.where(CardDraft.status == status)
    drafts = list(session.exec(query.order_by(col(CardDraft.score).desc(), col(CardDraft.id))))
    return drafts_public(session, drafts)


def drafts_public(session: Session, drafts: list[CardDraft]) -> list[DraftPublic]:
    lecture_ids = {d.lecture_id for d in drafts}
    note_ids = {d.duplicate_of_note_id for d in drafts if d.duplicate_of_note_id}
    titles = dict(session.exec(select(Lecture.id, Lecture.title).where(col(Lecture.id).in_(lecture_ids))).all())
    fronts = dict(session.exec(select(Note.id, Note.front).where(col(Note.id).in_(note_ids))).all()) if note_ids else {}
    return [
        DraftPublic.model_validate(
            d,
            update={
                "lecture_title": titles.get(d.lecture_id, ""),
                "duplicate_front": fronts.get(d.duplicate_of_note_id) if d.duplicate_of_note_id else None,
            },
        )
        for d in drafts
    ]


def edit_draft(session: Session, *, user: User, draft_id: int, edit: DraftEdit) -> DraftPublic:
    draft = _pending(session, user=user, draft_id=draft_id)
    _apply(draft, edit)
    session.commit()
    return drafts_public(session, [draft])[0]


def _apply(draft: CardDraft, edit: DraftEdit | None) -> None:
    if edit is None:
        return
    for field, value in edit.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(draft, field, value)


def accept_draft(
    session: Session, *, user: User, draft_id: int, edit: DraftEdit | None = None
) -> tuple[DraftPublic, NotePublic]:
    draft = _pending(session, user=user, draft_id=draft_id)
    _apply(draft, edit)
    note = _make_note(session, user=user, draft=draft)
    session.commit()
    return drafts_public(session, [draft])[0], note


def _make_note(session: Session, *, user: User, draft: CardDraft) -> NotePublic:
    note_in = NoteCreate(deck_id=draft.deck_id, kind=NoteKind(str(draft.kind)), front=draft.front, back=draft.back)
    source = NoteSource(lecture_id=draft.lecture_id, page=draft.page, quote=draft.quote)
    note = notes.create_note(session, user=user, note_in=note_in, source=source, commit=False)
    draft.status, draft.note_id = DraftStatus.accepted, note.id
    return note


def reject_draft(session: Session, *, user: User, draft_id: int) -> DraftPublic:
    draft = _pending(session, user=user, draft_id=draft_id)
    draft.status = DraftStatus.rejected
    session.commit()
    return drafts_public(session, [draft])[0]


def bulk(session: Session, *, user: User, request: DraftBulk) -> int:
    """All or nothing: every id must be a pending draft of the user's."""
    if request.action == DraftStatus.pending:
        raise Invalid("action: must be accepted or rejected")
    drafts = [_pending(session, user=user, draft_id=draft_id) for draft_id in dict.fromkeys(request.draft_ids)]
    for draft in drafts:
        if request.action == DraftStatus.accepted:
            _make_note(session, user=user, draft=draft)
        else:
            draft.status = DraftStatus.rejected
    session.commit()
    return len(drafts)
