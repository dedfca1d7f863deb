"""Lectures in real Chromium: create a course, upload a PDF through the file picker and watch
its row go from upload to "Ready", read it in the viewer (text, image, page navigation), find
a passage with search and land on its page; a file that is not a document gets the server's
415 message in its own row."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fpdf import FPDF
from playwright.sync_api import Page, expect

from tests.browser.test_review_flow import register

pytestmark = pytest.mark.browser

PAGE_SENTENCES = [
    "Ribosomes translate messenger RNA into chains of amino acids inside the cytoplasm.",
    "Mitochondria synthesise adenosine triphosphate through oxidative phosphorylation.",
    "Chloroplasts capture photons and split water during the light dependent reactions.",
]
INGEST_TIMEOUT = 40_000  # ms: the first ingest may load the embedding model


# ---- helpers: what a user does --------------------------------------------------------


def open_library_and_create_course(page: Page, name: str) -> None:
    page.get_by_test_id("nav-library").click()
    expect(page.get_by_test_id("courses-empty")).to_be_visible()
    page.get_by_test_id("new-course-name").fill(name)
    page.get_by_test_id("new-course-submit").click()
    expect(page.get_by_test_id("course-title")).to_have_text(name)
    expect(page.get_by_test_id("lectures-empty")).to_be_visible()


def make_pdf(path: Path) -> Path:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=14)
    for number, sentence in enumerate(PAGE_SENTENCES, start=1):
        pdf.add_page()
        pdf.multi_cell(0, 10, f"Lecture page {number}. {sentence}")
    pdf.output(str(path))
    return path


def lecture_row(page: Page, filename: str):
    return page.locator(f'[data-testid="lecture-row"][data-filename="{filename}"]')


def record_row_states(page: Page) -> None:
    """Keeps every data-state the lecture rows pass through (some last only milliseconds)."""
    page.evaluate(
        """() => {
            window.rowStates = [];
            const list = document.querySelector('[data-testid=lecture-list]');
            new MutationObserver((records) => {
                for (const r of records) {
                    const row = r.target.closest?.('[data-testid=lecture-row]') ?? null;
                    for (const el of [row, ...r.addedNodes]) {
                        if (el?.dataset?.state && window.rowStates.at(-1) !== el.dataset.state) {
                            window.rowStates.push(el.dataset.state);
                        }
                    }
                }
            }).observe(list, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
        }"""
    )


def expect_page(page: Page, number: int) -> None:
    expect(page.get_by_test_id("page-input")).to_have_value(str(number))
    expect(page.get_by_test_id("page-text")).to_contain_text(PAGE_SENTENCES[number - 1])
    expect(page.get_by_test_id("page-image")).to_have_attribute("data-page", str(number))
    expect(page).to_have_url(re.compile(rf"page={number}\b"))


# ---- tests ------------------------------------------------------------------------------


def test_upload_read_navigate_and_search(page: Page, live_server: str, tmp_path: Path) -> None:
    register(page, live_server)
    open_library_and_create_course(page, "Cell Biology")
    pdf = make_pdf(tmp_path / "cell-lecture.pdf")

    record_row_states(page)
    page.get_by_test_id("file-input").set_input_files(pdf)
    row = lecture_row(page, "cell-lecture.pdf")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("lecture-status")).to_have_text(re.compile(r"^Ready · 3 pages$"), timeout=INGEST_TIMEOUT)
    expect(row).to_have_attribute("data-state", "ready")
    expect(row.get_by_test_id("lecture-meta")).to_contain_text("3 pages")
    states = page.evaluate("window.rowStates")
    assert states[0] in ("waiting", "uploading") and "uploading" in states, states
    assert states[-1] == "ready", states
    expect(page.get_by_test_id("course-item").get_by_test_id("course-count")).to_have_text("1")

    # The viewer: the page's text beside its image, and every way to turn the page.
    row.get_by_test_id("lecture-title").click()
    expect(page.get_by_test_id("page-total")).to_have_text("3")
    expect_page(page, 1)
    expect(page.get_by_test_id("page-image")).to_have_attribute("src", re.compile(r"^blob:"))
    expect(page.get_by_test_id("page-source")).to_have_text("Text layer")
    expect(page.get_by_test_id("thumb")).to_have_count(3)
    expect(page.get_by_test_id("thumb-image").first).to_have_attribute("src", re.compile(r"^blob:"))

    page.get_by_test_id("page-next").click()
    expect_page(page, 2)
    page.keyboard.press("ArrowRight")
    expect_page(page, 3)
    expect(page.get_by_test_id("page-next")).to_be_disabled()
    page.keyboard.press("k")
    expect_page(page, 2)
    page.keyboard.press("ArrowLeft")
    expect_page(page, 1)
    page.get_by_test_id("thumb").nth(2).click()
    expect_page(page, 3)
    page.get_by_test_id("page-input").fill("2")
    page.get_by_test_id("page-input").press("Enter")
    expect_page(page, 2)

    # Search within the lecture jumps to the page of the match.
    page.get_by_test_id("lecture-search-input").fill("chloroplasts photons")
    page.get_by_test_id("lecture-search-input").press("Enter")
    hit = page.get_by_test_id("lecture-search-result").filter(has_text="p. 3")
    expect(hit).to_have_count(1)
    hit.click()
    expect_page(page, 3)
    expect(page.get_by_test_id("page-text").locator("mark").first).to_be_visible()

    # Global search from the top bar: the result names lecture, course and page, and opens it.
    page.get_by_test_id("topbar-search-input").fill("oxidative phosphorylation mitochondria")
    page.get_by_test_id("topbar-search-input").press("Enter")
    expect(page).to_have_url(re.compile(r"#/search\?q="))
    first = page.get_by_test_id("search-result").first
    expect(first).to_be_visible()
    expect(first).to_have_attribute("data-page", "2")
    expect(first.get_by_test_id("result-page")).to_have_text("p. 2")
    expect(first.get_by_test_id("result-course")).to_have_text("Cell Biology")
    expect(first.get_by_test_id("result-snippet").locator("mark").first).to_be_visible()
    expect(first.get_by_test_id("result-match").first).to_have_text(re.compile(r"^(keyword|meaning)$"))
    first.click()
    expect(page).to_have_url(re.compile(r"#/lecture/\d+\?page=2"))
    expect_page(page, 2)
    expect(page.get_by_test_id("page-text").locator("mark").first).to_be_visible()


def test_a_file_that_is_not_a_document_shows_the_servers_message(page: Page, live_server: str, tmp_path: Path) -> None:
    register(page, live_server)
    open_library_and_create_course(page, "History")
    fake = tmp_path / "slides.pdf"
    fake.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 8)  # a zip's magic bytes, named .pdf

    with page.expect_response(re.compile(r"/api/courses/\d+/lectures$")) as response_info:
        page.get_by_test_id("file-input").set_input_files(fake)
    response = response_info.value
    assert response.status == 415, response.text()
    detail = response.json()["detail"]
    assert detail

    row = lecture_row(page, "slides.pdf")
    expect(row).to_have_attribute("data-state", "upload-failed")
    expect(row.get_by_test_id("lecture-status")).to_have_text("Failed")
    expect(row.get_by_test_id("row-error")).to_have_text(detail)
    row.get_by_test_id("row-dismiss").click()
    expect(row).to_have_count(0)
    expect(page.get_by_test_id("lectures-empty")).to_be_visible()


def fits_the_screen(page: Page) -> bool:
    # Compared with the emulated screen, not innerWidth: a mobile viewport widens to fit overflow.
    return page.evaluate("w => document.documentElement.scrollWidth <= w", page.viewport_size["width"])


def test_library_and_viewer_fit_a_phone(phone_page: Page, live_server: str, tmp_path: Path) -> None:
    page = phone_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    register(page, live_server)
    open_library_and_create_course(page, "A course with a rather long name for a phone screen")
    notes = tmp_path / "week-one-notes.md"
    notes.write_text("# Week one\n\nOsmosis moves water across a semipermeable membrane.\n")
    page.get_by_test_id("file-input").set_input_files(notes)
    row = lecture_row(page, "week-one-notes.md")
    expect(row.get_by_test_id("lecture-status")).to_have_text(re.compile(r"^Ready"), timeout=INGEST_TIMEOUT)
    assert fits_the_screen(page)
    row.get_by_test_id("lecture-title").click()
    expect(page.get_by_test_id("page-text")).to_contain_text("Osmosis")
    assert fits_the_screen(page)
    assert not errors, errors
