"""Review latency while the server's own ingest job OCRs a scanned PDF, against the same server idle.

A real `python main.py` (review_load.running_server) over a data dir seeded by review_load.seed; the scanned
PDF is ocr_parallel.build_pdf's (300 DPI letter pages, no text layer), uploaded through
POST /api/courses/{id}/lectures (later runs re-process the same lecture), so the job does all its steps:
reading → ocr → images → chunking → embedding → saving. Review load is review_load.run_load in windows of a
few seconds; GET /api/jobs/{id} before and after each window names the step it ran under (a window that saw
two steps counts as "mixed"). Between windows the cards reviewed are made due again with one UPDATE, so every
window reviews a mature, all-due collection whatever the number of clients.

Experiments to find the cause of a miss:
- "2 CPU hogs": two busy-loop processes outside the server, no job: as much CPU contention as two Tesseract
  processes, but nothing inside the server process (no GIL, no job thread, no database writes).
- "tesseract nice 19": the same OCR job with Tesseract started through a `nice -n 19` wrapper first on PATH,
  so the kernel gives the server's threads the cores whenever they want them.
"""

from __future__ import annotations

import asyncio
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ocr_parallel import build_pdf  # noqa: E402
from review_load import cpu_seconds, login, percentile, run_load, running_server, seed  # noqa: E402

from config import Settings  # noqa: E402
from db import Database  # noqa: E402
from models.common import utcnow  # noqa: E402
from models.job import FINISHED  # noqa: E402

BUDGET_P99_MS = 50  # SPEC: review p99 while an OCR job runs


@dataclass(frozen=True)
class Load:
    name: str
    clients: int
    interval: float = 0.0  # seconds between one client's ratings; 0: back to back (closed loop)


@dataclass
class Phase:
    """POST rating latencies (s) measured under one condition, with wall and server CPU seconds."""

    rate: list[float] = field(default_factory=list)
    seconds: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0  # the load generator's, on the same two cores
    errors: int = 0

    def summary(self) -> dict:
        return {
            "p50_ms": percentile(self.rate, 50),
            "p99_ms": percentile(self.rate, 99),
            "reviews": len(self.rate),
            "per_second": len(self.rate) / self.seconds if self.seconds else float("nan"),
            "server_cpu_percent": 100 * self.server_cpu / self.seconds if self.seconds else float("nan"),
            "client_cpu_percent": 100 * self.client_cpu / self.seconds if self.seconds else float("nan"),
            "seconds": self.seconds,
            "errors": self.errors,
        }


class Lectern:
    """The running server as the benchmark uses it: its API as the seeded user, its process, its database."""

    def __init__(self, port: int, process: subprocess.Popen, database: Database) -> None:
        self.port, self.process, self.database = port, process, database
        self.token = login(port)
        self.http = httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {self.token}"}, timeout=30
        )
        self.deck_ids = [deck["id"] for deck in self.http.get("/api/decks").json()]
        lectures = self.http.get("/api/lectures").json()  # uploaded by an earlier server on this data dir
        self.lecture_id: int | None = lectures[0]["id"] if lectures else None

    def start_ingest(self, pdf: Path) -> int:
        """Uploads the PDF (the first time) or re-processes it; returns the ingest job's id."""
        if self.lecture_id is None:
            course = self.http.post("/api/courses", json={"name": "Scans"}).json()
            with pdf.open("rb") as file:
                answer = self.http.post(
                    f"/api/courses/{course['id']}/lectures", files={"file": (pdf.name, file, "application/pdf")}
                )
        else:
            answer = self.http.post(f"/api/lectures/{self.lecture_id}/reprocess")
        answer.raise_for_status()
        self.lecture_id = answer.json()["lecture"]["id"]
        return answer.json()["job"]["id"]

    def job(self, job_id: int) -> dict:
        return self.http.get(f"/api/jobs/{job_id}").json()

    def make_due_again(self) -> None:
        """Every card reviewed so far is due again (new cards keep their place in the new-card queue)."""
        with self.database.raw(write=True) as sql:
            now = utcnow()
            sql.execute(
                "UPDATE card_state SET due = :due WHERE state <> 0 AND due > :now",
                {"due": sql.time(now - timedelta(minutes=1)), "now": sql.time(now)},
            )

    def review_window(self, clients: int, seconds: float, interval: float) -> tuple[dict, float, float, float]:
        """One window of review load: run_load's results, wall seconds, server and load-generator CPU seconds."""
        cpu, own, started = cpu_seconds(self.process.pid), time.process_time(), time.perf_counter()
        results = asyncio.run(run_load(self.port, self.token, self.deck_ids, clients, seconds, interval=interval))
        elapsed, used = time.perf_counter() - started, cpu_seconds(self.process.pid) - cpu
        generator = time.process_time() - own
        self.make_due_again()
        return results, elapsed, used, generator


