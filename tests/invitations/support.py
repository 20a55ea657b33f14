"""Helpers of the invitation tests: seats, reading what the SMTP server received with a second, independent
iCalendar parser (vobject), and the outbox."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from datetime import UTC

import sqlalchemy as sa
import vobject

from meetcore.extensions import db


def add_seats(meeting, count: int, *, role_code: str = "vice_governor", prefix: str = "vg") -> list:
    """``count`` provincial seats (the first provinces by code but Bangkok, as in the reference roster) with
    sample invitees, written directly."""
    from meetcore.directory.models import Province, Role
    from meetcore.directory.reference import BANGKOK_CODE
    from meetcore.seats.models import Seat

    role = db.session.scalar(sa.select(Role).where(Role.code == role_code))
    provinces = db.session.scalars(
        sa.select(Province).where(Province.code != BANGKOK_CODE).order_by(Province.code).limit(count)
    ).all()
    seats = [
        Seat(
            meeting_id=meeting.id,
            province_id=province.id,
            role_id=role.id,
            name=f"ตัวอย่าง ผู้รับเชิญ {index}",
            position=f"{role.title_th}{province.name_th}",
            email=f"{prefix}{index}@example.org",
        )
        for index, province in enumerate(provinces)
    ]
    db.session.add_all(seats)
    db.session.commit()
    return seats


@dataclass
class Invite:
    """One received invitation e-mail, taken apart."""

    recipient: str
    message: email.message.EmailMessage
    mime_method: str
    calendar_bytes: bytes
    attachment_bytes: bytes
    calendar: vobject.base.Component
    text: str
    html: str

    @property
    def event(self):
        return self.calendar.vevent

    @property
    def method(self) -> str:
        return self.calendar.method.value

    @property
    def sequence(self) -> int:
        return int(self.event.sequence.value)

    @property
    def uid(self) -> str:
        return self.event.uid.value

    @property
    def attendees(self) -> list[str]:
        return [a.value.lower().removeprefix("mailto:") for a in self.event.contents.get("attendee", [])]

    def start_utc(self):
        return self.event.dtstart.value.astimezone(UTC)


def take_apart(received) -> Invite:
    """Check the iMIP MIME structure and read the calendar with vobject (not the library that wrote it)."""
    message = email.message_from_bytes(received.data, policy=email.policy.default)
    assert message.get_content_type() == "multipart/mixed"
    parts = message.get_payload()
    assert len(parts) == 2
    alternative, attachment = parts
    assert alternative.get_content_type() == "multipart/alternative"
    plain, html, calendar_part = alternative.get_payload()
    assert plain.get_content_type() == "text/plain" and plain.get_content_charset() == "utf-8"
    assert html.get_content_type() == "text/html" and html.get_content_charset() == "utf-8"
    assert calendar_part.get_content_type() == "text/calendar"
    assert calendar_part.get_param("charset") == "UTF-8"
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    calendar_bytes = calendar_part.get_payload(decode=True)
    attachment_bytes = attachment.get_payload(decode=True)
    assert calendar_bytes == attachment_bytes  # the same bytes, inline and attached
    parsed = vobject.readOne(calendar_bytes.decode("utf-8"))
    mime_method = calendar_part.get_param("method")
    assert mime_method == parsed.method.value  # the MIME method equals the METHOD inside
    return Invite(
        recipient=received.recipient.lower(),
        message=message,
        mime_method=mime_method,
        calendar_bytes=calendar_bytes,
        attachment_bytes=attachment_bytes,
        calendar=parsed,
        text=plain.get_content(),
        html=html.get_content(),
    )


def invites(recorder) -> dict[str, list[Invite]]:
    """Every received message by recipient, taken apart."""
    found: dict[str, list[Invite]] = {}
    for received in recorder.received:
        found.setdefault(received.recipient.lower(), []).append(take_apart(received))
    return found


def only_invite(recorder) -> dict[str, Invite]:
    """Recipient → their one message; fails if anyone received more than one."""
    found = invites(recorder)
    assert all(len(items) == 1 for items in found.values()), {
        k: len(v) for k, v in found.items() if len(v) > 1
    }
    return {recipient: items[0] for recipient, items in found.items()}


def outbox_rows(meeting=None) -> list:
    from meetcore.mail.models import OutboxMessage

    db.session.expire_all()
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if meeting is not None:
        query = query.where(OutboxMessage.meeting_id == meeting.id)
    return list(db.session.scalars(query))


def deliver(**kwargs):
    from meetcore.mail.sender import deliver_outbox

    report = deliver_outbox(**kwargs)
    db.session.expire_all()
    return report
