"""The built-in card generator on lecture text as it comes out of PDFs, slides and OCR.

Mostly property checks over every card (a test of a few hand-picked cards proves little), plus the
cards a student would certainly expect: a defined term with its whole definition, a slide's title
with its bullets, a named formula.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from processing.cardgen import CardCandidate, PageInput, usable_page
from processing.cardgen.builtin import generate
from processing.cardgen.citations import normalise, quote_in_page
from processing.cardgen.words import STOP_WORDS

BIOLOGY = """Lecture 7: Cellular Respiration and Photosynthesis
Cellular respiration is the process by which cells break down glucose to release energy in the
form of ATP. It takes place in three stages: glycolysis, the citric acid cycle and oxidative phos-
phorylation. Glycolysis occurs in the cytoplasm and splits one molecule of glucose into two
molecules of pyruvate, with a net gain of two ATP per molecule of glucose.
The mitochondrion is the organelle in which the citric acid cycle and the electron transport
chain take place. Its inner membrane is folded into cristae, which increase the surface area
available for oxidative phosphorylation. Cells with a high energy demand, such as muscle cells,
contain many mitochondria.
Photosynthesis refers to the conversion of light energy into chemical energy stored in glucose.
In plants, photosynthesis takes place in the chloroplast. The light-dependent reactions occur in
the thylakoid membranes, while the Calvin cycle takes place in the stroma. Chlorophyll absorbs
mainly blue and red light and reflects green light, which is why leaves appear green.
ATP synthase is an enzyme that uses the proton gradient across the inner mitochondrial membrane
to produce ATP. The flow of protons through ATP synthase is known as chemiosmosis, a mechanism
first proposed by Peter Mitchell in 1961.
Biology 101 – Page 3"""

CELL_CYCLE_SLIDE = """The Cell Cycle

Interphase: the cell grows and copies its DNA
Mitosis: the nucleus divides into two identical nuclei
Cytokinesis: the cytoplasm splits into two daughter cells

The cell cycle is controlled by cyclins and cyclin-dependent kinases (CDKs)."""

ENZYME_SLIDE = """Enzymes

