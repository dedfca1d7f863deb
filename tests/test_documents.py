"""Quiz and study-guide PDFs: made as jobs, read back with poppler (pdftotext, pdftoppm) as a person
would read the printout — questions, options, the answer key on the last pages, Unicode and math legible,
no line cut off — plus the distractor rules, the weakest-cards pick and every refusal."""

from __future__ import annotations

import random
import re
import subprocess
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from fpdf import FPDF
from PIL import Image

from models.common import utcnow
from processing.documents import quiz
from processing.documents.mathtext import cloze_question, latex_to_text, markdown_to_text, normalise
from processing.documents.pdf import DocumentPDF
from processing.documents.quiz import QuizCard
from tests.conftest import ingest, make_course, make_deck, make_note, sql, sql_time, user_id, wait_for_job
from tests.documents import lecture_pdf

LONG_ANSWER = " ".join(
    f"Stage {n} of the Krebs cycle oxidises acetyl groups and passes electrons to NADH and FADH2 carriers."
    for n in range(1, 8)
)
BASIC = [
    ("Which Greek word names the last letter?", "Ωμέγα"),
    ("What is the French word for equality?", "Égalité"),
    ("Write alpha squared plus beta one", r"$\alpha^2 + \beta_1$"),
    ("Write a over b", r"$\frac{a}{b}$"),
    ("What is the capital of France?", "Paris"),
    ("Describe the Krebs cycle in detail", LONG_ANSWER),
    ("How many chambers has the human heart?", "4"),
    ("At what temperature in °C does water boil?", "100"),
    ("How many legs has a spider?", "8"),
]
REVERSED = [("perro", "dog"), ("gato", "cat"), ("pájaro", "bird"), ("pez", "fish")]
CLOZE = [
    "The {{c1::mitochondria}} make ATP for the cell.",
    "{{c1::Chlorophyll}} absorbs red and blue light.",
    "The {{c1::nucleus}} holds most of the DNA.",
    "{{c1::Ribosomes}} build proteins and {{c2::lysosomes}} digest waste.",
]
TYPEIN = [("Chemical symbol of gold", "Au"), ("Chemical symbol of iron", "Fe")]
NOTE_COUNT = len(BASIC) + len(REVERSED) + len(CLOZE) + len(TYPEIN)


def make_every_kind(client: TestClient, headers: dict, name: str = "Everything") -> int:
    deck = make_deck(client, headers, name)
    for front, back in BASIC:
        make_note(client, headers, deck, front=front, back=back, tags=["mixed"])
    for front, back in REVERSED:
        make_note(client, headers, deck, kind="reversed", front=front, back=back)
    for text in CLOZE:
        make_note(client, headers, deck, kind="cloze", front=text, back="")
    for front, back in TYPEIN:
        make_note(client, headers, deck, kind="typein", front=front, back=back)
    return deck


def finished_document(client: TestClient, headers: dict, path: str, body: dict) -> tuple[dict, bytes]:
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == 202, response.text
    job = wait_for_job(client, headers, response.json()["id"])
    assert job["status"] == "succeeded", job
    download = client.get(f"/api/files/{job['result']['file_id']}/download", headers=headers)
    assert download.status_code == 200
    return job, download.content


def pdf_pages(tmp_path: Path, data: bytes) -> list[str]:
    """The text of each page (pdftotext -layout), after checking every page renders to a non-blank PNG."""
    path = tmp_path / "document.pdf"
    path.write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(path), str(tmp_path / "page")], check=True)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout
    pages = text.split("\f")[:-1]
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == len(pages) >= 1
    for image in images:
        with Image.open(image) as png:
            assert png.convert("L").point(lambda v: 255 - v).getbbox() is not None, f"{image.name} is blank"
    return pages


def flat(text: str) -> str:
    return " ".join(text.split())


# --- the quiz PDF --------------------------------------------------------------------------------


