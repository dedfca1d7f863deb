"""The offline card generator: definitions, named formulas, title-and-bullet lists and key-term clozes.

Deterministic (same pages, same cards) and fast (no model, regular expressions and counting).
Every card quotes the sentence or lines it came from, as an exact slice of its page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from processing.cardgen import CardCandidate, PageInput, usable_page
from processing.cardgen.checks import CLOZE, Draft, acceptable
from processing.cardgen.citations import normalise, quote_in_page
from processing.cardgen.clozes import cloze_cards, cloze_sentences
from processing.cardgen.definitions import labelled_definitions, sentence_definitions
from processing.cardgen.layout import Page, boilerplate_lines, read_page
from processing.cardgen.structures import formula_cards, list_cards
from processing.cardgen.terms import rank_terms

PAGE_PENALTY = 0.1  # each card already taken from a page lowers that page's next one: spread over the lecture
LOWERCASE_WORD = re.compile(r"\b[a-z][\w'’-]*")
NAME_IN_SENTENCE = re.compile(r"\b[a-z][\w'-]*[ \t]+([A-Z][\w'’-]*)")


def generate(pages: Sequence[PageInput], *, target: int) -> tuple[list[CardCandidate], dict[str, int]]:
    """Up to `target` cards from `pages`, best first, and counts: {"junk_pages": pages skipped as junk
    (low OCR confidence, non-words, almost empty), "pages_read": every page looked at, junk included}."""
    usable = [page for page in pages if usable_page(page)]
    counts = {"junk_pages": len(pages) - len(usable), "pages_read": len(pages)}
    if target <= 0 or not usable:
        return [], counts
    boilerplate = boilerplate_lines(usable)
    read = [read_page(page, boilerplate=boilerplate) for page in usable]
    drafts = _unique(_structured(read, _names(usable)))
    drafts = _unique(drafts + _clozes(read, drafts))
    return _cited(_ranked(drafts, target), usable), counts


def _structured(pages: list[Page], names: frozenset[str]) -> list[Draft]:
    """Definitions, formulas and lists: what the page's wording and layout say outright."""
    found = []
    for page in pages:
        found += [*labelled_definitions(page), *sentence_definitions(page, names)]
        found += [*formula_cards(page), *list_cards(page)]
    return [draft for draft in found if acceptable(draft)]


def _clozes(pages: list[Page], drafts: list[Draft]) -> list[Draft]:
    """Key-term clozes from the sentences no other card quotes."""
    taken: dict[int, list[tuple[int, int]]] = {}
    for draft in drafts:
        taken.setdefault(draft.page, []).append((draft.quote_start, draft.quote_end))
    defined = {draft.term for draft in drafts if draft.kind == "definition"}
    terms = rank_terms(_prose(pages), defined=[" ".join(term) for term in defined])
    found = cloze_cards(cloze_sentences(pages, taken=taken), terms, covered=defined)
    return [draft for draft in found if acceptable(draft)]


def _cited(drafts: list[Draft], pages: list[PageInput]) -> list[CardCandidate]:
    """The cards, each with its quote cut from its page; the quote check is the last word, even though
    a slice of the page always passes it: no card leaves here with a citation that is not true."""
    texts = {page.number: page.text for page in pages}
    cards = []
    for draft in drafts:
        quote = texts[draft.page][draft.quote_start : draft.quote_end].strip()
        if quote_in_page(quote, texts[draft.page]):
            cards.append(CardCandidate(draft.front, draft.back, _card_kind(draft), draft.page, quote, draft.score))
    return cards


def _prose(pages: list[Page]) -> list[str]:
    """Every English sentence of the lecture outside formulas: what term frequencies are counted over."""
    return [
        sentence.text
        for page in pages
        if page.english
        for block, found in zip(page.blocks, page.sentences, strict=True)
        if not block.math
        for sentence in found
    ]


def _unique(drafts: list[Draft]) -> list[Draft]:
    """The best of each group of repeats: same question, same answer, or the same term taught twice
    the same way (two definitions of "dropout"). Clozes compare with their deletions hidden, so
    "The [gradient] of f is only defined when …" and "The [hessian] of f …" do not both stay."""
    kept: list[Draft] = []
    seen: set[str] = set()
    for draft in sorted(drafts, key=_order):
        keys = {f"front:{normalise(CLOZE.sub('[…]', draft.front))}"}
        if draft.back:
            keys.add(f"back:{normalise(draft.back)}")
        if draft.term:
            keys.add(f"term:{draft.kind}:{' '.join(draft.term)}")
        if keys & seen:
            continue
        seen |= keys
        kept.append(draft)
    return kept


def _ranked(drafts: list[Draft], target: int) -> list[Draft]:
    """Best first, each page's score lowered a little for every card already taken from it."""
    by_page: dict[int, list[Draft]] = {}
    for draft in sorted(drafts, key=_order):
        by_page.setdefault(draft.page, []).append(draft)
    taken = dict.fromkeys(by_page, 0)
    chosen: list[Draft] = []
    while len(chosen) < target:
        open_pages = [page for page, found in by_page.items() if taken[page] < len(found)]
        if not open_pages:
            break
        page = max(open_pages, key=lambda page: (by_page[page][taken[page]].score - PAGE_PENALTY * taken[page], -page))
        chosen.append(by_page[page][taken[page]])
        taken[page] += 1
    return chosen


def _order(draft: Draft) -> tuple[float, int, int, str]:
    return (-draft.score, draft.page, draft.quote_start, draft.front)


def _names(pages: list[PageInput]) -> frozenset[str]:
    """Capitalised words that follow a lowercase word and never appear in lowercase: names ("by Peter
    Mitchell"), not sentence starts or title case ("Cellular Respiration and Photosynthesis")."""
    capitalised = {word for page in pages for word in NAME_IN_SENTENCE.findall(page.text)}
    lowercase = {word for page in pages for word in LOWERCASE_WORD.findall(page.text)}
    return frozenset(word for word in capitalised if word.casefold() not in lowercase)


def _card_kind(draft: Draft) -> str:
    return "cloze" if draft.kind == "cloze" else "basic"
