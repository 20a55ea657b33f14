"""Translated names of assignment statuses and progress states, for pages and e-mails."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# What a cell of the province grid and a row of the dashboard show, in the order of the legend.
PROGRESS_STATES = ("done", "in_progress", "open", "overdue", "cancelled")

STATE_LABELS = {
    "open": _l("Not started"),
    "in_progress": _l("In progress"),
    "done": _l("Done"),
    "cancelled": _l("Withdrawn"),
    "overdue": _l("Overdue"),
    "all": _l("All"),
}

STATE_MARKS = {"done": "✓", "in_progress": "…", "open": "○", "overdue": "!", "cancelled": "–"}


def assignment_status_label(status: str) -> str:
    return str(STATE_LABELS.get(status, status))
