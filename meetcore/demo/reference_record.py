"""The record of the reference meeting 1/2560 as it was held on 2 May 2017, so that a newcomer sees what
MeetCore keeps of a finished meeting: who attended (the attendance intervals live attendance writes: personal
connections, substitutes, provincial halls ticked by their operator, late joins, early leaves, reconnects),
the minutes of each item (blocks the minutes editor opens like typed ones), the decisions with the seats
present as each was taken, the actions given with the agencies' progress reports, and the official minutes
circulated, waiting for the next meeting's "รับรองรายงานการประชุม" to certify them.

Everything is dated from the meeting's own day, never from the day the demo is loaded, and chosen by a
seeded random generator, so every load writes the same record. The events go through the event log, in the
order they happened, stamped with the time they happened.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from meetcore.actions.models import ActionAssignment, ActionItem, ProgressReport
from meetcore.actions.services import action_state
from meetcore.actors import SYSTEM_DEMO
from meetcore.agenda.models import AgendaItem
from meetcore.attendance.models import Attendance, SiteLink
from meetcore.demo import reference_minutes as said
from meetcore.directory.models import Agency, Province, Role
from meetcore.eventlog.models import MeetingEvent
from meetcore.eventlog.services import record_event
from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from meetcore.minutes.models import Decision
from meetcore.minutes.services import write_recorded_block
from meetcore.reports.models import OfficialMinutes
from meetcore.seats.models import Seat

BANGKOK = ZoneInfo("Asia/Bangkok")
DAY = date(2017, 5, 2)
SEED = 2560
LEAD_ROLE = "social_development"  # พมจ., the lead host of social work in each province
SITE_PROVINCES = 10  # provinces that followed from the provincial hall, ticked by its operator
CENTRAL_SUBSTITUTE_ROLE = "dep_director_general"
# Shares of the provincial seats joining personally.
ABSENT, SUBSTITUTE, LATE, LEFT_EARLY, RECONNECTED = 0.06, 0.08, 0.10, 0.06, 0.05
BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/58.0",
    "Mozilla/5.0 (Windows NT 6.1; Win64; x64; rv:53.0) Gecko/20100101 Firefox/53.0",
    "Mozilla/5.0 (Linux; Android 7.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/58.0 Mobile",
)


def bangkok(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BANGKOK).astimezone(UTC)


STARTED = bangkok(10, 4)
ENDED = bangkok(12, 21)
CIRCULATED = bangkok(10, 0, date(2017, 5, 9))
COMMENTS_DUE = bangkok(16, 30, date(2017, 5, 16))


def has_record(meeting: Meeting) -> bool:
    """Whether the meeting was put in session in its log: its record is written (or it was really held)."""
    started = sa.select(MeetingEvent.id).where(
        MeetingEvent.meeting_id == meeting.id, MeetingEvent.kind == "meeting.started"
    )
    return db.session.scalar(started.limit(1)) is not None


def write_record(meeting: Meeting) -> bool:
    """Write the meeting's record unless it has one; True when written. In the caller's transaction."""
    if has_record(meeting):
        return False
    rng = random.Random(SEED)
    _event(meeting, "meeting.started", {"status": "live", "at": STARTED.isoformat()}, STARTED)
    intervals = _attendance(meeting, rng)
    items = {
        item.title: item
        for item in db.session.scalars(sa.select(AgendaItem).where(AgendaItem.meeting_id == meeting.id))
    }
    actions_by_item: dict[str, list] = {}
    for action in said.action_records():
        actions_by_item.setdefault(action.item_title, []).append(action)
    for entry in said.item_records():
        at = STARTED + timedelta(minutes=entry.minute)
        item = items[entry.title]
        write_recorded_block(meeting.id, item.id, entry.text, at=at)
        if entry.decision:
            _decision(meeting, item, entry.decision, at, intervals)
        for action in actions_by_item.get(entry.title, ()):
            _action(meeting, item, action, at + timedelta(minutes=2), rng)
    _event(meeting, "meeting.ended", {"status": "ended", "at": ENDED.isoformat()}, ENDED)
    _circulated(meeting, intervals)
    db.session.flush()
    return True


def _event(meeting: Meeting, kind: str, payload: dict, at: datetime) -> MeetingEvent:
    event = record_event(meeting, kind, payload, by=SYSTEM_DEMO)
    event.created_at = at  # when it happened, not when the demo was loaded
    return event


# --- attendance ---------------------------------------------------------------------------------------------


@dataclass
class _Joined:
    """What one person's browser (or a provincial hall's roll call) looked like."""

    kind: str
    name: str | None
    position: str | None
    address: str
    browser: str | None


def _attendance(meeting: Meeting, rng: random.Random) -> list[Attendance]:
    seats = list(db.session.scalars(sa.select(Seat).where(Seat.meeting_id == meeting.id).order_by(Seat.id)))
    roles = {role.id: role for role in db.session.scalars(sa.select(Role))}
    provinces = {p.id: p for p in db.session.scalars(sa.select(Province))}
    province_ids = sorted({seat.province_id for seat in seats if seat.province_id is not None})
    addresses = {pid: f"203.0.113.{n}" for n, pid in enumerate(province_ids, start=1)}  # one office network
    sites = {pid: _site_link(meeting, pid) for pid in rng.sample(province_ids, SITE_PROVINCES)}
    rows: list[Attendance] = []
    for seat in seats:
        if seat.province_id is None:
            rows += _central_seat(seat, roles[seat.role_id].code, rng)
        elif seat.province_id in sites:
            rows += _site_seat(seat, sites[seat.province_id], addresses[seat.province_id], rng)
        else:
            rows += _personal_seat(seat, provinces[seat.province_id], roles[seat.role_id],
                                   addresses[seat.province_id], rng)  # fmt: skip
    db.session.add_all(rows)
    db.session.flush()
    return rows


def _site_link(meeting: Meeting, province_id: int) -> SiteLink:
    # The hall's link of that day; only a hash is kept, and it expired with the day.
    token = f"demo-reference-site-{meeting.id}-{province_id}"
    link = SiteLink(meeting_id=meeting.id, province_id=province_id,
                    token_hash=hashlib.sha256(token.encode()).hexdigest(),
                    created_at=bangkok(9, 0, date(2017, 4, 28)), expires_at=bangkok(23, 59))  # fmt: skip
    db.session.add(link)
    db.session.flush()
    return link


def _declined(seat: Seat, rng: random.Random) -> list[Attendance]:
    seat.rsvp = "declined"
    seat.absence_reason = rng.choice(said.ABSENCE_REASONS)
    return []


def _interval(seat: Seat, who: _Joined, joined: datetime, left: datetime, connection: str) -> Attendance:
    return Attendance(meeting_id=seat.meeting_id, seat_id=seat.id, kind=who.kind, connection_id=connection,
                      attendee_name=who.name, attendee_position=who.position, remote_addr=who.address,
                      user_agent=who.browser, joined_at=joined, left_at=left)  # fmt: skip


def _central_seat(seat: Seat, role_code: str, rng: random.Random) -> list[Attendance]:
    """The ministry's own seats, in the meeting room in Bangkok: all there, one by a substitute."""
    if role_code == CENTRAL_SUBSTITUTE_ROLE:
        who = _substitute(seat, "ตัวอย่าง ผู้แทนอธิบดี", "ผู้อำนวยการกองส่งเสริมและพัฒนาคุณภาพชีวิตคนพิการ",
                          f"substitute.{role_code.replace('_', '-')}.central@example.org")  # fmt: skip
        who.address = "192.0.2.10"
    else:
        seat.rsvp = "accepted"
        who = _Joined("self", seat.name, seat.position, "192.0.2.10", BROWSERS[0])
    joined = bangkok(9, 40) + timedelta(minutes=rng.randint(0, 18))
    return [_interval(seat, who, joined, ENDED + timedelta(minutes=2), f"demo-2560:central-{seat.id}")]


