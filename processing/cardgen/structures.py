"""Cards from the page's structure: a title with its bullet list, and a named formula.

Formulas come out of PDF text layers in pieces (fractions, sub- and superscripts on lines of their
own); only a formula that sits whole on one line, with no fragment beside it, makes a card.
A list makes a card only when every item is readable: a list with an item missing teaches wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from processing.cardgen.checks import Draft
from processing.cardgen.definitions import LEAD_IN
from processing.cardgen.layout import Block, Page, glyph_kind, is_math, word_share
from processing.cardgen.terms import LABELS, clean_term, term_key
from processing.cardgen.words import STOP_WORDS, word_set

MAX_ITEMS = 8
MAX_ITEM_CHARS = 160
MAX_TITLE_WORDS = 8
MAX_LEAD_WORDS = 15
MAX_NAME_WORDS = 4
FORMULA_SIGN = re.compile(r"[=≈≡∝]")
OPERATOR_END = re.compile(r"[=+\-−×*/·^_,(\[{←→∈]$")
TERMINAL = re.compile(r"[.!?]$")
STEP = re.compile(r"^step\s+\d+\s*[:.)–-]\s*", re.I)
NAMED_LEAD = re.compile(
    r"^(?:the\s+)?(?P<name>.+?)\s+(?:is|are)\s+(?:given by|defined as|computed as|calculated as|written as)"
    r"(?:\s+follows)?\s*:$",
    re.I,
)
FORMULA_SENTENCE = re.compile(
    r"^(?:(?P<det>An?|The)\s+)?(?P<name>[^\s,;:]+(?:\s+[^\s,;:]+){0,5}?)\s+"
    r"(?:is given by|is defined as|is computed as|equals|states that|is)\s+(?P<formula>.+?)\.?$"
)
UNLISTABLE_TITLES = word_set(
    """outline agenda contents overview references bibliography reading readings questions thanks
    acknowledgements credits announcements logistics today plan schedule homework assignments objectives
    glossary vocabulary definitions terms"""
)


def list_cards(page: Page) -> Iterator[Draft]:
    """A title (a slide's title, a heading, a labelled lead-in ending with a colon) and its bullets."""
    if page.slide:
        yield from _slide_list(page)
    for index, lead in enumerate(page.blocks):
        items = _items(page.blocks, index)
        title = _list_title(page, index) if items else None
        if title and _says_nothing(title) and index > 0:  # "Lecture 3" under the real title
            lead, title = page.blocks[index - 1], _list_title(page, index - 1)
        if title and items and not _says_nothing(title):
            yield _list_draft(page, title, items, lead)


def formula_cards(page: Page) -> Iterator[Draft]:
    """Named formulas: "Bayes' rule: P(A|B) = …", a name line over a formula line, "The sample mean is x̄ = …"."""
    for index, block in enumerate(page.blocks):
        labelled = clean_formula(page.text[block.body_start : block.end]) if block.term and block.lines == 1 else None
        if labelled:
            yield _formula_draft(page, block.term, labelled, block.start, block.end)
            continue
        named = _formula_below(page, index)
        if named:
            yield named
        if not block.math:
            yield from _formula_sentences(page, index)


def _formula_below(page: Page, index: int) -> Draft | None:
    """A heading or a lead-in naming the formula on the one line below it."""
    name = _formula_name(page, index)
    below = page.blocks[index + 1] if index + 1 < len(page.blocks) else None
    if not name or below is None or not below.math or below.lines != 1 or not _stands_alone(page, index + 1):
        return None
    formula = clean_formula(below.text)
    return _formula_draft(page, name, formula, page.blocks[index].start, below.end) if formula else None


def _formula_sentences(page: Page, index: int) -> Iterator[Draft]:
    for sentence in page.sentences[index]:
        match = FORMULA_SENTENCE.match(sentence.text)
        formula = clean_formula(match.group("formula")) if match else None
        name = clean_term(match.group("name")) if match and formula else None
        if name and formula:
            yield _formula_draft(page, name, formula, sentence.start, sentence.end)


def clean_formula(text: str) -> str | None:
    """The formula if `text` is one whole formula: a relation sign with both sides, balanced brackets,
    no operator left dangling at the end, symbols rather than prose."""
    text = " ".join(text.split()).rstrip(".;, ")
    sign = FORMULA_SIGN.search(text)
    if not 3 <= len(text) <= 160 or sign is None or not text[: sign.start()].strip() or not text[sign.end() :].strip():
        return None
    if any(text.count(opening) != text.count(closing) for opening, closing in ("()", "[]", "{}")):
        return None
    return text if is_math(text) and not OPERATOR_END.search(text) else None


def _formula_draft(page: Page, name: str, formula: str, start: int, end: int) -> Draft:
    name = re.sub(r"^(?:the|a|an)\s+", "", name, flags=re.I)
    return Draft(
        "formula",
        f"What is the formula for {name}?",
        f"`{formula}`",
        page.number,
        start,
        end,
        quality=0.5,
        term=("formula", *term_key(name.split())),
    )


def _formula_name(page: Page, index: int) -> str | None:
    """The name a formula line below this block would have: its label, or a heading naming it."""
    block = page.blocks[index]
    if block.math:
        return None
    if block.term and block.text.endswith(":"):
        return block.term
    match = NAMED_LEAD.match(block.text)
    if match:
        return clean_term(match.group("name"))
    if block.lines == 1 and not TERMINAL.search(block.text) and len(block.text.split()) <= MAX_NAME_WORDS:
        return clean_term(block.text.rstrip(":"))
    return None


def _stands_alone(page: Page, index: int) -> bool:
    """A formula line with prose (or nothing) after it. In a PDF a math line after it may be a fragment
    (an exponent, a denominator); a slide's lines are whole, so another whole formula may follow."""
    after = page.blocks[index + 1] if index + 1 < len(page.blocks) else None
    if after is None or not after.math:
        return True
    return page.slide and clean_formula(after.text) is not None


def _slide_list(page: Page) -> Iterator[Draft]:
    """A slide's title (alone in the first section) and the lines of its body."""
    sections: dict[int, list[Block]] = {}
    for block in page.blocks:
        sections.setdefault(block.section, []).append(block)
    parts = list(sections.values())
    if len(parts) < 2 or len(parts[0]) != 1 or parts[0][0].math:
        return
    title, body = parts[0][0], parts[1]
    if all(block.bullet for block in body):
        return  # glyph bullets: list_cards finds them with their lead
    if len(title.text.split()) <= MAX_TITLE_WORDS and _usable_title(title.text) and _readable(body):
        yield _list_draft(page, title.text, body, title)


def _list_title(page: Page, index: int) -> str | None:
    lead = page.blocks[index]
    if lead.math:
        return None
    if lead.term and lead.text.endswith(":"):
        return lead.term
    words = len(lead.text.split())
    if lead.lines == 1 and not lead.bullet and words <= MAX_TITLE_WORDS and not TERMINAL.search(lead.text):
        title = lead.text.rstrip(":").strip()
        return title if _usable_title(title) else None
    if lead.text.endswith(":") and words <= MAX_LEAD_WORDS and not LEAD_IN.match(lead.text):
        return lead.text[:-1].strip()
    return None


def _items(blocks: list[Block], index: int) -> list[Block]:
    """The bullet items right after block `index`: same glyph, not the lead's own, all readable."""
    lead = glyph_kind(blocks[index].bullet)
    items: list[Block] = []
    for block in blocks[index + 1 :]:
        kind = glyph_kind(block.bullet)
        if not block.bullet or kind == lead or (items and kind != glyph_kind(items[0].bullet)):
            break
        items.append(block)
    return items if 2 <= len(items) <= MAX_ITEMS and _readable(items) else []


def _readable(items: list[Block]) -> bool:
    if not 2 <= len(items) <= MAX_ITEMS:
        return False
    for item in items:
        words = sum(1 for token in item.text.split() if word_share(token) == 1.0)
        if len(item.text) > MAX_ITEM_CHARS or words < 2 or word_share(item.text) < 0.4:
            return False
    return word_share(" ".join(item.text for item in items)) >= 0.5


def _says_nothing(title: str) -> bool:
    """'Lecture 3', 'Part II', 'Week 5 (cont.)': a title made of labels and numbers only."""
    words = re.findall(r"[^\W\d_]+", title.casefold())
    return all(word in LABELS or word in STOP_WORDS or re.fullmatch(r"[ivxlc]+|cont", word) for word in words)


def _usable_title(title: str) -> bool:
    """Not a list nobody learns: 'Outline', 'Key terms', 'Further reading', 'Learning objectives'."""
    words = re.findall(r"[^\W\d_]{2,}", title.casefold())
    if not words or set(words) & {"outline", "agenda", "glossary", "objectives", "outcomes"}:
        return False
    return not (words[-1] in UNLISTABLE_TITLES and all(word in LABELS or word in STOP_WORDS for word in words[:-1]))


def _list_draft(page: Page, title: str, items: list[Block], lead: Block) -> Draft:
    # items that are labelled terms have definition cards of their own: the list asks for the names
    texts = [item.term for item in items] if all(item.term for item in items) else [item.text for item in items]
    numbered = all(STEP.match(text) for text in texts) or all(item.bullet[:1].isdigit() for item in items)
    if all(STEP.match(text) for text in texts):
        texts = [STEP.sub("", text) for text in texts]
    back = "\n".join(f"{n}. {text}" if numbered else f"- {text}" for n, text in enumerate(texts, start=1))
    ask = "list the steps" if numbered else "list the main points"
    return Draft(
        "list",
        f"{title} — {ask}",
        back,
        page.number,
        lead.start,
        items[-1].end,
        quality=0.5 if len(items) <= 5 else 0.3,
        term=("list", *term_key(title.split())),
    )
