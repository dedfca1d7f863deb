"""The in-memory search vectors stay within their budget: the user who searched least recently is
dropped first, and their next search reloads the same vectors from the database."""

from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient

from models.lecture import Lecture, LectureChunk
from processing.embeddings import DIMENSIONS
from processing.search import VectorIndex
from tests.conftest import make_course, register, user_id


def _give_vectors(client: TestClient, headers: dict, count: int, seed: int) -> tuple[int, np.ndarray]:
    owner, course = user_id(client, headers), make_course(client, headers)
    vectors = np.random.default_rng(seed).normal(size=(count, DIMENSIONS)).astype("<f4")
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    with client.app.state.db.transaction() as session:
        lecture = Lecture(
            owner_id=owner, course_id=course, title="L", filename="l.txt", file_kind="text", size_bytes=1, sha256="0"
        )
        session.add(lecture)
        session.flush()
        session.add_all(
            LectureChunk(
                owner_id=owner, lecture_id=lecture.id, page=1, position=i, text=f"chunk {i}", char_start=0,
                char_end=7, embedding=vector.tobytes(),
            )
            for i, vector in enumerate(vectors)
        )  # fmt: skip
    return owner, vectors


def test_least_recently_used_vectors_are_evicted_past_the_budget(client: TestClient, alice: dict) -> None:
    bob, carol = register(client, "bob@example.com"), register(client, "carol@example.com")
    owners = [_give_vectors(client, h, 200, seed) for seed, h in enumerate((alice, bob, carol))]
    one_user = 200 * (DIMENSIONS * 4 + 16)
    index = VectorIndex(client.app.state.db, max_bytes=2 * one_user)

    (a, a_vectors), (b, _), (c, c_vectors) = owners
    index.vectors(a)
    index.vectors(b)
    index.vectors(a)  # alice searched again: bob is now the least recent
    index.vectors(c)

    assert index.cached_bytes == 2 * one_user
    cached = set(index._cache)
    assert cached == {a, c}
    best = index.nearest(b, a_vectors[0], lecture_ids=None, limit=1)  # bob reloads; alice is now least recent
    assert set(index._cache) == {c, b}
    assert best and best[0][1] < 0.5  # alice's vector is not in bob's library
    assert index.nearest(a, a_vectors[7], lecture_ids=None, limit=1)[0][1] > 0.999  # reloaded intact


def test_one_library_larger_than_the_budget_is_still_served(client: TestClient, alice: dict) -> None:
    owner, vectors = _give_vectors(client, alice, 50, seed=4)
    index = VectorIndex(client.app.state.db, max_bytes=1)
    [(chunk_id, score)] = index.nearest(owner, vectors[3], lecture_ids=None, limit=1)
    assert score > 0.999
    assert index.cached_bytes > 1
