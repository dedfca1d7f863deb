"""Quizzes: which cards to ask (a random pick, or the weakest by predicted recall) and how to ask them.

A card becomes a question and its answer as plain text (cloze: the deletion blanked "_____"; reversed:
either direction). Multiple-choice options borrow other cards' answers of the same family (same note
kind, and for reversed cards the same side), closest in shape first — a number for a number, a word for a
word, a sentence for a sentence — never the correct answer twice, never two equal options (compared
normalised); a card without three such answers, and every type-in card, is asked as a short answer.

"Weakest" means the lowest FSRS retrievability now among cards that have been reviewed; cards never
reviewed have no prediction and only fill the places left after those.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
from datetime import datetime

from fsrs import Card as FsrsCard
from fsrs import Scheduler, State
from sqlmodel import Session, col, func, select

from models.document import QuizRequest
from models.lecture import Lecture
from models.note import Card, Note, NoteKind, normalize_tags
from models.review import CardState, CardStateKind
from models.user import User
from processing.decks import get_owned_deck
from processing.documents.mathtext import cloze_question, markdown_to_text, normalise
from processing.documents.pdf import DocumentPDF
from processing.errors import Invalid
from processing.lectures import get_owned_lecture

OPTIONS = 4
LETTERS = "ABCDEFGH"
NUMBER = re.compile(r"[-+−]?\d[\d\s.,']*(?:%|[a-zA-Zµ°]{1,3})?")
_RETRIEVABILITY = Scheduler()  # retrievability depends on the card's memory state only, not on retention


@dataclass(frozen=True, slots=True)
class QuizSource:
    """Where the questions come from; exactly one of deck_id, tag, lecture_id is set."""

    label: str  # "Biology", "#physics", the lecture's title
    deck_id: int | None = None
    tag: str | None = None
    lecture_id: int | None = None

    def as_params(self) -> dict:
        return {"deck_id": self.deck_id, "tag": self.tag, "lecture_id": self.lecture_id, "source_label": self.label}


@dataclass(frozen=True, slots=True)
class QuizCard:
    card_id: int
    note_id: int
    kind: str  # the note's kind
    family: str  # whose answers can stand in as distractors: the kind, plus the side for reversed cards
    question: str
    answer: str
    source: str | None  # "Lecture title, p. 3" when the note cites a lecture page
    recall: float | None = None  # predicted recall now; None for a card never reviewed


@dataclass(slots=True)
class Question:
    number: int
    card: QuizCard
    options: list[str] = field(default_factory=list)  # empty: a short-answer question
    correct: int | None = None  # index of the right option

    @property
    def letter(self) -> str | None:
        return LETTERS[self.correct] if self.correct is not None else None


# --- the source ------------------------------------------------------------------------------------


def _source_filter(source: QuizSource):
    if source.deck_id is not None:
        return Note.deck_id == source.deck_id
    if source.tag is not None:
        literal = source.tag.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return col(Note.tags).like(f"% {literal} %", escape="\\")
    return Note.source_lecture_id == source.lecture_id


def resolve_source(session: Session, *, user: User, request: QuizRequest) -> QuizSource:
    """The request's source, checked: the user's own deck or lecture (else 404), a valid tag, and at
    least one card in it (else 422 saying so)."""
    if request.deck_id is not None:
        deck = get_owned_deck(session, user=user, deck_id=request.deck_id)
        source, empty = QuizSource(deck.name, deck_id=deck.id), "This deck has no cards to quiz on"
    elif request.lecture_id is not None:
        lecture = get_owned_lecture(session, owner_id=user.id, lecture_id=request.lecture_id)
        source = QuizSource(lecture.title, lecture_id=lecture.id)
        empty = "No cards cite this lecture yet: make cards from it first"
    else:
        try:
            (tag,) = normalize_tags([request.tag or ""])
        except ValueError as error:
            raise Invalid(str(error)) from error
        source, empty = QuizSource(f"#{tag}", tag=tag), f"No cards have the tag '{tag}'"
    if count_notes(session, owner_id=user.id, source=source) == 0:
        raise Invalid(empty)
    return source


def count_notes(session: Session, *, owner_id: int, source: QuizSource) -> int:
    query = select(func.count()).select_from(Note).where(Note.owner_id == owner_id, _source_filter(source))
    return session.exec(query).one()


def load_cards(session: Session, *, owner_id: int, source: QuizSource, now: datetime) -> list[QuizCard]:
    """Every card of the source as question and answer text, with its predicted recall now."""
    rows = session.exec(
        select(Card, Note, CardState)
        .join(Note, col(Note.id) == Card.note_id)
        .join(
            CardState,
            (col(CardState.card_id) == Card.id) & (col(CardState.user_id) == owner_id),
            isouter=True,
        )
        .where(Note.owner_id == owner_id, _source_filter(source))
        .order_by(col(Note.id), col(Card.ord))
    ).all()
    lecture_ids = {note.source_lecture_id for _, note, _ in rows if note.source_lecture_id}
    titles = dict(session.exec(select(Lecture.id, Lecture.title).where(col(Lecture.id).in_(lecture_ids))).all())
    cards = []
    for card, note, state in rows:
        question, answer, family = card_text(note.kind, note.front, note.back, card.ord)
        if not question or not answer:
            continue  # a basic card with an empty back asks nothing a quiz can mark
        source_text = None
        if note.source_lecture_id in titles and note.source_page:
            source_text = f"{titles[note.source_lecture_id]}, p. {note.source_page}"
        recall = retrievability(state, now) if state is not None else None
        cards.append(QuizCard(card.id, note.id, note.kind, family, question, answer, source_text, recall))
    return cards


def card_text(kind: str, front: str, back: str, ord_: int) -> tuple[str, str, str]:
    """(question, answer, family) of one card, as plain text."""
    if kind == NoteKind.cloze:
        question, answer = cloze_question(front, ord_)
        return question, answer, "cloze"
    front_text, back_text = markdown_to_text(front), markdown_to_text(back)
    if kind == NoteKind.reversed:
        if ord_ == 1:
            return back_text, front_text, "reversed:front"
        return front_text, back_text, "reversed:back"
    return front_text, back_text, str(kind)


def retrievability(state: CardState, now: datetime) -> float | None:
    if state.state == CardStateKind.new or state.last_review is None or state.stability is None:
        return None
    card = FsrsCard(
        card_id=state.card_id,
        state=State(state.state),
        step=state.step,
        stability=state.stability,
        difficulty=state.difficulty,
        due=state.due or now,
        last_review=state.last_review,
    )
    return float(_RETRIEVABILITY.get_card_retrievability(card, current_datetime=now))


# --- choosing ---------------------------------------------------------------------------------------


def choose_cards(cards: list[QuizCard], *, count: int, weakest: bool, rng: random.Random) -> list[QuizCard]:
    """At most one card per note (two sides of one note would give each other away), `count` of them."""
    by_note: dict[int, list[QuizCard]] = {}
    for card in cards:
        by_note.setdefault(card.note_id, []).append(card)
    if weakest:
        reviewed, unreviewed = [], []
        for note_cards in by_note.values():
            known = [card for card in note_cards if card.recall is not None]
            if known:
                reviewed.append(min(known, key=lambda card: (card.recall, card.card_id)))
            else:
                unreviewed.append(rng.choice(note_cards))
        reviewed.sort(key=lambda card: (card.recall, card.card_id))
        rng.shuffle(unreviewed)
        chosen = (reviewed + unreviewed)[:count]
    else:
        notes = sorted(by_note)
        rng.shuffle(notes)
        chosen = [rng.choice(by_note[note]) for note in notes[:count]]
    rng.shuffle(chosen)
    return chosen


def answer_pool(cards: list[QuizCard]) -> dict[str, list[tuple[int, str]]]:
    """Every answer of the source by family, with the note it belongs to."""
    pool: dict[str, list[tuple[int, str]]] = {}
    for card in cards:
        pool.setdefault(card.family, []).append((card.note_id, card.answer))
    return pool


def answer_shape(text: str) -> str:
    text = text.strip()
    if NUMBER.fullmatch(text):
        return "number"
    if "\n" in text:
        return "lines"
    words = len(text.split())
    return "word" if words <= 3 else "phrase" if words <= 12 else "sentence"


def distractors(
    card: QuizCard, pool: dict[str, list[tuple[int, str]]], rng: random.Random, *, wanted: int = OPTIONS - 1
) -> list[str] | None:
    """`wanted` wrong answers from other notes of the card's family, most alike in shape and length
    first; None when there are not that many distinct ones."""
    correct_key = normalise(card.answer)
    shape, length = answer_shape(card.answer), len(card.answer)
    seen = {correct_key}
    candidates: list[tuple[float, str]] = []
    for note_id, answer in pool.get(card.family, []):
        key = normalise(answer)
        if note_id == card.note_id or not key or key in seen:
            continue
        seen.add(key)
        mismatch = 0.0 if answer_shape(answer) == shape else 1.0
        closeness = abs(math.log((len(answer) + 5) / (length + 5)))
        candidates.append((mismatch + 0.5 * closeness + 0.3 * rng.random(), answer))
    if len(candidates) < wanted:
        return None
    candidates.sort(key=lambda item: item[0])
    return [answer for _, answer in candidates[:wanted]]


def build_questions(
    chosen: list[QuizCard], pool: dict[str, list[tuple[int, str]]], *, multiple_choice_share: float, rng: random.Random
) -> list[Question]:
    """Numbered questions; about `multiple_choice_share` of them multiple choice (fewer when some cards
    have too few distractors or are type-in cards)."""
    target = round(len(chosen) * multiple_choice_share)
    eligible = [index for index, card in enumerate(chosen) if card.kind != NoteKind.typein]
    rng.shuffle(eligible)
    questions = [Question(number, card) for number, card in enumerate(chosen, start=1)]
    made = 0
    for index in eligible:
        if made >= target:
            break
        wrong = distractors(chosen[index], pool, rng)
        if wrong is None:
            continue
        options = [*wrong, chosen[index].answer]
        rng.shuffle(options)
        questions[index].options = options
        questions[index].correct = options.index(chosen[index].answer)
        made += 1
    return questions


# --- the printed quiz ---------------------------------------------------------------------------------

NUMBER_WIDTH = 10.0  # mm for "12."
LETTER_WIDTH = 8.0  # mm for "B."
RULE_GAP = 8.0  # mm between ruled lines


def ruled_line_count(answer: str) -> int:
    """Room for the answer in the answer's own length, 2–8 lines."""
    return max(2, min(8, math.ceil(len(answer) / 70) + 1))


