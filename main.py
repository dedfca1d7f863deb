"""Lectern: the app factory and its lifespan (database, tokens, rate limiter, jobs, WebSocket hub).
`python main.py` serves it."""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from config import Settings, load_settings
from db import Database
from logs import setup_logging
from processing import drafts, lectures, llm, ocr, optimize
from processing.cardgen.job import CardGeneration
from processing.chat import conversations
from processing.chat.answering import ChatAnswers
from processing.documents import job as document_jobs
from processing.embeddings import Embedder
from processing.errors import DomainError
from processing.feedback import FeedbackStreams
from processing.hub import Hub
from processing.ingest import Ingest, IngestOptions, reconcile_lectures
from processing.interchange import anki_jobs
from processing.interchange import jobs as interchange_jobs
from processing.jobs import JobRunner, lower_thread_priority
from processing.ratelimit import LoginLimiter
from processing.search import VectorIndex
from processing.security import TokenService
from processing.storage import Storage
from routers import admin, auth, chat, decks, files, jobs, notes, notices, review, sharing, stats, users, ws
from routers import anki as anki_routes
from routers import documents as document_routes
from routers import drafts as draft_routes
from routers import exams as exam_routes
from routers import interchange as interchange_routes
from routers import lectures as lecture_routes
from routers import media as media_routes
from routers import search as search_routes
from routers.deps import DatabaseDep
from routers.middleware import SecurityHeadersAndLogging

