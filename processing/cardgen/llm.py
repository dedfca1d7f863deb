"""Cards written by a language model: pages in batches, JSON cards out, every card checked before it is kept.

A batch is about 6,000 characters of whole pages, each sent as "[page N]". A card must name a page of its
batch and quote it verbatim (checked with quote_in_page); malformed cards, cards citing other pages and
cards whose quote is not on the page are dropped and counted. A batch whose answer is not JSON is asked
once more and then given up; a wrong key, an exhausted quota or an unreachable server stops the job.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from processing.cardgen import CardCandidate, PageInput, usable_page
from processing.cardgen.citations import quote_in_page
from processing.llm import Provider, ProviderError

log = logging.getLogger(__name__)
BATCH_CHARS = 6000
FATAL_REASONS = frozenset({"auth", "quota", "unreachable"})
FAILS_IN_A_ROW = 2  # timeouts or refusals in consecutive batches: the same will happen to every batch
MAX_FIELD_CHARS = 2000
COUNTS = (
    "batches",
    "failed_batches",
    "junk_pages",
    "dropped_no_quote",
    "dropped_bad_page",
    "dropped_malformed",
    "dropped_duplicate",
)
CLOZE = re.compile(r"\{\{c(\d+)::(.*?)(?:::[^}]*)?\}\}", re.DOTALL)
WORD = re.compile(r"\w+")
PAGE_NUMBER = re.compile(r"^\s*(?:p(?:age|\.)?\s*)?(\d+)\s*$", re.IGNORECASE)

CARD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "cards": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "front": {"type": "string"},
                    "back": {"type": "string"},
                    "type": {"type": "string", "enum": ["basic", "cloze"]},
                    "page": {"type": "integer"},
                    "quote": {"type": "string"},
                },
                "required": ["front", "back", "type", "page", "quote"],
            },
        }
    },
    "required": ["cards"],
}

SYSTEM = """You write flashcards that help a student learn lecture material for an exam.
Rules for every card:
- It tests one idea that matters: a definition, a key term, a relationship, a cause, a formula, the steps of a process.
- type "basic": "front" is a clear question, "back" a short complete answer (not a fragment). The question must not \
contain its answer.
- type "cloze": "front" is one sentence from the page with the key term hidden as {{c1::term}}; "back" is "".
- "page" is the number N of the "[page N]" block the card comes from.
- "quote" is a passage of 5 to 30 words copied character for character from that page that supports the card. \
Never paraphrase, shorten or correct it.
- Write in the language of the pages. Skip pages with nothing worth learning (titles, agendas, references).
Answer with JSON only, shaped as {"cards": [{"front": "...", "back": "...", "type": "basic", "page": 1, \
"quote": "..."}]}."""


def generate_with_provider(
    provider: Provider,
    pages: Sequence[PageInput],
    *,
    target: int,
    progress: Callable[[int, int], None] = lambda done, total: None,
    should_stop: Callable[[], bool] = lambda: False,
) -> tuple[list[CardCandidate], dict[str, int]]:
    """At most `target` checked cards and the counts of what was skipped or dropped, and why.

    Raises ProviderError at once for auth, quota and unreachable; after timeouts or refusals in consecutive
    batches; and when every batch failed (a job that read nothing says why instead of "0 cards").
    """
    counts = dict.fromkeys(COUNTS, 0)
    usable = [page for page in pages if usable_page(page)]
    counts["junk_pages"] = len(pages) - len(usable)
    batches = batch_pages(usable)
    counts["batches"] = len(batches)
    cards: list[CardCandidate] = []
    seen: set[str] = set()
    attempted, fails_in_a_row, last_error = 0, 0, None
    for index, batch in enumerate(batches):
        wanted = math.ceil((target - len(cards)) / (len(batches) - index))
        if wanted <= 0:
            progress(len(batches), len(batches))  # the target is reached: the rest has nothing to add
            break
        if should_stop():
            break
        attempted += 1
        try:
            raw_cards = _ask(provider, batch, wanted)
            fails_in_a_row = 0
        except ProviderError as error:
            if error.reason in FATAL_REASONS:
                raise
            counts["failed_batches"] += 1
            fails_in_a_row = fails_in_a_row + 1 if error.reason in ("timeout", "refused") else 0
            if fails_in_a_row >= min(FAILS_IN_A_ROW, len(batches)):
                raise
            log.warning("card generation: batch %d of %d failed: %s", index + 1, len(batches), error)
            raw_cards, last_error = [], error
        cards.extend(_check(raw_cards, batch, counts, seen)[:wanted])
        progress(index + 1, len(batches))
    if last_error is not None and counts["failed_batches"] == attempted:
        raise last_error
    return cards[:target], counts


def batch_pages(pages: Sequence[PageInput], limit: int = BATCH_CHARS) -> list[list[PageInput]]:
    """Consecutive whole pages, about `limit` characters of text per batch; a longer page goes alone."""
    batches: list[list[PageInput]] = []
    current: list[PageInput] = []
    size = 0
    for page in pages:
        if current and size + len(page.text) > limit:
            batches.append(current)
            current, size = [], 0
        current.append(page)
        size += len(page.text)
    if current:
        batches.append(current)
    return batches


def build_prompt(batch: Sequence[PageInput], wanted: int) -> str:
    blocks = "\n\n".join(f"[page {page.number}]\n{page.text.strip()}" for page in batch)
    return f"Write at most {wanted} flashcards from these pages, the most important ideas first.\n\n{blocks}"


def _ask(provider: Provider, batch: Sequence[PageInput], wanted: int) -> list[Any]:
    """The model's card objects for one batch; malformed output is asked for once more."""
    prompt = build_prompt(batch, wanted)
    for attempt in (1, 2):
        try:
            answer = provider.generate_json(system=SYSTEM, prompt=prompt, schema=CARD_SCHEMA)
        except ProviderError as error:
            if error.reason != "bad_output" or attempt == 2:
                raise
            log.info("card generation: %s; asking again", error)
            continue
        raw_cards = answer.get("cards") if isinstance(answer, dict) else answer
        if isinstance(raw_cards, list):
            return raw_cards
        if attempt == 2:
            raise ProviderError(
                f"{provider.model} answered JSON without a list of cards ({str(answer)[:120]!r}).",
                reason="bad_output",
            )
    raise AssertionError("unreachable: the second attempt returns or raises")


