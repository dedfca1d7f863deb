"""Anki packages in real Chromium: on a deck, "Export to Anki" runs a job and downloads the .apkg;
on the decks page, "Import Anki deck" with a genanki-built file makes a new deck with its cards."""

from __future__ import annotations

import sqlite3
import zipfile
from contextlib import closing
from pathlib import Path

import genanki
import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_review_flow import create_deck, register

pytestmark = pytest.mark.browser


def add_notes(page: Page, base_url: str, deck_id: int) -> None:
    token = page.evaluate("localStorage.getItem('lectern.access_token')")
    notes = [
        {"kind": "basic", "front": "Area: $\\pi r^2$?", "back": "circle", "tags": ["geo"]},
        {"kind": "cloze", "front": "The {{c1::mitochondria}} makes {{c2::ATP}}", "back": ""},
        {"kind": "reversed", "front": "perro", "back": "dog"},
    ]
    for note in notes:
        response = httpx.post(
            f"{base_url}/api/notes", json={"deck_id": deck_id} | note, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 201, response.text


def test_export_a_deck_and_import_a_package(page: Page, live_server: str, tmp_path: Path, screenshot_dir: Path) -> None:
    register(page, live_server)
    create_deck(page, "Biology")
    deck_id = int(page.url.rsplit("/", 1)[-1].split("?")[0])
    add_notes(page, live_server, deck_id)
    page.reload()
    expect(page.get_by_test_id("deck-title")).to_have_text("Biology")

    page.get_by_test_id("anki-export").click()
    expect(page.get_by_test_id("anki-export-done")).to_contain_text("3 notes (5 cards)", timeout=30_000)
    page.get_by_test_id("anki-export-panel").screenshot(path=screenshot_dir / "anki-export.png")
    with page.expect_download() as download_info:
        page.get_by_test_id("anki-download").click()
    download = download_info.value
    assert download.suggested_filename == "Biology.apkg"
    saved = tmp_path / "Biology.apkg"
    download.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        (tmp_path / "c.anki2").write_bytes(archive.read("collection.anki2"))
    with closing(sqlite3.connect(tmp_path / "c.anki2")) as conn:
        assert conn.execute("SELECT count(*) FROM notes").fetchone() == (3,)

    deck = genanki.Deck(1_234_567, "Anki Chemistry")
    for front, back in [("H2O", "water"), ("NaCl", "salt"), ("CO2", "carbon dioxide")]:
        deck.add_note(genanki.Note(model=genanki.BASIC_AND_REVERSED_CARD_MODEL, fields=[front, back], tags=["chem"]))
    package = tmp_path / "chemistry.apkg"
    genanki.Package(deck).write_to_file(package)

    page.get_by_test_id("nav-decks").click()
    expect(page.get_by_test_id("anki-import-panel")).to_be_visible()
    page.get_by_test_id("anki-file").set_input_files(package)
    row = page.get_by_test_id("deck-row").filter(has_text="Anki Chemistry")
    expect(row).to_be_visible(timeout=30_000)
    expect(row).to_contain_text("3 notes · 6 cards")
    expect(page.get_by_test_id("anki-import-done")).to_contain_text("Imported 3 notes into “Anki Chemistry”")
    page.screenshot(path=screenshot_dir / "anki-import.png", full_page=True)
    row.get_by_test_id("deck-open").click()
    expect(page.get_by_test_id("deck-title")).to_have_text("Anki Chemistry")
    expect(page.get_by_text("NaCl")).to_be_visible()
