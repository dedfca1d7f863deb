"""One account never sees or changes another's decks, notes, cards or reviews: every endpoint
that takes an id answers 404 (never 403, never data) for someone else's id.

The route list is read from the app, so a new endpoint taking an id fails this file until
the intruder below tries it."""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from PIL import Image
from pydantic import BaseModel

from tests.conftest import api_routes, ingest, make_course, make_deck, make_note, sql, upload, user_id
from tests.test_files import make_file

SECRET = "alicesecret"


def _takes_an_id(route: APIRoute) -> bool:
    """Whether the route takes an id of some row: in its path, its query or its JSON body."""
    names = [p.name for p in route.dependant.path_params]
    names += [p.name for p in route.dependant.query_params]
    for param in route.dependant.body_params:
        model = param.field_info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            names += list(model.model_fields)
    return any(name.endswith(("_id", "_ids")) for name in names)


def id_routes(client: TestClient) -> set[tuple[str, str]]:
    return {(method, path) for method, path, route in api_routes(client) if _takes_an_id(route)}


@dataclass
class Intruder:
    """Bob, trying alice's ids; remembers which routes he tried."""

    client: TestClient
    headers: dict
    tried: set[tuple[str, str]] = field(default_factory=set)

    def attempt(self, method: str, template: str, *, expect: int = 404, json=None, params=None, **ids) -> dict:
        response = self.client.request(method, template.format(**ids), json=json, params=params, headers=self.headers)
        assert response.status_code == expect, (method, template, ids, response.status_code, response.text)
        assert SECRET not in response.text
        assert set(response.json()) == {"detail"}
        self.tried.add((method, template))
        return response.json()


def _alice_world(client: TestClient, alice: dict) -> dict:
    deck_id = make_deck(client, alice, "Alice private")
    other_deck = make_deck(client, alice, "Alice second")
    basic = make_note(client, alice, deck_id, front=f"{SECRET} basic", back=f"{SECRET} back", tags=["alicetag"])
    cloze = make_note(client, alice, deck_id, kind="cloze", front=f"{{{{c1::{SECRET}}}}} and {{{{c2::more}}}}")
    make_note(client, alice, other_deck, kind="reversed", front=f"{SECRET} f", back="b")
    reviewed = basic["cards"][0]["id"]
    assert client.post(f"/api/review/{reviewed}", json={"rating": 3}, headers=alice).status_code == 200
    course = make_course(client, alice, "Alice course")
    text = f"# Secret\n\nPhotosynthesis is the process by which plants store light energy. The {SECRET} lecture text."
    lecture = ingest(client, alice, course, "alice.md", text.encode())
    generated = client.post(f"/api/lectures/{lecture['id']}/cards", json={"deck_id": deck_id}, headers=alice).json()
    deadline = time.monotonic() + 60
    while sql(client, "SELECT status FROM job WHERE id = ?", generated["id"]) != [("succeeded",)]:
        assert time.monotonic() < deadline, "the card generation did not finish"
        time.sleep(0.02)
    drafts = [d["id"] for d in client.get("/api/drafts", headers=alice).json()]
    assert drafts
    conversation = client.post("/api/conversations", json={"scope": "all"}, headers=alice).json()["id"]
    asked = client.post(
        f"/api/conversations/{conversation}/messages", json={"question": "photosynthesis?"}, headers=alice
    )
    answer = asked.json()["answer"]["id"]
    while sql(client, "SELECT status FROM chat_message WHERE id = ?", answer) == [("streaming",)]:
        assert time.monotonic() < deadline, "the answer was not written"
        time.sleep(0.02)
    generated_file = make_file(client, alice, f"{SECRET} quiz", SECRET.encode())["id"]
    return {
        "drafts": drafts,
        "cardgen_job": generated["id"],
        "course": course,
        "lecture": lecture["id"],
        "deck": deck_id,
        "decks": [deck_id, other_deck],
        "notes": [basic["id"], cloze["id"]],
        "card": cloze["cards"][0]["id"],
        "reviewed_card": reviewed,
        "conversation": conversation,
        "answer": answer,
        "file": generated_file,
    }


