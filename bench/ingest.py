"""Lectures in: every performance figure of the issue beside its SPEC budget, with PASS or MISS.

Sections, each run on its own (one that fails prints its error; the others still print their figures):
  text    text-layer PDF ingest, pages/s (ingest_text)                              >= 300 pages/s
  ocr     OCR pages/s with 1 and 2 Tesseract workers (ocr_parallel)                 2 workers >= 1.8x 1 worker
  embed   int8 ONNX vs torch chunks/s, recall@5 int8 vs fp32 (embeddings)          >= 2.5x, within 1 point
  search  hybrid search latency over 100k synthetic chunks (_search_load)          p95 <= 50 ms
  review  review latency while the server OCRs an upload (_review_during_ocr)      p99 <= 50 ms
The machine is shared: each section prints the 1-minute load average before and after it, and how much of the
cores other processes took meanwhile. A full run takes about 15 minutes on 2 cores, --quick about 6.

    .venv/bin/python bench/ingest.py [--only text,ocr,embed,search,review] [--quick]
                                     [--models-dir /tmp/lectern-bench-models]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _review_during_ocr import BUDGET_P99_MS, Load, measure_review_during_ocr  # noqa: E402
from _search_load import BUDGET_P95_MS, measure_search  # noqa: E402
from embeddings import benchmark_chunks, best_rounds, recall_at_5, retrieval_pairs  # noqa: E402
from ingest_text import build_text_pdf, time_text_layer  # noqa: E402
from ocr_parallel import build_pdf, time_ocr  # noqa: E402
from review_load import BENCH_MODELS_DIR  # noqa: E402

from processing.embeddings import Embedder  # noqa: E402
from processing.extract.pdf import pages_needing_ocr  # noqa: E402
from processing.search import CANDIDATES  # noqa: E402

NAN = float("nan")


class Table:
    """Prints rows as they are measured and remembers each verdict for the summary."""

    def __init__(self) -> None:
        self.verdicts: list[tuple[str, str]] = []  # (figure, PASS | MISS | ERROR)

    def title(self, text: str) -> None:
        print(f"\n{text} (load average {os.getloadavg()[0]:.1f})", flush=True)

    def row(self, label: str, measured: str, budget: str = "", ok: bool | None = None) -> None:
        verdict = "" if ok is None else ("PASS" if ok else "MISS")
        print(f"  {label:<50}{measured:>20}{budget:>14}  {verdict}".rstrip(), flush=True)
        if verdict:
            self.verdicts.append((label, verdict))

    def note(self, text: str) -> None:
        print(f"    {text}", flush=True)

    def error(self, section: str, error: BaseException) -> None:
        print(f"  ERROR in {section}: {type(error).__name__}: {error}", flush=True)
        traceback.print_exc(file=sys.stderr)
        self.verdicts.append((section, "ERROR"))


def cpu_snapshot() -> tuple[float, float, float]:
    """(busy CPU seconds of the whole machine, of this process and its waited-for children, wall seconds)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    busy = sum(fields[:8]) - fields[3] - fields[4]  # all but idle and iowait (guest time is inside user)
    own = os.times()
    return busy / os.sysconf("SC_CLK_TCK"), own.user + own.system + own.children_user + own.children_system, time.time()


def others_share(before: tuple[float, float, float]) -> float:
    """Share of the machine's cores that processes other than this benchmark used since `before`, in %."""
    after = cpu_snapshot()
    busy, ours, wall = (a - b for a, b in zip(after, before, strict=True))
    return 100 * max(0.0, busy - ours) / (wall * (os.cpu_count() or 1))


def log(text: str) -> None:
    print(f"  · {text}", file=sys.stderr, flush=True)


def text_section(table: Table, *, quick: bool, models_dir: Path) -> None:
    pages, runs = 300, 3 if quick else 5
    table.title(f"1. Text-layer ingest: {pages}-page text PDF, text layer + junk check, {runs} runs")
    with tempfile.TemporaryDirectory(prefix="lectern-bench-") as folder:
        path = build_text_pdf(Path(folder) / "lecture.pdf", pages=pages)
        timings = [time_text_layer(path) for _ in range(runs)]
    rates = [count / seconds for seconds, count, _real in timings]
    table.row("pages/s, median of runs", f"{statistics.median(rates):.0f}")
    table.row("pages/s, worst run (judged, as ingest_text.py does)", f"{min(rates):.0f}", ">= 300", min(rates) >= 300)
    table.row("pages judged real text (none sent to OCR)", f"{timings[0][2]} of {pages}", "all", timings[0][2] == pages)


