"""Embeddings: ONNX int8 throughput vs the stock sentence-transformers torch backend, and recall@5.

Budgets (SPEC): int8 ≥ 2.5× the torch backend's chunks/s on the same chunks; recall@5
within 1 point of fp32; resident memory ≤ 1.2 GB for the whole app with the model loaded.

Text comes from this machine, offline: the docstrings of Python's standard library, read
with `ast` from the .py sources (no module is imported, so none runs).
- Throughput: the docstrings, grouped into ~400-word pages, cut by processing/chunking.py
  into ~200-token chunks (the lengths ingest produces); the first `--chunks` are encoded
  by both backends in alternating rounds, and each backend's best round counts, because
  other work on the machine only ever slows a round down. CPU seconds are shown too: they
  count work done, not time spent waiting for a core.
- Retrieval: each docstring of at least two sentences becomes a query (its first sentence,
  the one-line summary PEP 257 asks for) and a passage (the rest, which elaborates it),
  ~500 pairs. A query scores a hit when its own passage is among the 5 passages nearest to
  it of all passages. fp32 is the stock torch model; the same pairs go through int8.

    .venv/bin/python bench/embeddings.py [--chunks 1000] [--pairs 500] [--rounds 2]
"""

from __future__ import annotations

import argparse
import ast
import json
import logging
import os
import re
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from processing.chunking import chunk_pages  # noqa: E402
from processing.embeddings import Embedder  # noqa: E402

SPEEDUP_BUDGET = 2.5
RECALL_BUDGET_POINTS = 1.0
RSS_BUDGET_MB = 1200
_FIRST_SENTENCE = re.compile(r"^(.+?[.!?])\s+(.+)$", re.DOTALL)


def docstrings() -> Iterator[str]:
    """Docstrings of the standard library's top-level modules, classes and functions."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for path in sorted(stdlib.glob("*.py")) + sorted(stdlib.glob("*/*.py")):
        if "test" in path.parts[-2:] or path.name.startswith("test"):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        for node in [tree, *ast.walk(tree)]:
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                text = ast.get_docstring(node)
                if text:
                    yield text


def retrieval_pairs(limit: int) -> list[tuple[str, str]]:
    pairs, seen = [], set()
    for text in docstrings():
        match = _FIRST_SENTENCE.match(" ".join(text.split()))
        if not match:
            continue
        query, passage = match.groups()
        if len(query.split()) >= 5 and len(passage.split()) >= 25 and query not in passage and passage not in seen:
            seen.add(passage)
            pairs.append((query, passage))
    step = max(1, len(pairs) // limit)  # spread the sample over the whole library
    return pairs[::step][:limit]


def benchmark_chunks(limit: int) -> list[str]:
    words = " ".join(docstrings()).split()
    pages = [(n, " ".join(words[i : i + 400])) for n, i in enumerate(range(0, len(words), 400))]
    return [chunk.text for chunk in chunk_pages(pages[: limit // 2 + 10])][:limit]


def recall_at_5(embedder: Embedder, pairs: list[tuple[str, str]]) -> float:
    queries = embedder.encode([q for q, _ in pairs])
    passages = embedder.encode([p for _, p in pairs])
    top5 = np.argsort(-(queries @ passages.T), axis=1)[:, :5]
    return 100.0 * float(np.mean([i in row for i, row in enumerate(top5)]))


def best_rounds(
    backends: dict[str, Embedder], chunks: list[str], rounds: int
) -> tuple[dict[str, float], dict[str, float]]:
    """Each backend's best wall-clock and CPU seconds to encode `chunks`, over `rounds` alternating rounds."""
    wall = dict.fromkeys(backends, float("inf"))
    cpu = dict.fromkeys(backends, float("inf"))
    for embedder in backends.values():
        embedder.encode(chunks[:32])  # warm-up
    for _ in range(rounds):
        for name, embedder in backends.items():
            wall_start, cpu_start = time.perf_counter(), time.process_time()
            embedder.encode(chunks)
            wall[name] = min(wall[name], time.perf_counter() - wall_start)
            cpu[name] = min(cpu[name], time.process_time() - cpu_start)
    return wall, cpu


