"""Review throughput: 32 concurrent clients fetch the next card and post a rating.

Starts `python main.py` on a loopback port with a fresh data dir, seeds one user with
10,000 cards (32 decks, one per client so clients review different cards) as a mature
collection on a heavy day: 90 % are review cards already due (FSRS state from a simulated
earlier review), 10 % new with the default limit of 20 a day. Runs the load
for a fixed time and prints req/s, p50 and p99 beside the SPEC budget
(rating POST >= 1000 req/s, p99 <= 20 ms at 32 concurrent clients). Each client works as the
browser does: GET /api/review/next once, then POST ratings, each answer carrying the next card.

    .venv/bin/python bench/review_load.py [--seconds 20] [--clients 32] [--cards 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _loadclient import Connection  # noqa: E402

BUDGET_RPS = 1000
BUDGET_P99_MS = 20


def seed(data_dir: Path, *, cards: int, decks: int, due_share: float = 0.9) -> None:
    """Seeds through the domain functions (same rendering and rows as the API), in one transaction,
    then moves `due_share` of the cards to the review state, due now, as FSRS would have left them."""
    from config import Settings
    from db import Database
    from models.deck import DeckCreate
    from models.note import NoteCreate, NoteKind
    from models.user import User
    from processing import notes
    from processing.decks import create_deck
    from processing.security import hash_password

    settings = Settings(data_dir=data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    database = Database(settings.sqlalchemy_url)
    database.migrate()
    with database.session(write=True) as session:
        user = User(email="bench@example.com", password_hash=hash_password("bench-password", rounds=4), is_admin=True)
        session.add(user)
        session.commit()
        deck_ids = [create_deck(session, user=user, deck_in=DeckCreate(name=f"Deck {i}")).id for i in range(decks)]
        commit = session.commit
        session.commit = lambda: session.flush()  # one transaction for the whole seed
        for i in range(cards):
            kind = NoteKind.basic if i % 3 else NoteKind.typein
            notes.create_note(
                session,
                user=user,
                note_in=NoteCreate(
                    deck_id=deck_ids[i % decks],
                    kind=kind,
                    front=f"Question {i}: what is **term {i}** in $x_{{{i}}}$?",
                    back=f"Answer {i}",
                ),
            )
        session.commit = commit
        session.commit()
        _age_cards(session, user=user, due_share=due_share)
    database.dispose()


def _age_cards(session, *, user, due_share: float) -> None:
    from datetime import timedelta

    from fsrs import Card as FsrsCard
    from fsrs import Rating
    from sqlmodel import select

    from models.common import utcnow
    from models.review import CardState
    from processing.srs import scheduler_for

    rng = random.Random(7)
    scheduler = scheduler_for(user, fuzz=False)
    now = utcnow()
    states = session.exec(select(CardState).where(CardState.user_id == user.id)).all()
    for state in states[: int(len(states) * due_share)]:
        first = now - timedelta(days=rng.randint(20, 200))
        card, _ = scheduler.review_card(FsrsCard(card_id=state.card_id), Rating.Easy, review_datetime=first)
        state.state, state.step, state.stability, state.difficulty = (
            int(card.state),
            card.step,
            card.stability,
            card.difficulty,
        )
        state.last_review, state.due, state.reps = first, now - timedelta(minutes=rng.randint(1, 600)), 1
        session.add(state)
    session.commit()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def client_loop(
    port: int, token: str, deck_id: int, stop_at: float, results: dict, *, interval: float = 0.0
) -> None:
    """Reviews one deck until `stop_at`: back to back, or with `interval` > 0 one rating every `interval`
    seconds on a fixed schedule (a late answer is not made up for by skipping the ratings it delayed)."""
    conn = Connection("127.0.0.1", port, token)
    await conn.open()
    rng = random.Random(deck_id)
    card = None
    next_at = time.perf_counter() + rng.random() * interval
    try:
        while time.perf_counter() < stop_at:
            if card is None:  # the first card, or after an empty queue: ask for it
                t0 = time.perf_counter()
                status, body = await conn.request("GET", f"/api/review/next?deck_id={deck_id}")
                results["next"].append(time.perf_counter() - t0)
                results["errors"] += status != 200
                card = body.get("card")
                if card is None:
                    await asyncio.sleep(0.01)
                    continue
            rating = rng.choices([1, 2, 3, 4], weights=[10, 10, 60, 20])[0]
            if interval:
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
                next_at += interval
                if time.perf_counter() >= stop_at:
                    break
            t0 = time.perf_counter()
            # The answer carries the next card, as in the browser: one round trip per review.
            status, body = await conn.request(
                "POST", f"/api/review/{card['id']}?deck_id={deck_id}", {"rating": rating, "duration_ms": 3000}
            )
            results["rate"].append(time.perf_counter() - t0)
            results["errors"] += status != 200
            card = (body.get("next") or {}).get("card")
    finally:
        await conn.close()


def cpu_seconds(pid: int, *, kernel_only: bool = False) -> float:
    """User + system CPU time of a process (Linux /proc), to report CPU per request independent of load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[12]) if kernel_only else int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000)[int(q * 10) - 1] * 1000 if len(values) > 10 else float("nan")


