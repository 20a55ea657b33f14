"""Control characters in text: refused where people type (forms, API, socket events, imports) and left out
where text is written into documents (Word, Excel, iCalendar), whatever is already stored (issue 13: one
\\x01 in a decline reason made the minutes' Word export fail)."""

from __future__ import annotations

import re

# C0 controls but tab, newline and carriage return; DEL; C1 controls.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


def without_control_characters(text: str) -> str:
    return CONTROL_CHARACTERS.sub("", text)