def _alice_view(client: TestClient, alice: dict, world: dict) -> dict[str, bytes]:
    """Everything alice can read, as raw bytes."""
    paths = ["/api/decks", "/api/notes", "/api/tags", "/api/review/log", "/api/review/next", "/api/users/me"]
    paths += ["/api/courses", "/api/lectures", f"/api/search?q={SECRET}", f"/api/lectures/{world['lecture']}/pages/1"]
    paths += ["/api/drafts", "/api/conversations", f"/api/conversations/{world['conversation']}"]
    paths += ["/api/files", f"/api/files/{world['file']}/download", "/api/stats"]
    paths += [f"/api/decks/{d}" for d in world["decks"]]
    paths += [f"/api/notes/{n}" for n in world["notes"]]
    paths += [f"/api/notes?q={SECRET}", f"/api/review/next?deck_id={world['deck']}"]
    out = {}
    for path in paths:
        response = client.get(path, headers=alice)
        assert response.status_code == 200, path
        out[path] = response.content
    return out


def _alice_rows(client: TestClient, uid: int) -> dict[str, list]:
    return {
        "deck": sql(client, "SELECT * FROM deck WHERE owner_id = ? ORDER BY id", uid),
        "note": sql(client, "SELECT * FROM note WHERE owner_id = ? ORDER BY id", uid),
        "card": sql(
            client,
            "SELECT card.* FROM card JOIN note ON note.id = card.note_id WHERE note.owner_id = ? ORDER BY card.id",
            uid,
        ),
        "card_state": sql(client, "SELECT * FROM card_state WHERE user_id = ? ORDER BY card_id", uid),
        "review_log": sql(client, "SELECT * FROM review_log WHERE user_id = ? ORDER BY id", uid),
        "user": sql(client, "SELECT * FROM user WHERE id = ?", uid),
        "job": sql(client, "SELECT * FROM job WHERE owner_id = ? ORDER BY id", uid),
        "course": sql(client, "SELECT * FROM course WHERE owner_id = ? ORDER BY id", uid),
        "lecture": sql(client, "SELECT * FROM lecture WHERE owner_id = ? ORDER BY id", uid),
        "lecture_page": sql(
            client,
            "SELECT p.* FROM lecture_page p JOIN lecture l ON l.id = p.lecture_id WHERE l.owner_id = ? ORDER BY p.id",
            uid,
        ),
        "lecture_chunk": sql(client, "SELECT * FROM lecture_chunk WHERE owner_id = ? ORDER BY id", uid),
        "card_draft": sql(client, "SELECT * FROM card_draft WHERE owner_id = ? ORDER BY id", uid),
        "conversation": sql(client, "SELECT * FROM conversation WHERE owner_id = ? ORDER BY id", uid),
        "chat_message": sql(
            client,
            "SELECT m.* FROM chat_message m JOIN conversation c ON c.id = m.conversation_id WHERE c.owner_id = ?",
            uid,
        ),
        "chat_citation": sql(client, "SELECT * FROM chat_citation ORDER BY id"),
        "generated_file": sql(client, "SELECT * FROM generated_file WHERE owner_id = ? ORDER BY id", uid),
    }


def _alice_job(client: TestClient, uid: int) -> int:
    """A finished job of alice's (no user-facing job kind exists yet: one is registered here)."""
    client.app.state.jobs.register("isolation", lambda ctx: {"text": SECRET})
    job_id = client.app.state.jobs.submit(owner_id=uid, kind="isolation", params={"text": SECRET}).id
    deadline = time.monotonic() + 10
    while sql(client, "SELECT status FROM job WHERE id = ?", job_id) != [("succeeded",)]:
        assert time.monotonic() < deadline, "the job did not finish"
        time.sleep(0.01)
    return job_id


