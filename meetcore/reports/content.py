"""The official minutes' document (รายงานการประชุม), built from the meeting's own data as it is now; reads
only (meetcore.reports.services writes the minutes, meetcore.reports.reading says who may read them).

The document follows the national correspondence regulation's form: the heading (meeting name, ครั้งที่ N/พ.ศ.,
เมื่อ <Buddhist-Era date>, ณ <place>), ผู้มาประชุม (name, position, "แทน" whom for substitutes), ผู้ไม่มาประชุม
(with the reason given in the reply to the invitation), ผู้เข้าร่วมประชุม, เริ่มประชุมเวลา, the text of each
agenda item ending in its มติที่ประชุม, เลิกประชุมเวลา, and ผู้จดรายงานการประชุม / ผู้ตรวจรายงานการประชุม. The
document is Thai whatever the reader's language: it is the official record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from meetcore.actors import SYSTEM_REPORTS
from meetcore.agenda.models import AgendaItem
from meetcore.extensions import db
from meetcore.i18n.dates import be_date, be_date_long, to_local
from meetcore.meetings.models import Meeting
from meetcore.minutes.models import Decision, MinutesBlock
from meetcore.reports.models import GROUPINGS, OfficialMinutes
from meetcore.seats.models import Seat

# The words the form uses (the regulation's; never "บันทึกการประชุม", "ผู้ที่ไม่เข้าประชุม", "เปิด/ปิดประชุม").
CERTIFICATION_TITLE = "รับรองรายงานการประชุม"
CENTRAL_GROUP = "ส่วนกลาง"
CHAIR_NOTE = "ประธานที่ประชุม"
# Roles whose present seats are listed as ผู้เข้าร่วมประชุม (they serve the meeting, they are not members).
SUPPORTING_ROLES = frozenset({"secretariat"})


# --- the row ------------------------------------------------------------------------------------------------


def minutes_row(meeting: Meeting, *, create: bool = True) -> OfficialMinutes | None:
    """The meeting's OfficialMinutes row (a draft one is added, not committed, when there is none).
    Readers pass ``create=False``: only the writers of meetcore.reports.services add the draft."""
    row = db.session.scalar(sa.select(OfficialMinutes).where(OfficialMinutes.meeting_id == meeting.id))
    if row is None and create:
        row = OfficialMinutes(meeting_id=meeting.id, state="draft", grouping="roster")
        db.session.add(row)
        db.session.flush()
    return row


# --- the document -------------------------------------------------------------------------------------------


@dataclass
class Entry:
    """One line of an attendance list."""

    name: str
    position: str
    on_behalf_of: str | None = None  # "แทน …"
    note: str | None = None  # e.g. the reason of an absence, "ประธานที่ประชุม"


@dataclass
class Group:
    title: str | None
    entries: list[Entry] = field(default_factory=list)


@dataclass
class ItemSection:
    item_id: int
    number: str
    title: str
    depth: int
    presenter: str | None
    text: str
    decisions: list[str]
    previous_minutes: Meeting | None = None  # for "รับรองรายงานการประชุม": the minutes it certifies
    # What the item resolved beyond its มติ, each part a list the templates render in turn: the votes
    # taken on it (ผลการลงคะแนน, from the polls' rows, whatever the decision's wording became) and the action
    # items given from it.
    polls: list[PollRecord] = field(default_factory=list)
    actions: list[ActionLine] = field(default_factory=list)


@dataclass
class PollRecord:
    """One closed vote under its agenda item: the result, the entitled and voting counts, the quorum when it
    opened, and for an open vote who voted what (a secret vote names nobody)."""

    lines: list[str]
    voters: list[str]


@dataclass
class ActionLine:
    """One action item (ข้อสั่งการ) under its agenda item: what, who owns it, by when."""

    title: str
    description: str | None
    owners: str  # "พัฒนาสังคมและความมั่นคงของมนุษย์จังหวัด (จังหวัดเชียงใหม่, จังหวัดสงขลา)"
    due_text: str  # "12 ม.ค. 2570", or "" when it has no due date


@dataclass
class AmendmentLine:
    number: str | None
    item_title: str | None
    text: str
    by: str
    at: datetime


@dataclass
class MinutesDocument:
    meeting: Meeting
    row: OfficialMinutes
    name: str
    subtitle: str | None
    number_label: str
    date_text: str
    venue: str
    # When the meeting started on another day than the one it was scheduled for, the record says both:
    # "เมื่อ" is the day it sat, this line the day it had been called for ("" when they agree).
    scheduled_text: str
    present: list[Group]
    absent: list[Group]
    supporting: list[Group]
    started_text: str
    ended_text: str
    items: list[ItemSection]
    amendments: list[AmendmentLine]

    @property
    def title(self) -> str:
        return minutes_title(self.name)

    @property
    def present_count(self) -> int:
        return sum(len(group.entries) for group in self.present)

    @property
    def absent_count(self) -> int:
        return sum(len(group.entries) for group in self.absent)

    @property
    def supporting_count(self) -> int:
        return sum(len(group.entries) for group in self.supporting)


def minutes_title(name: str) -> str:
    """ "รายงานการประชุม" + the meeting's name (once, when the name itself starts with "การประชุม")."""
    return "รายงาน" + name if name.startswith("การประชุม") else "รายงานการประชุม" + name


