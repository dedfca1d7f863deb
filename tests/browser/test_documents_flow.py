"""Documents in real Chromium: make a quiz PDF from a deck, watch its job finish and the file appear in
the list, download it (a real PDF, under its title), delete it; an empty deck is refused in words."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_review_flow import create_deck, register

pytestmark = pytest.mark.browser

JOB_TIMEOUT = 30_000  # ms


def add_notes(base_url: str, page: Page, deck_name: str, count: int) -> int:
    """Writes `count` basic notes into the deck through the API, as the signed-in user."""
    token = page.evaluate("() => localStorage.getItem('lectern.access_token')")
    headers = {"Authorization": f"Bearer {token}"}
    decks = httpx.get(f"{base_url}/api/decks", headers=headers).json()
    deck_id = next(d["id"] for d in decks if d["name"] == deck_name)
    for n in range(count):
        body = {"deck_id": deck_id, "kind": "basic", "front": f"Capital number {n}?", "back": f"City {n}", "tags": []}
        assert httpx.post(f"{base_url}/api/notes", json=body, headers=headers).status_code == 201
    return deck_id


def test_a_quiz_is_made_listed_downloaded_and_deleted(page: Page, live_server: str) -> None:
    register(page, live_server)
    create_deck(page, "Geography")
    deck_id = add_notes(live_server, page, "Geography", 6)
    page.get_by_test_id("nav-decks").click()
    create_deck(page, "Empty")

    page.get_by_test_id("nav-documents").click()
    expect(page.get_by_test_id("files-empty")).to_be_visible()

    # an empty deck: refused before any job, in words
    page.get_by_test_id("quiz-deck").select_option(label="Empty (0 cards)")
    page.get_by_test_id("quiz-submit").click()
    expect(page.get_by_test_id("document-error")).to_have_text("This deck has no cards to quiz on")

    page.get_by_test_id("quiz-deck").select_option(str(deck_id))
    page.get_by_test_id("quiz-count").fill("5")
    page.get_by_test_id("quiz-submit").click()
    expect(page.get_by_test_id("document-done")).to_contain_text("5 questions", timeout=JOB_TIMEOUT)
    row = page.get_by_test_id("file-row")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("file-kind")).to_have_text("Quiz")
    expect(row.get_by_test_id("file-title")).to_contain_text("Quiz: Geography")

    with page.expect_download() as downloading:
        row.get_by_test_id("file-download").click()
    download = downloading.value
    assert download.suggested_filename == "Quiz Geography.pdf"
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    row.get_by_test_id("file-delete").click()
    page.get_by_test_id("confirm-ok").click()
    expect(page.get_by_test_id("files-empty")).to_be_visible()
    expect(page.get_by_test_id("toast").filter(has_text="Deleted")).to_have_count(1)
