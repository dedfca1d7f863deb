"""Feedback on a typed answer: the built-in scorer suggests a rating with a one-line reason
(meaning by embedding similarity, plus coverage of the answer's key terms); with a language
model configured, written feedback is also streamed to the user's sockets (FeedbackStreams: one
stream per user at a time, stopped when the user moves on)."""

from __future__ import annotations

import logging
import os
import re
import threading
import unicodedata
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np
from sqlmodel import Session, select

from models.note import Card
from models.review import CardState, FeedbackOut
from processing.cardgen.words import STOP_WORDS
from processing.embeddings import Embedder
from processing.errors import NotFound
from processing.llm import Provider, ProviderError

log = logging.getLogger("lectern.feedback")
LABELS = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
WORD = re.compile(r"\w+", re.UNICODE)
TAG = re.compile(r"<[^>]+>")
GOOD_SCORE = 0.8
HARD_SCORE = 0.55
FEEDBACK_SYSTEM = (
    "You are a patient tutor. A student answered a flashcard. In two or three sentences, say what "
    "was right, what was missing or wrong, and how to remember it. Do not repeat the question."
)


def _fold(text: str) -> str:
    lowered = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in lowered if not unicodedata.combining(ch))


def _terms(text: str) -> list[str]:
    words = [w for w in WORD.findall(_fold(text)) if w not in STOP_WORDS and (len(w) > 2 or w.isdigit())]
    return list(dict.fromkeys(words)) or list(dict.fromkeys(WORD.findall(_fold(text))))


def _covered(term: str, typed_words: set[str]) -> bool:
    """A key term counts as given when a typed word shares most of its letters from the start
    (mitochondrion ~ mitochondria, enzymes ~ enzyme), so inflections and plurals pass."""
    for word in typed_words:
        shared = len(os.path.commonprefix([word, term]))
        if word == term or (shared >= 4 and shared >= 0.75 * min(len(word), len(term))):
            return True
    return False


def _feedback(rating: int, similarity: float, coverage: float, missing: list[str], reason: str) -> FeedbackOut:
    return FeedbackOut(
        suggested_rating=rating,
        label=LABELS[rating],
        similarity=similarity,
        coverage=coverage,
        missing_terms=missing,
        reason=reason,
    )


def score(typed: str, expected: str, *, similarity: float) -> FeedbackOut:
    """The suggestion for `typed` against `expected`, given their embedding cosine."""
    typed_clean, expected_clean = " ".join(typed.split()), " ".join(expected.split())
    if not typed_clean:
        return _feedback(1, 0.0, 0.0, _terms(expected_clean)[:8], "No answer was typed.")
    if WORD.findall(_fold(typed_clean)) == WORD.findall(_fold(expected_clean)):
        return _feedback(3, 1.0, 1.0, [], "Exactly the answer.")
    terms = _terms(expected_clean)
    typed_words = set(WORD.findall(_fold(typed_clean)))
    missing = [t for t in terms if not _covered(t, typed_words)]
    coverage = 1.0 - len(missing) / len(terms) if terms else 1.0
    similarity = max(0.0, min(1.0, similarity))
    combined = 0.5 * similarity + 0.5 * coverage
    if combined >= GOOD_SCORE and coverage >= 0.75:
        rating = 3
        reason = "Same meaning; " + (f"only {missing[0]} is missing." if missing else "every key term is there.")
    elif combined >= HARD_SCORE:
        rating = 2
        reason = (
            "Close, but incomplete: missing " + ", ".join(missing[:3]) + "." if missing else "Close, in other words."
        )
    else:
        rating = 1
        reason = "Not the answer" + (": it is about " + ", ".join(missing[:3]) + "." if missing else ".")
    return _feedback(rating, round(similarity, 3), round(coverage, 3), missing[:8], reason)


