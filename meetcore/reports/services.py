"""The official minutes (รายงานการประชุม): the only writers of OfficialMinutes and MinutesAmendment rows, and
the builder of the document from the meeting's own data.

The document follows the national correspondence regulation's form: the heading (meeting name, ครั้งที่ N/พ.ศ.,
เมื่อ <Buddhist-Era date>, ณ <place>), ผู้มาประชุม (name, position, "แทน" whom for substitutes), ผู้ไม่มาประชุม
(with the reason given in the reply to the invitation), ผู้เข้าร่วมประชุม, เริ่มประชุมเวลา, the text of each
agenda item ending in its มติที่ประชุม, เลิกประชุมเวลา, and ผู้จดรายงานการประชุม / ผู้ตรวจรายงานการประชุม. The
document is Thai whatever the reader's language: it is the official record.

Life: draft → circulated (e-mailed to the attendees for comment, with a reading link) → certified at the
next meeting of the series (its agenda item "รับรองรายงานการประชุม"). Certifying moves the meeting to the
"certified" status, which the minutes and decisions services refuse to change; corrections after that are
amendments (who, when, what), shown with the document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from meetcore.agenda.models import AgendaItem
from meetcore.auth.permissions import STAFF, require_editor, require_staff
from meetcore.database import utcnow
from meetcore.errors import Conflict, DomainError, InvalidInput, NotFound
from meetcore.eventlog.services import lock_meeting, record_event
from meetcore.extensions import db
from meetcore.i18n.dates import be_date_long, to_local
from meetcore.meetings.models import Meeting
from meetcore.minutes.models import Decision, MinutesBlock
from meetcore.reports.models import GROUPINGS, MinutesAmendment, OfficialMinutes
from meetcore.reports.schemas import AmendmentInput, CertifyInput, CirculateInput, MinutesDetailsInput
from meetcore.schemas import load_input
from meetcore.seats.models import Seat

# The words the form uses (the regulation's; never "บันทึกการประชุม", "ผู้ที่ไม่เข้าประชุม", "เปิด/ปิดประชุม").
CERTIFICATION_TITLE = "รับรองรายงานการประชุม"
CENTRAL_GROUP = "ส่วนกลาง"
CHAIR_NOTE = "ประธานที่ประชุม"
# Roles whose present seats are listed as ผู้เข้าร่วมประชุม (they serve the meeting, they are not members).
SUPPORTING_ROLES = frozenset({"secretariat"})
# Reading links e-mailed with the circulated minutes stay valid this long.
READER_LINK_SECONDS = 365 * 24 * 3600
READER_SALT = "meetcore.official-minutes.reader"


class MinutesNotCirculated(DomainError):
    code = "minutes_not_circulated"
    status = 403
    default_message = _l("These minutes have not been circulated yet. The secretariat will send them to you.")


class ReaderLinkInvalid(DomainError):
    code = "reader_link_invalid"
    status = 404
    default_message = _l("This link to the minutes is not valid. Use the latest e-mail from the secretariat.")


# --- the row ------------------------------------------------------------------------------------------------


def minutes_row(meeting: Meeting, *, create: bool = True) -> OfficialMinutes | None:
    """The meeting's OfficialMinutes row (a draft one is added, not committed, when there is none)."""
    row = db.session.scalar(sa.select(OfficialMinutes).where(OfficialMinutes.meeting_id == meeting.id))
    if row is None and create:
        row = OfficialMinutes(meeting_id=meeting.id, state="draft", grouping="roster")
        db.session.add(row)
        db.session.flush()
    return row


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
    db.session.commit()
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


class _AttendanceReader:
    """Reads attendance on behalf of a document reader already let in by ``document_for``."""

    role = "chair"
    is_authenticated = True
    id = None


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
            previous_minutes=linked,
        ))  # fmt: skip
    return sections, numbers


def build_document(meeting: Meeting, grouping: str | None = None) -> MinutesDocument:
    """The document from the meeting's data as it is now (callers have checked who may read it);
    ``grouping`` (roster, province, role) overrides the stored choice for this rendering."""
    from meetcore.attendance.statuses import meeting_times, seat_statuses

    row = minutes_row(meeting, create=False) or OfficialMinutes(
        meeting_id=meeting.id, state="draft", grouping="roster"
    )
    grouping = grouping if grouping in GROUPINGS else row.grouping
    statuses = seat_statuses(meeting, by=_AttendanceReader())
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


# --- who may read -------------------------------------------------------------------------------------------


def _is_staff(by) -> bool:
    return bool(getattr(by, "is_authenticated", False)) and getattr(by, "role", None) in STAFF


def document_for(meeting: Meeting, *, by, grouping: str | None = None) -> MinutesDocument:
    """The document for the console: the secretariat and the chair, in any state."""
    require_staff(by)
    return build_document(meeting, grouping)


def document_for_seat(seat: Seat, grouping: str | None = None) -> MinutesDocument:
    """The document for a participant holding a seat of the meeting: only once circulated."""
    meeting = db.session.get(Meeting, seat.meeting_id)
    row = minutes_row(meeting, create=False)
    if row is None or row.state == "draft":
        raise MinutesNotCirculated()
    return build_document(meeting, grouping)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=READER_SALT)


def reader_token(seat: Seat) -> str:
    """A reading link's token for one seat of one meeting (signed, not stored)."""
    return _serializer().dumps({"seat": seat.id, "meeting": seat.meeting_id})


def seat_for_reader_token(token: str) -> Seat:
    """The seat a reading link was sent to; a seat's personal join link works too."""
    if not token or len(token) > 300:
        raise ReaderLinkInvalid()
    try:
        data = _serializer().loads(token, max_age=READER_LINK_SECONDS)
    except SignatureExpired:
        raise ReaderLinkInvalid() from None
    except BadSignature:
        from meetcore.seats.services import SeatLinkExpired, SeatLinkRevoked, SeatLinkUnknown, seat_for_link

        try:
            return seat_for_link(token)
        except (SeatLinkUnknown, SeatLinkRevoked, SeatLinkExpired):
            raise ReaderLinkInvalid() from None
    seat = db.session.get(Seat, data.get("seat")) if isinstance(data, dict) else None
    if seat is None or seat.meeting_id != data.get("meeting"):
        raise ReaderLinkInvalid()
    return seat


# --- circulation --------------------------------------------------------------------------------------------


@dataclass
class Circulation:
    minutes: OfficialMinutes
    sent: int


def _recipients(meeting: Meeting) -> list[tuple[Seat, str, str | None]]:
    """(seat, address, name) of everyone who attended, each address once."""
    from meetcore.attendance.statuses import seat_statuses

    seen, result = set(), []
    for entry in seat_statuses(meeting, by=_AttendanceReader()):
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
    db.session.commit()
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
    meeting.status = "certified"
    record_event(meeting, "minutes.certified",
                 {"status": "certified", "at": now.isoformat(), "meeting_id": later.id, "item_id": item.id},
                 by=by)  # fmt: skip
    db.session.commit()
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
    db.session.commit()
    return amendment


def certified_minutes_at(item: AgendaItem) -> list[Meeting]:
    """The meetings whose minutes were certified at this agenda item."""
    return list(db.session.scalars(
        sa.select(Meeting).join(OfficialMinutes, OfficialMinutes.meeting_id == Meeting.id)
        .where(OfficialMinutes.certified_at_item_id == item.id)
    ))  # fmt: skip
