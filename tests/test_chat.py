"""Chat with one's lectures, end to end through the app: real ingests, the real embedding model, answers
streamed over /ws; OpenAI-compatible and Gemini answers from local servers speaking their wire formats."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from processing.cardgen.citations import quote_in_page
from tests.conftest import ingest, make_course, make_deck, make_note, sql
from tests.documents import lecture_pdf
from tests.llm_servers import LLMServer, Reply, gemini_stream, openai_stream
from tests.test_ws import connected

FINAL = ("chat.done", "chat.error")


@pytest.fixture
def library(client: TestClient, alice: dict, text_pdf: Path) -> dict:
    course = make_course(client, alice)
    lecture = ingest(client, alice, course, "cells.pdf", text_pdf.read_bytes())
    return {"course": course, "lecture": lecture["id"]}


def converse(client: TestClient, headers: dict, **scope) -> dict:
    response = client.post("/api/conversations", json=scope or {"scope": "all"}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def ask(client: TestClient, headers: dict, conversation_id: int, question: str) -> dict:
    response = client.post(
        f"/api/conversations/{conversation_id}/messages", json={"question": question}, headers=headers
    )
    assert response.status_code == 202, response.text
    return response.json()


def answer_events(ws: WebSocketTestSession, limit: int = 2000) -> list[dict]:
    """Chat events up to and including the final one (job and ping events are skipped)."""
    events = []
    for _ in range(limit):
        event = ws.receive_json()
        if event["type"].startswith("chat."):
            events.append(event)
            if event["type"] in FINAL:
                return events
    raise AssertionError("no final chat event")


def page_text(client: TestClient, headers: dict, lecture_id: int, page: int) -> str:
    return client.get(f"/api/lectures/{lecture_id}/pages/{page}", headers=headers).json()["text"]


@contextmanager
def model(client: TestClient, **settings) -> Iterator[None]:
    saved = client.app.state.settings
    client.app.state.settings = saved.model_copy(update=settings)
    try:
        yield
    finally:
        client.app.state.settings = saved


def test_the_builtin_answer_streams_cited_extracts(client: TestClient, alice: dict, library: dict) -> None:
    conversation = converse(client, alice)
    with connected(client, alice) as ws:
        started = ask(client, alice, conversation["id"], "How do cells get their ATP?")
        events = answer_events(ws)
    question, answer = started["question"], started["answer"]
    assert (question["role"], question["status"], answer["status"]) == ("user", "done", "streaming")
    kinds = [e["type"] for e in events]
    assert kinds[:2] == ["chat.message", "chat.message"] and kinds[-1] == "chat.done"
    assert set(kinds[2:-1]) == {"chat.delta"} and len(kinds) > 4, kinds
    assert [e["message"]["id"] for e in events[:2]] == [question["id"], answer["id"]]
    assert {e["conversation_id"] for e in events} == {conversation["id"]}
    done = events[-1]["message"]
    assert "".join(e["text"] for e in events[2:-1]) == done["content"]
    assert (done["status"], done["provider"], done["grounded"]) == ("done", "builtin", True)
    assert done["content"].startswith("Here is what your lectures say (extracts")
    first = done["citations"][0]
    assert (first["n"], first["lecture_id"], first["page"]) == (1, library["lecture"], 2)
    assert first["url"] == f"#/lecture/{library['lecture']}?page=2"
    for citation in done["citations"]:
        assert f"[{citation['n']}]" in done["content"]
        assert quote_in_page(citation["quote"], page_text(client, alice, citation["lecture_id"], citation["page"]))
    assert "adenosine triphosphate" in first["quote"] and "<blockquote>" in done["html"]

    stored = client.get(f"/api/conversations/{conversation['id']}", headers=alice).json()
    assert stored["title"] == "How do cells get their ATP?" and stored["message_count"] == 2
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant"]
    assert stored["messages"][1] == done


def test_a_question_the_lectures_do_not_answer_says_so(client: TestClient, alice: dict, library: dict) -> None:
    conversation = converse(client, alice)
    with connected(client, alice) as ws:
        ask(client, alice, conversation["id"], "Who won the football world cup in 1998?")
        done = answer_events(ws)[-1]["message"]
    assert (done["status"], done["grounded"], done["citations"]) == ("done", False, [])
    assert done["content"].startswith("I found nothing in your lectures")


def test_a_follow_up_keeps_the_conversation(client: TestClient, alice: dict, library: dict) -> None:
    conversation = converse(client, alice, scope="lecture", lecture_id=library["lecture"])
    assert conversation["scope_label"] == "cells"
    with connected(client, alice) as ws:
        ask(client, alice, conversation["id"], "What do enzymes do to the activation energy?")
        answer_events(ws)
        ask(client, alice, conversation["id"], "Are they used up?")
        done = answer_events(ws)[-1]["message"]
    assert done["citations"][0]["page"] == 3  # "without being consumed": found through the previous question
    listed = client.get("/api/conversations", headers=alice).json()
    assert [(c["id"], c["message_count"]) for c in listed] == [(conversation["id"], 4)]


def test_bad_questions_get_clear_messages_and_store_nothing(
    client: TestClient, alice: dict, library: dict, tmp_path: Path
) -> None:
    conversation = converse(client, alice)
    path = f"/api/conversations/{conversation['id']}/messages"
    for question, detail in (("", "Type a question first"), ("   \n ", "Type a question first")):
        response = client.post(path, json={"question": question}, headers=alice)
        assert (response.status_code, response.json()) == (400, {"detail": detail})
    long = client.post(path, json={"question": "why " * 5000}, headers=alice)
    assert long.status_code == 400
    assert long.json()["detail"].startswith("A question can be at most 4,000 characters long (this one has 19,999)")
    empty_course = make_course(client, alice, "Empty course")
    nothing = converse(client, alice, scope="course", course_id=empty_course)
    refused = client.post(f"/api/conversations/{nothing['id']}/messages", json={"question": "Hi?"}, headers=alice)
    assert refused.status_code == 409 and refused.json()["detail"].startswith("No lecture of this course is ready")
    sql(client, "UPDATE lecture SET status = 'processing' WHERE id = ?", library["lecture"])
    busy = converse(client, alice, scope="lecture", lecture_id=library["lecture"])
    refused = client.post(f"/api/conversations/{busy['id']}/messages", json={"question": "ATP?"}, headers=alice)
    assert (refused.status_code, refused.json()) == (
        409,
        {"detail": "“cells” is still being read; ask again once it is ready."},
    )
    assert sql(client, "SELECT count(*) FROM chat_message") == [(0,)]
    missing = client.post("/api/conversations", json={"scope": "course"}, headers=alice)
    assert missing.status_code == 422 and "a course conversation needs course_id" in missing.json()["detail"]


def test_another_users_lectures_and_events_stay_theirs(
    client: TestClient, alice: dict, bob: dict, library: dict
) -> None:
    bobs_course = make_course(client, bob, "Bob's history")
    text = b"# Rome\n\nThe Roman Republic was founded in 509 BC after the last king was expelled."
    bobs_lecture = ingest(client, bob, bobs_course, "rome.md", text)["id"]
    alices = converse(client, alice)
    bobs = converse(client, bob)
    with connected(client, alice) as alice_ws, connected(client, bob) as bob_ws:
        ask(client, bob, bobs["id"], "How do mitochondria make ATP?")
        bob_events = answer_events(bob_ws)
        ask(client, alice, alices["id"], "When was the Roman Republic founded?")
        alice_events = answer_events(alice_ws)
        alice_ws.send_json({"type": "ping"})
        assert alice_ws.receive_json() == {"type": "pong"}  # nothing of bob's answer reached alice
    assert {e["conversation_id"] for e in bob_events} == {bobs["id"]}
    assert {c["lecture_id"] for c in bob_events[-1]["message"]["citations"]} <= {bobs_lecture}
    assert {c["lecture_id"] for c in alice_events[-1]["message"]["citations"]} <= {library["lecture"]}
    assert "Roman" not in alice_events[-1]["message"]["content"]
    for method, path in (("GET", ""), ("DELETE", ""), ("POST", "/messages")):
        response = client.request(
            method, f"/api/conversations/{alices['id']}{path}", json={"question": "x"}, headers=bob
        )
        assert (response.status_code, response.json()) == (404, {"detail": "Conversation not found"})
    lecture_scope = client.post(
        "/api/conversations", json={"scope": "lecture", "lecture_id": library["lecture"]}, headers=bob
    )
    assert (lecture_scope.status_code, lecture_scope.json()) == (404, {"detail": "Lecture not found"})


def test_an_openai_compatible_answer_streams_with_citations(client: TestClient, alice: dict, library: dict) -> None:
    conversation = converse(client, alice)
    deltas = ["Mitochondria make ATP ", "by oxidative phosphorylation [1]. ", "Plants store light energy [2][9]."]
    with LLMServer() as server, connected(client, alice) as ws:
        server.reply(openai_stream(deltas))
        with model(client, llm="openai", openai_base_url=f"{server.url}/v1", openai_model="tutor"):
            ask(client, alice, conversation["id"], "Where does ATP come from?")
            events = answer_events(ws)
    assert [e["text"] for e in events if e["type"] == "chat.delta"] == deltas
    done = events[-1]["message"]
    assert (done["status"], done["provider"], done["grounded"]) == ("done", "openai", True)
    body = server.requests[0].body
    assert body["stream"] is True and body["model"] == "tutor"
    prompt = body["messages"][-1]["content"]
    assert '[1] (from "cells", page 2)' in prompt and prompt.endswith("Question: Where does ATP come from?")
    assert "only the numbered passages" in body["messages"][0]["content"]
    numbered = {n: int(prompt.split(f'[{n}] (from "cells", page ')[1][0]) for n in (1, 2)}
    assert [(c["n"], c["page"]) for c in done["citations"]] == [(1, numbered[1]), (2, numbered[2])]  # [9] is no passage
    for citation in done["citations"]:
        assert quote_in_page(citation["quote"], page_text(client, alice, library["lecture"], citation["page"]))


def test_a_gemini_answer_streams_and_a_cut_stream_keeps_its_partial_text(
    client: TestClient, alice: dict, library: dict
) -> None:
    conversation = converse(client, alice)
    with LLMServer() as server, connected(client, alice) as ws:
        server.reply(gemini_stream(["Enzymes lower ", "the activation energy [1]."]))
        server.reply(gemini_stream(["They are not ", "consumed [1] and"], cut=True))
        gemini = {"llm": "gemini", "gemini_api_key": "AIza-test", "gemini_base_url": server.url}
        with model(client, **gemini):
            ask(client, alice, conversation["id"], "What do enzymes do?")
            first = answer_events(ws)[-1]["message"]
            ask(client, alice, conversation["id"], "Are they used up?")
            events = answer_events(ws)
    assert (first["status"], first["provider"], first["content"]) == (
        "done",
        "gemini",
        "Enzymes lower the activation energy [1].",
    )
    assert first["citations"][0]["page"] == 3
    failed = events[-1]
    assert failed["type"] == "chat.error"
    message = failed["message"]
    assert (message["status"], message["content"]) == ("interrupted", "They are not consumed [1] and")
    assert message["error"] and "Gemini" in message["error"]
    assert message["citations"] and message["citations"][0]["page"] == 3  # the partial text keeps its citation
    follow_up_prompt = server.requests[1].body["contents"][0]["parts"][0]["text"]
    assert "Student: What do enzymes do?" in follow_up_prompt and "You: Enzymes lower" in follow_up_prompt
    stored = client.get(f"/api/conversations/{conversation['id']}", headers=alice).json()["messages"][-1]
    assert stored == message


def test_stop_keeps_what_was_written(client: TestClient, alice: dict, library: dict) -> None:
    conversation = converse(client, alice)
    slow = openai_stream([f"word{i} " for i in range(200)])
    with LLMServer() as server, connected(client, alice) as ws:
        server.reply(Reply(events=slow.events, event_delay=0.05))
        with model(client, llm="openai", openai_base_url=f"{server.url}/v1", openai_model="tutor"):
            started = ask(client, alice, conversation["id"], "Tell me about ATP")
            answer_id = started["answer"]["id"]
            while ws.receive_json()["type"] != "chat.delta":
                pass
            busy = client.post(
                f"/api/conversations/{conversation['id']}/messages", json={"question": "And?"}, headers=alice
            )
            assert busy.status_code == 409 and "still being written" in busy.json()["detail"]
            stopped = client.post(f"/api/conversations/{conversation['id']}/messages/{answer_id}/cancel", headers=alice)
            events = answer_events(ws)
    assert stopped.status_code == 200, stopped.text
    message = stopped.json()
    assert message["status"] == "cancelled" and message["content"].startswith("word0 ")
    assert len(message["content"].split()) < 200
    assert events[-1]["type"] == "chat.done" and events[-1]["message"]["status"] == "cancelled"
    again = client.post(f"/api/conversations/{conversation['id']}/messages/{answer_id}/cancel", headers=alice)
    assert again.status_code == 409


def test_ask_about_a_card_uses_its_source_page(client: TestClient, alice: dict, library: dict) -> None:
    deck = make_deck(client, alice)
    note = make_note(client, alice, deck, front="What do enzymes lower?", back="The activation energy")
    sql(client, "UPDATE note SET source_lecture_id = ?, source_page = 3 WHERE id = ?", library["lecture"], note["id"])
    card_id = note["cards"][0]["id"]
    conversation = converse(client, alice, card_id=card_id)
    assert (conversation["scope"], conversation["lecture_id"], conversation["card_id"]) == (
        "lecture",
        library["lecture"],
        card_id,
    )
    assert conversation["title"] == "Card: What do enzymes lower?"
    with connected(client, alice) as ws:
        ask(client, alice, conversation["id"], "Explain this card.")
        done = answer_events(ws)[-1]["message"]
    assert done["citations"][0]["page"] == 3
    detail = client.get(f"/api/conversations/{conversation['id']}", headers=alice).json()
    assert detail["card"] == {
        "id": card_id,
        "front": "What do enzymes lower?",
        "answer": "The activation energy",
        "source_lecture_id": library["lecture"],
        "source_page": 3,
    }


def test_cards_from_an_answer_come_from_its_cited_pages(client: TestClient, alice: dict, library: dict) -> None:
    conversation = converse(client, alice)
    with connected(client, alice) as ws:
        ask(client, alice, conversation["id"], "How do mitochondria make ATP?")
        done = answer_events(ws)[-1]["message"]
    deck = make_deck(client, alice, "From chat")
    response = client.post(f"/api/chat/messages/{done['id']}/cards", json={"deck_id": deck}, headers=alice)
    assert response.status_code == 202, response.text
    jobs = response.json()["jobs"]
    assert [job["kind"] for job in jobs] == ["cardgen"]
    deadline = time.monotonic() + 60
    while sql(client, "SELECT status FROM job WHERE id = ?", jobs[0]["id"]) != [("succeeded",)]:
        assert time.monotonic() < deadline, "the card generation did not finish"
        time.sleep(0.05)
    drafts = client.get("/api/drafts", params={"deck_id": deck}, headers=alice).json()
    assert drafts and {d["page"] for d in drafts} <= {c["page"] for c in done["citations"]}
    question_id = done["id"] - 1
    refused = client.post(f"/api/chat/messages/{question_id}/cards", json={"deck_id": deck}, headers=alice)
    assert refused.status_code == 409


def test_delete_and_restart(client: TestClient, alice: dict, library: dict, settings) -> None:
    conversation = converse(client, alice)
    with connected(client, alice) as ws:
        ask(client, alice, conversation["id"], "What is photosynthesis?")
        answer_events(ws)
    kept = converse(client, alice)
    sql(
        client,
        "INSERT INTO chat_message (conversation_id, role, content, status, grounded, created_at) "
        "VALUES (?, 'assistant', 'Half an ans', 'streaming', 1, '2026-01-01 00:00:00')",
        kept["id"],
    )
    assert client.delete(f"/api/conversations/{conversation['id']}", headers=alice).status_code == 204
    assert sql(client, "SELECT count(*) FROM chat_message WHERE conversation_id = ?", conversation["id"]) == [(0,)]
    assert sql(client, "SELECT count(*) FROM chat_citation") == [(0,)]
    from main import create_app

    with TestClient(create_app(settings)) as restarted:
        message = restarted.get(f"/api/conversations/{kept['id']}", headers=alice).json()["messages"][0]
    assert (message["status"], message["content"]) == ("interrupted", "Half an ans")
    assert message["error"].startswith("The server stopped while this answer was being written")


def test_an_openai_stream_cut_off_is_kept_as_interrupted(client: TestClient, alice: dict, library: dict) -> None:
    conversation = converse(client, alice)
    with LLMServer() as server, connected(client, alice) as ws:
        server.reply(openai_stream(["Glucose stores ", "light energy [1] and"], cut=True))
        with model(client, llm="openai", openai_base_url=f"{server.url}/v1", openai_model="tutor"):
            ask(client, alice, conversation["id"], "What does photosynthesis store energy in?")
            events = answer_events(ws)
    assert events[-1]["type"] == "chat.error"
    message = events[-1]["message"]
    assert (message["status"], message["content"]) == ("interrupted", "Glucose stores light energy [1] and")
    assert "broke off in the middle of the answer" in message["error"]
    # The composer is free again: the next question is accepted.
    with LLMServer() as server, connected(client, alice) as ws:
        server.reply(openai_stream(["Glucose [1]."]))
        with model(client, llm="openai", openai_base_url=f"{server.url}/v1", openai_model="tutor"):
            ask(client, alice, conversation["id"], "Again?")
            assert answer_events(ws)[-1]["message"]["status"] == "done"


def test_every_tab_of_the_user_gets_the_answer(client: TestClient, alice: dict, library: dict) -> None:
    conversation = converse(client, alice)
    with connected(client, alice) as first, connected(client, alice) as second:
        ask(client, alice, conversation["id"], "What lowers the activation energy?")
        seen = [answer_events(first), answer_events(second)]
    assert seen[0] == seen[1] and seen[0][-1]["message"]["citations"][0]["page"] == 3


def test_other_tabs_hear_of_renames_and_deletes(client: TestClient, alice: dict) -> None:
    with connected(client, alice) as ws:
        conversation = converse(client, alice)
        path = f"/api/conversations/{conversation['id']}"
        assert client.patch(path, json={"title": "  Cell   energy "}, headers=alice).json()["title"] == "Cell energy"
        assert client.delete(path, headers=alice).status_code == 204
        events = [ws.receive_json() for _ in range(3)]
    assert events == [
        {"type": "chat.conversation", "conversation_id": conversation["id"], "change": change}
        for change in ("created", "renamed", "deleted")
    ]
    assert client.get(path, headers=alice).status_code == 404


def test_a_quote_does_not_start_with_the_running_header(client: TestClient, alice: dict, tmp_path: Path) -> None:
    pages = [
        ["Photosynthesis turns light, water and carbon dioxide into glucose and oxygen in the chloroplast."],
        ["Glycolysis splits one glucose molecule into two pyruvate molecules in the cytoplasm of the cell."],
        ["The citric acid cycle oxidises acetyl groups in the mitochondrial matrix and releases carbon dioxide."],
    ]
    pdf = lecture_pdf(tmp_path / "headed.pdf", pages, heading="BIO 101 Cell Biology, Fall 2026, page")
    lecture = ingest(client, alice, make_course(client, alice), "headed.pdf", pdf.read_bytes())
    chunk = sql(client, "SELECT text FROM lecture_chunk WHERE lecture_id = ? AND page = 2", lecture["id"])[0][0]
    assert chunk.startswith("BIO 101 Cell Biology, Fall 2026, page 2")  # the header runs into the sentence

    conversation = converse(client, alice)
    with connected(client, alice) as ws:
        ask(client, alice, conversation["id"], "What does glycolysis split glucose into?")
        done = answer_events(ws)[-1]["message"]
    first = done["citations"][0]
    assert (first["lecture_id"], first["page"]) == (lecture["id"], 2)
    assert first["quote"].startswith("Glycolysis splits one glucose molecule"), first["quote"]
    assert "Fall 2026" not in done["content"]
