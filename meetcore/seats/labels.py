"""Translated names of regions and seat statuses, for pages and exports."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

REGION_LABELS = {
    "north": _l("North"),
    "northeast": _l("Northeast"),
    "central": _l("Central"),
    "east": _l("East"),
    "west": _l("West"),
    "south": _l("South"),
}

# What a cell of the attendance board shows, in the order of the legend.
SEAT_STATUSES = ("present", "accepted", "substitute", "invited", "declined")

SEAT_STATUS_LABELS = {
    "present": _l("Present"),
    "accepted": _l("Will attend"),
    "substitute": _l("Sends a substitute"),
    "invited": _l("No reply yet"),
    "declined": _l("Will not attend"),
}

RSVP_LABELS = {
    "pending": _l("No reply yet"),
    "accepted": _l("Will attend"),
    "declined": _l("Will not attend"),
    "substitute": _l("Sends a substitute"),
}


def region_label(region: str | None) -> str:
    if region is None:
        return str(_l("Central units"))
    return str(REGION_LABELS.get(region, region))


def seat_status_label(status: str) -> str:
    return str(SEAT_STATUS_LABELS.get(status, status))


def rsvp_label(rsvp: str) -> str:
    return str(RSVP_LABELS.get(rsvp, rsvp))
