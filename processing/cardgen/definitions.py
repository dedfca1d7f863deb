"""Definition cards: "Term – explanation" labels and "X is a …" sentences become "What is X?" cards.

The answer is always whole sentences, or a whole clause: a sentence that leads into a formula
("… is the sum of its diagonal entries:") keeps its clause, a trailing ", which is done as follows:"
is cut at its comma, and a lead-in that only makes sense with what follows ("… such that:",
"… as follows:") makes no card.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from processing.cardgen.checks import COMPLETE, Draft
from processing.cardgen.layout import Page, Sentence, glyph_kind, word_share
from processing.cardgen.terms import LABELS, clean_term, content_runs, is_plural, is_verb, term_key
from processing.cardgen.words import STOP_WORDS

MAX_ANSWER_CHARS = 320
SHORT_ANSWER = 60  # an answer this short takes the next sentence too
MIN_WORD_SHARE = 0.55
LEAD_IN = re.compile(  # sentences that point at something else on the page
    r"^(?:here|there (?:is|are)|as (?:follows|shown|seen)|the following|see|below|in the (?:figure|table)"
    r"|for (?:example|instance)|e\.g\.|by noting)\b",
    re.I,
)
SETUP = re.compile(r"^(?:let|given|consider|suppose|assume|recall|for (?:a|an|all|any|every|each))\b", re.I)
CUT_CLAUSE = re.compile(r",\s+(?:which|where|whereby|and such that|as follows)\b")
WHERE_COLON = re.compile(r",?\s+where\s*:$")
POINTS_ONWARD = re.compile(r"\b(?:as follows|the following|below)\b", re.I)
DANGLING = re.compile(
    r"\b(?:follows|following|below|such that|we have|by|is|are|be|that|of|to|and|or|if|with|for|then|as|noted|"
    r"defined|written|expressed|computed|given|obtained|denoted|steps|ones|properties)$",
    re.I,
)
LABEL = re.compile(r"([^\W\d_]+)[ \t]*:\s+")
SETTING = re.compile(r"In (?:\w+[ -]){0,3}\w+, (?=(?:an?|the) )")
DEFINITION = re.compile(
    r"(?:(?P<det>An?|an?|The|the)\s+)?(?P<term>[^\s,;:]+(?:\s+[^\s,;:]+){0,5}?)\s+"
    r"(?P<verb>is defined as|are defined as|refers to|refer to|means|is|are|was|were)\s+(?P<rest>\S.*)$"
)
DEFINING_START = re.compile(r"^(?:an?|the|one|any|used (?:to|for)|a kind|the process)\b", re.I)
PURPOSE_SUBJECT = re.compile(r"^(?:goal|aim|purpose|idea|objective|role|task|job|function) of\b", re.I)
QUESTIONS = {
    "is": "What is {det}{term}?",
    "are": "What are {det}{term}?",
    "was": "What was {det}{term}?",
    "were": "What were {det}{term}?",
    "refers to": "What does {det}{term} refer to?",
    "refer to": "What do {det}{term} refer to?",
    "means": "What does {det}{term} mean?",
    "is defined as": "How is {det}{term} defined?",
    "are defined as": "How are {det}{term} defined?",
}


def labelled_definitions(page: Page) -> Iterator[Draft]:
    """Cards from labelled lines: "❒ Learning rate – The learning rate, often noted η, indicates …"
    → What is Learning rate?"""
    for index, block in enumerate(page.blocks):
        if not block.term or not page.english:
            continue
        found = explanation(page, index)
        if found is None:
            continue
        answer, end = found
        yield Draft(
            "definition",
            _copula_question(block.term),
            answer,
            page.number,
            block.start,
            end,
            quality=0.6 + _length_quality(answer),
            term=term_key(block.term.replace(",", " ").split()),
        )


def sentence_definitions(page: Page, names: frozenset[str]) -> Iterator[Draft]:
    """Cards from defining sentences: "Neural networks are a class of models that …" → What are neural
    networks? `names` are capitalised words used inside sentences, which keep their capital."""
    for block, found in zip(page.blocks, page.sentences, strict=True):
        if block.math or not page.english:
            continue
        whole_line = page.slide and block.lines == 1 and len(found) == 1
        for sentence in found:
            draft = _sentence_definition(page, sentence, names, whole_line=whole_line)
            if draft is not None:
                yield draft


def explanation(page: Page, index: int) -> tuple[str, int] | None:
    """The whole sentences (or one whole clause) that explain a labelled term, and where they end."""
    found = page.sentences[index]
    parts: list[tuple[str, int]] = []
    for position, sentence in enumerate(found):
        text = sentence.text
        if LEAD_IN.match(text):
            break
        if COMPLETE.search(text):
            parts.append((text, sentence.end))
            answer = " ".join(part for part, _ in parts)
            if len(answer) >= SHORT_ANSWER and not all(SETUP.match(part) for part, _ in parts):
                break
            continue
        if text.endswith(":"):
            trimmed = trim_lead_in(text, before_list=_leads_a_list(page, index))
            if trimmed:
                parts.append((trimmed, sentence.end))
        elif position == len(found) - 1 and _whole_line(page, index) and _whole_clause(text):
            # slide style: "Mitosis: the nucleus divides into two identical nuclei"
            parts.append((text[:1].upper() + text[1:] + ".", sentence.end))
        break
    answer = " ".join(part for part, _ in parts)
    if not parts or all(SETUP.match(part) for part, _ in parts) or len(answer) > MAX_ANSWER_CHARS:
        return None
    return (answer, parts[-1][1]) if word_share(answer) >= MIN_WORD_SHARE else None


def trim_lead_in(text: str, *, before_list: bool) -> str | None:
    """A sentence ending in a colon as a whole clause, or None when it means nothing without what follows."""
    cuts = list(CUT_CLAUSE.finditer(text))
    where = WHERE_COLON.search(text)
    if cuts:
        head = text[: cuts[-1].start()]
    elif where:
        head = text[: where.start()]
    elif before_list or POINTS_ONWARD.search(text):
        return None
    else:
        head = text[:-1]
    head = head.rstrip(" ,;")
    if len(head.split()) < 5 or POINTS_ONWARD.search(head) or DANGLING.search(head):
        return None
    return head + "."


def _sentence_definition(page: Page, sentence: Sentence, names: frozenset[str], *, whole_line: bool) -> Draft | None:
    text = sentence.text
    if not COMPLETE.search(text):
        if text.endswith(":"):
            text = trim_lead_in(text, before_list=False) or ""
        elif whole_line and _whole_clause(text):
            text += "."  # a slide line: "Enzymes are biological catalysts that lower the activation energy"
        else:
            return None
    label = LABEL.match(text)  # "Definition: A graph is …"
    if label and label.group(1).casefold() in LABELS:
        text = text[label.end() :]
    setting = SETTING.match(text)  # "In science, a hypothesis is …": the definition follows the setting
    match = DEFINITION.match(text, setting.end() if setting else 0)
    if match is None or word_share(text) < MIN_WORD_SHARE or len(text) > MAX_ANSWER_CHARS:
        return None
    verb, rest, det = match.group("verb"), match.group("rest"), match.group("det")
    generic = det in ("A", "An", "a", "an") and DEFINING_START.match(rest) is not None  # "A theory is a …"
    term = clean_term(match.group("term"), strict=not generic)
    if term is None or len(rest.split()) < 3:
        return None
    if verb in ("is", "are", "was", "were") and not (
        DEFINING_START.match(rest) or PURPOSE_SUBJECT.match(term) or (verb in ("are", "were") and _noun_phrase(rest))
    ):
        return None
    if det is None:
        first, _, tail = term.partition(" ")
        if first[1:].islower() and first not in names:  # "Neural networks" → "neural networks"
            term = " ".join(filter(None, [first.casefold(), tail]))
    article = f"{det.casefold()} " if det else ""
    return Draft(
        "definition",
        QUESTIONS[verb].format(det=article, term=term),
        text,
        page.number,
        sentence.start,
        sentence.end,
        quality=0.4 + _length_quality(text),
        term=term_key(term.split()),
    )


def _noun_phrase(rest: str) -> bool:
    """Does a plural predicate start with a noun phrase ("biological catalysts that …", "English
    textile workers who …") rather than an adjective or a verb ("widespread in …", "resolved by …")?"""
    run = next(iter(content_runs(rest)), [])
    if not run or not rest.startswith(run[0]) or is_verb(run[0]) or run[0].casefold().endswith(("ed", "ly")):
        return False
    return len(run) >= 2 or is_plural(run[0])


def _copula_question(term: str) -> str:
    if "," in term:
        head, _, last = term.rpartition(",")
        return f"What are {head.strip()} and {last.strip()}?"
    head = re.split(r"\s+of\s+", term, maxsplit=1)[0].split()[-1]  # "Types of gates" → "Types"
    return f"What {'are' if is_plural(head) else 'is'} {term}?"


def _leads_a_list(page: Page, index: int) -> bool:
    lead = glyph_kind(page.blocks[index].bullet)
    following = page.blocks[index + 1 : index + 3]
    return len(following) == 2 and all(b.bullet and glyph_kind(b.bullet) != lead for b in following)


def _whole_line(page: Page, index: int) -> bool:
    """A one-line bullet or slide line that the page does not carry on below (with a formula fragment,
    or a line starting in lowercase): its text is all there is."""
    block = page.blocks[index]
    if block.lines != 1 or not (block.bullet or page.slide):
        return False
    after = page.blocks[index + 1] if index + 1 < len(page.blocks) else None
    return after is None or not (after.math or after.text[:1].islower())


def _whole_clause(text: str) -> bool:
    words = text.split()
    return len(words) >= 3 and words[-1].casefold() not in STOP_WORDS and word_share(text) >= 0.7


def _length_quality(answer: str) -> float:
    """Answers of one or two ordinary sentences read best on a card."""
    return 0.3 if 40 <= len(answer) <= 220 else 0.1
