"""Real text layers pass, junk layers (symbols, cid codes, letter soup, page numbers) do not."""

from __future__ import annotations

import random

import pytest

from processing.extract.quality import MIN_QUALITY, is_real_text, text_quality

REAL = {
    "english": "Photosynthesis converts light energy into chemical energy stored in glucose. "
    "The light-dependent reactions take place in the thylakoid membranes of the chloroplast.",
    "german": "Die Quantenmechanik beschreibt das Verhalten von Teilchen auf atomarer Ebene. "
    "Übungsblatt 3: Schrödingergleichung für das Wasserstoffatom, Größenordnungen abschätzen.",
    "french": "L'énergie cinétique d'un corps dépend de sa masse et de sa vitesse. "
    "Les élèves étudient les forces qui s'exercent sur un objet en mouvement.",
    "spanish": "La célula es la unidad básica de la vida. Los organismos pluricelulares están "
    "formados por millones de células que cooperan entre sí.",
    "slide with units": "Lecture 4 – Enzymes\n• Catalysts lower activation energy\n"
    "• Km = 2.5 mM, Vmax = 120 µmol/min\n• Michaelis–Menten (1913), see DNA/RNA, pH 7.4",
    "greek": "Η φωτοσύνθεση μετατρέπει την ηλιακή ενέργεια σε χημική ενέργεια μέσα στους χλωροπλάστες.",
}


def letter_soup(seed: int, alphabet: str) -> str:
    rng = random.Random(seed)
    return " ".join("".join(rng.choice(alphabet) for _ in range(rng.randint(3, 9))) for _ in range(40))


JUNK = {
    "bom and symbols": "ÿþ&%$#@!",
    "bom and symbols repeated": "ÿþ&%$#@! ÿþ%%## ~~^^ ÿþ&&** " * 10,
    "cid codes": "(cid:12)(cid:34)(cid:56)(cid:78) (cid:3)(cid:44)(cid:90)(cid:12)" * 5,
    "consonant soup": "xkcd qwrtz pfffr bcdfgh tzzkl mnbvcx lkjhg ptkrs dfghjk zxcvbn wrtzp",
    "page number": "12",
    "page number with label": "Page 3 of 10",
    "shifted font encoding": "Wkh txlfn eurzq ira mxpsv ryhu wkh odcb grj. Skrwrvbqwkhvlv frqyhuwv oljkw hqhujb.",
    "symbol runs": "#$%&@! ~~~ ^^^ 123456789012345 ***** ||||| ++++ ==== " * 3,
    "random letters": letter_soup(1, "abcdefghijklmnopqrstuvwxyz"),
    "random mixed case": letter_soup(2, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    "empty": "",
    "whitespace": " \n\t \n",
}


@pytest.mark.parametrize("text", REAL.values(), ids=REAL.keys())
def test_real_text_is_accepted(text: str) -> None:
    assert is_real_text(text)
    assert text_quality(text) >= MIN_QUALITY


@pytest.mark.parametrize("text", JUNK.values(), ids=JUNK.keys())
def test_junk_is_rejected(text: str) -> None:
    assert not is_real_text(text)


def test_quality_is_a_share() -> None:
    assert text_quality(REAL["english"]) == pytest.approx(1.0)
    assert text_quality(JUNK["cid codes"]) == 0.0
    half = REAL["english"] + " " + JUNK["bom and symbols repeated"]
    assert 0.0 < text_quality(half) < 1.0


def test_too_few_letters_even_if_they_are_words() -> None:
    assert not is_real_text("Chapter 2")
    assert is_real_text("Chapter 2: Cell membranes and transport")
