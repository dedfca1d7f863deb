"""Card media in real Chromium: an image dropped on the card editor's front field is uploaded, shows in
the preview, and is shown on the card in review (fetched with the token into an object URL); a file of
the wrong type dropped on a field gets a human message and inserts nothing; Settings → Storage lists and
deletes it; a region of a lecture page cropped into a new card."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.test_lectures_flow import make_pdf
from tests.browser.test_review_flow import create_deck, deck_row, open_new_card, register, save_card

pytestmark = pytest.mark.browser


def drop_file(page: Page, test_id: str, name: str, mime: str, data: bytes) -> None:
    """Drops a file on the element the way a desktop drag does: dragover, then drop with a DataTransfer."""
    transfer = page.evaluate_handle(
        """([name, mime, b64]) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], name, { type: mime }));
            return dt;
        }""",
        [name, mime, base64.b64encode(data).decode()],
    )
    target = page.get_by_test_id(test_id)
    target.dispatch_event("dragover", {"dataTransfer": transfer})
    target.dispatch_event("drop", {"dataTransfer": transfer})


def test_drop_an_image_on_the_editor_and_see_it_in_review(page: Page, live_server: str) -> None:
    register(page, live_server)
    create_deck(page, "Anatomy")
    open_new_card(page, "basic")
    front = page.get_by_test_id("editor-front")
    front.fill("Which organ is this?")
    front.evaluate("(el) => el.setSelectionRange(el.value.length, el.value.length)")

    drop_file(page, "editor-front", "notes.png", "image/png", b"this is plain text, not an image")
    expect(page.get_by_test_id("editor-error")).to_contain_text("not a file Lectern can attach")
    expect(front).to_have_value("Which organ is this?")

    picture = Image.new("RGB", (120, 80), (200, 30, 30))
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    drop_file(page, "editor-front", "heart.png", "image/png", buffer.getvalue())
    expect(front).to_have_value(r"Which organ is this? ![heart](media:1)")
    expect(page.get_by_test_id("editor-error")).to_be_hidden()
    page.get_by_test_id("editor-back").fill("The heart")
    preview_image = page.get_by_test_id("preview-front").locator("img.media")
    expect(preview_image).to_have_attribute("data-media-state", "ready")
    assert preview_image.evaluate("(img) => img.complete && img.naturalWidth") == 120
    assert preview_image.get_attribute("src").startswith("blob:")
    save_card(page, notes_after=1)

    page.get_by_test_id("nav-decks").click()
    deck_row(page, "Anatomy").get_by_test_id("deck-study").click()
    shown = page.get_by_test_id("card-front").locator("img.media")
    expect(shown).to_have_attribute("data-media-state", "ready")
    assert shown.evaluate("(img) => [img.naturalWidth, img.naturalHeight]") == [120, 80]
    expect(shown).to_be_visible()
    page.keyboard.press("Space")
    expect(page.get_by_test_id("card-back")).to_contain_text("The heart")

    # Settings → Storage: the usage, the file with its thumbnail, and deleting it from the card.
    page.get_by_test_id("nav-settings").click()
    expect(page.get_by_test_id("storage-usage")).to_contain_text("(1 file)")
    item = page.get_by_test_id("media-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("heart.png")
    expect(item).to_contain_text("1 card")
    expect(item.locator("img")).to_have_attribute("src", re.compile(r"^blob:"))
    item.get_by_test_id("media-delete").click()
    page.get_by_test_id("confirm-ok").click()
    expect(page.get_by_test_id("media-empty")).to_be_visible()
    expect(page.get_by_test_id("storage-usage")).to_contain_text("(0 files)")


def test_crop_a_page_region_into_a_new_card(page: Page, live_server: str, tmp_path: Path) -> None:
    register(page, live_server)
    create_deck(page, "Slides")
    token = page.evaluate("() => localStorage.getItem('lectern.access_token')")
    headers = {"Authorization": f"Bearer {token}"}
    course = httpx.post(f"{live_server}/api/courses", json={"name": "Biology"}, headers=headers).json()["id"]
    pdf = make_pdf(tmp_path / "cells.pdf")
    uploaded = httpx.post(
        f"{live_server}/api/courses/{course}/lectures",
        files={"file": ("cells.pdf", pdf.read_bytes(), "application/pdf")},
        headers=headers,
    )
    assert uploaded.status_code == 202, uploaded.text
    lecture_id = uploaded.json()["lecture"]["id"]
    page.goto(f"{live_server}/#/lecture/{lecture_id}?page=2")
    image = page.get_by_test_id("page-image")
    expect(image).to_be_visible(timeout=60_000)

    page.get_by_test_id("crop-toggle").click()
    expect(page.get_by_test_id("crop-make")).to_be_disabled()
    page.keyboard.press("Escape")  # Esc leaves crop mode
    expect(page.get_by_test_id("crop-bar")).to_have_count(0)

    page.get_by_test_id("crop-toggle").click()
    box = image.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.1)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.3, steps=5)
    page.mouse.up()
    expect(page.get_by_test_id("crop-rect")).to_be_visible()
    page.get_by_test_id("crop-make").click()

    front = page.get_by_test_id("editor-front")
    expect(front).to_have_value(re.compile(r"^!\[p\. 2\]\(media:\d+\)$"))
    preview_image = page.get_by_test_id("preview-front").locator("img.media")
    expect(preview_image).to_have_attribute("data-media-state", "ready")
    natural = preview_image.evaluate("(img) => [img.naturalWidth, img.naturalHeight]")
    page_size = httpx.get(f"{live_server}/api/lectures/{lecture_id}/pages/2/image", headers=headers).content
    with Image.open(io.BytesIO(page_size)) as whole:
        assert abs(natural[0] - whole.width * 0.5) <= 3 and abs(natural[1] - whole.height * 0.2) <= 3
    page.get_by_test_id("editor-back").fill("The cell diagram")
    page.get_by_test_id("editor-save").click()
    expect(page).to_have_url(re.compile(rf"#/lecture/{lecture_id}\?page=2$"))