VERSION = "0.1.0"
ROOT = Path(__file__).resolve().parent
STATIC_DIR = ROOT / "static"
NODE_MODULES = ROOT / "node_modules"
log = logging.getLogger("lectern")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    setup_logging(level=settings.log_level, as_json=settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Few request threads: with the GIL, 40 runnable threads (anyio's default) make a thread
        # that holds the database write lock wait behind all of them for each GIL hand-off.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        app.state.password_limiter = anyio.CapacityLimiter(2)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        database = Database(settings.sqlalchemy_url)
        database.migrate()
        app.state.settings = settings
        app.state.db = database
        app.state.tokens = TokenService(
            secret=settings.jwt_secret(),
            access_minutes=settings.access_token_minutes,
            refresh_days=settings.refresh_token_days,
        )
        app.state.login_limiter = LoginLimiter(settings.login_rate_limit)
        app.state.hub = Hub(loop=asyncio.get_running_loop())
        app.state.ws_timing = ws.WebSocketTiming()
        app.state.storage = storage = Storage(settings.data_dir)
        storage.sweep_tmp()  # leftovers of uploads and ingests cut off by the last stop
        interchange_jobs.sweep_imports(database, storage)  # uploads of import jobs cancelled while queued
        app.state.embedder = embedder = Embedder(settings.models_dir)
        if settings.preload_model:
            embedder.start_loading_in_background()  # start-up does not wait for it
        app.state.vector_index = VectorIndex(database, max_bytes=settings.vector_cache_mb * 1024 * 1024)
        workers = ocr.default_workers()
        app.state.executor = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="lectern-job", initializer=lower_thread_priority
        )
        runner = JobRunner(database=database, publish=app.state.hub.publish, executor=app.state.executor)
        app.state.jobs = runner
        ingest = Ingest(
            database=database,
            storage=storage,
            embedder=embedder,
            options=IngestOptions(
                ocr_langs=settings.ocr_langs, workers=workers, on_chunks_changed=app.state.vector_index.invalidate
            ),
        )
        runner.register(lectures.INGEST, ingest, doing="reading the lecture")
        generation = CardGeneration(
            database=database, embedder=embedder, provider=lambda: llm.provider_from_settings(app.state.settings)
        )
        runner.register(drafts.CARDGEN, generation, doing="writing cards")
        runner.register(optimize.OPTIMIZE, optimize.FsrsOptimization(database=database), doing="fitting FSRS")
        runner.register(
            anki_jobs.APKG_EXPORT,
            anki_jobs.AnkiExport(database=database, storage=storage),
            doing="writing the Anki package",
        )
        runner.register(
            anki_jobs.APKG_IMPORT,
            anki_jobs.AnkiImport(
                database=database, storage=storage, quota_bytes=lambda: app.state.settings.user_quota_bytes
            ),
            doing="importing the Anki package",
        )
        interchange_jobs.register(runner, database=database, storage=storage, app_version=VERSION)
        runner.register(
            document_jobs.QUIZ,
            document_jobs.QuizDocuments(database=database, storage=storage),
            doing="writing the quiz",
        )
        runner.register(
            document_jobs.GUIDE,
            document_jobs.StudyGuides(database=database, storage=storage),
            doing="writing the study guide",
        )
        runner.resume_interrupted()
        reconcile_lectures(database)
        with database.transaction() as session:
            conversations.interrupt_unfinished(session)
        app.state.chat = ChatAnswers(
            database=database,
            index=app.state.vector_index,
            embedder=embedder,
            provider=lambda: llm.provider_from_settings(app.state.settings),
            publish=app.state.hub.publish,
        )
        app.state.feedback = FeedbackStreams(app.state.hub.publish)
        if not (NODE_MODULES / "katex").is_dir():
            log.warning("node_modules/katex is missing: math will not render (run `make setup`)")
        log.info("lectern started", extra={"data_dir": str(settings.data_dir), "version": VERSION})
        yield
        # Running jobs stop at their next progress report and go back to the queue.
        await anyio.to_thread.run_sync(app.state.chat.shutdown)
        app.state.feedback.stop_all()
        await anyio.to_thread.run_sync(partial(app.state.jobs.shutdown, timeout=10.0))
        database.dispose()
        log.info("lectern stopped")

    app = FastAPI(title="Lectern", version=VERSION, lifespan=lifespan, docs_url=None, redoc_url=None)
    app.add_middleware(SecurityHeadersAndLogging)
    _install_error_handlers(app)
    # Routes are matched in order: the review routes (most requests by far) come first.
    for module in (
        review,
        auth,
        users,
        admin,
        sharing,  # before decks: /api/decks/public is not a deck id
        decks,
        exam_routes,
        notes,
        notices,
        lecture_routes,
        media_routes,
        search_routes,
        draft_routes,
        chat,
        files,
        document_routes,
        anki_routes,
        interchange_routes,
        stats,
        jobs,
        ws,
    ):
        app.include_router(module.router)

    @app.get("/api/health", tags=["health"])
    def health(database: DatabaseDep) -> dict:
        return {"status": "ok", "version": VERSION, "database": "ok" if database.ping() else "error"}

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Lectern API",
            swagger_js_url="/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
    app.mount("/vendor/katex", StaticFiles(directory=NODE_MODULES / "katex" / "dist", check_dir=False), name="katex")
    app.mount(
        "/vendor/swagger-ui", StaticFiles(directory=NODE_MODULES / "swagger-ui-dist", check_dir=False), name="swagger"
    )
    return app


# Pydantic's wording, said the way a person would.
_PLAIN_WORDING = [
    (re.compile(r"^String should have at least 1 character$"), "cannot be empty"),
    (re.compile(r"^String should have at least (\d+) characters$"), r"must be at least \1 characters long"),
    (re.compile(r"^String should have at most (\d+) characters?$"), r"must be at most \1 characters long"),
    (re.compile(r"^Input should be a valid integer.*"), "must be a whole number"),
    (re.compile(r"^Input should be a valid number.*"), "must be a number"),
    (re.compile(r"^Input should be greater than or equal to (.+)$"), r"must be at least \1"),
    (re.compile(r"^Input should be less than or equal to (.+)$"), r"must be at most \1"),
    (re.compile(r"^List should have at least 1 item.*"), "needs at least one item"),
]


def _plain(message: str) -> str:
    for pattern, replacement in _PLAIN_WORDING:
        if pattern.match(message):
            return pattern.sub(replacement, message)
    return message


def _validation_message(errors: list[dict]) -> str:
    parts = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        msg = _plain(str(err.get("msg", "is invalid")).removeprefix("Value error, "))
        if err.get("type") == "json_invalid":
            return "The request body is not valid JSON"
        if err.get("type") == "missing" and loc:
            msg = "is required"
        parts.append(f"{'.'.join(loc)}: {msg}" if loc else msg)
    return "; ".join(parts) or "Invalid request"


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
        return JSONResponse({"detail": _validation_message(errors), "errors": errors}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if exc.status_code != 404 or exc.detail != "Not Found" else "Not found"
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return JSONResponse(
            {"detail": "Something went wrong on the server; the error has been logged"}, status_code=500
        )


def cli() -> None:
    import sys

    import uvicorn

    if sys.argv[1:2] == ["restore"]:  # python main.py restore <archive> --data-dir <empty dir>
        from processing.interchange.backup import restore_cli

        raise SystemExit(restore_cli(sys.argv[2:]))
    settings = load_settings()
    parser = argparse.ArgumentParser(description="Serve Lectern")
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)
    args = parser.parse_args()
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,  # requests are logged by routers/middleware.py
        timeout_graceful_shutdown=10,
    )


app = create_app() if __name__ != "__main__" else None

if __name__ == "__main__":
    cli()
