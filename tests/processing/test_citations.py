"""A card's quote is checked against its page: equal after normalising, or nearly equal (an OCR slip)."""

from __future__ import annotations

import pytest

from processing.cardgen.citations import normalise, quote_in_page

PAGE = """Photosynthesis converts light energy into chemical energy. The light-depen-
dent reactions take place in the thylakoid membranes of the chloroplast, while the
Calvin cycle fixes carbon dioxide in the stroma.
“Chlorophyll” absorbs mainly blue and red light — which is why leaves look green."""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("photo-\nsynthesis", "photosynthesis"),
        ("light-depen-\n   dent reactions", "light-dependent reactions"),
        ("well-known fact", "well-known fact"),  # a hyphen inside a line stays
        ("  the \t thylakoid\n\n membranes  ", "the thylakoid membranes"),
        ("The CALVIN Cycle", "the calvin cycle"),
        ("“Chlorophyll” and ‘stroma’", "\"chlorophyll\" and 'stroma'"),
        ("blue – red — green − grey", "blue - red - green - grey"),
        ("ﬁxes carbon", "fixes carbon"),  # NFKC unfolds the ligature
        ("Straße", "strasse"),
        ("soft\u00adhyphen", "softhyphen"),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_a_quote_matches_across_line_breaks_hyphenation_case_and_quotes() -> None:
    assert quote_in_page("The light-dependent reactions take place in the thylakoid membranes", PAGE)
    assert quote_in_page('"chlorophyll" absorbs mainly blue and red light - which is why', PAGE)
    assert quote_in_page("CALVIN CYCLE FIXES CARBON DIOXIDE", PAGE)


def test_an_ocr_variant_with_a_letter_or_two_wrong_is_accepted() -> None:
    assert quote_in_page("the Calvin cycle fixes carbon dioxlde in the stroma", PAGE)  # one letter
    assert quote_in_page("Photosynthesis converts 1ight energy into chemica1 energy", PAGE)  # two letters
    assert quote_in_page("Tbe Calvin cycle fixes carbon dioxide", PAGE, threshold=0.9)


def test_unrelated_or_paraphrased_quotes_are_rejected() -> None:
    assert not quote_in_page("Mitochondria are the powerhouse of the cell.", PAGE)
    assert not quote_in_page("Plants turn sunlight into sugar inside their chloroplasts.", PAGE)
    assert not quote_in_page("The Krebs cycle fixes carbon dioxide in the matrix", PAGE)


def test_short_or_empty_quotes_prove_nothing() -> None:
    assert not quote_in_page("", PAGE)
    assert not quote_in_page("   \n ", PAGE)
    assert not quote_in_page("stroma", PAGE)
    assert not quote_in_page("the stroma", PAGE)  # 10 characters: too short even though it is there


def test_a_quote_padded_with_invented_text_is_rejected() -> None:
    page = "Enzymes lower the activation energy."
    assert quote_in_page("Enzymes lower the activation energy.", page)
    assert not quote_in_page("Enzymes lower the activation energy. They are never used up and work at any pH.", page)


def test_the_threshold_is_respected() -> None:
    variant = "the Calvin cycle fixes carbon dioxlde in the stroma"
    assert quote_in_page(variant, PAGE, threshold=0.9)
    assert not quote_in_page(variant, PAGE, threshold=1.0)
