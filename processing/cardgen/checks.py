"""What every built-in card must satisfy before it is offered, and the draft it is built as.

A draft keeps its quote as offsets into the page text, so the quote is an exact slice of the page
by construction; `citations.quote_in_page` still has the final word in builtin.generate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from processing.cardgen.citations import normalise
from processing.cardgen.words import STOP_WORDS

KIND_WEIGHT = {"definition": 3.0, "formula": 2.5, "list": 2.0, "cloze": 1.0}
CLOZE = re.compile(r"\{\{c1::(.+?)\}\}")
COMPLETE = re.compile(r"[.!?][\"'”’)\]]*$")
NUMBER = re.compile(r"[\d.,%/+-]+")
WORD = re.compile(r"\w+(?:['-]\w+)*")
LIST_ITEM = re.compile(r"^(?:- |\d+\. )", re.M)


@dataclass(frozen=True, slots=True)
class Draft:
    kind: str  # "definition" | "formula" | "list" | "cloze"
    front: str
    back: str
    page: int
    quote_start: int  # the quote is page.text[quote_start:quote_end]
    quote_end: int
    quality: float  # 0–1 within its kind
    term: tuple[str, ...] = ()  # the term it teaches: one card per term

    @property
    def score(self) -> float:
        return KIND_WEIGHT[self.kind] + self.quality


def acceptable(draft: Draft) -> bool:
    """No empty side, no answer given away by its question, no fragment for an answer, no cloze of a
    stop word or a number."""
    front = draft.front.strip()
    if not front or draft.quote_end - draft.quote_start < 12:
        return False
    if draft.kind == "cloze":
        return _acceptable_cloze(front)
    back = draft.back.strip()
    if not back or normalise(back) in normalise(front):
        return False
    if draft.kind == "definition":
        return COMPLETE.search(back) is not None
    if draft.kind == "list":
        return len(LIST_ITEM.findall(back)) >= 2
    return True


def _acceptable_cloze(front: str) -> bool:
    deleted = CLOZE.findall(front)
    if not deleted:
        return False
    rest = _word_line(CLOZE.sub(" ", front))
    for term in deleted:
        folded = normalise(term)
        if len(folded) < 2 or folded in STOP_WORDS or NUMBER.fullmatch(folded):
            return False
        if _word_line(term) in rest:
            return False  # the answer still stands in the sentence
    return True


def _word_line(text: str) -> str:
    """The words of `text`, normalised, space-separated with a space at each end, for whole-word search."""
    return f" {' '.join(WORD.findall(normalise(text)))} "
