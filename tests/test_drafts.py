"""Cards from lectures through the API: a generation job makes cited drafts; the user accepts
(with edits), rejects, or bulk-accepts them; near-duplicates of the deck's cards are flagged."""

from __future__ import annotations

from fastapi.testclient import TestClient

from processing.cardgen.citations import quote_in_page
from tests.conftest import ingest, make_course, make_deck, make_note, sql, wait_for_job
from tests.llm_servers import LLMServer, openai_error, openai_json

LECTURE = """# Cell energy

Photosynthesis is the process by which plants convert light energy into chemical energy stored in glucose.
It takes place in the chloroplasts of leaf cells, which contain the green pigment chlorophyll.

# Respiration

Cellular respiration is the process that releases the energy stored in glucose to make ATP.
Mitochondria are the organelles where aerobic respiration takes place in eukaryotic cells.
Glycolysis splits one glucose molecule into two pyruvate molecules in the cytoplasm.

# Enzymes

An enzyme is a protein that speeds up a chemical reaction without being used up.
The active site is the region of an enzyme where the substrate binds.
"""


def generate(client: TestClient, headers: dict, lecture_id: int, deck_id: int, **fields) -> dict:
    response = client.post(
        f"/api/lectures/{lecture_id}/cards", json={"deck_id": deck_id, "target": 10} | fields, headers=headers
    )
    assert response.status_code == 202, response.text
    return wait_for_job(client, headers, response.json()["id"])


def lecture_with_deck(client: TestClient, headers: dict) -> tuple[dict, int]:
    lecture = ingest(client, headers, make_course(client, headers), "energy.md", LECTURE.encode())
    return lecture, make_deck(client, headers, "Biology")


def page_texts(client: TestClient, headers: dict, lecture_id: int) -> dict[int, str]:
    pages = client.get(f"/api/lectures/{lecture_id}/pages", headers=headers).json()
    return {
        p["number"]: client.get(f"/api/lectures/{lecture_id}/pages/{p['number']}", headers=headers).json()["text"]
        for p in pages
    }


def test_builtin_generation_makes_cited_drafts(client: TestClient, alice: dict) -> None:
    lecture, deck = lecture_with_deck(client, alice)
    job = generate(client, alice, lecture["id"], deck)
    assert job["status"] == "succeeded", job
    result = job["result"]
    assert result["provider"] == "builtin" and result["deck_id"] == deck and 1 <= result["drafts"] <= 10
    drafts = client.get("/api/drafts", params={"deck_id": deck}, headers=alice).json()
    assert len(drafts) == result["drafts"]
    texts = page_texts(client, alice, lecture["id"])
    for draft in drafts:
        assert draft["lecture_title"] == "energy" and draft["status"] == "pending" and draft["job_id"] == job["id"]
        assert quote_in_page(draft["quote"], texts[draft["page"]]), draft
        assert draft["kind"] in ("basic", "cloze") and draft["front"].strip()
    fronts = " ".join(d["front"] for d in drafts)
    assert "Photosynthesis" in fronts or "photosynthesis" in fronts


def test_making_cards_twice_does_not_double_the_drafts(client: TestClient, alice: dict) -> None:
    lecture, deck = lecture_with_deck(client, alice)
    first = generate(client, alice, lecture["id"], deck)
    second = generate(client, alice, lecture["id"], deck)
    assert second["result"]["drafts"] == 0 and second["result"]["already_drafted"] == first["result"]["drafts"]
    assert len(client.get("/api/drafts", params={"deck_id": deck}, headers=alice).json()) == first["result"]["drafts"]


