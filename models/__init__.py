"""SQLModel tables and their API schemas; importing this registers every table."""

from models.chat import ChatCitation, ChatMessage, Conversation
from models.deck import Deck
from models.draft import CardDraft
from models.exam import DeckExam
from models.generated import GeneratedFile
from models.job import Job
from models.lecture import Course, Lecture, LectureChunk, LecturePage
from models.media import Media, NoteMedia
from models.note import Card, Note
from models.notice import Notice
from models.review import CardState, ReviewLog
from models.sharing import DeckSubscription
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
    "DeckExam",
    "DeckSubscription",
    "GeneratedFile",
    "Job",
    "Lecture",
    "LectureChunk",
    "LecturePage",
    "Media",
    "Note",
    "Notice",
    "NoteMedia",
    "RefreshToken",
    "ReviewLog",
    "User",
]
