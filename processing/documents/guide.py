"""Study guides: a lecture's outline (its slide titles and headings), its key terms with their
definitions, and the cards made from it — every item with its page ("p. 3").

The page reading is the card generator's (processing/cardgen): layout.read_page finds the blocks of a
page (running headers and footers dropped), definitions.py the defining sentences and labelled terms,
terms.py the terms most specific to the lecture.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from processing.cardgen import PageInput, usable_page
from processing.cardgen.checks import acceptable
from processing.cardgen.definitions import labelled_definitions, sentence_definitions
from processing.cardgen.layout import Block, Page, boilerplate_lines, read_page
from processing.cardgen.terms import WORD, rank_terms, term_key
from processing.cardgen.words import STOP_WORDS
from processing.documents.mathtext import normalise
from processing.documents.pdf import DocumentPDF

MAX_HEADING_WORDS = 12
MAX_SECTION_WORDS = 6
MAX_TERMS = 80
MAX_OTHER_TERMS = 15
TERMINAL = re.compile(r"[.!?,;]$")
CONTINUED = re.compile(r"\s*[(\[]?\s*(?:cont(?:inued|'d|’d)?\.?)\s*[)\]]?\s*$", re.I)
QUESTION_TERM = re.compile(
    r"^(?:What (?:is|are|was|were|does|do)|How (?:is|are))\s+(?:(?:the|a|an)\s+)?(?P<term>.+?)"
    r"(?:\s+(?:refer to|mean|defined))?\?$"
)


@dataclass(slots=True)
class OutlineEntry:
    title: str
    first_page: int
    last_page: int
    sections: list[tuple[str, int]] = field(default_factory=list)  # headings inside the pages, with their page
    terms: list[str] = field(default_factory=list)  # the key terms defined on these pages


@dataclass(frozen=True, slots=True)
class KeyTerm:
    term: str
    definition: str
    page: int


@dataclass(frozen=True, slots=True)
class GuideCard:
    question: str
    answer: str
    page: int | None


def page_refs(pages: Iterable[int]) -> str:
    """'p. 3', 'pp. 3–5', 'pp. 1, 3, 6'."""
    numbers = sorted(set(pages))
    if not numbers:
        return ""
    if len(numbers) == 1:
        return f"p. {numbers[0]}"
    if numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"pp. {numbers[0]}–{numbers[-1]}"
    return "pp. " + ", ".join(str(n) for n in numbers)


def read_pages(pages: list[PageInput]) -> list[Page]:
    """The lecture's readable pages, laid out, without their running headers and footers."""
    usable = [page for page in pages if page.text.strip()]
    return [read_page(page, boilerplate=boilerplate_lines(usable)) for page in usable]


# --- outline ------------------------------------------------------------------------------------------


def _heading_like(block: Block, *, max_words: int) -> bool:
    """One short line of words that is not a sentence, a bullet or a formula ("Title: subtitle" allowed)."""
    text = block.text.strip()
    words = text.split()
    if block.math or block.bullet or block.lines != 1 or not 1 <= len(words) <= max_words:
        return False
    return not TERMINAL.search(text) and sum(ch.isalpha() for ch in text) >= 3


def page_heading(page: Page) -> str | None:
    """The page's title: its first block, when that reads as a heading."""
    if not page.blocks or not _heading_like(page.blocks[0], max_words=MAX_HEADING_WORDS):
        return None
    return page.blocks[0].text.strip().rstrip(":").strip()


def section_headings(page: Page) -> list[str]:
    """Headings inside the page: a short title-case line followed by a paragraph or a list."""
    found = []
    for block, after in zip(page.blocks[1:], page.blocks[2:], strict=False):
        if block.term or not _heading_like(block, max_words=MAX_SECTION_WORDS):
            continue
        words = [word for word in block.text.split() if word.casefold() not in STOP_WORDS]
        title_case = block.text[:1].isupper() and all(word[:1].isupper() or not word[:1].isalpha() for word in words)
        if title_case and not after.math and (after.lines >= 2 or after.bullet or len(after.text) > 60):
            found.append(block.text.strip().rstrip(":"))
    return found


def outline(pages: list[Page], terms: list[KeyTerm]) -> list[OutlineEntry]:
    """One entry per page heading, over the pages up to the next one ("Title (cont.)" joins its entry),
    with the section headings inside those pages. Pages before the first heading, or a lecture without
    headings, stand in with their first sentence."""
    entries: list[OutlineEntry] = []
    for page in pages:
        heading = page_heading(page)
        key = CONTINUED.sub("", heading or "").casefold()
        if heading and entries and CONTINUED.sub("", entries[-1].title).casefold() == key:
            entries[-1].last_page = page.number
        elif heading:
            entries.append(OutlineEntry(heading, page.number, page.number))
        elif entries and any(page_heading(p) for p in pages):
            entries[-1].last_page = page.number
        else:
            first = next((found[0].text for found in page.sentences if found), "")
            if first:
                entries.append(OutlineEntry(_shorten(first, 90), page.number, page.number))
        if entries and entries[-1].last_page == page.number:
            entries[-1].sections += [(title, page.number) for title in section_headings(page)]
    for entry in entries:
        entry.terms = [t.term for t in terms if entry.first_page <= t.page <= entry.last_page]
    return entries


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


