"""Signing out ends the session for real (issue 13: a session cookie copied before sign-out still worked):
the copied session cookie, the remember-me cookie and a live connection's next command are all refused;
a new password does the same for every device."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from flask import g

from meetcore.auth import services
from meetcore.extensions import db, socketio
from meetcore.live.models import LiveConnection
from tests.conftest import PASSWORD, sign_in
from tests.live.browsers import wait_until

HOST = "meetcore.test"


def _cookies(client) -> dict[str, str]:
    return {name: client.get_cookie(name, domain=HOST).value for name in ("session", "remember_token")
            if client.get_cookie(name, domain=HOST)}  # fmt: skip


def _with_cookies(app, cookies: dict[str, str]):
    """Another browser, holding copies of the cookies (as an attacker who captured them would)."""
    g.pop("_login_user", None)
    thief = app.test_client()
    for name, value in cookies.items():
        thief.set_cookie(name, value, domain=HOST)
    return thief


def test_a_session_cookie_copied_before_sign_out_is_refused_after_it(app_ctx, client, users):
    sign_in(client, users["secretariat"])
    copied = _cookies(client)
    assert _with_cookies(app_ctx, copied).get("/").status_code == 200  # the copy works while signed in
    g.pop("_login_user", None)
    client.post("/logout")
    refused = _with_cookies(app_ctx, copied).get("/")
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]


def test_a_remember_me_cookie_copied_before_sign_out_is_refused_after_it(app_ctx, client, users):
    client.post("/login", data={"email": users["chair"].email, "password": PASSWORD, "remember": "1"})
    remember = _cookies(client)["remember_token"]
    assert _with_cookies(app_ctx, {"remember_token": remember}).get("/").status_code == 200
    g.pop("_login_user", None)
    client.post("/logout")
    assert _with_cookies(app_ctx, {"remember_token": remember}).get("/").status_code == 302


def test_the_remember_me_cookie_is_http_only_and_same_site(client, users):
    response = client.post(
        "/login", data={"email": users["chair"].email, "password": PASSWORD, "remember": "1"}
    )
    [remember] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token=")]
    assert "HttpOnly" in remember and "SameSite=Lax" in remember


def test_a_new_password_ends_every_session(app_ctx, client, users):
    sign_in(client, users["secretariat"])
    copied = _cookies(client)
    services.set_password(users["secretariat"], "a brand new password")
    db.session.commit()
    assert _with_cookies(app_ctx, copied).get("/").status_code == 302
    g.pop("_login_user", None)
    assert sign_in(app_ctx.test_client(), users["secretariat"], "a brand new password").status_code == 302


def test_a_live_connection_made_before_sign_out_is_refused_its_next_command(
    app_ctx, client, users, meeting, monkeypatch
):
    """Should its close be lost (its process missed the message), the database still refuses it."""
    from meetcore.live import broadcast

    monkeypatch.setattr(broadcast, "close_here", lambda sids: None)
    sign_in(client, users["secretariat"])
    g.pop("_login_user", None)
    sio = socketio.test_client(app_ctx, flask_test_client=client)
    assert sio.emit("join", {"meeting_id": meeting.id}, callback=True)["ok"]
    g.pop("_login_user", None)
    client.post("/logout")
    g.pop("_login_user", None)
    ack = sio.emit("join", {"meeting_id": meeting.id}, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
    sio.disconnect()


# -- ending access closes the live connections it opened, at once (issue 13) ----------------------------


def _console(app, user):
    """A browser signed in as the user, with the console's live connection open."""
    g.pop("_login_user", None)
    http = app.test_client()
    sign_in(http, user)
    g.pop("_login_user", None)
    sio = socketio.test_client(app, flask_test_client=http)
    g.pop("_login_user", None)
    assert sio.is_connected()
    return http, sio


def _script(app, user):
    """A script's live connection, made with an API token."""
    sio = socketio.test_client(app, auth={"api_token": services.create_api_token(user)})
    assert sio.is_connected()
    return sio


