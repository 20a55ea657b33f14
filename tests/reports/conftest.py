"""The reference meeting after a scripted live session: started, some seats checked in (one by a substitute),
one seat declined with a reason, minutes text and a decision on every agenda item, ended."""

from __future__ import annotations

from dataclasses import dataclass, field

import pycrdt
import pytest
import sqlalchemy as sa

from meetcore.extensions import db
from tests.factories import seat_at

# Seats checked in by their own browser: (province code or None for central, role code).
PRESENT = [
    (None, "permanent_secretary"), (None, "strategy_director"), (None, "secretariat"),
    ("TH-50", "vice_governor"), ("TH-50", "social_development"), ("TH-50", "public_health"),
    ("TH-90", "labour"), ("TH-90", "red_cross"), ("TH-40", "social_development"), ("TH-30", "labour"),
]  # fmt: skip
SUBSTITUTE_SEAT = ("TH-90", "social_development")
SUBSTITUTE_NAME = "นางสาวตัวอย่าง ผู้แทนพมจ"
SUBSTITUTE_POSITION = "นักพัฒนาสังคมชำนาญการพิเศษ"
DECLINED_SEAT = ("TH-50", "labour")
DECLINE_REASON = "ติดภารกิจตรวจเยี่ยมสถานประกอบการในพื้นที่"
RECORDER = ("นายตัวอย่าง จดรายงาน", "นักวิเคราะห์นโยบายและแผนชำนาญการ")
REVIEWER = ("นางตัวอย่าง ตรวจรายงาน", "ผู้อำนวยการกองยุทธศาสตร์และแผนงาน")


def minutes_update(text: str) -> bytes:
    """What a minutes editor in a browser sends for typing ``text`` into an empty block (a Yjs update)."""
    doc = pycrdt.Doc()
    body = doc.get("minutes", type=pycrdt.Text)
    before = doc.get_state()
    body.insert(0, text)
    return doc.get_update(before)


@dataclass
class Held:
    meeting_id: int
    next_meeting_id: int
    present: list = field(default_factory=list)  # seats checked in themselves
    substitute: object = None
    declined: object = None
    decisions: dict = field(default_factory=dict)  # item id → decision text
    actions: dict = field(default_factory=dict)  # title → the ActionItem given from the first item
    texts: dict = field(default_factory=dict)  # item id → minutes text


def hold_meeting(reference_meeting: dict, users: dict, app) -> Held:
    from meetcore.agenda.models import AgendaItem
    from meetcore.attendance.services import Connection, check_in
    from meetcore.meetings.models import Meeting
    from meetcore.meetings.services import end_meeting, start_meeting
    from meetcore.minutes.services import apply_update, record_decision
    from meetcore.reports.services import update_details
    from meetcore.seats.services import update_seat

    secretariat = users["secretariat"]
    meeting = db.session.get(Meeting, reference_meeting["meeting_id"])
    # The demo loads 1/2560 as already held (here without its record: see bare_reference_meeting); it is
    # held again, live.
    meeting.status = "scheduled"
    db.session.commit()
    held = Held(meeting.id, reference_meeting["next_meeting_id"])
    held.declined = update_seat(
        seat_at(meeting.id, *DECLINED_SEAT),
        {"rsvp": "declined", "absence_reason": DECLINE_REASON},
        by=secretariat,
    )
    held.substitute = update_seat(seat_at(meeting.id, *SUBSTITUTE_SEAT),
                                  {"rsvp": "substitute", "substitute_name": SUBSTITUTE_NAME,
                                   "substitute_position": SUBSTITUTE_POSITION}, by=secretariat)  # fmt: skip
    start_meeting(meeting, by=secretariat)
    for number, key in enumerate(PRESENT):
        seat = seat_at(meeting.id, *key)
        check_in(
            seat,
            via=Connection(
                connection_id=f"test:{number}",
                remote_addr="192.0.2.10",
                attendee_name=seat.name,
                attendee_position=seat.position,
            ),
        )
        held.present.append(seat)
    check_in(
        held.substitute,
        via=Connection(
            connection_id="test:substitute",
            attendee_name=SUBSTITUTE_NAME,
            attendee_position=SUBSTITUTE_POSITION,
            as_substitute=True,
        ),
    )
    items = db.session.scalars(sa.select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
                               .order_by(AgendaItem.id)).all()  # fmt: skip
    interval = app.config.get("MEETCORE_MINUTES_TEXT_INTERVAL_MS")
    app.config["MEETCORE_MINUTES_TEXT_INTERVAL_MS"] = 0  # readers' text published at once: no timer thread
    try:
        for item in items:
            text = f"ที่ประชุมพิจารณา{item.title} ผู้รับผิดชอบรายงานความก้าวหน้าวาระที่ {item.id}"
            apply_update(meeting.id, item.id, minutes_update(text), by=secretariat)
            held.texts[item.id] = text
            decision = f"ที่ประชุมรับทราบและมอบหมายตามเสนอ (วาระรหัส {item.id})"
            record_decision(meeting.id, item.id, decision, by=secretariat)
            held.decisions[item.id] = decision
    finally:
        app.config["MEETCORE_MINUTES_TEXT_INTERVAL_MS"] = interval
    give_actions(held, items[-1], secretariat)
    meeting = db.session.get(Meeting, meeting.id)
    end_meeting(meeting, by=secretariat)
    update_details(meeting, {"recorder_name": RECORDER[0], "recorder_position": RECORDER[1],
                             "reviewer_name": REVIEWER[0], "reviewer_position": REVIEWER[1]},
                   by=secretariat)  # fmt: skip
    return held


# Action items (ข้อสั่งการ) given at the last agenda item: to two provinces' พมจ. by name, to every พมจ., and
# one withdrawn (it stays out of the minutes).
TWO_PROVINCES = ("TH-50", "TH-90")  # เชียงใหม่, สงขลา
ACTIONS = {
    "จัดทำแผนที่ทางสังคมระดับจังหวัด": {"role_code": "social_development", "provinces": list(TWO_PROVINCES)},
    "รายงานผลการดำเนินงานศูนย์ช่วยเหลือสังคม": {"role_code": "social_development", "provinces": "all"},
}
WITHDRAWN_ACTION = "ข้อสั่งการที่ถอนแล้วไม่อยู่ในรายงาน"


def give_actions(held: Held, item, secretariat) -> None:
    from datetime import timedelta

    from meetcore.actions.services import cancel_action, create_action
    from tests.clock import TODAY

    for days, (title, owner) in enumerate(ACTIONS.items(), start=30):
        held.actions[title] = create_action(held.meeting_id, {
            "item_id": item.id, "title": title, "description": None, "due_date": TODAY + timedelta(days=days),
            "owner": {"agency_id": None, **owner},
        }, by=secretariat)  # fmt: skip
    withdrawn = create_action(held.meeting_id, {
        "item_id": item.id, "title": WITHDRAWN_ACTION, "description": None, "due_date": None,
        "owner": {"agency_id": None, "role_code": "labour", "provinces": ["TH-30"]},
    }, by=secretariat)  # fmt: skip
    cancel_action(held.meeting_id, withdrawn.id, by=secretariat)


@pytest.fixture()
def held(bare_reference_meeting, users, app) -> Held:
    """The reference meeting held here, with this module's record only (not the demo's)."""
    return hold_meeting(bare_reference_meeting, users, app)
