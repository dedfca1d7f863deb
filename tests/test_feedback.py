"""Type-in feedback: the built-in scorer's suggestions on real answers (with the real embedding
model), and written feedback streamed over /ws from an OpenAI-compatible server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

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


@contextmanager
def tutor_model(client: TestClient, server: LLMServer) -> Iterator[None]:
    """The app talks to `server` as its OpenAI-compatible model while the block runs."""
    settings = client.app.state.settings
    client.app.state.settings = settings.model_copy(
        update={"llm": "openai", "openai_base_url": f"{server.url}/v1", "openai_model": "tutor"}
    )
    try:
        yield
    finally:
        client.app.state.settings = settings


def stream_events(ws, *stream_ids: str) -> dict[str, list[dict]]:
    """The feedback events of each stream, until every one of them has ended (others are skipped)."""
    events: dict[str, list[dict]] = {stream_id: [] for stream_id in stream_ids}
    ended: set[str] = set()
    while ended != set(stream_ids):
        event = ws.receive_json()
        if event.get("stream_id") in events:
            events[event["stream_id"]].append(event)
            if event["type"] in ("feedback.done", "feedback.error"):
                ended.add(event["stream_id"])
    return events


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
        with tutor_model(client, server):
            result = ask(client, alice, card, "ribosome")
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
        with tutor_model(client, server):
            result = ask(client, alice, card, "Milan")
        events = []
        while not events or events[-1]["type"] not in ("feedback.done", "feedback.error"):
            events.append(ws.receive_json())
    assert events[-1]["type"] == "feedback.error" and events[-1]["stream_id"] == result["stream_id"]
    assert "".join(e.get("text", "") for e in events[:-1]) == "Rome is the cap"


def test_moving_on_stops_the_written_feedback(client: TestClient, alice: dict, bob: dict) -> None:
    card = typein_card(client, alice, "Powerhouse of the cell?", "the mitochondria")
    slow = replace(openai_stream([f"word{i} " for i in range(40)]), event_delay=0.1)
    with LLMServer() as server, connected(client, alice) as ws:
        server.reply(slow)
        with tutor_model(client, server):
            result = ask(client, alice, card, "ribosome")
        stream_id = result["stream_id"]
        first = ws.receive_json()
        assert (first["type"], first["stream_id"]) == ("feedback.delta", stream_id)
        assert client.delete(f"/api/review/feedback/{stream_id}", headers=bob).status_code == 404
        assert client.delete(f"/api/review/feedback/{stream_id}", headers=alice).status_code == 204
        events = [first, *stream_events(ws, stream_id)[stream_id]]
    assert events[-1] == {"type": "feedback.done", "stream_id": stream_id, "stopped": True}
    assert len(events) < 20  # it stopped well before the model's 40 pieces
    gone = client.delete(f"/api/review/feedback/{stream_id}", headers=alice)
    assert gone.status_code == 404 and "ended" in gone.json()["detail"]


def test_a_new_answer_stops_the_previous_feedback(client: TestClient, alice: dict) -> None:
    card = typein_card(client, alice, "Powerhouse of the cell?", "the mitochondria")
    with LLMServer() as server, connected(client, alice) as ws:
        server.reply(replace(openai_stream([f"word{i} " for i in range(40)]), event_delay=0.1))
        server.reply(openai_stream(["Right: ", "the mitochondria."]))
        with tutor_model(client, server):
            older = ask(client, alice, card, "ribosome")["stream_id"]
            while ws.receive_json().get("stream_id") != older:  # the model is writing the first one
                pass
            newer = ask(client, alice, card, "mitochondria")["stream_id"]
        events = stream_events(ws, older, newer)
    ended, final = events[older][-1], events[newer]
    assert ended["type"] == "feedback.done" and ended["stopped"] is True
    assert final[-1] == {"type": "feedback.done", "stream_id": newer, "stopped": False}
    assert "".join(e["text"] for e in final[:-1]) == "Right: the mitochondria."
