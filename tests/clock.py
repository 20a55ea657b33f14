"""The suite's "now": every meeting, due date, reminder and expiry a test builds is placed relative to it.

It is the real clock, read once when the suite starts, so that a test passes on any day it runs. CI runs
one pass of `make test` with the whole clock moved (libfaketime, which reaches the servers and browsers the
tests start too): a date written into a test fails there on the day it is written, not months later. A
test that is about one particular calendar date (Buddhist-Era rendering, a year boundary, the fiscal year)
pins that date itself and says so beside it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import time_machine

from meetcore.database import utcnow

BANGKOK = ZoneInfo("Asia/Bangkok")
NOW = utcnow()
TODAY = NOW.astimezone(BANGKOK).date()
# The test meeting is a week ahead, as a secretariat schedules it: its links, invitations and reminders
# all lie in the future, whatever hour of the day the suite starts.
MEETING_DAY = TODAY + timedelta(days=7)

_THAI_MONTHS = "ม.ค. ก.พ. มี.ค. เม.ย. พ.ค. มิ.ย. ก.ค. ส.ค. ก.ย. ต.ค. พ.ย. ธ.ค.".split()
_THAI_MONTHS_WIDE = (
    "มกราคม กุมภาพันธ์ มีนาคม เมษายน พฤษภาคม มิถุนายน กรกฎาคม สิงหาคม กันยายน ตุลาคม พฤศจิกายน ธันวาคม".split()
)
_THAI_WEEKDAYS = "จันทร์ อังคาร พุธ พฤหัสบดี ศุกร์ เสาร์ อาทิตย์".split()


def today_in_bangkok() -> date:
    """The day it is now in Bangkok, read afresh: TODAY is the day the suite started, and a pass that runs
    across Bangkok's midnight (17:00 UTC) has moved on to the next one by its later tests."""
    return utcnow().astimezone(BANGKOK).date()


@contextmanager
def on_the_suites_day(hour: int = 12) -> Iterator[None]:
    """This process's clock set to TODAY at ``hour`` in Bangkok, and running on from there: for a test that
    compares what the app reads from its own clock ("the day it sat") with TODAY, in this process."""
    with time_machine.travel(in_bangkok(TODAY, hour), tick=True):
        yield


def days_after_meeting(days: int) -> date:
    """The meeting day moved by ``days`` (negative: before it)."""
    return MEETING_DAY + timedelta(days=days)


def in_bangkok(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """That wall-clock time in Bangkok, as the aware UTC time the database returns."""
    return datetime.combine(day, time(hour, minute), BANGKOK).astimezone(UTC)


def local_input(day: date, hour: int = 10, minute: int = 0) -> str:
    """The form's and API's local date-time string, e.g. "2026-12-01T10:00"."""
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}"


def be_input(day: date) -> str:
    """A date as Thai staff type it into the forms: day/month/Buddhist-Era year, e.g. "12/01/2570"."""
    return f"{day.day:02d}/{day.month:02d}/{day.year + 543}"


def be_year(day: date) -> int:
    return day.year + 543


def thai_date(day: date) -> str:
    """The short Thai Buddhist-Era date ("8 ธ.ค. 2569"), written out here as the tests' own oracle."""
    return f"{day.day} {_THAI_MONTHS[day.month - 1]} {be_year(day)}"


def thai_date_long(day: date) -> str:
    """The long form ("วันอังคารที่ 8 ธันวาคม พ.ศ. 2569"), the tests' own oracle too."""
    weekday, month = _THAI_WEEKDAYS[day.weekday()], _THAI_MONTHS_WIDE[day.month - 1]
    return f"วัน{weekday}ที่ {day.day} {month} พ.ศ. {be_year(day)}"
