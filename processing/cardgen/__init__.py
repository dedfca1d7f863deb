"""Flashcard generation from lecture pages: the shapes every provider shares, and which pages are worth reading.

Providers (the offline `builtin`, and the language-model ones in `llm.py`) take PageInput and return
CardCandidate; `citations.py` checks that a card's quote really occurs in its page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from processing.extract.quality import is_real_text

MIN_OCR_CONFIDENCE = 60.0
MIN_WORDS = 5
WORD = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True, slots=True)
class PageInput:
    number: int  # 1-based page number in the lecture
    text: str
    source: str  # "text" | "ocr" | "slide"
    ocr_confidence: float | None = None  # 0–100 for OCR pages


@dataclass(frozen=True, slots=True)
class CardCandidate:
    front: str  # Markdown; for kind "cloze" the text with {{c1::term}} deletions
    back: str  # "" for cloze
    kind: str  # "basic" | "cloze"
    page: int
    quote: str  # verbatim passage from the page that supports the card
    score: float = 0.0  # ranking, higher is better


def usable_page(page: PageInput) -> bool:
    """False for pages that would only yield junk cards: poorly recognised OCR, non-words, almost no text."""
    if page.source == "ocr" and (page.ocr_confidence is None or page.ocr_confidence < MIN_OCR_CONFIDENCE):
        return False
    return len(WORD.findall(page.text)) >= MIN_WORDS and is_real_text(page.text)
