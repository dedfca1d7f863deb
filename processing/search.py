"""Hybrid search over a user's lectures: FTS5 BM25 (words) and embedding cosine (meaning), fused
with reciprocal rank fusion, one result per page.

The vectors of each user's chunks are kept in memory as one float32 matrix (VectorIndex, owned
by the app), loaded on the first search and dropped when an ingest or a delete changes them:
a search is then one matrix-vector product, ~10 ms for 100k chunks on this machine. The cache keeps
at most `max_bytes` of vectors (LECTERN_VECTOR_CACHE_MB); the users who searched least recently go
first, and their next search reloads (about 1 s per 100k chunks).
"""

from __future__ import annotations

import html
import re
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from sqlmodel import Session, col, select

from db import Database, chunk_search_ranked
from models.lecture import Course, Lecture, LectureChunk, SearchHit, SearchResults
from processing.embeddings import DIMENSIONS, Embedder
from processing.errors import BadRequest
from processing.lectures import get_owned_course, get_owned_lecture

RRF_K = 60
CANDIDATES = 50  # from each ranking
MIN_COSINE = 0.2  # below this MiniLM's neighbours are unrelated text: better no result than noise
MAX_QUERY_CHARS = 500
SNIPPET_CHARS = 240
WORD = re.compile(r"\w+", re.UNICODE)
# Words too common to search by: matching them ranks nothing and costs FTS5 a scan.
_STOP_WORDS = (
    "a an and are as at be but by can do does for from had has have how i if in into is it its of on or "
    "so than that the their then there these this those to was were what when where which who why will "
    "with you your about also not no"
)
STOP_WORDS = frozenset(_STOP_WORDS.split())
SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "ly", "s")


@dataclass(frozen=True, slots=True)
class _Passage:
    lecture_id: int
    page: int
    text: str


@dataclass
class _OwnerVectors:
    chunk_ids: np.ndarray  # int64 (n,)
    lecture_ids: np.ndarray  # int64 (n,)
    matrix: np.ndarray  # float32 (n, 384), unit rows

    @property
    def nbytes(self) -> int:
        return self.chunk_ids.nbytes + self.lecture_ids.nbytes + self.matrix.nbytes


