"""Scheduling, editing and cancelling meetings: the only writers of Meeting rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from meetcore import signals, transaction
from meetcore.auth.permissions import require_editor, require_staff
from meetcore.database import utcnow
from meetcore.errors import ConfirmationRequired, Conflict, InvalidInput, NotFound
from meetcore.eventlog.services import lock_meeting, record_event
from meetcore.extensions import db
from meetcore.i18n.dates import be_date_long, local_time, local_today, to_local
from meetcore.meetings.models import Meeting, Series
from meetcore.meetings.schemas import CancelInput, MeetingInput, MeetingUpdate
from meetcore.schemas import load_input

EDITABLE_STATUSES = ("draft", "scheduled")
# Fields whose change calendars must hear about (invitation updates follow them).
SIGNIFICANT_FIELDS = ("start_at", "end_at", "venue", "title")


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def get_meeting(meeting_id: int, *, by) -> Meeting:
    require_staff(by)
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(_l("Meeting %(id)s does not exist.", id=meeting_id))
    return meeting


def list_meetings(
    *, by, q: str | None = None, status: str | None = None, page: int = 1, per_page: int = 25
) -> Page:
    """Newest first; q searches title, series and venue (case-insensitive)."""
    require_staff(by)
    query = sa.select(Meeting).join(Series)
    if q:
        pattern = f"%{q.strip().lower()}%"
        query = query.where(
            sa.or_(
                sa.func.lower(Meeting.title).like(pattern),
                sa.func.lower(Series.name).like(pattern),
                sa.func.lower(sa.func.coalesce(Meeting.venue, "")).like(pattern),
            )
        )
    if status:
        query = query.where(Meeting.status == status)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.options(sa.orm.contains_eager(Meeting.series))
        .order_by(Meeting.start_at.desc(), Meeting.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(items=list(rows), total=total or 0, page=page, per_page=per_page)


def _series_named(name: str) -> Series:
    series = db.session.scalar(sa.select(Series).where(Series.name == name))
    if series is None:
        series = Series(name=name)
        db.session.add(series)
        db.session.flush()
    return series


def _check_times(start_at, end_at) -> None:
    if end_at <= start_at:
        raise InvalidInput(_l("The meeting must end after it starts."), field="end_at")


def _check_number_free(series_id: int, year_be: int, number: int, meeting_id: int | None = None) -> None:
    query = sa.select(Meeting.id).where(
        Meeting.series_id == series_id, Meeting.year_be == year_be, Meeting.number == number
    )
    if meeting_id is not None:
        query = query.where(Meeting.id != meeting_id)
    if db.session.scalar(query) is not None:
        raise Conflict(
            _l("This series already has a meeting No. %(n)s/%(y)s.", n=number, y=year_be), field="number"
        )


def _be_year(start_at) -> int:
    return to_local(start_at).year + 543


# A meeting further ahead than this, or further back, is more likely a mistyped year than a plan.
PLAUSIBLE_YEARS_AHEAD = 2
PLAUSIBLE_YEARS_BACK = 1


def _check_plausible_date(start_at, year_be: int | None, confirmed: bool) -> None:
    """Ask (ConfirmationRequired) before keeping a date nobody is likely to mean: 12/01/2570 typed where
    the browser read 2570 as a Christian year, a meeting years away or long past, or a ครั้งที่ N/ปี whose
    year is not the date's. ``confirmed``: the user ticked "yes, this date"."""
    if confirmed:
        return
    day, today = to_local(start_at).date(), local_today()
    question = None
    if (day - today).days > 366 * PLAUSIBLE_YEARS_AHEAD:
        question = _l("The meeting would be on %(date)s, more than %(n)s years from today. Is that the "
                      "year you meant?", date=be_date_long(day), n=PLAUSIBLE_YEARS_AHEAD)
    elif (today - day).days > 366 * PLAUSIBLE_YEARS_BACK:
        question = _l("The meeting would be on %(date)s, more than a year ago. Is that the year you meant?",
                      date=be_date_long(day))
    elif year_be is not None and year_be != _be_year(start_at):
        question = _l("The number is of the year %(year)s but the date is in %(date_year)s. Is that meant?",
                      year=year_be, date_year=_be_year(start_at))
    if question is not None:
        raise ConfirmationRequired(question, field="date", details={"confirm": "confirm_date"})