def test_bob_cannot_reach_alice_data(client: TestClient, alice: dict, bob: dict) -> None:
    world = _alice_world(client, alice)
    alice_id = user_id(client, alice)
    bobs_deck = make_deck(client, bob, "Bob deck")
    bobs_note = make_note(client, bob, bobs_deck, front="bob note")
    bobs_card = bobs_note["cards"][0]["id"]
    alice_job = _alice_job(client, alice_id)
    view_before = _alice_view(client, alice, world)
    rows_before = _alice_rows(client, alice_id)
    bob_rows_before = sql(client, "SELECT * FROM note WHERE id = ?", bobs_note["id"])

    bob_ = Intruder(client, bob)
    deck, note, card = world["deck"], world["notes"][0], world["card"]
    for method, body in (("GET", None), ("PATCH", {"name": "Mine now"}), ("DELETE", None)):
        detail = bob_.attempt(method, "/api/decks/{deck_id}", json=body, deck_id=deck)
        assert detail == {"detail": "Deck not found"}
    bob_.attempt("GET", "/api/notes", params={"deck_id": deck})
    bob_.attempt("POST", "/api/notes", json={"deck_id": deck, "kind": "basic", "front": "planted", "tags": []})
    for method, body in (("GET", None), ("PATCH", {"front": "changed", "tags": ["x"]}), ("DELETE", None)):
        bob_.attempt(method, "/api/notes/{note_id}", json=body, note_id=note)
    bob_.attempt("PATCH", "/api/notes/{note_id}", json={"deck_id": deck}, note_id=bobs_note["id"])
    for action, extra in (
        ("move", {"deck_id": bobs_deck}),
        ("add_tags", {"tags": ["bob"]}),
        ("remove_tags", {"tags": ["alicetag"]}),
        ("suspend", {}),
        ("unsuspend", {}),
        ("delete", {}),
    ):
        for ids in (world["notes"], [bobs_note["id"], note]):
            bob_.attempt("POST", "/api/notes/bulk", json={"note_ids": ids, "action": action} | extra)
    bob_.attempt("POST", "/api/notes/bulk", json={"note_ids": [bobs_note["id"]], "action": "move", "deck_id": deck})
    bob_.attempt("GET", "/api/review/next", params={"deck_id": deck})
    bob_.attempt("GET", "/api/review/log", params={"deck_id": deck})
    bob_.attempt("POST", "/api/review/undo", params={"deck_id": deck})
    for rated in (card, world["reviewed_card"]):
        bob_.attempt("POST", "/api/review/{card_id}", json={"rating": 1}, card_id=rated)
        bob_.attempt("POST", "/api/review/{card_id}", json={"rating": 1}, params={"deck_id": deck}, card_id=rated)
    bob_.attempt("POST", "/api/review/{card_id}", json={"rating": 1}, params={"deck_id": deck}, card_id=bobs_card)
    feedback = bob_.attempt("POST", "/api/review/{card_id}/feedback", json={"typed": SECRET}, card_id=card)
    assert feedback == {"detail": "Card not found"}
    stream = "0" * 32  # only the streaming user may stop a stream (tests/test_feedback.py stops a live one)
    stopped = bob_.attempt("DELETE", "/api/review/feedback/{stream_id}", stream_id=stream)
    assert stopped == {"detail": "No feedback is being written under this id (it has ended)"}
    for method in ("GET", "POST"):
        path = "/api/jobs/{job_id}" if method == "GET" else "/api/jobs/{job_id}/cancel"
        assert bob_.attempt(method, path, job_id=alice_job) == {"detail": "Job not found"}
    course, lecture = world["course"], world["lecture"]
    bobs_course = make_course(client, bob, "Bob course")
    for method, body in (("PATCH", {"name": "Mine now"}), ("DELETE", None)):
        assert bob_.attempt(method, "/api/courses/{course_id}", json=body, course_id=course) == {
            "detail": "Course not found"
        }
    upload_path = "/api/courses/{course_id}/lectures"
    response = upload(client, bob, course, "planted.md", b"# Planted\n\nBob's text.")
    assert (response.status_code, response.json()) == (404, {"detail": "Course not found"})
    bob_.tried.add(("POST", upload_path))
    bob_.attempt("GET", "/api/lectures", params={"course_id": course})
    for method, path, body in (
        ("GET", "/api/lectures/{lecture_id}", None),
        ("PATCH", "/api/lectures/{lecture_id}", {"title": "Mine"}),
        ("DELETE", "/api/lectures/{lecture_id}", None),
        ("POST", "/api/lectures/{lecture_id}/reprocess", None),
        ("GET", "/api/lectures/{lecture_id}/pages", None),
    ):
        assert bob_.attempt(method, path, json=body, lecture_id=lecture) == {"detail": "Lecture not found"}
    for suffix in ("", "/image", "/thumb"):
        bob_.attempt("GET", "/api/lectures/{lecture_id}/pages/{number}" + suffix, lecture_id=lecture, number=1)
    bob_lecture = ingest(client, bob, bobs_course, "bob.md", b"# Bob\n\nBob's own lecture.")["id"]
    bob_.attempt("PATCH", "/api/lectures/{lecture_id}", json={"course_id": course}, lecture_id=bob_lecture)
    bob_.attempt("GET", "/api/search", params={"q": SECRET, "lecture_id": lecture})
    bob_.attempt("GET", "/api/search", params={"q": SECRET, "course_id": course})
    found = client.get("/api/search", params={"q": SECRET}, headers=bob)
    assert found.status_code == 200 and SECRET not in str(found.json()["results"])
    assert {hit["lecture_id"] for hit in found.json()["results"]} <= {bob_lecture}
    cards_path = "/api/lectures/{lecture_id}/cards"
    assert bob_.attempt("POST", cards_path, json={"deck_id": bobs_deck}, lecture_id=lecture) == {
        "detail": "Lecture not found"
    }
    assert bob_.attempt("POST", cards_path, json={"deck_id": deck}, lecture_id=bob_lecture) == {
        "detail": "Deck not found"
    }
    for params in ({"deck_id": deck}, {"lecture_id": lecture}, {"job_id": world["cardgen_job"]}):
        bob_.attempt("GET", "/api/drafts", params=params)
    draft = world["drafts"][0]
    for method, path, body in (
        ("PATCH", "/api/drafts/{draft_id}", {"front": "Mine"}),
        ("POST", "/api/drafts/{draft_id}/accept", None),
        ("POST", "/api/drafts/{draft_id}/reject", None),
    ):
        assert bob_.attempt(method, path, json=body, draft_id=draft) == {"detail": "Draft not found"}
    for action in ("accepted", "rejected"):
        bob_.attempt("POST", "/api/drafts/bulk", json={"draft_ids": world["drafts"], "action": action})
    assert client.get("/api/drafts", headers=bob).json() == []
    conversations = "/api/conversations"
    for body, detail in (
        ({"scope": "course", "course_id": course}, "Course not found"),
        ({"scope": "lecture", "lecture_id": lecture}, "Lecture not found"),
        ({"card_id": card}, "Card not found"),
    ):
        assert bob_.attempt("POST", conversations, json=body) == {"detail": detail}
    talk, answer = world["conversation"], world["answer"]
    for method, path, body in (
        ("GET", "/api/conversations/{conversation_id}", None),
        ("PATCH", "/api/conversations/{conversation_id}", {"title": "Mine"}),
        ("DELETE", "/api/conversations/{conversation_id}", None),
        ("POST", "/api/conversations/{conversation_id}/messages", {"question": SECRET}),
    ):
        assert bob_.attempt(method, path, json=body, conversation_id=talk) == {"detail": "Conversation not found"}
    cancel = "/api/conversations/{conversation_id}/messages/{message_id}/cancel"
    assert bob_.attempt("POST", cancel, conversation_id=talk, message_id=answer) == {"detail": "Conversation not found"}
    cards = "/api/chat/messages/{message_id}/cards"
    detail = bob_.attempt("POST", cards, json={"deck_id": bobs_deck}, message_id=answer)
    assert detail == {"detail": "Message not found"}
    assert client.get(conversations, headers=bob).json() == []
    for method, path in (("GET", "/api/files/{file_id}/download"), ("DELETE", "/api/files/{file_id}")):
        assert bob_.attempt(method, path, file_id=world["file"]) == {"detail": "File not found"}
    assert client.get("/api/files", headers=bob).json() == []
    png = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(png, "PNG")
    media = client.post("/api/media", files={"file": ("a.png", png.getvalue(), "image/png")}, headers=alice).json()
    for method, path in (("GET", ""), ("GET", "/thumbnail"), ("DELETE", "")):
        detail = bob_.attempt(method, "/api/media/{media_id}" + path, media_id=media["id"])
        assert detail == {"detail": "Media not found"}
    crop = {"x": 0, "y": 0, "width": 0.5, "height": 0.5}
    bob_.attempt("POST", "/api/lectures/{lecture_id}/pages/{number}/crop", json=crop, lecture_id=lecture, number=1)
    assert client.get("/api/media", headers=bob).json()["items"] == []
    assert bob_.attempt("GET", "/api/stats", params={"deck_id": deck}) == {"detail": "Deck not found"}
    documents = (
        ("/api/documents/quiz", {"deck_id": deck}, "Deck not found"),
        ("/api/documents/quiz", {"lecture_id": lecture}, "Lecture not found"),
        ("/api/documents/guide", {"lecture_id": lecture}, "Lecture not found"),
    )
    for path, body, detail in documents:
        assert bob_.attempt("POST", path, json=body) == {"detail": detail}
    apkg = "/api/decks/{deck_id}/export/apkg"
    assert bob_.attempt("POST", apkg, json={}, deck_id=deck) == {"detail": "Deck not found"}
    planted = bob_.attempt("POST", apkg, json={"note_ids": world["notes"]}, deck_id=bobs_deck)
    assert planted == {"detail": "Some of these cards do not exist or are not in this deck"}
    assert bob_.attempt("GET", "/api/decks/{deck_id}/export.csv", deck_id=deck) == {"detail": "Deck not found"}
    exam_path = "/api/decks/{deck_id}/exam"
    for method, body in (("GET", None), ("PUT", {"exam_date": "2099-01-01"}), ("DELETE", None)):
        assert bob_.attempt(method, exam_path, json=body, deck_id=deck) == {"detail": "Deck not found"}
    for method, path in (("POST", "/subscribe"), ("DELETE", "/subscribe"), ("POST", "/copy")):
        assert bob_.attempt(method, "/api/decks/{deck_id}" + path, deck_id=deck) == {"detail": "Deck not found"}
    notice = sql(client, "INSERT INTO notice (user_id, kind, message, created_at) VALUES (?, 'deck_deleted', ?, ?) "
                 "RETURNING id", alice_id, SECRET, "2024-01-01 00:00:00.000000")[0][0]  # fmt: skip
    assert bob_.attempt("POST", "/api/notices/{notice_id}/read", notice_id=notice) == {"detail": "Notice not found"}
    assert sql(client, "SELECT read_at FROM notice WHERE id = ?", notice) == [(None,)]
    csv_import = client.post(
        "/api/import/csv",
        data={"deck_id": str(deck), "mapping": '{"front": 0, "back": 1}', "has_header": "false"},
        files={"file": ("planted.csv", b"planted,row\n", "text/csv")},
        headers=bob,
    )
    assert (csv_import.status_code, csv_import.json()) == (404, {"detail": "Deck not found"})
    assert client.get("/api/stats", headers=bob).json()["reviews"] == 0
    # The one id route that is not about decks, notes or cards: admin-only, so bob is refused outright.
    detail = bob_.attempt(
        "PATCH", "/api/admin/users/{user_id}", expect=403, json={"is_disabled": True}, user_id=alice_id
    )
    assert detail == {"detail": "Only the admin can do this"}

    assert sql(client, "SELECT * FROM note WHERE id = ?", bobs_note["id"]) == bob_rows_before
    assert sql(client, "SELECT count(*) FROM review_log WHERE card_id = ?", bobs_card) == [(0,)]
    assert _alice_rows(client, alice_id) == rows_before
    assert _alice_view(client, alice, world) == view_before

    missing = id_routes(client) - bob_.tried
    assert not missing, f"routes taking an id that no isolation check tries: {sorted(missing)}"


