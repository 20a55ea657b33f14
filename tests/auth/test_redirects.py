"""A "next" parameter never sends the browser off the site, however it is written (issue 13:
"/\t/evil.example" reached the browser as "//evil.example", and Chromium followed it)."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest

from meetcore.redirects import same_site_path
from tests.conftest import PASSWORD

ATTACKS = [
    "//evil.example/", "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "/\\evil.example",
    "\\\\evil.example", " //evil.example", "\x01//evil.example", "/\x00/evil.example", "https://evil.example",
    "http:evil.example", "javascript:alert(1)", "evil.example", "/\t\\evil.example", "\t//evil.example",
]  # fmt: skip
SITE = "http://meetcore.test/"


def where_a_browser_goes(location: str) -> str:
    """The host a browser reaches from a Location header (tabs and newlines dropped, "\\" read as "/")."""
    cleaned = re.sub(r"[\t\n\r]", "", location).strip("".join(map(chr, range(0x21)))).replace("\\", "/")
    return urlsplit(urljoin(SITE, cleaned)).netloc


@pytest.mark.parametrize("target", ATTACKS)
def test_the_language_switch_stays_on_the_site(client, target):
    response = client.get("/lang/en", query_string={"next": target})
    assert response.status_code == 302
    assert where_a_browser_goes(response.headers["Location"]) in ("", "meetcore.test")


@pytest.mark.parametrize("target", ATTACKS)
def test_sign_in_stays_on_the_site(client, users, target):
    response = client.post(
        "/login", data={"email": users["chair"].email, "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert where_a_browser_goes(response.headers["Location"]) in ("", "meetcore.test")
    again = client.get("/login", query_string={"next": target})  # already signed in
    assert where_a_browser_goes(again.headers["Location"]) in ("", "meetcore.test")


def test_same_site_paths_go_where_they_say(client):
    assert same_site_path("/meetings/3?tab=minutes#x") == "/meetings/3?tab=minutes#x"
    assert (
        client.get("/lang/en", query_string={"next": "/search?q=x"})
        .headers["Location"]
        .endswith("/search?q=x")
    )
    back = client.get("/lang/th", headers={"Referer": "http://meetcore.test/meetings/7"})
    assert back.headers["Location"].endswith("/meetings/7")  # back to the page the language was changed on
    away = client.get("/lang/th", headers={"Referer": "http://evil.example/meetings/7"})
    assert where_a_browser_goes(away.headers["Location"]) in ("", "meetcore.test")
    assert "evil" not in away.headers["Location"]