def thai_time(value: datetime | None) -> str:
    """ "10.05 น." in Asia/Bangkok, as Thai official documents write times."""
    if value is None:
        return ""
    return to_local(value).strftime("%H.%M") + " น."


def _position(seat: Seat) -> str:
    from meetcore.seats.services import seat_label

    return seat.position or seat_label(seat.province, seat.role, "th")


def _same_name(a: str | None, b: str | None) -> bool:
    return bool(a and b) and " ".join(a.split()) == " ".join(b.split())


def _present_entry(entry) -> Entry:
    seat = entry.seat
    substitute = next((person for person in entry.attendees if person.as_substitute), None)
    if entry.status == "substitute":
        name = (substitute.name if substitute else None) or seat.substitute_name or "—"
        position = (substitute.position if substitute else None) or seat.substitute_position or ""
        whom = seat.name or _position(seat)
        if seat.name and _position(seat):
            whom = f"{seat.name} {_position(seat)}"
        return Entry(name=name, position=position, on_behalf_of=whom)
    in_person = next((person for person in entry.attendees if not person.as_substitute and person.name), None)
    name = (in_person.name if in_person else None) or seat.name or "—"
    position = (in_person.position if in_person else None) or _position(seat)
    return Entry(name=name, position=position)


def _group_key(seat: Seat, grouping: str) -> tuple[tuple, str | None]:
    if grouping == "province":
        if seat.province is None:
            return (0, ""), CENTRAL_GROUP
        return (1, seat.province.name_th), "จังหวัด" + seat.province.name_th
    if grouping == "role":
        return (seat.role.sort_order, seat.role.code), seat.role.title_th
    return (), None


def _grouped(pairs: list[tuple[Seat, Entry]], grouping: str) -> list[Group]:
    """Entries in roster order, under one heading per province or role when asked (first seen, first shown;
    the roster order puts central seats first, then region by region)."""
    groups: dict[tuple, Group] = {}
    order: list[tuple] = []
    for seat, entry in pairs:
        key, title = _group_key(seat, grouping)
        if key not in groups:
            groups[key] = Group(title=title)
            order.append(key)
        groups[key].entries.append(entry)
    if grouping == "role":
        order.sort()
    return [groups[key] for key in order]


def _other_attendees(text: str | None) -> list[Entry]:
    entries = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        name, _sep, position = line.partition(",")
        entries.append(Entry(name=name.strip(), position=position.strip()))
    return entries


def scheduled_note(meeting: Meeting, started_at: datetime | None) -> str:
    """ "(นัดประชุมไว้วัน… เวลา … น.)" when the meeting started on another day than scheduled, else ""."""
    if started_at is None or to_local(started_at).date() == to_local(meeting.start_at).date():
        return ""
    return f"(กำหนดนัดประชุมเดิม{be_date_long(meeting.start_at, 'th')} เวลา {thai_time(meeting.start_at)})"


