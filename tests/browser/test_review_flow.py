"""The study loop in real Chromium: register, write cards with a live preview, review them by
keyboard (reveal, rate, undo), and check the deck counts and the history afterwards."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
CLOZE_TEXT = "{{c1::Paris}} is the capital of {{c2::France}}"


# ---- helpers: what a user does --------------------------------------------------------


def register(page: Page, base_url: str, email: str | None = None) -> str:
    email = email or f"student-{uuid.uuid4().hex[:8]}@example.com"
    page.goto(f"{base_url}/")
    # Every test has a fresh instance: it opens on "create account", saying the first is the admin.
    expect(page.get_by_test_id("first-account")).to_be_visible()
    expect(page.get_by_test_id("auth-submit")).to_have_text("Create account")
    page.get_by_test_id("auth-email").fill(email)
    page.get_by_test_id("auth-password").fill(PASSWORD)
    page.get_by_test_id("auth-submit").click()
    expect(page.get_by_test_id("user-name")).to_be_visible()
    expect(page.get_by_test_id("new-deck-form")).to_be_visible()
    return email


def create_deck(page: Page, name: str) -> None:
    page.get_by_test_id("new-deck-name").fill(name)
    page.get_by_test_id("new-deck-submit").click()
    expect(page.get_by_test_id("deck-title")).to_have_text(name)


def open_new_card(page: Page, kind: str) -> None:
    page.get_by_test_id("add-card").click()
    page.get_by_test_id(f"kind-{kind}").click()
    expect(page.get_by_test_id(f"kind-{kind}").locator("input")).to_be_checked()


def save_card(page: Page, notes_after: int) -> None:
    page.get_by_test_id("editor-save").click()
    expect(page.get_by_test_id("note-row")).to_have_count(notes_after)


def add_basic(page: Page, front: str, back: str, notes_after: int) -> None:
    open_new_card(page, "basic")
    page.get_by_test_id("editor-front").fill(front)
    page.get_by_test_id("editor-back").fill(back)
    expect(page.get_by_test_id("preview-card")).to_have_count(1)
    save_card(page, notes_after)


def select_in_front(page: Page, word: str) -> None:
    page.get_by_test_id("editor-front").evaluate(
        "(el, word) => { const i = el.value.indexOf(word); el.focus(); el.setSelectionRange(i, i + word.length); }",
        word,
    )


def reveal_and_rate(page: Page, rating: int) -> str:
    """Space, then the rating key; returns the id of the card that was rated."""
    card = page.get_by_test_id("review-card")
    expect(card).to_be_visible()
    expect(page.get_by_test_id("card-back")).to_have_count(0)
    card_id = card.get_attribute("data-card-id")
    page.keyboard.press("Space")
    expect(page.get_by_test_id("card-back")).to_be_visible()
    for n in range(1, 5):
        expect(page.get_by_test_id(f"interval-{n}")).not_to_be_empty()
    page.keyboard.press(str(rating))
    # The answer disappears once the rating is stored and the next card (or "All done") is drawn.
    expect(page.get_by_test_id("card-back")).to_have_count(0)
    return card_id


def deck_row(page: Page, name: str):
    return page.get_by_test_id("deck-row").filter(has=page.get_by_test_id("deck-name").get_by_text(name, exact=True))


# ---- tests ------------------------------------------------------------------------------


def test_register_write_cards_review_undo_history(page: Page, live_server: str) -> None:
    register(page, live_server)
    create_deck(page, "Geography")

    add_basic(page, "Capital of Spain?", "Madrid", notes_after=1)

    open_new_card(page, "cloze")
    expect(page.get_by_test_id("front-label")).to_have_text("Text")
    expect(page.get_by_test_id("back-label")).to_have_text("Extra")
    page.get_by_test_id("editor-front").fill("Paris is the capital of France")
    select_in_front(page, "Paris")
    page.get_by_test_id("cloze-button").click()
    select_in_front(page, "France")
    page.get_by_test_id("cloze-button").click()
    expect(page.get_by_test_id("editor-front")).to_have_value(CLOZE_TEXT)
    expect(page.get_by_test_id("preview-card")).to_have_count(2)
    expect(page.get_by_test_id("preview-front").first.locator(".cloze")).to_have_text("[…]")
    expect(page.get_by_test_id("preview-back").first.locator(".cloze")).to_have_text("Paris")
    save_card(page, notes_after=2)

    open_new_card(page, "basic")
    page.get_by_test_id("editor-front").fill("What is the derivative of $x^2$?")
    page.get_by_test_id("editor-back").fill("$2x$")
    expect(page.get_by_test_id("preview").locator(".katex").first).to_be_visible()
    page.get_by_test_id("editor-front").press("Control+Enter")  # the save shortcut
    expect(page.get_by_test_id("note-row")).to_have_count(3)

    page.get_by_test_id("nav-decks").click()
    row = deck_row(page, "Geography")
    expect(row.get_by_test_id("deck-new")).to_have_text("4")
    expect(row.get_by_test_id("deck-due")).to_have_text("0")
    row.get_by_test_id("deck-study").click()

    expect(page.get_by_test_id("count-new")).to_have_text("4")
    # First sight of each card gets the planned rating; a learning card coming back gets Easy.
    plan = [3, 4, 2, 4]
    seen: list[str] = []
    while not page.get_by_test_id("all-done").is_visible():
        expect(page.get_by_test_id("review-card").or_(page.get_by_test_id("all-done"))).to_be_visible()
        if page.get_by_test_id("all-done").is_visible():
            break
        card_id = page.get_by_test_id("review-card").get_attribute("data-card-id")
        seen.append(reveal_and_rate(page, 4 if card_id in seen else plan[len(set(seen))]))
        assert len(seen) <= 10, f"the queue does not end: {seen}"
    assert len(set(seen)) == 4, seen
    ratings = len(seen)

    page.keyboard.press("u")
    expect(page.get_by_test_id("toast").filter(has_text="Undone")).to_be_visible()
    expect(page.get_by_test_id("review-card")).to_have_attribute("data-card-id", seen[-1])
    reveal_and_rate(page, 4)
    expect(page.get_by_test_id("all-done")).to_be_visible()
    expect(page.get_by_test_id("all-done")).to_contain_text("All done for now")

    page.get_by_test_id("back-to-decks").click()
    row = deck_row(page, "Geography")
    expect(row.get_by_test_id("deck-new")).to_have_text("0")
    expect(row.get_by_test_id("deck-due")).to_have_text("0")

    page.get_by_test_id("nav-stats").click()
    expect(page.get_by_test_id("stat-today")).to_have_text(str(ratings))
    today = page.locator("[data-testid=heatmap] rect.today")
    expect(today).to_have_attribute("data-count", str(ratings))
    expect(today.locator("title")).to_have_text(re.compile(rf": {ratings} reviews$"))
    expect(page.locator("[data-testid=heatmap] rect:not([data-count='0'])")).to_have_count(1)
    page.get_by_role("link", name="history").click()
    expect(page.get_by_test_id("log-row")).to_have_count(ratings)
    expect(page.get_by_test_id("log-rating").first).to_have_text("Easy")


def test_type_in_card_keys_go_to_the_input(page: Page, live_server: str) -> None:
    register(page, live_server)
    create_deck(page, "Italian")
    open_new_card(page, "typein")
    expect(page.get_by_test_id("front-label")).to_have_text("Question")
    page.get_by_test_id("editor-front").fill("Capital of Italy?")
    page.get_by_test_id("editor-back").fill("Rome")
    save_card(page, notes_after=1)
    page.get_by_test_id("deck-study").click()

    answer = page.get_by_test_id("typein-input")
    expect(answer).to_be_focused()
    page.keyboard.type("ue 1234 ")  # shortcuts must not fire while typing
    expect(answer).to_have_value("ue 1234 ")
    expect(page.get_by_test_id("card-back")).to_have_count(0)
    answer.fill("  ROME ")
    answer.press("Enter")
    expect(page.get_by_test_id("typein-result")).to_have_attribute("data-correct", "true")
    expect(page.get_by_test_id("rate-3")).to_have_class(re.compile(r"\bsuggested\b"))
    page.keyboard.press("3")
    expect(page.get_by_test_id("card-back")).to_have_count(0)


def test_wrong_password_shows_the_server_message(page: Page, live_server: str) -> None:
    email = register(page, live_server)
    page.get_by_test_id("logout").click()
    page.get_by_test_id("auth-email").fill(email)
    page.get_by_test_id("auth-password").fill("not the password")
    with page.expect_response("**/api/auth/login") as response_info:
        page.get_by_test_id("auth-submit").click()
    response = response_info.value
    assert response.status == 401
    detail = response.json()["detail"]
    assert detail
    alert = page.get_by_role("alert").filter(has_text=detail)
    expect(alert).to_be_visible()
    expect(page.get_by_test_id("user-name")).to_be_hidden()


def test_review_buttons_fit_a_phone(phone_page: Page, live_server: str, screenshot_dir: Path) -> None:
    page = phone_page
    register(page, live_server)
    create_deck(page, "Physics")
    add_basic(page, "Energy of a photon?", "$E = h\\nu$", notes_after=1)
    page.get_by_test_id("deck-study").click()
    page.get_by_test_id("reveal").tap()
    expect(page.get_by_test_id("card-back").locator(".katex")).to_be_visible()
    width = page.viewport_size["width"]
    height = page.viewport_size["height"]
    for n in range(1, 5):
        button = page.get_by_test_id(f"rate-{n}")
        expect(button).to_be_visible()
        box = button.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, (n, box)
        assert box["y"] >= 0 and box["y"] + box["height"] <= height, (n, box)
        assert box["height"] >= 44, "tap targets are at least 44 px tall"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(screenshot_dir / "review-phone.png"), animations="disabled")


def test_review_screen_light_and_dark(page: Page, live_server: str, screenshot_dir: Path) -> None:
    register(page, live_server)
    create_deck(page, "Calculus")
    add_basic(
        page,
        "State the **fundamental theorem of calculus** for a continuous $f$.",
        "$$\\int_a^b f(x)\\,dx = F(b) - F(a)$$\n\nwhere $F' = f$.",
        notes_after=1,
    )
    page.get_by_test_id("deck-study").click()
    expect(page.get_by_test_id("card-front")).to_be_visible()
    page.keyboard.press("Space")
    expect(page.get_by_test_id("card-back").locator(".katex-display")).to_be_visible()
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        page.screenshot(path=str(screenshot_dir / f"review-{scheme}.png"), animations="disabled")
        if scheme == "light":
            light_background = background
        else:
            assert background != light_background, "dark mode changes the colours"


def test_another_tab_renewing_the_session_first_does_not_log_this_one_out(page: Page, live_server: str) -> None:
    """Refresh tokens are single use and tabs share them: when another tab renews first, this
    tab's own refresh is refused, and it must pick up the other tab's tokens instead of logging out."""
    register(page, live_server)
    stale_refresh = page.evaluate("localStorage.getItem('lectern.refresh_token')")
    # The other tab: renews with the shared refresh token, and stores the new pair a moment later.
    renewed = httpx.post(f"{live_server}/api/auth/refresh", json={"refresh_token": stale_refresh})
    assert renewed.status_code == 200
    page.evaluate(
        """pair => {
            localStorage.setItem('lectern.access_token', 'expired-access-token');
            setTimeout(() => {
                localStorage.setItem('lectern.access_token', pair.access_token);
                localStorage.setItem('lectern.refresh_token', pair.refresh_token);
            }, 300);
            location.hash = '#/history';
        }""",
        renewed.json(),
    )
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    expect(page.get_by_test_id("user-name")).to_be_visible()
    expect(page.get_by_test_id("auth-form")).to_have_count(0)
