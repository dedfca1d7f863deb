"""Sharing public decks: three accounts study one deck on their own schedules, the owner's edits flow
through, only the owner edits (403, nothing written), subscribe/unsubscribe/copy, and notices over REST
and /ws when a shared deck is deleted or made private."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_deck, make_note, register, sql, user_id
from tests.test_ws import connected


@pytest.fixture
def carol(client: TestClient, bob: dict) -> dict[str, str]:
    return register(client, "carol@example.com")


def public_deck(client: TestClient, owner: dict, name: str = "Biology") -> int:
    deck_id = make_deck(client, owner, name)
    response = client.patch(f"/api/decks/{deck_id}", json={"visibility": "public"}, headers=owner)
    assert response.status_code == 200, response.text
    return deck_id


def subscribe(client: TestClient, headers: dict, deck_id: int) -> dict:
    response = client.post(f"/api/decks/{deck_id}/subscribe", headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def states(client: TestClient, headers: dict, deck_id: int) -> list[tuple]:
    return sql(
        client,
        "SELECT card_id, state, stability, reps FROM card_state WHERE user_id = ? AND deck_id = ? ORDER BY card_id",
        user_id(client, headers),
        deck_id,
    )


def next_card(client: TestClient, headers: dict, deck_id: int) -> dict | None:
    response = client.get("/api/review/next", params={"deck_id": deck_id}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["card"]


def everything(client: TestClient) -> dict[str, list]:
    tables = ("deck", "note", "card", "card_state", "review_log", "deck_subscription", "notice")
    return {t: sql(client, f"SELECT * FROM {t} ORDER BY 1, 2") for t in tables}


def test_three_accounts_study_one_deck_on_their_own_schedules(
    client: TestClient, alice: dict, bob: dict, carol: dict
) -> None:
    deck = public_deck(client, alice)
    first = make_note(client, alice, deck, front="Mitochondria", back="powerhouse")
    make_note(client, alice, deck, kind="cloze", front="{{c1::Ribosomes}} build {{c2::proteins}}")
    assert subscribe(client, bob, deck)["cards"] == 3
    assert subscribe(client, carol, deck)["cards"] == 3

    card = first["cards"][0]["id"]
    for headers, rating in ((alice, 3), (bob, 1), (carol, 4)):
        response = client.post(f"/api/review/{card}", json={"rating": rating}, headers=headers)
        assert response.status_code == 200, response.text
    rows = {name: states(client, h, deck) for name, h in (("alice", alice), ("bob", bob), ("carol", carol))}
    assert [len(r) for r in rows.values()] == [3, 3, 3]
    reviewed = {name: r[0] for name, r in rows.items()}
    assert len({(s[1], s[2]) for s in reviewed.values()}) == 3  # three different schedules for one card
    assert all(r[1:] == [(c, 0, None, 0) for c, *_ in r[1:]] for r in rows.values())  # the others are new

    bob_decks = client.get("/api/decks", headers=bob).json()
    assert [(d["id"], d["owned"], d["owner_name"], d["card_count"], d["note_count"]) for d in bob_decks] == [
        (deck, False, "alice", 3, 2)
    ]
    alice_deck = client.get("/api/decks", headers=alice).json()[0]
    assert (alice_deck["owned"], alice_deck["subscriber_count"], alice_deck["visibility"]) == (True, 2, "public")
    # Each person's progress: stats per deck show the subscribed deck by name, with their own reviews.
    for headers in (bob, carol):
        stats = client.get("/api/stats", params={"deck_id": deck}, headers=headers)
        assert stats.status_code == 200, stats.text
        assert [(d["name"], d["reviews"], d["cards"]) for d in stats.json()["decks"]] == [("Biology", 1, 3)]
        overall = client.get("/api/stats", headers=headers).json()
        assert [d["name"] for d in overall["decks"]] == ["Biology"]
    log = client.get("/api/review/log", params={"deck_id": deck}, headers=bob).json()
    assert [(e["card_id"], e["rating"]) for e in log] == [(card, 1)]


def test_the_owners_edits_and_new_notes_reach_subscribers(client: TestClient, alice: dict, bob: dict) -> None:
    deck = public_deck(client, alice)
    note = make_note(client, alice, deck, front="Old text", back="answer")
    subscribe(client, bob, deck)
    assert "Old text" in next_card(client, bob, deck)["front_html"]

    edited = client.patch(f"/api/notes/{note['id']}", json={"front": "New text"}, headers=alice)
    assert edited.status_code == 200
    assert "New text" in next_card(client, bob, deck)["front_html"]
    assert client.get(f"/api/notes/{note['id']}", headers=bob).json()["front"] == "New text"

    bobs_card = next_card(client, bob, deck)["id"]
    client.post(f"/api/review/{bobs_card}", json={"rating": 4}, headers=bob)  # bob is done with it for days
    assert next_card(client, bob, deck) is None
    added = make_note(client, alice, deck, front="Brand new", back="card")
    shown = next_card(client, bob, deck)
    assert shown["id"] == added["cards"][0]["id"] and "Brand new" in shown["front_html"]

    cloze = make_note(client, alice, deck, kind="cloze", front="{{c1::DNA}} is a molecule")
    client.patch(f"/api/notes/{cloze['id']}", json={"front": "{{c1::DNA}} is a {{c2::molecule}}"}, headers=alice)
    cloze_cards = sql(client, "SELECT id FROM card WHERE note_id = ? ORDER BY ord", cloze["id"])
    assert len(cloze_cards) == 2
    assert sql(client, "SELECT count(*) FROM card_state WHERE card_id = ?", cloze_cards[1][0]) == [(2,)]
    listed = client.get("/api/notes", params={"deck_id": deck}, headers=bob).json()
    assert listed["total"] == 3 and {n["front"] for n in listed["items"]} >= {"New text", "Brand new"}


def test_only_the_owner_edits_and_nothing_is_written(client: TestClient, alice: dict, bob: dict, carol: dict) -> None:
    deck = public_deck(client, alice)
    other = make_deck(client, alice, "Alice other")
    note = make_note(client, alice, deck, front="Mine", tags=["cell"])
    subscribe(client, bob, deck)
    bobs_deck = make_deck(client, bob, "Bob deck")
    bobs_note = make_note(client, bob, bobs_deck, front="bob's")
    before = everything(client)
    refused = "Only the deck's owner can edit it"
    for headers in (bob, carol):  # a subscriber, and a user who can only preview the public deck
        attempts = [
            ("PATCH", f"/api/decks/{deck}", {"name": "Taken"}),
            ("PATCH", f"/api/decks/{deck}", {"visibility": "private"}),
            ("DELETE", f"/api/decks/{deck}", None),
            ("POST", "/api/notes", {"deck_id": deck, "kind": "basic", "front": "planted", "tags": []}),
            ("PATCH", f"/api/notes/{note['id']}", {"front": "changed"}),
            ("DELETE", f"/api/notes/{note['id']}", None),
            ("POST", "/api/notes/bulk", {"note_ids": [note["id"]], "action": "add_tags", "tags": ["x"]}),
            ("POST", "/api/notes/bulk", {"note_ids": [note["id"]], "action": "delete"}),
            ("POST", "/api/notes/bulk", {"note_ids": [note["id"]], "action": "move", "deck_id": other}),
        ]
        if headers is bob:
            attempts += [
                ("PATCH", f"/api/notes/{bobs_note['id']}", {"deck_id": deck}),
                ("POST", "/api/notes/bulk", {"note_ids": [bobs_note["id"]], "action": "move", "deck_id": deck}),
            ]
        for method, path, body in attempts:
            response = client.request(method, path, json=body, headers=headers)
            if headers is carol and path == "/api/notes/bulk":
                # carol has no state for these notes: they are not among the notes she can act on
                assert response.status_code == 404, (method, path, response.text)
                continue
            assert response.status_code == 403, (method, path, body, response.text)
            assert refused in response.json()["detail"]
    csv = client.post(
        "/api/import/csv",
        data={"deck_id": str(deck), "mapping": '{"front": 0, "back": 1}', "has_header": "false"},
        files={"file": ("planted.csv", b"planted,row\n", "text/csv")},
        headers=bob,
    )
    assert (csv.status_code, csv.json()["detail"]) == (403, refused)
    quiz_or_drafts = client.get("/api/drafts", params={"deck_id": deck}, headers=bob)
    assert quiz_or_drafts.status_code == 403
    assert everything(client) == before

    # Per-user actions are fine for a subscriber: suspending touches only bob's own state.
    suspended = client.post("/api/notes/bulk", json={"note_ids": [note["id"]], "action": "suspend"}, headers=bob)
    assert suspended.status_code == 200, suspended.text
    card = note["cards"][0]["id"]
    assert sql(client, "SELECT user_id, suspended FROM card_state WHERE card_id = ? ORDER BY user_id", card) == [
        (user_id(client, alice), 0),
        (user_id(client, bob), 1),
    ]


def test_subscribing_to_a_private_unknown_own_or_already_subscribed_deck(
    client: TestClient, alice: dict, bob: dict
) -> None:
    private = make_deck(client, alice, "Private")
    make_note(client, alice, private)
    before = everything(client)
    for deck_id in (private, 999_999):
        response = client.post(f"/api/decks/{deck_id}/subscribe", headers=bob)
        assert (response.status_code, response.json()) == (404, {"detail": "Deck not found"})
        assert client.get(f"/api/decks/{deck_id}", headers=bob).status_code == 404
        assert client.get("/api/notes", params={"deck_id": deck_id}, headers=bob).status_code == 404
        assert client.post(f"/api/decks/{deck_id}/copy", headers=bob).status_code == 404
    assert everything(client) == before
    deck = public_deck(client, alice, "Shared")
    own = client.post(f"/api/decks/{deck}/subscribe", headers=alice)
    assert own.status_code == 409 and "your own deck" in own.json()["detail"]
    subscribe(client, bob, deck)
    again = client.post(f"/api/decks/{deck}/subscribe", headers=bob)
    assert (again.status_code, again.json()["detail"]) == (409, "You already subscribe to 'Shared'")
    nothing = client.delete(f"/api/decks/{private}/subscribe", headers=bob)
    assert (nothing.status_code, nothing.json()["detail"]) == (404, "Deck not found")


def test_unsubscribing_keeps_the_review_log_and_removes_the_states(client: TestClient, alice: dict, bob: dict) -> None:
    deck = public_deck(client, alice)
    note = make_note(client, alice, deck)
    subscribe(client, bob, deck)
    card = note["cards"][0]["id"]
    client.post(f"/api/review/{card}", json={"rating": 3}, headers=bob)
    bob_id = user_id(client, bob)
    log = sql(client, "SELECT * FROM review_log WHERE user_id = ?", bob_id)
    assert len(log) == 1
    left = client.delete(f"/api/decks/{deck}/subscribe", headers=bob)
    assert left.status_code == 200 and left.json()["cards"] == 1
    assert states(client, bob, deck) == []
    assert sql(client, "SELECT * FROM review_log WHERE user_id = ?", bob_id) == log
    assert client.get("/api/decks", headers=bob).json() == []
    assert client.get("/api/review/next", params={"deck_id": deck}, headers=bob).status_code == 404
    assert len(states(client, alice, deck)) == 1  # the owner's state is untouched
    twice = client.delete(f"/api/decks/{deck}/subscribe", headers=bob)
    assert (twice.status_code, twice.json()["detail"]) == (404, "You do not subscribe to 'Biology'")


def test_public_decks_are_listed_searchable_and_previewable(client: TestClient, alice: dict, bob: dict) -> None:
    deck = public_deck(client, alice, "Écologie marine")
    make_deck(client, alice, "Secret")
    make_note(client, alice, deck, front="Plankton")
    public_deck(client, bob, "Bob's own public")
    listed = client.get("/api/decks/public", headers=bob).json()
    assert [(d["name"], d["owner_name"], d["note_count"], d["card_count"], d["subscribed"]) for d in listed] == [
        ("Écologie marine", "alice", 1, 1, False)
    ]
    assert [d["id"] for d in client.get("/api/decks/public", params={"q": "ÉCOLOGIE"}, headers=bob).json()] == [deck]
    assert client.get("/api/decks/public", params={"q": "nothing"}, headers=bob).json() == []
    preview = client.get("/api/notes", params={"deck_id": deck}, headers=bob).json()
    assert [n["front"] for n in preview["items"]] == ["Plankton"]
    seen = client.get(f"/api/decks/{deck}", headers=bob).json()
    assert (seen["owned"], seen["owner_name"], seen["card_count"]) == (False, "alice", 1)
    subscribe(client, bob, deck)
    assert client.get("/api/decks/public", headers=bob).json()[0]["subscribed"] is True


def test_a_copy_is_an_independent_private_deck(client: TestClient, alice: dict, bob: dict) -> None:
    deck = public_deck(client, alice)
    note = make_note(client, alice, deck, front="Original", back="back", tags=["cell"])
    make_note(client, alice, deck, kind="cloze", front="{{c1::A}} and {{c2::B}}")
    make_deck(client, bob, "Biology (copy)")  # the name is taken: the copy gets the next one
    response = client.post(f"/api/decks/{deck}/copy", headers=bob)
    assert response.status_code == 201, response.text
    copy = response.json()
    assert (copy["name"], copy["owned"], copy["visibility"], copy["note_count"], copy["card_count"]) == (
        "Biology (copy 2)",
        True,
        "private",
        2,
        3,
    )
    assert len(states(client, bob, copy["id"])) == 3
    client.patch(f"/api/notes/{note['id']}", json={"front": "Changed later"}, headers=alice)
    copied = client.get("/api/notes", params={"deck_id": copy["id"]}, headers=bob).json()["items"]
    assert sorted(n["front"] for n in copied) == ["Original", "{{c1::A}} and {{c2::B}}"]
    assert [n["tags"] for n in copied if n["front"] == "Original"] == [["cell"]]
    edit = client.patch(f"/api/notes/{copied[-1]['id']}", json={"front": "bob edits his copy"}, headers=bob)
    assert edit.status_code == 200
    assert client.get(f"/api/notes/{note['id']}", headers=alice).json()["front"] == "Changed later"
    assert sql(client, "SELECT count(*) FROM deck_subscription") == [(0,)]


def test_moving_notes_keeps_subscriber_states_right(client: TestClient, alice: dict, bob: dict, carol: dict) -> None:
    shared = public_deck(client, alice, "Shared")
    other = public_deck(client, alice, "Other")
    note = make_note(client, alice, shared)
    card = note["cards"][0]["id"]
    subscribe(client, bob, shared)
    subscribe(client, carol, other)
    client.post(f"/api/review/{card}", json={"rating": 3}, headers=bob)
    moved = client.post(
        "/api/notes/bulk", json={"note_ids": [note["id"]], "action": "move", "deck_id": other}, headers=alice
    )
    assert moved.status_code == 200, moved.text
    holders = sql(client, "SELECT user_id, deck_id FROM card_state WHERE card_id = ? ORDER BY user_id", card)
    assert holders == [(user_id(client, alice), other), (user_id(client, carol), other)]
    assert sql(client, "SELECT count(*) FROM review_log WHERE card_id = ?", card) == [(1,)]  # bob's log stays
    back = client.patch(f"/api/notes/{note['id']}", json={"deck_id": shared}, headers=alice)
    assert back.status_code == 200
    holders = sql(client, "SELECT user_id, deck_id, state FROM card_state WHERE card_id = ? ORDER BY user_id", card)
    assert holders == [(user_id(client, alice), shared, 0), (user_id(client, bob), shared, 0)]


@pytest.mark.parametrize("ending", ["delete", "private"])
def test_subscribers_get_a_notice_over_rest_and_ws(
    client: TestClient, alice: dict, bob: dict, carol: dict, ending: str
) -> None:
    deck = public_deck(client, alice)
    note = make_note(client, alice, deck)
    subscribe(client, bob, deck)
    client.post(f"/api/review/{note['cards'][0]['id']}", json={"rating": 3}, headers=bob)
    with connected(client, bob) as bob_ws, connected(client, carol) as carol_ws:
        if ending == "delete":
            assert client.delete(f"/api/decks/{deck}", headers=alice).status_code == 204
            expected = "alice deleted the shared deck 'Biology'"
        else:
            response = client.patch(f"/api/decks/{deck}", json={"visibility": "private"}, headers=alice)
            assert response.status_code == 200 and response.json()["subscriber_count"] == 0
            expected = "alice made the shared deck 'Biology' private; it is no longer in your decks"
        event = bob_ws.receive_json()
        assert event["type"] == "notice"
        assert (event["notice"]["message"], event["notice"]["read_at"]) == (expected, None)
        carol_ws.send_json({"type": "ping"})
        assert carol_ws.receive_json() == {"type": "pong"}  # carol never subscribed: no notice for her
    notices = client.get("/api/notices", headers=bob).json()
    assert notices["unread"] == 1 and [n["message"] for n in notices["items"]] == [expected]
    assert notices["items"][0]["kind"] == ("deck_deleted" if ending == "delete" else "deck_private")
    assert client.get("/api/notices", headers=carol).json() == {"items": [], "unread": 0}
    assert client.get("/api/decks", headers=bob).json() == []
    assert sql(client, "SELECT count(*) FROM card_state WHERE user_id = ?", user_id(client, bob)) == [(0,)]
    assert sql(client, "SELECT count(*) FROM deck_subscription") == [(0,)]
    if ending == "private":
        assert sql(client, "SELECT count(*) FROM review_log WHERE user_id = ?", user_id(client, bob)) == [(1,)]
        assert client.post(f"/api/decks/{deck}/subscribe", headers=bob).status_code == 404

    notice_id = notices["items"][0]["id"]
    assert client.post(f"/api/notices/{notice_id}/read", headers=carol).status_code == 404
    read = client.post(f"/api/notices/{notice_id}/read", headers=bob)
    assert read.status_code == 200 and read.json()["read_at"] is not None
    assert client.get("/api/notices", headers=bob).json()["unread"] == 0
    assert client.post("/api/notices/read-all", headers=bob).json() == {"marked": 0}
