"""Cloze cards: the lecture's most specific terms deleted from whole, readable sentences of its pages.

One cloze per term and per sentence. Every occurrence of the term in the sentence is deleted, so
the answer never stands in the question, and a term that sits inside a longer technical phrase
in that sentence ("gradient" in "vanishing gradient problem") is not deleted there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from processing.cardgen.checks import Draft
from processing.cardgen.definitions import LEAD_IN
from processing.cardgen.layout import Page, Sentence, mend, word_share
from processing.cardgen.terms import LABELS, MAX_TERM_WORDS, WORD, Term, content_runs, is_plural, rarity, term_key
from processing.cardgen.words import STOP_WORDS

MIN_WORDS, MAX_WORDS = 6, 40
MIN_WORD_SHARE = 0.8
MAX_DELETED_SHARE = 0.4
NEEDY_OPTIONS = 2  # a term found in this few sentences needs the ones it has
MAX_OPTIONS = 40  # sentences weighed for one term: enough to choose well, few enough to stay fast
SENTENCE_START = re.compile(r"^[\"'“‘(]?[A-Z]")
LABEL = re.compile(r"([^\W\d_]+)[ \t]*:\s+")
CONTEXTLESS_START = re.compile(
    r"^(?:it|its|this|these|they|their|those|that|such|here|there|he|she|his|her)\b|^\w+:", re.I
)


@dataclass(frozen=True, slots=True)
class Candidate:
    page: int
    sentence: Sentence
    order: int  # position in the lecture, for a stable choice


def cloze_sentences(pages: Iterable[Page], *, taken: dict[int, list[tuple[int, int]]]) -> list[Candidate]:
    """Whole, readable English sentences that no other card quotes from."""
    found: list[Candidate] = []
    for page in pages:
        for block, sentences in zip(page.blocks, page.sentences, strict=True):
            if block.math or not page.english:
                continue
            for sentence in (_without_label(page.text, sentence) for sentence in sentences):
                if _readable(sentence.text) and not _overlaps(sentence, taken.get(page.number, [])):
                    found.append(Candidate(page.number, sentence, len(found)))
    return found


def cloze_cards(candidates: list[Candidate], terms: list[Term], *, covered: set[tuple[str, ...]]) -> list[Draft]:
    """One cloze for each term that has a free sentence, best terms first, but terms already taught by
    a definition card (`covered`) last. A term takes, of its sentences, the one that the fewest
    weaker terms with hardly any other sentence also need."""
    rank = {term.key: position for position, term in enumerate(terms)}
    ranks_in: list[list[int]] = []
    by_key: dict[tuple[str, ...], list[int]] = {}
    for index, candidate in enumerate(candidates):
        keys = [key for key in _keys(candidate.sentence.text) if key in rank]
        ranks_in.append([rank[key] for key in keys])
        for key in keys:
            by_key.setdefault(key, []).append(index)
    needy = {rank[key] for key, found in by_key.items() if len(found) <= NEEDY_OPTIONS}
    phrases = {term.key for term in terms if len(term.key) > 1 and term.count > 1}
    used: set[int] = set()
    done: set[int] = set()
    drafts: list[Draft] = []
    top = terms[0].specificity if terms else 1.0
    for term in sorted(terms, key=lambda term: term.key in covered):  # stable: rank order within each group
        position = rank[term.key]
        free = [index for index in by_key.get(term.key, []) if index not in used][:MAX_OPTIONS]
        rivals = {
            index: sum(1 for r in ranks_in[index] if r in needy and r != position and r not in done) for index in free
        }
        for index in sorted(free, key=lambda index: (rivals[index], index)):
            front = delete_term(candidates[index].sentence.text, term.key, phrases=phrases)
            if front is None:
                continue
            used.add(index)
            done.add(position)
            sentence = candidates[index].sentence
            quality = term.specificity / top
            drafts.append(
                Draft("cloze", front, "", candidates[index].page, sentence.start, sentence.end, quality, term.key)
            )
            break
    return drafts


def delete_term(text: str, key: tuple[str, ...], *, phrases: set[tuple[str, ...]] = frozenset()) -> str | None:
    """`text` with every occurrence of the term wrapped as {{c1::…}}, or None when the term is not
    deletable there: absent, part of a longer phrase (a specific neighbour word, or one of the
    lecture's repeated `phrases`: "cell" in "cell cycle"), or most of the sentence."""
    words = list(WORD.finditer(text))
    size = len(key)
    spans: list[tuple[int, int]] = []
    index = 0
    while index <= len(words) - size:
        window = words[index : index + size]
        if term_key([match.group() for match in window]) == key and _adjacent(text, window):
            if _inside_phrase(text, words, index, index + size, phrases):
                return None
            spans.append((window[0].start(), window[-1].end()))
            index += size
        else:
            index += 1
    deleted = sum(end - start for start, end in spans)
    if not spans or deleted > MAX_DELETED_SHARE * len(text):
        return None
    pieces, last = [], 0
    for start, end in spans:
        pieces += [text[last:start], "{{c1::", text[start:end], "}}"]
        last = end
    return "".join([*pieces, text[last:]])


def _keys(text: str) -> set[tuple[str, ...]]:
    keys = set()
    for run in content_runs(text):
        for size in range(1, min(MAX_TERM_WORDS, len(run)) + 1):
            for start in range(len(run) - size + 1):
                keys.add(term_key(run[start : start + size]))
    return keys


def _adjacent(text: str, window: list[re.Match[str]]) -> bool:
    """The words of a multi-word term separated by spaces only, not by punctuation."""
    return all(text[a.end() : b.start()].isspace() for a, b in zip(window, window[1:], strict=False))


def _inside_phrase(text: str, words: list[re.Match[str]], first: int, stop: int, phrases: set[tuple[str, ...]]) -> bool:
    """A specific word, or a word that makes one of the lecture's phrases, right beside the term."""
    term = [match.group() for match in words[first:stop]]
    if first > 0 and text[words[first - 1].end() : words[first].start()].isspace():
        before = words[first - 1].group()
        if rarity(before) == 1.0 or term_key([before, *term]) in phrases:
            return True
        if len(term) == 1 and before.casefold() not in STOP_WORDS and is_plural(before):
            return True  # after a plural noun a lone word is its verb: "when two keys hash to the same index"
    if stop < len(words) and text[words[stop - 1].end() : words[stop].start()].isspace():
        after = words[stop].group()
        verb = after.casefold().endswith("ed")  # "the factory system concentrated workers"
        if (rarity(after) == 1.0 and not verb) or term_key([*term, after]) in phrases:
            return True
    return False


def _without_label(text: str, sentence: Sentence) -> Sentence:
    """ "Remark: the gradient of f is …" → "The gradient of f is …", quoted without the label."""
    match = LABEL.match(text, sentence.start, sentence.end)
    if match is None or match.group(1).casefold() not in LABELS:
        return sentence
    if match.group(1).casefold() in ("example", "examples"):
        return Sentence(sentence.start, sentence.end, "")  # examples are often fragments: not a cloze
    rest = mend(text[match.end() : sentence.end])
    return Sentence(match.end(), sentence.end, rest[:1].upper() + rest[1:])


def _readable(text: str) -> bool:
    words = text.split()
    return (
        MIN_WORDS <= len(words) <= MAX_WORDS
        and text.endswith(".")
        and SENTENCE_START.match(text) is not None
        and LEAD_IN.match(text) is None
        and CONTEXTLESS_START.match(text) is None
        and "{{" not in text
        and "}}" not in text
        and word_share(text) >= MIN_WORD_SHARE
    )


def _overlaps(sentence: Sentence, ranges: list[tuple[int, int]]) -> bool:
    return any(sentence.start < end and start < sentence.end for start, end in ranges)