@pytest.fixture()
def connections(app_ctx):
    opened = []
    yield opened
    for sio in opened:
        if sio.is_connected():
            sio.disconnect()


def test_signing_out_closes_every_live_connection_of_the_accounts_sessions_at_once(
    app_ctx, users, connections
):
    http, console = _console(app_ctx, users["secretariat"])
    _, second_device = _console(app_ctx, users["secretariat"])
    script = _script(app_ctx, users["secretariat"])
    _, colleague = _console(app_ctx, users["chair"])
    connections += [console, second_device, script, colleague]
    http.post("/logout")
    wait_until(lambda: not console.is_connected() and not second_device.is_connected(), timeout=1,
               message="the signed-out account's connections closed")  # fmt: skip
    # An API token is not a session; another account is not this one.
    assert script.is_connected() and colleague.is_connected()
    assert db.session.scalar(sa.select(sa.func.count(LiveConnection.id))) == 2


def test_a_new_password_closes_the_accounts_session_connections(app_ctx, users, connections):
    _, console = _console(app_ctx, users["chair"])
    connections.append(console)
    services.set_password(users["chair"], "a brand new password")
    db.session.commit()
    wait_until(lambda: not console.is_connected(), timeout=1, message="the connection closed")


def test_a_password_change_that_is_rolled_back_closes_nothing(app_ctx, users, connections):
    _, console = _console(app_ctx, users["chair"])
    connections.append(console)
    services.set_password(users["chair"], "a brand new password")
    db.session.rollback()
    services.revoke_api_tokens(users["secretariat"])  # a later commit of something else
    time.sleep(0.3)
    assert console.is_connected()


def test_deactivating_an_account_closes_all_its_connections_and_it_cannot_come_back(
    app_ctx, users, connections
):
    http, console = _console(app_ctx, users["secretariat"])
    script = _script(app_ctx, users["secretariat"])
    connections += [console, script]
    services.set_active(users["secretariat"], False, by=users["admin"])
    wait_until(lambda: not console.is_connected() and not script.is_connected(), timeout=1,
               message="the deactivated account's connections closed")  # fmt: skip
    g.pop("_login_user", None)
    assert http.get("/").status_code == 302
    g.pop("_login_user", None)
    assert sign_in(app_ctx.test_client(), users["secretariat"]).status_code == 401  # refused
    token = services.create_api_token(users["secretariat"])
    assert not socketio.test_client(app_ctx, auth={"api_token": token}).is_connected()


def test_only_an_administrator_deactivates_and_never_their_own_account(app_ctx, users):
    from meetcore.errors import Conflict, PermissionDenied

    for role in ("secretariat", "chair"):
        with pytest.raises(PermissionDenied):
            services.set_active(users["admin"], False, by=users[role])
    with pytest.raises(Conflict):
        services.set_active(users["admin"], False, by=users["admin"])
    db.session.rollback()
    assert users["admin"].active and users["secretariat"].active


def test_revoking_api_tokens_closes_the_connections_they_opened(app_ctx, users, connections):
    _, console = _console(app_ctx, users["secretariat"])
    script = _script(app_ctx, users["secretariat"])
    connections += [console, script]
    assert services.revoke_api_tokens(users["secretariat"]) == 1
    wait_until(lambda: not script.is_connected(), timeout=1, message="the token's connection closed")
    assert console.is_connected()


def test_the_cli_deactivates_and_reactivates_an_account(app_ctx, users):
    runner = app_ctx.test_cli_runner()
    result = runner.invoke(args=["users", "deactivate", users["chair"].email])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert not users["chair"].active
    assert runner.invoke(args=["users", "activate", users["chair"].email]).exit_code == 0
    db.session.expire_all()
    assert users["chair"].active
    result = runner.invoke(args=["users", "deactivate", "nobody@example.org"])
    assert result.exit_code != 0
