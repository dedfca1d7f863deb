"""Hybrid search over 100k synthetic lecture chunks: latency of processing.search.search and its parts.

The corpus (one user, 5 courses × 40 lectures × 500 chunks, at most 500 pages a lecture as LECTERN_MAX_PAGES
allows) is inserted straight into a freshly migrated SQLite file, so the FTS5 triggers index it as ingest does.
- Text: ingest_text's vocabulary (23 function words + 3,000 made-up content words, Zipf 1/rank), 150–200
  words a chunk in sentences of 8–18 words. Drawn with numpy in one go: ingest_text.lecture_paragraph
  re-accumulates the 3,000 weights for every sentence, ~1 ms a chunk, ~100 s for 100k.
- Vectors: real MiniLM embeddings of 100k chunks would take ~45 minutes on 2 cores, and unit vectors drawn at
  random are all near-orthogonal (cosine ~0 ± 0.05), which no real corpus is: a query would clear
  search.MIN_COSINE with nothing and the fused list would hold keyword hits only. Instead 300 "topic"
  centroids are real int8 embeddings of 300 lecture_paragraph texts; each lecture draws 4 topics from its
  course's 60, and each chunk is a random mixture (Dirichlet) of 1–3 of its lecture's topics plus Gaussian
  noise, normalised. Chunks cluster by lecture (cosine to their main topic ~0.73), and real query embeddings
  meet them as they meet real embeddings of such chunks (measured on 500: best cosine median 0.49 vs 0.50,
  50th best 0.44 vs 0.41), so search.MIN_COSINE passes the usual 50 candidates.
Queries (1–5 words, see search_queries) draw content words by the same Zipf weights, so the corpus' most
common words are asked for most; some carry a function word, a few are function words only; a quarter are
scoped to one course. Each query is timed three ways in rotating order: the whole search() call (own session,
as a request has), the FTS5 part (db.chunk_search_ranked) and the vector part (encode_query +
VectorIndex.nearest), each with the scope search() would use.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
from sqlalchemy import insert

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest_text import FUNCTION_WORDS, lecture_paragraph, vocabulary  # noqa: E402
from review_load import percentile  # noqa: E402

from db import Database, chunk_search_ranked  # noqa: E402
from models.lecture import Course, Lecture, LectureChunk, LectureStatus  # noqa: E402
from models.user import User  # noqa: E402
from processing.embeddings import DIMENSIONS, Embedder  # noqa: E402
from processing.search import CANDIDATES, MIN_COSINE, VectorIndex, query_words, search  # noqa: E402

COURSES, LECTURES_PER_COURSE, TOPICS, TOPICS_PER_COURSE, TOPICS_PER_LECTURE = 5, 40, 300, 60, 4
NOISE = 0.9  # Gaussian noise norm relative to the topic mixture: cosine to the main topic ~0.7
BUDGET_P95_MS = 50


def chunk_texts(rng: np.random.Generator, words: list[str], weights: list[float], count: int) -> list[str]:
    """`count` chunks of 150–200 Zipf-drawn words, in capitalised sentences of 8–18 words."""
    lengths = rng.integers(150, 201, size=count)
    probabilities = np.asarray(weights) / sum(weights)
    drawn = np.asarray(words, dtype=object)[rng.choice(len(words), size=int(lengths.sum()), p=probabilities)]
    sentence_lengths = rng.integers(8, 19, size=int(lengths.sum()) // 8 + 1)
    texts, start, s = [], 0, 0
    for length in lengths:
        chunk, end = drawn[start : start + length], start + length
        sentences, at = [], 0
        while at < length:
            sentence = chunk[at : at + sentence_lengths[s]]
            sentences.append(" ".join(sentence).capitalize() + ".")
            at, s = at + sentence_lengths[s], s + 1
        texts.append(" ".join(sentences))
        start = end
    return texts


def topic_centroids(embedder: Embedder, words: list[str], weights: list[float]) -> np.ndarray:
    rng = random.Random(3)
    return embedder.encode([lecture_paragraph(rng, words, weights) for _ in range(TOPICS)])


def chunk_vectors(rng: np.random.Generator, centroids: np.ndarray, topics: np.ndarray, count: int) -> np.ndarray:
    """Unit vectors, each a Dirichlet mixture of 1–3 of `topics` (centroid rows) plus noise."""
    mixture = np.zeros((count, DIMENSIONS), dtype=np.float32)
    for row in range(count):
        chosen = rng.choice(topics, size=rng.integers(1, 4), replace=False)
        mixture[row] = rng.dirichlet(np.ones(len(chosen))) @ centroids[chosen]
    mixture /= np.linalg.norm(mixture, axis=1, keepdims=True)
    noise = rng.standard_normal((count, DIMENSIONS)).astype(np.float32)
    noise *= NOISE / np.linalg.norm(noise, axis=1, keepdims=True)
    vectors = mixture + noise
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def build_corpus(database: Database, embedder: Embedder, *, chunks: int, seed: int = 5) -> tuple[int, dict]:
    """Inserts one user's courses, lectures and `chunks` chunks; returns the owner id and course → lecture ids."""
    rng = np.random.default_rng(seed)
    words, weights = vocabulary(random.Random(7))
    centroids = topic_centroids(embedder, words, weights)
    lectures = COURSES * LECTURES_PER_COURSE
    per_lecture = -(-chunks // lectures)
    with database.transaction() as session:
        user = User(email="search@example.com", password_hash="-")
        session.add(user)
        session.flush()
        courses = [Course(owner_id=user.id, name=f"Course {c}") for c in range(COURSES)]
        session.add_all(courses)
        session.flush()
        rows = [
            Lecture(
                owner_id=user.id,
                course_id=courses[n % COURSES].id,
                title=f"Lecture {n}",
                filename=f"lecture-{n}.pdf",
                file_kind="pdf",
                size_bytes=1,
                sha256=f"{n:064x}",
                status=LectureStatus.ready,
                page_count=(per_lecture + 1) // 2,
            )
            for n in range(lectures)
        ]
        session.add_all(rows)
        session.flush()
        scopes: dict[int, list[int]] = {course.id: [] for course in courses}
        inserted = 0
        for n, lecture in enumerate(rows):
            scopes[lecture.course_id].append(lecture.id)
            count = min(per_lecture, chunks - inserted)
            if count <= 0:
                continue
            pool = (n % COURSES) * TOPICS_PER_COURSE + np.arange(TOPICS_PER_COURSE)
            vectors = chunk_vectors(rng, centroids, rng.choice(pool, TOPICS_PER_LECTURE, replace=False), count)
            texts = chunk_texts(rng, words, weights, count)
            session.execute(
                insert(LectureChunk),
                [
                    dict(
                        owner_id=user.id,
                        lecture_id=lecture.id,
                        page=1 + i // 2,
                        position=i,
                        text=text,
                        char_start=0,
                        char_end=len(text),
                        embedding=vectors[i].astype("<f4").tobytes(),
                    )
                    for i, text in enumerate(texts)
                ],
            )
            inserted += count
        owner_id = user.id
    return owner_id, scopes


def search_queries(count: int, scopes: dict[int, list[int]], *, seed: int = 9) -> list[tuple[str, int | None]]:
    """(query, course id or None), a quarter scoped to a course: 1–4 content words drawn by the corpus' own
    Zipf weights (so its most common words are asked for most), a function word between them in 30 % of
    queries ("zymegra of contra"), and 5 % made of function words only ("the", "what is the"), which
    search.query_words then has to keep."""
    rng = random.Random(seed)
    words, weights = vocabulary(random.Random(7))
    functions = len(FUNCTION_WORDS.split())
    content, content_weights = words[functions:], weights[functions:]
    courses = list(scopes)
    queries = []
    for _ in range(count):
        if rng.random() < 0.05:
            query = rng.choices(words[:functions], weights=weights[:functions], k=rng.randint(1, 3))
        else:
            query = rng.choices(content, weights=content_weights, k=rng.choices([1, 2, 3, 4], [35, 35, 20, 10])[0])
            if rng.random() < 0.3:
                query.insert(rng.randint(0, len(query)), rng.choice(words[:functions]))
        queries.append((" ".join(query), rng.choice(courses) if rng.random() < 0.25 else None))
    return queries


def _timed(fn: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def measure_search(*, chunks: int, queries: int, models_dir: Path, log: Callable[[str], None]) -> dict:
    """Builds the corpus in a temp dir and times the queries; all latencies in seconds."""
    embedder = Embedder(models_dir)
    embedder.load()
    with tempfile.TemporaryDirectory(prefix="lectern-bench-search-") as folder:
        database = Database(f"sqlite:///{Path(folder) / 'app.db'}")
        database.migrate()
        started = time.perf_counter()
        owner_id, scopes = build_corpus(database, embedder, chunks=chunks)
        build_seconds = time.perf_counter() - started
        db_mb = sum(p.stat().st_size for p in Path(folder).iterdir()) / 1e6
        log(f"search corpus: {chunks} chunks built in {build_seconds:.0f} s ({db_mb:.0f} MB on disk)")
        index = VectorIndex(database)
        plan = search_queries(queries, scopes)
        times: dict[str, list[float]] = {"whole": [], "fts": [], "vector": [], "encode": [], "nearest": []}
        slowest: list[tuple[float, str, int | None, int, int]] = []

        def whole(query: str, course: int | None) -> object:
            with database.session() as session:
                return search(session, index=index, embedder=embedder, owner_id=owner_id, query=query, course_id=course)

        def fts(query: str, course: int | None) -> object:
            with database.session() as session:
                scope = scopes[course] if course else None
                words = query_words(query)
                return chunk_search_ranked(session, owner_id=owner_id, words=words, lecture_ids=scope, limit=CANDIDATES)

        def vector(query: str, course: int | None) -> object:
            encode_seconds, query_vector = _timed(lambda: embedder.encode_query(query))
            scope = scopes[course] if course else None
            nearest_seconds, found = _timed(
                lambda: index.nearest(owner_id, query_vector, lecture_ids=scope, limit=CANDIDATES, min_score=MIN_COSINE)
            )
            times["encode"].append(encode_seconds)
            times["nearest"].append(nearest_seconds)
            return found

        cold, _ = _timed(lambda: whole(*plan[0]))  # loads the owner's vectors into the index
        semantic_hits = []
        for n, (query, course) in enumerate(plan):
            parts = [("whole", whole), ("fts", fts), ("vector", vector)]
            measured = {}
            for name, fn in parts[n % 3 :] + parts[: n % 3]:
                measured[name], result = _timed(partial(fn, query, course))
                times[name].append(measured[name])
                if name == "vector":
                    semantic_hits.append(len(result))
            slowest.append((measured["whole"], query, course, len(query_words(query)), semantic_hits[-1]))
        matrix = index.vectors(owner_id).matrix
        database.dispose()
    summary = {name: {q: percentile(values, q) for q in (50, 95, 99)} for name, values in times.items()}
    return {
        "chunks": chunks,
        "queries": len(plan),
        "build_seconds": build_seconds,
        "cold_ms": cold * 1000,
        "latency_ms": summary,
        "matrix_mb": matrix.nbytes / 1e6,
        "semantic_hits_median": float(np.median(semantic_hits)),
        "slowest": sorted(slowest, reverse=True)[:3],
    }
