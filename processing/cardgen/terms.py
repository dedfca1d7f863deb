"""Key terms of a lecture, ranked by how specific they are to it, and the shape of a plausible term.

Candidates are runs of content words (no stop words, no punctuation between them) of one to four
words, counted over the whole lecture. A word outside COMMON_WORDS counts as specific; a phrase of
common words only counts when the lecture repeats it ("learning rate"). A phrase that nearly always
appears inside a longer one ("neural" in "neural network") is half a phrase and is dropped.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from processing.cardgen.words import COMMON_WORDS, IRREGULAR_PAST, NOUN_VERBS, STOP_WORDS, VERBS, word_set

MAX_TERM_WORDS = 4
SPECIFIC_LENGTH = 9  # a word this long and outside the common list is technical even when seen once
NESTED_SHARE = 0.6  # a term found this often inside one longer term is half of that phrase
TOKEN = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*|\S")
WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
ACRONYM = re.compile(r"[A-Z][A-Z0-9]{1,5}s?")
ADJECTIVE_ENDINGS = ("ly", "ous", "ive", "ful", "able", "ible", "less")
LABELS = word_set("""
    remark remarks note notes example examples proof definition theorem lemma corollary exercise exercises solution
    source sources figure table question questions answer hint warning tip summary recall reminder caution important
    date time location room instructor lecturer email phone website url homework assignment reading readings due
    deadline goal goals outline agenda objective objectives idea observation intuition motivation aside exam quiz slide
    page chapter section lecture part step case claim fact problem conclusion result results credit credits
    acknowledgements copyright author authors see ps nb key takeaway takeaways recap today overview announcement
    announcements reference references bibliography contents abstract keywords intro introduction background discussion
    """)
AFTER_VERB = word_set(
    "a an the about into from with to on in at by over under through its their all each every more less most"
)
PRONOUNS = word_set("it its this that these those there here they we he she you i which what each all some")


@dataclass(frozen=True, slots=True)
class Term:
    key: tuple[str, ...]  # folded words, last one singular
    surface: str  # the most frequent spelling in the lecture
    count: int
    specificity: float


def fold(word: str) -> str:
    """Case folded, and a regular plural made singular so 'networks' and 'network' count together."""
    word = word.casefold().replace("’", "'")
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "ics")):
        return word[:-1]
    return word


def is_common(word: str) -> bool:
    """In the everyday vocabulary, directly or by a regular inflection ('updated', 'layers', 'running')."""
    word = word.casefold()
    if word in COMMON_WORDS or word in STOP_WORDS:
        return True
    stems = [word[:-1], word[:-2], word[:-3], word[:-2] + "e", word[:-3] + "e", word[:-3] + "y", word[:-4]]
    return any(stem in COMMON_WORDS for stem in stems if len(stem) >= 3)


def is_verb(word: str) -> bool:
    """A form of a verb in VERBS that is not also a noun: 'includes', 'introduced', 'preventing', 'grew'.
    Verbs that are nouns too ('state', 'update', 'drop') count only in their past forms ('dropped')."""
    word = word.casefold()
    if word in IRREGULAR_PAST:
        return True
    readings = _readings(word)
    return any(base in VERBS and (suffix in ("ed", "d") or base not in NOUN_VERBS) for base, suffix in readings)


def _readings(word: str) -> Iterable[tuple[str, str]]:
    """(base, suffix) pairs that could make `word`: 'varies' → ('vary', 's'), 'dropped' → ('drop', 'ed')."""
    yield word, ""
    for suffix in ("s", "es", "d", "ed", "ing"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            yield stem, suffix
            if suffix in ("ed", "ing"):
                yield stem + "e", suffix  # "introduced", "computing"
                if len(stem) > 3 and stem[-1] == stem[-2]:
                    yield stem[:-1], suffix  # "dropped", "dropping"
    for suffix in ("ies", "ied"):
        if word.endswith(suffix):
            yield word[:-3] + "y", suffix[1:]  # "varies", "applied"


def rarity(word: str) -> float:
    if word.casefold() in STOP_WORDS:
        return 0.0
    if ACRONYM.fullmatch(word):
        return 1.0
    return 0.25 if is_common(word) or is_verb(word) else 1.0


def content_runs(text: str) -> Iterable[list[str]]:
    """Maximal runs of adjacent content words (no stop word, number or punctuation in between)."""
    for run, _start, _after, _first in _runs(text):
        yield run


def _runs(text: str) -> Iterable[tuple[list[str], int, str, bool]]:
    """Content-word runs with the token position they start at, the token that follows them, and
    whether they are the sentence's first run (its subject, when it has no determiner-less verb)."""
    tokens = TOKEN.findall(text)
    run: list[str] = []
    first = True
    for position, token in enumerate([*tokens, ""]):
        if WORD.fullmatch(token) and token.casefold() not in STOP_WORDS and len(token) > 1:
            run.append(token)
            continue
        if run:
            yield run, position - len(run), token, first
            first = False
        run = []