def expected_answer(session: Session, *, user_id: int, card_id: int) -> tuple[str, str]:
    """(question, expected answer) as plain text, for a card the user studies (their own, or one of a
    deck they subscribe to: either way they have its scheduling state)."""
    row = session.exec(
        select(Card.answer, Card.front_html, Card.back_html)
        .join(CardState, (CardState.card_id == Card.id) & (CardState.user_id == user_id))
        .where(Card.id == card_id)
    ).first()
    if row is None:
        raise NotFound("Card not found")
    answer, front_html, back_html = row
    question = " ".join(TAG.sub(" ", front_html).split())
    return question, answer if answer else " ".join(TAG.sub(" ", back_html).split())


def typein_feedback(
    session: Session,
    *,
    user_id: int,
    card_id: int,
    typed: str,
    embedder: Embedder,
    provider: Provider | None,
    streams: FeedbackStreams,
) -> FeedbackOut:
    question, expected = expected_answer(session, user_id=user_id, card_id=card_id)
    similarity = 0.0
    if typed.strip():
        vectors = embedder.encode([typed, expected])
        similarity = float(np.dot(vectors[0], vectors[1]))
    feedback = score(typed, expected, similarity=similarity)
    if provider is None or not typed.strip():
        return feedback
    prompt = f"Question: {question}\nExpected answer: {expected}\nStudent's answer: {typed}"
    stream_id = streams.start(user_id=user_id, provider=provider, prompt=prompt)
    return feedback.model_copy(update={"stream_id": stream_id})


class FeedbackStreams:
    """Written feedback being streamed, at most one per user (owned by the app's lifespan). Each runs
    in its own thread and sends feedback.delta events, then exactly one feedback.done (with
    "stopped": true when it was stopped) or feedback.error. A new answer checked, or the user moving
    to the next card, stops the previous stream, so a model is never left writing for nobody."""

    def __init__(self, publish: Callable[[int, dict[str, Any]], None]) -> None:
        self._publish = publish
        self._lock = threading.Lock()
        self._active: dict[int, tuple[str, threading.Event]] = {}  # user id → (stream id, stop)

    def start(self, *, user_id: int, provider: Provider, prompt: str) -> str:
        stream_id, stop = uuid.uuid4().hex, threading.Event()
        with self._lock:
            previous = self._active.get(user_id)
            self._active[user_id] = (stream_id, stop)
        if previous is not None:
            previous[1].set()
        threading.Thread(
            target=self._run, args=(provider, prompt, stream_id, user_id, stop), name="lectern-feedback", daemon=True
        ).start()
        return stream_id

    def stop(self, *, user_id: int, stream_id: str) -> None:
        """Stops the user's stream `stream_id`; NotFound when no such stream is being written (it ended)."""
        with self._lock:
            active = self._active.get(user_id)
        if active is None or active[0] != stream_id:
            raise NotFound("No feedback is being written under this id (it has ended)")
        active[1].set()

    def stop_all(self) -> None:
        with self._lock:
            for _, stop in self._active.values():
                stop.set()

    def _run(self, provider: Provider, prompt: str, stream_id: str, user_id: int, stop: threading.Event) -> None:
        """Runs in its own thread: deltas go to the user's sockets through the hub as they come."""
        publish = self._publish
        deltas = provider.stream_text(system=FEEDBACK_SYSTEM, prompt=prompt)
        try:
            for delta in deltas:
                if stop.is_set():
                    break
                publish(user_id, {"type": "feedback.delta", "stream_id": stream_id, "text": delta})
        except ProviderError as error:
            publish(user_id, {"type": "feedback.error", "stream_id": stream_id, "message": str(error)})
            return
        except Exception:
            log.exception("feedback stream failed")
            message = "The written feedback stopped because of an error; it has been logged."
            publish(user_id, {"type": "feedback.error", "stream_id": stream_id, "message": message})
            return
        finally:
            getattr(deltas, "close", lambda: None)()  # ends the model's HTTP stream when stopped early
            with self._lock:
                if self._active.get(user_id, ("",))[0] == stream_id:
                    del self._active[user_id]
        publish(user_id, {"type": "feedback.done", "stream_id": stream_id, "stopped": stop.is_set()})
