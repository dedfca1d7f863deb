"""Is a card's quote really in its page? Compared after normalising what PDF text layers and OCR vary in.

Exact containment after `normalise` first (cheap, and what the built-in generator always produces);
otherwise the best-matching window of the page (rapidfuzz partial_ratio), which forgives the odd
OCR misread or a model that retyped a quote with a slip, but not a paraphrase.
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz

MIN_QUOTE_CHARS = 12
QUOTES_AND_DASHES = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "′": "'",
        "`": "'",
        "´": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "‟": '"',
        "″": '"',
        "«": '"',
        "»": '"',
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": "-",
        "—": "-",
        "―": "-",
        "−": "-",
        "\u00ad": None,  # soft hyphen: invisible in the PDF, present in some text layers
    }
)
LINE_END_HYPHENATION = re.compile(r"(\w)-[ \t]*\n\s*(?=\w)")
WHITESPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Compatibility forms (NFKC), one kind of quote and dash, words hyphenated across lines joined,
    whitespace collapsed, case folded."""
    text = unicodedata.normalize("NFKC", text).translate(QUOTES_AND_DASHES)
    text = LINE_END_HYPHENATION.sub(r"\1", text)
    return WHITESPACE.sub(" ", text).strip().casefold()


def quote_in_page(quote: str, page_text: str, *, threshold: float = 0.9) -> bool:
    """True when `quote` occurs in `page_text`, exactly after `normalise` or as a window at least
    `threshold` similar; quotes shorter than 12 characters prove nothing and are never accepted."""
    wanted, page = normalise(quote), normalise(page_text)
    if len(wanted) < MIN_QUOTE_CHARS:
        return False
    if wanted in page:
        return True
    cutoff = threshold * 100
    if len(wanted) > len(page):
        # partial_ratio would slide the page inside the quote and accept a quote padded with invented text
        return fuzz.ratio(wanted, page, score_cutoff=cutoff) >= cutoff
    return fuzz.partial_ratio(wanted, page, score_cutoff=cutoff) >= cutoff
