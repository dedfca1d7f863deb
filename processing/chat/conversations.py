"""Conversations and their messages: ownership, scopes, the stored form of answers and citations.

Ownership is checked here (`get_owned_conversation`) and nowhere else. Writing an answer is
processing/chat/answering.py; this module only reads and writes rows.
"""

from __future__ import annotations

import re

from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from models.chat import (
    MAX_QUESTION_CHARS,
    CardContext,
    ChatCitation,
    ChatMessage,
    ChatScope,
    CitationPublic,
    Conversation,
    ConversationCreate,
    ConversationDetail,
    ConversationSummary,
    ConversationUpdate,
    MessagePublic,
    MessageRole,
    MessageStatus,
)
from models.common import utcnow
from models.lecture import Course, Lecture
from models.note import Card, Note
from processing.errors import BadRequest, Conflict, NotFound
from processing.feedback import expected_answer
from processing.lectures import get_owned_course, get_owned_lecture
from processing.render import render_markdown

TITLE_CHARS = 60
# [n] or [n, m] not escaped (\[n\]) and not the text of a Markdown link ([n](url)).
CITATION_MARKER = re.compile(r"(?<!\\)\[(\d{1,2}(?:\s*[,;]\s*\d{1,2})*)\](?!\()")
RESTARTED = "The server stopped while this answer was being written; the part written so far is kept."


def get_owned_conversation(session: Session, *, owner_id: int, conversation_id: int) -> Conversation:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or conversation.owner_id != owner_id:
        raise NotFound("Conversation not found")
    return conversation


def get_owned_message(session: Session, *, owner_id: int, message_id: int) -> ChatMessage:
    message = session.get(ChatMessage, message_id)
    conversation = session.get(Conversation, message.conversation_id) if message is not None else None
    if message is None or conversation is None or conversation.owner_id != owner_id:
        raise NotFound("Message not found")
    return message


def create_conversation(session: Session, *, owner_id: int, data: ConversationCreate) -> ConversationSummary:
    scope, course_id, lecture_id, title = data.scope, data.course_id, data.lecture_id, data.title
    if data.card_id is not None:
        card = card_context(session, owner_id=owner_id, card_id=data.card_id)
        scope, course_id, lecture_id = ChatScope.all, None, None
        if card.source_lecture_id is not None:
            scope, lecture_id = ChatScope.lecture, card.source_lecture_id
        title = title or _title("Card: " + card.front)
    elif scope == ChatScope.course:
        assert course_id is not None
        get_owned_course(session, owner_id=owner_id, course_id=course_id)
        lecture_id = None
    elif scope == ChatScope.lecture:
        assert lecture_id is not None
        course_id = get_owned_lecture(session, owner_id=owner_id, lecture_id=lecture_id).course_id
    else:
        course_id = lecture_id = None
    conversation = Conversation(
        owner_id=owner_id,
        title=title or "New conversation",
        scope=scope,
        course_id=course_id,
        lecture_id=lecture_id,
        card_id=data.card_id,
    )
    session.add(conversation)
    session.commit()
    session.refresh(conversation)
    return summaries(session, [conversation])[0]


