"""The ingest job as its owner sees it: WebSocket events in order (and only to the owner), cancel
that leaves nothing half-written, and a server killed mid-ingest that finishes the lecture after
it is started again, without reading again the pages it had already OCRed."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from tests.conftest import make_course, serve, sql, upload, wait_for_job, wait_for_lecture
from tests.documents import SCANNED_LINES, add_scanned_page, new_pdf, render_text
from tests.test_ws import connected, job_events


def scanned_pdf_bytes(tmp_path: Path, pages: int) -> bytes:
    pdf = new_pdf()
    for index in range(pages):
        lines = SCANNED_LINES[index % len(SCANNED_LINES)] + [f"Page marker {index + 1}"]
        add_scanned_page(pdf, render_text(lines, noise=True, angle=0.5 if index % 2 else -0.4))
    path = tmp_path / f"scan-{pages}.pdf"
    pdf.output(str(path))
    return path.read_bytes()


def test_owner_gets_progress_events_in_order_and_others_get_none(
    client: TestClient, alice: dict, bob: dict, tmp_path: Path
) -> None:
    course = make_course(client, alice)
    with connected(client, alice) as alice_ws, connected(client, bob) as bob_ws:
        response = upload(client, alice, course, "scan.pdf", scanned_pdf_bytes(tmp_path, 3))
        assert response.status_code == 202
        job_id = response.json()["job"]["id"]
        events = job_events(alice_ws, job_id)
        bob_ws.send_json({"type": "ping"})
        assert bob_ws.receive_json() == {"type": "pong"}  # nothing of alice's was queued before it
    types = [event["type"] for event in events]
    assert types[-1] == "job.done" and set(types[:-1]) == {"job.progress"}
    jobs = [event["job"] for event in events]
    assert [j["status"] for j in jobs[:2]] == ["queued", "running"]
    steps = [j["step"] for j in jobs if j["step"]]
    order = ["reading", "ocr", "images", "chunking", "embedding", "saving"]
    assert sorted(set(steps), key=order.index) == order
    assert [order.index(step) for step in steps] == sorted(order.index(step) for step in steps)
    ocr = [(j["current"], j["total"]) for j in jobs if j["step"] == "ocr"]
    assert ocr[-1] == (3, 3) and [c for c, _ in ocr] == sorted(c for c, _ in ocr)
    assert jobs[-1]["result"]["ocr_pages"] == 3
    lecture = wait_for_lecture(client, alice, response.json()["lecture"]["id"])
    assert (lecture["status"], lecture["ocr_page_count"]) == ("ready", 3)


def test_cancel_mid_ocr_writes_nothing(client: TestClient, alice: dict, tmp_path: Path) -> None:
    course = make_course(client, alice)
    with connected(client, alice) as ws:
        response = upload(client, alice, course, "scan.pdf", scanned_pdf_bytes(tmp_path, 8))
        job_id, lecture_id = response.json()["job"]["id"], response.json()["lecture"]["id"]
        while True:
            event = ws.receive_json()
            if event["job"]["step"] == "ocr" and event["job"]["current"] >= 1:
                break
        assert client.post(f"/api/jobs/{job_id}/cancel", headers=alice).status_code == 202
        final = job_events(ws, job_id)[-1]
    assert final["type"] == "job.cancelled" and final["job"]["current"] < 8
    lecture = client.get(f"/api/lectures/{lecture_id}", headers=alice).json()
    assert (lecture["status"], lecture["error"]) == ("cancelled", "Processing was cancelled")
    for table in ("lecture_page", "lecture_chunk"):
        assert sql(client, f"SELECT count(*) FROM {table} WHERE lecture_id = ?", lecture_id) == [(0,)]
    data_dir = client.app.state.settings.data_dir
    assert not (data_dir / "pages" / str(lecture_id)).exists()
    assert not (data_dir / "ocr" / str(lecture_id)).exists()  # a cancel keeps no OCR checkpoint
    assert list((data_dir / "tmp").iterdir()) == []
    # It can be processed again, to the end.
    again = client.post(f"/api/lectures/{lecture_id}/reprocess", headers=alice)
    assert again.status_code == 202
    result = wait_for_job(client, alice, again.json()["job"]["id"])["result"]
    assert (result["ocr_pages"], result["ocr_pages_resumed"]) == (8, 0)


def test_deleting_a_lecture_while_it_is_read_stops_the_job(client: TestClient, alice: dict, tmp_path: Path) -> None:
    course = make_course(client, alice)
    with connected(client, alice) as ws:
        response = upload(client, alice, course, "scan.pdf", scanned_pdf_bytes(tmp_path, 6))
        job_id, lecture_id = response.json()["job"]["id"], response.json()["lecture"]["id"]
        while ws.receive_json()["job"]["step"] != "ocr":
            pass
        assert client.delete(f"/api/lectures/{lecture_id}", headers=alice).status_code == 204
        assert job_events(ws, job_id)[-1]["type"] == "job.cancelled"
    data_dir = client.app.state.settings.data_dir
    assert sql(client, "SELECT count(*) FROM lecture_page") == [(0,)]
    assert not (data_dir / "uploads" / str(lecture_id)).exists()
    assert not (data_dir / "pages" / str(lecture_id)).exists()
    assert list((data_dir / "tmp").iterdir()) == []


def test_a_server_killed_mid_ingest_finishes_the_lecture_after_restart(tmp_path: Path, shared_models_dir: Path) -> None:
    data_dir, log = tmp_path / "data", tmp_path / "server.log"
    with httpx.Client(timeout=30) as http, serve(data_dir, models_dir=shared_models_dir, log_path=log) as server:
        http.base_url = httpx.URL(server.url)
        token = http.post("/api/auth/register", json={"email": "a@example.com", "password": "correct horse battery"})
        http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        course = http.post("/api/courses", json={"name": "Biology"}).json()["id"]
        files = {"file": ("scan.pdf", scanned_pdf_bytes(tmp_path, 8), "application/pdf")}
        accepted = http.post(f"/api/courses/{course}/lectures", files=files).json()
        job_id, lecture_id = accepted["job"]["id"], accepted["lecture"]["id"]
        deadline = time.monotonic() + 60
        while (job := http.get(f"/api/jobs/{job_id}").json())["step"] != "ocr" or job["current"] < 2:
            assert time.monotonic() < deadline, job
            time.sleep(0.05)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=10)
    assert sql(data_dir / "app.db", "SELECT status, attempts FROM job WHERE id = ?", job_id) == [("running", 1)]
    assert sql(data_dir / "app.db", "SELECT status FROM lecture WHERE id = ?", lecture_id) == [("processing",)]
    checkpoint = data_dir / "ocr" / str(lecture_id)
    read_before_the_kill = len(list(checkpoint.glob("*.json")))
    assert 2 <= read_before_the_kill < 8

    with (
        httpx.Client(timeout=30, headers=http.headers) as http,
        serve(data_dir, models_dir=shared_models_dir, log_path=log) as server,
    ):
        http.base_url = httpx.URL(server.url)
        deadline = time.monotonic() + 120
        while (lecture := http.get(f"/api/lectures/{lecture_id}").json())["status"] != "ready":
            assert lecture["status"] in ("queued", "processing"), lecture
            assert time.monotonic() < deadline, lecture
            time.sleep(0.1)
        job = http.get(f"/api/jobs/{job_id}").json()
        assert (job["status"], job["attempts"]) == ("succeeded", 2)
        assert job["result"]["ocr_pages_resumed"] == read_before_the_kill
        pages = http.get(f"/api/lectures/{lecture_id}/pages").json()
        assert [p["source"] for p in pages] == ["ocr"] * 8
        assert "Page marker 8" in http.get(f"/api/lectures/{lecture_id}/pages/8").json()["text"]
        hit = http.get("/api/search", params={"q": "marker 5"}).json()["results"][0]
        assert (hit["lecture_id"], hit["page"]) == (lecture_id, 5)
    assert list((data_dir / "tmp").iterdir()) == []
    assert not checkpoint.exists()


def test_progress_reaches_the_rest_api_too(client: TestClient, alice: dict, tmp_path: Path) -> None:
    course = make_course(client, alice)
    response = upload(client, alice, course, "scan.pdf", scanned_pdf_bytes(tmp_path, 1))
    lecture = wait_for_lecture(client, alice, response.json()["lecture"]["id"])
    job = client.get(f"/api/jobs/{lecture['job_id']}", headers=alice).json()
    assert (job["status"], job["step"], job["current"], job["total"], job["message"]) == (
        "succeeded",
        "saving",
        1,
        1,
        "Done",
    )
