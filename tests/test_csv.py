"""CSV/TSV import (preview, mapping, all-or-nothing) and export of a deck, through the API."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.conftest import make_deck, make_note, sql


def preview(client: TestClient, headers: dict, data: bytes, name: str = "cards.csv"):
    return client.post("/api/import/csv/preview", files={"file": (name, data, "text/csv")}, headers=headers)


def import_csv(client: TestClient, headers: dict, deck_id: int, data: bytes, mapping: dict, has_header: bool):
    return client.post(
        "/api/import/csv",
        files={"file": ("cards.csv", data, "text/csv")},
        data={"deck_id": str(deck_id), "mapping": json.dumps(mapping), "has_header": str(has_header).lower()},
        headers=headers,
    )


def notes_of(client: TestClient, headers: dict, deck_id: int) -> list[tuple]:
    items = client.get("/api/notes", params={"deck_id": deck_id, "page_size": 200}, headers=headers).json()["items"]
    return sorted((n["kind"], n["front"], n["back"], tuple(n["tags"])) for n in items)


def test_preview_detects_delimiter_header_and_bom(client: TestClient, alice: dict) -> None:
    data = "\ufeffQuestion;Answer;Tags\nCapital of France?;Paris;geo europe\n2+2;4;math\n".encode()
    body = preview(client, alice, data).json()
    assert body["delimiter"] == ";"
    assert body["has_header"] is True
    assert body["columns"] == ["Question", "Answer", "Tags"]
    assert body["rows"] == [["Capital of France?", "Paris", "geo europe"], ["2+2", "4", "math"]]
    assert body["row_count"] == 2
    assert body["encoding"] == "utf-8-sig"
    assert body["ragged_rows"] == 0


def test_preview_of_a_tsv_without_header(client: TestClient, alice: dict) -> None:
    lines = [f"Word {i}\tMeaning {i}, with a comma" for i in range(15)]
    body = preview(client, alice, "\n".join(lines).encode(), "words.tsv").json()
    assert body["delimiter"] == "\t"
    assert body["has_header"] is False
    assert body["columns"] == ["Column 1", "Column 2"]
    assert len(body["rows"]) == 10 and body["row_count"] == 15
    assert body["encoding"] == "utf-8"


def test_wrong_encoding_names_the_byte_and_line(client: TestClient, alice: dict) -> None:
    data = "front,back\nthé,tea\n".encode() + "café,coffee\n".encode("latin-1")
    response = preview(client, alice, data)
    assert response.status_code == 400
    assert response.json()["detail"] == ("cards.csv is not UTF-8 text (byte 0xE9 at line 3); save it as CSV UTF-8")


def test_empty_and_blank_files_are_refused(client: TestClient, alice: dict) -> None:
    assert preview(client, alice, b"").status_code == 400
    response = preview(client, alice, b"\xef\xbb\xbf\n\n  \n")
    assert response.status_code == 400
    assert "empty" in response.json()["detail"]


def test_ragged_rows_are_counted_in_preview_and_refused_at_import(client: TestClient, alice: dict) -> None:
    deck = make_deck(client, alice)
    data = b"front,back\na,1\nb,2,extra\nc,3\nd\n"
    body = preview(client, alice, data).json()
    assert body["ragged_rows"] == 2 and body["ragged_lines"] == [3, 5]
    response = import_csv(client, alice, deck, data, {"front": 0, "back": 1}, True)
    assert response.status_code == 400
    assert "Lines 3, 5" in response.json()["detail"]
    assert sql(client, "SELECT count(*) FROM note") == [(0,)]


def test_import_creates_rendered_cards_with_kinds_and_tags(client: TestClient, alice: dict) -> None:
    deck = make_deck(client, alice)
    data = (
        b"tags,front,back,kind\n"
        b'"bio cell",What is the powerhouse of the cell?,The **mitochondrion**,basic\n'
        b"chem,Water is {{c1::H2O}},,cloze\n"
        b",Hund,dog,reversed\n"
        b',"Multi\nline, quoted",$e^{i\\pi}+1=0$,typein\n'
    )
    mapping = {"front": 1, "back": 2, "tags": 0, "kind_column": 3}
    response = import_csv(client, alice, deck, data, mapping, True)
    assert response.status_code == 200, response.text
    assert response.json() == {"created": 4, "cards": 5, "deck_id": deck}
    assert notes_of(client, alice, deck) == sorted(
        [
            ("basic", "What is the powerhouse of the cell?", "The **mitochondrion**", ("bio", "cell")),
            ("cloze", "Water is {{c1::H2O}}", "", ("chem",)),
            ("reversed", "Hund", "dog", ()),
            ("typein", "Multi\nline, quoted", "$e^{i\\pi}+1=0$", ()),
        ]
    )
    (html,) = sql(client, "SELECT back_html FROM card JOIN note ON note.id = card.note_id WHERE note.kind='basic'")[0]
    assert "<strong>mitochondrion</strong>" in html


def test_a_bad_row_imports_nothing_and_names_its_line(client: TestClient, alice: dict) -> None:
    deck = make_deck(client, alice)
    data = b"front,back\nok,fine\n,no front\nCloze without deletion,\n"
    response = import_csv(client, alice, deck, data, {"front": 0, "back": 1, "kind": "cloze"}, True)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail.startswith("Nothing was imported: line 2:") and "line 3" in detail and "line 4" in detail
    assert sql(client, "SELECT count(*) FROM note") == [(0,)]
    assert sql(client, "SELECT count(*) FROM card") == [(0,)]


def test_mapping_errors_are_clear(client: TestClient, alice: dict) -> None:
    deck = make_deck(client, alice)
    data = b"a,b\nc,d\n"
    response = import_csv(client, alice, deck, data, {"front": 0, "back": 5}, False)
    assert response.status_code == 422
    assert response.json()["detail"] == "Column 6 (mapped to back) is not in this file: it has 2 columns"
    response = import_csv(client, alice, deck, data, {"front": 0, "back": 0}, False)
    assert response.status_code == 422 and "one field only" in response.json()["detail"]
    response = import_csv(client, alice, deck, data, {"front": 0, "kind": "weird"}, False)
    assert response.status_code == 422 and response.json()["detail"].startswith("mapping.kind")


def test_header_only_file_is_refused(client: TestClient, alice: dict) -> None:
    deck = make_deck(client, alice)
    response = import_csv(client, alice, deck, b"front,back\n", {"front": 0, "back": 1}, True)
    assert response.status_code == 400 and "no rows" in response.json()["detail"]


def test_round_trip_export_then_import_into_another_deck(client: TestClient, alice: dict) -> None:
    source = make_deck(client, alice, "Source")
    make_note(client, alice, source, front="Capital of Italy?", back="Rome", tags=["geo"])
    make_note(client, alice, source, kind="cloze", front="{{c1::Paris}} is in {{c2::France}}", back="extra")
    make_note(client, alice, source, kind="reversed", front="chat", back="cat", tags=["fr", "vocab"])
    make_note(client, alice, source, kind="typein", front='Say "hi"; then, tab\there', back="hi")
    for delimiter in ("comma", "tab"):
        response = client.get(f"/api/decks/{source}/export.csv", params={"delimiter": delimiter}, headers=alice)
        assert response.status_code == 200
        assert response.headers["content-disposition"].startswith("attachment;")
        assert response.text.splitlines()[0] == ("front,back,kind,tags,source" if delimiter == "comma" else
                                                  "front\tback\tkind\ttags\tsource")  # fmt: skip
        target = make_deck(client, alice, f"Copy {delimiter}")
        shown = preview(client, alice, response.content).json()
        assert shown["has_header"] is True and shown["row_count"] == 4
        mapping = {"front": 0, "back": 1, "kind_column": 2, "tags": 3}
        imported = import_csv(client, alice, target, response.content, mapping, True)
        assert imported.status_code == 200, imported.text
        assert notes_of(client, alice, target) == notes_of(client, alice, source)


def test_export_of_empty_deck_and_isolation(client: TestClient, alice: dict, bob: dict) -> None:
    deck = make_deck(client, alice)
    response = client.get(f"/api/decks/{deck}/export.csv", headers=alice)
    assert response.status_code == 409 and "no cards to export" in response.json()["detail"]
    make_note(client, alice, deck)
    response = client.get(f"/api/decks/{deck}/export.csv", headers=bob)
    assert response.status_code == 404 and response.json()["detail"] == "Deck not found"
    response = import_csv(client, bob, deck, b"a,b\n", {"front": 0, "back": 1}, False)
    assert response.status_code == 404 and response.json()["detail"] == "Deck not found"
    assert sql(client, "SELECT count(*) FROM note") == [(1,)]
