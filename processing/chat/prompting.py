"""What a language model is given (numbered passages, the conversation so far, the card being asked
about) and how its [n] markers become citations with a quote from the cited page."""

from __future__ import annotations

import re
from dataclasses import dataclass

from processing.chat.extractive import passage_sentences, sentences
from processing.chat.retrieval import Passage
from processing.embeddings import Embedder

HISTORY_MESSAGES = 6
HISTORY_CHARS = 1_500
MARKER = re.compile(r"\[(\d{1,2}(?:\s*[,;]\s*\d{1,2})*)\]")
NOT_COVERED = "Your lectures don't seem to cover this."

SYSTEM = (
    "You answer a student's questions about their own lecture material, using only the numbered passages "
    "you are given. Put the number of the passage that supports each claim in square brackets right after "
    "the claim, like [2] or [1][3]. Do not add facts that are not in the passages. If the passages do not "
    f'answer the question, say exactly "{NOT_COVERED}" and nothing else, without citing. Answer in the '
    "language of the question, clearly and concisely; Markdown is allowed, and math in $…$."
)


@dataclass(frozen=True, slots=True)
class Turn:
    role: str  # "user" | "assistant"
    content: str


@dataclass(frozen=True, slots=True)
class CardSeed:
    front: str
    answer: str


@dataclass(frozen=True, slots=True)
class Cited:
    n: int
    passage: Passage
    quote: str


def build_prompt(question: str, passages: list[Passage], *, history: list[Turn], card: CardSeed | None) -> str:
    parts = []
    if history:
        lines = [
            f"{'Student' if turn.role == 'user' else 'You'}: {_clip(turn.content)}"
            for turn in history[-HISTORY_MESSAGES:]
        ]
        parts.append("The conversation so far:\n" + "\n".join(lines))
    if card is not None:
        parts.append(f"The student is studying this flashcard.\nQuestion: {card.front}\nAnswer: {card.answer}")
    numbered = [f'[{n}] (from "{p.lecture_title}", page {p.page})\n{p.text}' for n, p in enumerate(passages, start=1)]
    parts.append("Passages:\n\n" + "\n\n".join(numbered))
    parts.append(f"Question: {question}")
    return "\n\n".join(parts)


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= HISTORY_CHARS else text[:HISTORY_CHARS] + " …"


def cited_numbers(answer: str, count: int) -> list[int]:
    """The passage numbers the answer cites (1..count), in order of first mention."""
    seen: dict[int, None] = {}
    for match in MARKER.finditer(answer):
        for number in re.split(r"\s*[,;]\s*", match.group(1)):
            n = int(number)
            if 1 <= n <= count:
                seen.setdefault(n, None)
    return list(seen)


def citations(answer: str, passages: list[Passage], *, embedder: Embedder) -> list[Cited]:
    """Each cited passage with the sentence of it closest in meaning to what the answer says with it."""
    numbers = cited_numbers(answer, len(passages))
    if not numbers:
        return []
    claims = {n: _claims_citing(answer, n) for n in numbers}
    candidates = {n: [passages[n - 1].text[a:b] for a, b in passage_sentences(passages[n - 1])] for n in numbers}
    texts = [text for n in numbers for text in (claims[n], *candidates[n])]
    vectors = embedder.encode(texts)
    result, row = [], 0
    for n in numbers:
        options = candidates[n]
        claim_vector = vectors[row]
        if options:
            scores = vectors[row + 1 : row + 1 + len(options)] @ claim_vector
            quote = options[int(scores.argmax())]
        else:
            quote = passages[n - 1].text
        row += 1 + len(options)
        result.append(Cited(n, passages[n - 1], quote.strip()[:600]))
    return result


def _claims_citing(answer: str, n: int) -> str:
    """The sentences of the answer that carry marker [n] (the whole answer if it cannot tell)."""
    found = []
    for start, end in sentences(answer) or [(0, len(answer))]:
        sentence = answer[start:end]
        if any(str(n) in re.split(r"\s*[,;]\s*", m.group(1)) for m in MARKER.finditer(sentence)):
            found.append(MARKER.sub("", sentence))
    return " ".join(found) or MARKER.sub("", answer)
