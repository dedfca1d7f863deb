"""SQLModel tables and their API schemas; importing this registers every table."""

from models.chat import ChatCitation, ChatMessage, Conversation
from models.deck import Deck
from models.draft import CardDraft
from models.generated import GeneratedFile
from models.job import Job
from models.lecture import Course, Lecture, LectureChunk, LecturePage
from models.note import Card, Note
from models.review import CardState, ReviewLog
from models.user import AppSetting, RefreshToken, User

__all__ = [
    "AppSetting",
    "Card",
    "ChatCitation",
    "ChatMessage",
    "Conversation",
    "CardDraft",
    "CardState",
    "Course",
    "Deck",
    "GeneratedFile",
    "Job",
    "Lecture",
    "LectureChunk",
    "LecturePage",
    "Note",
    "RefreshToken",
    "ReviewLog",
    "User",
]
