"""Chat with the lectures: does an answer cite the page that answers it, are its quotes real, how soon does it start.

Starts `python main.py` on a fresh data dir (review_load.running_server), registers a user and uploads three
lectures into one course: the two CS 229 cheat sheets of ../shared/fixtures/ (dense two-column text with formulas)
and an 8-page biology / chemistry / history lecture built here with fpdf2, one topic a page. Then it asks each
question of bench/chat_questions.json in a conversation of its own (scope "all") as the browser does: POST the
question, read the answer from /ws. Figures, beside the issue-5 budgets:

  hit@3                answerable questions with one of the first 3 citations on an answering page    >= 0.8
                       (and that page's text holding one of the question's answer phrases)
  citation precision   citations whose quote is on the cited page (citations.quote_in_page)          1.0 (builtin)
  abstention accuracy  unanswerable questions answered grounded=false without citations             —
  time to first token  POST sent → first chat.delta, p50 / p95                                        p95 <= 1000 ms
  time to done         POST sent → chat.done, p50 / p95                                               —

One question is asked before the scored ones and reported apart: the first search after an ingest loads the vectors.
Each answer is also checked against the API contract (event order, deltas adding up to the content, [n] markers
matching the citations); answers with a breach, an error or a timeout are counted and, with --verbose, listed.

    .venv/bin/python bench/chat_eval.py [--models-dir /tmp/lectern-bench-models] [--port N] [--verbose] [--strict]

--port evaluates a server already running on that port (as a new account) instead of starting one.
--strict exits 1 when a budget is missed; --verbose prints every question with its cited pages, hit or miss.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from textwrap import shorten

import httpx
from fpdf import FPDF
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from review_load import BENCH_MODELS_DIR, percentile, running_server, wait_until_idle  # noqa: E402

from processing.cardgen.citations import normalise, quote_in_page  # noqa: E402

BUDGET_HIT_AT_3 = 0.8
BUDGET_CITATION_PRECISION = 1.0  # for the builtin provider, whose quotes are cut from the page
BUDGET_FIRST_TOKEN_P95_MS = 1000  # issue 5: answers "within a second" offline
FIXTURES = ROOT.parent / "shared" / "fixtures"
QUESTIONS = Path(__file__).with_name("chat_questions.json")
SYNTHETIC = "synthetic"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
ANSWER_TIMEOUT_SECONDS = 120
INGEST_TIMEOUT_SECONDS = 600
WARM_UP_QUESTION = "What is a neural network built from?"
MARKER = re.compile(r"\[(\d+)\]")


def build_synthetic_lecture(path: Path, pages: list[dict]) -> Path:
    """A letter PDF with a real text layer: each page a heading and the paragraphs of one topic (from the
    question set's "synthetic_lecture"), so that every question about it has exactly one right page."""
    pdf = FPDF(format="letter")
    pdf.add_font("DejaVu", fname=FONT)
    pdf.add_font("DejaVu", style="B", fname=FONT.replace("DejaVuSans", "DejaVuSans-Bold"))
    pdf.set_auto_page_break(False)
    for number, page in enumerate(pages, start=1):
        pdf.add_page()
        pdf.set_font("DejaVu", style="B", size=15)
        pdf.cell(0, 10, f"Science and history, part {number}: {page['heading']}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        pdf.set_font("DejaVu", size=11)
        for paragraph in page["paragraphs"]:
            pdf.multi_cell(0, 5.5, paragraph, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
        if pdf.get_y() > pdf.h - pdf.b_margin:
            raise ValueError(f"page {number} of the synthetic lecture runs over the page")
    pdf.output(str(path))
    return path


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    lecture: str | None  # a fixture's file name or SYNTHETIC; None: the material does not answer it
    pages: tuple[int, ...]
    phrases: tuple[str, ...]

    @property
    def answerable(self) -> bool:
        return bool(self.pages)


@dataclass
class Answer:
    """One question's answer as it came over /ws, with its timings (s after the POST was sent)."""

    question: Question
    message: dict | None = None  # the final Message (chat.done or chat.error)
    first_delta: float | None = None
    finished: float | None = None
    problems: list[str] = field(default_factory=list)  # errors, timeouts, breaches of the API contract

    @property
    def citations(self) -> list[dict]:
        return sorted((self.message or {}).get("citations") or [], key=lambda citation: citation["n"])


def load_question_set(path: Path = QUESTIONS) -> tuple[list[Question], list[dict]]:
    """The questions, and the pages of the synthetic lecture they ask about."""
    data = json.loads(path.read_text())
    questions = [
        Question(item["id"], item["question"], item["lecture"], tuple(item["pages"]), tuple(item["answer_phrases"]))
        for item in data["questions"]
    ]
    return questions, data["synthetic_lecture"]


class ChatSession:
    """One account on the server: its HTTP API, and its /ws events stamped with their arrival time."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token
        self.http = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}, timeout=60
        )
        self.events: asyncio.Queue[tuple[float, dict]] = asyncio.Queue()
        self.page_texts: dict[tuple[int, int], str] = {}
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task | None = None

    async def __aenter__(self) -> ChatSession:
        self._ws = await connect(f"ws://127.0.0.1:{self.port}/ws")
        await self._ws.send(json.dumps({"type": "auth", "token": self.token}))
        hello = json.loads(await self._ws.recv())
        if hello.get("type") != "hello":
            raise RuntimeError(f"/ws did not say hello: {hello}")
        self._reader = asyncio.create_task(self._read(self._ws))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._reader:
            self._reader.cancel()
        if self._ws:
            await self._ws.close()
        await self.http.aclose()

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                self.events.put_nowait((time.perf_counter(), json.loads(raw)))
        finally:  # ask() stops at once instead of waiting out its timeout
            self.events.put_nowait((time.perf_counter(), {"type": "closed", "reason": ws.close_reason}))

    async def call(self, method: str, url: str, **kwargs) -> dict:
        response = await self.http.request(method, url, **kwargs)
        if response.is_error:
            raise RuntimeError(f"{method} {url}: {response.status_code} {response.text}")
        return response.json()

    async def upload(self, course_id: int, path: Path) -> int:
        """Uploads the PDF; returns the lecture's id."""
        files = {"file": (path.name, path.read_bytes(), "application/pdf")}
        return (await self.call("POST", f"/api/courses/{course_id}/lectures", files=files))["lecture"]["id"]

    async def wait_until_ready(self, lecture_id: int) -> dict:
        deadline = time.monotonic() + INGEST_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            lecture = await self.call("GET", f"/api/lectures/{lecture_id}")
            if lecture["status"] == "ready":
                return lecture
            if lecture["status"] in ("failed", "cancelled"):
                raise RuntimeError(f"lecture {lecture['filename']} {lecture['status']}: {lecture['error']}")
            await asyncio.sleep(0.5)
        raise TimeoutError(f"lecture {lecture_id} not ready after {INGEST_TIMEOUT_SECONDS} s")

    async def page_text(self, lecture_id: int, page: int) -> str:
        if (lecture_id, page) not in self.page_texts:
            found = await self.http.get(f"/api/lectures/{lecture_id}/pages/{page}")
            self.page_texts[lecture_id, page] = found.json()["text"] if found.status_code == 200 else ""
        return self.page_texts[lecture_id, page]

    async def ask(self, question: Question) -> Answer:
        """Asks in a new conversation (scope "all") and reads the answer's events until chat.done or chat.error."""
        answer = Answer(question)
        conversation = await self.call("POST", "/api/conversations", json={"scope": "all"})
        started = time.perf_counter()
        posted = await self.http.post(
            f"/api/conversations/{conversation['id']}/messages", json={"question": question.text}
        )
        if posted.status_code != 202:
            answer.problems.append(f"POST message: {posted.status_code} {posted.text}")
            return answer
        events: list[dict] = []
        while answer.message is None:
            try:
                arrived, event = await asyncio.wait_for(self.events.get(), ANSWER_TIMEOUT_SECONDS)
            except TimeoutError:
                answer.problems.append(f"no chat.done or chat.error within {ANSWER_TIMEOUT_SECONDS} s")
                break
            if event["type"] == "closed":
                raise RuntimeError(f"the server closed /ws: {event['reason']}")
            if event.get("conversation_id") != conversation["id"]:
                continue  # job events, heartbeats
            events.append(event)
            if event["type"] == "chat.delta" and answer.first_delta is None:
                answer.first_delta = arrived - started
            if event["type"] in ("chat.done", "chat.error"):
                answer.message, answer.finished = event["message"], arrived - started
        answer.problems += contract_breaches(posted.json(), events)
        return answer


def contract_breaches(accepted: dict, events: list[dict]) -> list[str]:
    """What in one answer's 202 body and events differs from the chat API contract of issue 5."""
    problems = []
    placeholder = accepted.get("answer") or {}
    if placeholder.get("status") != "streaming" or placeholder.get("content") != "":
        problems.append(f"202 answer is not an empty streaming placeholder: {placeholder}")
    kinds = [event["type"] for event in events]
    head = [(event["message"]["role"], event["message"]["status"]) for event in events[:2] if "message" in event]
    if kinds[:2] != ["chat.message", "chat.message"] or [role for role, _ in head] != ["user", "assistant"]:
        problems.append(f"does not start with the question and the answer placeholder: {kinds[:2]} {head}")
    elif head[1][1] != "streaming":
        problems.append(f"the answer placeholder's status is {head[1][1]}")
    if not kinds or kinds[-1] not in ("chat.done", "chat.error") or set(kinds[2:-1]) - {"chat.delta"}:
        problems.append(f"event order: {kinds}")
    if not events or "message" not in events[-1]:
        return problems
    final = events[-1]["message"]
    if kinds[-1] == "chat.error":
        problems.append(f"interrupted (chat.error): {final.get('error')}")
    deltas = "".join(event["text"] for event in events if event["type"] == "chat.delta")
    if final.get("status") == "done" and deltas != final.get("content"):
        problems.append(f"deltas ({len(deltas)} chars) do not add up to the content ({len(final['content'])} chars)")
    if final.get("status") == "done" and final.get("html") is None:
        problems.append("done without html")
    citations = final.get("citations") or []
    if not final.get("grounded") and citations:
        problems.append("grounded=false with citations")
    markers = {int(n) for n in MARKER.findall(final.get("content") or "")}
    if markers != {citation["n"] for citation in citations}:
        problems.append(f"[n] markers {sorted(markers)} ≠ citations {[c['n'] for c in citations]}")
    for citation in citations:
        if citation["lecture_id"] and citation["url"] != f"#/lecture/{citation['lecture_id']}?page={citation['page']}":
            problems.append(f"citation url {citation['url']}")
    return problems


@dataclass
class Score:
    answer: Answer
    cited: list[str]  # "<lecture> p<n>" of each citation, in [n] order
    hit_rank: int | None  # 1-based place of the first citation on an answering page; None: none is
    quote_found: list[bool]  # per citation: citations.quote_in_page on the cited page
    quote_exact: list[bool]  # per citation: the normalised quote is in the normalised page as it is

    @property
    def answerable(self) -> bool:
        return self.answer.question.answerable

    @property
    def hit_at_3(self) -> bool:
        return self.hit_rank is not None and self.hit_rank <= 3

    @property
    def abstained(self) -> bool:
        return self.answer.message is not None and not self.answer.message["grounded"] and not self.cited


@dataclass
class Run:
    scores: list[Score]
    warm_up: Score
    pages: int  # of the three lectures
    load: tuple[float, float]  # the machine's 1-minute load average before and after the questions


def short_name(lecture: str) -> str:
    return lecture.removesuffix(".pdf").split("-", 1)[-1]


async def score(session: ChatSession, answer: Answer, lectures: dict[str, int]) -> Score:
    names = {lecture_id: short_name(name) for name, lecture_id in lectures.items()}
    question, citations = answer.question, answer.citations
    texts = [await session.page_text(c["lecture_id"], c["page"]) if c["lecture_id"] else "" for c in citations]
    answering = [
        question.answerable
        and c["lecture_id"] == lectures[question.lecture]
        and c["page"] in question.pages
        and any(normalise(phrase) in normalise(text) for phrase in question.phrases)
        for c, text in zip(citations, texts, strict=True)
    ]
    return Score(
        answer,
        cited=[f"{names.get(c['lecture_id'], c['lecture_title'])} p{c['page']}" for c in citations],
        hit_rank=answering.index(True) + 1 if any(answering) else None,
        quote_found=[quote_in_page(c["quote"], text) for c, text in zip(citations, texts, strict=True)],
        quote_exact=[
            bool(normalise(c["quote"])) and normalise(c["quote"]) in normalise(text)
            for c, text in zip(citations, texts, strict=True)
        ],
    )


async def check_question_set(session: ChatSession, questions: list[Question], lectures: dict[str, int]) -> None:
    """Every answer phrase must be on one of its question's pages as the server extracted them."""
    errors = []
    for question in questions:
        if not question.answerable:
            continue
        if question.lecture not in lectures or not question.phrases:
            errors.append(f"{question.id}: unknown lecture {question.lecture!r} or no answer phrase")
            continue
        texts = [normalise(await session.page_text(lectures[question.lecture], page)) for page in question.pages]
        errors += [
            f"{question.id}: {phrase!r} is not on {short_name(question.lecture)} pages {list(question.pages)}"
            for phrase in question.phrases
            if not any(normalise(phrase) in text for text in texts)
        ]
    if errors:
        raise SystemExit("the question set does not match the lectures:\n  " + "\n  ".join(errors))


async def evaluate(port: int, pdfs: dict[str, Path], questions: list[Question], server_pid: int | None) -> Run:
    """Registers a user, uploads the lectures, asks the warm-up question and then every question, one at a time."""
    suffix = secrets.token_hex(4)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as anonymous:
        registered = await anonymous.post(
            "/api/auth/register", json={"email": f"chat-eval-{suffix}@example.com", "password": "bench-password"}
        )
    if registered.status_code != 201:
        raise RuntimeError(f"could not register: {registered.status_code} {registered.text}")
    async with ChatSession(port, registered.json()["access_token"]) as session:
        course = await session.call("POST", "/api/courses", json={"name": f"Chat evaluation {suffix}"})
        log(f"uploading {', '.join(pdfs)}")
        lectures = {name: await session.upload(course["id"], path) for name, path in pdfs.items()}
        pages = sum([(await session.wait_until_ready(lecture_id))["page_count"] for lecture_id in lectures.values()])
        if server_pid is not None:
            await asyncio.to_thread(wait_until_idle, server_pid)
        await check_question_set(session, questions, lectures)
        log(f"asking {len(questions)} questions after one warm-up question")
        load_before = os.getloadavg()[0]
        warm_up = await session.ask(Question("warm-up", WARM_UP_QUESTION, None, (), ()))
        answers = [await session.ask(question) for question in questions]
        scores = [await score(session, answer, lectures) for answer in answers]
        return Run(scores, await score(session, warm_up, lectures), pages, (load_before, os.getloadavg()[0]))


def log(text: str) -> None:
    print(f"  · {text}", file=sys.stderr, flush=True)


def ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:.0f}"


def row(label: str, measured: str, budget: str = "", ok: bool | None = None) -> None:
    verdict = "" if ok is None else ("PASS" if ok else "MISS")
    print(f"  {label:<46}{measured:>18}{budget:>18}  {verdict}".rstrip())


def share(count: int, total: int) -> str:
    return f"{count}/{total} = {count / total:.2f}" if total else "—"


def report(run: Run) -> bool:
    """Prints the figures beside their budgets; True when every budget is met."""
    scores, warm_up = run.scores, run.warm_up.answer
    answerable = [s for s in scores if s.answerable]
    unanswerable = [s for s in scores if not s.answerable]
    found = [ok for s in scores for ok in s.quote_found]
    exact = [ok for s in scores for ok in s.quote_exact]
    providers = sorted({s.answer.message["provider"] or "none" for s in scores if s.answer.message})
    # The first text the student sees: the first delta, or the whole answer when it came without deltas.
    first = [s.answer.first_delta or s.answer.finished for s in scores if s.answer.finished is not None]
    done = [s.answer.finished for s in scores if s.answer.finished is not None]
    hits = sum(s.hit_at_3 for s in answerable)
    hit_ok = hits >= BUDGET_HIT_AT_3 * len(answerable)
    precision_ok = sum(found) >= BUDGET_CITATION_PRECISION * len(found) if providers == ["builtin"] else None
    first_ok = percentile(first, 95) <= BUDGET_FIRST_TOKEN_P95_MS
    print(
        f"\nchat over 3 lectures ({run.pages} pages): {len(answerable)} answerable and "
        f"{len(unanswerable)} unanswerable questions, one conversation each; provider {', '.join(providers) or '?'}"
    )
    print(f"(load average {run.load[0]:.1f} before the questions, {run.load[1]:.1f} after; {os.cpu_count()} cores)")
    row("", "measured", "budget")
    row("hit@3 (answerable questions)", share(hits, len(answerable)), f">= {BUDGET_HIT_AT_3}", hit_ok)
    row("  hit@1", share(sum(s.hit_rank == 1 for s in answerable), len(answerable)))
    row("  answered grounded=false (abstained wrongly)", str(sum(s.abstained for s in answerable)))
    precision_budget = "1.0" if precision_ok is not None else "1.0 (builtin)"
    row("citation precision (quote_in_page)", share(sum(found), len(found)), precision_budget, precision_ok)
    row("  quote on its page word for word (normalised)", share(sum(exact), len(exact)))
    row("  citations per answer, median", f"{statistics.median(len(s.cited) for s in scores):.0f}")
    row(
        "abstention accuracy (unanswerable questions)", share(sum(s.abstained for s in unanswerable), len(unanswerable))
    )
    first_spread = f"{percentile(first, 50):.0f} / {percentile(first, 95):.0f}"
    row("time to first token p50 / p95 (ms)", first_spread, f"p95 <= {BUDGET_FIRST_TOKEN_P95_MS}", first_ok)
    row("time to done p50 / p95 (ms)", f"{percentile(done, 50):.0f} / {percentile(done, 95):.0f}")
    row("first answer after ingest: first token / done", f"{ms(warm_up.first_delta)} / {ms(warm_up.finished)}")
    breached = [s for s in [*scores, run.warm_up] if s.answer.problems]
    row("answers with a problem (error, timeout, contract)", f"{len(breached)} of {len(scores) + 1}")
    misses = [s.answer.question.id for s in answerable if not s.hit_at_3]
    wrong = [s.answer.question.id for s in unanswerable if not s.abstained]
    print(f"\n  misses: {', '.join(misses) or 'none'}; unanswerable but answered: {', '.join(wrong) or 'none'}")
    return hit_ok and first_ok and precision_ok is not False


def print_questions(run: Run) -> None:
    """One block per question: expected and cited pages, the verdict, the quotes of a miss, contract breaches."""
    print()
    for s in [run.warm_up, *run.scores]:
        question, answer, message = s.answer.question, s.answer, s.answer.message or {}
        if question.id == "warm-up":
            verdict, expected = "WARM", "—"
        elif question.answerable:
            verdict = "HIT" if s.hit_at_3 else "MISS"
            expected = f"{short_name(question.lecture)} p{','.join(map(str, question.pages))}"
        else:
            verdict, expected = ("ABST" if s.abstained else "MISS"), "none"
        grounded = "grounded" if message.get("grounded") else "not grounded"
        timing = f"first {ms(answer.first_delta)} ms, done {ms(answer.finished)} ms"
        print(f"{verdict:<5}{question.id}: {question.text}")
        print(f"       expected {expected}; cited {', '.join(s.cited) or 'nothing'} ({grounded}; {timing})")
        if s.hit_rank and s.hit_rank > 3:
            print(f"       first answering citation is [{s.hit_rank}]")
        for citation, found in zip(answer.citations, s.quote_found, strict=True):
            if not found:
                print(f"       quote [{citation['n']}] not on p{citation['page']}: {citation['quote']!r}")
            elif verdict == "MISS":
                print(f"       [{citation['n']}] {shorten(' '.join(citation['quote'].split()), 110)!r}")
        for problem in answer.problems:
            print(f"       problem: {problem}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models-dir", type=Path, default=BENCH_MODELS_DIR)
    parser.add_argument("--port", type=int, help="evaluate the server already running on this port")
    parser.add_argument("--verbose", action="store_true", help="print every question with its cited pages")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a budget is missed")
    args = parser.parse_args()
    questions, synthetic_pages = load_question_set()
    with tempfile.TemporaryDirectory(prefix="lectern-bench-") as tmp:
        pdfs = {name: FIXTURES / name for name in ("cheatsheet-deep-learning.pdf", "refresher-algebra-calculus.pdf")}
        pdfs[SYNTHETIC] = build_synthetic_lecture(Path(tmp) / "science-and-history.pdf", synthetic_pages)
        if args.port:
            run = asyncio.run(evaluate(args.port, pdfs, questions, server_pid=None))
        else:
            # Tokens outlive a slow provider's run; the model comes from --models-dir, exported once.
            env = {"LECTERN_MODELS_DIR": str(args.models_dir), "LECTERN_ACCESS_TOKEN_MINUTES": "240"}
            with running_server(Path(tmp) / "data", env) as (port, server):
                run = asyncio.run(evaluate(port, pdfs, questions, server_pid=server.pid))
    if args.verbose:
        print_questions(run)
    within_budget = report(run)
    if args.strict and not within_budget:
        sys.exit(1)


if __name__ == "__main__":
    main()