def test_accept_with_edits_reject_and_bulk(client: TestClient, alice: dict) -> None:
    lecture, deck = lecture_with_deck(client, alice)
    generate(client, alice, lecture["id"], deck)
    drafts = client.get("/api/drafts", params={"lecture_id": lecture["id"]}, headers=alice).json()
    assert len(drafts) >= 4
    first, second, *rest = drafts

    edit = {
        "front": "In one sentence: what is photosynthesis?",
        "back": "Light energy → chemical energy",
        "kind": "basic",
    }
    accepted = client.post(f"/api/drafts/{first['id']}/accept", json=edit, headers=alice)
    assert accepted.status_code == 200, accepted.text
    note = accepted.json()["note"]
    assert (note["front"], note["back"], note["deck_id"]) == (edit["front"], edit["back"], deck)
    assert (note["source_lecture_id"], note["source_page"], note["source_quote"]) == (
        lecture["id"],
        first["page"],
        first["quote"],
    )
    assert accepted.json()["draft"]["status"] == "accepted" and accepted.json()["draft"]["note_id"] == note["id"]
    again = client.post(f"/api/drafts/{first['id']}/accept", headers=alice)
    assert (again.status_code, again.json()) == (409, {"detail": "This draft has already been accepted"})

    rejected = client.post(f"/api/drafts/{second['id']}/reject", headers=alice)
    assert rejected.json()["status"] == "rejected"

    ids = [d["id"] for d in rest[:2]]
    bad = client.post("/api/drafts/bulk", json={"draft_ids": [*ids, second["id"]], "action": "accepted"}, headers=alice)
    assert bad.status_code == 409  # the rejected one: nothing accepted
    assert sql(client, "SELECT count(*) FROM note WHERE deck_id = ?", deck) == [(1,)]
    bulk = client.post("/api/drafts/bulk", json={"draft_ids": ids, "action": "accepted"}, headers=alice)
    assert bulk.json() == {"affected": 2}
    assert sql(
        client, "SELECT count(*) FROM note WHERE deck_id = ? AND source_lecture_id = ?", deck, lecture["id"]
    ) == [(3,)]
    pending = client.get("/api/drafts", params={"deck_id": deck}, headers=alice).json()
    assert {d["id"] for d in pending} == {d["id"] for d in rest[2:]}
    # The accepted cards are new cards in review.
    assert client.get("/api/review/next", params={"deck_id": deck}, headers=alice).json()["card"] is not None


def test_near_duplicates_of_the_deck_are_flagged(client: TestClient, alice: dict) -> None:
    lecture, deck = lecture_with_deck(client, alice)
    existing = make_note(
        client,
        alice,
        deck,
        front="What is an enzyme?",
        back="A protein that speeds up a chemical reaction without being used up.",
    )
    generate(client, alice, lecture["id"], deck)
    drafts = client.get("/api/drafts", params={"deck_id": deck}, headers=alice).json()
    flagged = [d for d in drafts if d["duplicate_of_note_id"] == existing["id"]]
    assert flagged, [d["front"] for d in drafts]
    assert all(d["duplicate_score"] >= 0.9 and d["duplicate_front"] == "What is an enzyme?" for d in flagged)
    assert all("enzyme" in (d["front"] + d["back"]).lower() for d in flagged)


def test_generation_refuses_unready_lectures_and_bad_ranges(client: TestClient, alice: dict, bob: dict) -> None:
    lecture, deck = lecture_with_deck(client, alice)
    url = f"/api/lectures/{lecture['id']}/cards"
    outside = client.post(url, json={"deck_id": deck, "first_page": 2, "last_page": 99}, headers=alice)
    assert outside.status_code == 422
    assert (
        outside.json()["detail"] == f"Pages 2–99 are not a range within this lecture (pages 1–{lecture['page_count']})"
    )
    backwards = client.post(url, json={"deck_id": deck, "first_page": 3, "last_page": 2}, headers=alice)
    assert backwards.status_code == 422
    assert client.post(url, json={"deck_id": make_deck(client, bob, "Bob")}, headers=alice).status_code == 404
    assert client.post(url, json={"deck_id": deck, "target": 0}, headers=alice).status_code == 422

    for status, detail in (
        ("processing", "This lecture is still being read; make cards once it is ready"),
        ("failed", "This lecture could not be read; re-process it first"),
    ):
        sql(client, "UPDATE lecture SET status = ? WHERE id = ?", status, lecture["id"])
        refused = client.post(url, json={"deck_id": deck}, headers=alice)
        assert (refused.status_code, refused.json()) == (409, {"detail": detail})
    assert sql(client, "SELECT count(*) FROM job WHERE kind = 'cardgen'") == [(0,)]


