"""Sharing in real Chromium: the owner switches a deck to public; another account finds it under
Shared decks, previews and subscribes, reviews one of its cards on their own schedule, sees the deck
read-only, and gets a live notice when the owner makes it private."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_review_flow import create_deck, deck_row, register, reveal_and_rate

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


def api_account(base_url: str, email: str) -> dict:
    response = httpx.post(f"{base_url}/api/auth/register", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return response.json()


def log_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/")
    page.get_by_test_id("auth-email").fill(email)
    page.get_by_test_id("auth-password").fill(PASSWORD)
    page.get_by_test_id("auth-submit").click()
    expect(page.get_by_test_id("user-name")).to_be_visible()


def test_subscribe_from_shared_decks_review_and_get_a_notice(page: Page, second_page: Page, live_server: str) -> None:
    register(page, live_server, "alice@example.com")
    create_deck(page, "Biology")
    deck_id = int(page.url.rsplit("/", 1)[1].split("?")[0])
    token = page.evaluate("localStorage.getItem('lectern.access_token')")
    alice = {"Authorization": f"Bearer {token}"}
    for front, back in (("Mitochondria?", "The powerhouse of the cell"), ("Ribosomes?", "Build proteins")):
        note = {"deck_id": deck_id, "kind": "basic", "front": front, "back": back, "tags": []}
        assert httpx.post(f"{live_server}/api/notes", json=note, headers=alice).status_code == 201
    page.reload()
    switch = page.get_by_test_id("visibility-switch")
    expect(switch).to_have_attribute("aria-checked", "false")
    switch.click()
    expect(switch).to_have_attribute("aria-checked", "true")
    expect(page.get_by_test_id("visibility-label")).to_have_text("Public")
    expect(page.get_by_test_id("subscriber-count")).to_contain_text("0 subscribers")

    bob = api_account(live_server, "bob@example.com")
    b = second_page
    log_in(b, live_server, "bob@example.com")
    b.get_by_test_id("shared-decks").click()
    row = b.get_by_test_id("shared-row").filter(has_text="Biology")
    expect(row.get_by_test_id("shared-owner")).to_have_text("alice")
    row.get_by_test_id("shared-preview").click()
    expect(row.get_by_test_id("shared-preview-region")).to_contain_text("Mitochondria?")
    row.get_by_test_id("shared-subscribe").click()

    # The subscribed deck's page is read-only: no way to edit, add or delete; unsubscribe and copy instead.
    expect(b.get_by_test_id("deck-readonly")).to_be_visible()
    expect(b.get_by_test_id("deck-owner")).to_have_text("alice")
    expect(b.get_by_test_id("note-row")).to_have_count(2)
    for absent in ("add-card", "deck-edit", "deck-delete", "visibility-switch", "note-edit", "note-select"):
        expect(b.get_by_test_id(absent)).to_have_count(0)
    expect(b.get_by_test_id("deck-unsubscribe")).to_be_visible()
    expect(b.get_by_test_id("deck-copy")).to_be_visible()

    b.get_by_test_id("deck-study").click()
    expect(b.get_by_test_id("count-new")).to_have_text("2")
    rated = reveal_and_rate(b, 3)

    bob_notes = httpx.get(f"{live_server}/api/notes", params={"deck_id": deck_id}, headers=_auth(bob)).json()
    alice_notes = httpx.get(f"{live_server}/api/notes", params={"deck_id": deck_id}, headers=alice).json()
    state_of = lambda notes: {c["id"]: c["state"] for n in notes["items"] for c in n["cards"]}  # noqa: E731
    assert state_of(bob_notes)[int(rated)] == "learning"
    assert set(state_of(alice_notes).values()) == {"new"}  # alice's schedule is her own

    b.get_by_test_id("nav-decks").click()
    expect(deck_row(b, "Biology").get_by_test_id("deck-shared-by")).to_contain_text("alice")
    page.reload()
    expect(page.get_by_test_id("subscriber-count")).to_contain_text("1 subscriber")

    # The owner makes it private: bob is told at once, through the live connection.
    page.get_by_test_id("visibility-switch").click()
    page.get_by_test_id("confirm-ok").click()
    expect(page.get_by_test_id("visibility-label")).to_have_text("Private")
    expect(b.get_by_test_id("notices-count")).to_have_text("1")
    b.get_by_test_id("notices-button").click()
    notice = b.get_by_test_id("notice")
    expect(notice).to_contain_text("alice made the shared deck 'Biology' private")
    notice.locator("button").click()
    expect(b.get_by_test_id("notices-count")).to_have_count(0)
    b.reload()
    expect(b.get_by_test_id("decks-empty")).to_be_visible()


def _auth(pair: dict) -> dict:
    return {"Authorization": f"Bearer {pair['access_token']}"}
