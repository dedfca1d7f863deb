"""Browser fixtures: Debian's Chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import serve
from tests.llm_servers import LLMServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT_DIR = Path("/tmp/lectern-shots")

expect.set_options(timeout=10_000)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextmanager
def _person(browser: Browser) -> Iterator[Page]:
    """One person's browser (own context, so own localStorage), failing the test on any uncaught page error."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB", timezone_id="Europe/Paris")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    with _person(browser) as page:
        yield page


@pytest.fixture
def second_page(browser: Browser) -> Iterator[Page]:
    """Another person's browser, beside `page`."""
    with _person(browser) as page:
        yield page


@pytest.fixture
def phone_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR


@pytest.fixture
def model() -> Iterator[LLMServer]:
    """A language model server on loopback speaking the OpenAI wire format; tests queue its replies."""
    with LLMServer() as server:
        yield server


@pytest.fixture
def server_with_model(
    tmp_path: Path, shared_models_dir: Path, model: LLMServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """Lectern configured for the `model` server (LECTERN_LLM=openai)."""
    monkeypatch.setenv("LECTERN_LLM", "openai")
    monkeypatch.setenv("OPENAI_BASE_URL", f"{model.url}/v1")
    monkeypatch.setenv("OPENAI_MODEL", "tutor")
    with serve(tmp_path / "live-data", models_dir=shared_models_dir, log_path=tmp_path / "server.log") as server:
        yield server.url