def schedule_meeting(data: dict, *, by) -> Meeting:
    """Create a meeting from raw input (form or API)."""
    require_editor(by)
    values = load_input(MeetingInput(), data)
    _check_times(values["start_at"], values["end_at"])
    _check_plausible_date(values["start_at"], values["year_be"], values.pop("confirm_date"))
    series = _series_named(values.pop("series_name"))
    values["year_be"] = values["year_be"] or _be_year(values["start_at"])
    _check_number_free(series.id, values["year_be"], values["number"])
    meeting = Meeting(series=series, **values)
    db.session.add(meeting)
    db.session.flush()
    record_event(meeting, "meeting.created", {"title": meeting.title}, by=by)
    signals.meeting_scheduled.send(meeting, by=by)  # the series' open actions are carried into it
    db.session.flush()
    return meeting


def update_meeting(meeting: Meeting, data: dict, *, by) -> Meeting:
    require_editor(by)
    meeting = lock_meeting(meeting.id)  # its status as it is now, and no start or end meanwhile
    if meeting.status not in EDITABLE_STATUSES:
        raise Conflict(_l("A meeting that is live, ended or cancelled can no longer be edited."))
    values = load_input(MeetingUpdate(), data)
    confirmed = values.pop("confirm_date", False)
    if "start_at" in values or values.get("year_be") is not None:
        year_be = values.get("year_be")
        if year_be is None and "start_at" not in values:
            year_be = meeting.year_be
        _check_plausible_date(values.get("start_at", meeting.start_at), year_be, confirmed)
    if "series_name" in values:
        meeting.series = _series_named(values.pop("series_name"))
    start_at = values.get("start_at", meeting.start_at)
    end_at = values.get("end_at", meeting.end_at)
    _check_times(start_at, end_at)
    if values.get("year_be") is None:
        values.pop("year_be", None)
        if "start_at" in values and meeting.year_be == _be_year(meeting.start_at):
            # The number's year followed the old date, so it follows the new one: a meeting put off from
            # 30 December to 5 January is No. N of the new year (unless the secretariat set the year apart).
            values["year_be"] = _be_year(values["start_at"])
    changed = {}
    for name, value in values.items():
        if getattr(meeting, name) != value:
            changed[name] = value
            setattr(meeting, name, value)
    series_id = meeting.series_id or meeting.series.id
    with db.session.no_autoflush:  # a flush of the new number would meet the unique constraint first
        _check_number_free(series_id, meeting.year_be, meeting.number, meeting.id)
    if changed:
        significant = sorted(set(changed) & set(SIGNIFICANT_FIELDS))
        payload = {"fields": sorted(changed), "significant": significant, "meeting": meeting_state(meeting)}
        record_event(meeting, "meeting.updated", payload, by=by)
        if significant:  # calendars hear of a new time, place or title (their outbox rows commit with it)
            signals.meeting_rescheduled.send(meeting, fields=significant, by=by)
    db.session.flush()
    return meeting


# --- its status: one writer ---------------------------------------------------------------------------------


def _change_status(meeting_id: int, to: str, check: Callable[[Meeting], None]) -> Meeting:
    """The only writer of Meeting.status. The meeting is re-read under its row lock and ``check`` judges the
    locked row, so two changes at once (start pressed twice, an end and a cancel together, two processes)
    are made one after the other and the second sees the first: it starts once, and never ends cancelled."""
    meeting = lock_meeting(meeting_id)
    check(meeting)
    meeting.status = to
    return meeting


def _in_status(allowed: tuple[str, ...], refusal) -> Callable[[Meeting], None]:
    def check(meeting: Meeting) -> None:
        if meeting.status not in allowed:
            raise Conflict(refusal, details={"status": meeting.status})

    return check