# --- key terms ----------------------------------------------------------------------------------------


def defined_terms(pages: list[Page]) -> list[KeyTerm]:
    """Terms the lecture defines ("X is a …", "Term – explanation"), each once, in page order."""
    found: list[KeyTerm] = []
    seen: set[tuple[str, ...]] = set()
    said: set[str] = set()  # "LSTM" and "Long short-term memory (LSTM)" defined by one sentence: once
    for page in pages:
        drafts = [*labelled_definitions(page), *sentence_definitions(page, frozenset())]
        for draft in sorted(drafts, key=lambda d: d.quote_start):
            match = QUESTION_TERM.match(draft.front)
            if match is None or not acceptable(draft):
                continue
            term = match.group("term")
            key = draft.term or term_key(WORD.findall(term))
            if key in seen or normalise(draft.back) in said:
                continue
            seen.add(key)
            said.add(normalise(draft.back))
            found.append(KeyTerm(term[:1].upper() + term[1:], draft.back, draft.page))
    return found[:MAX_TERMS]


def other_terms(pages: list[Page], defined: list[KeyTerm]) -> list[tuple[str, list[int]]]:
    """The terms most specific to the lecture that it does not define, with the pages they appear on."""
    prose = [
        sentence.text
        for page in pages
        if page.english
        for block, found in zip(page.blocks, page.sentences, strict=True)
        if not block.math
        for sentence in found
    ]
    taken = {term_key(WORD.findall(t.term.casefold())) for t in defined}
    out: list[tuple[str, list[int]]] = []
    for term in rank_terms(prose, defined=[t.term for t in defined]):
        if term.key in taken or term.count < 2:
            continue
        wanted = term.surface.casefold()
        where = [page.number for page in pages if wanted in page.text.casefold()]
        if where:
            out.append((term.surface, where))
        if len(out) >= MAX_OTHER_TERMS:
            break
    return sorted(out, key=lambda item: item[0].casefold())


def usable(pages: list[PageInput]) -> list[PageInput]:
    """Pages worth reading for terms (not junk OCR); the outline reads every page with text."""
    return [page for page in pages if usable_page(page)]


# --- the printed guide ----------------------------------------------------------------------------------


def write_guide(
    pdf: DocumentPDF,
    *,
    title: str,
    subtitle: str,
    entries: list[OutlineEntry],
    terms: list[KeyTerm],
    others: list[tuple[str, list[int]]],
    cards: list[GuideCard],
) -> None:
    pdf.add_page()
    pdf.title_block(title, subtitle)
    pdf.heading("Outline")
    if not entries:
        pdf.paragraph("This lecture has no text to outline.", grey=True)
    for number, entry in enumerate(entries, start=1):
        refs = page_refs(range(entry.first_page, entry.last_page + 1))
        pdf.keep_together(2 * 6)
        pdf.paragraph(f"{entry.title} — {refs}", label=f"{number}.", label_width=10)
        for section, page in entry.sections:
            pdf.paragraph(f"{section} — {page_refs([page])}", indent=10)
        if entry.terms:
            pdf.paragraph("Defines: " + ", ".join(entry.terms), indent=10, size=9, grey=True)
        pdf.ln(1)
    pdf.heading("Key terms")
    if not terms:
        pdf.paragraph("No definitions were found in this lecture's text.", grey=True)
    for term in terms:
        pdf.keep_together(pdf.text_height(term.definition[:160], width=pdf.width_from(6)) + 7)
        pdf.paragraph(f"{term.term} ({page_refs([term.page])})", style="B")
        pdf.paragraph(term.definition, indent=6)
        pdf.ln(2)
    if others:
        pdf.heading("Other key terms", size=12)
        for surface, where in others:
            pdf.paragraph(f"{surface} — {page_refs(where)}", indent=0)
    pdf.heading("Cards from this lecture")
    if not cards:
        pdf.paragraph("No cards cite this lecture yet: make cards from it in the lecture viewer.", grey=True)
    for number, card in enumerate(cards, start=1):
        width = pdf.width_from(10)
        pdf.keep_together(pdf.text_height(card.question, width=width) + 12)
        pdf.paragraph(card.question, label=f"{number}.", label_width=10, style="B")
        if card.answer:
            pdf.paragraph(card.answer, indent=10)
        if card.page:
            pdf.paragraph(page_refs([card.page]), indent=10, size=9, grey=True)
        pdf.ln(2)
