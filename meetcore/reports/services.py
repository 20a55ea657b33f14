"""The official minutes' life (รายงานการประชุม): the only writers of OfficialMinutes and MinutesAmendment
rows. The document itself is built by meetcore.reports.content.

Life: draft → circulated (e-mailed to the attendees for comment, with a reading link) → certified at the
next meeting of the series (its agenda item "รับรองรายงานการประชุม"). Certifying moves the meeting to the
"certified" status, which the minutes and decisions services refuse to change; corrections after that are
amendments (who, when, what), shown with the document.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from meetcore.actors import SYSTEM_REPORTS
from meetcore.agenda.models import AgendaItem
from meetcore.auth.permissions import require_editor
from meetcore.database import utcnow
from meetcore.errors import Conflict, InvalidInput, NotFound
from meetcore.eventlog.services import lock_meeting, record_event
from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from meetcore.meetings.services import mark_certified
from meetcore.reports.content import (
    is_certification_item,
    minutes_row,
    minutes_title,
    next_meeting,
)
from meetcore.reports.models import MinutesAmendment, OfficialMinutes
from meetcore.reports.reading import reader_token
from meetcore.reports.schemas import AmendmentInput, CertifyInput, CirculateInput, MinutesDetailsInput
from meetcore.schemas import load_input
from meetcore.seats.models import Seat

# --- the details --------------------------------------------------------------------------------------------


def _lock(meeting: Meeting) -> tuple[Meeting, OfficialMinutes]:
    meeting = lock_meeting(meeting.id)
    return meeting, minutes_row(meeting)


def _check_not_certified(row: OfficialMinutes) -> None:
    if row.state == "certified":
        raise Conflict(
            _l(
                "The minutes are certified and can no longer be changed. Record a correction as an "
                "amendment instead."
            )
        )


def update_details(meeting: Meeting, data: dict, *, by) -> OfficialMinutes:
    """Set who took and who checked the minutes, how attendance is grouped, and attendees without a seat."""
    require_editor(by)
    values = load_input(MinutesDetailsInput(), data)
    meeting, row = _lock(meeting)
    _check_not_certified(row)
    changed = sorted(name for name, value in values.items() if getattr(row, name) != value)
    for name in changed:
        setattr(row, name, values[name])
    if changed:
        record_event(meeting, "minutes.details_updated", {"fields": changed}, by=by)
    db.session.flush()
    return row


# --- circulation --------------------------------------------------------------------------------------------


@dataclass
class Circulation:
    minutes: OfficialMinutes
    sent: int


def _recipients(meeting: Meeting) -> list[tuple[Seat, str, str | None]]:
    """(seat, address, name) of everyone who attended, each address once."""
    from meetcore.attendance.statuses import seat_statuses

    seen, result = set(), []
    for entry in seat_statuses(meeting, by=SYSTEM_REPORTS):  # the caller checked its own permission
        if entry.status == "absent":
            continue
        seat = entry.seat
        if entry.status == "substitute" and seat.substitute_email:
            address, name = seat.substitute_email, seat.substitute_name
        else:
            address, name = seat.email, seat.name
        if not address or address.lower() in seen:
            continue
        seen.add(address.lower())
        result.append((seat, address, name))
    return result


def circulate(meeting: Meeting, data: dict | None = None, *, by) -> Circulation:
    """Send the minutes to the attendees for comment: one e-mail each, with a reading link, through the
    outbox in this transaction. Sending again (after corrections) is allowed until they are certified."""
    from flask import render_template

    from meetcore.mail.message import build_message, public_url, sender_address
    from meetcore.mail.services import enqueue

    require_editor(by)
    values = load_input(CirculateInput(), data or {})
    meeting, row = _lock(meeting)
    _check_not_certified(row)
    if meeting.status != "ended":
        raise Conflict(_l("The minutes can be circulated once the meeting has ended."))
    now = utcnow()
    row.state = "circulated"
    row.circulated_at = now
    row.circulated_by_id = getattr(by, "id", None)
    row.comments_due = values["comments_due"]
    label = f"{minutes_title(meeting.series.name)} ครั้งที่ {meeting.number}/{meeting.year_be}"
    subject = f"ขอให้ตรวจร่าง{label}"
    sent = 0
    for seat, address, name in _recipients(meeting):
        link = public_url("reports.read", token=reader_token(seat))
        context = {"meeting": meeting, "label": label, "link": link, "name": name,
                   "comments_due": values["comments_due"], "message": values["message"],
                   "organizer": current_app.config["MEETCORE_MAIL_ORGANIZER"]}  # fmt: skip
        built = build_message(
            to=address, to_name=name, subject=subject,
            text=render_template("reports/email/circulate.txt", **context),
            html=render_template("reports/email/circulate.html", **context),
            reply_to=current_app.config["MEETCORE_MAIL_ORGANIZER"],
        )  # fmt: skip
        enqueue(built, kind="notice", recipient=address, recipient_name=name, subject=subject,
                sender=sender_address(), meeting_id=meeting.id)  # fmt: skip
        sent += 1
    record_event(meeting, "minutes.circulated", {"recipients": sent}, by=by)
    db.session.flush()
    return Circulation(minutes=row, sent=sent)


# --- certification and amendments ---------------------------------------------------------------------------


def certification_item(meeting: Meeting, item_id: int | None = None) -> AgendaItem:
    """The next meeting's agenda item "รับรองรายงานการประชุม" for this meeting's minutes: the one given, or
    the next sitting's item of that title (a sub-item naming this meeting's number first)."""
    if item_id is not None:
        item = db.session.get(AgendaItem, item_id)
        if item is None:
            raise NotFound(_l("Agenda item %(id)s does not exist.", id=item_id))
        later = db.session.get(Meeting, item.meeting_id)
        if later.series_id != meeting.series_id or later.start_at <= meeting.start_at:
            raise InvalidInput(
                _l("The minutes are certified at a later meeting of the same series."), field="item_id"
            )
        if not is_certification_item(item):
            raise InvalidInput(
                _l("Choose the agenda item that certifies the minutes of the previous meeting."),
                field="item_id",
            )
        return item
    later = next_meeting(meeting)
    if later is None:
        raise Conflict(_l("The minutes are certified at the next meeting of the series; there is none yet."))
    candidates = [
        item for item in db.session.scalars(
            sa.select(AgendaItem).where(AgendaItem.meeting_id == later.id).order_by(AgendaItem.id)
        ) if is_certification_item(item)
    ]  # fmt: skip
    label = f"{meeting.number}/{meeting.year_be}"
    for item in candidates:
        if label in (item.title or ""):
            return item
    if not candidates:
        raise Conflict(
            _l(
                "The next meeting's agenda has no item to certify the minutes "
                '("รับรองรายงานการประชุม"). Add one first.'
            )
        )
    return candidates[0]


def certify(meeting: Meeting, data: dict | None = None, *, by) -> OfficialMinutes:
    """The next meeting certified the minutes at its item "รับรองรายงานการประชุม": they are locked."""
    require_editor(by)
    values = load_input(CertifyInput(), data or {})
    meeting, row = _lock(meeting)
    _check_not_certified(row)
    if row.state != "circulated":
        raise Conflict(_l("Circulate the minutes to the attendees before they are certified."))
    item = certification_item(meeting, values["item_id"])
    later = db.session.get(Meeting, item.meeting_id)
    if later.status not in ("live", "ended"):
        raise Conflict(_l("The minutes are certified in the next meeting's session: start it first."))
    now = utcnow()
    row.state = "certified"
    row.certified_at = now
    row.certified_by_id = getattr(by, "id", None)
    row.certified_at_item_id = item.id
    meeting = mark_certified(meeting)
    record_event(meeting, "minutes.certified",
                 {"status": "certified", "at": now.isoformat(), "meeting_id": later.id, "item_id": item.id},
                 by=by)  # fmt: skip
    db.session.flush()
    return row


def amend(meeting: Meeting, data: dict, *, by) -> MinutesAmendment:
    """Record a correction to certified minutes (who, when, what); the certified text stays as it was."""
    require_editor(by)
    values = load_input(AmendmentInput(), data)
    meeting, row = _lock(meeting)
    if row.state != "certified":
        raise Conflict(
            _l(
                "Until the minutes are certified, correct them directly; amendments are for "
                "certified minutes."
            )
        )
    item_id = values["item_id"]
    if item_id is not None:
        item = db.session.get(AgendaItem, item_id)
        if item is None or item.meeting_id != meeting.id:
            raise InvalidInput(_l("That agenda item belongs to another meeting."), field="item_id")
    amendment = MinutesAmendment(
        minutes_id=row.id,
        agenda_item_id=item_id,
        text=values["text"],
        created_by_id=getattr(by, "id", None),
        created_by_name=getattr(by, "display_name", None) or getattr(by, "email", None) or "—",
        created_at=utcnow(),
    )
    db.session.add(amendment)
    db.session.flush()
    record_event(meeting, "minutes.amended", {"amendment_id": amendment.id, "item_id": item_id}, by=by)
    db.session.flush()
    return amendment
