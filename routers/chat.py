"""Chat with one's lectures: conversations, questions (answered in the background, streamed over /ws),
stopping an answer, and cards from an answer's cited pages."""

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from models.chat import (
    AnswerCardsRequest,
    AskResult,
    ConversationCreate,
    ConversationDetail,
    ConversationSummary,
    ConversationUpdate,
    MessagePublic,
    QuestionIn,
)
from models.job import JobPublic
from processing import drafts
from processing.chat import conversations
from routers.deps import ChatAnswersDep, CurrentUser, JobRunnerDep, SessionDep

router = APIRouter(tags=["chat"])


class JobsStarted(BaseModel):
    jobs: list[JobPublic]


@router.post("/api/conversations", status_code=status.HTTP_201_CREATED)
def create_conversation(
    data: ConversationCreate, session: SessionDep, user: CurrentUser, answers: ChatAnswersDep
) -> ConversationSummary:
    """Scoped to all lectures, a course or one lecture; with `card_id`, about that card and its source page."""
    created = conversations.create_conversation(session, owner_id=user.id, data=data)
    answers.conversation_changed(user.id, created.id, "created")
    return created


@router.get("/api/conversations")
def list_conversations(session: SessionDep, user: CurrentUser) -> list[ConversationSummary]:
    """Most recently active first."""
    return conversations.list_conversations(session, owner_id=user.id)


@router.get("/api/conversations/{conversation_id}")
def get_conversation(conversation_id: int, session: SessionDep, user: CurrentUser) -> ConversationDetail:
    return conversations.detail(session, owner_id=user.id, conversation_id=conversation_id)


@router.patch("/api/conversations/{conversation_id}")
def rename_conversation(
    conversation_id: int, data: ConversationUpdate, session: SessionDep, user: CurrentUser, answers: ChatAnswersDep
) -> ConversationSummary:
    renamed = conversations.rename(session, owner_id=user.id, conversation_id=conversation_id, data=data)
    answers.conversation_changed(user.id, conversation_id, "renamed")
    return renamed


@router.delete("/api/conversations/{conversation_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_conversation(
    conversation_id: int, session: SessionDep, user: CurrentUser, answers: ChatAnswersDep
) -> Response:
    """Deletes it with its messages, stopping an answer still being written."""
    streaming = conversations.delete_conversation(session, owner_id=user.id, conversation_id=conversation_id)
    answers.forget(streaming)
    answers.conversation_changed(user.id, conversation_id, "deleted")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/api/conversations/{conversation_id}/messages", status_code=status.HTTP_202_ACCEPTED)
def ask(
    conversation_id: int, data: QuestionIn, session: SessionDep, user: CurrentUser, answers: ChatAnswersDep
) -> AskResult:
    """Stores the question and starts the answer (202): it streams over /ws as chat.delta events and
    ends with chat.done or chat.error. 400 for an empty or too long question, 409 when no lecture in
    the scope is ready or an answer is still being written."""
    return answers.ask(session, owner_id=user.id, conversation_id=conversation_id, question=data.question)


@router.post("/api/conversations/{conversation_id}/messages/{message_id}/cancel")
def cancel_answer(conversation_id: int, message_id: int, user: CurrentUser, answers: ChatAnswersDep) -> MessagePublic:
    """Stops the answer; the text written so far is kept (status "cancelled"). 409 once it has finished."""
    return answers.cancel(owner_id=user.id, conversation_id=conversation_id, message_id=message_id)


@router.post("/api/chat/messages/{message_id}/cards", status_code=status.HTTP_202_ACCEPTED)
def cards_from_answer(
    message_id: int, data: AnswerCardsRequest, session: SessionDep, user: CurrentUser, runner: JobRunnerDep
) -> JobsStarted:
    """Card drafts from the pages the answer cites: one generation job per cited lecture (202)."""
    pages = conversations.cited_pages(session, owner_id=user.id, message_id=message_id)
    jobs = drafts.start_generation_for_pages(
        session, runner=runner, user=user, pages=pages, deck_id=data.deck_id, target=data.target
    )
    return JobsStarted(jobs=[JobPublic.of(job) for job in jobs])
