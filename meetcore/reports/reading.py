"""Who may read the official minutes: the secretariat and the chair in the console, in any state; a
participant holding a seat of the meeting once they are circulated, through the reading link e-mailed with
them (signed, not stored) or the seat's personal join link."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from meetcore.auth.permissions import require_staff
from meetcore.errors import DomainError
from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from meetcore.reports.content import MinutesDocument, build_document, minutes_row
from meetcore.seats.models import Seat

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


# --- the document for its readers ---------------------------------------------------------------------------


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


# --- reading links ------------------------------------------------------------------------------------------


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
        from meetcore.seats.links import SeatLinkExpired, SeatLinkRevoked, SeatLinkUnknown, seat_for_link

        try:
            return seat_for_link(token)
        except (SeatLinkUnknown, SeatLinkRevoked, SeatLinkExpired):
            raise ReaderLinkInvalid() from None
    seat = db.session.get(Seat, data.get("seat")) if isinstance(data, dict) else None
    if seat is None or seat.meeting_id != data.get("meeting"):
        raise ReaderLinkInvalid()
    return seat
