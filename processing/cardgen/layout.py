"""The shape of a page's text: blocks (paragraphs, bullet items, formula lines) and their sentences.

Text layers and OCR wrap lines where the page did, so lines are joined back into paragraphs: a
paragraph ends at a blank line, a bullet, a line ending with a colon, or a line well shorter than
the page's usual line (a heading, a paragraph's last line). Slide pages keep every line apart,
since the slide reader writes one bullet a line. Offsets always point into the original page
text, so a card's quote is an exact slice of it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from processing.cardgen import PageInput
from processing.cardgen.terms import clean_term
from processing.cardgen.words import STOP_WORDS, word_set

NUMBERING = re.compile(r"\d+|(?<=\()[a-h](?=\))|^[a-h](?=\))")
BULLET = re.compile(
    r"[•◦▪▫‣⁃●○■□❒❏❑➢➤►▶▸✓✔∙·*§\-–—\uf000-\uf0ff]\s+"  # glyphs (private-use ones come from symbol fonts)
    r"|\(?\d{1,2}[.)]\s+(?=\S)"  # 1.  2)  (3)
    r"|\(?[a-h]\)\s+"  # a)  (b)
    r"|r\s+(?=[A-Z][^–—\n]{0,60}\s[–—-]\s)"  # ❒ as some extractors spell it: "r Learning rate – …"
)
TERM_LINE = re.compile(r"(?P<term>[^\s–—:][^–—:\n]{0,58}?)[ \t]*(?:[ \t][–—-]\s+|:\s+)(?=\S)")
WORD_TOKEN = re.compile(r"^[\"'“‘(\[]*([^\W\d_]+(?:['’-][^\W\d_]+)*)[\"'”’)\].,;:!?]*$")
VOWEL = re.compile(r"[aeiouyAEIOUYäöüéèêáàíóúÄÖÜÉ]")
SENTENCE_BREAK = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")
ABBREVIATIONS = word_set(
    "e.g i.e etc vs cf fig figs eq eqs dr mr mrs ms prof al approx no nos ch sec vol pp resp ca st jr sr"
)
ORDINAL_SUFFIX = re.compile(r"^(?:th|st|nd|rd)\b")
BROKEN_ORDINAL = re.compile(r"\b([a-zA-Z0-9])[ \t]*\n[ \t]*(th|st|nd|rd)\b")
LINE_END_HYPHENATION = re.compile(r"(\w)-[ \t]*\n\s*(?=[a-z])")
WHITESPACE = re.compile(r"\s+")
SPACE_BEFORE_COMMA = re.compile(r" (?=[,;])")
ENGLISH_FUNCTION_WORDS = word_set("the of and to in is a that for are with as by on this be it from or an which we can")
LOWER_WORD = re.compile(r"[^\W\d_]+")
MIN_WORDS_TO_TELL = 30
MIN_FUNCTION_SHARE = 0.12
SHORT_LINE = 0.7  # of the page's usual line length
DEFAULT_WIDTH = 80


@dataclass(frozen=True, slots=True)
class Block:
    start: int  # offsets into the page text; start is after any bullet glyph
    end: int
    text: str  # the block as it reads: lines joined, hyphenation mended
    bullet: str  # the glyph ("•", "1.", …), "" for a paragraph or heading
    math: bool  # a formula or a fragment of one rather than prose
    lines: int
    section: int  # blank-line separated part of the page (a slide's title, body, notes)
    term: str  # "Learning rate" for "❒ Learning rate – The learning rate, often noted η, …", else ""
    body_start: int  # after the term and its dash or colon; start when there is no term


@dataclass(frozen=True, slots=True)
class Page:
    """One page read for card generation: its blocks and each block's sentences (after any term)."""

    number: int
    text: str
    slide: bool
    blocks: list[Block]
    sentences: list[list[Sentence]]
    english: bool  # questions and clozes are only written for English text


def read_page(page: PageInput, *, boilerplate: frozenset[str] = frozenset()) -> Page:
    slide = page.source == "slide"
    blocks = read_blocks(page.text, slide=slide, boilerplate=boilerplate)
    found = [sentences(page.text, block.body_start, block.end) for block in blocks]
    return Page(page.number, page.text, slide, blocks, found, is_english(page.text))


def is_english(text: str) -> bool:
    """English prose is about a third function words; German, French or Spanish prose has almost none
    of these. Pages too short to tell are taken as English."""
    words = LOWER_WORD.findall(text.casefold())
    if len(words) < MIN_WORDS_TO_TELL:
        return True
    return sum(word in ENGLISH_FUNCTION_WORDS for word in words) >= MIN_FUNCTION_SHARE * len(words)


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int
    text: str


def glyph_kind(glyph: str) -> str:
    """Bullets of one list share a kind: '•' with '•', '1.' with '2.', 'a)' with 'b)'."""
    return NUMBERING.sub("#", glyph)


def mend(raw: str) -> str:
    """Display text of a slice of the page: 'photo-\\nsynthesis' → 'photosynthesis', 'i\\nth' → 'ith'."""
    text = BROKEN_ORDINAL.sub(r"\1\2", raw.replace("\u00ad", ""))
    text = LINE_END_HYPHENATION.sub(r"\1", text)
    return SPACE_BEFORE_COMMA.sub("", WHITESPACE.sub(" ", text)).strip()


def word_share(text: str) -> float:
    """Share of whitespace-separated tokens that read as words (letters with a vowel, or 'a'/'I')."""
    tokens = text.split()
    if not tokens:
        return 0.0
    return sum(_is_word(token) for token in tokens) / len(tokens)