def _site_seat(seat: Seat, link: SiteLink, address: str, rng: random.Random) -> list[Attendance]:
    """A seat ticked present by its provincial hall's operator, unticked when the meeting ended."""
    if rng.random() < 2 * ABSENT:
        return _declined(seat, rng)
    seat.rsvp = "accepted"
    who = _Joined("site", seat.name, seat.position, address, BROWSERS[0])
    joined = bangkok(9, 50) + timedelta(minutes=rng.randint(0, 10))
    return [_interval(seat, who, joined, ENDED + timedelta(minutes=1), f"site:{link.id}")]


def _substitute(seat: Seat, name: str, position: str, email: str) -> _Joined:
    seat.rsvp = "substitute"
    seat.substitute_name, seat.substitute_position, seat.substitute_email = name, position, email
    return _Joined("substitute", name, position, "", BROWSERS[0])


def _personal_seat(seat: Seat, province: Province, role: Role, address: str,
                   rng: random.Random) -> list[Attendance]:  # fmt: skip
    """A provincial seat joining through its personal link: most on time for the whole meeting; some
    absent, by a substitute, late, gone early, or dropped and back."""
    draw = rng.random()
    if draw < ABSENT:
        return _declined(seat, rng)
    if draw < ABSENT + SUBSTITUTE:
        email = f"substitute.{role.code.replace('_', '-')}.{province.code.lower()}@example.org"
        name = f"ตัวอย่าง ผู้แทน{role.short_th or role.title_th} {province.name_th}"
        who = _substitute(seat, name, rng.choice(said.SUBSTITUTE_POSITIONS), email)
    else:
        seat.rsvp = "accepted"
        who = _Joined("self", seat.name, seat.position, "", None)
    who.address, who.browser = address, rng.choice(BROWSERS)
    joined = bangkok(9, 35) + timedelta(minutes=rng.randint(0, 30))
    if rng.random() < LATE:
        joined = bangkok(10, rng.randint(22, 50))
    left = ENDED + timedelta(minutes=rng.randint(0, 3))
    if rng.random() < LEFT_EARLY:
        left = bangkok(11, rng.randint(15, 55))
    connection = f"demo-2560:{seat.id}"
    if rng.random() < RECONNECTED and left - joined > timedelta(minutes=60):
        dropped = joined + timedelta(minutes=rng.randint(20, 50))
        back = dropped + timedelta(minutes=rng.randint(1, 4))
        return [_interval(seat, who, joined, dropped, connection + "-a"),
                _interval(seat, who, back, left, connection + "-b")]  # fmt: skip
    return [_interval(seat, who, joined, left, connection)]