def test_bob_lists_never_show_alice_data(client: TestClient, alice: dict, bob: dict) -> None:
    world = _alice_world(client, alice)
    bobs_deck = make_deck(client, bob, "Alice private")  # the same name is fine across accounts
    make_note(client, bob, bobs_deck, front="bob basic", tags=["bobtag"])
    bob_card = client.get("/api/review/next", headers=bob).json()["card"]
    assert bob_card["deck_id"] == bobs_deck
    client.post(f"/api/review/{bob_card['id']}", json={"rating": 3}, headers=bob)

    decks = client.get("/api/decks", headers=bob).json()
    assert [d["id"] for d in decks] == [bobs_deck]
    notes = client.get("/api/notes", headers=bob).json()
    assert notes["total"] == 1 and SECRET not in str(notes)
    assert client.get(f"/api/notes?q={SECRET}", headers=bob).json() == {
        "items": [],
        "total": 0,
        "page": 1,
        "page_size": 50,
    }
    assert client.get("/api/notes?tag=alicetag", headers=bob).json()["total"] == 0
    assert client.get("/api/tags", headers=bob).json() == [{"tag": "bobtag", "count": 1}]
    log = client.get("/api/review/log", headers=bob).json()
    assert [e["card_id"] for e in log] == [bob_card["id"]]
    for status in ("new", "learning", "due", "review", "suspended"):
        items = client.get(f"/api/notes?status={status}", headers=bob).json()["items"]
        assert all(item["deck_id"] == bobs_deck for item in items), status
    queue = client.get("/api/review/next", headers=bob).json()
    assert queue["card"]["deck_id"] == bobs_deck  # learn-ahead shows bob's own card, never alice's
    assert world["deck"] not in [d["id"] for d in decks]


