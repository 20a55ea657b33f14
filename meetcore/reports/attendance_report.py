"""The attendance report: per seat (status, reply, substitute, first join, last leave, minutes attended) and
per connection (join, leave, minutes), with completeness per province and per role; CSV and XLSX.

Built on meetcore.attendance's derived statuses (``seat_statuses``) and connection log (``all_connections``);
the only figure added here is the minutes a seat attended: the union of its intervals within the session.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _

from meetcore.attendance.connection_log import all_connections
from meetcore.attendance.labels import attendance_status_label, interval_kind_label
from meetcore.attendance.statuses import SeatAttendance, meeting_times, seat_statuses
from meetcore.auth.permissions import require_staff
from meetcore.database import utcnow
from meetcore.i18n.dates import to_local
from meetcore.i18n.names import localized_name
from meetcore.meetings.models import Meeting
from meetcore.plaintext import without_control_characters
from meetcore.seats.labels import rsvp_label
from meetcore.seats.services import seat_label


@dataclass
class SeatLine:
    entry: SeatAttendance
    label: str
    minutes: int
    connections: int

    @property
    def seat(self):
        return self.entry.seat

    @property
    def attended_by(self) -> str:
        return "; ".join(
            ", ".join(part for part in (person.name, person.position) if part)
            for person in self.entry.attendees
        )


@dataclass
class Completeness:
    key: str
    title: str
    seats: int = 0
    present: int = 0
    substitute: int = 0
    absent: int = 0

    @property
    def attended(self) -> int:
        return self.present + self.substitute

    @property
    def percent(self) -> float:
        return round(100.0 * self.attended / self.seats, 1) if self.seats else 0.0

    @property
    def complete(self) -> bool:
        return self.seats > 0 and self.attended == self.seats


@dataclass
class VoteLine:
    """A closed vote in the reader's language: its agenda item, the result, counts and quorum, and for an
    open vote who voted what (meetcore.polls.state.result_words)."""

    item: str
    lines: list[str]
    voters: list[str]


@dataclass
class AttendanceReport:
    meeting: Meeting
    started_at: datetime | None
    ended_at: datetime | None
    seats: list[SeatLine]
    by_province: list[Completeness] = field(default_factory=list)
    by_role: list[Completeness] = field(default_factory=list)
    votes: list[VoteLine] = field(default_factory=list)

    @property
    def totals(self) -> Completeness:
        total = Completeness("all", _("All seats"))
        for line in self.seats:
            _count(total, line.entry.status)
        return total


def _count(row: Completeness, status: str) -> None:
    row.seats += 1
    if status in ("present", "substitute", "absent"):
        setattr(row, status, getattr(row, status) + 1)


def attended_minutes(entry: SeatAttendance, start: datetime | None, end: datetime) -> int:
    """Minutes the seat was held (any of its intervals open) within [start, end]; overlaps count once."""
    spans = []
    for row in entry.intervals:
        joined = row.joined_at if start is None else max(row.joined_at, start)
        left = min(row.left_at or end, end)
        if left > joined:
            spans.append((joined, left))
    spans.sort()
    total, current_start, current_end = 0.0, None, None
    for joined, left in spans:
        if current_end is None or joined > current_end:
            if current_end is not None:
                total += (current_end - current_start).total_seconds()
            current_start, current_end = joined, left
        else:
            current_end = max(current_end, left)
    if current_end is not None:
        total += (current_end - current_start).total_seconds()
    return int(total // 60)


def attendance_report(meeting: Meeting, *, by) -> AttendanceReport:
    require_staff(by)
    times = meeting_times(meeting)
    now = utcnow()
    window_end = times.ended_at or now
    lines = []
    provinces: dict[str, Completeness] = {}
    roles: dict[str, Completeness] = {}
    for entry in seat_statuses(meeting, by=by, now=now):
        seat = entry.seat
        connections = len({row.connection_id or f"row:{row.id}" for row in entry.intervals})
        lines.append(SeatLine(entry=entry, label=seat_label(seat.province, seat.role),
                              minutes=attended_minutes(entry, times.started_at, window_end),
                              connections=connections))  # fmt: skip
        if seat.province is not None:
            key = seat.province.code
            row = provinces.setdefault(key, Completeness(key, localized_name(seat.province)))
        else:
            row = provinces.setdefault("central", Completeness("central", _("Central seats")))
        _count(row, entry.status)
        role_row = roles.setdefault(
            seat.role.code, Completeness(seat.role.code, localized_name(seat.role, "title"))
        )
        _count(role_row, entry.status)
    return AttendanceReport(
        meeting=meeting, started_at=times.started_at, ended_at=times.ended_at, seats=lines,
        by_province=list(provinces.values()), by_role=list(roles.values()), votes=vote_lines(meeting),
    )  # fmt: skip


def vote_lines(meeting: Meeting) -> list[VoteLine]:
    """The meeting's closed votes, in agenda order (an item's votes in the order they were prepared)."""
    from meetcore.agenda.services import public_tree, walk
    from meetcore.polls.state import closed_poll_results, result_words

    entries = closed_poll_results(meeting.id)
    if not entries:
        return []
    order = {node["item"].id: (index, f"{node['number']} {node['item'].title}")
             for index, (node, _depth) in enumerate(walk(public_tree(meeting.id)))}  # fmt: skip
    entries.sort(key=lambda entry: (order.get(entry["item_id"], (len(order), ""))[0], entry["id"]))
    lines = []
    for entry in entries:
        words = result_words(entry)
        lines.append(VoteLine(order.get(entry["item_id"], (0, ""))[1], words["lines"], words["voters"]))
    return lines


def vote_header() -> list[str]:
    return [_("Agenda item"), _("Vote result"), _("Who voted what")]


def vote_values(line: VoteLine) -> list:
    return [line.item, "\n".join(line.lines), "\n".join(line.voters)]


# --- files --------------------------------------------------------------------------------------------------


def _local(value: datetime | None) -> str:
    return to_local(value).strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


def seat_header() -> list[str]:
    return [_("Province code"), _("Seat"), _("Invitee"), _("Position"), _("Reply"), _("Reason for absence"),
            _("Status"), _("Late"), _("Left early"), _("Substitute"), _("Attended by"), _("First joined"),
            _("Last left"), _("Minutes attended"), _("Connections")]  # fmt: skip


def seat_values(line: SeatLine) -> list:
    seat, entry = line.seat, line.entry
    substitute = seat.substitute_name or next(
        (person.name for person in entry.attendees if person.as_substitute and person.name), ""
    )
    return [
        seat.province.code if seat.province else "", line.label, seat.name or "", seat.position or "",
        rsvp_label(seat.rsvp), seat.absence_reason or "", attendance_status_label(entry.status),
        _("yes") if entry.late else "", _("yes") if entry.left_early else "", substitute or "",
        line.attended_by, _local(entry.first_joined_at),
        _local(entry.last_left_at) if entry.present_now is None else "",
        line.minutes, line.connections,
    ]  # fmt: skip


def connection_header() -> list[str]:
    return [_("Joined"), _("Left"), _("Minutes"), _("Province code"), _("Seat"), _("Invitee"), _("Kind"),
            _("Attendee"), _("Attendee position"), _("Address"), _("Connection")]  # fmt: skip


def connection_rows(meeting: Meeting, *, by):
    for entry in all_connections(meeting, by=by):
        row = entry.interval
        duration = entry.duration
        yield [
            _local(row.joined_at), _local(row.left_at),
            int(duration.total_seconds() // 60) if duration is not None else "",
            entry.province.code if entry.province else "", seat_label(entry.province, entry.role),
            entry.seat_name or "", interval_kind_label(row.kind), row.attendee_name or "",
            row.attendee_position or "", row.remote_addr or "", row.connection_id or "",
        ]  # fmt: skip


def completeness_header(first: str) -> list[str]:
    return [first, _("Seats"), _("Present"), _("By substitute"), _("Absent"), _("Attended (%)")]


def completeness_values(row: Completeness) -> list:
    return [row.title, row.seats, row.present, row.substitute, row.absent, row.percent]


def report_csv(report: AttendanceReport) -> str:
    """The per-seat table (UTF-8 with a byte-order mark, so that Excel reads the Thai)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(seat_header())
    for line in report.seats:
        writer.writerow(seat_values(line))
    return buffer.getvalue()


def report_xlsx(report: AttendanceReport, *, by) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheets = [
        (workbook.active, _("Seats"), seat_header(), (seat_values(line) for line in report.seats)),
        (workbook.create_sheet(), _("Connections"), connection_header(),
         connection_rows(report.meeting, by=by)),
        (workbook.create_sheet(), _("Provinces"), completeness_header(_("Province")),
         (completeness_values(row) for row in [*report.by_province, report.totals])),
        (workbook.create_sheet(), _("Roles"), completeness_header(_("Role")),
         (completeness_values(row) for row in [*report.by_role, report.totals])),
        (workbook.create_sheet(), _("Votes"), vote_header(), (vote_values(line) for line in report.votes)),
    ]  # fmt: skip
    for sheet, title, header, rows in sheets:
        sheet.title = title[:31]
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for values in rows:  # Excel's XML cannot hold control characters stored before input refused them
            sheet.append([without_control_characters(v) if isinstance(v, str) else v for v in values])
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