class VectorIndex:
    """Per-user chunk vectors in memory, least recently used evicted past `max_bytes`; thread-safe;
    `invalidate(owner_id)` after changes."""

    def __init__(self, database: Database, *, max_bytes: int = 512 * 1024 * 1024) -> None:
        self._db = database
        self._lock = threading.Lock()
        self._cache: OrderedDict[int, _OwnerVectors] = OrderedDict()  # least recently used first
        self._generation: dict[int, int] = {}
        self.max_bytes = max_bytes

    @property
    def cached_bytes(self) -> int:
        with self._lock:
            return sum(v.nbytes for v in self._cache.values())

    def invalidate(self, owner_id: int) -> None:
        with self._lock:
            self._cache.pop(owner_id, None)
            self._generation[owner_id] = self._generation.get(owner_id, 0) + 1

    def vectors(self, owner_id: int) -> _OwnerVectors:
        with self._lock:
            cached = self._cache.get(owner_id)
            if cached is not None:
                self._cache.move_to_end(owner_id)
                return cached
            generation = self._generation.get(owner_id, 0)
        loaded = self._load(owner_id)
        with self._lock:
            if self._generation.get(owner_id, 0) == generation:  # nothing changed while loading
                self._cache[owner_id] = loaded
                self._evict(keep=owner_id)
        return loaded

    def _evict(self, *, keep: int) -> None:
        """Drops the least recently used users' vectors until the cache fits (the user being served stays)."""
        total = sum(v.nbytes for v in self._cache.values())
        for owner_id in list(self._cache):
            if total <= self.max_bytes:
                break
            if owner_id != keep:
                total -= self._cache.pop(owner_id).nbytes

    def _load(self, owner_id: int) -> _OwnerVectors:
        with self._db.session() as session:
            rows = session.exec(
                select(LectureChunk.id, LectureChunk.lecture_id, LectureChunk.embedding).where(
                    LectureChunk.owner_id == owner_id, col(LectureChunk.embedding).is_not(None)
                )
            ).all()
        if not rows:
            empty = np.zeros(0, dtype=np.int64)
            return _OwnerVectors(empty, empty, np.zeros((0, DIMENSIONS), dtype=np.float32))
        ids, lectures, blobs = zip(*rows, strict=True)
        matrix = np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(rows), DIMENSIONS)
        return _OwnerVectors(np.array(ids, dtype=np.int64), np.array(lectures, dtype=np.int64), matrix)

    def nearest(
        self, owner_id: int, query: np.ndarray, *, lecture_ids: list[int] | None, limit: int, min_score: float = -1.0
    ) -> list[tuple[int, float]]:
        """(chunk id, cosine) of the closest chunks, best first."""
        owned = self.vectors(owner_id)
        if not len(owned.chunk_ids):
            return []
        scores = owned.matrix @ query.astype(np.float32)
        if lecture_ids is not None:
            scores = np.where(np.isin(owned.lecture_ids, lecture_ids), scores, -np.inf)
        limit = min(limit, len(scores))
        top = np.argpartition(-scores, limit - 1)[:limit]
        top = top[np.argsort(-scores[top])]
        return [(int(owned.chunk_ids[i]), float(scores[i])) for i in top if scores[i] >= min_score]

    def similarities(self, owner_id: int, query: np.ndarray, chunk_ids: list[int]) -> dict[int, float]:
        """The cosine of `query` to each of the given chunks that has a vector."""
        owned = self.vectors(owner_id)
        rows = np.flatnonzero(np.isin(owned.chunk_ids, chunk_ids))
        scores = owned.matrix[rows] @ query.astype(np.float32)
        return {int(owned.chunk_ids[r]): float(s) for r, s in zip(rows, scores, strict=True)}


def query_words(query: str) -> list[str]:
    """The words to match by keyword: stop words dropped unless nothing else is left."""
    words = [w.lower() for w in WORD.findall(query)]
    content = [w for w in words if w not in STOP_WORDS]
    return list(dict.fromkeys(content or words))


def search(
    session: Session,
    *,
    index: VectorIndex,
    embedder: Embedder,
    owner_id: int,
    query: str,
    course_id: int | None = None,
    lecture_id: int | None = None,
    limit: int = 20,
) -> SearchResults:
    query = query.strip()
    if not query:
        raise BadRequest("Type something to search for")
    if len(query) > MAX_QUERY_CHARS:
        raise BadRequest(f"A search can be at most {MAX_QUERY_CHARS} characters long")
    lecture_ids = scope_lecture_ids(session, owner_id=owner_id, course_id=course_id, lecture_id=lecture_id)
    words = query_words(query)
    keyword = chunk_search_ranked(session, owner_id=owner_id, words=words, lecture_ids=lecture_ids, limit=CANDIDATES)
    semantic_ready = embedder.ready
    semantic: list[tuple[int, float]] = []
    if semantic_ready:
        vector = embedder.encode_query(query)
        semantic = index.nearest(owner_id, vector, lecture_ids=lecture_ids, limit=CANDIDATES, min_score=MIN_COSINE)
    else:
        embedder.start_loading_in_background()  # ready for the next search
    fused = fuse(keyword, semantic)
    hits = _hits(session, owner_id=owner_id, fused=fused, words=words, limit=limit)
    return SearchResults(query=query, semantic=semantic_ready, results=hits)


def scope_lecture_ids(
    session: Session, *, owner_id: int, course_id: int | None, lecture_id: int | None
) -> list[int] | None:
    """The lecture ids to search in (None: all of the owner's); 404 for someone else's."""
    if lecture_id is not None:
        lecture = get_owned_lecture(session, owner_id=owner_id, lecture_id=lecture_id)
        if course_id is not None and lecture.course_id != course_id:
            return []
        return [lecture_id]
    if course_id is not None:
        get_owned_course(session, owner_id=owner_id, course_id=course_id)
        return list(session.exec(select(Lecture.id).where(Lecture.course_id == course_id)).all())
    return None


