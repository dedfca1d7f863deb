"""Alembic migrations on real SQLite files: data written under an old revision survives the
upgrade and is served by the app; restarting is a no-op; the models match the migrated schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import models  # noqa: F401  (registers every table on the metadata)
from config import Settings
from db import alembic_config
from main import create_app
from processing.security import hash_password
from tests.conftest import PASSWORD, bearer, login, make_deck, make_note, register, sql

T0 = "2024-01-15 09:30:00.000000"


def _settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, bcrypt_rounds=4, log_level="warning")


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


def _head() -> str:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def _insert_0001_data(db: Path) -> dict:
    """A user with a deck, a basic note (1 card) and a cloze note (2 cards), written as 0001 knew them."""
    sql(
        db,
        "INSERT INTO user (id, email, display_name, password_hash, is_admin, is_disabled, token_version, created_at, "
        "desired_retention, new_cards_per_day, timezone, day_start_hour) "
        "VALUES (7, 'early@lectern.lan', 'Early', ?, 1, 0, 0, ?, 0.9, 20, 'UTC', 4)",
        hash_password(PASSWORD, rounds=4),
        T0,
    )
    sql(
        db,
        "INSERT INTO deck (id, owner_id, name, description, visibility, created_at, updated_at) "
        "VALUES (3, 7, 'Old deck', '', 'private', ?, ?)",
        T0,
        T0,
    )
    sql(
        db,
        "INSERT INTO note (id, owner_id, deck_id, kind, front, back, tags, created_at, updated_at) VALUES "
        "(11, 7, 3, 'basic', 'Photosynthèse makes sugar', 'in chloroplasts', ' plants ', ?, ?), "
        "(12, 7, 3, 'cloze', '{{c1::Ribosomes}} build {{c2::proteins}}', '', ' cell ', ?, ?)",
        T0,
        T0,
        T0,
        T0,
    )
    sql(
        db,
        "INSERT INTO card (id, note_id, ord, front_html, back_html, answer) VALUES "
        "(21, 11, 0, '<p>Photosynthèse makes sugar</p>', '<p>in chloroplasts</p>', NULL), "
        "(22, 12, 1, '<p><span class=\"cloze\">[…]</span> build proteins</p>', "
        "'<p><span class=\"cloze\">Ribosomes</span> build proteins</p>', NULL), "
        "(23, 12, 2, '<p>Ribosomes build <span class=\"cloze\">[…]</span></p>', "
        "'<p>Ribosomes build <span class=\"cloze\">proteins</span></p>', NULL)",
    )
    return {"user": 7, "deck": 3, "notes": [11, 12], "cards": [21, 22, 23]}


def test_data_from_revision_0001_survives_the_upgrade_and_is_served(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    db = data_dir / "app.db"
    command.upgrade(alembic_config(_url(db)), "0001")
    assert sql(db, "SELECT version_num FROM alembic_version") == [("0001",)]
    ids = _insert_0001_data(db)
    notes_before = sql(db, "SELECT * FROM note ORDER BY id")
    cards_before = sql(db, "SELECT * FROM card ORDER BY id")

    command.upgrade(alembic_config(_url(db)), "head")

    assert sql(db, "SELECT version_num FROM alembic_version") == [(_head(),)]
    # 0005 added three nullable columns (the lecture page a generated card cites) at the end.
    assert sql(db, "SELECT * FROM note ORDER BY id") == [row + (None, None, None) for row in notes_before]
    assert sql(db, "SELECT * FROM card ORDER BY id") == cards_before
    assert sql(db, "SELECT user_id, card_id, deck_id, state, reps, lapses, suspended, due FROM card_state") == [
        # new cards, queued in the order their notes were created
        (7, 21, 3, 0, 0, 0, 0, T0),
        (7, 22, 3, 0, 0, 0, 0, T0),
        (7, 23, 3, 0, 0, 0, 0, T0),
    ]

    with TestClient(create_app(_settings(data_dir))) as client:
        pair = login(client, "early@lectern.lan")
        assert pair["user"]["is_admin"] is True
        headers = bearer(pair["access_token"])
        found = client.get("/api/notes?q=photosynthese", headers=headers).json()
        assert [n["id"] for n in found["items"]] == [11]
        note = client.get("/api/notes/12", headers=headers).json()
        assert note["front"] == "{{c1::Ribosomes}} build {{c2::proteins}}"
        assert note["tags"] == ["cell"]
        assert [(c["id"], c["ord"], c["state"]) for c in note["cards"]] == [(22, 1, "new"), (23, 2, "new")]
        deck = client.get(f"/api/decks/{ids['deck']}", headers=headers).json()
        assert (deck["name"], deck["note_count"], deck["card_count"], deck["new_count"]) == ("Old deck", 2, 3, 3)
        served = client.get("/api/review/next", headers=headers).json()
        assert served["card"]["id"] == 21
        rated = client.post("/api/review/21", json={"rating": 3}, headers=headers)
        assert rated.status_code == 200
        # New notes get ids after the old ones, and search still covers both.
        new_note = make_note(client, headers, ids["deck"], front="Photosynthesis needs light")
        assert new_note["id"] > 12
        assert client.get("/api/notes?q=photosynth", headers=headers).json()["total"] == 2


def test_starting_twice_on_one_data_dir_keeps_everything(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with TestClient(create_app(_settings(data_dir))) as client:
        headers = register(client, "alice@example.com")
        deck_id = make_deck(client, headers)
        make_note(client, headers, deck_id, front="kept across restarts")
    db = data_dir / "app.db"
    schema = sql(db, "SELECT type, name, sql FROM sqlite_master ORDER BY name")
    rows = {t: sql(db, f"SELECT * FROM {t}") for t in ("user", "deck", "note", "card", "card_state", "refresh_token")}

    with TestClient(create_app(_settings(data_dir))) as client:
        assert client.get("/api/notes?q=restarts", headers=headers).json()["total"] == 1
        assert client.get(f"/api/decks/{deck_id}", headers=headers).json()["note_count"] == 1

    assert sql(db, "SELECT version_num FROM alembic_version") == [(_head(),)]
    assert sql(db, "SELECT type, name, sql FROM sqlite_master ORDER BY name") == schema
    assert {t: sql(db, f"SELECT * FROM {t}") for t in rows} == rows


FTS_SUFFIXES = ("_fts", "_fts_data", "_fts_idx", "_fts_docsize", "_fts_config")


def test_models_match_the_migrated_schema(tmp_path: Path) -> None:
    """A column or index added to a model without a migration shows up here."""
    url = _url(tmp_path / "schema.db")
    command.upgrade(alembic_config(url), "head")
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    finally:
        engine.dispose()
    fts_tables = [d for d in diffs if d[0] == "remove_table" and d[1].name.endswith(FTS_SUFFIXES)]
    assert len(fts_tables) == 10  # two FTS5 tables with their shadow tables exist only in the migrations
    # 0005 added note.source_lecture_id with an inline REFERENCES (SQLite's ADD COLUMN cannot add a
    # table constraint); SQLAlchemy does not read ON DELETE from inline references, SQLite keeps it:
    inline = [d for d in diffs if d[0] in ("remove_fk", "add_fk") and d[1].column_keys == ["source_lecture_id"]]
    assert sorted(d[0] for d in inline) == ["add_fk", "remove_fk"]
    foreign_keys = sql(
        tmp_path / "schema.db", 'SELECT "from", "table", on_delete FROM pragma_foreign_key_list(\'note\')'
    )
    assert ("source_lecture_id", "lecture", "SET NULL") in foreign_keys
    assert [d for d in diffs if d not in fts_tables and d not in inline] == []


def test_downgrade_to_0001_and_back(tmp_path: Path) -> None:
    url = _url(tmp_path / "down.db")
    cfg = alembic_config(url)
    command.upgrade(cfg, "head")
    command.downgrade(cfg, "0001")
    assert sql(tmp_path / "down.db", "SELECT name FROM sqlite_master WHERE name = 'card_state'") == []
    command.upgrade(cfg, "head")
    assert sql(tmp_path / "down.db", "SELECT version_num FROM alembic_version") == [(_head(),)]