async def run_load(
    port: int, token: str, deck_ids: list[int], clients: int, seconds: float, *, interval: float = 0.0
) -> dict:
    results = {"next": [], "rate": [], "errors": 0}
    stop_at = time.perf_counter() + seconds
    await asyncio.gather(
        *(
            client_loop(port, token, deck_ids[i % len(deck_ids)], stop_at, results, interval=interval)
            for i in range(clients)
        )
    )
    return results


BENCH_MODELS_DIR = Path(tempfile.gettempdir()) / "lectern-bench-models"  # exported once, kept between runs


@contextmanager
def running_server(data_dir: Path, env: dict[str, str] | None = None) -> Iterator[tuple[int, subprocess.Popen]]:
    """`python main.py` on a free loopback port over `data_dir`, once /api/health answers and its start-up work
    is done; (port, process). The embedding model comes from BENCH_MODELS_DIR: in a fresh data dir the server
    would spend its first ~10 s of CPU (both cores) exporting the model, in the middle of a measurement."""
    port = free_port()
    defaults = {
        "LECTERN_DATA_DIR": str(data_dir),
        "LECTERN_LOG_LEVEL": "warning",
        "LECTERN_MODELS_DIR": str(BENCH_MODELS_DIR),
    }
    server = subprocess.Popen(
        [sys.executable, "main.py", "--port", str(port)], cwd=ROOT, env=os.environ | defaults | (env or {})
    )
    try:
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                if server.poll() is not None:
                    raise RuntimeError("the server exited during start-up") from None
                time.sleep(0.1)
        wait_until_idle(server.pid)
        yield port, server
    finally:
        server.terminate()
        server.wait(timeout=15)


def wait_until_idle(pid: int, *, timeout: float = 120) -> None:
    """Until the process uses < 10 % of a core (it loads, or the first time exports, the embedding model
    in the background after start-up)."""
    deadline, last = time.monotonic() + timeout, cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = cpu_seconds(pid)
        if now - last < 0.05:
            return
        last = now


def login(port: int, email: str = "bench@example.com", password: str = "bench-password") -> str:
    response = httpx.post(f"http://127.0.0.1:{port}/api/auth/login", json={"email": email, "password": password})
    response.raise_for_status()
    return response.json()["access_token"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--cards", type=int, default=10_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="lectern-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        t0 = time.perf_counter()
        seed(data_dir, cards=args.cards, decks=args.clients)
        print(f"seeded {args.cards} cards in {time.perf_counter() - t0:.1f}s")
        with running_server(data_dir) as (port, server):
            token = login(port)
            headers = {"Authorization": f"Bearer {token}"}
            deck_ids = [d["id"] for d in httpx.get(f"http://127.0.0.1:{port}/api/decks", headers=headers).json()]
            asyncio.run(run_load(port, token, deck_ids, args.clients, 2))  # warm-up
            cpu_before, kernel_before = cpu_seconds(server.pid), cpu_seconds(server.pid, kernel_only=True)
            results = asyncio.run(run_load(port, token, deck_ids, args.clients, args.seconds))
            server_cpu = cpu_seconds(server.pid) - cpu_before
            server_kernel = cpu_seconds(server.pid, kernel_only=True) - kernel_before

    rate, nxt = results["rate"], results["next"]
    rate_rps = len(rate) / args.seconds
    total_rps = (len(rate) + len(nxt)) / args.seconds
    print(f"\nreview load: {args.clients} clients, {args.seconds:.0f}s, {args.cards} cards, {os.cpu_count()} cores")
    print(f"{'':24}{'measured':>12}{'budget':>12}")
    print(f"{'POST rating req/s':24}{rate_rps:>12.0f}{'>= ' + str(BUDGET_RPS):>12}")
    print(f"{'POST rating p50 ms':24}{percentile(rate, 50):>12.1f}")
    print(f"{'POST rating p99 ms':24}{percentile(rate, 99):>12.1f}{'<= ' + str(BUDGET_P99_MS):>12}")
    print(f"{'GET next p50 ms':24}{percentile(nxt, 50):>12.1f}")
    print(f"{'GET next p99 ms':24}{percentile(nxt, 99):>12.1f}")
    print(f"{'all requests req/s':24}{total_rps:>12.0f}")
    requests = max(1, len(rate) + len(nxt))
    print(f"{'server CPU ms/request':24}{server_cpu * 1000 / requests:>12.2f}")
    print(f"{'  of which kernel':24}{server_kernel * 1000 / requests:>12.2f}")
    print(f"{'errors':24}{results['errors']:>12}")


if __name__ == "__main__":
    main()
