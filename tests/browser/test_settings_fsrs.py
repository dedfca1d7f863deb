"""Personal scheduling in Settings, in Chromium: below the threshold the fit is offered but disabled; with a
forgetful learner's year of reviews it runs as a live job and shows the log loss before and after."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.browser.test_review_flow import register
from tests.test_optimize import CARDS, forgetful_log


def test_fit_personal_parameters_from_settings(page: Page, live_server: str, tmp_path: Path) -> None:
    register(page, live_server)
    page.goto(f"{live_server}/#/settings")
    expect(page.get_by_test_id("fsrs-status")).to_contain_text("default weights")
    expect(page.get_by_test_id("fsrs-body")).to_contain_text("0 of the 512 needed — keep reviewing")
    expect(page.get_by_test_id("fsrs-optimize")).to_be_disabled()

    token = page.evaluate("localStorage.getItem('lectern.access_token')")
    headers = {"Authorization": f"Bearer {token}"}
    deck = httpx.post(f"{live_server}/api/decks", json={"name": "Vocabulary"}, headers=headers).json()["id"]
    cards = []
    for i in range(CARDS):
        body = {"deck_id": deck, "kind": "basic", "front": f"word {i}", "back": "x", "tags": []}
        cards.append(httpx.post(f"{live_server}/api/notes", json=body, headers=headers).json()["cards"][0]["id"])
    with sqlite3.connect(tmp_path / "live-data" / "app.db") as db:  # the learner's history, as if lived
        db.executemany(
            "INSERT INTO review_log (user_id, card_id, rating, reviewed_at, duration_ms, state_before, "
            "scheduled_seconds, previous) VALUES (1, ?, ?, ?, 3000, ?, 0, '{}')",
            [(c, r, when.strftime("%Y-%m-%d %H:%M:%S.%f"), s) for c, r, when, s in forgetful_log(cards)],
        )

    page.reload()
    expect(page.get_by_test_id("fsrs-optimize")).to_be_enabled()
    page.get_by_test_id("fsrs-optimize").click()
    expect(page.get_by_test_id("fsrs-result")).to_contain_text(
        re.compile(r"with the defaults,\s+[0-9.]+ fitted —\s+the fitted weights are now in use"), timeout=120_000
    )
    expect(page.get_by_test_id("fsrs-status")).to_contain_text("personal weights")
    page.get_by_test_id("fsrs-reset").click()
    expect(page.get_by_test_id("fsrs-status")).to_contain_text("default weights")
