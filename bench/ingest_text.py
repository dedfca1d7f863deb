"""Text-layer PDF ingest: pages/s for reading every page's text layer and judging it real (no OCR, no embedding).

Builds a 300-page lecture-like text PDF with fpdf2 in a temp dir (DejaVuSans, ~2,000 characters of
Zipf-distributed words a page), then times pdf.text_layer + quality.is_real_text over it. Budget (SPEC): >= 300 pages/s.
Chunking is another module's work and not timed here.

    .venv/bin/python bench/ingest_text.py [--pages 300] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from fpdf import FPDF

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from processing.extract.pdf import text_layer  # noqa: E402
from processing.extract.quality import is_real_text  # noqa: E402

BUDGET_PAGES_PER_SECOND = 300
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FUNCTION_WORDS = "the of and in to is a that by for with as are from which this can be on at these when into"
SYLLABLES = "con tra mem bra ne pro te in en zy me re ac tion glu co se ox i da gra di ent sig nal mo le cu"
VOCABULARY_SIZE = 3000


def vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    """Function words plus 3,000 made-up content words, weighted by Zipf's law like real prose."""
    syllables = SYLLABLES.split()
    content = {"".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(VOCABULARY_SIZE)}
    words = [*FUNCTION_WORDS.split(), *sorted(content)]
    return words, [1 / rank for rank in range(1, len(words) + 1)]


def lecture_paragraph(rng: random.Random, words: list[str], weights: list[float]) -> str:
    sentences = []
    for _ in range(rng.randint(3, 6)):
        sentence = rng.choices(words, weights=weights, k=rng.randint(8, 18))
        sentences.append(" ".join(sentence).capitalize() + ".")
    return " ".join(sentences)


def build_text_pdf(path: Path, *, pages: int, seed: int = 7) -> Path:
    """A `pages`-page PDF with a heading and a few paragraphs of prose on every page."""
    rng = random.Random(seed)
    words, weights = vocabulary(rng)
    pdf = FPDF(format="letter")
    pdf.add_font("DejaVu", fname=FONT)
    pdf.add_font("DejaVu", style="B", fname=FONT.replace("DejaVuSans", "DejaVuSans-Bold"))
    pdf.set_auto_page_break(False)
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.set_font("DejaVu", style="B", size=16)
        pdf.cell(
            0, 10, f"Lecture {1 + number // 20}, section {number}: Über Zellmembranen", new_x="LMARGIN", new_y="NEXT"
        )
        pdf.set_font("DejaVu", size=10)
        for _ in range(6):
            pdf.multi_cell(0, 5, lecture_paragraph(rng, words, weights), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
    pdf.output(str(path))
    return path


def time_text_layer(path: Path) -> tuple[float, int, int]:
    """Seconds to read and judge every page, the page count, and how many pages were judged real."""
    started = time.perf_counter()
    pages = real = 0
    for page in text_layer(path):
        pages += 1
        real += is_real_text(page.text)
    return time.perf_counter() - started, pages, real


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lectern-bench-") as folder:
        path = build_text_pdf(Path(folder) / "lecture.pdf", pages=args.pages)
        size_mb = path.stat().st_size / 1e6
        timings = [time_text_layer(path) for _ in range(args.runs)]
    rates = [pages / seconds for seconds, pages, _real in timings]
    real = timings[0][2]
    print(f"text-layer ingest: {args.pages}-page text PDF ({size_mb:.1f} MB), {args.runs} runs, {os.cpu_count()} cores")
    print(f"{'':36}{'measured':>10}{'budget':>10}")
    print(f"{'text layer + quality (median p/s)':36}{statistics.median(rates):>10.0f}{'>= 300':>10}")
    print(f"{'text layer + quality (worst p/s)':36}{min(rates):>10.0f}{'>= 300':>10}")
    print(f"{'pages judged real text':36}{real:>10}{args.pages:>10}")
    ok = min(rates) >= BUDGET_PAGES_PER_SECOND and real == args.pages
    print("within budget" if ok else "OVER BUDGET")


if __name__ == "__main__":
    main()
