"""Writing an answer: retrieval, then the built-in extracts or a model's stream, sent to the user's
sockets as it comes and stored as it goes.

`ChatAnswers` is owned by the app (created in the lifespan). Each answer runs on its own small thread
pool, never behind an ingest job. Events, all to the asking user only:

    chat.message (the question) · chat.message (the answer, streaming) · chat.delta … ·
    chat.done (status done | cancelled, with citations) | chat.error (status interrupted, partial text kept)

and chat.conversation {change: created | renamed | deleted} when the list of conversations changes.

The text written so far is saved about once a second, so a crash loses at most that much; at start-up
`conversations.interrupt_unfinished` marks what a stop cut off. Exactly one of the writer thread, a
cancel, a conversation delete or the shutdown finishes an answer: `_Stream.finalized` decides.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select, update

from db import Database
from models.chat import AskResult, ChatCitation, ChatMessage, ChatScope, Conversation, MessagePublic, MessageStatus
from models.common import utcnow
from models.lecture import Lecture, LectureStatus
from processing.chat import conversations, extractive, prompting
from processing.chat.retrieval import Passage, processed_lecture_ids, retrieve
from processing.embeddings import Embedder
from processing.errors import Conflict, NotFound
from processing.llm import Provider, ProviderError
from processing.search import VectorIndex

log = logging.getLogger("lectern.chat")
SAVE_EVERY_SECONDS = 1.0
CANCEL_WAIT_SECONDS = 3.0
WORKERS = 4
FAILED = "The answer stopped because of an error on the server; it has been logged."
STOPPED = "The server was stopped while this answer was being written; the part written so far is kept."


@dataclass
class _Stream:
    owner_id: int
    conversation_id: int
    message_id: int
    text: str = ""
    saved_at: float = field(default_factory=time.monotonic)
    cancelled: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    finalized: bool = False
    passages: list[Passage] = field(default_factory=list)  # given to a model, for citing a partial answer
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass(frozen=True)
class _Outcome:
    citations: list[prompting.Cited]
    grounded: bool


class ChatAnswers:
    def __init__(
        self,
        *,
        database: Database,
        index: VectorIndex,
        embedder: Embedder,
        provider: Callable[[], Provider | None],
        publish: Callable[[int, dict[str, Any]], None],
        workers: int = WORKERS,
    ) -> None:
        self.db, self.index, self.embedder = database, index, embedder
        self._provider, self._publish = provider, publish
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lectern-chat")
        self._streams: dict[int, _Stream] = {}
        self._lock = threading.Lock()

    # --- requests ---------------------------------------------------------------------------------------

    def ask(self, session: Session, *, owner_id: int, conversation_id: int, question: str) -> AskResult:
        conversation = conversations.get_owned_conversation(session, owner_id=owner_id, conversation_id=conversation_id)
        question = conversations.check_question(question)
        if not self._lectures_in_scope(session, conversation):
            raise Conflict(_nothing_to_search(session, conversation))
        provider = self._provider()
        asked, answer = conversations.add_exchange(
            session, conversation=conversation, question=question, provider=provider.name if provider else "builtin"
        )
        result = AskResult(
            question=conversations.message_public(asked, []), answer=conversations.message_public(answer, [])
        )
        for message in (result.question, result.answer):
            self._event(owner_id, "chat.message", conversation_id, message=message.model_dump(mode="json"))
        stream = _Stream(owner_id=owner_id, conversation_id=conversation_id, message_id=answer.id)
        with self._lock:
            self._streams[answer.id] = stream
        self._executor.submit(self._write, stream, provider, question, asked.id)
        return result

    def cancel(self, *, owner_id: int, conversation_id: int, message_id: int) -> MessagePublic:
        """Stops an answer being written; what was written is kept (status "cancelled"). Uses its own
        short sessions: the writer thread needs the write lock to store the answer while this waits."""
        with self.db.session() as session:
            conversations.get_owned_conversation(session, owner_id=owner_id, conversation_id=conversation_id)
            message = session.get(ChatMessage, message_id)
            if message is None or message.conversation_id != conversation_id:
                raise NotFound("Message not found")
            status = message.status
        with self._lock:
            stream = self._streams.get(message_id)
        if stream is None and status != MessageStatus.streaming:
            raise Conflict(f"This answer has already {'finished' if status == MessageStatus.done else status}")
        if stream is not None:
            stream.cancelled.set()
            if not stream.finished.wait(CANCEL_WAIT_SECONDS):  # the model is silent: stop without it
                self._finish(stream, MessageStatus.cancelled, _Outcome([], True))
        else:  # no writer is left for it: settle the row
            self._store(
                _Stream(owner_id, conversation_id, message_id), MessageStatus.cancelled, _Outcome([], True), None, None
            )
        with self.db.session() as session:
            message = session.get(ChatMessage, message_id)
            if message is None:
                raise NotFound("Message not found")
            return conversations.messages_public(session, [message])[0]

    def conversation_changed(self, owner_id: int, conversation_id: int, change: str) -> None:
        """Tells the user's other tabs that a conversation was "created", "renamed" or "deleted"."""
        self._event(owner_id, "chat.conversation", conversation_id, change=change)

    def forget(self, message_ids: list[int]) -> None:
        """The conversation is being deleted: its answers stop and write nothing more."""
        for message_id in message_ids:
            with self._lock:
                stream = self._streams.pop(message_id, None)
            if stream is not None:
                with stream.lock:
                    stream.finalized = True
                stream.cancelled.set()
                stream.finished.set()

    def shutdown(self) -> None:
        with self._lock:
            streams = list(self._streams.values())
        for stream in streams:
            stream.cancelled.set()
            self._finish(stream, MessageStatus.interrupted, _Outcome([], True), error=STOPPED)
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _lectures_in_scope(self, session: Session, conversation: Conversation) -> list[int]:
        return processed_lecture_ids(
            session, owner_id=conversation.owner_id, lecture_ids=_scope_ids(session, conversation)
        )

    # --- the writer thread ------------------------------------------------------------------------------

    def _write(self, stream: _Stream, provider: Provider | None, question: str, asked_id: int) -> None:
        try:
            with self.db.session() as session:
                context = self._context(session, stream, asked_id)
                lecture_ids = self._lectures_in_scope(
                    session,
                    conversations.get_owned_conversation(
                        session, owner_id=stream.owner_id, conversation_id=stream.conversation_id
                    ),
                )
                passages = retrieve(
                    session,
                    index=self.index,
                    embedder=self.embedder,
                    owner_id=stream.owner_id,
                    question=question,
                    context=context.retrieval_context,
                    lecture_ids=lecture_ids,
                    pinned_page=context.pinned_page,
                )
            if provider is None:
                outcome = self._extracts(stream, question, passages, context.retrieval_context)
            else:
                outcome = self._model_answer(stream, provider, question, passages, context)
            status = MessageStatus.cancelled if stream.cancelled.is_set() else MessageStatus.done
            self._finish(stream, status, outcome)
        except ProviderError as error:
            self._finish(stream, MessageStatus.interrupted, self._partial_outcome(stream), error=error.message)
        except NotFound:
            self.forget([stream.message_id])  # the conversation was deleted meanwhile
        except Exception:
            log.exception("chat answer failed", extra={"message_id": stream.message_id})
            self._finish(stream, MessageStatus.interrupted, _Outcome([], True), error=FAILED)

    def _context(self, session: Session, stream: _Stream, asked_id: int) -> _Context:
        conversation = conversations.get_owned_conversation(
            session, owner_id=stream.owner_id, conversation_id=stream.conversation_id
        )
        earlier = conversations.history(session, conversation_id=conversation.id, before_id=asked_id)
        turns = [prompting.Turn(m.role, m.content) for m in earlier]
        card, pinned = None, None
        if conversation.card_id is not None:
            try:
                seed = conversations.card_context(session, owner_id=stream.owner_id, card_id=conversation.card_id)
            except NotFound:
                seed = None
            if seed is not None:
                card = prompting.CardSeed(seed.front, seed.answer)
                if seed.source_lecture_id is not None and seed.source_page is not None:
                    pinned = (seed.source_lecture_id, seed.source_page)
        previous = [t.content for t in turns if t.role == "user"][-1:]
        parts = ([f"{card.front} {card.answer}"] if card else []) + previous
        return _Context(turns, card, pinned, " ".join(parts))

    def _extracts(self, stream: _Stream, question: str, passages: list[Passage], context: str) -> _Outcome:
        extracts = extractive.choose_extracts(question, passages, embedder=self.embedder, context=context)
        numbers = list(range(1, len(extracts) + 1))
        for piece in extractive.stream_pieces(extractive.compose(extracts, numbers)):
            if stream.cancelled.is_set():
                break
            self._delta(stream, piece)
        written = set(prompting.cited_numbers(stream.text, len(extracts)))
        cited = [prompting.Cited(n, e.passage, e.quote) for n, e in zip(numbers, extracts, strict=True) if n in written]
        return _Outcome(cited, bool(extracts))

    def _model_answer(
        self, stream: _Stream, provider: Provider, question: str, passages: list[Passage], context: _Context
    ) -> _Outcome:
        usable = [p for p in passages if p.supports or p.keyword]
        if not usable:
            for piece in extractive.stream_pieces(extractive.NOTHING_FOUND):
                self._delta(stream, piece)
            return _Outcome([], False)
        prompt = prompting.build_prompt(question, usable, history=context.turns, card=context.card)
        deltas: Iterator[str] = provider.stream_text(
            system=prompting.SYSTEM, prompt=prompt, should_stop=stream.cancelled.is_set
        )
        stream.passages = usable
        for delta in deltas:
            self._delta(stream, delta)
            if stream.cancelled.is_set():
                break
        cited = prompting.citations(stream.text, usable, embedder=self.embedder)
        return _Outcome(cited, bool(cited))

    def _partial_outcome(self, stream: _Stream) -> _Outcome:
        """Citations of the text written before a model failed, when they can still be worked out."""
        passages = stream.passages
        if not passages or not stream.text:
            return _Outcome([], True)
        try:
            cited = prompting.citations(stream.text, passages, embedder=self.embedder)
        except Exception:  # the answer is already failing; keep the text without citations
            log.exception("citations of a partial answer failed")
            cited = []
        return _Outcome(cited, True)

    def _delta(self, stream: _Stream, text: str) -> None:
        with stream.lock:
            if stream.finalized:
                return
            stream.text += text
            self._event(stream.owner_id, "chat.delta", stream.conversation_id, message_id=stream.message_id, text=text)
            if time.monotonic() - stream.saved_at >= SAVE_EVERY_SECONDS:
                stream.saved_at = time.monotonic()
                self._save_text(stream.message_id, stream.text)

    def _save_text(self, message_id: int, text: str) -> None:
        with self.db.transaction() as session:
            session.exec(
                update(ChatMessage)
                .where(col(ChatMessage.id) == message_id, col(ChatMessage.status) == MessageStatus.streaming)
                .values(content=text)
            )

    def _finish(self, stream: _Stream, status: MessageStatus, outcome: _Outcome, *, error: str | None = None) -> None:
        with stream.lock:
            if stream.finalized:
                return
            stream.finalized = True
            text = stream.text
        try:
            public = self._store(stream, status, outcome, text, error)
        finally:
            with self._lock:
                self._streams.pop(stream.message_id, None)
            stream.finished.set()
        if public is not None:
            kind = "chat.error" if status == MessageStatus.interrupted else "chat.done"
            self._event(stream.owner_id, kind, stream.conversation_id, message=public.model_dump(mode="json"))

    def _store(
        self, stream: _Stream, status: MessageStatus, outcome: _Outcome, text: str | None, error: str | None
    ) -> MessagePublic | None:
        with self.db.transaction() as session:
            message = session.get(ChatMessage, stream.message_id)
            if message is None or message.status != MessageStatus.streaming:
                return None  # deleted with its conversation, or settled at start-up
            if text is not None:
                message.content = text
            message.status, message.error = status, error
            message.grounded = outcome.grounded
            rows = [
                ChatCitation(
                    message_id=message.id,
                    n=c.n,
                    lecture_id=c.passage.lecture_id,
                    lecture_title=c.passage.lecture_title,
                    page=c.passage.page,
                    quote=c.quote,
                )
                for c in outcome.citations
            ]
            conversations.replace_citations(session, message_id=message.id, citations=rows)
            conversation = session.get(Conversation, stream.conversation_id)
            if conversation is not None:
                conversation.updated_at = utcnow()
                session.add(conversation)
            session.add(message)
            session.flush()
            return conversations.message_public(message, rows)

    def _event(self, owner_id: int, kind: str, conversation_id: int, **fields: Any) -> None:
        self._publish(owner_id, {"type": kind, "conversation_id": conversation_id, **fields})