_LOAD_PROBE = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from processing.embeddings import Embedder
embedder = Embedder(Path(sys.argv[2]), backend=sys.argv[3])
start = time.perf_counter()
embedder.encode(["warm"])
seconds = time.perf_counter() - start
rss = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS:"))
print(json.dumps({"seconds": seconds, "rss_mb": rss / 1024, "backend": embedder.backend_in_use}))
"""


def load_in_fresh_process(models_dir: Path, backend: str) -> dict[str, float]:
    """Load time (to the first vector) and resident memory of a process holding only this model."""
    argv = [sys.executable, "-c", _LOAD_PROBE, str(ROOT), str(models_dir), backend]
    result = subprocess.run(argv, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=1000)
    parser.add_argument("--pairs", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--models-dir", type=Path, default=ROOT / "data" / "models")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    chunks = benchmark_chunks(args.chunks)
    pairs = retrieval_pairs(args.pairs)
    int8 = Embedder(args.models_dir)
    export_start = time.perf_counter()
    exported = not int8.onnx_path.exists()
    int8.load()
    export_seconds = time.perf_counter() - export_start
    if int8.backend_in_use != "onnx-int8":
        sys.exit("the ONNX int8 backend did not load; see the warning above")
    torch = Embedder(args.models_dir, backend="torch")
    torch.load()
    loads = {name: load_in_fresh_process(args.models_dir, name) for name in ("onnx-int8", "torch")}

    backends = {"onnx-int8": int8, "torch fp32": torch}
    wall, cpu = best_rounds(backends, chunks, args.rounds)
    recall = {name: recall_at_5(embedder, pairs) for name, embedder in backends.items()}

    tokens = np.mean([len(c.split()) for c in chunks])
    print(
        f"embeddings: {len(chunks)} chunks (~{tokens:.0f} words each), {len(pairs)} query/passage pairs, "
        f"{os.cpu_count()} cores, {int8.num_threads} threads, int8 preset {int8.quantization}"
    )
    print(f"{'':38}{'onnx-int8':>11}{'torch fp32':>12}{'budget':>14}")
    per_s = {name: len(chunks) / wall[name] for name in backends}
    label = f"chunks/s (best of {args.rounds} rounds)"
    print(f"{label:38}{per_s['onnx-int8']:>11.1f}{per_s['torch fp32']:>12.1f}")
    speedup, cpu_speedup = wall["torch fp32"] / wall["onnx-int8"], cpu["torch fp32"] / cpu["onnx-int8"]
    print(f"{'speed-up, wall clock':38}{speedup:>11.2f}{'':>12}{'>= 2.5':>14}")
    print(f"{'speed-up, CPU seconds':38}{cpu_speedup:>11.2f}{'':>12}{'(orientation)':>14}")
    delta = recall["torch fp32"] - recall["onnx-int8"]
    print(f"{'recall@5 (%)':38}{recall['onnx-int8']:>11.1f}{recall['torch fp32']:>12.1f}")
    print(f"{'recall@5 loss vs fp32 (points)':38}{delta:>11.1f}{'':>12}{'<= 1.0':>14}")
    int8_load, torch_load = loads["onnx-int8"], loads["torch"]
    print(f"{'load to first vector, fresh process (s)':38}{int8_load['seconds']:>11.2f}{torch_load['seconds']:>12.2f}")
    print(
        f"{'RSS of that process (MB)':38}{int8_load['rss_mb']:>11.0f}{torch_load['rss_mb']:>12.0f}{'<= 1200 (app)':>14}"
    )
    if exported:
        print(f"{'one-time export + load (s)':38}{export_seconds:>11.2f}")
    ok = speedup >= SPEEDUP_BUDGET and delta <= RECALL_BUDGET_POINTS and loads["onnx-int8"]["rss_mb"] <= RSS_BUDGET_MB
    print("within budget" if ok else "OVER BUDGET")


if __name__ == "__main__":
    main()
