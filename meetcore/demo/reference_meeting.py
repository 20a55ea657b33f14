"""The reference meeting of DESIGN.md (ครั้งที่ 1/2560, 2 May 2017) and the series' next meeting, as demo data.

The people on the roster are plainly samples ("ตัวอย่าง ..."), with addresses at example.org only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from meetcore.actors import SYSTEM_DEMO
from meetcore.agenda.models import AgendaItem
from meetcore.demo.reference_titles import (
    ADMINISTRATION_GROUP,
    ADMINISTRATION_POLICIES,
    AGENDA_BASED_GROUP,
    AGENDA_BASED_POLICIES,
    AREA_BASED_GROUP,
    AREA_BASED_POLICIES,
    FIRST_FOR_INFORMATION,
    ONE_HOME_TITLE,
    SECOND_FOR_INFORMATION,
    SOCIAL_MAP_TITLE,
    STANDARD_SECTIONS,
)
from meetcore.directory.models import Agency, Person, Province, Role
from meetcore.directory.reference import (
    BANGKOK_CODE,
    CENTRAL_ROLES,
    DEFAULT_PROVINCIAL_ROLES,
    seed_reference_data,
)
from meetcore.extensions import db
from meetcore.meetings.models import Meeting, Series
from meetcore.seats.models import Seat

BANGKOK = ZoneInfo("Asia/Bangkok")
BE_OFFSET = 543
EMAIL_DOMAIN = "example.org"

SERIES_NAME = "การประชุมการขับเคลื่อนนโยบายด้านการพัฒนาสังคมระดับพื้นที่"
ORGANIZER = "สำนักงานปลัดกระทรวงการพัฒนาสังคมและความมั่นคงของมนุษย์"
VENUE = "ห้องประชุม 2 กระทรวงมหาดไทย"
FIRST_DAY = date(2017, 5, 2)  # a Tuesday
CHAIR_NAME = "ตัวอย่าง ปลัด พม."
CHAIR_POSITION = "ปลัดกระทรวงการพัฒนาสังคมและความมั่นคงของมนุษย์"



@dataclass(frozen=True)
class Item:
    """An agenda item to create, with its children."""

    title: str
    presenter: str | None = None
    description: str | None = None
    children: tuple[Item, ...] = ()


def _policies(titles: tuple[str, ...]) -> tuple[Item, ...]:
    return tuple(Item(title) for title in titles)


def _first_meeting_agenda() -> tuple[Item, ...]:
    minister_policy = "ตามนโยบายรัฐมนตรีว่าการกระทรวงการพัฒนาสังคมและความมั่นคงของมนุษย์ ปีงบประมาณ พ.ศ. 2560"
    return (
        Item(STANDARD_SECTIONS[0], presenter="ประธาน", children=(
            Item(AGENDA_BASED_GROUP, description=minister_policy + " 9 เรื่อง",
                 children=_policies(AGENDA_BASED_POLICIES)),
            Item(AREA_BASED_GROUP, description=minister_policy + " 5 เรื่อง",
                 children=_policies(AREA_BASED_POLICIES)),
            Item(ADMINISTRATION_GROUP, description=minister_policy + " 5 เรื่อง",
                 children=_policies(ADMINISTRATION_POLICIES)),
        )),
        Item(STANDARD_SECTIONS[1], description="ไม่มี เนื่องจากเป็นการประชุมครั้งแรก"),
        Item(STANDARD_SECTIONS[2], description="ไม่มี"),
        Item(STANDARD_SECTIONS[3], children=(
            Item(FIRST_FOR_INFORMATION, presenter="ผู้อำนวยการกองยุทธศาสตร์และแผนงาน"),
            Item(SECOND_FOR_INFORMATION, presenter="ผู้ตรวจราชการกระทรวง"),
        )),
        Item(STANDARD_SECTIONS[4], children=(
            Item(ONE_HOME_TITLE, presenter="ประธาน", description=(
                "มอบหมายให้สำนักงานพัฒนาสังคมและความมั่นคงของมนุษย์จังหวัด (พมจ.) เป็นเจ้าภาพหลัก"
                "ในการขับเคลื่อนงานด้านสังคมของจังหวัด ร่วมกับหน่วยงานในสังกัดกระทรวงในพื้นที่"
            )),
            Item(SOCIAL_MAP_TITLE, presenter="ประธาน", description=(
                "ขอให้ทุกจังหวัดจัดทำแผนที่ทางสังคม แสดงกลุ่มเป้าหมายและปัญหาสังคมในพื้นที่"
                " เพื่อใช้วางแผนการช่วยเหลือแบบบูรณาการ"
            )),
        )),
        Item(STANDARD_SECTIONS[5]),
    )  # fmt: skip


def _next_meeting_agenda() -> tuple[Item, ...]:
    return (
        Item(STANDARD_SECTIONS[0], presenter="ประธาน"),
        Item(STANDARD_SECTIONS[1], children=(Item("รับรองรายงานการประชุม ครั้งที่ 1/2560"),)),
        Item(STANDARD_SECTIONS[2]),  # the open actions of 1/2560 are carried here
        Item(STANDARD_SECTIONS[3]),
        Item(STANDARD_SECTIONS[4]),
        Item(STANDARD_SECTIONS[5]),
    )  # fmt: skip


def load_reference_meeting(today: date | None = None, record: bool = True, next_meeting: bool = True) -> dict:
    """Create the reference meeting 1/2560 and the series' next meeting on ``today``, unless they exist.

    With ``record=False`` the reference meeting is left without the demo's record of it (no attendance,
    minutes, decisions, actions or circulated minutes): for a caller that holds it and writes its own.
    With ``next_meeting=False`` the series' next meeting is not made: for a caller that schedules it itself,
    as the secretariat does, and starts it from 1/2560.
    Returns {"meeting_id", "next_meeting_id", "seats"}, where seats counts the first meeting's roster
    (next_meeting_id is None without the next meeting).
    """
    seed_reference_data()
    today = today or datetime.now(BANGKOK).date()
    series = _series()
    first = _meeting(series, 1, FIRST_DAY.year + BE_OFFSET)
    if first is None:
        first = _create_first_meeting(series)
    if record:
        _record(first)
    following = _next_meeting(series, first, today) if next_meeting else None
    db.session.flush()
    seats = db.session.scalar(sa.select(sa.func.count()).select_from(Seat).where(Seat.meeting_id == first.id))
    return {"meeting_id": first.id, "next_meeting_id": following.id if following else None, "seats": seats}


def _next_meeting(series: Series, first: Meeting, today: date) -> Meeting:
    following = _meeting(series, 2)
    if following is None:
        following = _create_next_meeting(series, first, today)
    elif following.status in ("draft", "scheduled") and following.start_at < _bangkok(today, 0):
        _move_to(following, today)
    _carry_open_actions(following)
    return following


def _series() -> Series:
    series = db.session.scalar(sa.select(Series).where(Series.name == SERIES_NAME))
    if series is None:
        series = Series(name=SERIES_NAME, organizer=ORGANIZER)
        db.session.add(series)
        db.session.flush()
    return series


def _meeting(series: Series, number: int, year_be: int | None = None) -> Meeting | None:
    # The next meeting is "number 2 of the series" whatever its year, so its year is left open.
    query = sa.select(Meeting).where(Meeting.series_id == series.id, Meeting.number == number)
    if year_be is not None:
        query = query.where(Meeting.year_be == year_be)
    return db.session.scalars(query.order_by(Meeting.year_be)).first()


def _bangkok(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BANGKOK).astimezone(UTC)


def _create_first_meeting(series: Series) -> Meeting:
    day = FIRST_DAY
    meeting = _add_meeting(series, 1, day.year + BE_OFFSET, _bangkok(day, 10), _bangkok(day, 12, 30), "ended")
    _add_agenda(meeting.id, _first_meeting_agenda())
    _add_reference_roster(meeting.id)
    return meeting


def _create_next_meeting(series: Series, first: Meeting, today: date) -> Meeting:
    meeting = _add_meeting(
        series, 2, today.year + BE_OFFSET, _bangkok(today, 10), _bangkok(today, 12), "scheduled"
    )
    _add_agenda(meeting.id, _next_meeting_agenda())
    _copy_roster(first.id, meeting.id)
    return meeting


def _record(first: Meeting) -> None:
    """The reference meeting was held: its attendance, minutes, decisions and actions (once)."""
    from meetcore.demo.reference_record import write_record

    if first.status == "ended":
        write_record(first)


def _carry_open_actions(following: Meeting) -> None:
    """The next meeting brings the reference meeting's open actions under เรื่องสืบเนื่อง, as a meeting
    scheduled in the console does, once (the console's button refreshes them later)."""
    from meetcore.actions.carryover import CARRY_EDITABLE, carried_actions, carry_open_actions_into

    if following.status in CARRY_EDITABLE and not carried_actions(following.id):
        carry_open_actions_into(following, by=SYSTEM_DEMO)


def _move_to(meeting: Meeting, today: date) -> None:
    """The demo loaded on an earlier day left its next meeting in the past, where no join link can be
    issued for it any more: it is held today instead (the number's year follows the day)."""
    meeting.start_at, meeting.end_at = _bangkok(today, 10), _bangkok(today, 12)
    meeting.year_be = today.year + BE_OFFSET


def _add_meeting(
    series: Series, number: int, year_be: int, start: datetime, end: datetime, status: str
) -> Meeting:
    meeting = Meeting(
        series_id=series.id,
        number=number,
        year_be=year_be,
        title=SERIES_NAME,
        start_at=start,
        end_at=end,
        venue=VENUE,
        chair_name=CHAIR_NAME,
        chair_position=CHAIR_POSITION,
        video_conference=True,
        status=status,
    )
    db.session.add(meeting)
    db.session.flush()
    return meeting


def _add_agenda(meeting_id: int, items: tuple[Item, ...], parent_id: int | None = None) -> None:
    """Create one level of items in one flush, then each item's children under it."""
    rows = [
        AgendaItem(
            meeting_id=meeting_id,
            parent_id=parent_id,
            position=position,
            section=position + 1 if parent_id is None else None,
            title=item.title,
            presenter=item.presenter,
            description=item.description,
        )
        for position, item in enumerate(items)
    ]
    db.session.add_all(rows)
    db.session.flush()
    for row, item in zip(rows, items, strict=True):
        if item.children:
            _add_agenda(meeting_id, item.children, row.id)


@dataclass(frozen=True)
class _Invitee:
    role_code: str
    province_code: str | None
    name: str
    position: str
    email: str


def _invitees() -> list[_Invitee]:
    """Every seat of the reference roster: 76 provinces (not Bangkok) × 7 roles, then the central seats."""
    provinces = db.session.execute(
        sa.select(Province.code, Province.name_th)
        .where(Province.code != BANGKOK_CODE)
        .order_by(Province.code)
    ).all()
    invitees = [
        _Invitee(
            role.code,
            code,
            f"ตัวอย่าง {role.short_th} {name_th}",
            role.title_th + name_th,  # Thai runs the province name on after "จังหวัด"
            f"{role.code.replace('_', '-')}.{code.lower()}@{EMAIL_DOMAIN}",
        )
        for code, name_th in provinces
        for role in DEFAULT_PROVINCIAL_ROLES
    ]
    invitees += [
        _Invitee(role.code, None, f"ตัวอย่าง {role.short_th}", role.title_th,
                 f"{role.code.replace('_', '-')}.central@{EMAIL_DOMAIN}")
        for role in CENTRAL_ROLES
    ]  # fmt: skip
    return invitees


def _add_reference_roster(meeting_id: int) -> None:
    invitees = _invitees()
    province_ids = dict(db.session.execute(sa.select(Province.code, Province.id)).all())
    role_ids = dict(db.session.execute(sa.select(Role.code, Role.id)).all())
    person_ids = _ensure_people(invitees, province_ids, role_ids)
    db.session.execute(
        sa.insert(Seat),
        [
            {
                "meeting_id": meeting_id,
                "province_id": province_ids.get(invitee.province_code),
                "role_id": role_ids[invitee.role_code],
                "person_id": person_ids[invitee.email],
                "name": invitee.name,
                "position": invitee.position,
                "email": invitee.email,
            }
            for invitee in invitees
        ],
    )


def _ensure_people(invitees: list[_Invitee], province_ids: dict, role_ids: dict) -> dict[str, int]:
    """Person ids by e-mail, inserting the sample people not there yet (a re-load reuses them)."""
    sample_people = sa.select(Person.email, Person.id).where(Person.email.like(f"%@{EMAIL_DOMAIN}"))
    known = dict(db.session.execute(sample_people).all())
    agency_ids = {
        (role_id, province_id): agency_id
        for agency_id, role_id, province_id in db.session.execute(
            sa.select(Agency.id, Agency.role_id, Agency.province_id)
        )
    }
    missing = [
        {
            "name": invitee.name,
            "position": invitee.position,
            "email": invitee.email,
            "agency_id": agency_ids.get(
                (role_ids[invitee.role_code], province_ids.get(invitee.province_code))
            ),
        }
        for invitee in invitees
        if invitee.email not in known
    ]
    if missing:
        db.session.execute(sa.insert(Person), missing)
        known = dict(db.session.execute(sample_people).all())
    return known


def _copy_roster(from_meeting_id: int, to_meeting_id: int) -> None:
    """The next sitting invites the same seats; answers and substitutes start afresh."""
    columns = (Seat.province_id, Seat.role_id, Seat.person_id, Seat.name, Seat.position, Seat.email)
    rows = db.session.execute(sa.select(*columns).where(Seat.meeting_id == from_meeting_id)).mappings()
    seats = [{**row, "meeting_id": to_meeting_id} for row in rows]
    if seats:
        db.session.execute(sa.insert(Seat), seats)
