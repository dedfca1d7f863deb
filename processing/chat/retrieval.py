"""The passages an answer may use: the hybrid search of processing/search.py, by passage rather than by page.

Three rankings are fused: the question's words (FTS5 BM25), the question's meaning (cosine), and, for a
follow-up or a question about a card, the meaning of the question read with its context (the previous
question, the card), so "and what does it produce?" still finds the page the conversation is about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from sqlmodel import Session, col, select

from db import chunk_search_ranked
from models.lecture import Lecture, LectureChunk, LecturePage, LectureStatus
from processing.cardgen import PageInput
from processing.cardgen.layout import boilerplate_lines, edge_lines, line_key
from processing.embeddings import Embedder
from processing.search import CANDIDATES, VectorIndex, fuse, query_words

MAX_PASSAGES = 8  # sent to a model: ~1,600 tokens of context
MAX_PER_PAGE = 2
KEYWORD_BONUS = 0.05
SUPPORT_COSINE = 0.3  # below this no passage is about the question: say so rather than answer
KEYWORD_SUPPORT_COSINE = 0.2
KEYWORD_SUPPORT_SHARE = 0.4
WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Passage:
    chunk_id: int
    lecture_id: int
    lecture_title: str
    page: int
    text: str
    cosine: float  # to the question (with its context)
    keyword: bool  # matched by words too
    word_share: float  # of the question's words, the share found in it
    running_lines: tuple[str, ...] = ()  # its lecture's running headers and footers, as printed

    @property
    def supports(self) -> bool:
        """About the question: close in meaning, or holding most of its words and not far in
        meaning (an acronym or a formula name the model reads poorly)."""
        return self.cosine >= SUPPORT_COSINE or (
            self.word_share >= KEYWORD_SUPPORT_SHARE and self.cosine >= KEYWORD_SUPPORT_COSINE
        )


def processed_lecture_ids(session: Session, *, owner_id: int, lecture_ids: list[int] | None) -> list[int]:
    """The ready lectures among `lecture_ids` (None: all of the owner's)."""
    query = select(Lecture.id).where(Lecture.owner_id == owner_id, Lecture.status == LectureStatus.ready)
    if lecture_ids is not None:
        query = query.where(col(Lecture.id).in_(lecture_ids))
    return list(session.exec(query).all())


def retrieve(
    session: Session,
    *,
    index: VectorIndex,
    embedder: Embedder,
    owner_id: int,
    question: str,
    context: str = "",
    lecture_ids: list[int],
    pinned_page: tuple[int, int] | None = None,
    limit: int = MAX_PASSAGES,
) -> list[Passage]:
    """The best passages for `question` among `lecture_ids` (of `owner_id` only), best first.

    `pinned_page` (lecture id, page), the source page of a card being asked about, always
    contributes its best passage."""
    if not lecture_ids:
        return []
    words = query_words(question)
    keyword = chunk_search_ranked(session, owner_id=owner_id, words=words, lecture_ids=lecture_ids, limit=CANDIDATES)
    texts = [question, f"{context}\n{question}"] if context.strip() else [question]
    vectors = embedder.encode(texts)
    reading = vectors[-1]  # the question with its context, when there is one
    rankings = [keyword, index.nearest(owner_id, vectors[0], lecture_ids=lecture_ids, limit=CANDIDATES)]
    if len(texts) == 2:
        rankings.append(index.nearest(owner_id, reading, lecture_ids=lecture_ids, limit=CANDIDATES))
    fused = fuse(*rankings, names=("keyword", "semantic", "context")[: len(rankings)])
    candidate_ids = [chunk_id for chunk_id, _, _ in fused[: CANDIDATES * 2]]
    if pinned_page is not None:
        candidate_ids += _page_chunk_ids(session, owner_id=owner_id, lecture_id=pinned_page[0], page=pinned_page[1])
    cosines = index.similarities(owner_id, reading, candidate_ids)
    if len(texts) == 2:  # the plain question may fit a passage better than question + context
        plain = index.similarities(owner_id, vectors[0], candidate_ids)
        cosines = {c: max(cosines[c], plain.get(c, cosines[c])) for c in cosines}
    rows = _chunks(session, owner_id=owner_id, chunk_ids=candidate_ids)
    keyword_ids = {chunk_id for chunk_id, _ in keyword}
    order = {chunk_id: rank for rank, chunk_id in enumerate(candidate_ids)}
    passages = [
        Passage(
            c.id,
            c.lecture_id,
            title,
            c.page,
            c.text,
            round(cosines.get(c.id, 0.0), 4),
            c.id in keyword_ids,
            word_share(c.text, words),
        )
        for c, title in rows
    ]
    # The fused ranks found the candidates; their order is by meaning (a word match counts a little),
    # so the passage about the question is [1] whether the words or the context found it.
    passages.sort(key=lambda p: (-(p.cosine + KEYWORD_BONUS * p.keyword), order[p.chunk_id]))
    chosen: list[Passage] = []
    if pinned_page is not None:
        pinned = [p for p in passages if (p.lecture_id, p.page) == pinned_page]
        chosen += sorted(pinned, key=lambda p: -p.cosine)[:1]
    per_page: dict[tuple[int, int], int] = {}
    for passage in chosen:
        per_page[(passage.lecture_id, passage.page)] = 1
    for passage in passages:
        key = (passage.lecture_id, passage.page)
        if passage in chosen or per_page.get(key, 0) >= MAX_PER_PAGE:
            continue
        per_page[key] = per_page.get(key, 0) + 1
        chosen.append(passage)
        if len(chosen) >= limit:
            break
    running = running_lines(session, lecture_ids=sorted({p.lecture_id for p in chosen}))
    return [replace(p, running_lines=running.get(p.lecture_id, ())) for p in chosen]


def running_lines(session: Session, *, lecture_ids: list[int]) -> dict[int, tuple[str, ...]]:
    """Per lecture, the lines repeated at the top or bottom of its pages (a course name, a URL, "Page 3"),
    as printed: a quote should not start with them. Chunk text has lost its line breaks, so they
    otherwise run into the first sentence of a page."""
    if not lecture_ids:
        return {}
    rows = session.exec(
        select(LecturePage.lecture_id, LecturePage.number, LecturePage.text, LecturePage.source).where(
            col(LecturePage.lecture_id).in_(lecture_ids)
        )
    ).all()
    pages: dict[int, list[PageInput]] = {}
    for lecture_id, number, text, source in rows:
        pages.setdefault(lecture_id, []).append(PageInput(number, text, str(source)))
    found = {}
    for lecture_id, inputs in pages.items():
        keys = boilerplate_lines(inputs)
        if keys:
            lines = {line for page in inputs for line in edge_lines(page.text) if line_key(line) in keys}
            found[lecture_id] = tuple(sorted(lines, key=len, reverse=True))
    return found


def word_share(text: str, words: list[str]) -> float:
    """The share of `words` (lower case) found in `text`, a word counting when one of the text's
    words starts with its first five letters (enzyme ~ enzymes, denature ~ denatured)."""
    if not words:
        return 0.0
    present = {w.lower() for w in WORD.findall(text)}
    return sum(any(p.startswith(w[:5]) for p in present) for w in words) / len(words)


def _page_chunk_ids(session: Session, *, owner_id: int, lecture_id: int, page: int) -> list[int]:
    return list(
        session.exec(
            select(LectureChunk.id).where(
                LectureChunk.owner_id == owner_id, LectureChunk.lecture_id == lecture_id, LectureChunk.page == page
            )
        ).all()
    )


def _chunks(session: Session, *, owner_id: int, chunk_ids: list[int]) -> list[tuple[LectureChunk, str]]:
    if not chunk_ids:
        return []
    return list(
        session.exec(
            select(LectureChunk, Lecture.title)
            .join(Lecture, col(Lecture.id) == col(LectureChunk.lecture_id))
            .where(col(LectureChunk.id).in_(chunk_ids), LectureChunk.owner_id == owner_id)
        ).all()
    )