def plausible_term(words: list[str]) -> bool:
    """A noun-phrase-ish span: no stop word, label or adverb at either end, no bare adjective alone."""
    if not words or len(words) > MAX_TERM_WORDS:
        return False
    first, last = words[0].casefold(), words[-1].casefold()
    if first in STOP_WORDS or last in STOP_WORDS or first in PRONOUNS or last in PRONOUNS:
        return False
    if last.endswith(ADJECTIVE_ENDINGS) or first in LABELS or (len(words) == 1 and first.endswith("ly")):
        return False
    if any(is_verb(word) for word in words) or (len(last) > 4 and last.endswith("ed") and not last.endswith("eed")):
        return False  # a verb, or a term ending in a past tense: "the water frame transformed"
    if any(word.casefold().endswith("ly") for word in words[1:]) or any(is_plural(word) for word in words[:-1]):
        return False  # "absorbs mainly blue", "observations varies": a clause, not a noun phrase
    if any(a[:1].isupper() and b.casefold().endswith("ed") for a, b in zip(words, words[1:], strict=False)):
        return False  # a name and its verb: "Gregor Mendel studied pea plants"
    if len(words) == 1:
        word = words[0]
        if ACRONYM.fullmatch(word):
            return True
        return len(word) >= 4 and not is_common(word) and not word.casefold().endswith(("ed", "al", "ic"))
    return sum(len(word) for word in words) >= 5


def rank_terms(sentences: Iterable[str], *, defined: Iterable[str] = ()) -> list[Term]:
    """Every plausible term of the lecture, most specific first (ties broken by spelling, for determinism)."""
    counts, spellings, named = _count_candidates(sentences)
    boosted = {term_key(WORD.findall(term)) for term in defined}
    containers = _largest_containers(counts)
    terms = []
    for key, count in counts.items():
        if containers.get(key, 0) >= NESTED_SHARE * count:
            continue  # half a phrase: "decision process" nearly always inside "Markov decision process"
        surface = min(spellings[key].items(), key=lambda item: (-item[1], _case_rank(item[0]), item[0]))[0]
        score = _specificity(surface.split(), count, defined=key in boosted, named=key in named)
        if score > 0:
            terms.append(Term(key, surface, count, score))
    terms.sort(key=lambda term: (-term.specificity, term.surface))
    return terms


def _count_candidates(
    sentences: Iterable[str],
) -> tuple[Counter[tuple[str, ...]], dict[tuple[str, ...], Counter[str]], set[tuple[str, ...]]]:
    """How often each plausible term occurs, how it is spelled, and which are capitalised inside a
    sentence (names: "Adam", "Markov decision process")."""
    counts: Counter[tuple[str, ...]] = Counter()
    spellings: dict[tuple[str, ...], Counter[str]] = {}
    named: set[tuple[str, ...]] = set()
    keys: dict[tuple[str, ...], tuple[str, ...] | None] = {}  # spelling → key, None when implausible
    for text in sentences:
        for run, run_start, after, first_run in _runs(text):
            for size in range(1, min(MAX_TERM_WORDS, len(run)) + 1):
                for start in range(len(run) - size + 1):
                    words = run[start : start + size]
                    spelled = tuple(words)
                    if spelled not in keys:
                        keys[spelled] = term_key(words) if plausible_term(words) else None
                    key = keys[spelled]
                    if key is None:
                        continue
                    if first_run and start + size == len(run) and _verb_before(words[-1], after):
                        continue  # "The kidney filters about …": subject and verb, not a term
                    counts[key] += 1
                    spellings.setdefault(key, Counter())[" ".join(words)] += 1
                    if run_start + start > 0 and words[0][:1].isupper():
                        named.add(key)
    return counts, spellings, named


