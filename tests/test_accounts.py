"""Accounts over HTTP: registration, login and its rate limit, tokens, password change, deletion,
admin actions, study settings, security headers and the API reference page."""

from __future__ import annotations

import io
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from pydantic import ValidationError

from config import Settings
from main import create_app
from tests.conftest import (
    PASSWORD,
    api_routes,
    bearer,
    ingest,
    login,
    make_course,
    make_deck,
    make_note,
    register,
    sql,
    user_id,
)
from tests.test_files import make_file

NEW_PASSWORD = "a brand new passphrase"


def test_register_first_user_is_admin_second_is_not(client: TestClient) -> None:
    first = client.post("/api/auth/register", json={"email": "Alice@Example.com", "password": PASSWORD})
    assert first.status_code == 201, first.text
    pair = first.json()
    assert pair["token_type"] == "bearer"
    assert pair["expires_in"] == 15 * 60
    assert pair["user"]["email"] == "alice@example.com"
    assert pair["user"]["is_admin"] is True
    assert pair["user"]["display_name"] == "alice"
    assert pair["user"]["settings"] == {
        "desired_retention": 0.9,
        "new_cards_per_day": 20,
        "timezone": "UTC",
        "day_start_hour": 4,
        "exam_daily_budget": 200,
    }
    second = client.post(
        "/api/auth/register", json={"email": "bob@example.com", "password": PASSWORD, "display_name": "  Bob B  "}
    )
    assert second.status_code == 201, second.text
    assert second.json()["user"]["is_admin"] is False
    assert second.json()["user"]["display_name"] == "Bob B"
    me = client.get("/api/users/me", headers=bearer(second.json()["access_token"]))
    assert me.json()["email"] == "bob@example.com"
    assert sql(client, "SELECT email, is_admin FROM user ORDER BY id") == [
        ("alice@example.com", 1),
        ("bob@example.com", 0),
    ]