# --- the sittings around it ---------------------------------------------------------------------------------


def previous_meeting(meeting: Meeting) -> Meeting | None:
    """The series' sitting before this one (not a cancelled one)."""
    return db.session.scalars(
        sa.select(Meeting)
        .where(
            Meeting.series_id == meeting.series_id,
            Meeting.id != meeting.id,
            Meeting.start_at < meeting.start_at,
            Meeting.status != "cancelled",
        )
        .order_by(Meeting.start_at.desc(), Meeting.id.desc())
    ).first()


def next_meeting(meeting: Meeting) -> Meeting | None:
    """The series' sitting after this one (not a cancelled one)."""
    return db.session.scalars(
        sa.select(Meeting)
        .where(
            Meeting.series_id == meeting.series_id,
            Meeting.id != meeting.id,
            Meeting.start_at > meeting.start_at,
            Meeting.status != "cancelled",
        )
        .order_by(Meeting.start_at, Meeting.id)
    ).first()


def is_certification_item(item: AgendaItem) -> bool:
    return item.section == 2 or CERTIFICATION_TITLE in (item.title or "")


def certified_minutes_at(item: AgendaItem) -> list[Meeting]:
    """The meetings whose minutes were certified at this agenda item."""
    return list(db.session.scalars(
        sa.select(Meeting).join(OfficialMinutes, OfficialMinutes.meeting_id == Meeting.id)
        .where(OfficialMinutes.certified_at_item_id == item.id)
    ))  # fmt: skip


# --- building it --------------------------------------------------------------------------------------------


def _items(meeting: Meeting) -> tuple[list[ItemSection], dict]:
    from meetcore.agenda.services import public_tree, walk

    tree = public_tree(meeting.id)
    texts = dict(db.session.execute(
        sa.select(MinutesBlock.agenda_item_id, MinutesBlock.text).where(MinutesBlock.meeting_id == meeting.id)
    ).all())  # fmt: skip
    decisions: dict[int, list[str]] = {}
    for item_id, text in db.session.execute(
        sa.select(Decision.agenda_item_id, Decision.text)
        .where(Decision.meeting_id == meeting.id)
        .order_by(Decision.taken_at, Decision.id)
    ):
        decisions.setdefault(item_id, []).append(text)
    actions = _actions_by_item(meeting)
    polls = _polls_by_item(meeting)
    previous = None
    sections, numbers = [], {}
    for node, depth in walk(tree):
        item = node["item"]
        number = node["number"]
        numbers[item.id] = (number, item.title)
        linked = None
        # The item that certifies: "รับรองรายงานการประชุม" itself, or its sub-item naming the minutes.
        if is_certification_item(item) and not any(
            is_certification_item(c["item"]) for c in node["children"]
        ):
            if previous is None:
                previous = previous_meeting(meeting) or False
            linked = previous or None
        sections.append(ItemSection(
            item_id=item.id, number=str(number), title=item.title, depth=depth, presenter=item.presenter,
            text=(texts.get(item.id) or "").strip(), decisions=decisions.get(item.id, []),
            previous_minutes=linked, polls=polls.get(item.id, []), actions=actions.get(item.id, []),
        ))  # fmt: skip
    return sections, numbers


def _polls_by_item(meeting: Meeting) -> dict[int, list[PollRecord]]:
    """The meeting's closed votes under their agenda items, in Thai (the record's language)."""
    from flask_babel import force_locale

    from meetcore.polls.state import closed_poll_results, result_words

    records: dict[int, list[PollRecord]] = {}
    with force_locale("th"):
        for entry in closed_poll_results(meeting.id):
            words = result_words(entry)
            records.setdefault(entry["item_id"], []).append(PollRecord(words["lines"], words["voters"]))
    return records