def _check(
    raw_cards: list[Any], batch: Sequence[PageInput], counts: dict[str, int], seen: set[str]
) -> list[CardCandidate]:
    by_number = {page.number: page for page in batch}
    kept: list[CardCandidate] = []
    for raw in raw_cards:
        card = _parse_card(raw)
        if card is None:
            counts["dropped_malformed"] += 1
        elif card.page not in by_number:
            counts["dropped_bad_page"] += 1
        elif not quote_in_page(card.quote, by_number[card.page].text):
            counts["dropped_no_quote"] += 1
        elif _words(card.front) in seen:
            counts["dropped_duplicate"] += 1
        else:
            seen.add(_words(card.front))
            kept.append(card)
    return kept


def _parse_card(raw: Any) -> CardCandidate | None:
    """A CardCandidate from one card object, or None when a field is missing or the card gives itself away."""
    if not isinstance(raw, dict):
        return None
    front, back, kind, quote = (raw.get(key) for key in ("front", "back", "type", "quote"))
    page = _page_number(raw.get("page"))
    if not all(isinstance(value, str) for value in (front, kind, quote)) or page is None:
        return None
    back = back if isinstance(back, str) else ""
    front, back, kind, quote = front.strip(), back.strip(), kind.strip().lower(), quote.strip()
    if not front or not quote or max(len(front), len(back), len(quote)) > MAX_FIELD_CHARS:
        return None
    if kind == "cloze":
        if not _sound_cloze(front):
            return None
        return CardCandidate(front=front, back="", kind="cloze", page=page, quote=quote, score=1.0)
    if kind != "basic" or not back or _contains_words(front, back):
        return None
    return CardCandidate(front=front, back=back, kind="basic", page=page, quote=quote, score=1.0)


def _page_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and (match := PAGE_NUMBER.match(value)):
        return int(match.group(1))
    return None


def _sound_cloze(text: str) -> bool:
    """At least one non-empty deletion, and no deleted term left in plain sight elsewhere in the sentence."""
    deletions = [term for _, term in CLOZE.findall(text)]
    if not deletions or not all(term.strip() for term in deletions):
        return False
    visible = CLOZE.sub(" ", text)
    return not any(_contains_words(visible, term) for term in deletions)


def _words(text: str) -> str:
    return " ".join(WORD.findall(text.casefold()))


def _contains_words(text: str, part: str) -> bool:
    """Whether `part` occurs in `text` as whole words, ignoring case and punctuation."""
    wanted = _words(part)
    return bool(wanted) and f" {wanted} " in f" {_words(text)} "
