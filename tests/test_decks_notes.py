"""Decks and notes over HTTP: CRUD, the cards each note kind makes, validation, sanitizing,
edits that keep review history, tags, list filters, bulk actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_deck, make_note, sql, sql_time


def _cards(client: TestClient, note_id: int) -> list[tuple]:
    return sql(
        client, "SELECT id, ord, front_html, back_html, answer FROM card WHERE note_id = ? ORDER BY ord", note_id
    )


def _note_count(client: TestClient) -> int:
    return sql(client, "SELECT count(*) FROM note")[0][0]


def _preview(client: TestClient, headers: dict, kind: str, front: str, back: str = "") -> list[dict]:
    response = client.post("/api/notes/preview", json={"kind": kind, "front": front, "back": back}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["cards"]


# --- decks ---------------------------------------------------------------------


def test_deck_create_trims_the_name_and_starts_empty(client: TestClient, alice: dict) -> None:
    response = client.post(
        "/api/decks", json={"name": "  Cell biology  ", "description": "Year 1", "visibility": "public"}, headers=alice
    )
    assert response.status_code == 201
    deck = response.json()
    assert deck["name"] == "Cell biology"
    assert deck["description"] == "Year 1"
    assert deck["visibility"] == "public"
    assert {
        k: deck[k] for k in ("note_count", "card_count", "due_count", "new_count", "suspended_count")
    } == dict.fromkeys(("note_count", "card_count", "due_count", "new_count", "suspended_count"), 0)
    assert client.get(f"/api/decks/{deck['id']}", headers=alice).json() == deck
    assert sql(client, "SELECT name FROM deck") == [("Cell biology",)]


@pytest.mark.parametrize(
    "body",
    [{}, {"name": ""}, {"name": "   "}, {"name": "x" * 121}, {"name": "ok", "visibility": "secret"}],
)
def test_deck_create_rejects_bad_input(client: TestClient, alice: dict, body: dict) -> None:
    response = client.post("/api/decks", json=body, headers=alice)
    assert response.status_code == 422
    field = "visibility" if "visibility" in body else "name"
    assert response.json()["detail"].startswith(f"{field}:")
    assert sql(client, "SELECT count(*) FROM deck") == [(0,)]


def test_deck_name_of_120_characters_is_fine(client: TestClient, alice: dict) -> None:
    deck_id = make_deck(client, alice, "x" * 120)
    assert client.get(f"/api/decks/{deck_id}", headers=alice).json()["name"] == "x" * 120


@pytest.mark.parametrize(
    ("first", "second"), [("Biology", "biology"), ("Biology", " BIOLOGY "), ("Écologie", "écologie")]
)
def test_duplicate_deck_name_is_409_case_insensitively(
    client: TestClient, alice: dict, first: str, second: str
) -> None:
    make_deck(client, alice, first)
    response = client.post("/api/decks", json={"name": second}, headers=alice)
    assert response.status_code == 409, response.text
    assert "already have a deck" in response.json()["detail"]
    assert sql(client, "SELECT count(*) FROM deck") == [(1,)]


def test_two_users_may_use_the_same_deck_name(client: TestClient, alice: dict, bob: dict) -> None:
    make_deck(client, alice, "Biology")
    make_deck(client, bob, "Biology")


def test_deck_rename_and_conflicting_rename(client: TestClient, alice: dict) -> None:
    bio = make_deck(client, alice, "Biology")
    make_deck(client, alice, "Chemistry")
    renamed = client.patch(f"/api/decks/{bio}", json={"name": "  Genetics ", "description": "new"}, headers=alice)
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Genetics"
    assert renamed.json()["description"] == "new"
    same_in_other_case = client.patch(f"/api/decks/{bio}", json={"name": "GENETICS"}, headers=alice)
    assert same_in_other_case.status_code == 200
    clash = client.patch(f"/api/decks/{bio}", json={"name": "chemistry"}, headers=alice)
    assert clash.status_code == 409
    assert client.patch(f"/api/decks/{bio}", json={"name": " "}, headers=alice).status_code == 422
    assert sql(client, "SELECT name FROM deck ORDER BY id") == [("GENETICS",), ("Chemistry",)]
    assert [d["name"] for d in client.get("/api/decks", headers=alice).json()] == ["Chemistry", "GENETICS"]


def test_deck_delete_removes_its_notes_and_cards_only(client: TestClient, alice: dict) -> None:
    doomed = make_deck(client, alice, "Doomed")
    kept = make_deck(client, alice, "Kept")
    make_note(client, alice, doomed, kind="reversed", front="F", back="B")
    make_note(client, alice, doomed, kind="cloze", front="{{c1::x}} {{c2::y}} {{c3::z}}")
    survivor = make_note(client, alice, kept, front="stays")
    assert sql(client, "SELECT count(*) FROM card") == [(6,)]
    assert client.get(f"/api/decks/{doomed}", headers=alice).json()["card_count"] == 5
    assert client.delete(f"/api/decks/{doomed}", headers=alice).status_code == 204
    assert client.get(f"/api/decks/{doomed}", headers=alice).status_code == 404
    assert client.delete(f"/api/decks/{doomed}", headers=alice).status_code == 404
    assert sql(client, "SELECT id FROM note") == [(survivor["id"],)]
    assert sql(client, "SELECT count(*) FROM card") == [(1,)]
    assert sql(client, "SELECT count(*) FROM card_state") == [(1,)]
    assert client.get("/api/notes", headers=alice).json()["total"] == 1


# --- note kinds ----------------------------------------------------------------


def test_basic_note_makes_one_card(client: TestClient, alice: dict) -> None:
    deck_id = make_deck(client, alice)
    note = make_note(client, alice, deck_id, front="What is **ATP**?", back="Energy currency")
    assert note["kind"] == "basic"
    assert [(c["ord"], c["state"], c["suspended"], c["due"]) for c in note["cards"]] == [(0, "new", False, None)]
    [(_id, ord_, front_html, back_html, answer)] = _cards(client, note["id"])
    assert (ord_, front_html, back_html, answer) == (
        0,
        "<p>What is <strong>ATP</strong>?</p>",
        "<p>Energy currency</p>",
        None,
    )


def test_reversed_note_makes_two_cards_the_second_is_the_first_turned_round(client: TestClient, alice: dict) -> None:
    deck_id = make_deck(client, alice)
    note = make_note(client, alice, deck_id, kind="reversed", front="chien", back="dog")
    assert [c["ord"] for c in note["cards"]] == [0, 1]
    first, second = _cards(client, note["id"])
    assert first[2:4] == ("<p>chien</p>", "<p>dog</p>")
    assert second[2] == first[3] and second[3] == first[2]
    labels = [c["label"] for c in _preview(client, alice, "reversed", "chien", "dog")]
    assert labels == ["Front → back", "Back → front"]
    empty_back = client.post(
        "/api/notes", json={"deck_id": deck_id, "kind": "reversed", "front": "chat", "back": " "}, headers=alice
    )
    assert empty_back.status_code == 422
    assert "back" in empty_back.json()["detail"]


def test_cloze_note_makes_one_card_per_number(client: TestClient, alice: dict) -> None:
    deck_id = make_deck(client, alice)
    text = "{{c1::Mitochondria}} make {{c2::ATP}}; {{c1::they}} have their own DNA"
    note = make_note(client, alice, deck_id, kind="cloze", front=text, back="Extra *fact*")
    assert [c["ord"] for c in note["cards"]] == [1, 2]
    (_, _, front1, back1, _), (_, _, front2, back2, _) = _cards(client, note["id"])
    assert front1.count('<span class="cloze">[…]</span>') == 2
    assert "Mitochondria" not in front1 and "they" not in front1 and "ATP" in front1
    assert '<span class="cloze">Mitochondria</span>' in back1 and '<span class="cloze">they</span>' in back1
    assert front2.count('<span class="cloze">[…]</span>') == 1 and "Mitochondria" in front2 and "ATP" not in front2
    assert back1.endswith('<div class="extra"><p>Extra <em>fact</em></p></div>')
    assert '<span class="cloze">ATP</span>' in back2


def test_cloze_hint_is_shown_on_the_front(client: TestClient, alice: dict) -> None:
    deck_id = make_deck(client, alice)
    make_note(client, alice, deck_id, kind="cloze", front="The capital of France is {{c1::Paris::city}}.", back="")
    card = client.get("/api/review/next", headers=alice).json()["card"]
    assert card["front_html"] == '<p>The capital of France is <span class="cloze">[city]</span>.</p>'
    assert card["back_html"] == '<p>The capital of France is <span class="cloze">Paris</span>.</p>'
    assert "Paris" not in card["front_html"]


def test_typein_note_answer_is_plain_text(client: TestClient, alice: dict) -> None:
    deck_id = make_deck(client, alice)
    note = make_note(
        client, alice, deck_id, kind="typein", front="Powerhouse of the cell?", back="the  **mitochondrion**"
    )
    assert [c["ord"] for c in note["cards"]] == [0]
    card = client.get("/api/review/next", headers=alice).json()["card"]
    assert card["kind"] == "typein"
    assert card["answer"] == "the mitochondrion"
    assert card["back_html"] == "<p>the  <strong>mitochondrion</strong></p>"


MALFORMED_CLOZES = [
    ("Paris is {{c1::the capital", "Malformed cloze"),
    ("Paris is the capital", "at least one deletion"),
    ("Paris is {{c0::the capital}}", "start at 1"),
    ("Paris is {{c1::}}", "empty"),
    ("Paris is {{c1::   }}", "empty"),
    ("{{c1::a}} and {{c101::b}}", "up to 100"),
    ("Paris is {c1::the capital}", "at least one deletion"),
    ("Paris is {{c1:the capital}}", "Malformed cloze"),
    ("   ", "cannot be empty"),
]


def test_malformed_cloze_is_422_with_a_message_and_nothing_is_stored(client: TestClient, alice: dict) -> None:
    deck_id = make_deck(client, alice)
    for front, words in MALFORMED_CLOZES:
        body = {"deck_id": deck_id, "kind": "cloze", "front": front, "back": ""}
        response = client.post("/api/notes", json=body, headers=alice)
        assert response.status_code == 422, front
        assert words in response.json()["detail"], (front, response.json()["detail"])
        preview = client.post("/api/notes/preview", json=body, headers=alice)
        assert preview.status_code == 422, front
        assert preview.json()["detail"] == response.json()["detail"]
    assert _note_count(client) == 0
    assert sql(client, "SELECT count(*) FROM card") == [(0,)]


@pytest.mark.parametrize("kind", ["basic", "reversed", "typein"])
def test_empty_front_is_422(client: TestClient, alice: dict, kind: str) -> None:
    deck_id = make_deck(client, alice)
    response = client.post(
        "/api/notes", json={"deck_id": deck_id, "kind": kind, "front": " \n ", "back": "b"}, headers=alice
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "The front cannot be empty"
    assert _note_count(client) == 0


@pytest.mark.parametrize("field", ["front", "back"])
def test_field_over_20000_characters_is_422(client: TestClient, alice: dict, field: str) -> None:
    deck_id = make_deck(client, alice)
    body = {"deck_id": deck_id, "kind": "basic", "front": "Q", "back": "A"} | {field: "x" * 20_001}
    response = client.post("/api/notes", json=body, headers=alice)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"{field}:")
    assert _note_count(client) == 0
    make_note(client, alice, deck_id, **{field: "x" * 20_000})


def test_unknown_kind_and_missing_deck_are_rejected(client: TestClient, alice: dict) -> None:
    deck_id = make_deck(client, alice)
    bad_kind = client.post("/api/notes", json={"deck_id": deck_id, "kind": "essay", "front": "Q"}, headers=alice)
    assert bad_kind.status_code == 422 and bad_kind.json()["detail"].startswith("kind:")
    no_deck = client.post("/api/notes", json={"deck_id": 999, "kind": "basic", "front": "Q"}, headers=alice)
    assert no_deck.status_code == 404
    assert _note_count(client) == 0


# --- sanitizing ----------------------------------------------------------------

HOSTILE = (
    "**bold** and $x^2$\n\n$$\\int_0^1 x\\,dx$$\n\n"
    "<script>alert('s')</script>"
    '<img src="pic.png" onerror="alert(\'e\')">'
    "<a href=\"javascript:alert('a')\">link</a> "
    "[md](javascript:alert('m')) "
    '<span onclick="alert(\'c\')" style="color:red" class="math evil">t</span>'
    '<iframe src="https://evil.example"></iframe>'
)


def _assert_clean(html: str) -> None:
    lowered = html.lower()
    for bad in ("<script", "alert('s')", "onerror", "onclick", 'href="javascript', "<iframe", "style=", 'evil"'):
        assert bad not in lowered, (bad, html)
    assert "<strong>bold</strong>" in html
    assert '<span class="math inline">x^2</span>' in html
    assert '<div class="math block">' in html and "\\int_0^1 x\\,dx" in html
    assert '<img src="pic.png">' in html


def test_html_is_sanitized_in_preview_and_in_stored_cards(client: TestClient, alice: dict) -> None:
    for card in _preview(client, alice, "basic", HOSTILE, HOSTILE):
        _assert_clean(card["front_html"])
        _assert_clean(card["back_html"])
    deck_id = make_deck(client, alice)
    make_note(client, alice, deck_id, kind="basic", front=HOSTILE, back=HOSTILE)
    card = client.get("/api/review/next", headers=alice).json()["card"]
    _assert_clean(card["front_html"])
    _assert_clean(card["back_html"])
    # The note itself keeps what was written, so it can be edited.
    assert client.get("/api/notes", headers=alice).json()["items"][0]["front"] == HOSTILE


def test_cloze_deletions_are_sanitized_too(client: TestClient, alice: dict) -> None:
    cards = _preview(
        client, alice, "cloze", "{{c1::<img src=x onerror=alert(1)>**ok**}} and {{c2::<script>x()</script>y}}"
    )
    for card in cards:
        for html in (card["front_html"], card["back_html"]):
            assert "onerror" not in html and "<script" not in html
    assert '<span class="cloze"><img src="x"><strong>ok</strong></span>' in cards[0]["back_html"]


# --- editing -------------------------------------------------------------------


def _state_row(client: TestClient, card_id: int) -> tuple:
    """(state, step, stability, difficulty, due, last_review, reps, lapses, suspended) of a card."""
    return sql(
        client,
        "SELECT state, step, stability, difficulty, due, last_review, reps, lapses, suspended "
        "FROM card_state WHERE card_id = ?",
        card_id,
    )[0]


def test_editing_a_cloze_keeps_surviving_cards_and_drops_vanished_ones(client: TestClient, alice: dict) -> None:
    deck_id = make_deck(client, alice)
    note = make_note(client, alice, deck_id, kind="cloze", front="{{c1::Paris}} is in {{c2::France}}")
    c1_id, c2_id = (c["id"] for c in note["cards"])
    served = client.get("/api/review/next", headers=alice).json()["card"]
    assert served["id"] == c1_id
    assert client.post(f"/api/review/{c1_id}", json={"rating": 3}, headers=alice).status_code == 200
    state_before = _state_row(client, c1_id)
    assert state_before[0] == 1  # learning

    edited = client.patch(
        f"/api/notes/{note['id']}", json={"front": "{{c1::Paris}} is the capital of {{c3::France}}"}, headers=alice
    )
    assert edited.status_code == 200, edited.text
    cards = {c["ord"]: c for c in edited.json()["cards"]}
    assert sorted(cards) == [1, 3]
    assert cards[1]["id"] == c1_id and cards[1]["state"] == "learning"
    assert cards[3]["state"] == "new" and cards[3]["id"] not in (c1_id, c2_id)
    assert _state_row(client, c1_id) == state_before
    assert sql(client, "SELECT count(*) FROM card WHERE id = ?", c2_id) == [(0,)]
    assert sql(client, "SELECT count(*) FROM card_state WHERE card_id = ?", c2_id) == [(0,)]
    (_, _, front1, _, _) = _cards(client, note["id"])[0]
    assert "capital" in front1  # the surviving card shows the new text
    assert len(client.get("/api/review/log", headers=alice).json()) == 1


def test_invalid_edit_changes_nothing(client: TestClient, alice: dict) -> None:
    deck_id = make_deck(client, alice)
    note = make_note(client, alice, deck_id, kind="cloze", front="{{c1::Paris}} is in {{c2::France}}")
    response = client.patch(f"/api/notes/{note['id']}", json={"front": "no deletion left"}, headers=alice)
    assert response.status_code == 422
    assert client.get(f"/api/notes/{note['id']}", headers=alice).json() == note
    assert sql(client, "SELECT count(*) FROM card") == [(2,)]


def test_changing_the_kind_rebuilds_the_cards(client: TestClient, alice: dict) -> None:
    deck_id = make_deck(client, alice)
    note = make_note(client, alice, deck_id, kind="basic", front="chien", back="dog")
    basic_card = note["cards"][0]["id"]
    reversed_note = client.patch(f"/api/notes/{note['id']}", json={"kind": "reversed"}, headers=alice).json()
    assert [(c["ord"], c["id"] == basic_card) for c in reversed_note["cards"]] == [(0, True), (1, False)]
    cloze = client.patch(
        f"/api/notes/{note['id']}", json={"kind": "cloze", "front": "{{c1::chien}} = dog"}, headers=alice
    ).json()
    assert [c["ord"] for c in cloze["cards"]] == [1]
    assert sql(client, "SELECT count(*) FROM card") == [(1,)]


def test_editing_moves_between_own_decks_and_updates_search(client: TestClient, alice: dict) -> None:
    bio = make_deck(client, alice, "Biology")
    chem = make_deck(client, alice, "Chemistry")
    note = make_note(client, alice, bio, front="ribosome", back="protein factory", tags=["cell"])
    moved = client.patch(f"/api/notes/{note['id']}", json={"deck_id": chem, "front": "lysosome"}, headers=alice).json()
    assert moved["deck_id"] == chem and moved["tags"] == ["cell"] and moved["back"] == "protein factory"
    assert client.get("/api/notes?q=ribosome", headers=alice).json()["total"] == 0
    assert client.get("/api/notes?q=lysosome", headers=alice).json()["total"] == 1
    assert client.get(f"/api/decks/{bio}", headers=alice).json()["note_count"] == 0
    assert client.get(f"/api/decks/{chem}", headers=alice).json()["note_count"] == 1
    gone = client.patch(f"/api/notes/{note['id']}", json={"deck_id": 999}, headers=alice)
    assert gone.status_code == 404
    assert client.get(f"/api/notes/{note['id']}", headers=alice).json()["deck_id"] == chem


def test_moved_cards_follow_their_note_in_counts_and_queues(client: TestClient, alice: dict) -> None:
    bio = make_deck(client, alice, "Biology")
    chem = make_deck(client, alice, "Chemistry")
    pair = make_note(client, alice, bio, kind="reversed", front="acid", back="proton donor")
    single = make_note(client, alice, bio, front="cell")

    def card_count(deck_id: int) -> int:
        return client.get(f"/api/decks/{deck_id}", headers=alice).json()["card_count"]

    def queue(deck_id: int) -> dict:
        return client.get(f"/api/review/next?deck_id={deck_id}", headers=alice).json()

    assert client.patch(f"/api/notes/{pair['id']}", json={"deck_id": chem}, headers=alice).status_code == 200
    assert (card_count(bio), card_count(chem)) == (1, 2)
    assert queue(chem)["counts"]["new"] == 2
    assert queue(chem)["card"]["note_id"] == pair["id"]
    assert queue(bio)["card"]["note_id"] == single["id"]

    _bulk(client, alice, note_ids=[single["id"]], action="move", deck_id=chem)
    assert (card_count(bio), card_count(chem)) == (0, 3)
    assert queue(bio) == {"card": None, "counts": {"new": 0, "learning": 0, "review": 0}}
    assert queue(chem)["counts"]["new"] == 3
    assert client.get(f"/api/decks/{bio}", headers=alice).json()["new_count"] == 0
    assert sql(client, "SELECT DISTINCT deck_id FROM card_state") == [(chem,)]
    # Deleting the emptied deck leaves the moved cards alone.
    assert client.delete(f"/api/decks/{bio}", headers=alice).status_code == 204
    assert sql(client, "SELECT count(*) FROM card_state") == [(3,)]


def test_delete_note(client: TestClient, alice: dict) -> None:
    deck_id = make_deck(client, alice)
    note = make_note(client, alice, deck_id, kind="reversed", front="uno", back="one")
    assert client.delete(f"/api/notes/{note['id']}", headers=alice).status_code == 204
    assert client.get(f"/api/notes/{note['id']}", headers=alice).status_code == 404
    assert sql(client, "SELECT count(*) FROM card") == [(0,)]
    assert sql(client, "SELECT count(*) FROM card_state") == [(0,)]
    assert client.get("/api/notes?q=uno", headers=alice).json()["total"] == 0


# --- tags ----------------------------------------------------------------------


def test_tags_are_normalized(client: TestClient, alice: dict) -> None:
    deck_id = make_deck(client, alice)
    note = make_note(client, alice, deck_id, tags=["Zoo", "alpha", "ALPHA", " beta ", "", "ch:1/a.b_c-d"])
    assert note["tags"] == ["alpha", "beta", "ch:1/a.b_c-d", "zoo"]
    assert sql(client, "SELECT tags FROM note") == [(" alpha beta ch:1/a.b_c-d zoo ",)]
    edited = client.patch(f"/api/notes/{note['id']}", json={"tags": ["Gamma"]}, headers=alice).json()
    assert edited["tags"] == ["gamma"]
    cleared = client.patch(f"/api/notes/{note['id']}", json={"tags": []}, headers=alice).json()
    assert cleared["tags"] == []


@pytest.mark.parametrize("tag", ["two words", "semi;colon", "x" * 65, "tab\there"])
def test_bad_tag_is_422(client: TestClient, alice: dict, tag: str) -> None:
    deck_id = make_deck(client, alice)
    response = client.post("/api/notes", json={"deck_id": deck_id, "front": "Q", "tags": ["ok", tag]}, headers=alice)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("tags:")
    assert _note_count(client) == 0


def test_too_many_tags_is_422(client: TestClient, alice: dict) -> None:
    deck_id = make_deck(client, alice)
    tags = [f"t{i}" for i in range(51)]
    response = client.post("/api/notes", json={"deck_id": deck_id, "front": "Q", "tags": tags}, headers=alice)
    assert response.status_code == 422


def test_tag_counts(client: TestClient, alice: dict, bob: dict) -> None:
    deck_id = make_deck(client, alice)
    make_note(client, alice, deck_id, tags=["cell", "exam"])
    make_note(client, alice, deck_id, tags=["cell"])
    make_note(client, alice, deck_id)
    make_note(client, bob, make_deck(client, bob), tags=["cell", "bobs"])
    assert client.get("/api/tags", headers=alice).json() == [{"tag": "cell", "count": 2}, {"tag": "exam", "count": 1}]


# --- listing -------------------------------------------------------------------


@pytest.fixture
def library(client: TestClient, alice: dict) -> dict:
    """Two decks of alice's notes with known words, tags and kinds."""
    bio = make_deck(client, alice, "Biology")
    chem = make_deck(client, alice, "Chemistry")
    notes = {
        "cafe": make_note(client, alice, bio, front="Le Café de Flore", back="Paris", tags=["french"]),
        "enzyme": make_note(client, alice, bio, front="Enzymes lower activation energy", tags=["cell", "exam"]),
        "cloze": make_note(
            client, alice, bio, kind="cloze", front="{{c1::Osmosis}} moves {{c2::water}}", tags=["cell"]
        ),
        "acid": make_note(client, alice, chem, front="pH of an acid", back="below 7", tags=["exam"]),
        "tag_": make_note(client, alice, chem, front="underscore", tags=["my_tag"]),
    }
    return {"bio": bio, "chem": chem, "notes": {k: v["id"] for k, v in notes.items()}, "cards": notes}