@dataclass(frozen=True)
class _Context:
    turns: list[prompting.Turn]
    card: prompting.CardSeed | None
    pinned_page: tuple[int, int] | None
    retrieval_context: str


def _scope_ids(session: Session, conversation: Conversation) -> list[int] | None:
    if conversation.scope == ChatScope.lecture:
        return [conversation.lecture_id] if conversation.lecture_id is not None else []
    if conversation.scope == ChatScope.course:
        if conversation.course_id is None:
            return []
        return list(session.exec(select(Lecture.id).where(Lecture.course_id == conversation.course_id)).all())
    return None


def _nothing_to_search(session: Session, conversation: Conversation) -> str:
    if conversation.scope == ChatScope.lecture:
        lecture = session.get(Lecture, conversation.lecture_id) if conversation.lecture_id else None
        if lecture is None:
            return "The lecture this conversation was about has been deleted; start a new conversation."
        if lecture.status in (LectureStatus.queued, LectureStatus.processing):
            return f"“{lecture.title}” is still being read; ask again once it is ready."
        return f"“{lecture.title}” could not be read; re-process it in the Library, then ask again."
    if conversation.scope == ChatScope.course:
        if conversation.course_id is None:
            return "The course this conversation was about has been deleted; start a new conversation."
        return "No lecture of this course is ready yet. Upload one in the Library, then ask again once it is read."
    return "There are no processed lectures yet. Upload one in the Library, then ask again once it is read."
