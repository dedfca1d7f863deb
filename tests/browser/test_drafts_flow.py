"""Cards from a lecture in real Chromium: upload a text PDF of definitions, make cards into a new
deck with the built-in generator and watch the job finish, then work through the drafts (each
beside its page with the quote marked): accept two, edit one and accept it, reject one. The
accepted cards come up in review, each with a "Source: p. N" link that opens the page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_review_flow import register
from tests.conftest import free_port, serve
from tests.documents import lecture_pdf

pytestmark = pytest.mark.browser

PAGES = [
    [
        "Photosynthesis is the process by which plants convert light energy into chemical energy stored in glucose.",
        "Chlorophyll is the green pigment that absorbs red and blue light in the chloroplast.",
        "A stoma is a small pore on the underside of a leaf that lets carbon dioxide in.",
    ],
    [
        "Cellular respiration is the process by which cells break down glucose to release energy as ATP.",
        "Mitochondria are the organelles where aerobic respiration takes place.",
    ],
    [
        "Osmosis is the movement of water across a semipermeable membrane from a dilute to a concentrated solution.",
        "Diffusion is the net movement of particles from a region of high concentration to one of low concentration.",
    ],
]
EDITED_BACK = "Edited in the drafts screen"
INGEST_TIMEOUT = 40_000  # ms: the first ingest may load the embedding model
JOB_TIMEOUT = 30_000
JOB_ORDER = ["queued", "running", "succeeded"]


@pytest.fixture
def server_with_unreachable_model(
    tmp_path: Path, shared_models_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """Lectern configured for an OpenAI-compatible server that is not running (a closed loopback port)."""
    monkeypatch.setenv("LECTERN_LLM", "openai")
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{free_port()}/v1")
    monkeypatch.setenv("OPENAI_MODEL", "tiny-model")
    with serve(tmp_path / "live-data", models_dir=shared_models_dir, log_path=tmp_path / "server.log") as server:
        yield server.url


# ---- helpers: what a user does --------------------------------------------------------


def upload_lecture(page: Page, document: Path, pages: int = len(PAGES)) -> None:
    page.get_by_test_id("nav-library").click()
    page.get_by_test_id("new-course-name").fill("Biology")
    page.get_by_test_id("new-course-submit").click()
    expect(page.get_by_test_id("lectures-empty")).to_be_visible()
    page.get_by_test_id("file-input").set_input_files(document)
    row = page.locator(f'[data-testid="lecture-row"][data-filename="{document.name}"]')
    expect(row.get_by_test_id("lecture-status")).to_have_text(re.compile(r"^Ready"), timeout=INGEST_TIMEOUT)
    row.get_by_test_id("lecture-title").click()
    expect(page.get_by_test_id("page-total")).to_have_text(str(pages))


def record_job_states(page: Page) -> None:
    """Keeps every status the Make-cards panel shows (a quick job passes some in milliseconds)."""
    page.evaluate(
        """() => {
            window.jobStates = [];
            const panel = document.querySelector('[data-testid=makecards-panel]');
            new MutationObserver(() => {
                const status = panel.querySelector('[data-testid=makecards-status]')?.dataset.status;
                if (status && window.jobStates.at(-1) !== status) window.jobStates.push(status);
            }).observe(panel, { subtree: true, childList: true, attributes: true });
        }"""
    )


def waiting(count: int) -> str:
    return f"{count} draft{'' if count == 1 else 's'} waiting"


def fits_the_screen(page: Page) -> bool:
    return page.evaluate("w => document.documentElement.scrollWidth <= w", page.viewport_size["width"])


# ---- tests ------------------------------------------------------------------------------


def test_make_cards_work_through_drafts_and_review_them(page: Page, live_server: str, tmp_path: Path) -> None:
    console_errors: list[str] = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    register(page, live_server)
    upload_lecture(page, lecture_pdf(tmp_path / "plant-biology.pdf", PAGES, heading="Plant and cell biology, part"))

    # The form: no deck yet, so "New deck…" is chosen; the page range is the whole lecture.
    page.get_by_test_id("make-cards").click()
    expect(page.get_by_test_id("makecards-form")).to_be_visible()
    expect(page.get_by_test_id("makecards-deck")).to_have_value("new")
    expect(page.get_by_test_id("makecards-target")).to_have_value("20")
    expect(page.get_by_test_id("makecards-first")).to_have_value("1")
    expect(page.get_by_test_id("makecards-last")).to_have_value(str(len(PAGES)))
    page.get_by_test_id("page-next").click()
    page.get_by_test_id("makecards-this-page").click()
    expect(page.get_by_test_id("makecards-first")).to_have_value("2")
    expect(page.get_by_test_id("makecards-last")).to_have_value("2")
    page.get_by_test_id("makecards-all-pages").click()
    expect(page.get_by_test_id("makecards-first")).to_have_value("1")
    page.get_by_test_id("makecards-new-deck").fill("Plant biology")

    record_job_states(page)
    page.get_by_test_id("makecards-start").click()
    result = page.get_by_test_id("makecards-result")
    expect(result).to_be_visible(timeout=JOB_TIMEOUT)
    # The built-in generator takes milliseconds: its live events may overtake the POST's answer.
    states = page.evaluate("window.jobStates")
    assert states[-1] == "succeeded" and states == sorted(states, key=JOB_ORDER.index), states
    expect(page.get_by_test_id("makecards-start")).to_be_enabled()  # ready for another run
    made = int(page.get_by_test_id("makecards-drafts").get_attribute("data-count"))
    assert made >= 5, made
    expect(page.get_by_test_id("makecards-duplicates")).to_contain_text("0 drafts flagged")
    expect(page.get_by_test_id("makecards-dropped")).to_be_visible()

    # The drafts of this run, each beside its page image with the quote marked in the page text.
    page.get_by_test_id("makecards-open-drafts").click()
    expect(page).to_have_url(re.compile(r"#/drafts\?job=\d+"))
    expect(page.get_by_test_id("draft")).to_have_count(made)
    expect(page.get_by_test_id("drafts-count")).to_have_text(waiting(made))
    first = page.get_by_test_id("draft").first
    expect(first).to_have_class(re.compile(r"\bcurrent\b"))
    expect(first.get_by_test_id("draft-page-image")).to_have_attribute("src", re.compile(r"^blob:"))
    expect(first.get_by_test_id("draft-page-text").get_by_test_id("draft-quote")).to_be_visible()
    expect(first.get_by_test_id("draft-preview-front").first).to_be_visible()
    expect(first.get_by_test_id("draft-page-link")).to_have_text(re.compile(r"p\. \d"))
    quote = first.get_by_test_id("draft-quote").inner_text()
    assert any(" ".join(quote.split()).lower() in " ".join(s).lower() for s in PAGES), quote
    expect(page.get_by_test_id("draft-duplicate")).to_have_count(0)

    # j/k move between drafts.
    page.keyboard.press("j")
    expect(page.get_by_test_id("draft").nth(1)).to_have_class(re.compile(r"\bcurrent\b"))
    page.keyboard.press("k")
    expect(first).to_have_class(re.compile(r"\bcurrent\b"))

    # Accept two: one by its button, one with A.
    first.get_by_test_id("draft-accept").click()
    expect(page.get_by_test_id("draft")).to_have_count(made - 1)
    page.keyboard.press("a")
    expect(page.get_by_test_id("draft")).to_have_count(made - 2)

    # Edit one (E), change its back, save and accept.
    page.keyboard.press("e")
    editor = page.get_by_test_id("draft-editor")
    expect(editor).to_be_visible()
    expect(page.get_by_test_id("draft-front-input")).not_to_have_value("")
    page.get_by_test_id("draft-back-input").fill(EDITED_BACK)
    expect(page.locator(".draft.editing").get_by_test_id("draft-preview-back").first).to_contain_text(EDITED_BACK)
    page.get_by_test_id("draft-save-accept").click()
    expect(page.get_by_test_id("draft")).to_have_count(made - 3)

    # Reject one.
    page.get_by_test_id("draft").first.get_by_test_id("draft-reject").click()
    expect(page.get_by_test_id("draft")).to_have_count(made - 4)
    expect(page.get_by_test_id("drafts-count")).to_have_text(f"{waiting(made - 4)} · 3 accepted · 1 rejected")

    # The screen fits a phone.
    page.set_viewport_size({"width": 390, "height": 844})
    assert fits_the_screen(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    # The deck links to what is still waiting.
    page.get_by_test_id("drafts-deck-link").click()
    expect(page.get_by_test_id("deck-title")).to_have_text("Plant biology")
    expect(page.get_by_test_id("note-row")).to_have_count(3)
    expect(page.get_by_test_id("deck-drafts")).to_have_text(f"Drafts ({made - 4})")

    # Review: the three accepted cards, each citing its page.
    page.get_by_test_id("deck-study").click()
    expect(page.get_by_test_id("count-new")).to_have_text("3")
    source = page.get_by_test_id("source-link")
    expect(source).to_contain_text(re.compile(r"Source: p\. \d"))
    number = re.search(r"p\. (\d+)", source.inner_text()).group(1)
    card_id = page.get_by_test_id("review-card").get_attribute("data-card-id")
    page.keyboard.press("o")
    expect(page).to_have_url(re.compile(rf"#/lecture/\d+\?page={number}$"))
    expect(page.get_by_test_id("page-input")).to_have_value(number)
    page.go_back()
    expect(page.get_by_test_id("review-card")).to_have_attribute("data-card-id", card_id)

    backs = []
    for _ in range(3):
        expect(page.get_by_test_id("source-link")).to_contain_text(re.compile(r"Source: p\. \d"))
        page.keyboard.press("Space")
        backs.append(page.get_by_test_id("card-back").inner_text())
        page.keyboard.press("4")
        expect(page.get_by_test_id("card-back")).to_have_count(0)
    expect(page.get_by_test_id("all-done")).to_be_visible()
    assert any(EDITED_BACK in back for back in backs), backs
    assert not console_errors, console_errors


def test_settings_show_the_card_writer_and_test_it(page: Page, live_server: str) -> None:
    register(page, live_server)
    page.get_by_test_id("nav-settings").click()
    expect(page.get_by_test_id("llm-provider")).to_have_attribute("data-provider", "builtin")
    expect(page.get_by_test_id("llm-provider")).to_have_text("Built-in (offline)")
    page.get_by_test_id("llm-test").click()
    result = page.get_by_test_id("llm-test-result")
    expect(result).to_have_attribute("data-ok", "true")
    expect(result).to_have_class(re.compile(r"\bllm-ok\b"))
    expect(result).to_contain_text("offline")


def test_drafts_screen_without_drafts_explains_how_to_make_them(page: Page, live_server: str) -> None:
    register(page, live_server)
    page.goto(f"{live_server}/#/drafts")
    expect(page.get_by_test_id("drafts-empty")).to_contain_text("Make cards")
    expect(page.get_by_test_id("drafts-toolbar")).to_be_hidden()
    page.get_by_test_id("drafts-go-library").click()
    expect(page).to_have_url(re.compile(r"#/library"))


def test_an_unreachable_model_fails_the_job_with_its_reason(
    page: Page, server_with_unreachable_model: str, tmp_path: Path
) -> None:
    base_url = server_with_unreachable_model
    register(page, base_url)
    page.get_by_test_id("nav-settings").click()
    expect(page.get_by_test_id("llm-provider")).to_have_attribute("data-provider", "openai")
    expect(page.get_by_test_id("llm-model")).to_have_text("tiny-model")
    expect(page.get_by_test_id("llm-base-url")).to_contain_text("http://127.0.0.1:")
    page.get_by_test_id("llm-test").click()
    result = page.get_by_test_id("llm-test-result")
    expect(result).to_have_attribute("data-ok", "false", timeout=JOB_TIMEOUT)
    expect(result).to_have_class(re.compile(r"\bllm-error\b"))
    expect(result).to_contain_text("OPENAI_BASE_URL")

    notes = tmp_path / "notes.md"
    notes.write_text("# Water\n\n" + " ".join(PAGES[2]) + "\n")
    upload_lecture(page, notes, pages=1)
    page.get_by_test_id("make-cards").click()
    page.get_by_test_id("makecards-start").click()  # into a new deck named after the lecture
    # Connection retries keep the job going for seconds: its live progress shows meanwhile.
    expect(page.get_by_test_id("makecards-progress")).to_be_visible()
    expect(page.get_by_test_id("makecards-cancel")).to_be_visible()
    expect(page.get_by_test_id("makecards-start")).to_be_disabled()
    failed = page.get_by_test_id("makecards-failed")
    expect(failed).to_contain_text("Cannot reach", timeout=JOB_TIMEOUT)
    expect(page.get_by_test_id("makecards-start")).to_be_enabled()
