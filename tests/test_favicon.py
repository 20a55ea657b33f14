"""The browser's icon requests are answered (issue 15, item 6: /favicon.ico was a 404 on every page)."""

from __future__ import annotations

import re


def test_favicon_ico_and_the_pages_icon_are_served(client):
    ico = client.get("/favicon.ico")
    assert ico.status_code == 200 and ico.mimetype == "image/vnd.microsoft.icon"
    assert ico.data[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
    page = client.get("/login").get_data(as_text=True)
    href = re.search(r'<link rel="icon" href="([^"]+)"', page).group(1)
    svg = client.get(href)
    assert svg.status_code == 200 and b"<svg" in svg.data