def test_a_quiz_of_every_card_kind_prints_questions_options_and_the_key(
    client: TestClient, alice: dict, tmp_path: Path
) -> None:
    deck = make_every_kind(client, alice)
    job, data = finished_document(
        client, alice, "/api/documents/quiz", {"deck_id": deck, "count": 100, "multiple_choice_share": 0.5}
    )
    assert data.startswith(b"%PDF")
    assert job["kind"] == "quiz" and isinstance(job["params"]["seed"], int)
    result = job["result"]
    assert result["questions"] == NOTE_COUNT  # one card per note
    assert result["multiple_choice"] >= 5 and result["short_answer"] >= len(TYPEIN)
    pages = pdf_pages(tmp_path, data)
    assert result["pages"] == len(pages)
    key_at = next(n for n, page in enumerate(pages) if "Answer key" in page)
    assert key_at >= 1, "the answer key starts on a page of its own"
    questions, key = flat(" ".join(pages[:key_at])), flat(" ".join(pages[key_at:]))
    assert f"Page 1 of {len(pages)}" in pages[0]
    for front, _ in BASIC:
        assert flat(markdown_to_text(front)) in questions
    for front, _ in TYPEIN:
        assert front in questions
    assert "_____" in questions  # a cloze, blanked
    for label in ("A.", "B.", "C.", "D."):
        assert label in questions
    assert len(re.findall(r"\b\d+\. [A-D]\. ", key)) == result["multiple_choice"]
    for expected in ("α² + β₁", "Égalité", "Ωμέγα", "a/b", "Paris", "Au", "Fe"):
        assert expected in key
    assert LONG_ANSWER in key, "the long answer is printed entire"
    assert "Ωμέγα" in questions or "Ωμέγα" in key
    files = client.get("/api/files", headers=alice).json()
    assert [(f["kind"], f["title"], f["filename"]) for f in files] == [
        ("quiz", "Quiz: Everything", "Quiz Everything.pdf")
    ]


def test_a_quiz_from_a_tag_or_a_lecture_keeps_its_title_and_cites_pages(
    client: TestClient, alice: dict, tmp_path: Path
) -> None:
    deck = make_every_kind(client, alice)
    job, _ = finished_document(
        client,
        alice,
        "/api/documents/quiz",
        {"tag": "Mixed", "count": 3, "title": "Tag test", "multiple_choice_share": 0},
    )
    assert job["result"]["questions"] == 3 and job["result"]["multiple_choice"] == 0
    assert job["params"]["tag"] == "mixed" and job["params"]["title"] == "Tag test"
    course = make_course(client, alice)
    document = lecture_pdf(
        tmp_path / "cells.pdf", [["Cells are small."], ["Mitochondria are organelles."]], heading="Cells"
    )
    lecture = ingest(client, alice, course, "cells.pdf", document.read_bytes())
    note = make_note(client, alice, deck, front="Where is ATP made?", back="In the mitochondria")
    sql(client, "UPDATE note SET source_lecture_id = ?, source_page = 2 WHERE id = ?", lecture["id"], note["id"])
    job, data = finished_document(client, alice, "/api/documents/quiz", {"lecture_id": lecture["id"]})
    assert job["result"]["questions"] == 1
    pages = pdf_pages(tmp_path, data)
    assert f"Source: {lecture['title']}, p. 2" in flat(pages[-1])


