"""CSV and account data in real Chromium: import a CSV through the preview and column mapping (the header
toggle changes what is imported), see the cards in the deck, export the deck as CSV; then export the
whole account from Settings (a job with a bar, then a download)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_review_flow import create_deck, register

pytestmark = pytest.mark.browser

CSV = "\ufeffQuestion;Answer;Tags\nCapital of Peru?;Lima;geo\nÉcole means?;school;fr vocab\n$2^{10}$ = ?;1024;math\n"


def test_csv_import_with_mapping_then_export_and_account_export(
    page: Page, live_server: str, tmp_path: Path, screenshot_dir: Path
) -> None:
    register(page, live_server)
    create_deck(page, "Vocab")
    expect(page.get_by_test_id("deck-title")).to_have_text("Vocab")
    page.get_by_test_id("nav-decks").click()

    bad = tmp_path / "latin1.csv"
    bad.write_bytes("front,back\ncafé,coffee\n".encode("latin-1"))
    page.get_by_test_id("csv-file").set_input_files(bad)
    expect(page.get_by_test_id("csv-error")).to_have_text(
        "latin1.csv is not UTF-8 text (byte 0xE9 at line 2); save it as CSV UTF-8"
    )

    good = tmp_path / "cards.csv"
    good.write_text(CSV, encoding="utf-8")
    page.get_by_test_id("csv-file").set_input_files(good)
    table = page.get_by_test_id("csv-table")
    expect(table.locator("thead th")).to_have_text(["Question", "Answer", "Tags"])
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(page.get_by_test_id("csv-has-header")).to_be_checked()
    expect(page.get_by_test_id("csv-map-front")).to_have_value("0")
    expect(page.get_by_test_id("csv-map-back")).to_have_value("1")
    expect(page.get_by_test_id("csv-map-tags")).to_have_value("2")
    page.get_by_test_id("csv-has-header").uncheck()
    expect(table.locator("tbody tr")).to_have_count(4)
    expect(page.get_by_test_id("csv-import")).to_have_text("Import 4 rows")
    page.get_by_test_id("csv-has-header").check()
    expect(page.get_by_test_id("csv-import")).to_have_text("Import 3 rows")
    page.get_by_test_id("csv-preview").screenshot(path=screenshot_dir / "csv-import-preview.png")
    page.get_by_test_id("csv-import").click()
    imported = page.get_by_test_id("toast").filter(has_text="Imported")
    expect(imported).to_contain_text("Imported 3 notes (3 cards) into Vocab")
    row = page.get_by_test_id("deck-row").filter(has_text="Vocab")
    expect(row).to_contain_text("3 notes · 3 cards")

    row.get_by_test_id("deck-open").click()
    expect(page.get_by_text("Capital of Peru?")).to_be_visible()
    expect(page.get_by_text("École means?")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_test_id("csv-export").click()
    download = download_info.value
    assert download.suggested_filename == "Vocab.csv"
    saved = tmp_path / "Vocab.csv"
    download.save_as(saved)
    lines = saved.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "front,back,kind,tags,source" and "Capital of Peru?,Lima,basic,geo," in lines

    page.get_by_test_id("nav-settings").click()
    expect(page.get_by_test_id("account-import-unavailable")).to_be_visible()
    expect(page.get_by_test_id("backup-panel")).to_be_visible()  # the first account is the admin
    page.get_by_test_id("account-export").click()
    expect(page.get_by_test_id("account-export-done")).to_contain_text("3 notes, 0 lectures ready", timeout=30_000)
    page.get_by_test_id("account-data").screenshot(path=screenshot_dir / "account-export.png")
    with page.expect_download() as download_info:
        page.get_by_test_id("account-export-download").click()
    download = download_info.value
    assert download.suggested_filename.startswith("lectern-account-") and download.suggested_filename.endswith(".zip")
    archive_path = tmp_path / "account.zip"
    download.save_as(archive_path)
    with zipfile.ZipFile(archive_path) as archive:
        assert json.loads(archive.read("account.json"))["format"] == "lectern-account"
        assert len(json.loads(archive.read("notes.json"))) == 3

    page.get_by_test_id("backup-start").click()
    expect(page.get_by_test_id("backup-done")).to_be_visible(timeout=30_000)
    expect(page.locator(".restore-command")).to_contain_text("python main.py restore lectern-backup-")