def term_key(words: list[str]) -> tuple[str, ...]:
    return tuple(word.casefold().replace("’", "'") for word in words[:-1]) + ((fold(words[-1]),) if words else ())


def _specificity(words: list[str], count: int, *, defined: bool, named: bool) -> float:
    weights = [rarity(word) for word in words]
    specific = sum(weight == 1.0 for weight in weights)
    if specific == 0 and not defined and (len(words) == 1 or count < 2):
        return 0.0  # everyday words only: a term only when the lecture keeps repeating the phrase
    if len(words) == 1 and not (defined or named or count >= 2 or len(words[0]) >= SPECIFIC_LENGTH):
        return 0.0  # a rare-looking word seen once ("pace", "evolve") is more likely style than a term
    base = sum(weights) + 0.5 * (len(words) - 1)
    if len(words) == 1 and specific and len(words[0]) >= SPECIFIC_LENGTH:
        base += 1.0  # "chemiosmosis", "backpropagation": one long rare word is as telling as a phrase
    if len(words) > 1 and all(word[:1].isupper() and not ACRONYM.fullmatch(word) for word in words):
        base *= 0.6  # "Peter Mitchell", "James Watt": names matter less than the concepts around them
    return base * math.log2(1 + count) * (1.5 if defined else 1.0)


def _largest_containers(counts: Counter[tuple[str, ...]]) -> dict[tuple[str, ...], int]:
    """For every candidate, the count of the most frequent longer candidate that contains it."""
    largest: dict[tuple[str, ...], int] = {}
    for longer, count in counts.items():
        for size in range(1, len(longer)):
            for start in range(len(longer) - size + 1):
                inner = (*longer[start : start + size - 1], fold(longer[start + size - 1]))
                if largest.get(inner, 0) < count:
                    largest[inner] = count
    return largest


def _verb_before(word: str, after: str) -> bool:
    """At a sentence's start, a word in -s followed by a preposition or determiner is likely its verb."""
    return is_plural(word) and after.casefold() in AFTER_VERB


def is_plural(word: str) -> bool:
    word = word.casefold()
    return len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "ics", "'s", "’s"))


def _case_rank(surface: str) -> int:
    """Prefer the lowercase spelling ('neural network' over 'Neural network'), but keep acronyms."""
    return 0 if surface[:1].islower() or ACRONYM.fullmatch(surface.split()[0]) else 1


TERM_TOKEN = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*['’]?,?|\([A-Z][A-Za-z0-9-]{0,9}\)")


def clean_term(raw: str, *, strict: bool = False) -> str | None:
    """The term named by a label or a sentence subject, or None when it is not one: 'Learning rate' yes,
    'Remark', 'Step 1', 'In practice', 'It' no. `strict` (for sentence subjects) also wants a word
    specific to the subject or two content words, so 'The result is …' makes no card."""
    term = raw.strip().rstrip(",")
    tokens = term.split()
    if not 1 <= len(tokens) <= 6 or len(term) > 60 or not all(TERM_TOKEN.fullmatch(token) for token in tokens):
        return None
    words = [token.strip(",").casefold() for token in tokens if not token.startswith("(")]
    if not words or words[0] in STOP_WORDS or words[0] in PRONOUNS or words[-1] in STOP_WORDS:
        return None
    if all(word in LABELS or word in STOP_WORDS for word in words) or max(len(word) for word in words) < 3:
        return None
    if any(a in STOP_WORDS and b in STOP_WORDS for a, b in zip(words, words[1:], strict=False)):
        return None  # "cells and in the membrane": a clause, not a name
    if strict:
        specific = sum(rarity(word) == 1.0 for word in words)
        content = sum(word not in STOP_WORDS for word in words)
        if specific == 0 and content < 2:
            return None
    return term