def test_the_weakest_quiz_picks_the_lowest_predicted_recall_first(client: TestClient, alice: dict) -> None:
    deck = make_deck(client, alice, "Weak")
    notes = [make_note(client, alice, deck, front=f"Question {n}", back=f"Answer {n}") for n in range(6)]
    now = utcnow()
    stability = {0: 50.0, 1: 1.0, 2: 30.0, 3: 2.0}  # notes 4 and 5 are never reviewed
    for index, value in stability.items():
        card_id = notes[index]["cards"][0]["id"]
        sql(
            client,
            "UPDATE card_state SET state = 2, step = NULL, stability = ?, difficulty = 5.0, last_review = ?, due = ?"
            " WHERE card_id = ?",
            value,
            sql_time(now - timedelta(days=10)),
            sql_time(now + timedelta(days=1)),
            card_id,
        )
    card_of = {notes[i]["cards"][0]["id"]: i for i in range(6)}
    job, _ = finished_document(client, alice, "/api/documents/quiz", {"deck_id": deck, "weakest": True, "count": 2})
    assert sorted(card_of[c] for c in job["result"]["card_ids"]) == [1, 3]
    assert job["params"]["title"] == "Weakest cards: Weak"
    job, _ = finished_document(client, alice, "/api/documents/quiz", {"deck_id": deck, "weakest": True, "count": 5})
    chosen = {card_of[c] for c in job["result"]["card_ids"]}
    assert {0, 1, 2, 3} <= chosen and len(chosen & {4, 5}) == 1  # reviewed cards first, then a new one


def test_the_same_seed_makes_the_same_quiz(client: TestClient, alice: dict) -> None:
    deck = make_every_kind(client, alice)
    first = client.post("/api/documents/quiz", json={"deck_id": deck, "count": 8}, headers=alice).json()
    done = wait_for_job(client, alice, first["id"])
    # a job run again (as after a restart) has the same params, so the same seed
    again = client.app.state.jobs.submit(owner_id=user_id(client, alice), kind="quiz", params=done["params"])
    redone = wait_for_job(client, alice, again.id)
    assert redone["result"]["card_ids"] == done["result"]["card_ids"]
    assert redone["result"]["multiple_choice"] == done["result"]["multiple_choice"]


# --- distractors ---------------------------------------------------------------------------------


def card(note_id: int, answer: str, *, family: str = "basic", kind: str = "basic") -> QuizCard:
    return QuizCard(note_id * 10, note_id, kind, family, f"Question {note_id}", answer, None)


def test_distractors_never_repeat_the_answer_or_each_other_and_keep_to_the_family() -> None:
    cards = [
        card(1, "Paris"),
        card(2, "paris."),  # the correct answer again, spelled otherwise
        card(3, "Lyon"),
        card(4, "LYON"),  # a duplicate option
        card(5, "Nice"),
        card(6, "Marseille", family="cloze", kind="cloze"),
        card(7, "Toulouse", family="typein", kind="typein"),
        card(8, "Lille"),
    ]
    pool = quiz.answer_pool(cards)
    for seed in range(30):
        wrong = quiz.distractors(cards[0], pool, random.Random(seed))
        assert wrong is not None and len(wrong) == 3
        keys = [normalise(w) for w in wrong]
        assert len(set(keys)) == 3 and "paris" not in keys
        assert set(keys) <= {"lyon", "nice", "lille"}
    assert quiz.distractors(cards[5], pool, random.Random(1)) is None  # no other cloze answers


def test_distractors_prefer_answers_of_the_same_shape() -> None:
    cards = [card(1, "4"), card(2, "8"), card(3, "100"), card(4, "12"), card(5, "Mitochondria")]
    cards += [card(6, "A long sentence that explains something about the cell and its parts.")]
    wrong = quiz.distractors(cards[0], quiz.answer_pool(cards), random.Random(3))
    assert sorted(wrong) == ["100", "12", "8"]


def test_questions_fall_back_to_short_answer_and_type_in_is_never_multiple_choice() -> None:
    cards = [card(1, "Au", family="typein", kind="typein"), card(2, "Fe", family="typein", kind="typein")]
    cards += [card(3, "Paris"), card(4, "Lyon")]  # too few basic answers for three distractors
    questions = quiz.build_questions(cards, quiz.answer_pool(cards), multiple_choice_share=1.0, rng=random.Random(0))
    assert [q.options for q in questions] == [[], [], [], []]
    more = [*cards, card(5, "Nice"), card(6, "Lille")]
    questions = quiz.build_questions(more, quiz.answer_pool(more), multiple_choice_share=1.0, rng=random.Random(0))
    for question in questions:
        if question.card.kind == "typein":
            assert not question.options
        else:
            assert len(question.options) == 4 and question.options[question.correct] == question.card.answer
            assert len({normalise(o) for o in question.options}) == 4


