"""Type-in feedback in review, in real Chromium: after the typed answer is revealed, the built-in
scorer's suggestion, reason and missing key terms appear and the suggested rating button is
marked (never pressed; the user still rates with 1–4). With an OpenAI-compatible server on
loopback configured, written feedback streams into a box over the WebSocket."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.test_review_flow import create_deck, open_new_card, register, save_card
from tests.llm_servers import LLMServer, openai_error, openai_stream

pytestmark = pytest.mark.browser

CARDS = {
    "Capital of France?": "Paris",
    "Powerhouse of the cell?": "the mitochondria",
}
SUGGESTED = re.compile(r"\bsuggested\b")
FEEDBACK_URL = "**/api/review/*/feedback"
CHECK_TIMEOUT = 60_000  # ms: the first check of a run may export and load the embedding model
STREAMED = ["Close, but a ribosome ", "makes proteins.\n", "The powerhouse is the mitochondria."]


def add_typein(page: Page, question: str, answer: str, notes_after: int) -> None:
    open_new_card(page, "typein")
    page.get_by_test_id("editor-front").fill(question)
    page.get_by_test_id("editor-back").fill(answer)
    save_card(page, notes_after)


def study_deck_of_typein_cards(page: Page, live_server: str) -> None:
    register(page, live_server)
    create_deck(page, "Feedback")
    for n, (question, answer) in enumerate(CARDS.items(), start=1):
        add_typein(page, question, answer, notes_after=n)
    page.get_by_test_id("deck-study").click()


def type_answer(page: Page, answers: dict[str, str]) -> str:
    """Types the answer meant for the card on screen, then Enter; returns its question."""
    answer = page.get_by_test_id("typein-input")
    expect(answer).to_be_focused()
    question = page.get_by_test_id("card-front").inner_text().strip()
    answer.fill(answers[question])
    answer.press("Enter")
    return question


def expect_only_suggested(page: Page, rating: int) -> None:
    for n in range(1, 5):
        button = page.get_by_test_id(f"rate-{n}")
        if n == rating:
            expect(button).to_have_class(SUGGESTED)
            expect(button).to_have_attribute("aria-label", re.compile(r"\(suggested\)$"))
            expect(button.locator(".rate-badge")).to_be_visible()
        else:
            expect(button).not_to_have_class(SUGGESTED)
            expect(button.locator(".rate-badge")).to_be_hidden()


def test_typed_answers_get_a_suggested_rating_and_missing_terms(page: Page, live_server: str) -> None:
    study_deck_of_typein_cards(page, live_server)
    answers = {"Capital of France?": "paris", "Powerhouse of the cell?": "ribosome"}
    # The first check is held a moment: "Checking…" shows while the server works.
    held: list[Route] = []
    page.route(FEEDBACK_URL, lambda route: held.append(route), times=1)
    seen: set[str] = set()
    for turn in range(len(CARDS)):
        question = type_answer(page, answers)
        seen.add(question)
        feedback = page.get_by_test_id("typein-feedback")
        if turn == 0:
            expect(feedback).to_contain_text("Checking…")
            expect(page.get_by_test_id("card-back")).to_be_visible()  # the answer is not held up
            for _ in range(100):
                if held:
                    break
                page.wait_for_timeout(50)
            held.pop().continue_()
        suggestion = page.get_by_test_id("feedback-suggestion")
        expect(suggestion).to_be_visible(timeout=CHECK_TIMEOUT)
        if question == "Capital of France?":
            expect(suggestion).to_have_attribute("data-rating", "3")
            expect(page.get_by_test_id("feedback-label")).to_have_text("Good")
            expect(suggestion).to_contain_text("Suggested: Good —")
            expect(page.get_by_test_id("missing-term")).to_have_count(0)
            expect_only_suggested(page, 3)
            rating = "3"
        else:
            expect(suggestion).to_have_attribute("data-rating", "1")
            expect(page.get_by_test_id("feedback-label")).to_have_text("Again")
            expect(page.get_by_test_id("feedback-reason")).not_to_be_empty()
            expect(page.get_by_test_id("missing-term").filter(has_text=re.compile(r"^mitochondria$"))).to_have_count(1)
            expect_only_suggested(page, 1)
            rating = "1"
        expect(feedback).not_to_contain_text("Checking…")
        # Marked, not pressed: the card stays until the user rates it.
        expect(page.get_by_test_id("card-back")).to_be_visible()
        page.keyboard.press(rating)
        expect(page.get_by_test_id("typein-feedback")).to_have_count(0)
    assert seen == set(CARDS)


def test_a_failed_check_is_a_quiet_note(page: Page, live_server: str) -> None:
    study_deck_of_typein_cards(page, live_server)
    page.route(FEEDBACK_URL, lambda route: route.abort("connectionrefused"))
    type_answer(page, {"Capital of France?": "Lyon", "Powerhouse of the cell?": "ribosome"})
    expect(page.get_by_test_id("feedback-error")).to_contain_text("No suggestion")
    expect(page.get_by_test_id("toast-error")).to_have_count(0)
    expect_only_suggested(page, 1)  # the plain comparison still says it differs
    page.keyboard.press("2")  # the user's rating, not the suggestion, is what counts
    expect(page.get_by_test_id("feedback-error")).to_have_count(0)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_feedback_fits_a_phone(phone_page: Page, live_server: str, screenshot_dir: Path, scheme: str) -> None:
    page = phone_page
    page.emulate_media(color_scheme=scheme)
    study_deck_of_typein_cards(page, live_server)
    answers = {
        "Capital of France?": "it is lyon, the city of lights on the river seine",
        "Powerhouse of the cell?": "ribosome",
    }
    type_answer(page, answers)
    expect(page.get_by_test_id("feedback-suggestion")).to_be_visible(timeout=CHECK_TIMEOUT)
    width = page.viewport_size["width"]
    for testid in ("typein-feedback", "rate-1", "rate-4"):
        box = page.get_by_test_id(testid).bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, (testid, box)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    expect(page.get_by_test_id("missing-term").first).to_be_visible()
    page.screenshot(path=str(screenshot_dir / f"typein-feedback-phone-{scheme}.png"), animations="disabled")


def test_written_feedback_streams_in_from_the_model(page: Page, server_with_model: str, model: LLMServer) -> None:
    stream = openai_stream(STREAMED)
    stream.event_delay = 0.3  # slow enough to see the box grow
    model.reply(stream, openai_error(401, "Invalid API key"))
    study_deck_of_typein_cards(page, server_with_model)
    answers = {"Capital of France?": "Lyon", "Powerhouse of the cell?": "ribosome"}

    type_answer(page, answers)
    expect(page.get_by_test_id("feedback-suggestion")).to_be_visible(timeout=CHECK_TIMEOUT)
    box = page.get_by_test_id("feedback-stream")
    expect(box).to_have_attribute("data-status", "streaming")
    expect(page.get_by_test_id("feedback-text")).to_contain_text(STREAMED[0].strip())
    expect(box).to_have_attribute("data-status", "done")
    expect(page.get_by_test_id("feedback-text")).to_have_text("".join(STREAMED))
    page.keyboard.press("1")

    # The next answer's stream fails: its message is a quiet note, the suggestion stays.
    type_answer(page, answers)
    expect(page.get_by_test_id("feedback-suggestion")).to_be_visible(timeout=CHECK_TIMEOUT)
    expect(page.get_by_test_id("feedback-stream")).to_have_attribute("data-status", "error")
    expect(page.get_by_test_id("feedback-stream-error")).not_to_be_empty()
    expect(page.get_by_test_id("toast-error")).to_have_count(0)