def _present_at(intervals: list[Attendance], at: datetime) -> list[int]:
    return sorted({row.seat_id for row in intervals if row.joined_at <= at < row.left_at})


# --- decisions, actions, progress -------------------------------------------------------------------------


def _decision(
    meeting: Meeting, item: AgendaItem, text: str, at: datetime, intervals: list[Attendance]
) -> None:
    present = _present_at(intervals, at)
    decision = Decision(meeting_id=meeting.id, agenda_item_id=item.id, text=text, present_seat_ids=present,
                        taken_at=at)  # fmt: skip
    db.session.add(decision)
    db.session.flush()
    payload = {"id": decision.id, "item_id": item.id, "text": text, "taken_at": at.isoformat(),
               "present_count": len(present), "present_seat_ids": present}  # fmt: skip
    _event(meeting, "decision.recorded", payload, at)


def _owners(action) -> tuple[list[Agency], int | None]:
    if action.central_role is not None:
        role = db.session.scalar(sa.select(Role).where(Role.code == action.central_role))
        agencies = db.session.scalars(
            sa.select(Agency).where(Agency.role_id == role.id, Agency.province_id.is_(None))
        ).all()
        return list(agencies), None
    role = db.session.scalar(sa.select(Role).where(Role.code == LEAD_ROLE))
    query = (
        sa.select(Agency)
        .join(Province, Agency.province_id == Province.id)
        .where(Agency.role_id == role.id, Agency.kind == "provincial")
        .order_by(Province.code)
    )
    if action.provinces is not None:
        query = query.where(Province.name_th.in_(action.provinces))
    return list(db.session.scalars(query)), role.id


