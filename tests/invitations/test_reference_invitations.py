"""Acceptance: inviting the reference meeting's 542 seats through a real SMTP server yields one message per
seat, each an iMIP REQUEST that a second parser (vobject) reads with the right UID, SEQUENCE, METHOD,
attendee, join link and time."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time

import sqlalchemy as sa

from tests.invitations.support import deliver, only_invite, outbox_rows


def test_reference_meeting_invitations(next_reference_meeting, users, smtp):
    from meetcore.eventlog.models import MeetingEvent
    from meetcore.extensions import db
    from meetcore.invitations.sending import send_invitations
    from meetcore.seats.links import seat_for_link
    from meetcore.seats.models import Seat

    meeting = next_reference_meeting
    seats = db.session.scalars(sa.select(Seat).where(Seat.meeting_id == meeting.id)).all()
    assert len(seats) == 542
    by_email = {seat.email.lower(): seat for seat in seats}
    assert len(by_email) == 542

    result = send_invitations(meeting, by=users["secretariat"])
    assert result.sent == 542 and result.sequence == 0
    # Written with the change: one outbox row per seat, and the event in the meeting's log.
    assert len(outbox_rows(meeting)) == 542
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(
                MeetingEvent.meeting_id == meeting.id, MeetingEvent.kind == "invitations.sent"
            )
        )
        == 1
    )

    report = deliver()
    assert report.sent == 542 and report.failed == 0 and report.deferred == 0
    assert smtp.connections == 1  # one SMTP connection for the batch
    received = only_invite(smtp)
    assert set(received) == set(by_email)  # one message per seat, to that seat's invitee, and no other

    expected_start = datetime.combine(meeting.start_at.date(), time(3, 0), tzinfo=UTC)  # 10:00 Bangkok
    uid = f"meeting-{meeting.id}@meetcore.test"
    join_links = set()
    for address, invite in received.items():
        seat = by_email[address]
        assert invite.method == "REQUEST" and invite.mime_method == "REQUEST"
        assert invite.uid == uid
        assert invite.sequence == 0
        assert invite.start_utc() == expected_start
        assert b"\r\nDTSTART;TZID=Asia/Bangkok:" in invite.calendar_bytes
        assert invite.calendar.vtimezone.tzid.value == "Asia/Bangkok"
        assert invite.event.dtend.value.astimezone(UTC) == expected_start.replace(hour=5)
        assert invite.event.status.value == "CONFIRMED"
        assert invite.event.location.value == meeting.venue
        assert invite.event.dtstamp.value.tzinfo is not None
        organizer = invite.event.organizer
        assert organizer.value.lower() == "mailto:secretariat@example.org"
        attendee = invite.event.attendee
        assert attendee.value.lower() == f"mailto:{address}"
        assert attendee.params["CN"] == [seat.name]
        assert attendee.params["ROLE"] == ["REQ-PARTICIPANT"]
        assert attendee.params["PARTSTAT"] == ["NEEDS-ACTION"]
        assert attendee.params["RSVP"] == ["TRUE"]
        assert len(invite.event.contents["attendee"]) == 1  # a personal invitation names only its invitee
        assert invite.event.valarm.trigger.value.total_seconds() == -30 * 60
        # The personal join link: URL, DESCRIPTION, and both bodies carry it, and it opens this seat.
        url = invite.event.url.value
        token = re.fullmatch(r"http://meetcore\.test/join/([A-Za-z0-9_-]+)", url).group(1)
        assert seat_for_link(token).id == seat.id
        assert url in invite.event.description.value
        assert url in invite.text and url in invite.html
        join_links.add(url)
        # Reply links, and the agenda's outline.
        assert "http://meetcore.test/rsvp/" in invite.text
        assert "เรื่องที่ประธานแจ้งให้ที่ประชุมทราบ" in invite.text
        assert invite.message["Subject"].startswith("Invitation: ") or invite.message["Subject"].startswith(
            "เชิญประชุม"
        )
    assert len(join_links) == 542
    assert {row.status for row in outbox_rows(meeting)} == {"sent"}
