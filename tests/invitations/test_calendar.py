"""The iCalendar builder: the per-recipient fast path writes what icalendar itself would write."""

from __future__ import annotations

import random
from datetime import timedelta

import vobject
from icalendar import Calendar

try:  # icalendar 7
    from icalendar.parser.string import _foldline
except ImportError:  # icalendar 6
    from icalendar.parser import foldline as _foldline

from meetcore.invitations import calendar as ical
from tests.clock import MEETING_DAY, NOW, in_bangkok


def _event(**changes) -> ical.EventData:
    values = dict(
        uid="meeting-7@meetcore.test",
        sequence=3,
        start=in_bangkok(MEETING_DAY, 10),
        end=in_bangkok(MEETING_DAY, 12),
        summary="การประชุมการขับเคลื่อนนโยบายด้านการพัฒนาสังคมระดับพื้นที่ ครั้งที่ 2/2569",
        dtstamp=NOW.replace(microsecond=0),
        organizer=ical.Party("secretariat@example.org", "สำนักงานปลัดกระทรวง; ฝ่ายเลขานุการ"),
        location="ห้องประชุม 2, กระทรวงมหาดไทย",
        description="ที่นั่งของท่าน: รองผู้ว่าราชการจังหวัดเชียงใหม่\nhttps://meetcore.test/join/abc\\def",
        url="https://meetcore.test/join/abc",
        attendees=[ical.Party("vg0@example.org", 'ตัวอย่าง "รองผู้ว่าฯ" เชียงใหม่', partstat="ACCEPTED")],
        alarms=[timedelta(minutes=30)],
    )
    values.update(changes)
    return ical.EventData(**values)


def test_fold_line_is_icalendars_folding():
    random.seed(5)
    alphabet = 'การประชุมการขับเคลื่อน abc,;:\\^"nN ลิงก์ https://x/ '
    for _ in range(3000):
        line = "DESCRIPTION:" + "".join(random.choice(alphabet) for _ in range(random.randint(0, 500)))
        assert ical.fold_line(line) == _foldline(line).encode("utf-8")


def test_shared_and_personal_parts_make_the_same_calendar():
    for method in ("REQUEST", "CANCEL"):
        data = _event()
        fast = ical.shared_message(method, data).personal(data)
        slow = ical.itip_message(method, data)
        fast_event = Calendar.from_ical(fast).walk("VEVENT")[0]
        slow_event = Calendar.from_ical(slow).walk("VEVENT")[0]
        assert sorted(fast_event.keys()) == sorted(slow_event.keys())
        for name in slow_event:
            assert fast_event[name].to_ical() == slow_event[name].to_ical(), name
        assert [c.name for c in fast_event.subcomponents] == [c.name for c in slow_event.subcomponents]
        parsed = vobject.readOne(fast.decode())
        assert parsed.method.value == method
        assert parsed.vevent.attendee.params["CN"] == ["ตัวอย่าง 'รองผู้ว่าฯ' เชียงใหม่"]
        assert parsed.vevent.description.value.endswith("join/abc\\def")
        # Properties come before the VALARM, as RFC 5545 orders a VEVENT.
        text = fast.decode()
        if method == "REQUEST":
            assert text.index("URL:") < text.index("BEGIN:VALARM")
        else:
            assert "BEGIN:VALARM" not in text and "STATUS:CANCELLED" in text
        assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))


def test_feed_has_no_method_and_one_event_per_meeting():
    body = ical.feed([_event(), _event(uid="meeting-8@meetcore.test", status="CANCELLED")], name="MeetCore")
    parsed = vobject.readOne(body.decode())
    assert "method" not in parsed.contents
    assert [e.uid.value for e in parsed.contents["vevent"]] == [
        "meeting-7@meetcore.test",
        "meeting-8@meetcore.test",
    ]
    assert parsed.contents["vevent"][1].status.value == "CANCELLED"