def _action(meeting: Meeting, item: AgendaItem, record, at: datetime, rng: random.Random) -> None:
    agencies, role_id = _owners(record)
    action = ActionItem(meeting_id=meeting.id, agenda_item_id=item.id, title=record.title,
                        description=record.description, due_date=record.due, fan_out_role_id=role_id,
                        created_at=at)  # fmt: skip
    action.assignments = [
        ActionAssignment(agency_id=agency.id, due_date=record.due, status="open", updated_at=at)
        for agency in agencies
    ]
    db.session.add(action)
    db.session.flush()
    role_code = db.session.scalar(sa.select(Role.code).where(Role.id == role_id)) if role_id else None
    payload = {"id": action.id, "item_id": item.id, "title": action.title, "description": action.description,
               "due_date": record.due.isoformat(), "role_code": role_code,
               "agency_ids": sorted(a.agency_id for a in action.assignments),
               "action": action_state(action)}  # fmt: skip
    _event(meeting, "action.created", payload, at)
    _progress(action, record, {agency.id: agency for agency in agencies}, rng)


def _report_day(due: date, rng: random.Random, earliest: int, latest: int) -> datetime:
    day = max(DAY + timedelta(days=1), due - timedelta(days=rng.randint(earliest, latest)))
    return bangkok(rng.randint(9, 16), rng.randint(0, 59), day)


def _progress(action: ActionItem, record, agencies: dict[int, Agency], rng: random.Random) -> None:
    """The agencies' progress reports: a share done (a report on the way, then the one that closed it), a
    share still in progress, the rest silent."""
    assignments = sorted(action.assignments, key=lambda a: a.agency_id)
    rng.shuffle(assignments)
    done = round(len(assignments) * record.done)
    in_progress = round(len(assignments) * record.in_progress)
    for index, assignment in enumerate(assignments):
        reporter = "ตัวอย่าง ผู้ประสานงาน " + agencies[assignment.agency_id].name_th
        if index < done:
            reports = [("in_progress", record.progress_note, _report_day(record.due, rng, 15, 25)),
                       ("done", record.done_note, _report_day(record.due, rng, 0, 10))]  # fmt: skip
        elif index < done + in_progress:
            reports = [("in_progress", record.progress_note, _report_day(record.due, rng, 0, 10))]
        else:
            continue
        for status, note, at in reports:
            db.session.add(ProgressReport(assignment_id=assignment.id, status=status, note=note,
                                          created_at=at, reporter_name=reporter[:200]))  # fmt: skip
            assignment.status, assignment.last_note = status, note
            assignment.last_reported_at = assignment.updated_at = at


# --- the official minutes -----------------------------------------------------------------------------------


def _circulated(meeting: Meeting, intervals: list[Attendance]) -> None:
    """Circulated to the attendees a week later for comment: the next meeting certifies them."""
    row = db.session.scalar(sa.select(OfficialMinutes).where(OfficialMinutes.meeting_id == meeting.id))
    if row is None:
        row = OfficialMinutes(meeting_id=meeting.id, grouping="roster", created_at=ENDED)
        db.session.add(row)
    if row.state == "certified":
        return
    row.state = "circulated"
    row.recorder_name, row.recorder_position = said.RECORDER
    row.reviewer_name, row.reviewer_position = said.REVIEWER
    row.circulated_at, row.comments_due = CIRCULATED, COMMENTS_DUE
    row.updated_at = CIRCULATED
    attendees = len({interval.seat_id for interval in intervals})
    _event(meeting, "minutes.circulated", {"recipients": attendees}, CIRCULATED)