def _actions_by_item(meeting: Meeting) -> dict[int, list[ActionLine]]:
    """The meeting's action items that stand (not withdrawn), under their agenda items, in given order."""
    from meetcore.actions.models import ActionItem
    from meetcore.actions.owners import owners_of_actions

    actions = list(db.session.scalars(
        sa.select(ActionItem).options(selectinload(ActionItem.fan_out_role))
        .where(ActionItem.meeting_id == meeting.id, ActionItem.cancelled_at.is_(None))
        .order_by(ActionItem.created_at, ActionItem.id)
    ))  # fmt: skip
    owners = owners_of_actions(actions)
    lines: dict[int, list[ActionLine]] = {}
    for action in actions:
        lines.setdefault(action.agenda_item_id, []).append(ActionLine(
            title=action.title, description=action.description, owners=owners[action.id].text("th"),
            due_text=be_date(action.due_date, "th") if action.due_date else "",
        ))  # fmt: skip
    return lines


def build_document(meeting: Meeting, grouping: str | None = None) -> MinutesDocument:
    """The document from the meeting's data as it is now (callers have checked who may read it);
    ``grouping`` (roster, province, role) overrides the stored choice for this rendering."""
    from meetcore.attendance.statuses import meeting_times, seat_statuses

    row = minutes_row(meeting, create=False) or OfficialMinutes(
        meeting_id=meeting.id, state="draft", grouping="roster"
    )
    grouping = grouping if grouping in GROUPINGS else row.grouping
    statuses = seat_statuses(meeting, by=SYSTEM_REPORTS)  # for a reader let in by document_for
    present, absent, supporting = [], [], []
    # The chair presided: listed first under ผู้มาประชุม as ประธานที่ประชุม, from the seat bearing the chair's
    # name when there is one (whatever its connection shows: the chair is in the room), else from the meeting.
    chair_entry = None
    for entry in statuses:
        seat = entry.seat
        if meeting.chair_name and _same_name(seat.name, meeting.chair_name) and chair_entry is None:
            chair_entry = Entry(
                name=seat.name, position=meeting.chair_position or _position(seat), note=CHAIR_NOTE
            )
            continue
        if entry.status == "absent":
            absent.append(
                (seat, Entry(name=seat.name or "—", position=_position(seat), note=seat.absence_reason))
            )
        elif seat.role.code in SUPPORTING_ROLES:
            supporting.append((seat, _present_entry(entry)))
        else:
            present.append((seat, _present_entry(entry)))
    if chair_entry is None and meeting.chair_name:
        chair_entry = Entry(name=meeting.chair_name, position=meeting.chair_position or "", note=CHAIR_NOTE)
    present_groups = _grouped(present, grouping)
    if chair_entry is not None:
        present_groups.insert(0, Group(title=None, entries=[chair_entry]))
    supporting_groups = _grouped(supporting, grouping)
    others = _other_attendees(row.other_attendees)
    if others:
        supporting_groups.append(Group(title=None, entries=others))
    times = meeting_times(meeting)
    amendments = list(row.amendments)
    items, numbers = _items(meeting)
    series_name = meeting.series.name
    return MinutesDocument(
        meeting=meeting,
        row=row,
        name=series_name,
        subtitle=meeting.title if meeting.title and meeting.title != series_name else None,
        number_label=f"{meeting.number}/{meeting.year_be}",
        date_text=be_date_long(times.started_at or meeting.start_at, "th"),
        venue=meeting.venue or "",
        scheduled_text=scheduled_note(meeting, times.started_at),
        present=[group for group in present_groups if group.entries],
        absent=_grouped(absent, grouping),
        supporting=[group for group in supporting_groups if group.entries],
        started_text=thai_time(times.started_at or meeting.start_at),
        ended_text=thai_time(times.ended_at or meeting.end_at),
        items=items,
        amendments=[
            AmendmentLine(
                number=numbers.get(a.agenda_item_id, (None, None))[0],
                item_title=numbers.get(a.agenda_item_id, (None, None))[1],
                text=a.text,
                by=a.created_by_name,
                at=a.created_at,
            )
            for a in amendments
        ],
    )