def fuse(
    *rankings: list[tuple[int, float]], names: tuple[str, ...] = ("keyword", "semantic")
) -> list[tuple[int, float, list[str]]]:
    """Reciprocal rank fusion: each ranking adds 1 / (60 + rank); which rankings found it is kept."""
    scores: dict[int, float] = {}
    found: dict[int, list[str]] = {}
    for name, ranking in zip(names, rankings, strict=True):
        for rank, (chunk_id, _) in enumerate(ranking, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank)
            found.setdefault(chunk_id, []).append(name)
    ordered = sorted(scores, key=lambda c: -scores[c])
    return [(c, scores[c], found[c]) for c in ordered]


def _hits(
    session: Session, *, owner_id: int, fused: list[tuple[int, float, list[str]]], words: list[str], limit: int
) -> list[SearchHit]:
    if not fused:
        return []
    rows = session.exec(
        select(
            LectureChunk.id,
            LectureChunk.lecture_id,
            LectureChunk.page,
            LectureChunk.text,
            Lecture.title,
            Lecture.course_id,
            Course.name,
        )  # fmt: skip
        .join(Lecture, col(Lecture.id) == col(LectureChunk.lecture_id))
        .join(Course, col(Course.id) == col(Lecture.course_id))
        .where(col(LectureChunk.id).in_([c for c, _, _ in fused]), LectureChunk.owner_id == owner_id)
    ).all()
    by_id = {row[0]: (_Passage(*row[1:4]), *row[4:]) for row in rows}
    hits: list[SearchHit] = []
    pages_seen: set[tuple[int, int]] = set()
    for chunk_id, score, matched in fused:
        if chunk_id not in by_id:  # deleted since the vectors were cached
            continue
        chunk, title, course_id, course_name = by_id[chunk_id]
        if (chunk.lecture_id, chunk.page) in pages_seen:
            continue  # one result per page: its best passage
        pages_seen.add((chunk.lecture_id, chunk.page))
        hits.append(
            SearchHit(
                chunk_id=chunk_id,
                lecture_id=chunk.lecture_id,
                lecture_title=title,
                course_id=course_id,
                course_name=course_name,
                page=chunk.page,
                snippet=highlight(chunk.text, words),
                score=round(score, 6),
                matched=matched,
            )
        )
        if len(hits) == limit:
            break
    return hits


def _fold(text: str) -> str:
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    return "".join(ch for ch in unicodedata.normalize("NFD", lowered) if not unicodedata.combining(ch))


def _stem(word: str) -> str:
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def highlight(text: str, words: list[str], *, width: int = SNIPPET_CHARS) -> str:
    """About `width` characters of `text` around its first matching word, HTML-escaped, with the
    words that share a stem with a query word in <mark>."""
    stems = tuple({_stem(_fold(w)) for w in words if len(w) >= 2})
    spans = [(m.start(), m.end()) for m in WORD.finditer(text) if stems and _fold(m.group()).startswith(stems)]
    start = 0
    if spans and spans[0][0] > width // 3:
        start = text.rfind(" ", 0, spans[0][0] - width // 3) + 1
    end = min(len(text), start + width)
    if end < len(text):
        end = max(text.rfind(" ", start, end), start + width // 2)
    out, cursor = [], start
    for span_start, span_end in spans:
        if span_start < start or span_end > end:
            continue
        out += [html.escape(text[cursor:span_start]), "<mark>", html.escape(text[span_start:span_end]), "</mark>"]
        cursor = span_end
    out.append(html.escape(text[cursor:end]))
    return ("…" if start > 0 else "") + "".join(out).strip() + ("…" if end < len(text) else "")
