"""Built-in card generation: cards per minute on a 50-page text PDF, and the share of cards whose quote checks.

Builds the lecture-like text PDF of bench/ingest_text.py (Zipf-distributed prose, a heading a page), reads its
text layer, then times processing.cardgen.builtin.generate(target=200) over it and checks every card's quote with
citations.quote_in_page against its page. Budgets (issue 4): generation of a 50-page lecture in a few seconds
(here: >= 1,000 cards per minute and <= 5 s), and 100 % of cards with a quote found in their page.

    .venv/bin/python bench/cardgen.py [--pages 50] [--target 200] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest_text import build_text_pdf  # noqa: E402  (bench/ is on sys.path when this script runs)

from processing.cardgen import PageInput  # noqa: E402
from processing.cardgen.builtin import generate  # noqa: E402
from processing.cardgen.citations import quote_in_page  # noqa: E402
from processing.extract.pdf import text_layer  # noqa: E402

BUDGET_CARDS_PER_MINUTE = 1_000
BUDGET_SECONDS = 5.0
BUDGET_QUOTED_SHARE = 1.0


def read_pages(path: Path) -> list[PageInput]:
    return [PageInput(page.number, page.text, "text") for page in text_layer(path)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--target", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lectern-bench-") as folder:
        pages = read_pages(build_text_pdf(Path(folder) / "lecture.pdf", pages=args.pages))
    timings, results = [], []
    for _ in range(args.runs):
        started = time.perf_counter()
        cards, counts = generate(pages, target=args.target)
        timings.append(time.perf_counter() - started)
        results.append(cards)
    cards = results[0]
    texts = {page.number: page.text for page in pages}
    quoted = sum(quote_in_page(card.quote, texts[card.page]) for card in cards) / len(cards) if cards else 0.0
    seconds = statistics.median(timings)
    per_minute = len(cards) / seconds * 60
    kinds = {kind: sum(card.kind == kind for card in cards) for kind in ("basic", "cloze")}
    same = all(result == cards for result in results)
    print(
        f"builtin card generation: {args.pages}-page text PDF, target {args.target}, "
        f"{args.runs} runs, {os.cpu_count()} cores"
    )
    print(
        f"cards {len(cards)} ({kinds['basic']} basic, {kinds['cloze']} cloze), pages {counts}, identical runs: {same}"
    )
    print(f"{'':34}{'measured':>10}{'budget':>10}")
    print(f"{'generate, median seconds':34}{seconds:>10.2f}{'<= 5':>10}")
    print(f"{'generate, worst seconds':34}{max(timings):>10.2f}{'<= 5':>10}")
    print(f"{'cards per minute (median)':34}{per_minute:>10.0f}{'>= 1000':>10}")
    print(f"{'quotes found in their page':34}{quoted:>10.1%}{'100 %':>10}")
    ok = (
        max(timings) <= BUDGET_SECONDS
        and per_minute >= BUDGET_CARDS_PER_MINUTE
        and quoted >= BUDGET_QUOTED_SHARE
        and len(cards) > 0
        and same
    )
    print("within budget" if ok else "OVER BUDGET")


if __name__ == "__main__":
    main()