def cancel_meeting(meeting: Meeting, data: dict | None = None, *, by) -> Meeting:
    require_editor(by)
    values = load_input(CancelInput(), data or {})
    refusal = _l("Only a draft or scheduled meeting can be cancelled.")
    # Cancelled once, and never a meeting that started meanwhile.
    meeting = _change_status(meeting.id, "cancelled", _in_status(EDITABLE_STATUSES, refusal))
    meeting.cancel_reason = values["reason"]
    record_event(meeting, "meeting.cancelled", {"reason": values["reason"]}, by=by)
    signals.meeting_cancelled.send(meeting, by=by)  # METHOD:CANCEL to every invitee
    db.session.flush()
    return meeting


# Starting earlier than this before the scheduled start is asked about (five weeks early went unnoticed).
EARLY_START_ASKS_AFTER = timedelta(days=1)


def start_meeting(meeting: Meeting, *, by, confirm_early: bool = False) -> Meeting:
    """draft/scheduled → live; the first agenda item becomes current when none is. More than a day before
    its scheduled start it asks first (ConfirmationRequired) unless ``confirm_early``; the record keeps both
    days (meeting_times: the scheduled start, and the start event)."""
    require_editor(by)
    meeting = _change_status(meeting.id, "live", lambda locked: _check_startable(locked, confirm_early))
    record_event(meeting, "meeting.started", {"status": "live", "at": utcnow().isoformat()}, by=by)
    db.session.flush()
    # Its Janus room, once the start has committed (video trouble never stops a meeting).
    transaction.after_commit(signals.meeting_started.send, meeting, by=by)
    return meeting


def _check_startable(meeting: Meeting, confirm_early: bool) -> None:
    if meeting.status == "live":
        raise Conflict(_l("The meeting is already in session."), details={"status": meeting.status})
    if meeting.status not in EDITABLE_STATUSES:
        raise Conflict(_l("Only a draft or scheduled meeting can be started."))
    if not confirm_early and meeting.start_at - utcnow() > EARLY_START_ASKS_AFTER:
        raise ConfirmationRequired(
            _l("This meeting is scheduled for %(date)s at %(time)s. Start it now, before that day?",
               date=be_date_long(meeting.start_at), time=local_time(meeting.start_at)),
            field="start", details={"confirm": "confirm_early", "scheduled_at": meeting.start_at.isoformat()},
        )


def end_meeting(meeting: Meeting, *, by) -> Meeting:
    require_editor(by)
    refusal = _l("Only a meeting in session can be ended.")
    meeting = _change_status(meeting.id, "ended", _in_status(("live",), refusal))
    signals.meeting_ending.send(meeting, by=by)  # the floor closes
    record_event(meeting, "meeting.ended", {"status": "ended", "at": utcnow().isoformat()}, by=by)
    db.session.flush()
    # Once the end has committed: its Janus room closes, its recordings become files.
    transaction.after_commit(signals.meeting_ended.send, meeting, by=by)
    return meeting


def mark_certified(meeting: Meeting) -> Meeting:
    """Its minutes were certified (meetcore.reports): the meeting is closed for good. In the caller's
    transaction, under the meeting's lock; the caller records the event."""
    refusal = _l("Only the minutes of a meeting that has ended can be certified.")
    return _change_status(meeting.id, "certified", _in_status(("ended",), refusal))


def set_identity_code_required(meeting: Meeting, required: bool) -> bool:
    """Whether a participant must confirm an e-mailed code before joining (meetcore.attendance decides
    when); in the caller's transaction, under the meeting's lock. True when it changed."""
    meeting = lock_meeting(meeting.id)
    changed = meeting.requires_identity_code != required
    meeting.requires_identity_code = required
    return changed


def meeting_state(meeting: Meeting) -> dict:
    """The meeting as live clients hold it (the snapshot's "meeting"; meeting.updated carries it whole)."""
    return {
        "id": meeting.id,
        "title": meeting.title,
        "series": meeting.series.name,
        "number_label": meeting.number_label,
        "status": meeting.status,
        "start_at": meeting.start_at.isoformat(),
        "end_at": meeting.end_at.isoformat(),
        "venue": meeting.venue,
        "chair_name": meeting.chair_name,
    }
