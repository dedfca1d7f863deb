"""Chat with one's lectures in real Chromium, with the built-in (offline) answers: ask in one's own
words, watch the answer stream in, follow its citation chip to the cited page, make cards from it,
see a second tab follow along; "Ask about this card" from review; and the mistakes a user can make
(an empty or too long question) said inline, with no spinner left behind. With an OpenAI-compatible
server on loopback streaming slowly, Esc stops an answer and a cut stream says why it stopped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.test_drafts_flow import upload_lecture
from tests.browser.test_review_flow import register
from tests.documents import lecture_pdf
from tests.llm_servers import LLMServer, Reply, openai_stream

pytestmark = pytest.mark.browser

PAGES = [
    [
        "Photosynthesis takes place in the chloroplasts of plant cells.",
        "Chlorophyll absorbs red and blue light and reflects green light.",
    ],
    [
        "Mitochondria produce most of the ATP a cell needs through aerobic respiration.",
        "The inner membrane of the mitochondrion is folded into cristae to hold more enzymes.",
    ],
    [
        "Osmosis is the movement of water across a semipermeable membrane.",
        "A cell placed in pure water swells because water moves in by osmosis.",
    ],
]
ATP_PAGE = 2
ANSWER_TIMEOUT = 30_000  # ms: the first answer may load the embedding model


# ---- helpers: what a user does --------------------------------------------------------


def record_streaming(page: Page) -> None:
    """Notes whether the typing indicator, or streamed text, ever showed (a built-in answer takes milliseconds)."""
    page.evaluate(
        """() => {
            window.chatSeen = { typing: false, partial: false };
            const look = () => {
                if (document.querySelector("[data-testid=chat-typing]")) window.chatSeen.typing = true;
                const bodies = document.querySelectorAll(
                    "[data-testid=chat-answer][data-status=streaming] [data-testid=chat-answer-body]"
                );
                if ([...bodies].some((body) => body.textContent.trim())) window.chatSeen.partial = true;
            };
            const options = { subtree: true, childList: true, characterData: true };
            new MutationObserver(look).observe(document.querySelector("#main"), options);
        }"""
    )


def done_answer(page: Page, index: int = 0) -> Locator:
    answer = page.get_by_test_id("chat-answer").nth(index)
    expect(answer).to_have_attribute("data-status", "done", timeout=ANSWER_TIMEOUT)
    return answer


def expect_idle(page: Page) -> None:
    """No answer being written: no typing indicator, no Stop, the question box usable."""
    expect(page.get_by_test_id("chat-typing")).to_have_count(0)
    expect(page.get_by_test_id("chat-stop")).to_be_hidden()
    expect(page.get_by_test_id("chat-input")).to_be_enabled()


# ---- tests ------------------------------------------------------------------------------


def test_ask_watch_the_answer_stream_and_open_the_cited_page(page: Page, live_server: str, tmp_path: Path) -> None:
    console_errors: list[str] = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    register(page, live_server)
    upload_lecture(page, lecture_pdf(tmp_path / "cell-biology.pdf", PAGES, heading="Cell biology, lecture notes part"))

    page.get_by_test_id("nav-chat").click()
    expect(page.get_by_test_id("chat-start")).to_be_visible()
    expect(page.get_by_test_id("chat-list-empty")).to_be_visible()
    expect(page.get_by_test_id("chat-scope")).to_have_value("all")
    expect(page.get_by_test_id("chat-scope").locator("option")).to_have_text(
        ["All lectures (1)", "Biology", "cell-biology · Biology"]
    )
    record_streaming(page)
    question = "Which part of the cell makes most of its energy?"
    page.get_by_test_id("chat-input").fill(question)
    page.get_by_test_id("chat-input").press("Enter")

    expect(page).to_have_url(re.compile(r"#/chat/\d+$"))
    expect(page.get_by_test_id("chat-question-text")).to_have_text(question)
    answer = done_answer(page)
    assert page.evaluate("window.chatSeen.typing || window.chatSeen.partial"), page.evaluate("window.chatSeen")
    expect_idle(page)
    expect(answer.get_by_test_id("chat-extracts-label")).to_have_text("Extracts from your lectures")
    expect(answer).to_have_attribute("data-grounded", "true")
    expect(answer.get_by_test_id("chat-answer-body")).to_contain_text("ATP")

    # The first chip cites the ATP page: its tooltip names the lecture and page, its quote is on that page.
    chip = answer.get_by_test_id("chat-chip").first
    expect(chip).to_have_text("1")
    expect(chip).to_have_attribute("data-page", str(ATP_PAGE))
    expect(chip).to_have_attribute("title", re.compile(rf"^cell-biology.*, p\. {ATP_PAGE} — “.*ATP"))
    expect(chip).to_have_attribute("href", re.compile(rf"^#/lecture/\d+\?page={ATP_PAGE}$"))
    source = answer.get_by_test_id("chat-source").first
    expect(source).to_contain_text(re.compile(rf"\[1\]\s*cell-biology.*, p\. {ATP_PAGE} — “.*ATP"))
    quote = re.search(r"“(.*?)…?”", chip.get_attribute("title")).group(1)

    # The conversation is listed, titled after the question, about all lectures.
    conversation = page.get_by_test_id("chat-conversation")
    expect(conversation).to_have_count(1)
    expect(conversation.get_by_test_id("chat-conversation-title")).to_have_text(question)
    expect(page.get_by_test_id("chat-title")).to_have_text(question)
    expect(conversation.get_by_test_id("chat-conversation-scope")).to_have_text("All lectures")
    chat_url = page.url

    # A second tab on the same conversation sees a follow-up asked in the first, once.
    other = page.context.new_page()
    other.goto(chat_url)
    expect(other.get_by_test_id("chat-answer")).to_have_count(1)
    follow_up = "And why does water move into a cell placed in pure water?"
    page.get_by_test_id("chat-input").fill(follow_up)
    page.keyboard.press("Enter")
    second = done_answer(page, 1)
    expect(second.get_by_test_id("chat-chip").first).to_have_attribute("data-page", "3")
    expect(other.get_by_test_id("chat-question")).to_have_count(2)
    expect(other.get_by_test_id("chat-question-text").nth(1)).to_have_text(follow_up)
    expect(other.get_by_test_id("chat-answer").nth(1)).to_have_attribute("data-status", "done")
    expect(other.get_by_test_id("chat-answer").nth(1).get_by_test_id("chat-chip").first).to_have_attribute(
        "data-page", "3"
    )
    expect(other.get_by_test_id("chat-input")).to_be_enabled()
    other.close()

    # Make cards from the first answer into a new deck; its drafts are one link away.
    answer.get_by_test_id("chat-make-cards").click()
    expect(answer.get_by_test_id("chat-cards-deck")).to_have_value("new")
    answer.get_by_test_id("chat-cards-new-deck").fill("From chat")
    answer.get_by_test_id("chat-cards-start").click()
    expect(page.get_by_test_id("chat-cards-toast-link")).to_have_attribute("href", re.compile(r"^#/drafts\?job=\d+$"))
    result = answer.get_by_test_id("chat-cards-result")
    expect(result).to_be_visible(timeout=ANSWER_TIMEOUT)
    made = int(result.get_attribute("data-count"))
    assert made >= 1, made
    answer.get_by_test_id("chat-cards-drafts").click()
    expect(page).to_have_url(re.compile(r"#/drafts\?job=\d+$"))
    expect(page.get_by_test_id("draft")).to_have_count(made)
    page.go_back()

    # The chip opens the lecture viewer on the cited page, with the quoted words on it.
    expect(page.get_by_test_id("chat-answer")).to_have_count(2)
    done_answer(page).get_by_test_id("chat-chip").first.click()
    expect(page).to_have_url(re.compile(rf"#/lecture/\d+\?page={ATP_PAGE}$"))
    expect(page.get_by_test_id("page-input")).to_have_value(str(ATP_PAGE))
    expect(page.get_by_test_id("page-text")).to_have_attribute("data-page", str(ATP_PAGE))
    assert " ".join(quote.split()) in " ".join(page.get_by_test_id("page-text").inner_text().split()), quote

    # Once the lecture is deleted, the answer keeps its sources, named as deleted and no longer links.
    page.get_by_test_id("nav-library").click()
    page.get_by_test_id("lecture-delete").click()
    page.get_by_test_id("confirm-ok").click()
    expect(page.get_by_test_id("lectures-empty")).to_be_visible()
    page.goto(chat_url)
    chip = done_answer(page).get_by_test_id("chat-chip").first
    expect(chip).to_have_class(re.compile(r"\bdeleted\b"))
    expect(chip).not_to_have_attribute("href", re.compile(r"."))
    expect(chip).to_have_attribute("title", re.compile(rf"\(deleted lecture\), p\. {ATP_PAGE}"))
    source = done_answer(page).get_by_test_id("chat-source").first
    expect(source).to_contain_text(f"(deleted lecture), p. {ATP_PAGE}")
    assert source.evaluate("el => el.tagName") == "SPAN"
    assert not console_errors, console_errors


def test_ask_about_a_card_from_review(page: Page, live_server: str, tmp_path: Path) -> None:
    register(page, live_server)
    upload_lecture(page, lecture_pdf(tmp_path / "cell-biology.pdf", PAGES, heading="Cell biology, lecture notes part"))
    # A card written from the lecture, so it cites its page.
    page.get_by_test_id("make-cards").click()
    page.get_by_test_id("makecards-new-deck").fill("Cells")
    page.get_by_test_id("makecards-start").click()
    expect(page.get_by_test_id("makecards-result")).to_be_visible(timeout=ANSWER_TIMEOUT)
    page.get_by_test_id("makecards-open-drafts").click()
    expect(page.get_by_test_id("draft").first).to_be_visible()
    page.get_by_test_id("drafts-accept-clean").click()
    expect(page.get_by_test_id("drafts-done")).to_be_visible()
    page.get_by_test_id("drafts-done-study").click()

    card = page.get_by_test_id("review-card")
    expect(card).to_be_visible()
    front = " ".join(page.get_by_test_id("card-front").inner_text().split())
    source_page = re.search(r"p\. (\d+)", page.get_by_test_id("source-link").inner_text()).group(1)
    expect(page.get_by_test_id("ask-card")).to_contain_text("Ask about this card")
    page.keyboard.press("a")

    # A conversation about the card: the card on top, "Explain this card." asked by itself.
    expect(page).to_have_url(re.compile(r"#/chat/\d+$"))  # ?explain=1 is gone once asked
    banner = page.get_by_test_id("chat-card-banner")
    expect(banner).to_be_visible()
    expect(banner.get_by_test_id("chat-card-front")).to_have_text(front)
    expect(banner.get_by_test_id("chat-card-answer")).not_to_be_empty()
    expect(banner.get_by_test_id("chat-card-source")).to_have_text(f"Source: p. {source_page}")
    expect(banner.get_by_test_id("chat-card-source")).to_have_attribute(
        "href", re.compile(rf"^#/lecture/\d+\?page={source_page}$")
    )
    expect(page.get_by_test_id("chat-question-text")).to_have_text("Explain this card.")
    answer = done_answer(page)
    expect(answer.get_by_test_id("chat-chip").first).to_be_visible()
    expect(page.get_by_test_id("chat-title")).to_have_text(re.compile(r"^Card: "))
    expect(page.get_by_test_id("chat-scope-label")).to_have_text(re.compile(r"^cell-biology"))
    expect_idle(page)

    # Reopening it does not ask again; Back returns to the review session.
    page.reload()
    expect(page.get_by_test_id("chat-question")).to_have_count(1)
    page.go_back()
    expect(page.get_by_test_id("review-card")).to_be_visible()


def test_mistakes_are_said_in_the_chat_and_no_spinner_stays(page: Page, live_server: str, tmp_path: Path) -> None:
    register(page, live_server)
    # Nothing processed yet: the chat points to the Library.
    page.get_by_test_id("nav-chat").click()
    expect(page.get_by_test_id("chat-no-lectures")).to_contain_text("Nothing to ask about yet")
    page.get_by_test_id("chat-go-library").click()
    expect(page).to_have_url(re.compile(r"#/library"))
    notes = tmp_path / "osmosis.md"
    notes.write_text("# Osmosis\n\n" + " ".join(PAGES[2]) + "\n")
    upload_lecture(page, notes, pages=1)

    # An empty first question: said at once, no conversation made.
    page.get_by_test_id("nav-chat").click()
    page.get_by_test_id("chat-input").press("Enter")
    expect(page.get_by_test_id("chat-error")).to_have_text("Type a question first.")
    expect(page.get_by_test_id("chat-conversation")).to_have_count(0)

    page.get_by_test_id("chat-input").fill("What happens to a cell in pure water?")
    page.get_by_test_id("chat-send").click()
    done_answer(page)
    expect_idle(page)

    # In the conversation, the server's reasons appear inline; nothing keeps spinning.
    page.get_by_test_id("chat-input").fill("   ")
    page.get_by_test_id("chat-input").press("Enter")
    expect(page.get_by_test_id("chat-error")).to_have_text("Type a question first")
    expect_idle(page)
    expect(page.get_by_test_id("chat-answer")).to_have_count(1)
    page.get_by_test_id("chat-input").fill("why " * 1001)
    page.get_by_test_id("chat-send").click()
    expect(page.get_by_test_id("chat-error")).to_contain_text("at most 4,000 characters")
    expect_idle(page)
    expect(page.get_by_test_id("chat-input")).to_have_value(re.compile(r"^why why"))  # kept to shorten it

    # "/" comes back to the question box; a good question clears the error.
    page.get_by_test_id("chat-title").click()
    page.keyboard.press("/")
    expect(page.get_by_test_id("chat-input")).to_be_focused()
    page.get_by_test_id("chat-input").fill("Why does a cell swell?")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("chat-error")).to_be_hidden()
    done_answer(page, 1)
    expect_idle(page)

    # Rename and delete from the list.
    conversation = page.get_by_test_id("chat-conversation")
    conversation.get_by_test_id("chat-rename").click()
    page.get_by_test_id("chat-rename-input").fill("Water and cells")
    page.get_by_test_id("chat-rename-save").click()
    expect(conversation.get_by_test_id("chat-conversation-title")).to_have_text("Water and cells")
    expect(page.get_by_test_id("chat-title")).to_have_text("Water and cells")
    conversation.get_by_test_id("chat-delete").click()
    page.get_by_test_id("confirm-ok").click()
    expect(page).to_have_url(re.compile(r"#/chat$"))
    expect(page.get_by_test_id("chat-list-empty")).to_be_visible()


def test_a_model_answer_can_be_stopped_and_a_cut_one_says_why(
    page: Page, server_with_model: str, model: LLMServer, tmp_path: Path
) -> None:
    register(page, server_with_model)
    notes = tmp_path / "respiration.md"
    notes.write_text("# Respiration\n\n" + " ".join(PAGES[1]) + "\n")
    upload_lecture(page, notes, pages=1)
    slow = openai_stream(["Mitochondria make ATP [1]. "] + [f"word{i} " for i in range(300)])
    model.reply(Reply(events=slow.events, event_delay=0.05))

    # While it is written: the text so far with its chip, the typing indicator, Stop; no new question.
    page.get_by_test_id("nav-chat").click()
    page.get_by_test_id("chat-input").fill("Where does the ATP of a cell come from?")
    page.keyboard.press("Enter")
    answer = page.get_by_test_id("chat-answer")
    expect(answer).to_have_attribute("data-status", "streaming", timeout=ANSWER_TIMEOUT)
    expect(answer.get_by_test_id("chat-answer-body")).to_contain_text("Mitochondria make ATP")
    expect(answer.get_by_test_id("chat-answer-body")).to_have_attribute("aria-busy", "true")
    expect(answer.get_by_test_id("chat-chip")).to_have_text("1")
    expect(answer.get_by_test_id("chat-extracts-label")).to_have_count(0)
    expect(page.get_by_test_id("chat-typing")).to_be_visible()
    expect(page.get_by_test_id("chat-stop")).to_be_visible()
    expect(page.get_by_test_id("chat-input")).to_be_disabled()

    # Esc stops it: the part written is kept, marked "Stopped.", and nothing keeps spinning.
    page.keyboard.press("Escape")
    expect(answer).to_have_attribute("data-status", "cancelled")
    expect(answer.get_by_test_id("chat-stopped")).to_have_text("Stopped.")
    expect(answer.get_by_test_id("chat-answer-body")).to_contain_text("Mitochondria make ATP")
    expect_idle(page)
    expect(page.get_by_test_id("chat-input")).to_be_focused()

    # A stream cut off mid-answer: the partial text stays, with a warning saying why.
    model.reply(openai_stream(["Because the inner ", "membrane is folded [1] and"], cut=True))
    page.get_by_test_id("chat-input").fill("Why is the inner membrane folded?")
    page.keyboard.press("Enter")
    cut = page.get_by_test_id("chat-answer").nth(1)
    expect(cut).to_have_attribute("data-status", "interrupted", timeout=ANSWER_TIMEOUT)
    expect(cut.get_by_test_id("chat-answer-body")).to_contain_text("Because the inner membrane is folded")
    warning = cut.get_by_test_id("chat-interrupted")
    expect(warning).to_contain_text("The answer stopped before it was finished.")
    assert len(warning.inner_text()) > len("The answer stopped before it was finished.") + 5  # the server's reason
    expect_idle(page)
