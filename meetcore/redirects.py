"""Where a "next" parameter may send the browser: only to a path on this site, read as a browser reads it."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# A browser drops tabs and newlines anywhere in a URL, strips C0 controls and spaces at its ends, and reads
# a backslash as a slash: "/\t/evil.example" and "/\\evil.example" are both "//evil.example" to it.
_DROPPED = re.compile(r"[\t\n\r]")
_ENDS = "".join(chr(code) for code in range(0x21))


def same_site_path(target: str | None) -> str | None:
    """The path the browser would go to, when it stays on this site; None for anything else."""
    if not target:
        return None
    path = _DROPPED.sub("", target).strip(_ENDS).replace("\\", "/")
    if not path.startswith("/") or path.startswith("//"):
        return None
    parts = urlsplit(path)
    if parts.scheme or parts.netloc or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in path):
        return None
    return path
