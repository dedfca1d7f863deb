"""Decide whether a page's text layer is real text or junk (cid codes, symbol soup, a lone page number).

No dictionary: a token looks like a word when it is letters (with an apostrophe or hyphen inside),
of sensible length, has a vowel and no impossible consonant run; Latin-script text as a whole must
also have a vowel share close to that of English, German, French or Spanish prose. Written with
regular expressions over the whole page, because this runs on every page of every PDF.
"""

from __future__ import annotations

import re
import unicodedata

MIN_LETTERS = 20
MIN_QUALITY = 0.6
MAX_WORD_LENGTH = 30
MAX_CASE_SWITCHES = 2
NEUTRAL_NUMBER_LENGTH = 8
NEUTRAL_ABBREVIATION_LENGTH = 3
NEUTRAL_ACRONYM_LENGTH = 5
VOWEL_SHARE = (0.25, 0.65)
EDGE_PUNCTUATION = "\"'“”‘’„«»‹›()[]{}<>.,;:!?¡¿…*•·–—-_/\\|#%&+=~^`"
VOWELS = "aeiouyAEIOUYαεηιουωΑΕΗΙΟΥΩаеёиоуыэюяіїєАЕЁИОУЫЭЮЯІЇЄ"
LATIN_VOWELS = "aeiouyAEIOUY"

LETTER = re.compile(r"[^\W\d_]")
ASCII_LETTER = re.compile(r"[A-Za-z]")
VOWEL = re.compile(f"[{VOWELS}]")
CONSONANT_RUN = re.compile(rf"(?:(?![{VOWELS}])[^\W\d_]){{8,}}")
CASE_SWITCH = re.compile(r"[a-z][A-Z]")
COMBINING_MARK = re.compile(r"[\u0300-\u036f]")
WORD_SHAPE = re.compile(r"^[^\W\d_]+(?:['’-][^\W\d_]+)*$")
NUMBER_SHAPE = re.compile(r"^[+-]?\d+(?:[.,:/]\d+)*%?$")
CID_CODE = re.compile(r"\(cid:\d+\)")
TOKEN_SEPARATORS = re.compile(r"[\s/–—]+")


def text_quality(text: str) -> float:
    """Share of the text (weighted by token length) that looks like words, in [0, 1]; numbers are neutral."""
    folded = _fold(CID_CODE.sub(r" \g<0> ", text))
    word_chars = junk_chars = 0
    verdicts: dict[str, int] = {}  # prose repeats its words: judge each distinct token once
    for raw in TOKEN_SEPARATORS.split(folded):
        token = raw.strip(EDGE_PUNCTUATION)
        if not token:
            continue
        verdict = verdicts.get(token)
        if verdict is None:
            verdict = verdicts[token] = _verdict(token)
        if verdict > 0:
            word_chars += len(token)
        elif verdict < 0:
            junk_chars += len(raw)
    if word_chars + junk_chars == 0:
        return 0.0
    score = word_chars / (word_chars + junk_chars)
    return score if _plausible_vowel_share(folded) else score / 2


def is_real_text(text: str) -> bool:
    """True when a text layer has enough letters and mostly real words, so OCR is not needed."""
    return len(LETTER.findall(text)) >= MIN_LETTERS and text_quality(text) >= MIN_QUALITY


def _fold(text: str) -> str:
    """Accents off, case kept: 'Übung façade' -> 'Ubung facade' (ß, æ, ø stay as they are)."""
    return COMBINING_MARK.sub("", unicodedata.normalize("NFD", text))


def _verdict(token: str) -> int:
    """1 for a word, 0 for a neutral token (a number, a unit, an acronym), -1 for junk."""
    if _is_plain_number(token) or _is_abbreviation(token):
        return 0
    return 1 if _looks_like_word(token) else -1


def _is_plain_number(token: str) -> bool:
    return len(token) <= NEUTRAL_NUMBER_LENGTH and NUMBER_SHAPE.match(token) is not None


def _is_abbreviation(token: str) -> bool:
    """Units and acronyms without vowels ('mM', 'kg', 'pH', 'HTML') are neither words nor junk."""
    if not token.isalpha() or VOWEL.search(token):
        return False
    return len(token) <= NEUTRAL_ABBREVIATION_LENGTH or (token.isupper() and len(token) <= NEUTRAL_ACRONYM_LENGTH)


def _looks_like_word(token: str) -> bool:
    if len(token) > MAX_WORD_LENGTH or not WORD_SHAPE.match(token):
        return False
    if token.lower() == token.upper():
        return True  # scripts without case or vowels (CJK, Arabic, Hebrew, …): trust the letters
    if len(token) == 1:
        return token in VOWELS or token.isupper()
    return (
        VOWEL.search(token) is not None
        and CONSONANT_RUN.search(token) is None
        and len(CASE_SWITCH.findall(token)) <= MAX_CASE_SWITCHES
    )


def _plausible_vowel_share(folded: str) -> bool:
    """Prose in the supported languages has 30–50 % vowels; uniform letter soup has about 23 %."""
    letters = len(ASCII_LETTER.findall(folded))
    if letters < MIN_LETTERS:
        return True
    vowels = sum(folded.count(vowel) for vowel in LATIN_VOWELS)
    return VOWEL_SHARE[0] <= vowels / letters <= VOWEL_SHARE[1]
