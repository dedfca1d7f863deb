"""The database: engine, sessions, migrations. The only module that speaks SQLite-specific SQL."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import ColumnElement, column, create_engine, event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


WRITE_LOCK_TIMEOUT = 30.0


class Database:
    """Owns the engine. Write sessions queue on an in-process lock and then take SQLite's write
    lock up front (BEGIN IMMEDIATE): writers wait their turn in order instead of colliding,
    failing with "database is locked" or sleeping in SQLite's busy handler."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self._write_lock = threading.Lock()
            self.engine = create_engine(
                url,
                connect_args={
                    "check_same_thread": False,
                    "timeout": 15,
                    "factory": _locking_connection_class(self._write_lock),
                },
                pool_size=16,
                max_overflow=16,
            )
            _install_sqlite_hooks(self.engine, self._write_lock)
        else:
            self.engine = create_engine(url, pool_pre_ping=True)
        self._writer = self.engine.execution_options(lectern_write=True)

    def session(self, *, write: bool = False) -> Session:
        return Session(self._writer if write else self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write session that commits on success and rolls back on any error."""
        with self.session(write=True) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def raw(self, *, write: bool = False) -> Iterator[RawSQL]:
        """One transaction on a pooled DBAPI connection, without an ORM session (the review hot
        path). Writes take the same locks as write sessions; commits on success."""
        dbapi_conn = self.engine.raw_connection()
        sql = RawSQL.on(dbapi_conn, dialect=self.engine.dialect)
        try:
            if self.is_sqlite:
                _begin(dbapi_conn.driver_connection, write=write, lock=self._write_lock)
            yield sql
            dbapi_conn.commit()
        except BaseException:
            dbapi_conn.rollback()
            raise
        finally:
            dbapi_conn.close()  # back to the pool

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision (keeps all data)."""
        command.upgrade(alembic_config(self.url), "head")

    def ping(self) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT 1")).scalar() == 1

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _locking_connection_class(lock: threading.Lock) -> type[sqlite3.Connection]:
    class LockingConnection(sqlite3.Connection):
        """Releases the process write lock only after SQLite has really committed or rolled back."""

        holds_write_lock = False

        def commit(self) -> None:
            try:
                super().commit()
            finally:
                self.release_write_lock()

        def rollback(self) -> None:
            try:
                super().rollback()
            finally:
                self.release_write_lock()

        def release_write_lock(self) -> None:
            if self.holds_write_lock:
                self.holds_write_lock = False
                lock.release()

    return LockingConnection


def _install_sqlite_hooks(engine: Engine, write_lock: threading.Lock) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (the driver's implicit one is deferred).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        write = conn.get_execution_options().get("lectern_write", False)
        _begin(conn.connection.dbapi_connection, write=write, lock=write_lock)


def _begin(dbapi_conn, *, write: bool, lock: threading.Lock) -> None:
    """BEGIN on a SQLite connection, for sessions and Database.raw alike. A writer first queues
    on the process lock, then takes SQLite's write lock at once (IMMEDIATE); the lock is released
    by LockingConnection.commit/rollback."""
    if not write:
        dbapi_conn.execute("BEGIN")
        return
    if not lock.acquire(timeout=WRITE_LOCK_TIMEOUT):
        raise sqlite3.OperationalError("the database is busy; try again in a moment")
    dbapi_conn.holds_write_lock = True
    try:
        dbapi_conn.execute("BEGIN IMMEDIATE")
    except BaseException:
        dbapi_conn.release_write_lock()
        raise


# --- full-text search over notes (FTS5; kept in sync by triggers from migration 0001) ----------

_WORD = re.compile(r"\w+", re.UNICODE)


def note_search_ids(query: str) -> ColumnElement | None:
    """A sub-select of note ids matching every word of `query` (prefix match), or None if it has no words."""
    words = _WORD.findall(query)[:20]
    if not words:
        return None
    match = " ".join(f'"{w}"*' for w in words)
    return (
        text("SELECT rowid FROM note_fts WHERE note_fts MATCH :match").bindparams(match=match).columns(column("rowid"))
    )


def chunk_search_ranked(
    session: Session, *, owner_id: int, words: list[str], lecture_ids: list[int] | None, limit: int
) -> list[tuple[int, float]]:
    """(chunk id, BM25 score; higher is better) of the owner's chunks matching any of `words`,
    best first; FTS5 over lecture_chunk (migration 0004)."""
    words = _specific_words(session, words[:20])
    if not words:
        return []
    match = " OR ".join(f'"{w}"' for w in words)
    within = ""
    params: dict = {"match": match, "owner": owner_id, "limit": limit}
    if lecture_ids is not None:
        if not lecture_ids:
            return []
        names = [f"l{i}" for i in range(len(lecture_ids))]
        within = f" AND c.lecture_id IN ({', '.join(':' + n for n in names)})"
        params.update(zip(names, lecture_ids, strict=True))
    rows = session.execute(
        text(
            "SELECT c.id, bm25(lecture_chunk_fts) AS rank FROM lecture_chunk_fts "
            "JOIN lecture_chunk c ON c.id = lecture_chunk_fts.rowid "
            f"WHERE lecture_chunk_fts MATCH :match AND c.owner_id = :owner{within} "
            "ORDER BY rank LIMIT :limit"
        ),
        params,
    ).all()
    return [(chunk_id, -rank) for chunk_id, rank in rows]


COMMON_WORD_SHARE = 0.05  # a word in more passages than this ranks nothing and costs a scan of them all
COMMON_WORD_MIN_CHUNKS = 2000  # below this every word counts (a small library has few repeats)


def _specific_words(session: Session, words: list[str]) -> list[str]:
    """The words worth matching by keyword: in large libraries, those in at most 5 % of the passages
    (BM25 gives the others almost no weight; the meaning search still sees the whole query)."""
    if not words:
        return []
    total = session.execute(text("SELECT max(rowid) FROM lecture_chunk")).scalar() or 0  # an O(1) upper bound
    if total < COMMON_WORD_MIN_CHUNKS:
        return words
    count = text("SELECT count(*) FROM lecture_chunk_fts WHERE lecture_chunk_fts MATCH :match")
    return [w for w in words if session.execute(count, {"match": f'"{w}"'}).scalar() <= COMMON_WORD_SHARE * total]


# --- direct DBAPI access for the review hot path ------------------------------------------------

_NAMED_PARAM = re.compile(r"(?<!:):(\w+)")
_STORED_TIME = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's SQLite DateTime format, so both read each other


def to_pyformat(sql: str) -> str:
    """`:name` parameters for drivers that take `%(name)s` (psycopg); `::type` casts are left alone."""
    return _NAMED_PARAM.sub(r"%(\1)s", sql)


class RawSQL:
    """Standard SQL with `:name` parameters straight on the session's DBAPI connection, inside the
    session's transaction. SQLAlchemy costs ~100 µs per statement; the review queue's statements
    cost ~5 µs each in SQLite, so the hot path uses this. Rows come back as dicts."""

    def __init__(self, session: Session) -> None:
        connection = session.connection()
        self._use(connection.connection.dbapi_connection, connection.dialect)

    @classmethod
    def on(cls, dbapi_connection, *, dialect) -> RawSQL:
        sql = cls.__new__(cls)
        sql._use(dbapi_connection, dialect)
        return sql

    def _use(self, dbapi_connection, dialect) -> None:
        self._dbapi = dbapi_connection
        self._pyformat = dialect.paramstyle == "pyformat"
        self.is_sqlite = dialect.name == "sqlite"

    def _run(self, sql: str, params: dict):
        if self._pyformat:
            sql = to_pyformat(sql)
        cursor = self._dbapi.cursor()
        cursor.execute(sql, params)
        return cursor

    def all(self, sql: str, params: dict) -> list[dict]:
        cursor = self._run(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def first(self, sql: str, params: dict) -> dict | None:
        cursor = self._run(sql, params)
        row = cursor.fetchone()
        return None if row is None else dict(zip([d[0] for d in cursor.description], row, strict=True))

    def scalar(self, sql: str, params: dict):
        row = self._run(sql, params).fetchone()
        return None if row is None else row[0]

    def execute(self, sql: str, params: dict) -> int:
        return self._run(sql, params).rowcount

    def time(self, value: datetime | None):
        """A UTC datetime as a parameter, stored the way UTCDateTime columns store it."""
        if value is None or not self.is_sqlite:
            return value
        return value.astimezone(UTC).strftime(_STORED_TIME)

    def read_time(self, value) -> datetime | None:
        return read_time(value)


def read_time(value: datetime | str | None) -> datetime | None:
    """A UTC column as a plain query hands it back (text on SQLite, a naive datetime elsewhere), made aware."""
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def as_sql(source: Session | RawSQL) -> RawSQL:
    """Hot-path functions take either an ORM session (tests, other callers) or a raw transaction."""
    return source if isinstance(source, RawSQL) else RawSQL(source)