def ocr_section(table: Table, *, quick: bool, models_dir: Path) -> None:
    pages = 6 if quick else 12
    table.title(f"2. OCR: {pages} scanned letter pages at 300 DPI, Tesseract with OMP_THREAD_LIMIT=1")
    with tempfile.TemporaryDirectory(prefix="lectern-bench-") as folder:
        scanned = build_pdf(Path(folder) / "scanned.pdf", scans=pages, dpi=300)
        mixed = build_pdf(Path(folder) / "mixed.pdf", scans=3, text_pages=5, dpi=150)
        numbers = list(range(1, pages + 1))
        one, cpu_one, _ = time_ocr(scanned, numbers, dpi=300, workers=1)
        two, cpu_two, confidence = time_ocr(scanned, numbers, dpi=300, workers=2)
        needing = pages_needing_ocr(mixed)
    table.row("1 worker, pages/s", f"{one:.2f}", "≈ 0.55 (ref.)")
    table.row("2 workers, pages/s", f"{two:.2f}")
    table.row("speed-up, 2 vs 1 worker", f"{two / one:.2f}×", ">= 1.8×", two / one >= 1.8)
    table.row("Tesseract CPU s/page, 1 / 2 workers", f"{cpu_one:.2f} / {cpu_two:.2f}")
    table.row("mean word confidence, 2 workers", f"{confidence:.0f}")
    table.row("mixed PDF (5 text + 3 scans): pages OCRed", str(needing), "[6, 7, 8]", needing == [6, 7, 8])


def embed_section(table: Table, *, quick: bool, models_dir: Path) -> None:
    chunk_count, pair_count, rounds = (200, 200, 1) if quick else (1000, 500, 2)
    chunks, pairs = benchmark_chunks(chunk_count), retrieval_pairs(pair_count)
    table.title(
        f"3. Embeddings: {len(chunks)} stdlib-docstring chunks (~200 tokens), best of {rounds} rounds; "
        f"recall@5 on {len(pairs)} query/passage pairs"
    )
    int8 = Embedder(models_dir)
    int8.load()
    if int8.backend_in_use != "onnx-int8":
        raise RuntimeError("the ONNX int8 backend did not load (see the warning above)")
    torch = Embedder(models_dir, backend="torch")
    torch.load()
    backends = {"onnx-int8": int8, "torch fp32": torch}
    wall, cpu = best_rounds(backends, chunks, rounds)
    recall = {name: recall_at_5(embedder, pairs) for name, embedder in backends.items()}
    speedup, loss = wall["torch fp32"] / wall["onnx-int8"], recall["torch fp32"] - recall["onnx-int8"]
    table.row("int8 ONNX, chunks/s", f"{len(chunks) / wall['onnx-int8']:.1f}")
    table.row("torch fp32 (sentence-transformers), chunks/s", f"{len(chunks) / wall['torch fp32']:.1f}")
    table.row("speed-up int8 vs torch, wall clock", f"{speedup:.2f}×", ">= 2.5×", speedup >= 2.5)
    table.row("speed-up int8 vs torch, CPU seconds", f"{cpu['torch fp32'] / cpu['onnx-int8']:.2f}×")
    table.row("recall@5 int8 / fp32 (%)", f"{recall['onnx-int8']:.1f} / {recall['torch fp32']:.1f}")
    table.row("recall@5 loss vs fp32 (points)", f"{loss:.1f}", "<= 1.0", loss <= 1.0)


def search_section(table: Table, *, quick: bool, models_dir: Path) -> None:
    chunks, queries = 100_000, 100 if quick else 200
    table.title(f"4. Hybrid search: {queries} queries of 1–5 words over {chunks:,} synthetic chunks (one user)")
    result = measure_search(chunks=chunks, queries=queries, models_dir=models_dir, log=log)
    latency = result["latency_ms"]

    def spread(name: str) -> str:
        return " / ".join(f"{latency[name][q]:.1f}" for q in (50, 95, 99))

    whole_ok = latency["whole"][95] <= BUDGET_P95_MS
    table.row("search() p50 / p95 / p99 ms", spread("whole"), f"p95 <= {BUDGET_P95_MS}", whole_ok)
    table.row("  FTS5 BM25 part (chunk_search_ranked)", spread("fts"))
    table.row("  vector part (encode_query + nearest)", spread("vector"))
    table.row("    of which encode_query", spread("encode"))
    table.row("    of which VectorIndex.nearest", spread("nearest"))
    table.row("first search, vectors not yet in memory (ms)", f"{result['cold_ms']:.0f}")
    table.row("in-memory vector matrix (MB)", f"{result['matrix_mb']:.1f}")
    table.row("semantic candidates above MIN_COSINE (median)", f"{result['semantic_hits_median']:.0f} of {CANDIDATES}")
    table.note(f"corpus built and indexed in {result['build_seconds']:.0f} s; slowest searches:")
    for seconds, query, course, words, _hits in result["slowest"]:
        scope = f"course {course}" if course else "all lectures"
        table.note(f"{seconds * 1000:7.0f} ms  {query!r} ({words} keyword(s), {scope})")


