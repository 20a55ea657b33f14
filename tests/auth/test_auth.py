"""Signing in and out, rate limits, password hashing, the CLI for accounts and tokens."""

from __future__ import annotations

import pytest

from meetcore.auth import services
from meetcore.errors import Conflict, InvalidInput
from tests.conftest import PASSWORD, sign_in


def test_sign_in_and_out(client, users):
    response = sign_in(client, users["secretariat"])
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    client.post("/logout")
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused_with_a_translated_message(client, users):
    response = client.post(
        "/login", data={"email": users["secretariat"].email, "password": "wrong password!"}
    )
    assert response.status_code == 401
    assert "อีเมลหรือรหัสผ่านไม่ถูกต้อง" in response.text
    assert client.get("/").status_code == 302


def test_sign_in_redirects_only_to_this_site(client, users):
    response = client.post(
        "/login", data={"email": users["chair"].email, "password": PASSWORD, "next": "//evil.example/x"}
    )
    assert "evil.example" not in response.headers["Location"]


def test_sign_in_attempts_are_rate_limited(client, users):
    for _ in range(10):
        client.post("/login", data={"email": "nobody@example.org", "password": "x"})
    response = sign_in(client, users["secretariat"])
    assert response.status_code == 429


def test_passwords_are_stored_as_argon2_hashes(users):
    assert users["secretariat"].password_hash.startswith("$argon2")
    assert PASSWORD not in users["secretariat"].password_hash


def test_inactive_accounts_cannot_sign_in(client, users, db_session):
    users["chair"].active = False
    db_session.commit()
    assert sign_in(client, users["chair"]).status_code == 401


def test_account_creation_validates(app_ctx):
    with pytest.raises(InvalidInput):
        services.create_user("not-an-email", role="secretariat", password=PASSWORD)
    with pytest.raises(InvalidInput):
        services.create_user("a@example.org", role="emperor", password=PASSWORD)
    with pytest.raises(InvalidInput):
        services.create_user("a@example.org", role="chair", password="short")
    services.create_user("a@example.org", role="chair", password=PASSWORD)
    with pytest.raises(Conflict):
        services.create_user("A@example.org", role="chair", password=PASSWORD)


def test_cli_creates_users_and_tokens(app_ctx, client):
    runner = app_ctx.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "sec@example.org", "--role", "secretariat", "--password", PASSWORD]
    )
    assert result.exit_code == 0, result.output
    token = runner.invoke(args=["tokens", "create", "sec@example.org"]).output.strip()
    assert token.startswith("mc_")
    assert client.get("/api/v1/meetings", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    bad = runner.invoke(args=["users", "create", "bad", "--role", "secretariat", "--password", PASSWORD])
    assert bad.exit_code != 0 and "bad" in bad.output
    missing = runner.invoke(args=["tokens", "create", "ghost@example.org"])
    assert missing.exit_code != 0