def test_a_page_range_limits_the_cited_pages(client: TestClient, alice: dict) -> None:
    lecture, deck = lecture_with_deck(client, alice)
    assert lecture["page_count"] >= 2
    job = generate(client, alice, lecture["id"], deck, first_page=2, last_page=2)
    assert job["result"]["pages_read"] == 1
    drafts = client.get("/api/drafts", params={"job_id": job["id"]}, headers=alice).json()
    assert drafts and {d["page"] for d in drafts} == {2}


def test_provider_info_and_connection_check_for_builtin(client: TestClient, alice: dict) -> None:
    assert client.get("/api/llm", headers=alice).json() == {"provider": "builtin", "model": None, "base_url": None}
    check = client.post("/api/llm/test", headers=alice).json()
    assert check["ok"] is True and "offline" in check["message"]


def test_an_openai_compatible_model_writes_cited_drafts_and_bad_quotes_are_dropped(
    client: TestClient, alice: dict
) -> None:
    lecture, deck = lecture_with_deck(client, alice)
    texts = page_texts(client, alice, lecture["id"])
    page = next(n for n, text in texts.items() if "Mitochondria" in text)
    good = {
        "front": "Where does aerobic respiration take place in eukaryotic cells?",
        "back": "In the mitochondria",
        "type": "basic",
        "page": page,
        "quote": "Mitochondria are the organelles where aerobic respiration takes place in eukaryotic cells.",
    }
    invented = good | {"front": "Who discovered ATP?", "back": "Karl Lohmann", "quote": "ATP was discovered in 1929"}
    with LLMServer() as server:
        server.reply(*[openai_json({"cards": [good, invented]})] + [openai_json({"cards": []})] * 5)
        settings = client.app.state.settings
        client.app.state.settings = settings.model_copy(
            update={"llm": "openai", "openai_base_url": f"{server.url}/v1", "openai_model": "test-model"}
        )
        try:
            job = generate(client, alice, lecture["id"], deck)
        finally:
            client.app.state.settings = settings
        assert server.requests and server.requests[0].body["model"] == "test-model"
    assert job["status"] == "succeeded", job
    assert job["result"]["provider"] == "openai" and job["result"]["dropped_no_quote"] == 1
    drafts = client.get("/api/drafts", params={"job_id": job["id"]}, headers=alice).json()
    assert [(d["front"], d["back"], d["page"]) for d in drafts] == [(good["front"], good["back"], page)]


def test_a_refused_api_key_fails_the_job_with_a_reason(client: TestClient, alice: dict) -> None:
    lecture, deck = lecture_with_deck(client, alice)
    with LLMServer() as server:
        server.reply(openai_error(401, "invalid api key"), openai_error(401, "invalid api key"))
        settings = client.app.state.settings
        client.app.state.settings = settings.model_copy(
            update={"llm": "openai", "openai_base_url": f"{server.url}/v1", "openai_model": "m", "openai_api_key": "k"}
        )
        try:
            job = generate(client, alice, lecture["id"], deck)
            check = client.post("/api/llm/test", headers=alice).json()
        finally:
            client.app.state.settings = settings
    assert job["status"] == "failed"
    assert job["error"] == "The OpenAI-compatible server refused the API key (401). Check OPENAI_API_KEY."
    assert check == {"ok": False, "message": job["error"]}
    assert sql(client, "SELECT count(*) FROM card_draft") == [(0,)]
