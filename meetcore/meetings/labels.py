"""Translated names of meeting statuses, for pages and exports."""

from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "draft": _l("Draft"),
    "scheduled": _l("Scheduled"),
    "live": _l("In session"),
    "ended": _l("Ended"),
    "certified": _l("Minutes certified"),
    "cancelled": _l("Cancelled"),
}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))
