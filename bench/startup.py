"""Start-up: time from launching `python main.py` to the first HTTP 200, and resident memory.

Fresh data dir each run (so the time includes creating the schema with every migration) and
once more on the now-existing database. Budget (SPEC): first 200 within 3 s; resident memory
<= 1.2 GB with the embedding model loaded (the model is not part of this release yet).

    .venv/bin/python bench/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from review_load import free_port  # noqa: E402

BUDGET_SECONDS = 3.0
BUDGET_RSS_MB = 1200


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def time_to_first_200(data_dir: Path) -> tuple[float, float]:
    port = free_port()
    env = os.environ | {"LECTERN_DATA_DIR": str(data_dir), "LECTERN_LOG_LEVEL": "warning"}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "main.py", "--port", str(port)], cwd=ROOT, env=env)
    try:
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=0.5).status_code == 200:
                    elapsed = time.perf_counter() - start
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None:
                raise RuntimeError("the server exited during start-up")
            time.sleep(0.02)
        return elapsed, rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    fresh, again, memory = [], [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="lectern-startup-") as tmp:
            seconds, rss = time_to_first_200(Path(tmp) / "data")
            fresh.append(seconds)
            memory.append(rss)
            again.append(time_to_first_200(Path(tmp) / "data")[0])
    print(f"start-up over {args.runs} runs, {os.cpu_count()} cores")
    print(f"{'':34}{'measured':>10}{'budget':>10}")
    print(f"{'first 200, new data dir (median s)':34}{statistics.median(fresh):>10.2f}{'<= 3.0':>10}")
    print(f"{'first 200, existing db (median s)':34}{statistics.median(again):>10.2f}{'<= 3.0':>10}")
    print(f"{'resident memory (MB)':34}{max(memory):>10.0f}{'<= 1200':>10}")


if __name__ == "__main__":
    main()