def test_bobs_undo_never_touches_alice_reviews(client: TestClient, alice: dict, bob: dict) -> None:
    world = _alice_world(client, alice)
    alice_id = user_id(client, alice)
    make_note(client, bob, make_deck(client, bob), front="bob")
    bob_card = client.get("/api/review/next", headers=bob).json()["card"]["id"]
    client.post(f"/api/review/{bob_card}", json={"rating": 3}, headers=bob)
    # alice reviews last, so hers is the newest review in the whole table.
    client.post(f"/api/review/{world['card']}", json={"rating": 4}, headers=alice)
    rows_before = _alice_rows(client, alice_id)

    undone = client.post("/api/review/undo", headers=bob)
    assert undone.status_code == 200
    assert undone.json()["card"]["id"] == bob_card
    nothing = client.post("/api/review/undo", headers=bob)
    assert nothing.status_code == 404 and nothing.json()["detail"] == "Nothing to undo today"
    assert _alice_rows(client, alice_id) == rows_before
    assert len(client.get("/api/review/log", headers=alice).json()) == 2


def test_the_admin_has_no_access_to_other_users_decks(client: TestClient, alice: dict, bob: dict) -> None:
    bobs_deck = make_deck(client, bob, "Bob deck")
    bobs_note = make_note(client, bob, bobs_deck)
    assert client.get(f"/api/decks/{bobs_deck}", headers=alice).status_code == 404
    assert client.get(f"/api/notes/{bobs_note['id']}", headers=alice).status_code == 404
    assert (
        client.post(f"/api/review/{bobs_note['cards'][0]['id']}", json={"rating": 3}, headers=alice).status_code == 404
    )


def test_id_route_discovery_finds_the_known_routes(client: TestClient) -> None:
    """Guards the guard: if route discovery broke, the coverage check above would pass vacuously."""
    assert {
        ("GET", "/api/decks/{deck_id}"),
        ("PATCH", "/api/decks/{deck_id}"),
        ("DELETE", "/api/decks/{deck_id}"),
        ("GET", "/api/notes"),
        ("POST", "/api/notes"),
        ("POST", "/api/notes/bulk"),
        ("GET", "/api/notes/{note_id}"),
        ("PATCH", "/api/notes/{note_id}"),
        ("DELETE", "/api/notes/{note_id}"),
        ("GET", "/api/review/next"),
        ("GET", "/api/review/log"),
        ("POST", "/api/review/{card_id}"),
        ("POST", "/api/review/undo"),
        ("PATCH", "/api/admin/users/{user_id}"),
        ("GET", "/api/jobs/{job_id}"),
        ("POST", "/api/jobs/{job_id}/cancel"),
    } <= id_routes(client)
    assert ("GET", "/api/decks") not in id_routes(client)