def test_reversed_and_cloze_cards_ask_the_right_thing() -> None:
    assert quiz.card_text("reversed", "perro", "dog", 0) == ("perro", "dog", "reversed:back")
    assert quiz.card_text("reversed", "perro", "dog", 1) == ("dog", "perro", "reversed:front")
    assert cloze_question("{{c1::Ribosomes}} build proteins and {{c2::lysosomes::organelles}} digest.", 2) == (
        "Ribosomes build proteins and _____ (organelles) digest.",
        "lysosomes",
    )


def test_math_and_markdown_read_as_unicode_text() -> None:
    assert latex_to_text(r"\alpha^2 + \beta_1") == "α² + β₁"
    assert latex_to_text(r"\frac{a}{b}") == "a/b"
    assert latex_to_text(r"\frac{a+1}{2b}") == "(a+1)/(2b)"
    assert latex_to_text(r"\sqrt{x} \leq \sum_{i=1}^{n} x_i \in \mathbb{R}") == "√x ≤ ∑ᵢ₌₁ⁿ xᵢ ∈ ℝ"
    assert latex_to_text(r"e^{i\pi} \cdot x_{max} + y_{bc}") == "e^(iπ) · xₘₐₓ + y_(bc)"
    assert latex_to_text(r"\hat{y} = \mathbf{W}x + \unknown") == "ŷ = Wx + unknown"
    assert markdown_to_text("**Bold** and [a link](https://example.org)\n- one\n- two $x^2$") == (
        "Bold and a link (https://example.org)\n• one\n• two x²"
    )


# --- the study guide ------------------------------------------------------------------------------

GUIDE_PAGES = [
    (
        "Light and sugar",
        "Photosynthesis is the process by which plants convert light energy into chemical energy stored in glucose.",
        "Chlorophyll is the green pigment that absorbs red and blue light in the chloroplast.",
    ),
    (
        "Burning glucose",
        "Cellular respiration is the process by which cells break down glucose to release energy as ATP.",
        "Mitochondria are the organelles where aerobic respiration takes place in the cell.",
    ),
]


def headed_pdf(path: Path, pages: list[tuple[str, ...]]) -> Path:
    """A text PDF whose pages each start with their own heading, then sentences."""
    pdf = FPDF()
    for heading, *sentences in pages:
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 16)
        pdf.multi_cell(0, 9, heading)
        pdf.ln(4)
        pdf.set_font("Helvetica", size=13)
        for sentence in sentences:
            pdf.multi_cell(0, 9, sentence)
            pdf.ln(3)
    pdf.output(str(path))
    return path


def test_a_study_guide_has_the_outline_key_terms_cards_and_pages(
    client: TestClient, alice: dict, tmp_path: Path
) -> None:
    course = make_course(client, alice)
    document = headed_pdf(tmp_path / "energy.pdf", GUIDE_PAGES)
    lecture = ingest(client, alice, course, "energy.pdf", document.read_bytes())
    deck = make_deck(client, alice)
    note = make_note(client, alice, deck, front="Where does aerobic respiration happen?", back="In the mitochondria")
    sql(client, "UPDATE note SET source_lecture_id = ?, source_page = 2 WHERE id = ?", lecture["id"], note["id"])
    job, data = finished_document(client, alice, "/api/documents/guide", {"lecture_id": lecture["id"]})
    assert job["kind"] == "guide" and job["result"]["cards"] == 1 and job["result"]["terms"] >= 2
    text = flat(" ".join(pdf_pages(tmp_path, data)))
    assert "Outline" in text
    assert "1. Light and sugar — p. 1" in text and "2. Burning glucose — p. 2" in text
    assert "Photosynthesis (p. 1)" in text
    assert GUIDE_PAGES[0][1] in text  # the definition, whole
    assert "Where does aerobic respiration happen? In the mitochondria p. 2" in text
    listed = client.get("/api/files?kind=guide", headers=alice).json()
    assert [f["title"] for f in listed] == [f"Study guide: {lecture['title']}"]


