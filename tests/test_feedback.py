"""Type-in feedback: the built-in scorer's suggestions on real answers (with the real embedding
model), and written feedback streamed over /ws from an OpenAI-compatible server."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from processing.feedback import score
from tests.conftest import make_deck, make_note
from tests.llm_servers import LLMServer, openai_stream
from tests.test_ws import connected


def typein_card(client: TestClient, headers: dict, front: str, back: str) -> int:
    note = make_note(
        client, headers, make_deck(client, headers, f"Deck {front[:20]}"), kind="typein", front=front, back=back
    )
    return note["cards"][0]["id"]


def ask(client: TestClient, headers: dict, card_id: int, typed: str) -> dict:
    response = client.post(f"/api/review/{card_id}/feedback", json={"typed": typed}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(
    ("back", "typed", "rating", "missing"),
    [
        ("Paris", "paris", 3, []),
        ("Paris", "  Paris ", 3, []),
        ("the mitochondria", "mitochondrion", 3, []),
        ("the mitochondria", "ribosome", 1, ["mitochondria"]),
        ("Light energy is converted into chemical energy", "light becomes chemical energy", 3, ["converted"]),
        ("Light energy is converted into chemical energy stored in glucose", "it makes energy", 1, None),
        ("Enzymes lower the activation energy", "enzyme lowers activation energy", 3, []),
        ("Paris", "", 1, ["paris"]),
    ],
)
def test_builtin_suggestions(client: TestClient, alice: dict, back: str, typed: str, rating: int, missing) -> None:
    card = typein_card(client, alice, f"Q for {back}?", back)
    result = ask(client, alice, card, typed)
    assert result["suggested_rating"] == rating, result
    assert result["label"] == {1: "Again", 2: "Hard", 3: "Good"}[rating]
    assert result["reason"] and result["stream_id"] is None
    if missing is not None:
        assert result["missing_terms"] == missing


def test_score_thresholds_without_the_model() -> None:
    assert score("Paris", "Paris", similarity=0.2).suggested_rating == 3  # the same words: right, whatever the vectors
    assert score("Lyon", "Paris", similarity=0.5).suggested_rating == 1
    close = score("glucose energy", "chemical energy stored in glucose", similarity=0.7)
    assert close.suggested_rating == 2 and close.reason.startswith("Close, but incomplete: missing chemical")


def test_feedback_is_only_for_your_own_cards(client: TestClient, alice: dict, bob: dict) -> None:
    card = typein_card(client, alice, "Capital of France?", "Paris")
    response = client.post(f"/api/review/{card}/feedback", json={"typed": "Paris"}, headers=bob)
    assert (response.status_code, response.json()) == (404, {"detail": "Card not found"})
    long = client.post(f"/api/review/{card}/feedback", json={"typed": "x" * 2001}, headers=alice)
    assert long.status_code == 422


def test_written_feedback_streams_over_the_socket(client: TestClient, alice: dict) -> None:
    card = typein_card(client, alice, "Powerhouse of the cell?", "the mitochondria")
    with LLMServer() as server, connected(client, alice) as ws:
        server.reply(openai_stream(["Not quite: ", "the ribosome makes proteins; ", "ATP comes from mitochondria."]))
        settings = client.app.state.settings
        client.app.state.settings = settings.model_copy(
            update={"llm": "openai", "openai_base_url": f"{server.url}/v1", "openai_model": "tutor"}
        )
        try:
            result = ask(client, alice, card, "ribosome")
        finally:
            client.app.state.settings = settings
        assert result["suggested_rating"] == 1 and result["stream_id"]
        events = []
        while not events or events[-1]["type"] not in ("feedback.done", "feedback.error"):
            events.append(ws.receive_json())
    assert {e["stream_id"] for e in events} == {result["stream_id"]}
    assert events[-1]["type"] == "feedback.done"
    assert "".join(e["text"] for e in events[:-1]) == (
        "Not quite: the ribosome makes proteins; ATP comes from mitochondria."
    )
    prompt = server.requests[0].body["messages"][-1]["content"]
    assert "ribosome" in prompt and "the mitochondria" in prompt and server.requests[0].body["stream"] is True


def test_a_stream_cut_off_ends_with_an_error_event(client: TestClient, alice: dict) -> None:
    card = typein_card(client, alice, "Capital of Italy?", "Rome")
    with LLMServer() as server, connected(client, alice) as ws:
        server.reply(openai_stream(["Rome is ", "the cap"], cut=True))
        settings = client.app.state.settings
        client.app.state.settings = settings.model_copy(
            update={"llm": "openai", "openai_base_url": f"{server.url}/v1", "openai_model": "tutor"}
        )
        try:
            result = ask(client, alice, card, "Milan")
        finally:
            client.app.state.settings = settings
        events = []
        while not events or events[-1]["type"] not in ("feedback.done", "feedback.error"):
            events.append(ws.receive_json())
    assert events[-1]["type"] == "feedback.error" and events[-1]["stream_id"] == result["stream_id"]
    assert "".join(e.get("text", "") for e in events[:-1]) == "Rome is the cap"
