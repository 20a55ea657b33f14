"""The one shared way to show dates: Buddhist Era, Asia/Bangkok, month names from CLDR via Babel."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
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


# --- typed dates: day/month/Buddhist-Era year, the way Thai staff write them -------------------------------

# "12/01/2570", "12-1-2570", "12.01.2570"; also what the API and older pages send, ISO "2027-01-12".
_BE_TYPED = re.compile(r"^\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})\s*$")
_ISO_TYPED = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")
_TIME_TYPED = re.compile(r"^\s*(\d{1,2})\s*[:.]\s*(\d{2})\s*(?:น\.?)?\s*$")
# A four-digit year below this, typed as day/month/year, is a Christian-Era year typed by mistake.
BE_YEAR_MIN = 2400


class TypedDateError(ValueError):
    """A typed date or time that cannot be read; ``message`` is translated (lazily) for the reader."""

    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


def parse_typed_date(text: str) -> date:
    """The one reader of typed dates: "12/01/2570" (day/month/BE year) is 12 January 2027; ISO dates
    ("2027-01-12", what the API sends) are read as they are. Raises TypedDateError."""
    from flask_babel import lazy_gettext as _l

    text = (text or "").strip()
    iso = _ISO_TYPED.match(text)
    if iso:
        year, month, day = (int(part) for part in iso.groups())
    else:
        typed = _BE_TYPED.match(text)
        if not typed:
            raise TypedDateError(_l("Type the date as day/month/Buddhist-Era year, e.g. 12/01/2570."))
        day, month, be_year = (int(part) for part in typed.groups())
        if be_year < BE_YEAR_MIN:
            raise TypedDateError(_l(
                "%(year)s looks like a Christian-Era year: type the Buddhist-Era year (%(be)s).",
                year=be_year, be=be_year + BE_OFFSET,
            ))  # fmt: skip
        year = be_year - BE_OFFSET
    try:
        return date(year, month, day)
    except ValueError:
        raise TypedDateError(_l("There is no such day: %(text)s.", text=text)) from None


def parse_typed_time(text: str) -> time:
    """ "09:30", "9.30", "14.00 น." on the 24-hour clock. Raises TypedDateError."""
    from flask_babel import lazy_gettext as _l

    typed = _TIME_TYPED.match(text or "")
    if typed:
        hour, minute = (int(part) for part in typed.groups())
        if hour < 24 and minute < 60:
            return time(hour, minute)
    raise TypedDateError(_l("Type the time on the 24-hour clock, e.g. 09:30 or 14:00."))


def typed_date(value: date | datetime | None) -> str:
    """A date as the date fields show it: "12/01/2570"."""
    if value is None:
        return ""
    day = _as_date(value)
    return f"{day.day:02d}/{day.month:02d}/{day.year + BE_OFFSET}"


def local_today() -> date:
    """Today in the configured zone (Asia/Bangkok): what "today" means to the people typing dates."""
    return datetime.now(UTC).astimezone(_tz()).date()


def typed_local_datetime(day_text: str, time_text: str) -> str:
    """A typed date and 24-hour time as the ISO wall-clock time the services read ("2027-01-12T09:30");
    an empty time is the end of the day. Raises TypedDateError."""
    day = parse_typed_date(day_text)
    moment = parse_typed_time(time_text) if (time_text or "").strip() else time(23, 59)
    return f"{day.isoformat()}T{moment:%H:%M}"