# --- refusals -----------------------------------------------------------------------------------


def test_bad_quiz_and_guide_requests_are_refused_with_a_reason(
    client: TestClient, alice: dict, bob: dict, tmp_path: Path
) -> None:
    empty = make_deck(client, alice, "Empty")
    mine = make_every_kind(client, alice)
    theirs = make_every_kind(client, bob, "Bob's")
    course = make_course(client, bob)
    document = headed_pdf(tmp_path / "b.pdf", GUIDE_PAGES[:1])
    their_lecture = ingest(client, bob, course, "b.pdf", document.read_bytes())

    def refused(path: str, body: dict) -> tuple[int, str]:
        response = client.post(path, json=body, headers=alice)
        return response.status_code, response.json()["detail"]

    quiz_path, guide_path = "/api/documents/quiz", "/api/documents/guide"
    assert refused(quiz_path, {"deck_id": empty}) == (422, "This deck has no cards to quiz on")
    assert refused(quiz_path, {})[0] == 422
    assert "Choose one source" in refused(quiz_path, {})[1]
    assert "Choose one source" in refused(quiz_path, {"deck_id": mine, "tag": "mixed"})[1]
    assert refused(quiz_path, {"tag": "nothing"}) == (422, "No cards have the tag 'nothing'")
    assert refused(quiz_path, {"deck_id": mine, "count": 0})[0] == 422
    assert refused(quiz_path, {"deck_id": mine, "count": 101})[0] == 422
    assert refused(quiz_path, {"deck_id": mine, "multiple_choice_share": 1.5})[0] == 422
    assert refused(quiz_path, {"deck_id": theirs}) == (404, "Deck not found")
    assert refused(quiz_path, {"lecture_id": their_lecture["id"]}) == (404, "Lecture not found")
    assert refused(guide_path, {"lecture_id": their_lecture["id"]}) == (404, "Lecture not found")
    assert refused(guide_path, {})[0] == 422

    own_course = make_course(client, alice)
    own = ingest(client, alice, own_course, "mine.pdf", document.read_bytes())
    assert refused(quiz_path, {"lecture_id": own["id"]}) == (
        422,
        "No cards cite this lecture yet: make cards from it first",
    )
    for status in ("processing", "failed"):
        sql(client, "UPDATE lecture SET status = ? WHERE id = ?", status, own["id"])
        code, detail = refused(guide_path, {"lecture_id": own["id"]})
        assert code == 409 and "lecture" in detail
    assert [job["kind"] for job in client.get("/api/jobs", headers=alice).json()] == ["ingest"]  # no document job


def test_a_page_never_ends_between_a_question_and_its_first_option(tmp_path: Path) -> None:
    rng = random.Random(7)
    words = ["cell", "membrane", "protein", "enzyme", "gradient", "energy", "transport", "signal", "receptor"]
    questions = []
    for number in range(1, 61):
        asked = " ".join(rng.choice(words) for _ in range(rng.randint(5, 70))) + "?"
        options = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 25))) for _ in range(4)]
        question = quiz.Question(number, card(number, options[0]), options, 0)
        questions.append(question)
    pdf = DocumentPDF(title="Break test")
    quiz.write_quiz(pdf, title="Break test", subtitle="", questions=questions)
    pages = pdf_pages(tmp_path, bytes(pdf.output()))
    key_at = next(n for n, page in enumerate(pages) if "Answer key" in page)
    assert key_at >= 3
    for page in pages[:key_at]:
        lines = page.splitlines()
        asked = [i for i, line in enumerate(lines) if re.match(r"^\s*\d+\.\s", line)]
        assert asked, "every question page starts a question"
        after_last = lines[asked[-1] :]
        assert any(re.match(r"^\s+A\.\s", line) for line in after_last), "a question's first option is on its page"
