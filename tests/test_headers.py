"""Every response carries the browser-hardening headers, and every inline script the request's nonce
(issue 13: no page sent a Content-Security-Policy or X-Frame-Options, so the console could be framed)."""

from __future__ import annotations

import re

import pytest

from meetcore.headers import content_security_policy


def _nonce(response) -> str:
    found = re.search(
        r"script-src 'self' 'nonce-([A-Za-z0-9_-]+)'", response.headers["Content-Security-Policy"]
    )
    assert found, response.headers["Content-Security-Policy"]
    return found.group(1)


def _hardened(response) -> None:
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer")  # join pages: none at all
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "unsafe-eval" not in policy and "script-src 'self' 'nonce-" in policy


@pytest.mark.parametrize("path", ["/login", "/lang/en", "/join/not-a-token", "/no-such-page", "/healthz"])
def test_every_response_is_hardened_signed_in_or_not(client, path):
    _hardened(client.get(path))


def test_console_pages_inline_scripts_carry_this_requests_nonce(as_secretariat, meeting):
    pages = [
        as_secretariat.get(path) for path in ("/", f"/meetings/{meeting.id}", f"/meetings/{meeting.id}/chair")
    ]
    for page in pages:
        _hardened(page)
        for tag in re.findall(r"<script\b[^>]*>", page.text):
            if "src=" not in tag and "application/json" not in tag:
                assert f'nonce="{_nonce(page)}"' in tag, tag
        assert not re.search(r"\son[a-z]+=", page.text), "inline event handlers cannot run under the policy"
    assert len({_nonce(page) for page in pages}) == len(pages)  # a new nonce for every response


def test_janus_servers_browsers_reach_directly_are_allowed_to_connect(app_ctx):
    app_ctx.config["MEETCORE_JANUS_PUBLIC_URL"] = "https://video.example.go.th/janus,/janus-ws"
    try:
        policy = content_security_policy("n")
    finally:
        app_ctx.config["MEETCORE_JANUS_PUBLIC_URL"] = "/janus-ws"
    [connect] = [part for part in policy.split("; ") if part.startswith("connect-src")]
    assert connect.split()[1:] == ["'self'", "https://video.example.go.th", "wss://video.example.go.th"]