def write_quiz(pdf: DocumentPDF, *, title: str, subtitle: str, questions: list[Question], on_question=None) -> None:
    """The questions, then the answer key starting on a new page. `on_question(n)` after each one."""
    pdf.add_page()
    pdf.title_block(title, subtitle)
    pdf.paragraph("Name: ______________________________    Date: ______________", grey=True)
    pdf.ln(2)
    if any(q.options for q in questions):
        pdf.paragraph("Multiple choice: circle one letter. Short answer: write on the lines.", size=9, grey=True)
    pdf.ln(3)
    for question in questions:
        _write_question(pdf, question)
        if on_question is not None:
            on_question(question.number)
    pdf.add_page()
    pdf.heading("Answer key", size=15)
    for question in questions:
        _write_answer(pdf, question)


def _write_question(pdf: DocumentPDF, question: Question) -> None:
    text_width = pdf.width_from(NUMBER_WIDTH)
    asked = pdf.text_height(question.card.question, width=text_width)
    if question.options:
        option_width = pdf.width_from(NUMBER_WIDTH + LETTER_WIDTH)
        heights = [pdf.text_height(option, width=option_width) for option in question.options]
        whole = asked + sum(heights) + 3
        # the whole question on one page when it fits; at the very least the question and its first option
        pdf.keep_together(whole if whole < 0.8 * pdf.eph else asked + heights[0])
        pdf.paragraph(question.card.question, label=f"{question.number}.", label_width=NUMBER_WIDTH)
        pdf.ln(1)
        for letter, option in zip(LETTERS, question.options, strict=False):
            pdf.paragraph(option, indent=NUMBER_WIDTH, label=f"{letter}.", label_width=LETTER_WIDTH)
    else:
        lines = ruled_line_count(question.card.answer)
        pdf.keep_together(asked + min(lines, 3) * RULE_GAP)
        pdf.paragraph(question.card.question, label=f"{question.number}.", label_width=NUMBER_WIDTH)
        pdf.ruled_lines(lines, indent=NUMBER_WIDTH, gap=RULE_GAP)
    pdf.ln(4)


def _write_answer(pdf: DocumentPDF, question: Question) -> None:
    answer = question.card.answer
    text = f"{question.letter}. {answer}" if question.letter else answer
    width = pdf.width_from(NUMBER_WIDTH)
    first_line = pdf.text_height(text.split("\n", 1)[0][:80], width=width)
    pdf.keep_together(first_line + (4 if question.card.source else 0))
    pdf.paragraph(text, label=f"{question.number}.", label_width=NUMBER_WIDTH)
    if question.card.source:
        pdf.paragraph(f"Source: {question.card.source}", indent=NUMBER_WIDTH, size=9, grey=True)
    pdf.ln(2)