def is_math(text: str) -> bool:
    """A formula line or a fragment of one: mostly symbols, single letters and operators."""
    tokens = text.split()
    long_words = sum(1 for token in tokens if _is_word(token) and len(token) >= 3)
    return long_words == 0 or word_share(text) < 0.5


def read_blocks(text: str, *, slide: bool, boilerplate: frozenset[str] = frozenset()) -> list[Block]:
    """The page's blocks in reading order; lines whose `line_key` is in `boilerplate` are dropped."""
    lines = list(_lines(text))
    width = _usual_width([text[start:end] for start, end in lines if end > start])
    blocks: list[Block] = []
    current: list[tuple[int, int]] = []
    glyph, math, section = "", False, 0

    def close() -> None:
        if current:
            start, end = current[0][0], current[-1][1]
            term, body_start = _term_label(text, start, end, glyph)
            blocks.append(
                Block(start, end, mend(text[start:end]), glyph, math, len(current), section, term, body_start)
            )
            current.clear()

    for start, end in lines:
        line = text[start:end]
        if not line or line_key(line) in boilerplate:
            close()
            section += 1 if not line else 0
            continue
        bullet = BULLET.match(line)
        content_start = start + (bullet.end() if bullet else 0)
        line_math = is_math(text[content_start:end])
        if current and not slide and ORDINAL_SUFFIX.match(line):
            current.append((start, end))  # "the i" / "th row": a superscript put on a line of its own
            continue
        same_kind = bool(current) and not bullet and not slide and line_math == math
        if same_kind and _continues(text, current[-1], line, width, glyph):
            current.append((start, end))
            continue
        close()
        glyph = bullet.group().strip() if bullet else ""
        math = line_math
        current.append((content_start, end))
    close()
    return blocks


def sentences(text: str, start: int, end: int) -> list[Sentence]:
    """text[start:end] split into sentences, offsets into `text` (abbreviations and initials kept whole)."""
    raw = text[start:end]
    found, begin = [], 0
    for boundary in SENTENCE_BREAK.finditer(raw):
        before = raw[begin : boundary.start()].rstrip(".!?\"'”’)]").rsplit(None, 1)
        last_word = before[-1].casefold() if before else ""
        if last_word in ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
            continue
        found.append((begin, boundary.start()))
        begin = boundary.end()
    found.append((begin, len(raw.rstrip())))
    return [Sentence(start + a, start + b, mend(raw[a:b])) for a, b in found if raw[a:b].strip()]


def line_key(line: str) -> str:
    """What repeats in a running header or footer: 'Stanford University 1 Fall 2018' ~ '… 2 …'."""
    return re.sub(r"\d+", "#", WHITESPACE.sub(" ", line.strip())).casefold()


def edge_lines(text: str, count: int = 3) -> list[str]:
    """The first and last few non-empty lines of a page, where running headers and footers sit."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    return lines[:count] + lines[-count:] if len(lines) > 2 * count else lines


def _term_label(text: str, start: int, end: int, glyph: str) -> tuple[str, int]:
    """("Learning rate", where the explanation starts) for a "Term – explanation" or "Term: explanation"
    line; ("", start) for anything else. Without a bullet the term must start with a capital."""
    match = TERM_LINE.match(text, start, end)
    if match is None or not (glyph or match.group("term")[:1].isupper()):
        return "", start
    term = clean_term(match.group("term"))
    return (term, match.end()) if term else ("", start)


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line with its surrounding whitespace trimmed; an empty span for a blank line."""
    spans, position = [], 0
    for line in text.split("\n"):
        stripped = line.strip()
        lead = len(line) - len(line.lstrip())
        start = position + lead
        spans.append((start, start + len(stripped)))
        position += len(line) + 1
    return spans


def _usual_width(lines: list[str]) -> float:
    lengths = sorted(len(line) for line in lines if len(line.split()) >= 4)
    return lengths[int(0.8 * (len(lengths) - 1))] if lengths else DEFAULT_WIDTH


def _continues(text: str, previous: tuple[int, int], line: str, width: float, glyph: str) -> bool:
    """Does `line` carry on the paragraph (or bullet item, when there is a `glyph`) whose last line is
    `previous`? An item's wrapped line starts in lowercase, or follows a word that cannot end it."""
    before = text[previous[0] : previous[1]]
    if before.endswith(":"):
        return False
    if glyph and line[:1].isupper() and not before.endswith((",", "-")):
        last = before.rsplit(None, 1)[-1].casefold()
        return last in STOP_WORDS
    if len(before) >= SHORT_LINE * width:
        return True
    # a short line then a lowercase or punctuation start: the sentence goes on after a formula or a superscript
    return line[:1].islower() or line[:1] in ",;)"


def _is_word(token: str) -> bool:
    match = WORD_TOKEN.match(token)
    if match is None:
        return False
    word = match.group(1)
    return word in {"a", "A", "I"} or (len(word) >= 2 and VOWEL.search(word) is not None)


BOILERPLATE_SHARE = 0.3  # an edge line on this share of the text pages is a running header or footer


def boilerplate_lines(pages: Sequence[PageInput]) -> frozenset[str]:
    """Running headers and footers: edge lines repeated on many text pages (page numbers ignored), as
    `line_key`s to pass to `read_page`."""
    text_pages = [page for page in pages if page.source != "slide"]
    if len(text_pages) < 2:
        return frozenset()
    seen: Counter[str] = Counter()
    for page in text_pages:
        seen.update({line_key(line) for line in edge_lines(page.text)})
    needed = max(2, math.ceil(BOILERPLATE_SHARE * len(text_pages)))
    return frozenset(key for key, count in seen.items() if count >= needed)
