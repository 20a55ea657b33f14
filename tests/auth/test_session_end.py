"""Signing out ends the session for real (issue 13: a session cookie copied before sign-out still worked):
the copied session cookie, the remember-me cookie and a live connection's next command are all refused;
a new password does the same for every device."""

from __future__ import annotations

from flask import g

from meetcore.auth import services
from meetcore.extensions import db, socketio
from tests.conftest import PASSWORD, sign_in

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


def test_a_live_connection_made_before_sign_out_is_refused_its_next_command(app_ctx, client, users, meeting):
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
