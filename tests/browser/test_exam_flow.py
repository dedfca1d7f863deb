"""Exam dates in real Chromium: set an exam on a deck, see its plan and the badge, then review a card
that the review screen marks as shown early for the exam."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_review_flow import PASSWORD, create_deck, register
from tests.conftest import sql, sql_time

pytestmark = pytest.mark.browser


def test_set_an_exam_see_the_plan_and_review_early(page: Page, live_server: str, tmp_path: Path) -> None:
    email = register(page, live_server)
    create_deck(page, "Biology")
    deck_id = int(re.search(r"#/deck/(\d+)", page.url).group(1))
    token = httpx.post(f"{live_server}/api/auth/login", json={"email": email, "password": PASSWORD}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    for i in range(3):
        note = {"deck_id": deck_id, "kind": "basic", "front": f"Organelle {i}?", "back": "Mitochondrion", "tags": []}
        assert httpx.post(f"{live_server}/api/notes", json=note, headers=headers).status_code == 201
    # Three cards learned 20 days ago and due in two days: by an exam in three days they would be forgotten.
    now = datetime.now(UTC)
    sql(
        tmp_path / "live-data" / "app.db",
        "UPDATE card_state SET state = 2, step = NULL, stability = 12.0, difficulty = 5.0, due = ?, last_review = ?,"
        " reps = 3",
        sql_time(now + timedelta(days=2)),
        sql_time(now - timedelta(days=20)),
    )
    exam_day = ((now - timedelta(hours=4)).date() + timedelta(days=3)).isoformat()  # UTC, days start at 04:00

    page.reload()
    panel = page.get_by_test_id("exam-panel")
    expect(panel.get_by_test_id("exam-save")).to_have_text("Set exam")
    panel.get_by_test_id("exam-save").click()  # no date yet: a message, nothing saved
    expect(page.get_by_text("Choose the date of the exam first.")).to_be_visible()
    panel.get_by_test_id("exam-date").fill(exam_day)
    panel.get_by_test_id("exam-save").click()
    expect(panel.get_by_test_id("exam-summary")).to_have_text("Exam in 3 days · about 1 review a day")
    expect(panel.get_by_test_id("exam-remove")).to_be_visible()

    page.goto(f"{live_server}/#/decks")
    expect(page.get_by_test_id("exam-badge")).to_have_text("Exam in 3 days")

    page.goto(f"{live_server}/#/review/{deck_id}")
    expect(page.get_by_test_id("review-card")).to_be_visible()
    expect(page.get_by_test_id("exam-note")).to_contain_text("Early review for your exam on")
    expect(page.get_by_test_id("exam-note")).to_contain_text("(Biology)")
    page.keyboard.press("Space")
    page.keyboard.press("3")
    expect(page.get_by_test_id("exam-note")).to_have_count(0)  # today's share of early reviews is done