Enzymes are biological catalysts that lower the activation energy of a reaction
Each enzyme binds its substrate at the active site
Competitive inhibitors compete with the substrate for the active site
Temperature and pH change the rate of enzyme activity"""

MUSCLE_PAGE = """Types of Muscle Tissue
• Skeletal muscle – striated, attached to bones, under voluntary control
• Cardiac muscle – striated, found only in the heart, contracts involuntarily
• Smooth muscle – not striated, lines hollow organs such as the stomach and the blood vessels
Muscle fibres contract when myosin heads pull on actin filaments, a process powered by ATP and
triggered by calcium ions released from the sarcoplasmic reticulum."""

CHEAT_SHEET = """Machine learning tips
r Learning rate – The learning rate, often noted η, indicates at which pace the weights get
updated. This can be fixed or adaptively changed.
r Overfitting – Overfitting happens when a model learns the noise of the training set instead of the
underlying pattern, so that it performs well on training data but poorly on new data.
r Regularization – Regularization is a technique that adds a penalty on large weights to the loss
function in order to reduce overfitting.
r Early stopping – Early stopping halts training as soon as the validation loss stops improving.
r Cross-validation – Cross-validation is a method that estimates how well a model generalises by
training on k − 1 folds of the data and evaluating on the remaining fold, k times over."""

STATISTICS = """Descriptive statistics
The sample mean is x̄ = (1/n) Σ xi.
Sample variance: s² = Σ (xi − x̄)² / (n − 1)
Bayes' rule: P(A|B) = P(B|A) P(A) / P(B)
The standard deviation is the square root of the variance and is measured in the same units as
the data.
A p-value is the probability of observing a result at least as extreme as the one observed,
assuming that the null hypothesis is true.
Standard error
SE = s / √n
The standard error shrinks as the sample size grows, because the mean of many observations varies
less than a single observation does."""

OCR_GOOD = """Tbe kidney filters about 180 litres of blood plasma every day. The nephron is the functional
unit of the kidney; each kidney contains about one million nephrons. Filtration takes place in the
glomerulus, a tuft of capillaries surrounded by Bowman's capsule. Most of the filtered water and
glucose is reabsorbed in the proximal convoluted tubule."""

OCR_BLURRED = """Tlie kidnev fi1ters ab0ut 180 1itres of b1ood p1asma everv dav. Tbe neplion is tlie functiona1
unit of tbe kidnev; eacb kidnev contains ab0ut one mi11ion neplirons."""

JUNK = "ÿþ&%$#@! (cid:12)(cid:34)(cid:56) ~~^^ ÿþ%%## " * 4

LECTURE = [
    PageInput(1, BIOLOGY, "text"),
    PageInput(2, CELL_CYCLE_SLIDE, "slide"),
    PageInput(3, ENZYME_SLIDE, "slide"),
    PageInput(4, MUSCLE_PAGE, "text"),
    PageInput(5, CHEAT_SHEET, "text"),
    PageInput(6, STATISTICS, "text"),
    PageInput(7, OCR_GOOD, "ocr", ocr_confidence=86.0),
    PageInput(8, OCR_BLURRED, "ocr", ocr_confidence=41.0),
    PageInput(9, JUNK, "text"),
    PageInput(10, "12", "text"),
]
PAGES = {page.number: page for page in LECTURE}
CLOZE = re.compile(r"\{\{c1::(.+?)\}\}")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def generated() -> tuple[list[CardCandidate], dict[str, int]]:
    return generate(LECTURE, target=200)


@pytest.fixture(scope="module")
def cards(generated: tuple[list[CardCandidate], dict[str, int]]) -> list[CardCandidate]:
    return generated[0]


def by_front(cards: list[CardCandidate], front: str) -> CardCandidate:
    matches = [card for card in cards if card.front == front]
    assert matches, f"no card {front!r} among: {[card.front for card in cards]}"
    return matches[0]


def test_a_real_lecture_yields_cards_of_every_kind(cards: list[CardCandidate]) -> None:
    assert len(cards) >= 25
    assert {card.kind for card in cards} == {"basic", "cloze"}
    assert sum(card.kind == "cloze" for card in cards) >= 5
    assert any(card.front.startswith("What is the formula for") for card in cards)
    assert any("list the" in card.front for card in cards)


def test_every_answer_is_there_and_not_given_away_by_its_question(cards: list[CardCandidate]) -> None:
    for card in cards:
        assert card.front.strip()
        if card.kind == "basic":
            assert card.back.strip(), card
            assert normalise(card.back) not in normalise(card.front), card
        else:
            assert card.back == ""


def test_definition_answers_are_whole_sentences(cards: list[CardCandidate]) -> None:
    definitions = [card for card in cards if card.front.startswith("What") and "formula" not in card.front]
    assert len(definitions) >= 12
    for card in definitions:
        assert re.search(r"[.!?]$", card.back), card  # a whole sentence, or a slide's whole line as one
        assert card.back[:1].isupper(), card


def test_every_cloze_deletes_a_real_term_of_its_page(cards: list[CardCandidate]) -> None:
    for card in cards:
        if card.kind != "cloze":
            continue
        deleted = CLOZE.findall(card.front)
        assert deleted, card
        for term in deleted:
            assert len(term) >= 3 and re.search(r"[^\W\d_]", term), card
            assert term.casefold() not in STOP_WORDS, card
            assert not re.fullmatch(r"[\d.,]+", term), card
            assert normalise(term) in normalise(PAGES[card.page].text), card
        rest = normalise(CLOZE.sub(" ", card.front))
        assert not any(re.search(rf"\b{re.escape(normalise(term))}\b", rest) for term in deleted), card


def test_every_card_quotes_its_page(cards: list[CardCandidate]) -> None:
    for card in cards:
        assert card.quote.strip()
        assert card.quote in PAGES[card.page].text  # verbatim, not merely similar
        assert quote_in_page(card.quote, PAGES[card.page].text)


def test_no_card_repeats_another(cards: list[CardCandidate]) -> None:
    fronts = [normalise(card.front) for card in cards]
    backs = [normalise(card.back) for card in cards if card.back]
    assert len(set(fronts)) == len(fronts)
    assert len(set(backs)) == len(backs)


def test_same_pages_give_the_same_cards(cards: list[CardCandidate]) -> None:
    assert generate(LECTURE, target=200)[0] == cards


def test_same_cards_in_another_process_with_other_hash_seeds() -> None:
    """Set and dict order of strings changes with PYTHONHASHSEED; the cards must not."""
    script = (
        "import json; from tests.processing.test_cardgen_builtin import LECTURE;"
        "from processing.cardgen.builtin import generate;"
        "print(json.dumps([[c.front, c.back, c.page, c.quote] for c in generate(LECTURE, target=200)[0]]))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1 and json.loads(outputs.pop())


def test_target_is_honoured_with_the_best_cards_first(cards: list[CardCandidate]) -> None:
    few, _ = generate(LECTURE, target=7)
    assert few == cards[:7]
    assert all(card.kind == "basic" and "{{c1::" not in card.front for card in few)
    assert generate(LECTURE, target=1)[0] == cards[:1]
    assert generate(LECTURE, target=0)[0] == []


def test_junk_pages_are_counted_and_yield_nothing(generated: tuple[list[CardCandidate], dict[str, int]]) -> None:
    cards, counts = generated
    assert counts == {"junk_pages": 3, "pages_read": 10}
    assert not any(card.page in (8, 9, 10) for card in cards)
    assert not usable_page(PAGES[8]) and not usable_page(PAGES[9]) and not usable_page(PAGES[10])
    assert generate([PAGES[8], PAGES[9]], target=10) == ([], {"junk_pages": 2, "pages_read": 2})


def test_a_defined_term_gets_its_whole_definition(cards: list[CardCandidate]) -> None:
    card = by_front(cards, "What is cellular respiration?")
    assert card.back == (
        "Cellular respiration is the process by which cells break down glucose to release energy in the form of ATP."
    )
    assert card.page == 1
    assert by_front(cards, "What does photosynthesis refer to?").back.endswith("chemical energy stored in glucose.")
    assert by_front(cards, "What is a p-value?").back.endswith("assuming that the null hypothesis is true.")


def test_cheat_sheet_lines_become_questions_on_their_term(cards: list[CardCandidate]) -> None:
    card = by_front(cards, "What is Learning rate?")
    assert card.back == "The learning rate, often noted η, indicates at which pace the weights get updated."
    assert card.quote.startswith("Learning rate – The learning rate")
    assert by_front(cards, "What is Regularization?").back.startswith("Regularization is a technique that adds")
    assert not any(card.front.startswith(("What is r ", "What is Machine")) for card in cards)


def test_slide_title_and_bullets_become_a_list_card(cards: list[CardCandidate]) -> None:
    enzymes = by_front(cards, "Enzymes — list the main points")
    assert enzymes.back.splitlines() == [
        "- Enzymes are biological catalysts that lower the activation energy of a reaction",
        "- Each enzyme binds its substrate at the active site",
        "- Competitive inhibitors compete with the substrate for the active site",
        "- Temperature and pH change the rate of enzyme activity",
    ]
    assert enzymes.page == 3 and enzymes.quote.startswith("Enzymes\n\nEnzymes are biological catalysts")


def test_a_list_of_labelled_terms_asks_for_the_terms(cards: list[CardCandidate]) -> None:
    """Each labelled item has its own definition card; the list card asks for the names only."""
    cycle = by_front(cards, "The Cell Cycle — list the main points")
    assert cycle.back == "- Interphase\n- Mitosis\n- Cytokinesis"
    assert by_front(cards, "What is Mitosis?").back == "The nucleus divides into two identical nuclei."
    muscles = by_front(cards, "Types of Muscle Tissue — list the main points")  # a text page with bullet glyphs
    assert muscles.back == "- Skeletal muscle\n- Cardiac muscle\n- Smooth muscle"
    assert by_front(cards, "What is Smooth muscle?").back == (
        "Not striated, lines hollow organs such as the stomach and the blood vessels."
    )


def test_named_formulas(cards: list[CardCandidate]) -> None:
    assert by_front(cards, "What is the formula for Bayes' rule?").back == "`P(A|B) = P(B|A) P(A) / P(B)`"
    assert by_front(cards, "What is the formula for sample mean?").back == "`x̄ = (1/n) Σ xi`"
    assert by_front(cards, "What is the formula for Standard error?").back == "`SE = s / √n`"


def test_key_terms_of_the_lecture_are_clozed(cards: list[CardCandidate]) -> None:
    deleted = {term.casefold() for card in cards for term in CLOZE.findall(card.front)}
    biology = {"glycolysis", "cytoplasm", "chloroplast", "chemiosmosis", "light-dependent reactions", "calvin cycle"}
    assert len(deleted & biology) >= 3
    assert deleted & {"glomerulus", "nephron", "proximal convoluted tubule", "bowman's capsule"}
    half_phrases = {"acid", "cycle", "citric", "convoluted", "phosphorylation"}
    assert not deleted & half_phrases


def test_fifty_pages_take_seconds_not_minutes() -> None:
    texts = [BIOLOGY, MUSCLE_PAGE, CHEAT_SHEET, STATISTICS, OCR_GOOD]
    pages = [PageInput(n, "\n".join(texts[(n + k) % 5] for k in range(3)), "text") for n in range(1, 51)]
    started = time.perf_counter()
    cards, counts = generate(pages, target=200)
    assert time.perf_counter() - started < 5
    assert counts == {"junk_pages": 0, "pages_read": 50}
    assert 30 <= len(cards) <= 200
    assert len({normalise(card.front) for card in cards}) == len(cards)  # the same text on many pages: no repeats
