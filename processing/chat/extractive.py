"""The offline answer: the one to three best extracts from the material, quoted as written and cited.

Each retrieved passage is cut into sentences; every sentence is scored by its meaning against the
question (embedding cosine) plus a little for sharing the question's words. The best sentence of a
passage, with its neighbour when it is very short, is that passage's extract. The best extract is
always given; a second and third only when they score nearly as well and come from other pages.
A sentence that begins with the page's running header (see retrieval.running_lines) starts after it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from processing.chat.retrieval import Passage, word_share
from processing.embeddings import Embedder
from processing.search import query_words

MAX_EXTRACTS = 3
READ_PASSAGES = 5  # sentences are scored in the best few passages only
CLOSE_ENOUGH = 0.08  # an extract scoring this much below the best one is left out
MAX_QUOTE_CHARS = 420
SHORT_SENTENCE = 90  # below this, the next sentence is quoted along
WORD_WEIGHT = 0.15
# A sentence ends at . ! ? followed by a space and a capital, digit or opening quote/bracket, at a
# line break, or at a bullet (cheat sheets and slides rarely end their items with a full stop).
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“(\[A-Z0-9])|\s*\n\s*|\s*[❒•▪◦●■►]\s*")
WORD = re.compile(r"\w+", re.UNICODE)
INTRO = "Here is what your lectures say (extracts, quoted as written):"
NOTHING_FOUND = (
    "I found nothing in your lectures that answers this. Try other words, or check that the lecture "
    "covering it has been uploaded and is ready."
)


@dataclass(frozen=True, slots=True)
class Extract:
    passage: Passage
    quote: str  # a verbatim slice of passage.text
    score: float


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of `text`, without surrounding spaces."""
    spans, start = [], 0
    for match in SENTENCE_END.finditer(text):
        if match.start() > start:
            spans.append((start, match.start()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text.rstrip())))
    return [(a, b) for a, b in spans if len(WORD.findall(text[a:b])) >= 3]


def choose_extracts(question: str, passages: list[Passage], *, embedder: Embedder, context: str = "") -> list[Extract]:
    supported = [p for p in passages if p.supports][:READ_PASSAGES]
    if not supported:
        return []
    spans = {p.chunk_id: passage_sentences(p) or [(0, len(p.text))] for p in supported}
    texts = [p.text[a:b] for p in supported for a, b in spans[p.chunk_id]]
    query = f"{context}\n{question}" if context.strip() else question
    vectors = embedder.encode([query, *texts])
    cosines = vectors[1:] @ vectors[0]
    words = query_words(question)
    extracts, row = [], 0
    for passage in supported:
        best: tuple[float, int] | None = None
        passage_spans = spans[passage.chunk_id]
        for i, (a, b) in enumerate(passage_spans):
            score = float(cosines[row + i]) + WORD_WEIGHT * word_share(passage.text[a:b], words)
            if best is None or score > best[0]:
                best = (score, i)
        row += len(passage_spans)
        assert best is not None
        score, i = best
        extracts.append(Extract(passage, _quote(passage.text, passage_spans, i), 0.5 * score + 0.5 * passage.cosine))
    return _pick(extracts)


def passage_sentences(passage: Passage) -> list[tuple[int, int]]:
    """The passage's sentence spans, each starting after any running header or footer that opens it
    (its digits may differ: page numbers)."""
    spans = sentences(passage.text)
    if not passage.running_lines:
        return spans
    pattern = re.compile(r"\s*(?:" + "|".join(_line_pattern(line) for line in passage.running_lines) + r")\s*")
    trimmed = []
    for start, end in spans:
        while (match := pattern.match(passage.text, start, end)) is not None and match.end() > start:
            start = match.end()
        if len(WORD.findall(passage.text[start:end])) >= 3:
            trimmed.append((start, end))
    return trimmed


def _line_pattern(line: str) -> str:
    parts = [r"\d+" if part.isdigit() else re.escape(part) for part in re.findall(r"\d+|\D", " ".join(line.split()))]
    return "".join(r"\s+" if part == re.escape(" ") else part for part in parts)


def _quote(text: str, spans: list[tuple[int, int]], i: int) -> str:
    """Sentence i, joined by the next one when it is short; cut at a word if it is very long."""
    start, end = spans[i]
    if end - start < SHORT_SENTENCE and i + 1 < len(spans) and spans[i + 1][1] - start <= MAX_QUOTE_CHARS:
        end = spans[i + 1][1]
    quote = text[start:end]
    if len(quote) > MAX_QUOTE_CHARS:
        cut = quote.rfind(" ", 0, MAX_QUOTE_CHARS)
        quote = quote[: cut if cut > MAX_QUOTE_CHARS // 2 else MAX_QUOTE_CHARS]
    return quote.strip()


def _pick(extracts: list[Extract]) -> list[Extract]:
    ranked = sorted(extracts, key=lambda e: -e.score)
    best = ranked[0]
    chosen = [best]
    pages = {(best.passage.lecture_id, best.passage.page)}
    for extract in ranked[1:]:
        key = (extract.passage.lecture_id, extract.passage.page)
        if len(chosen) == MAX_EXTRACTS or extract.score < best.score - CLOSE_ENOUGH:
            break
        if key in pages or not extract.passage.supports:
            continue
        pages.add(key)
        chosen.append(extract)
    return chosen


def compose(extracts: list[Extract], numbers: list[int]) -> str:
    """The answer's Markdown: an introduction, then each extract as a quotation with its [n]."""
    if not extracts:
        return NOTHING_FOUND
    blocks = [INTRO]
    for extract, n in zip(extracts, numbers, strict=True):
        quote = " ".join(extract.quote.split())
        ellipsis = "" if quote.endswith((".", "!", "?", "…")) else " …"
        blocks.append(f"> “{_escape(quote)}{ellipsis}” [{n}]")
    return "\n\n".join(blocks)


def _escape(text: str) -> str:
    """Characters Markdown would act on inside a quote (emphasis, links, HTML, math, a bracketed number
    that would read as a citation) are escaped; the words stay the same."""
    return re.sub(r"([\\`*_<\[\]$])", r"\\\1", text)


def stream_pieces(text: str, *, words: int = 3) -> Iterator[str]:
    """The answer a few words at a time, so it arrives like any streamed answer."""
    tokens = re.findall(r"\S+\s*|\s+", text)
    for start in range(0, len(tokens), words):
        yield "".join(tokens[start : start + words])