def review_section(table: Table, *, quick: bool, models_dir: Path) -> None:
    # Paced: 100 reviews/s in all, a quarter of what the server can do, so latency is service time plus
    # interference, not queueing. Back to back (closed loop), 4 clients already keep one core busy.
    loads = [Load("20 clients × 5/s", 20, 0.2), Load("4 clients back to back", 4)]
    if not quick:
        loads.append(Load("32 clients back to back", 32))
    pages = 4 if quick else 16
    table.title(f"5. Review while an upload is OCRed: python main.py, {pages}-page 300-DPI scan, POST rating latency")
    result = measure_review_during_ocr(
        loads=loads,
        pages=pages,
        cards=3200 if quick else 8000,
        window=1.0 if quick else 2.0,
        idle_seconds=6 if quick else 10,
        models_dir=models_dir,
        experiments=not quick,
        log=log,
    )
    runs = result["runs"]

    def cell(condition: str, load: Load, step: str) -> dict:
        return runs.get((condition, load.name), {}).get(step, {"p50_ms": NAN, "p99_ms": NAN, "reviews": 0})

    for load in loads:
        idle, ocr = cell("idle", load, "idle"), cell("default", load, "ocr")
        idle_budget = "p99 <= 20" if load.clients == 32 else ""
        idle_ok = idle["p99_ms"] <= 20 if load.clients == 32 else None
        table.row(
            f"{load.name}, idle: p50 / p99 ms", f"{idle['p50_ms']:.1f} / {idle['p99_ms']:.1f}", idle_budget, idle_ok
        )
        table.row(
            f"{load.name}, during OCR: p50 / p99 ms",
            f"{ocr['p50_ms']:.1f} / {ocr['p99_ms']:.1f}",
            f"p99 <= {BUDGET_P99_MS}",
            ocr["p99_ms"] <= BUDGET_P99_MS,
        )
    _review_details(table, result, loads, cell)


def _review_details(table: Table, result: dict, loads: list[Load], cell: Callable[[str, Load, str], dict]) -> None:
    columns = {
        "idle": ("idle", "idle"),
        "OCR": ("default", "ocr"),
        "images": ("default", "images"),
        "embedding": ("default", "embedding"),
        "2 CPU hogs": ("2 CPU hogs", "hogs"),
        "nice-19 OCR": ("tesseract nice 19", "ocr"),
    }

    def at(name: str, load: Load) -> dict:
        condition, step = columns[name]
        return cell(condition, load, step)

    names = [name for name in columns if any(at(name, load)["reviews"] for load in loads)]
    table.note("p99 ms (reviews measured) by what the server was doing; server CPU % of one core:")
    table.note(f"{'':26}" + "".join(f"{name:>17}" for name in names))
    for load in loads:
        cells = [at(name, load) for name in names]
        table.note(f"{load.name:26}" + "".join(f"{c['p99_ms']:>9.1f} ({c['reviews']:>5})" for c in cells))
        table.note(f"{'  server CPU %':26}" + "".join(f"{c.get('server_cpu_percent', NAN):>17.0f}" for c in cells))
    errors = sum(step.get("errors", 0) for steps in result["runs"].values() for step in steps.values())
    table.note(f"HTTP errors during the review load: {errors}")
    if "nice-19 OCR" in names:
        table.note(f"Tesseract runs through the nice-19 wrapper: {result['nice_wrapper_calls']}")
    for (condition, load_name), seconds in result["ocr_seconds"].items():
        rate = result["pages"] / seconds if seconds else NAN
        table.note(f"OCR step ({condition}, {load_name}): {seconds:.0f} s ≈ {rate:.2f} pages/s")


SECTIONS: dict[str, Callable[..., None]] = {
    "text": text_section,
    "ocr": ocr_section,
    "embed": embed_section,
    "search": search_section,
    "review": review_section,
}


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {datetime.date.today()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated: " + ",".join(SECTIONS))
    parser.add_argument("--quick", action="store_true", help="fewer pages, chunks, queries and load runs")
    parser.add_argument("--models-dir", type=Path, default=BENCH_MODELS_DIR, help="exported embedding model, kept")
    args = parser.parse_args()
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")

    print(f"Lectures in — performance against SPEC budgets{' (quick)' if args.quick else ''}; {machine()}")
    print(f"  {'figure':<50}{'measured':>20}{'budget':>14}  verdict")
    table = Table()
    started = time.perf_counter()
    for name in chosen:
        before = cpu_snapshot()
        try:
            SECTIONS[name](table, quick=args.quick, models_dir=args.models_dir)
        except Exception as error:  # the other sections still run and print
            table.error(name, error)
        print(
            f"  (load average after: {os.getloadavg()[0]:.1f}; other processes on this machine used "
            f"{others_share(before):.0f} % of its cores during this section)",
            flush=True,
        )
    missed = [f"{label} ({verdict})" for label, verdict in table.verdicts if verdict != "PASS"]
    passed = len(table.verdicts) - len(missed)
    print(f"\n{passed} of {len(table.verdicts)} budget checks passed in {time.perf_counter() - started:.0f} s")
    for item in missed:
        print(f"  not met: {item}")


if __name__ == "__main__":
    main()