def _title(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= TITLE_CHARS:
        return text
    cut = text.rfind(" ", 0, TITLE_CHARS)
    return text[: cut if cut > TITLE_CHARS // 2 else TITLE_CHARS] + "…"


def list_conversations(session: Session, *, owner_id: int) -> list[ConversationSummary]:
    rows = session.exec(
        select(Conversation)
        .where(Conversation.owner_id == owner_id)
        .order_by(col(Conversation.updated_at).desc(), col(Conversation.id).desc())
    ).all()
    return summaries(session, list(rows))


def summaries(session: Session, conversations: list[Conversation]) -> list[ConversationSummary]:
    ids = [c.id for c in conversations]
    counts = dict(
        session.exec(
            select(ChatMessage.conversation_id, func.count())
            .where(col(ChatMessage.conversation_id).in_(ids))
            .group_by(col(ChatMessage.conversation_id))
        ).all()
    )
    course_names = _names(session, Course, Course.name, {c.course_id for c in conversations if c.scope == "course"})
    lecture_titles = _names(
        session, Lecture, Lecture.title, {c.lecture_id for c in conversations if c.scope == "lecture"}
    )
    out = []
    for c in conversations:
        if c.scope == ChatScope.course:
            label = course_names.get(c.course_id, "A deleted course")
        elif c.scope == ChatScope.lecture:
            label = lecture_titles.get(c.lecture_id, "A deleted lecture")
        else:
            label = "All lectures"
        out.append(
            ConversationSummary(
                id=c.id,
                title=c.title,
                scope=ChatScope(c.scope),
                course_id=c.course_id,
                lecture_id=c.lecture_id,
                card_id=c.card_id,
                scope_label=label,
                message_count=counts.get(c.id, 0),
                created_at=c.created_at,
                updated_at=c.updated_at,
            )
        )
    return out


def _names(session: Session, table: type, column, ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return dict(session.exec(select(table.id, column).where(col(table.id).in_(wanted))).all())


def detail(session: Session, *, owner_id: int, conversation_id: int) -> ConversationDetail:
    conversation = get_owned_conversation(session, owner_id=owner_id, conversation_id=conversation_id)
    messages = session.exec(
        select(ChatMessage)
        .where(ChatMessage.conversation_id == conversation_id)
        .order_by(col(ChatMessage.created_at), col(ChatMessage.id))
    ).all()
    card = None
    if conversation.card_id is not None:
        try:
            card = card_context(session, owner_id=owner_id, card_id=conversation.card_id)
        except NotFound:
            card = None
    summary = summaries(session, [conversation])[0]
    return ConversationDetail(**summary.model_dump(), card=card, messages=messages_public(session, list(messages)))


def rename(session: Session, *, owner_id: int, conversation_id: int, data: ConversationUpdate) -> ConversationSummary:
    conversation = get_owned_conversation(session, owner_id=owner_id, conversation_id=conversation_id)
    conversation.title = " ".join(data.title.split())[:200] or conversation.title
    session.add(conversation)
    session.commit()
    session.refresh(conversation)
    return summaries(session, [conversation])[0]


def delete_conversation(session: Session, *, owner_id: int, conversation_id: int) -> list[int]:
    """Deletes it with its messages; returns the ids of answers that were still being written."""
    conversation = get_owned_conversation(session, owner_id=owner_id, conversation_id=conversation_id)
    streaming = list(
        session.exec(
            select(ChatMessage.id).where(
                ChatMessage.conversation_id == conversation_id, ChatMessage.status == MessageStatus.streaming
            )
        ).all()
    )
    session.delete(conversation)
    session.commit()
    return streaming


def card_context(session: Session, *, owner_id: int, card_id: int) -> CardContext:
    """The card's question and answer as plain text (as type-in feedback reads them) and its source page."""
    front, answer = expected_answer(session, user_id=owner_id, card_id=card_id)
    lecture_id, page = session.exec(
        select(Note.source_lecture_id, Note.source_page)
        .join(Card, col(Card.note_id) == col(Note.id))
        .where(Card.id == card_id)
    ).one()
    return CardContext(id=card_id, front=front, answer=answer, source_lecture_id=lecture_id, source_page=page)


def check_question(question: str) -> str:
    question = question.strip()
    if not question:
        raise BadRequest("Type a question first")
    if len(question) > MAX_QUESTION_CHARS:
        raise BadRequest(
            f"A question can be at most {MAX_QUESTION_CHARS:,} characters long (this one has {len(question):,}). "
            "Ask about one thing at a time, or quote only the part you mean."
        )
    return question


def add_exchange(
    session: Session, *, conversation: Conversation, question: str, provider: str
) -> tuple[ChatMessage, ChatMessage]:
    """Stores the question and an empty answer being written, in one transaction."""
    busy = session.exec(
        select(ChatMessage.id).where(
            ChatMessage.conversation_id == conversation.id, ChatMessage.status == MessageStatus.streaming
        )
    ).first()
    if busy is not None:
        raise Conflict("An answer is still being written in this conversation; wait for it or stop it")
    asked = ChatMessage(conversation_id=conversation.id, role=MessageRole.user, content=question)
    answer = ChatMessage(
        conversation_id=conversation.id,
        role=MessageRole.assistant,
        status=MessageStatus.streaming,
        provider=provider,
    )
    now = utcnow()
    asked.created_at, answer.created_at = now, now
    if conversation.title == "New conversation":
        conversation.title = _title(question)
    conversation.updated_at = now
    session.add_all([asked, answer, conversation])
    session.commit()
    session.refresh(asked)
    session.refresh(answer)
    return asked, answer


def history(session: Session, *, conversation_id: int, before_id: int) -> list[ChatMessage]:
    """The finished messages before `before_id`, oldest first."""
    return list(
        session.exec(
            select(ChatMessage)
            .where(
                ChatMessage.conversation_id == conversation_id,
                col(ChatMessage.id) < before_id,
                ChatMessage.status != MessageStatus.streaming,
                ChatMessage.content != "",
            )
            .order_by(col(ChatMessage.id))
        ).all()
    )


def messages_public(session: Session, messages: list[ChatMessage]) -> list[MessagePublic]:
    ids = [m.id for m in messages]
    cited: dict[int, list[ChatCitation]] = {}
    for citation in session.exec(
        select(ChatCitation).where(col(ChatCitation.message_id).in_(ids)).order_by(col(ChatCitation.n))
    ).all():
        cited.setdefault(citation.message_id, []).append(citation)
    return [message_public(m, cited.get(m.id, [])) for m in messages]


def message_public(message: ChatMessage, citations: list[ChatCitation]) -> MessagePublic:
    streaming = message.status == MessageStatus.streaming
    return MessagePublic(
        id=message.id,
        conversation_id=message.conversation_id,
        role=message.role,
        content=message.content,
        html=None
        if streaming
        else answer_html(message.content)
        if message.role == "assistant"
        else render_markdown(message.content),
        status=message.status,
        error=message.error,
        provider=message.provider,
        grounded=message.grounded,
        citations=[
            CitationPublic(
                n=c.n,
                lecture_id=c.lecture_id,
                lecture_title=c.lecture_title,
                page=c.page,
                quote=c.quote,
                url=None if c.lecture_id is None else f"#/lecture/{c.lecture_id}?page={c.page}",
            )
            for c in citations
        ],
        created_at=message.created_at,
    )


def answer_html(content: str) -> str:
    """The sanitized HTML of a message, its citation markers as <a href="#cite-N">[N]</a>: a bracketed
    number inside a quotation (escaped in the Markdown, "\\[3\\]") stays text."""
    return render_markdown(CITATION_MARKER.sub(_cite_links, content))


def _cite_links(match: re.Match[str]) -> str:
    numbers = re.split(r"\s*[,;]\s*", match.group(1))
    return "".join(f'<a href="#cite-{n}">[{n}]</a>' for n in numbers)


def interrupt_unfinished(session: Session) -> int:
    """At start-up: answers left "streaming" by the last stop keep their text, marked interrupted."""
    unfinished = session.exec(select(ChatMessage).where(ChatMessage.status == MessageStatus.streaming)).all()
    for message in unfinished:
        message.status, message.error = MessageStatus.interrupted, RESTARTED
        session.add(message)
    session.commit()
    return len(unfinished)


def replace_citations(session: Session, *, message_id: int, citations: list[ChatCitation]) -> None:
    session.exec(delete(ChatCitation).where(col(ChatCitation.message_id) == message_id))
    session.add_all(citations)


def cited_pages(session: Session, *, owner_id: int, message_id: int) -> dict[int, list[int]]:
    """{lecture id: page numbers} cited by an answer of the user's ("Make cards from this answer")."""
    message = get_owned_message(session, owner_id=owner_id, message_id=message_id)
    if message.role != MessageRole.assistant or message.status == MessageStatus.streaming:
        raise Conflict("Cards can be made from a finished answer only")
    pages: dict[int, list[int]] = {}
    for lecture_id, page in session.exec(
        select(ChatCitation.lecture_id, ChatCitation.page).where(ChatCitation.message_id == message_id)
    ).all():
        if lecture_id is not None:
            pages.setdefault(lecture_id, []).append(page)
    if not pages:
        raise Conflict("This answer cites no lecture page, so there is nothing to make cards from")
    return pages