def _ids(client: TestClient, headers: dict, query: str = "") -> list[int]:
    response = client.get(f"/api/notes{query}", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return [item["id"] for item in body["items"]]


def test_list_by_deck_and_tag(client: TestClient, alice: dict, library: dict) -> None:
    n = library["notes"]
    assert _ids(client, alice) == sorted(n.values(), reverse=True)
    assert _ids(client, alice, f"?deck_id={library['chem']}") == [n["tag_"], n["acid"]]
    assert _ids(client, alice, "?tag=cell") == [n["cloze"], n["enzyme"]]
    assert _ids(client, alice, "?tag=EXAM") == [n["acid"], n["enzyme"]]
    assert _ids(client, alice, f"?tag=exam&deck_id={library['bio']}") == [n["enzyme"]]
    assert _ids(client, alice, "?tag=ce") == []
    assert client.get("/api/notes?deck_id=999", headers=alice).status_code == 404


def test_tag_filter_is_literal(client: TestClient, alice: dict, library: dict) -> None:
    """`_` and `%` are ordinary characters in a tag, not wildcards."""
    deck_id = library["chem"]
    decoy = make_note(client, alice, deck_id, front="decoy", tags=["myxtag"])["id"]
    assert _ids(client, alice, "?tag=my_tag") == [library["notes"]["tag_"]]
    assert decoy not in _ids(client, alice, "?tag=my_tag")
    impossible = client.get("/api/notes?tag=%", headers=alice)  # no tag can hold "%": say so
    assert impossible.status_code == 422
    assert "may only use" in impossible.json()["detail"]


SEARCHES = [
    ("cafe", ["cafe"]),
    ("CAFÉ", ["cafe"]),
    ("caf", ["cafe"]),
    ("enzym activation", ["enzyme"]),
    ("energy paris", []),
    ("osmosis", ["cloze"]),
    ("below", ["acid"]),
    ("exam", ["acid", "enzyme"]),
    ('" OR *', []),
    ("-- ;", []),
    ("note_fts", []),
]


def test_full_text_search(client: TestClient, alice: dict, library: dict) -> None:
    """Prefix match on every word, case- and diacritics-insensitive; FTS syntax in the query is just text."""
    n = library["notes"]
    for q, expected in SEARCHES:
        response = client.get("/api/notes", params={"q": q}, headers=alice)
        assert response.status_code == 200, q
        found = [i["id"] for i in response.json()["items"]]
        assert found == sorted((n[k] for k in expected), reverse=True), q


def test_status_filters(client: TestClient, alice: dict, library: dict) -> None:
    n = library["notes"]
    cloze_cards = library["cards"]["cloze"]["cards"]
    acid_card = library["cards"]["acid"]["cards"][0]["id"]
    enzyme_card = library["cards"]["enzyme"]["cards"][0]["id"]
    # acid: learning (rated Good) and then made due; enzyme: review (rated Easy); cafe: suspended.
    assert client.post(f"/api/review/{acid_card}", json={"rating": 3}, headers=alice).status_code == 200
    assert client.post(f"/api/review/{enzyme_card}", json={"rating": 4}, headers=alice).status_code == 200
    assert _ids(client, alice, "?status=due") == []
    past = sql_time(datetime.now(UTC) - timedelta(minutes=1))
    sql(client, "UPDATE card_state SET due = ? WHERE card_id = ?", past, acid_card)
    bulk = client.post("/api/notes/bulk", json={"note_ids": [n["cafe"]], "action": "suspend"}, headers=alice)
    assert bulk.status_code == 200
    # One of the cloze's two cards is reviewed: the note is both "new" and "learning".
    assert client.post(f"/api/review/{cloze_cards[0]['id']}", json={"rating": 1}, headers=alice).status_code == 200

    assert _ids(client, alice, "?status=due") == [n["acid"]]
    assert _ids(client, alice, "?status=learning") == [n["acid"], n["cloze"]]
    assert _ids(client, alice, "?status=review") == [n["enzyme"]]
    assert _ids(client, alice, "?status=suspended") == [n["cafe"]]
    assert _ids(client, alice, "?status=new") == [n["tag_"], n["cloze"]]
    assert _ids(client, alice, f"?status=new&deck_id={library['bio']}") == [n["cloze"]]
    bad = client.get("/api/notes?status=overdue", headers=alice)
    assert bad.status_code == 422 and "status" in bad.json()["detail"]


def test_pagination(client: TestClient, alice: dict) -> None:
    deck_id = make_deck(client, alice)
    created = [make_note(client, alice, deck_id, front=f"note {i}")["id"] for i in range(7)]
    seen = []
    for page in (1, 2, 3, 4):
        body = client.get(f"/api/notes?page={page}&page_size=3", headers=alice).json()
        assert (body["total"], body["page"], body["page_size"]) == (7, page, 3)
        seen.extend(item["id"] for item in body["items"])
    assert seen == sorted(created, reverse=True)
    assert client.get("/api/notes?page_size=200", headers=alice).status_code == 200
    for query in ("page_size=201", "page_size=0", "page=0"):
        response = client.get(f"/api/notes?{query}", headers=alice)
        assert response.status_code == 422, query
        assert response.json()["detail"].startswith(query.split("=")[0])
    assert client.get("/api/notes", headers=alice).json()["page_size"] == 50


# --- bulk ----------------------------------------------------------------------


def _bulk(client: TestClient, headers: dict, **body) -> dict:
    response = client.post("/api/notes/bulk", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _snapshot(client: TestClient) -> dict:
    return {
        "note": sql(client, "SELECT id, deck_id, tags, front, back FROM note ORDER BY id"),
        "card": sql(client, "SELECT id, note_id, ord FROM card ORDER BY id"),
        "card_state": sql(client, "SELECT * FROM card_state ORDER BY user_id, card_id"),
    }


def test_bulk_move(client: TestClient, alice: dict, library: dict) -> None:
    n = library["notes"]
    result = _bulk(client, alice, note_ids=[n["cafe"], n["enzyme"], n["cafe"]], action="move", deck_id=library["chem"])
    assert result == {"affected": 2}
    assert sql(client, "SELECT id FROM note WHERE deck_id = ? ORDER BY id", library["chem"]) == [
        (n["cafe"],),
        (n["enzyme"],),
        (n["acid"],),
        (n["tag_"],),
    ]
    assert sql(client, "SELECT id FROM note WHERE deck_id = ?", library["bio"]) == [(n["cloze"],)]
    missing_deck = client.post("/api/notes/bulk", json={"note_ids": [n["cloze"]], "action": "move"}, headers=alice)
    assert missing_deck.status_code == 422


def test_bulk_tags(client: TestClient, alice: dict, library: dict) -> None:
    n = library["notes"]
    assert _bulk(client, alice, note_ids=[n["cafe"], n["acid"]], action="add_tags", tags=["Review", "exam"]) == {
        "affected": 2
    }
    tags = dict(sql(client, "SELECT id, tags FROM note"))
    assert tags[n["cafe"]] == " exam french review "
    assert tags[n["acid"]] == " exam review "
    assert tags[n["enzyme"]] == " cell exam "
    _bulk(client, alice, note_ids=[n["acid"], n["enzyme"]], action="remove_tags", tags=["exam", "absent"])
    tags = dict(sql(client, "SELECT id, tags FROM note"))
    assert tags[n["acid"]] == " review "
    assert tags[n["enzyme"]] == " cell "
    assert tags[n["cafe"]] == " exam french review "
    assert client.get("/api/notes?tag=exam", headers=alice).json()["total"] == 1
    no_tags = client.post("/api/notes/bulk", json={"note_ids": [n["acid"]], "action": "add_tags"}, headers=alice)
    assert no_tags.status_code == 422


def test_bulk_suspend_and_unsuspend(client: TestClient, alice: dict, library: dict) -> None:
    n = library["notes"]
    _bulk(client, alice, note_ids=[n["cloze"], n["acid"]], action="suspend")
    suspended = sql(
        client,
        "SELECT note.id, card_state.suspended FROM card_state JOIN card ON card.id = card_state.card_id "
        "JOIN note ON note.id = card.note_id ORDER BY card.id",
    )
    assert {(note_id, flag) for note_id, flag in suspended} == {
        (n["cafe"], 0),
        (n["enzyme"], 0),
        (n["cloze"], 1),
        (n["acid"], 1),
        (n["tag_"], 0),
    }
    assert client.get(f"/api/decks/{library['bio']}", headers=alice).json()["suspended_count"] == 2
    _bulk(client, alice, note_ids=[n["cloze"]], action="unsuspend")
    assert sql(client, "SELECT sum(suspended) FROM card_state") == [(1,)]
    assert client.get("/api/notes?status=suspended", headers=alice).json()["items"][0]["id"] == n["acid"]


def test_bulk_delete(client: TestClient, alice: dict, library: dict) -> None:
    n = library["notes"]
    assert _bulk(client, alice, note_ids=[n["cloze"], n["acid"]], action="delete") == {"affected": 2}
    assert sorted(r[0] for r in sql(client, "SELECT id FROM note")) == sorted([n["cafe"], n["enzyme"], n["tag_"]])
    assert sql(client, "SELECT count(*) FROM card") == [(3,)]
    assert sql(client, "SELECT count(*) FROM card_state") == [(3,)]
    assert client.get("/api/notes?q=osmosis", headers=alice).json()["total"] == 0


def test_bulk_with_a_missing_or_foreign_id_changes_nothing(
    client: TestClient, alice: dict, bob: dict, library: dict
) -> None:
    n = library["notes"]
    bobs_note = make_note(client, bob, make_deck(client, bob))["id"]
    before = _snapshot(client)
    actions = {
        "move": {"deck_id": library["chem"]},
        "add_tags": {"tags": ["fresh"]},
        "remove_tags": {"tags": ["cell"]},
        "suspend": {},
        "unsuspend": {},
        "delete": {},
    }
    for action, extra in actions.items():
        for stranger in (999_999, bobs_note):
            body = {"note_ids": [n["cafe"], n["enzyme"], stranger], "action": action} | extra
            response = client.post("/api/notes/bulk", json=body, headers=alice)
            assert response.status_code == 404, (action, stranger)
            assert "nothing was changed" in response.json()["detail"]
    assert _snapshot(client) == before
    # The same requests without the stranger do change things, so the snapshot can tell.
    _bulk(client, alice, note_ids=[n["cafe"], n["enzyme"]], action="move", deck_id=library["chem"])
    assert _snapshot(client) != before


def test_bulk_move_into_a_foreign_deck_changes_nothing(
    client: TestClient, alice: dict, bob: dict, library: dict
) -> None:
    bobs_deck = make_deck(client, bob)
    before = _snapshot(client)
    body = {"note_ids": [library["notes"]["cafe"]], "action": "move", "deck_id": bobs_deck}
    assert client.post("/api/notes/bulk", json=body, headers=alice).status_code == 404
    assert _snapshot(client) == before


def test_bulk_needs_at_least_one_id(client: TestClient, alice: dict) -> None:
    response = client.post("/api/notes/bulk", json={"note_ids": [], "action": "delete"}, headers=alice)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("note_ids:")
