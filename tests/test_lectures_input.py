"""Bad uploads get a clear 4xx (or, found later, a failed job with a human reason), and leave
nothing behind: no lecture row, no job, no file under uploads/, nothing in tmp/."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from config import Settings
from main import create_app
from tests.conftest import make_course, register, sql, upload, wait_for_lecture
from tests.processing.test_extract_filetypes import PPTX_TYPES, png_header


def assert_nothing_stored(client: TestClient) -> None:
    data_dir = client.app.state.settings.data_dir
    assert sql(client, "SELECT count(*) FROM lecture") == [(0,)]
    assert sql(client, "SELECT count(*) FROM job") == [(0,)]
    assert list((data_dir / "uploads").iterdir()) == []
    assert list((data_dir / "tmp").iterdir()) == []


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", PPTX_TYPES)
        archive.writestr("ppt/media/zeros.bin", bytes(30 * 1024 * 1024))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "status", "detail"),
    [
        ("empty.pdf", b"", 400, "empty.pdf is empty (0 bytes)"),
        ("program.pdf", b"\x7fELF\x02\x01\x01\x00" + bytes(300), 415, "This file is not a PDF, PowerPoint, image"),
        ("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + bytes(300), 415, "This file is not a PDF, PowerPoint, image"),
        ("broken.pdf", b"%PDF-1.7\n" + bytes(500), 415, "This PDF is damaged and cannot be read"),
        ("old.ppt", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(300), 415, "Old PowerPoint/Office files"),
        ("bomb.pptx", None, 415, "zip bomb"),
        ("huge.png", png_header(9000, 9000), 415, "This image is too large (9000×9000 pixels)"),
    ],
)
def test_refused_uploads_leave_nothing(
    client: TestClient, alice: dict, name: str, data: bytes | None, status: int, detail: str
) -> None:
    course = make_course(client, alice)
    response = upload(client, alice, course, name, zip_bomb() if data is None else data)
    assert response.status_code == status, response.text
    assert response.json()["detail"].startswith(detail) or detail in response.json()["detail"]
    assert_nothing_stored(client)


def test_encrypted_pdf_is_refused(client: TestClient, alice: dict, encrypted_pdf: Path) -> None:
    course = make_course(client, alice)
    response = upload(client, alice, course, "locked.pdf", encrypted_pdf.read_bytes())
    assert (response.status_code, response.json()) == (415, {"detail": "This PDF is password-protected"})
    assert_nothing_stored(client)


def test_the_same_file_twice_is_recognised(client: TestClient, alice: dict, bob: dict, text_pdf: Path) -> None:
    course = make_course(client, alice, "Biology")
    first = upload(client, alice, course, "cells.pdf", text_pdf.read_bytes())
    assert first.status_code == 202
    other_course = make_course(client, alice, "Chemistry")
    again = upload(client, alice, other_course, "renamed.pdf", text_pdf.read_bytes())
    assert (again.status_code, again.json()) == (409, {"detail": "You already uploaded this file: “cells” in Biology"})
    assert sql(client, "SELECT count(*) FROM lecture") == [(1,)]
    # Another account uploading the same bytes is not a duplicate.
    assert upload(client, bob, make_course(client, bob), "cells.pdf", text_pdf.read_bytes()).status_code == 202
    wait_for_lecture(client, alice, first.json()["lecture"]["id"])


def test_not_multipart_or_without_a_file(client: TestClient, alice: dict) -> None:
    course = make_course(client, alice)
    url = f"/api/courses/{course}/lectures"
    raw = client.post(url, content=b"%PDF-1.7", headers=alice | {"Content-Type": "application/pdf"})
    assert (raw.status_code, raw.json()) == (
        400,
        {"detail": "Send the file as multipart/form-data, in a part named 'file'"},
    )
    no_file = client.post(url, data={"title": "x"}, files={"other": ("a.txt", b"hello")}, headers=alice)
    assert no_file.status_code == 400 and "No file was sent" in no_file.json()["detail"]
    assert upload(client, alice, 999, "a.txt", b"hello").status_code == 404
    assert_nothing_stored(client)


def limited_client(tmp_path: Path, settings: Settings, **limits) -> TestClient:
    return TestClient(create_app(settings.model_copy(update={"data_dir": tmp_path / "limited"} | limits)))


def test_size_limit_while_streaming(tmp_path: Path, settings: Settings) -> None:
    with limited_client(tmp_path, settings, max_upload_mb=1) as client:
        alice = register(client, "alice@example.com")
        course = make_course(client, alice)
        response = upload(client, alice, course, "notes.txt", b"word " * 300_000)  # 1.5 MB
        assert (response.status_code, response.json()) == (
            413,
            {"detail": "This file is larger than the 1 MB upload limit (LECTERN_MAX_UPLOAD_MB)"},
        )
        assert_nothing_stored(client)
        assert upload(client, alice, course, "notes.txt", b"word " * 150_000).status_code == 202


def test_page_limit(tmp_path: Path, settings: Settings, text_pdf: Path) -> None:
    with limited_client(tmp_path, settings, max_pages=2) as client:
        alice = register(client, "alice@example.com")
        response = upload(client, alice, make_course(client, alice), "cells.pdf", text_pdf.read_bytes())
        assert (response.status_code, response.json()) == (
            413,
            {"detail": "cells.pdf has 3 pages; the limit is 2 (LECTERN_MAX_PAGES)"},
        )
        assert_nothing_stored(client)


def test_file_names_are_never_paths(client: TestClient, alice: dict) -> None:
    course = make_course(client, alice)
    response = upload(client, alice, course, "../../etc/passwd.md", b"# Title\n\nPlain notes about cells.")
    assert response.status_code == 202, response.text
    lecture = response.json()["lecture"]
    assert (lecture["filename"], lecture["title"]) == ("passwd.md", "passwd")
    data_dir = client.app.state.settings.data_dir
    assert (data_dir / "uploads" / str(lecture["id"]) / "original.txt").is_file()
    wait_for_lecture(client, alice, lecture["id"])


def test_a_file_that_breaks_during_ingest_fails_its_job_with_a_reason(
    client: TestClient, alice: dict, sample_pptx: Path
) -> None:
    course = make_course(client, alice)
    response = upload(client, alice, course, "slides.pptx", sample_pptx.read_bytes())
    lecture_id = response.json()["lecture"]["id"]
    wait_for_lecture(client, alice, lecture_id)
    # The stored file is damaged afterwards (a disk error, say): re-processing fails with a reason.
    stored = client.app.state.settings.data_dir / "uploads" / str(lecture_id) / "original.pptx"
    stored.write_bytes(stored.read_bytes()[:3000])
    assert client.post(f"/api/lectures/{lecture_id}/reprocess", headers=alice).status_code == 202
    lecture = wait_for_lecture(client, alice, lecture_id)
    assert lecture["status"] == "failed"
    assert lecture["error"] == "This file looks like a PowerPoint (zip) file but is damaged"
    job = client.get(f"/api/jobs/{lecture['job_id']}", headers=alice).json()
    assert (job["status"], job["error"]) == ("failed", lecture["error"])
    # The pages of the earlier, good run are still there.
    assert sql(client, "SELECT count(*) FROM lecture_page WHERE lecture_id = ?", lecture_id) == [(2,)]
