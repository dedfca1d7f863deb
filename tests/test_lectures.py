"""Lectures end to end through the API: real files made here, real Tesseract, the real embedding
model; pages, images, chunks and search checked against what went in."""

from __future__ import annotations

import io
import sqlite3
from contextlib import closing
from pathlib import Path

from fastapi.testclient import TestClient
from PIL import Image

from db import chunk_search_ranked
from processing import ocr
from processing.ingest import Ingest, IngestOptions
from tests.conftest import ingest, make_course, sql, upload, user_id, wait_for_lecture
from tests.documents import SCANNED_LINES, TEXT_PAGES, add_scanned_page, add_text_page, new_pdf, render_text


def pages_of(client: TestClient, headers: dict, lecture_id: int) -> list[dict]:
    response = client.get(f"/api/lectures/{lecture_id}/pages", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def page_text(client: TestClient, headers: dict, lecture_id: int, number: int) -> str:
    response = client.get(f"/api/lectures/{lecture_id}/pages/{number}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["text"]


def webp_size(client: TestClient, headers: dict, lecture_id: int, number: int, kind: str) -> tuple[int, int]:
    response = client.get(f"/api/lectures/{lecture_id}/pages/{number}/{kind}", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/webp"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "WEBP"
    return image.size


def search(client: TestClient, headers: dict, q: str, **params) -> dict:
    response = client.get("/api/search", params={"q": q} | params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_text_pdf_becomes_pages_images_chunks_and_is_searchable(
    client: TestClient, alice: dict, text_pdf: Path
) -> None:
    course = make_course(client, alice)
    response = upload(client, alice, course, "Cell biology.pdf", text_pdf.read_bytes())
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["lecture"]["title"] == "Cell biology"
    assert body["lecture"]["file_kind"] == "pdf" and body["lecture"]["page_count"] == 3
    assert body["job"]["kind"] == "ingest" and body["job"]["params"] == {"lecture_id": body["lecture"]["id"]}
    lecture = wait_for_lecture(client, alice, body["lecture"]["id"])
    assert lecture["status"] == "ready" and lecture["error"] is None
    assert (lecture["page_count"], lecture["ocr_page_count"]) == (3, 0)

    pages = pages_of(client, alice, lecture["id"])
    assert [(p["number"], p["source"], p["ocr_confidence"], p["has_image"]) for p in pages] == [
        (n, "text", None, True) for n in (1, 2, 3)
    ]
    for number, sentence in enumerate(TEXT_PAGES, start=1):
        assert " ".join(page_text(client, alice, lecture["id"], number).split()) == sentence
        width, height = webp_size(client, alice, lecture["id"], number, "image")
        assert width == 1275 and abs(height - 825) <= 1  # 8.5 × 5.5 inches at 150 DPI
        assert webp_size(client, alice, lecture["id"], number, "thumb")[0] == 240
    job = client.get(f"/api/jobs/{lecture['job_id']}", headers=alice).json()
    assert job["status"] == "succeeded"
    assert job["result"] | {"seconds": 0} == {
        "lecture_id": lecture["id"],
        "pages": 3,
        "ocr_pages": 0,
        "ocr_pages_resumed": 0,
        "low_confidence_pages": [],
        "empty_pages": [],
        "chunks": 3,
        "embedded": True,
        "page_images": "pdf",
        "seconds": 0,
    }
    chunks = sql(client, "SELECT page, length(embedding) FROM lecture_chunk WHERE lecture_id = ?", lecture["id"])
    assert sorted(chunks) == [(1, 384 * 4), (2, 384 * 4), (3, 384 * 4)]

    # Words in another form (stemming) and in other words altogether (meaning).
    keyword = search(client, alice, "enzyme activation")
    assert keyword["semantic"] is True
    top = keyword["results"][0]
    assert (top["lecture_id"], top["page"], top["course_id"]) == (lecture["id"], 3, course)
    assert top["lecture_title"] == "Cell biology"
    assert "<mark>Enzymes</mark>" in top["snippet"] and "<mark>activation</mark>" in top["snippet"]
    meaning = search(client, alice, "how plants turn sunlight into sugar")
    assert meaning["results"][0]["page"] == 1
    assert "semantic" in meaning["results"][0]["matched"]
    assert len({(r["lecture_id"], r["page"]) for r in meaning["results"]}) == len(meaning["results"])


def test_scanned_pages_are_ocred_and_text_pages_are_not(client: TestClient, alice: dict, mixed_pdf: Path) -> None:
    course = make_course(client, alice)
    lecture = ingest(client, alice, course, "mixed.pdf", mixed_pdf.read_bytes())
    assert (lecture["page_count"], lecture["ocr_page_count"]) == (4, 2)
    pages = {p["number"]: p for p in pages_of(client, alice, lecture["id"])}
    assert [pages[n]["source"] for n in (1, 2, 3, 4)] == ["text", "ocr", "ocr", "text"]
    for number, lines in ((2, SCANNED_LINES[0]), (3, SCANNED_LINES[1])):
        assert pages[number]["ocr_confidence"] > 80
        assert " ".join(page_text(client, alice, lecture["id"], number).split()) == " ".join(lines)
    assert "cid" not in page_text(client, alice, lecture["id"], 3)  # the junk layer was replaced
    hit = search(client, alice, "chlorophyll pigments")["results"][0]
    assert (hit["lecture_id"], hit["page"]) == (lecture["id"], 3)


def test_a_scan_under_a_short_real_text_layer_is_ocred_too(client: TestClient, alice: dict, tmp_path: Path) -> None:
    header = "Introduction to Cell Biology, lecture four"
    pdf = new_pdf()
    add_scanned_page(pdf, render_text(SCANNED_LINES[2]))
    pdf.set_xy(0.3, 0.1)
    pdf.cell(text=header)  # a real, visible, short text layer: the scanner's caption
    add_text_page(pdf, TEXT_PAGES[0])
    path = tmp_path / "captioned.pdf"
    pdf.output(str(path))
    lecture = ingest(client, alice, make_course(client, alice), "captioned.pdf", path.read_bytes())
    pages = pages_of(client, alice, lecture["id"])
    assert [p["source"] for p in pages] == ["ocr", "text"]
    text = page_text(client, alice, lecture["id"], 1)
    assert text.startswith(header)
    assert " ".join(SCANNED_LINES[2]) in " ".join(text.split())


def test_pptx_slides_with_table_notes_and_picture_text(client: TestClient, alice: dict, sample_pptx: Path) -> None:
    course = make_course(client, alice)
    lecture = ingest(client, alice, course, "slides.pptx", sample_pptx.read_bytes())
    assert lecture["file_kind"] == "pptx" and lecture["page_count"] == 2
    pages = pages_of(client, alice, lecture["id"])
    assert [(p["source"], p["has_image"]) for p in pages] == [("slide", True), ("slide", True)]
    text = page_text(client, alice, lecture["id"], 1)
    for expected in ("Cell Biology", "Prokaryotes lack a nucleus", "DNA storage", "membrane quiz", "Golgi apparatus"):
        assert expected in text
    job = client.get(f"/api/jobs/{lecture['job_id']}", headers=alice).json()
    assert job["result"]["page_images"] == "libreoffice"  # the set-up installs it
    width, height = webp_size(client, alice, lecture["id"], 1, "image")
    assert width == 1600 and abs(height - 900) <= 1  # 13.33 × 7.5 inch slides, long side 1600
    hit = search(client, alice, "Golgi")["results"][0]
    assert (hit["lecture_id"], hit["page"]) == (lecture["id"], 1)
    # LibreOffice drew the picture: its text is in the image; OCR the viewer image to see it.
    image = client.get(f"/api/lectures/{lecture['id']}/pages/1/image", headers=alice).content
    assert "Golgi" in ocr.ocr_image(Image.open(io.BytesIO(image)).convert("L")).text


def test_without_libreoffice_slides_get_a_text_rendering(client: TestClient, alice: dict, sample_pptx: Path) -> None:
    app = client.app
    options = IngestOptions(libreoffice=None, on_chunks_changed=app.state.vector_index.invalidate)
    plain = Ingest(database=app.state.db, storage=app.state.storage, embedder=app.state.embedder, options=options)
    app.state.jobs.register("ingest", plain)
    lecture = ingest(client, alice, make_course(client, alice), "slides.pptx", sample_pptx.read_bytes())
    job = client.get(f"/api/jobs/{lecture['job_id']}", headers=alice).json()
    assert job["result"]["page_images"] == "slide-text"
    image = client.get(f"/api/lectures/{lecture['id']}/pages/1/image", headers=alice).content
    recognised = ocr.ocr_image(Image.open(io.BytesIO(image)).convert("L")).text
    assert "Cell Biology" in recognised and "Prokaryotes" in recognised


def test_photo_with_exif_rotation_is_turned_upright_before_ocr(client: TestClient, alice: dict) -> None:
    lines = ["Osmosis moves water across", "a semipermeable membrane."]
    upright = render_text(lines, dpi=200).convert("RGB")
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # as a phone held sideways stores it
    exif = Image.Exif()
    exif[0x0112] = 6  # "turn 90° clockwise to display"
    buffer = io.BytesIO()
    stored.save(buffer, format="JPEG", quality=90, exif=exif)
    course = make_course(client, alice)
    lecture = ingest(client, alice, course, "IMG_2041.jpg", buffer.getvalue())
    assert (lecture["file_kind"], lecture["page_count"], lecture["ocr_page_count"]) == ("jpeg", 1, 1)
    assert " ".join(page_text(client, alice, lecture["id"], 1).split()) == " ".join(lines)
    width, height = webp_size(client, alice, lecture["id"], 1, "image")
    assert width > height  # shown the right way round


def test_markdown_notes_are_paged_by_heading(client: TestClient, alice: dict) -> None:
    notes = "# Genetics\n\nAlleles are variants of a gene.\n\n# Evolution\n\nNatural selection favours fit traits.\n"
    course = make_course(client, alice)
    lecture = ingest(client, alice, course, "notes.md", notes.encode())
    assert lecture["file_kind"] == "text"
    pages = pages_of(client, alice, lecture["id"])
    assert [(p["source"], p["has_image"]) for p in pages] == [("text", False)] * len(pages)
    assert "Alleles" in page_text(client, alice, lecture["id"], 1)
    assert client.get(f"/api/lectures/{lecture['id']}/pages/1/image", headers=alice).status_code == 404


def test_delete_removes_rows_and_files(client: TestClient, alice: dict, text_pdf: Path) -> None:
    course = make_course(client, alice)
    lecture = ingest(client, alice, course, "cells.pdf", text_pdf.read_bytes())
    data_dir = client.app.state.settings.data_dir
    assert (data_dir / "uploads" / str(lecture["id"]) / "original.pdf").read_bytes() == text_pdf.read_bytes()
    assert len(list((data_dir / "pages" / str(lecture["id"])).iterdir())) == 6
    assert search(client, alice, "mitochondria")["results"]

    assert client.delete(f"/api/lectures/{lecture['id']}", headers=alice).status_code == 204
    for table in ("lecture", "lecture_page", "lecture_chunk"):
        column = "id" if table == "lecture" else "lecture_id"
        assert sql(client, f"SELECT count(*) FROM {table} WHERE {column} = ?", lecture["id"]) == [(0,)]
    assert sql(client, "SELECT count(*) FROM lecture_chunk_fts WHERE lecture_chunk_fts MATCH 'mitochondria'") == [(0,)]
    assert not (data_dir / "uploads" / str(lecture["id"])).exists()
    assert not (data_dir / "pages" / str(lecture["id"])).exists()
    assert search(client, alice, "mitochondria")["results"] == []
    assert client.get(f"/api/lectures/{lecture['id']}", headers=alice).status_code == 404
    # The same file can be uploaded again once its lecture is gone.
    assert upload(client, alice, course, "cells.pdf", text_pdf.read_bytes()).status_code == 202


def test_reprocess_replaces_pages_and_deleting_a_course_takes_its_lectures(
    client: TestClient, alice: dict, text_pdf: Path
) -> None:
    course = make_course(client, alice)
    lecture = ingest(client, alice, course, "cells.pdf", text_pdf.read_bytes())
    response = client.post(f"/api/lectures/{lecture['id']}/reprocess", headers=alice)
    assert response.status_code == 202, response.text
    assert response.json()["lecture"]["status"] == "queued"
    again = wait_for_lecture(client, alice, lecture["id"])
    assert again["status"] == "ready" and again["job_id"] == response.json()["job"]["id"]
    assert sql(client, "SELECT count(*) FROM lecture_page WHERE lecture_id = ?", lecture["id"]) == [(3,)]
    assert sql(client, "SELECT count(*) FROM lecture_chunk WHERE lecture_id = ?", lecture["id"]) == [(3,)]

    courses = client.get("/api/courses", headers=alice).json()
    assert [(c["id"], c["lecture_count"]) for c in courses] == [(course, 1)]
    assert client.delete(f"/api/courses/{course}", headers=alice).status_code == 204
    assert sql(client, "SELECT count(*) FROM lecture WHERE owner_id = ?", user_id(client, alice)) == [(0,)]
    assert not (client.app.state.settings.data_dir / "pages" / str(lecture["id"])).exists()


def test_courses_have_unique_names_and_lectures_can_move(client: TestClient, alice: dict) -> None:
    first = make_course(client, alice, "Physics")
    assert client.post("/api/courses", json={"name": " Physics "}, headers=alice).status_code == 409
    assert client.post("/api/courses", json={"name": "  "}, headers=alice).status_code == 422
    second = make_course(client, alice, "Chemistry")
    renamed = client.patch(f"/api/courses/{second}", json={"name": "Organic chemistry"}, headers=alice)
    assert renamed.json()["name"] == "Organic chemistry"
    lecture = ingest(client, alice, first, "waves.txt", b"Waves carry energy without carrying matter.")
    moved = client.patch(f"/api/lectures/{lecture['id']}", json={"course_id": second, "title": "Waves"}, headers=alice)
    assert (moved.json()["course_id"], moved.json()["title"]) == (second, "Waves")
    listed = client.get("/api/lectures", params={"course_id": second}, headers=alice).json()
    assert [item["id"] for item in listed] == [lecture["id"]]
    assert client.get("/api/lectures", params={"course_id": first}, headers=alice).json() == []
    scoped = search(client, alice, "waves energy", course_id=first)
    assert scoped["results"] == []
    assert search(client, alice, "waves energy", course_id=second)["results"][0]["lecture_id"] == lecture["id"]


def test_search_refuses_empty_and_huge_queries(client: TestClient, alice: dict) -> None:
    assert client.get("/api/search", params={"q": "   "}, headers=alice).json() == {
        "detail": "Type something to search for"
    }
    assert client.get("/api/search", params={"q": "x" * 501}, headers=alice).status_code == 422
    # A fresh app has not loaded the model: keyword results now, and the model starts loading.
    assert search(client, alice, "nothing uploaded yet") == {
        "query": "nothing uploaded yet",
        "semantic": False,
        "results": [],
    }
    client.app.state.embedder.start_loading_in_background().join(timeout=300)
    assert search(client, alice, "nothing uploaded yet")["semantic"] is True


def test_words_in_most_passages_of_a_large_library_do_not_rank(client: TestClient, alice: dict) -> None:
    lecture = ingest(
        client, alice, make_course(client, alice), "zygote.md", b"# Zygote\n\nA zygote is a fertilised cell."
    )
    uid = user_id(client, alice)
    with closing(sqlite3.connect(client.app.state.settings.data_dir / "app.db")) as conn, conn:
        conn.executemany(
            "INSERT INTO lecture_chunk (owner_id, lecture_id, page, position, text, char_start, char_end) "
            "VALUES (?, ?, 1, ?, ?, 0, 10)",
            [(uid, lecture["id"], n, f"cell biology filler passage number {n}") for n in range(2500)],
        )
    with client.app.state.db.session() as session:
        ranked = chunk_search_ranked(session, owner_id=uid, words=["cell", "zygote"], lecture_ids=None, limit=50)
        assert len(ranked) == 1  # "cell" (in every passage) was left out; "zygote" found its passage
        assert chunk_search_ranked(session, owner_id=uid, words=["cell"], lecture_ids=None, limit=50) == []
