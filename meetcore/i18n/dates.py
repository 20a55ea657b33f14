"""The one shared way to show dates: Buddhist Era, Asia/Bangkok, month names from CLDR via Babel."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel.dates import get_day_names, get_month_names
from flask import current_app, has_app_context
from flask_babel import get_locale

BE_OFFSET = 543


def _tz() -> ZoneInfo:
    name = current_app.config["BABEL_DEFAULT_TIMEZONE"] if has_app_context() else "Asia/Bangkok"
    return ZoneInfo(name)


def _locale(locale: str | None) -> str:
    if locale:
        return locale
    if has_app_context():
        return str(get_locale() or "th")
    return "th"


def to_local(value: datetime) -> datetime:
    """A stored (UTC) time as wall-clock time in the configured zone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(_tz())


def _as_date(value: date | datetime) -> date:
    return to_local(value).date() if isinstance(value, datetime) else value


def be_date(value: date | datetime | None, locale: str | None = None) -> str:
    """ "2 พ.ค. 2560" in Thai, "2 May 2560 BE" in English."""
    if value is None:
        return ""
    loc = _locale(locale)
    day = _as_date(value)
    month = get_month_names("abbreviated", locale=loc)[day.month]
    if loc.startswith("th"):
        return f"{day.day} {month} {day.year + BE_OFFSET}"
    return f"{day.day} {month} {day.year + BE_OFFSET} BE"


def be_date_long(value: date | datetime | None, locale: str | None = None) -> str:
    """ "วันอังคารที่ 2 พฤษภาคม พ.ศ. 2560" in Thai, "Tuesday 2 May 2560 BE" in English."""
    if value is None:
        return ""
    loc = _locale(locale)
    day = _as_date(value)
    weekday = get_day_names("wide", locale=loc)[day.weekday()]
    month = get_month_names("wide", locale=loc)[day.month]
    if loc.startswith("th"):
        if not weekday.startswith("วัน"):
            weekday = "วัน" + weekday
        return f"{weekday}ที่ {day.day} {month} พ.ศ. {day.year + BE_OFFSET}"
    return f"{weekday} {day.day} {month} {day.year + BE_OFFSET} BE"


def local_time(value: datetime | None) -> str:
    """ "10:00" in Asia/Bangkok."""
    if value is None:
        return ""
    return to_local(value).strftime("%H:%M")


def be_datetime(value: datetime | None, locale: str | None = None) -> str:
    """ "2 พ.ค. 2560 10:00" ("น." is added by templates where Thai prose wants it)."""
    if value is None:
        return ""
    return f"{be_date(value, locale)} {local_time(value)}"
