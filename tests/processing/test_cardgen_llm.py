"""Card generation through a model: batching, checked citations and counted drops, against local wire-format servers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from processing.cardgen import CardCandidate, PageInput
from processing.cardgen.llm import BATCH_CHARS, batch_pages, generate_with_provider
from processing.llm import ProviderError
from processing.llm.gemini import GeminiProvider
from processing.llm.openai import OpenAIProvider
from tests.llm_servers import LLMServer, Reply, gemini_json, openai_answer, openai_error, openai_json

RESPIRATION = PageInput(
    1,
    "Cellular respiration\n"
    "Mitochondria are the organelles that produce most of the cell's ATP through oxidative phospho-\n"
    "rylation. The Krebs cycle takes place in the mitochondrial matrix and oxidises acetyl-CoA to carbon "
    "dioxide. Glycolysis happens in the cytoplasm and splits one glucose molecule into two pyruvate molecules.",
    "text",
)
PHOTOSYNTHESIS = PageInput(
    2,
    "Photosynthesis\n"
    "Chloroplasts capture light energy and store it in the chemical bonds of glucose. The light-dependent "
    "reactions take place in the thylakoid membranes and release oxygen. The Calvin cycle fixes carbon "
    "dioxide in the stroma using ATP and NADPH.",
    "text",
)
SCANNED_SMUDGE = PageInput(3, "Tbe rnitochondrial rnatrix ls wbere tbe Krebs cycle occurs", "ocr", ocr_confidence=31.0)


def card(front: str, back: str, page: object, quote: str, kind: str = "basic") -> dict:
    return {"front": front, "back": back, "type": kind, "page": page, "quote": quote}


GOOD_BASIC = card(
    "Which organelles produce most of the cell's ATP?",
    "Mitochondria, through oxidative phosphorylation",
    1,
    "Mitochondria are the organelles that produce most of the cell's ATP through oxidative phosphorylation",
)
GOOD_CLOZE = card(
    "The {{c1::Calvin cycle}} fixes carbon dioxide in the stroma using ATP and NADPH.",
    "Calvin cycle",  # cloze cards keep no back: the deletion is the answer
    "2",
    "The Calvin cycle fixes carbon dioxide in the stroma using ATP and NADPH.",
    kind="cloze",
)
INVENTED_QUOTE = card(
    "Where does the Krebs cycle take place?",
    "In the mitochondrial matrix",
    1,
    "The Krebs cycle happens inside the nucleus of every plant cell",
)
OTHER_PAGE = card("What does glycolysis produce?", "Two pyruvate molecules", 9, "splits one glucose molecule")
GIVES_ITSELF_AWAY = card(
    "Glycolysis happens in the cytoplasm: where does glycolysis happen?",
    "in the cytoplasm",
    1,
    "Glycolysis happens in the cytoplasm",
)
CLOZE_IN_PLAIN_SIGHT = card(
    "The {{c1::thylakoid}} membranes of the thylakoid release oxygen.",
    "",
    2,
    "The light-dependent reactions take place in the thylakoid membranes and release oxygen",
    kind="cloze",
)
NO_ANSWER = card("What releases oxygen?", "  ", 2, "The light-dependent reactions take place")


@pytest.fixture
def server() -> Iterator[LLMServer]:
    with LLMServer() as running:
        yield running


def openai(server: LLMServer, **overrides: object) -> OpenAIProvider:
    options: dict = dict(base_url=f"{server.url}/v1", model="test-model", timeout=2.0, backoff=0.01)
    return OpenAIProvider(**(options | overrides))


def long_page(number: int, topic: str) -> PageInput:
    sentence = f"The {topic} is studied on page {number} because lectures repeat important ideas in detail. "
    return PageInput(number, sentence * (2500 // len(sentence) + 1), "text")


def test_cards_are_kept_only_when_well_formed_and_cited(server: LLMServer) -> None:
    server.reply(
        openai_json(
            {
                "cards": [
                    GOOD_BASIC,
                    INVENTED_QUOTE,
                    OTHER_PAGE,
                    GIVES_ITSELF_AWAY,
                    GOOD_CLOZE,
                    CLOZE_IN_PLAIN_SIGHT,
                    NO_ANSWER,
                    "not a card",
                ]
            }
        )
    )
    progress: list[tuple[int, int]] = []
    cards, counts = generate_with_provider(
        openai(server),
        [RESPIRATION, PHOTOSYNTHESIS, SCANNED_SMUDGE],
        target=10,
        progress=lambda done, total: progress.append((done, total)),
    )
    assert [(c.kind, c.page, c.front) for c in cards] == [
        ("basic", 1, GOOD_BASIC["front"]),
        ("cloze", 2, GOOD_CLOZE["front"]),
    ]
    assert all(isinstance(c, CardCandidate) for c in cards)
    assert [c.back for c in cards] == ["Mitochondria, through oxidative phosphorylation", ""]
    assert counts["dropped_no_quote"] == 1
    assert counts["dropped_bad_page"] == 1
    assert counts["dropped_malformed"] == 4
    assert counts["junk_pages"] == 1
    assert counts["failed_batches"] == 0
    assert progress == [(1, 1)]
    prompt = server.requests[0].body["messages"][1]["content"]
    assert "[page 1]\nCellular respiration" in prompt and "[page 2]\nPhotosynthesis" in prompt
    assert "[page 3]" not in prompt  # the smudged scan is never sent
    assert "at most 10 flashcards" in prompt


def test_pages_are_batched_whole_and_cards_must_cite_their_own_batch(server: LLMServer) -> None:
    pages = [long_page(n, topic) for n, topic in enumerate(["cell membrane", "ribosome", "nucleus", "golgi"], 1)]
    assert [[p.number for p in batch] for batch in batch_pages(pages)] == [[1, 2], [3, 4]]
    quote_from_page_1 = "The cell membrane is studied on page 1"
    server.reply(
        openai_json({"cards": [card("Which structure is on page 1?", "The cell membrane", 1, quote_from_page_1)]}),
        openai_json({"cards": [card("Which structure is on page 1?", "The cell membrane", 1, quote_from_page_1)]}),
    )
    cards, counts = generate_with_provider(openai(server), pages, target=6)
    assert [c.page for c in cards] == [1]
    assert counts["dropped_bad_page"] == 1  # page 1 was not in the second batch
    prompts = [r.body["messages"][1]["content"] for r in server.requests]
    assert "at most 3 flashcards" in prompts[0] and "at most 5 flashcards" in prompts[1]  # the target is spread
    assert "[page 1]" in prompts[0] and "[page 2]" in prompts[0] and "[page 3]" not in prompts[0]
    assert "[page 3]" in prompts[1] and "[page 4]" in prompts[1]
    assert all(len(prompt) < BATCH_CHARS + 1000 for prompt in prompts)


def test_malformed_json_is_asked_for_once_more(server: LLMServer) -> None:
    server.reply(openai_answer('{"cards": [{"front": "Which organelles'), openai_json({"cards": [GOOD_BASIC]}))
    cards, counts = generate_with_provider(openai(server), [RESPIRATION], target=5)
    assert len(cards) == 1 and counts["failed_batches"] == 0
    assert len(server.requests) == 2


def test_truncated_json_twice_fails_the_batch_and_the_job_goes_on(server: LLMServer) -> None:
    pages = [long_page(1, "cell membrane"), long_page(2, "ribosome"), long_page(3, "nucleus")]
    truncated = openai_answer('{"cards": [{"front": "Which', finish_reason="length")
    server.reply(
        truncated,
        truncated,
        openai_json({"cards": [card("What is on page 3?", "The nucleus", 3, "The nucleus is studied on page 3")]}),
    )
    progress: list[tuple[int, int]] = []
    cards, counts = generate_with_provider(
        openai(server), pages, target=4, progress=lambda done, total: progress.append((done, total))
    )
    assert [c.page for c in cards] == [3]
    assert counts["failed_batches"] == 1 and counts["batches"] == 2
    assert progress == [(1, 2), (2, 2)]


@pytest.mark.parametrize(("status", "reason"), [(401, "auth"), (429, "quota")])
def test_auth_and_quota_errors_stop_the_job_at_once(server: LLMServer, status: int, reason: str) -> None:
    pages = [long_page(1, "cell membrane"), long_page(2, "ribosome"), long_page(3, "nucleus")]
    server.reply(*[openai_error(status, "no") for _ in range(3)])
    with pytest.raises(ProviderError) as caught:
        generate_with_provider(openai(server, api_key="sk-wrong"), pages, target=4)
    assert caught.value.reason == reason
    assert len(server.requests) == (1 if status == 401 else 3)  # one batch only; 429 was retried


def test_a_model_that_never_answers_fails_the_job_with_a_timeout(server: LLMServer) -> None:
    server.reply(Reply(hang=True))
    with pytest.raises(ProviderError) as caught:
        generate_with_provider(openai(server, timeout=0.3), [RESPIRATION], target=3)
    assert caught.value.reason == "timeout"


def test_never_more_than_the_target_and_no_repeats(server: LLMServer) -> None:
    server.reply(openai_json({"cards": [GOOD_BASIC, GOOD_BASIC, GOOD_CLOZE, GOOD_BASIC]}))
    cards, counts = generate_with_provider(openai(server), [RESPIRATION, PHOTOSYNTHESIS], target=1)
    assert len(cards) == 1
    assert counts["dropped_duplicate"] == 2


def test_stopping_between_batches(server: LLMServer) -> None:
    pages = [long_page(1, "cell membrane"), long_page(2, "ribosome"), long_page(3, "nucleus")]
    server.reply(openai_json({"cards": []}))
    done: list[int] = []
    cards, _ = generate_with_provider(
        openai(server), pages, target=4, progress=lambda d, t: done.append(d), should_stop=lambda: bool(done)
    )
    assert cards == [] and done == [1]
    assert len(server.requests) == 1


def test_gemini_writes_cited_cards_with_the_card_schema(server: LLMServer) -> None:
    server.reply(gemini_json({"cards": [GOOD_CLOZE, INVENTED_QUOTE]}))
    gemini = GeminiProvider(api_key="AIza-test", model="gemini-test", base_url=server.url, timeout=2.0, backoff=0.01)
    cards, counts = generate_with_provider(gemini, [RESPIRATION, PHOTOSYNTHESIS], target=5)
    assert [(c.kind, c.page) for c in cards] == [("cloze", 2)]
    assert counts["dropped_no_quote"] == 1
    schema = server.requests[0].body["generationConfig"]["responseSchema"]
    item = schema["properties"]["cards"]["items"]
    assert set(item["required"]) == {"front", "back", "type", "page", "quote"}
    assert item["properties"]["type"] == {"type": "STRING", "enum": ["basic", "cloze"]}
    [content] = server.requests[0].body["contents"]
    assert content["parts"][0]["text"].count("\n[page ") == 2


def test_when_every_batch_fails_the_job_says_why(server: LLMServer) -> None:
    server.reply(openai_answer("Sure! Here are some cards: front: ATP"), openai_answer("Still no JSON, sorry."))
    with pytest.raises(ProviderError) as caught:
        generate_with_provider(openai(server), [RESPIRATION], target=3)
    assert caught.value.reason == "bad_output"
    assert "not valid JSON" in caught.value.message