def measure(
    server: Lectern, load: Load, *, window: float, seconds: float = 0, job_id: int | None = None, label: str = "idle"
) -> tuple[dict[str, Phase], dict[str, float]]:
    """Windows of review load for `seconds`, or until the job finishes, grouped by the job step they ran under.
    Also returns when each step was first seen (seconds from the start, to the window)."""
    phases: dict[str, Phase] = {}
    first_seen: dict[str, float] = {}
    started = time.perf_counter()
    while True:
        before = server.job(job_id) if job_id is not None else None
        if before is not None:
            if before["status"] in FINISHED:
                first_seen["finished"] = time.perf_counter() - started
                if before["status"] != "succeeded":
                    raise RuntimeError(f"the ingest job {before['status']}: {before['error']}")
                break
            first_seen.setdefault(before["step"] or before["status"], time.perf_counter() - started)
        elif time.perf_counter() - started >= seconds:
            break
        results, elapsed, cpu, generator = server.review_window(load.clients, window, load.interval)
        name = label
        if before is not None:
            after = server.job(job_id)
            same = after["step"] == before["step"] and after["status"] == "running"
            name = (before["step"] or before["status"]) if same else "mixed"
        phase = phases.setdefault(name, Phase())
        phase.rate += results["rate"]
        phase.seconds += elapsed
        phase.server_cpu += cpu
        phase.client_cpu += generator
        phase.errors += results["errors"]
    return phases, first_seen


def _nice_tesseract(folder: Path) -> dict[str, str]:
    """Environment for a server whose Tesseract runs at nice 19 (a wrapper script first on PATH)."""
    real = shutil.which("tesseract")
    if real is None:
        raise RuntimeError("tesseract is not installed")
    wrapper = folder / "bin" / "tesseract"
    wrapper.parent.mkdir()
    # Each call leaves a line in bin/calls, to show the server really started Tesseract through it.
    wrapper.write_text(f'#!/bin/sh\necho "$$" >> {wrapper.parent / "calls"}\nexec nice -n 19 {real} "$@"\n')
    wrapper.chmod(0o755)
    return {"PATH": f"{wrapper.parent}{os.pathsep}{os.environ['PATH']}"}


def measure_review_during_ocr(
    *,
    loads: list[Load],
    pages: int,
    cards: int,
    window: float,
    idle_seconds: float,
    models_dir: Path,
    experiments: bool,
    log: Callable[[str], None],
) -> dict:
    """{"runs": {(condition, load name): {step: summary}}, "ocr_seconds": {(condition, load name): s}}.
    Conditions: "idle" (step "idle") and "default" (the job's steps); with experiments also "2 CPU hogs"
    (step "hogs") and "tesseract nice 19"."""
    out: dict = {"runs": {}, "ocr_seconds": {}, "pages": pages}
    with tempfile.TemporaryDirectory(prefix="lectern-bench-review-ocr-") as tmp:
        folder = Path(tmp)
        data_dir = folder / "data"
        started = time.perf_counter()
        seed(data_dir, cards=cards, decks=32)  # one deck per client: clients review different cards
        pdf = build_pdf(folder / "scanned-lecture.pdf", scans=pages, dpi=300)
        log(f"review during OCR: {cards} cards and a {pages}-page scan made in {time.perf_counter() - started:.0f} s")
        database = Database(Settings(data_dir=data_dir).sqlalchemy_url)
        environments = {"default": {}}
        if experiments:
            environments["tesseract nice 19"] = _nice_tesseract(folder)
        for condition, env in environments.items():
            env = env | {"LECTERN_MODELS_DIR": str(models_dir)}
            with running_server(data_dir, env) as (port, process):
                server = Lectern(port, process, database)
                server.review_window(max(load.clients for load in loads), 2, 0.0)  # warm-up
                for load in loads:
                    run = partial(measure, server, load, window=window)
                    if condition == "default":
                        out["runs"]["idle", load.name] = _summaries(run(seconds=idle_seconds)[0])
                        if experiments:
                            hogged = _with_busy_loops(2, partial(run, seconds=idle_seconds, label="hogs"))
                            out["runs"]["2 CPU hogs", load.name] = _summaries(hogged[0])
                    phases, first_seen = run(job_id=server.start_ingest(pdf))
                    out["runs"][condition, load.name] = _summaries(phases)
                    out["ocr_seconds"][condition, load.name] = _step_seconds(first_seen, "ocr")
                    log(f"  {condition}, {load.name}: job steps first seen at {_rounded(first_seen)} s")
                server.http.close()
        database.dispose()
        calls = folder / "bin" / "calls"
        out["nice_wrapper_calls"] = len(calls.read_text().splitlines()) if calls.exists() else 0
    return out


def _summaries(phases: dict[str, Phase]) -> dict[str, dict]:
    return {step: phase.summary() for step, phase in phases.items()}


def _step_seconds(first_seen: dict[str, float], step: str) -> float:
    """How long `step` ran, to the resolution of the windows."""
    start = first_seen.get(step, math.nan)
    return min((t for t in first_seen.values() if t > start), default=math.nan) - start


def _rounded(times: dict[str, float]) -> dict[str, float]:
    return {name: round(seconds, 1) for name, seconds in times.items()}


def _with_busy_loops(count: int, fn: Callable[[], tuple]) -> tuple:
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        return fn()
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