def test_register_duplicate_email_is_409_whatever_the_case(client: TestClient, alice: dict) -> None:
    response = client.post("/api/auth/register", json={"email": " ALICE@example.COM ", "password": PASSWORD})
    assert response.status_code == 409
    assert "already exists" in response.json()["detail"]
    assert sql(client, "SELECT count(*) FROM user") == [(1,)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "a b@example.com", "password": PASSWORD}, "email"),
        ({"email": "carol@example.com", "password": "short"}, "password"),
        ({"email": "carol@example.com", "password": "x" * 129}, "password"),
        ({"password": PASSWORD}, "email"),
        ({"email": "carol@example.com"}, "password"),
    ],
)
def test_register_rejects_bad_input_naming_the_field(client: TestClient, body: dict, field: str) -> None:
    response = client.post("/api/auth/register", json=body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert isinstance(detail, str)
    assert detail.startswith(f"{field}:"), detail
    assert sql(client, "SELECT count(*) FROM user") == [(0,)]


def test_register_with_invalid_json_says_so(client: TestClient) -> None:
    response = client.post("/api/auth/register", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"] == "The request body is not valid JSON"


def test_login_succeeds_with_any_email_case(client: TestClient, alice: dict) -> None:
    pair = login(client, "ALICE@example.com")
    assert pair["user"]["email"] == "alice@example.com"
    assert client.get("/api/users/me", headers=bearer(pair["access_token"])).status_code == 200
    (last_login,) = sql(client, "SELECT last_login_at FROM user WHERE email = 'alice@example.com'")[0]
    assert last_login is not None


def test_wrong_password_and_unknown_email_get_the_same_401(client: TestClient, alice: dict) -> None:
    wrong_password = client.post("/api/auth/login", json={"email": "alice@example.com", "password": "nope nope"})
    unknown_email = client.post("/api/auth/login", json={"email": "nobody@example.com", "password": PASSWORD})
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json()["detail"] == unknown_email.json()["detail"]
    message = wrong_password.json()["detail"].lower()
    assert "email or password" in message
    assert "unknown" not in message and "no account" not in message and "not found" not in message


def test_login_of_a_disabled_account_is_403(client: TestClient, alice: dict, bob: dict) -> None:
    bob_id = user_id(client, bob)
    assert client.patch(f"/api/admin/users/{bob_id}", json={"is_disabled": True}, headers=alice).status_code == 200
    response = client.post("/api/auth/login", json={"email": "bob@example.com", "password": PASSWORD})
    assert response.status_code == 403
    assert "disabled" in response.json()["detail"]


@pytest.fixture
def limited_client(tmp_path: Path):
    settings = Settings(
        data_dir=tmp_path / "limited", bcrypt_rounds=4, log_level="warning", login_rate_limit="3/minute"
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_login_rate_limit_refuses_even_the_right_password(limited_client: TestClient) -> None:
    client = limited_client
    register(client, "alice@example.com")
    for _ in range(3):
        response = client.post("/api/auth/login", json={"email": "alice@example.com", "password": "wrong one"})
        assert response.status_code == 401
    limited = client.post("/api/auth/login", json={"email": "alice@example.com", "password": PASSWORD})
    assert limited.status_code == 429
    retry_after = limited.headers["Retry-After"]
    assert retry_after.isdigit(), retry_after
    assert 1 <= int(retry_after) <= 60
    assert "try again" in limited.json()["detail"].lower()
    # One account's failures do not lock out others at the same address (a class behind one NAT)...
    register(client, "bob@example.com")
    assert client.post("/api/auth/login", json={"email": "bob@example.com", "password": PASSWORD}).status_code == 200
    # ...but guessing across many accounts from one address is limited at 10x the per-account rate.
    for n in range(27):  # 3 failures already counted for this address
        client.post("/api/auth/login", json={"email": f"guess{n}@example.com", "password": "wrong one"})
    other = client.post("/api/auth/login", json={"email": "bob@example.com", "password": PASSWORD})
    assert other.status_code == 429


def test_successful_logins_do_not_count_towards_the_limit(limited_client: TestClient) -> None:
    client = limited_client
    register(client, "alice@example.com")
    for _ in range(6):
        login(client, "alice@example.com")


def test_refresh_rotates_the_pair_and_the_used_token_is_refused(client: TestClient, alice: dict) -> None:
    pair = login(client, "alice@example.com")
    refreshed = client.post("/api/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    new = refreshed.json()
    assert new["refresh_token"] != pair["refresh_token"]
    assert client.get("/api/users/me", headers=bearer(new["access_token"])).status_code == 200
    reused = client.post("/api/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert reused.status_code == 401
    again = client.post("/api/auth/refresh", json={"refresh_token": new["refresh_token"]})
    assert again.status_code == 200


def test_access_and_refresh_tokens_are_not_interchangeable(client: TestClient, alice: dict) -> None:
    pair = login(client, "alice@example.com")
    as_refresh = client.post("/api/auth/refresh", json={"refresh_token": pair["access_token"]})
    assert as_refresh.status_code == 401
    as_access = client.get("/api/users/me", headers=bearer(pair["refresh_token"]))
    assert as_access.status_code == 401
    assert client.get("/api/users/me").status_code == 401


def test_logout_ends_the_refresh_token_and_is_idempotent(client: TestClient, alice: dict) -> None:
    pair = login(client, "alice@example.com")
    for _ in range(2):
        response = client.post("/api/auth/logout", json={"refresh_token": pair["refresh_token"]})
        assert response.status_code == 204
    refused = client.post("/api/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refused.status_code == 401
    assert client.post("/api/auth/logout", json={"refresh_token": "garbage"}).status_code == 204


def _token(secret: str, **claims) -> str:
    now = datetime.now(UTC)
    payload = {"sub": "1", "tv": 0, "type": "access", "iat": now, "exp": now + timedelta(minutes=5)} | claims
    return jwt.encode(payload, secret, algorithm="HS256")


def test_expired_access_token_is_401_saying_the_session_expired(client: TestClient, alice: dict) -> None:
    secret = client.app.state.settings.jwt_secret()
    alice_id = user_id(client, alice)
    fresh = _token(secret, sub=str(alice_id))
    assert client.get("/api/users/me", headers=bearer(fresh)).status_code == 200  # the recipe is right
    past = datetime.now(UTC) - timedelta(minutes=1)
    expired = _token(secret, sub=str(alice_id), iat=past - timedelta(minutes=15), exp=past)
    response = client.get("/api/users/me", headers=bearer(expired))
    assert response.status_code == 401
    assert "expired" in response.json()["detail"].lower()
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_forged_tokens_are_401(client: TestClient, alice: dict) -> None:
    alice_id = str(user_id(client, alice))
    other_key = _token("another key that is long enough to be plausible!", sub=alice_id)
    unsigned = jwt.encode({"sub": alice_id, "tv": 0, "type": "access", "exp": 4102444800}, None, algorithm="none")
    for token in (other_key, unsigned, "not.a.token"):
        response = client.get("/api/decks", headers=bearer(token))
        assert response.status_code == 401, token
        assert "log in" in response.json()["detail"]


def test_jwt_secret_is_generated_once_with_mode_0600_and_shared_by_a_second_app(
    client: TestClient, settings: Settings, alice: dict
) -> None:
    key_file = settings.data_dir / "secret.key"
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    secret = key_file.read_text().strip()
    assert len(secret) >= 32
    second_settings = Settings(data_dir=settings.data_dir, bcrypt_rounds=4, log_level="warning")
    with TestClient(create_app(second_settings)) as second:
        assert second.app.state.settings.jwt_secret() == secret
        response = second.get("/api/users/me", headers=alice)
        assert response.status_code == 200
        assert response.json()["email"] == "alice@example.com"
    assert key_file.read_text().strip() == secret


@pytest.mark.parametrize("value", ["changeme", "CHANGEME", "secret", "too-short-but-random-3f9a"])
def test_settings_reject_a_placeholder_or_short_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    with pytest.raises(ValidationError, match="LECTERN_SECRET_KEY"):
        Settings(data_dir=tmp_path, secret_key=value)
    monkeypatch.setenv("LECTERN_SECRET_KEY", value)
    with pytest.raises(ValidationError, match="LECTERN_SECRET_KEY"):
        Settings(data_dir=tmp_path)


def test_a_configured_secret_is_used_and_no_key_file_is_written(tmp_path: Path) -> None:
    secret = "k" * 40
    settings = Settings(data_dir=tmp_path / "d", secret_key=secret, bcrypt_rounds=4, log_level="warning")
    with TestClient(create_app(settings)) as client:
        token = client.post("/api/auth/register", json={"email": "a@b.c", "password": PASSWORD}).json()
        assert jwt.decode(token["access_token"], secret, algorithms=["HS256"])["type"] == "access"
    assert not (tmp_path / "d" / "secret.key").exists()


def test_change_password(client: TestClient, alice: dict) -> None:
    old = login(client, "alice@example.com")
    wrong = client.post(
        "/api/users/me/password",
        json={"current_password": "not it at all", "new_password": NEW_PASSWORD},
        headers=alice,
    )
    # 403, not 401: the session is fine, the action is refused (a 401 would make the browser log out).
    assert wrong.status_code == 403
    assert wrong.json()["detail"] == "The current password is wrong"
    assert client.get("/api/users/me", headers=alice).status_code == 200  # nothing was ended
    same = client.post(
        "/api/users/me/password", json={"current_password": PASSWORD, "new_password": PASSWORD}, headers=alice
    )
    assert same.status_code == 422
    changed = client.post(
        "/api/users/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}, headers=alice
    )
    assert changed.status_code == 200, changed.text
    new = changed.json()
    assert client.get("/api/users/me", headers=bearer(new["access_token"])).status_code == 200
    assert client.post("/api/auth/refresh", json={"refresh_token": new["refresh_token"]}).status_code == 200
    # Every earlier session is over.
    assert client.get("/api/users/me", headers=alice).status_code == 401
    assert client.get("/api/users/me", headers=bearer(old["access_token"])).status_code == 401
    assert client.post("/api/auth/refresh", json={"refresh_token": old["refresh_token"]}).status_code == 401
    assert client.post("/api/auth/login", json={"email": "alice@example.com", "password": PASSWORD}).status_code == 401
    login(client, "alice@example.com", NEW_PASSWORD)


USER_TABLES = {
    "user": "SELECT count(*) FROM user WHERE id = ?",
    "deck": "SELECT count(*) FROM deck WHERE owner_id = ?",
    "note": "SELECT count(*) FROM note WHERE owner_id = ?",
    "card": "SELECT count(*) FROM card JOIN note ON note.id = card.note_id WHERE note.owner_id = ?",
    "card_state": "SELECT count(*) FROM card_state WHERE user_id = ?",
    "review_log": "SELECT count(*) FROM review_log WHERE user_id = ?",
    "refresh_token": "SELECT count(*) FROM refresh_token WHERE user_id = ?",
}


def _fill_account(client: TestClient, headers: dict, word: str) -> None:
    deck_id = make_deck(client, headers, f"Deck of {word}")
    make_note(client, headers, deck_id, front=f"{word} basic", back="x", tags=[word])
    make_note(client, headers, deck_id, kind="cloze", front=f"{word} {{{{c1::one}}}} {{{{c2::two}}}}", back="")
    card = client.get("/api/review/next", headers=headers).json()["card"]
    assert client.post(f"/api/review/{card['id']}", json={"rating": 3}, headers=headers).status_code == 200


def _counts(client: TestClient, uid: int) -> dict[str, int]:
    return {table: sql(client, query, uid)[0][0] for table, query in USER_TABLES.items()}


def _fts_hits(client: TestClient, word: str) -> list[tuple]:
    return sql(client, "SELECT rowid FROM note_fts WHERE note_fts MATCH ?", word)


def _give_files(client: TestClient, headers: dict, word: str) -> list[Path]:
    """A lecture, a card image and a generated file; returns the directories that hold them."""
    lecture = ingest(client, headers, make_course(client, headers, f"Course {word}"), f"{word}.md", b"# A\n\nText.")
    png = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(png, "PNG")
    uploaded = client.post("/api/media", files={"file": ("a.png", png.getvalue(), "image/png")}, headers=headers)
    assert uploaded.status_code == 201, uploaded.text
    make_file(client, headers, f"Quiz {word}", b"%PDF-1.4 quiz")
    data, owner = client.app.state.settings.data_dir, str(user_id(client, headers))
    dirs = [data / "uploads" / str(lecture["id"]), data / "media" / owner, data / "generated" / owner]
    assert all(d.is_dir() and any(d.iterdir()) for d in dirs), dirs
    return dirs


def test_delete_account_removes_every_row_of_that_user_only(client: TestClient, alice: dict, bob: dict) -> None:
    _fill_account(client, alice, "aardvark")
    _fill_account(client, bob, "zebra")
    alice_files, bob_files = _give_files(client, alice, "aardvark"), _give_files(client, bob, "zebra")
    login(client, "bob@example.com")  # a second refresh token row
    alice_id, bob_id = user_id(client, alice), user_id(client, bob)
    alice_before = _counts(client, alice_id)
    bob_before = _counts(client, bob_id)
    assert all(bob_before.values()), bob_before
    assert len(_fts_hits(client, "zebra")) == 2

    wrong = client.request("DELETE", "/api/users/me", json={"password": "not my password"}, headers=bob)
    assert wrong.status_code == 403
    assert _counts(client, bob_id) == bob_before

    assert all(d.is_dir() for d in bob_files)
    response = client.request("DELETE", "/api/users/me", json={"password": PASSWORD}, headers=bob)
    assert response.status_code == 204
    assert not any(d.exists() for d in bob_files)
    assert all(d.is_dir() and any(d.iterdir()) for d in alice_files)
    assert _counts(client, bob_id) == dict.fromkeys(USER_TABLES, 0)
    assert _fts_hits(client, "zebra") == []
    sql(client, "INSERT INTO note_fts(note_fts) VALUES ('integrity-check')")  # raises if the index is stale
    assert _counts(client, alice_id) == alice_before
    assert len(_fts_hits(client, "aardvark")) == 2
    assert client.get("/api/notes?q=aardvark", headers=alice).json()["total"] == 2
    assert client.get("/api/users/me", headers=bob).status_code == 401
    assert client.post("/api/auth/login", json={"email": "bob@example.com", "password": PASSWORD}).status_code == 401


def test_close_registration(client: TestClient, alice: dict) -> None:
    assert client.get("/api/auth/config").json() == {"registration_open": True, "has_users": True}
    response = client.put("/api/admin/settings", json={"registration_open": False}, headers=alice)
    assert response.status_code == 200
    assert response.json() == {"registration_open": False}
    assert client.get("/api/admin/settings", headers=alice).json() == {"registration_open": False}
    assert client.get("/api/auth/config").json() == {"registration_open": False, "has_users": True}
    refused = client.post("/api/auth/register", json={"email": "carol@example.com", "password": PASSWORD})
    assert refused.status_code == 403
    assert "closed" in refused.json()["detail"].lower()
    assert sql(client, "SELECT count(*) FROM user") == [(1,)]
    client.put("/api/admin/settings", json={"registration_open": True}, headers=alice)
    register(client, "carol@example.com")


def test_closed_registration_by_setting_still_lets_the_first_admin_in(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "closed", bcrypt_rounds=4, log_level="warning", registration_open=False)
    with TestClient(create_app(settings)) as client:
        # a fresh instance always lets its first account (the admin) register
        assert client.get("/api/auth/config").json() == {"registration_open": True, "has_users": False}
        register(client, "admin@lectern.lan")
        assert client.get("/api/auth/config").json() == {"registration_open": False, "has_users": True}
        second = client.post("/api/auth/register", json={"email": "late@lectern.lan", "password": PASSWORD})
        assert second.status_code == 403


def test_every_admin_endpoint_is_403_for_a_non_admin(client: TestClient, alice: dict, bob: dict) -> None:
    alice_id = user_id(client, alice)
    bodies = {"PATCH": {"is_disabled": True}, "PUT": {"registration_open": False}}
    routes = [(method, path) for method, path, _route in api_routes(client) if path.startswith("/api/admin")]
    assert {path for _m, path in routes} == {
        "/api/admin/users",
        "/api/admin/users/{user_id}",
        "/api/admin/settings",
        "/api/admin/backup",
    }
    for method, path in routes:
        url = path.replace("{user_id}", str(alice_id))
        response = client.request(method, url, json=bodies.get(method), headers=bob)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["detail"] == "Only the admin can do this"
    assert sql(client, "SELECT is_disabled FROM user WHERE id = ?", alice_id) == [(0,)]
    assert sql(client, "SELECT count(*) FROM job WHERE kind = 'backup'") == [(0,)]
    assert client.get("/api/auth/config").json() == {"registration_open": True, "has_users": True}


def test_admin_lists_users_with_counts(client: TestClient, alice: dict, bob: dict) -> None:
    deck_id = make_deck(client, bob)
    make_note(client, bob, deck_id)
    make_note(client, bob, deck_id)
    rows = client.get("/api/admin/users", headers=alice).json()
    assert [(r["email"], r["is_admin"], r["deck_count"], r["note_count"]) for r in rows] == [
        ("alice@example.com", True, 0, 0),
        ("bob@example.com", False, 1, 2),
    ]
    assert all("password_hash" not in r for r in rows)


def test_admin_disables_bob(client: TestClient, alice: dict, bob: dict) -> None:
    bob_pair = login(client, "bob@example.com")
    bob_id = user_id(client, bob)
    response = client.patch(f"/api/admin/users/{bob_id}", json={"is_disabled": True}, headers=alice)
    assert response.status_code == 200
    assert response.json()["is_disabled"] is True
    assert client.get("/api/decks", headers=bob).status_code in (401, 403)
    assert client.post("/api/auth/refresh", json={"refresh_token": bob_pair["refresh_token"]}).status_code in (401, 403)
    assert client.post("/api/auth/login", json={"email": "bob@example.com", "password": PASSWORD}).status_code == 403
    enabled = client.patch(f"/api/admin/users/{bob_id}", json={"is_disabled": False}, headers=alice)
    assert enabled.json()["is_disabled"] is False
    login(client, "bob@example.com")
    assert client.patch("/api/admin/users/9999", json={"is_disabled": True}, headers=alice).status_code == 404


def test_admin_cannot_disable_themself(client: TestClient, alice: dict) -> None:
    alice_id = user_id(client, alice)
    response = client.patch(f"/api/admin/users/{alice_id}", json={"is_disabled": True}, headers=alice)
    assert response.status_code == 400, response.text  # docs/api.md: "400 on yourself"
    assert "your own account" in response.json()["detail"]
    assert sql(client, "SELECT is_disabled FROM user WHERE id = ?", alice_id) == [(0,)]
    assert client.get("/api/users/me", headers=alice).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"desired_retention": 0.5}, "desired_retention"),
        ({"desired_retention": 1.0}, "desired_retention"),
        ({"new_cards_per_day": -1}, "new_cards_per_day"),
        ({"new_cards_per_day": 10000}, "new_cards_per_day"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"day_start_hour": 24}, "day_start_hour"),
        ({"day_start_hour": -1}, "day_start_hour"),
    ],
)
def test_settings_validation(client: TestClient, alice: dict, body: dict, field: str) -> None:
    response = client.put("/api/users/me/settings", json=body, headers=alice)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"{field}:")
    assert client.get("/api/users/me", headers=alice).json()["settings"]["timezone"] == "UTC"


