"""The card generation job: a lecture's pages → cited card drafts in a deck.

Steps: reading (the pages of the range) → writing (the built-in generator, or the configured
model batch by batch) → checking (every quote against its page once more; near-duplicates of
the deck's cards by embedding cosine ≥ 0.9) → saving (all drafts in one transaction). A card
whose quote is not on its page is never stored; the result counts every dropped card and why.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
from sqlalchemy import insert
from sqlmodel import col, select

from db import Database
from models.common import utcnow
from models.deck import Deck
from models.draft import CardDraft, DraftStatus
from models.lecture import Lecture, LecturePage, LectureStatus
from models.note import Note
from processing.cardgen import CardCandidate, PageInput, builtin
from processing.cardgen.citations import quote_in_page
from processing.embeddings import Embedder
from processing.jobs import JobContext, JobError
from processing.llm import Provider, ProviderError

DUPLICATE_COSINE = 0.9
CLOZE = re.compile(r"\{\{c\d+::(.*?)(?:::[^}]*)?\}\}", re.DOTALL)


def card_text(front: str, back: str) -> str:
    """What a card says, for comparing meanings: cloze markup resolved to its answers."""
    return " ".join(CLOZE.sub(r"\1", f"{front} {back}").split())


class CardGeneration:
    """Handler for jobs of kind "cardgen" (params: lecture_id, deck_id, target, first_page, last_page, and
    optionally pages: the page numbers to read within that range, e.g. the pages a chat answer cites)."""

    def __init__(self, *, database: Database, embedder: Embedder, provider: Callable[[], Provider | None]) -> None:
        self.db, self.embedder, self.provider = database, embedder, provider

    def __call__(self, ctx: JobContext) -> dict[str, Any]:
        params = ctx.params
        lecture_id, deck_id, target = int(params["lecture_id"]), int(params["deck_id"]), int(params["target"])
        pages = self._pages(ctx, lecture_id, int(params["first_page"]), int(params["last_page"]), params.get("pages"))
        provider = self.provider()
        candidates, counts = self._write(ctx, provider, pages, target)
        counts = {key: int(value) for key, value in counts.items()}
        texts = {page.number: page.text for page in pages}
        ctx.progress(step="checking", current=0, total=len(candidates), message="Checking every citation")
        cited = [c for c in candidates if c.page in texts and quote_in_page(c.quote, texts[c.page])]
        counts["dropped_no_quote"] = counts.get("dropped_no_quote", 0) + len(candidates) - len(cited)
        fresh = self._not_drafted_yet(deck_id, cited)
        counts["already_drafted"] = len(cited) - len(fresh)
        cited = fresh
        duplicates = self._duplicates(ctx, deck_id, cited)
        ctx.progress(step="saving", current=0, total=1, message="Saving the drafts")
        self._save(ctx, lecture_id, deck_id, cited, duplicates)
        return {
            "lecture_id": lecture_id,
            "deck_id": deck_id,
            "provider": "builtin" if provider is None else provider.name,
            "drafts": len(cited),
            "duplicates": len(duplicates),
            "pages_read": len(pages),
            **counts,
        }

    def _pages(
        self, ctx: JobContext, lecture_id: int, first: int, last: int, only: list[int] | None = None
    ) -> list[PageInput]:
        with self.db.session() as session:
            lecture = session.get(Lecture, lecture_id)
            if lecture is None or lecture.owner_id != ctx.owner_id:
                raise JobError("This lecture has been deleted")
            if lecture.status != LectureStatus.ready:
                raise JobError("This lecture is not ready (it is being read again, or failed); try once it is")
            rows = session.exec(
                select(LecturePage)
                .where(LecturePage.lecture_id == lecture_id, LecturePage.number >= first, LecturePage.number <= last)
                .order_by(col(LecturePage.number))
            ).all()
        if only is not None:
            rows = [row for row in rows if row.number in set(only)]
        if not rows:
            raise JobError(f"Pages {first}–{last} are not in this lecture any more")
        ctx.progress(step="reading", current=len(rows), total=len(rows), message=f"Read {len(rows)} pages")
        return [PageInput(r.number, r.text, r.source, r.ocr_confidence) for r in rows]

    def _write(
        self, ctx: JobContext, provider: Provider | None, pages: list[PageInput], target: int
    ) -> tuple[list[CardCandidate], dict[str, int]]:
        if provider is None:
            ctx.progress(step="writing", current=0, total=1, message="Finding definitions, terms and lists")
            cards, counts = builtin.generate(pages, target=target)
            ctx.progress(step="writing", current=1, total=1, message=f"Found {len(cards)} cards")
            return cards, counts
        from processing.cardgen.llm import generate_with_provider

        def progress(done: int, total: int) -> None:
            ctx.progress(step="writing", current=done, total=total, message=f"{provider.model}: part {done} of {total}")

        ctx.progress(step="writing", current=0, total=0, message=f"Asking {provider.model}")
        try:
            return generate_with_provider(
                provider, pages, target=target, progress=progress, should_stop=lambda: ctx.cancel_requested
            )
        except ProviderError as error:
            raise JobError(str(error)) from error

    def _not_drafted_yet(self, deck_id: int, cards: list[CardCandidate]) -> list[CardCandidate]:
        """Drops cards that are already waiting as drafts for this deck (making cards twice from
        one lecture must not double the queue)."""
        with self.db.session() as session:
            pending = session.exec(
                select(CardDraft.front, CardDraft.back).where(
                    CardDraft.deck_id == deck_id, CardDraft.status == DraftStatus.pending
                )
            ).all()
        waiting = {card_text(front, back).lower() for front, back in pending}
        return [c for c in cards if card_text(c.front, c.back).lower() not in waiting]

    def _duplicates(self, ctx: JobContext, deck_id: int, cards: list[CardCandidate]) -> dict[int, tuple[int, float]]:
        """Index of a card → (id of the deck's note it nearly repeats, cosine)."""
        with self.db.session() as session:
            existing = session.exec(select(Note.id, Note.front, Note.back).where(Note.deck_id == deck_id)).all()
        if not cards or not existing:
            return {}
        ctx.progress(step="checking", current=0, total=len(cards), message="Looking for cards you already have")
        new = self.embedder.encode([card_text(c.front, c.back) for c in cards])
        old = self.embedder.encode([card_text(front, back) for _, front, back in existing])
        similarity = new @ old.T
        best = similarity.argmax(axis=1)
        return {
            index: (existing[int(best[index])][0], round(float(similarity[index, best[index]]), 3))
            for index in np.flatnonzero(similarity.max(axis=1) >= DUPLICATE_COSINE).tolist()
        }

    def _save(
        self,
        ctx: JobContext,
        lecture_id: int,
        deck_id: int,
        cards: list[CardCandidate],
        duplicates: dict[int, tuple[int, float]],
    ) -> None:
        now = utcnow()
        rows = [
            dict(
                owner_id=ctx.owner_id,
                deck_id=deck_id,
                lecture_id=lecture_id,
                job_id=ctx.job_id,
                page=card.page,
                quote=card.quote,
                kind=card.kind,
                front=card.front,
                back=card.back,
                score=float(card.score),
                status=DraftStatus.pending.value,
                duplicate_of_note_id=duplicates.get(index, (None, None))[0],
                duplicate_score=duplicates.get(index, (None, None))[1],
                created_at=now,
            )
            for index, card in enumerate(cards)
        ]
        with self.db.transaction() as session:
            if session.get(Lecture, lecture_id) is None:
                raise JobError("This lecture has been deleted")
            deck = session.get(Deck, deck_id)
            if deck is None or deck.owner_id != ctx.owner_id:
                raise JobError("The deck for these cards has been deleted")
            ctx.check_cancelled()
            if rows:
                session.execute(insert(CardDraft), rows)
