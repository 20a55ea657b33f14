"""Translated names of attendance statuses and interval kinds, for pages and exports."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ATTENDANCE_STATUS_LABELS = {
    "present": _l("Present"),
    "substitute": _l("Present by substitute"),
    "late": _l("Late"),
    "left_early": _l("Left early"),
    "absent": _l("Absent"),
}

INTERVAL_KIND_LABELS = {
    "self": _l("In person"),
    "substitute": _l("Substitute"),
    "site": _l("Provincial site roll call"),
}


def attendance_status_label(status: str) -> str:
    return str(ATTENDANCE_STATUS_LABELS.get(status, status))


def interval_kind_label(kind: str | None) -> str:
    return str(INTERVAL_KIND_LABELS.get(kind, kind or ""))