def test_settings_persist(client: TestClient, alice: dict) -> None:
    body = {"desired_retention": 0.85, "new_cards_per_day": 7, "timezone": "Europe/Berlin", "day_start_hour": 0}
    body |= {"exam_daily_budget": 150}
    response = client.put("/api/users/me/settings", json=body, headers=alice)
    assert response.status_code == 200
    assert response.json()["settings"] == body
    partial = client.put("/api/users/me/settings", json={"new_cards_per_day": 3}, headers=alice)
    assert partial.json()["settings"] == body | {"new_cards_per_day": 3}
    assert client.get("/api/users/me", headers=alice).json()["settings"] == body | {"new_cards_per_day": 3}
    assert sql(client, "SELECT desired_retention, new_cards_per_day, timezone, day_start_hour FROM user") == [
        (0.85, 3, "Europe/Berlin", 0)
    ]
    renamed = client.patch("/api/users/me", json={"display_name": "  Alice L.  "}, headers=alice)
    assert renamed.json()["display_name"] == "Alice L."


@pytest.mark.parametrize("path", ["/", "/api/health"])
def test_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert directives["script-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_health(client: TestClient) -> None:
    body = client.get("/api/health").json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"


def test_api_reference_is_served_without_a_cdn(client: TestClient) -> None:
    schema = client.get("/openapi.json")
    assert schema.status_code == 200
    assert "/api/auth/login" in schema.json()["paths"]
    page = client.get("/docs")
    assert page.status_code == 200
    assert "/vendor/swagger-ui/swagger-ui-bundle.js" in page.text
    assert "/vendor/swagger-ui/swagger-ui.css" in page.text
    assert "cdn" not in page.text.lower()
    assert "https://" not in page.text and "http://" not in page.text
    assert client.get("/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
