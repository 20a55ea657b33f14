"""Who was there: each seat's attendance status derived from its intervals and the meeting's times."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa

from meetcore.attendance.models import Attendance
from meetcore.attendance.policy import late_grace
from meetcore.auth.permissions import require_staff
from meetcore.database import utcnow
from meetcore.eventlog.models import MeetingEvent
from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from meetcore.seats.models import Seat

log = logging.getLogger(__name__)


# --- who was there: derived statuses -------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingTimes:
    """When the meeting was put in session and ended (from its event log), and the references that make a
    seat late or early: the later of the planned and the actual start, the earlier of the planned and the
    actual end."""

    start_at: datetime
    end_at: datetime
    started_at: datetime | None
    ended_at: datetime | None

    @property
    def late_after(self) -> datetime | None:
        if self.started_at is None:
            return None
        return max(self.start_at, self.started_at)

    @property
    def early_before(self) -> datetime:
        return min(self.end_at, self.ended_at) if self.ended_at is not None else self.end_at


def meeting_times(meeting: Meeting) -> MeetingTimes:
    rows = db.session.execute(
        sa.select(MeetingEvent.kind, sa.func.min(MeetingEvent.created_at))
        .where(
            MeetingEvent.meeting_id == meeting.id, MeetingEvent.kind.in_(("meeting.started", "meeting.ended"))
        )
        .group_by(MeetingEvent.kind)
    ).all()
    found = dict(rows)

    def aware(value):
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value

    return MeetingTimes(meeting.start_at, meeting.end_at, aware(found.get("meeting.started")),
                        aware(found.get("meeting.ended")))  # fmt: skip


@dataclass
class Attendee:
    name: str | None
    position: str | None
    as_substitute: bool


@dataclass
class SeatAttendance:
    """How one seat attended: its status (present / substitute / absent), whether it came late or left early,
    who sat in it, and its intervals."""

    seat: Seat
    status: str
    present_now: str | None  # the kind holding it now, or None
    late: bool = False
    left_early: bool = False
    first_joined_at: datetime | None = None
    last_left_at: datetime | None = None
    attendees: list[Attendee] = field(default_factory=list)
    intervals: list[Attendance] = field(default_factory=list)

    @property
    def absence_reason(self) -> str | None:
        return self.seat.absence_reason if self.status == "absent" else None

    @property
    def flags(self) -> list[str]:
        """The statuses a list shows, e.g. ["substitute", "late"]."""
        marks = [self.status]
        if self.late:
            marks.append("late")
        if self.left_early:
            marks.append("left_early")
        return marks


def _overlaps(row: Attendance, times: MeetingTimes, now: datetime) -> bool:
    if times.started_at is None:
        return True  # not in session yet: the waiting room counts
    window_end = times.ended_at or now
    return row.joined_at <= window_end and (row.left_at is None or row.left_at >= times.started_at)


def derive(seat: Seat, rows: list[Attendance], times: MeetingTimes, now: datetime) -> SeatAttendance:
    """The status of one seat from its intervals and the meeting's times."""
    open_kinds = {row.kind for row in rows if row.left_at is None}
    present_now = next((kind for kind in ("self", "substitute", "site") if kind in open_kinds), None)
    relevant = [row for row in rows if _overlaps(row, times, now)]
    if not relevant:
        return SeatAttendance(seat=seat, status="absent", present_now=present_now, intervals=rows)
    in_person = any(row.kind in ("self", "site") for row in relevant)
    first = min(row.joined_at for row in relevant)
    still_there = any(row.left_at is None for row in relevant)
    last = None if still_there else max(row.left_at for row in relevant)
    grace = late_grace()
    late = times.late_after is not None and first > times.late_after + grace
    left_early = (
        last is not None
        and times.started_at is not None
        and last < times.early_before - grace
        and (times.ended_at is None or last < times.ended_at)
    )
    attendees: dict[tuple, Attendee] = {}
    for row in relevant:
        key = (row.attendee_name, row.attendee_position, row.kind == "substitute")
        attendees.setdefault(key, Attendee(*key))
    return SeatAttendance(
        seat=seat,
        status="present" if in_person else "substitute",
        present_now=present_now,
        late=late,
        left_early=left_early,
        first_joined_at=first,
        last_left_at=last,
        attendees=list(attendees.values()),
        intervals=rows,
    )


def seat_statuses(meeting: Meeting, *, by, now: datetime | None = None) -> list[SeatAttendance]:
    """Every seat of the meeting with its derived status, in roster order (central seats first, then region,
    province and role)."""
    require_staff(by)
    from meetcore.seats.services import ordered_seats

    now = now or utcnow()
    times = meeting_times(meeting)
    seats = ordered_seats(meeting, by=by)
    by_seat: dict[int, list[Attendance]] = {}
    for row in db.session.scalars(
        sa.select(Attendance).where(Attendance.meeting_id == meeting.id).order_by(Attendance.joined_at)
    ):
        by_seat.setdefault(row.seat_id, []).append(row)
    return [derive(seat, by_seat.get(seat.id, []), times, now) for seat in seats]


def status_counts(statuses: list[SeatAttendance]) -> dict[str, int]:
    result = {"seats": len(statuses), "present": 0, "substitute": 0, "absent": 0, "late": 0, "left_early": 0}
    for entry in statuses:
        result[entry.status] += 1
        result["late"] += entry.late
        result["left_early"] += entry.left_early
    return result


# Meetings whose attendance is a record, not a presence: the board shows who attended, as the report and the
# minutes do, instead of who holds a connection now (nobody, once it ended).
RECORDED_STATUSES = ("ended", "certified")


def attended_seats(meeting: Meeting, *, by) -> dict[int, str]:
    """Seat id → how it attended ("self", "substitute") for every seat that attended, from seat_statuses:
    the one reading of the intervals that the board, the attendance report and the minutes share."""
    return {
        entry.seat.id: "substitute" if entry.status == "substitute" else "self"
        for entry in seat_statuses(meeting, by=by)
        if entry.status != "absent"
    }
