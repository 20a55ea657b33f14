"""Acceptance: iTIP replies as Outlook, Google Calendar and Apple Calendar write them update the right seat;
a reply with an unknown UID, from an attendee who was not invited, or with a malformed calendar changes
nothing and is logged."""

from __future__ import annotations

import base64
import logging
import smtplib
import uuid

import pytest
import sqlalchemy as sa

CRLF = "\r\n"


def _crlf(text: str) -> str:
    return CRLF.join(text.strip("\n").split("\n")) + CRLF


def _b64(text: str) -> str:
    return base64.encodebytes(text.encode("utf-8")).decode("ascii")


def _stamp(moment=None) -> str:
    """A DTSTAMP: when the client wrote the reply (now, unless the test says otherwise)."""
    from meetcore.database import utcnow

    return (moment or utcnow()).strftime("%Y%m%dT%H%M%SZ")


def _message_id(domain: str) -> str:
    return f"{uuid.uuid4().hex}@{domain}"


def outlook_reply(
    uid: str,
    address: str,
    partstat: str,
    *,
    comment: str | None = None,
    sequence: int = 0,
    method: str = "REPLY",
    delegate: tuple[str, str] | None = None,
    sender: str | None = None,
    also: tuple[tuple[str, str], ...] = (),
    dtstamp=None,
    message_id: str | None = None,
    headers: str = "",
) -> bytes:
    """Outlook / Exchange: MAILTO in capitals, Windows time zone, X-MICROSOFT-* and X-MS-OLK-* properties,
    the calendar only as the last alternative, base64. ``sender``: the From address (default the
    attendee's); ``also``: further (address, PARTSTAT) ATTENDEE lines."""
    attendee = f"ATTENDEE;PARTSTAT={partstat};CN=Provincial Official:MAILTO:{address.upper()}"
    if delegate:
        attendee = (
            f'ATTENDEE;PARTSTAT={partstat};DELEGATED-TO="MAILTO:{delegate[0].upper()}";'
            f"CN=Provincial Official:MAILTO:{address.upper()}\n"
            f'ATTENDEE;DELEGATED-FROM="MAILTO:{address.upper()}";CN={delegate[1]}:MAILTO:{delegate[0].upper()}'
        )
    for other, other_partstat in also:
        attendee += f"\nATTENDEE;PARTSTAT={other_partstat};CN=Other:MAILTO:{other.upper()}"
    calendar = _crlf(f"""
BEGIN:VCALENDAR
METHOD:{method}
PRODID:Microsoft Exchange Server 2010
VERSION:2.0
BEGIN:VTIMEZONE
TZID:SE Asia Standard Time
BEGIN:STANDARD
DTSTART:16010101T000000
TZOFFSETFROM:+0700
TZOFFSETTO:+0700
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T000000
TZOFFSETFROM:+0700
TZOFFSETTO:+0700
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
{attendee}
{"COMMENT;LANGUAGE=th-TH:" + comment if comment else "X-MS-OLK-SENDER:MAILTO:" + address.upper()}
SUMMARY;LANGUAGE=th-TH:{partstat.title()}: การประชุมทดสอบ
DTSTART;TZID=SE Asia Standard Time:20261206T100000
DTEND;TZID=SE Asia Standard Time:20261206T120000
UID:{uid}
CLASS:PUBLIC
PRIORITY:5
DTSTAMP:{_stamp(dtstamp)}
TRANSP:OPAQUE
STATUS:CONFIRMED
SEQUENCE:{sequence}
LOCATION;LANGUAGE=th-TH:ห้องประชุม 1
X-MICROSOFT-CDO-APPT-SEQUENCE:{sequence}
X-MICROSOFT-CDO-OWNERAPPTID:2117952836
X-MICROSOFT-CDO-BUSYSTATUS:BUSY
X-MICROSOFT-CDO-INTENDEDSTATUS:BUSY
X-MICROSOFT-CDO-ALLDAYEVENT:FALSE
X-MICROSOFT-CDO-IMPORTANCE:1
X-MICROSOFT-CDO-INSTTYPE:0
X-MICROSOFT-DONOTFORWARDMEETING:FALSE
X-MICROSOFT-DISALLOW-COUNTER:FALSE
X-MS-OLK-CONFTYPE:0
END:VEVENT
END:VCALENDAR
""")
    return _crlf(f"""
{headers}From: Provincial Official <{(sender or address).upper()}>
To: "Secretariat" <secretariat@example.org>
Subject: =?utf-8?B?{base64.b64encode(f"{partstat.title()}: การประชุมทดสอบ".encode()).decode()}?=
Thread-Topic: meeting
Date: Thu, 26 Nov 2026 10:15:00 +0000
Message-ID: <{message_id or _message_id("outlook.example.org")}>
Content-Language: th-TH
X-MS-Has-Attach:
X-MS-TNEF-Correlator:
Content-Type: multipart/alternative; boundary="_000_OL1PR01MB1234_"
MIME-Version: 1.0

--_000_OL1PR01MB1234_
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: base64

{_b64(comment or "")}
--_000_OL1PR01MB1234_
Content-Type: text/calendar; charset="utf-8"; method={method}
Content-Transfer-Encoding: base64

{_b64(calendar)}
--_000_OL1PR01MB1234_--
""").encode("ascii")


def google_reply(
    uid: str, address: str, partstat: str, *, comment: str | None = None, response_comment: str | None = None,
    sequence: int = 0,
) -> bytes:
    """Google Calendar: UTC times, X-NUM-GUESTS, inline text/calendar (7bit) plus an application/ics copy;
    the note typed in Gmail in the attendee's X-RESPONSE-COMMENT parameter."""
    note = f';X-RESPONSE-COMMENT="{response_comment}"' if response_comment else ""
    calendar = _crlf(f"""
BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
CALSCALE:GREGORIAN
METHOD:REPLY
BEGIN:VEVENT
DTSTART:20261206T030000Z
DTEND:20261206T050000Z
DTSTAMP:{_stamp()}
ORGANIZER;CN=Secretariat:mailto:secretariat@example.org
UID:{uid}
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT={partstat};CN={address}{note};X-NUM-GUESTS=0:mailto:{address}
{"COMMENT:" + comment if comment else "X-GOOGLE-CONFERENCE:https://meet.google.com/abc-defg-hij"}
CREATED:20261126T090000Z
LAST-MODIFIED:20261126T101500Z
LOCATION:ห้องประชุม 1
SEQUENCE:{sequence}
STATUS:CONFIRMED
SUMMARY:การประชุมทดสอบ
TRANSP:OPAQUE
END:VEVENT
END:VCALENDAR
""")
    return _crlf(f"""
MIME-Version: 1.0
From: {address}
To: secretariat@example.org
Date: Thu, 26 Nov 2026 10:15:00 +0000
Message-ID: <{_message_id("mail.gmail.com")}>
Subject: Accepted: meeting
Content-Type: multipart/mixed; boundary="000000000000abcd"

--000000000000abcd
Content-Type: multipart/alternative; boundary="000000000000abce"

--000000000000abce
Content-Type: text/plain; charset="UTF-8"; format=flowed; delsp=yes

{address} has replied.
--000000000000abce
Content-Type: text/html; charset="UTF-8"

<p>{address} has replied.</p>
--000000000000abce
Content-Type: text/calendar; charset="UTF-8"; method=REPLY
Content-Transfer-Encoding: base64

{_b64(calendar)}
--000000000000abce--
--000000000000abcd
Content-Type: application/ics; name="invite.ics"
Content-Disposition: attachment; filename="invite.ics"
Content-Transfer-Encoding: base64

{_b64(calendar)}
--000000000000abcd--
""").encode("ascii")


def apple_reply(uid: str, address: str, partstat: str) -> bytes:
    """Apple Calendar: EMAIL= parameter, X-APPLE-* properties, quoted CN, the calendar as an attachment
    (application/octet-stream, reply.ics), quoted-printable."""
    attendee = (
        f'ATTENDEE;CN="ตัวอย่าง ผู้รับเชิญ";CUTYPE=INDIVIDUAL;EMAIL="{address}";PARTSTAT={partstat};'
        f"ROLE=REQ-PARTICIPANT;X-CALENDARSERVER-DTSTAMP=20261126T101500Z:mailto:{address}"
    )
    calendar = _crlf(f"""
BEGIN:VCALENDAR
METHOD:REPLY
PRODID:-//Apple Inc.//macOS 14.1//EN
VERSION:2.0
CALSCALE:GREGORIAN
BEGIN:VEVENT
{attendee}
DTEND;TZID=Asia/Bangkok:20261206T120000
DTSTAMP:{_stamp()}
DTSTART;TZID=Asia/Bangkok:20261206T100000
LAST-MODIFIED:20261126T101500Z
ORGANIZER;CN="Secretariat";EMAIL="secretariat@example.org":mailto:secretariat@example.org
REQUEST-STATUS:2.0;Success
SEQUENCE:0
SUMMARY:การประชุมทดสอบ
UID:{uid}
X-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC
END:VEVENT
END:VCALENDAR
""")
    import quopri

    encoded = quopri.encodestring(calendar.replace(CRLF, "\n").encode("utf-8")).decode("ascii")
    return _crlf(f"""
From: =?utf-8?B?{base64.b64encode("ตัวอย่าง".encode()).decode()}?= <{address}>
Content-Type: multipart/mixed; boundary="Apple-Mail=_1234"
Mime-Version: 1.0 (Mac OS X Mail 16.0)
Subject: Invitation: meeting
Message-Id: <{_message_id("icloud.example.org")}>
Date: Thu, 26 Nov 2026 17:15:00 +0700
To: secretariat@example.org

--Apple-Mail=_1234
Content-Transfer-Encoding: 7bit
Content-Type: text/plain; charset=us-ascii

Accepted.
--Apple-Mail=_1234
Content-Disposition: attachment; filename=reply.ics
Content-Type: application/octet-stream; x-unix-mode=0644; name="reply.ics"
Content-Transfer-Encoding: quoted-printable

{encoded}
--Apple-Mail=_1234--
""").encode("ascii")


def _seat(meeting, index: int):
    from meetcore.extensions import db
    from meetcore.seats.models import Seat

    db.session.expire_all()
    return db.session.scalars(sa.select(Seat).where(Seat.meeting_id == meeting.id).order_by(Seat.id)).all()[
        index
    ]


def _uid(meeting) -> str:
    return f"meeting-{meeting.id}@meetcore.test"


def _replies():
    from meetcore.extensions import db
    from meetcore.invitations.models import CalendarReply

    return db.session.scalars(sa.select(CalendarReply).order_by(CalendarReply.id)).all()


def test_outlook_decline_with_reason_in_comment(invited):
    from meetcore.invitations.replies import ingest_reply

    result = ingest_reply(
        outlook_reply(_uid(invited), "vg0@example.org", "DECLINED", comment="ติดราชการต่างจังหวัด")
    )
    assert result.applied == 1
    seat = _seat(invited, 0)
    assert (seat.rsvp, seat.absence_reason) == ("declined", "ติดราชการต่างจังหวัด")
    assert _seat(invited, 1).rsvp == "pending"  # nobody else
    reply = _replies()[-1]
    assert (reply.outcome, reply.attendee, reply.partstat) == ("applied", "vg0@example.org", "DECLINED")


def test_outlook_accept(invited):
    from meetcore.invitations.replies import ingest_reply

    ingest_reply(outlook_reply(_uid(invited), "vg4@example.org", "ACCEPTED"))
    assert _seat(invited, 4).rsvp == "accepted"


def test_google_accept_counts_once_though_it_comes_twice(invited):
    from meetcore.eventlog.models import MeetingEvent
    from meetcore.extensions import db
    from meetcore.invitations.replies import ingest_reply

    result = ingest_reply(google_reply(_uid(invited), "vg1@example.org", "ACCEPTED"))
    assert [r.outcome for r in result.replies] == ["applied"]
    assert _seat(invited, 1).rsvp == "accepted"
    events = db.session.scalars(
        sa.select(MeetingEvent).where(
            MeetingEvent.meeting_id == invited.id, MeetingEvent.kind == "invitations.rsvp"
        )
    ).all()
    assert len(events) == 1 and events[0].payload["via"] == "calendar"


def test_google_decline_with_comment(invited):
    from meetcore.invitations.replies import ingest_reply

    ingest_reply(google_reply(_uid(invited), "vg2@example.org", "DECLINED", comment="Out of office"))
    seat = _seat(invited, 2)
    assert (seat.rsvp, seat.absence_reason) == ("declined", "Out of office")


def test_apple_accept(invited):
    from meetcore.invitations.replies import ingest_reply

    assert ingest_reply(apple_reply(_uid(invited), "vg3@example.org", "ACCEPTED")).applied == 1
    assert _seat(invited, 3).rsvp == "accepted"


def test_apple_tentative_is_noted_but_the_seat_waits(invited):
    from meetcore.extensions import db
    from meetcore.invitations.models import Invitation
    from meetcore.invitations.replies import ingest_reply

    ingest_reply(apple_reply(_uid(invited), "vg3@example.org", "TENTATIVE"))
    assert _seat(invited, 3).rsvp == "pending"
    invitation = db.session.scalars(sa.select(Invitation).where(Invitation.email == "vg3@example.org")).one()
    assert invitation.partstat == "TENTATIVE"


def test_delegation_to_someone_outside_the_roster_waits_for_the_secretariat(invited, smtp, as_secretariat):
    """A DELEGATED reply does not move the seat by itself: it is listed as a request, and one click of the
    secretariat hands the seat over through the console's own hand-over (CANCEL to the invitee, REQUEST with
    a join link to the delegate)."""
    from meetcore.invitations.replies import ingest_reply
    from tests.invitations.support import deliver, only_invite

    raw = outlook_reply(
        _uid(invited), "vg0@example.org", "DELEGATED", delegate=("deputy@example.org", "Deputy")
    )
    result = ingest_reply(raw)
    assert [r.outcome for r in result.replies] == ["delegation_request"]
    seat = _seat(invited, 0)
    assert (seat.rsvp, seat.substitute_email) == ("pending", None)
    deliver()
    assert smtp.received == []  # nobody told anything yet
    request_id = result.replies[0].id

    page = as_secretariat.get(f"/meetings/{invited.id}/invitations").get_data(as_text=True)
    assert "deputy@example.org" in page and f"/invitations/replies/{request_id}/approve" in page
    response = as_secretariat.post(f"/meetings/{invited.id}/invitations/replies/{request_id}/approve")
    assert response.status_code == 302
    seat = _seat(invited, 0)
    assert (seat.rsvp, seat.substitute_email, seat.substitute_name) == (
        "substitute",
        "deputy@example.org",
        "Deputy",
    )
    assert _replies()[-1].outcome == "delegation_approved"
    deliver()
    received = only_invite(smtp)
    assert (
        received["vg0@example.org"].method == "CANCEL" and received["deputy@example.org"].method == "REQUEST"
    )
    # A second click changes nothing more.
    as_secretariat.post(f"/meetings/{invited.id}/invitations/replies/{request_id}/approve")
    smtp.clear()
    deliver()
    assert smtp.received == []


def test_delegation_to_an_address_on_the_roster_hands_the_seat_over(invited, smtp):
    from meetcore.invitations.replies import ingest_reply
    from tests.invitations.support import deliver, only_invite

    raw = outlook_reply(_uid(invited), "vg0@example.org", "DELEGATED", delegate=("vg3@example.org", "Three"))
    assert ingest_reply(raw).applied == 1
    assert (_seat(invited, 0).rsvp, _seat(invited, 0).substitute_email) == ("substitute", "vg3@example.org")
    deliver()
    assert only_invite(smtp)["vg0@example.org"].method == "CANCEL"


@pytest.mark.parametrize(
    ("raw_reply", "outcome"),
    [
        (
            lambda m: outlook_reply("meeting-999999@meetcore.test", "vg0@example.org", "ACCEPTED"),
            "unknown_uid",
        ),
        (lambda m: google_reply("some-other-event@google.com", "vg0@example.org", "ACCEPTED"), "unknown_uid"),
        (lambda m: outlook_reply(_uid(m), "stranger@example.org", "ACCEPTED"), "not_invited"),
        (lambda m: apple_reply(_uid(m), "vg9@example.org", "DECLINED"), "not_invited"),
        (lambda m: b"From: a@example.org\r\nSubject: hi\r\n\r\nno calendar here\r\n", "malformed"),
        (
            lambda m: (
                b"From: a@example.org\r\nContent-Type: text/calendar; method=REPLY\r\n\r\n"
                b"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:vg0@exa"
            ),
            "malformed",
        ),
        (
            lambda m: (
                b"From: a@example.org\r\nContent-Type: text/calendar; method=REPLY\r\n\r\n"
                b"this is not a calendar at all\r\n"
            ),
            "malformed",
        ),
        (lambda m: outlook_reply(_uid(m), "vg0@example.org", "ACCEPTED", method="COUNTER"), "unsupported"),
    ],
)
def test_bad_replies_change_nothing_and_are_logged(invited, raw_reply, outcome, caplog):
    from meetcore.eventlog.models import MeetingEvent
    from meetcore.extensions import db
    from meetcore.invitations.models import Invitation
    from meetcore.invitations.replies import ingest_reply
    from meetcore.seats.models import Seat

    def state():
        db.session.expire_all()
        seats = db.session.execute(
            sa.select(Seat.id, Seat.rsvp, Seat.absence_reason, Seat.substitute_email).order_by(Seat.id)
        ).all()
        invitations = db.session.execute(
            sa.select(Invitation.id, Invitation.partstat, Invitation.status)
        ).all()
        last_seq = db.session.scalar(sa.select(sa.func.max(MeetingEvent.seq)))
        return seats, invitations, last_seq

    before = state()
    with caplog.at_level(logging.WARNING, logger="meetcore.invitations.replies"):
        result = ingest_reply(raw_reply(invited))
    assert [r.outcome for r in result.replies] == [outcome]
    assert state() == before
    assert any(outcome in record.getMessage() for record in caplog.records)
    assert _replies()[-1].outcome == outcome


def test_a_reply_to_an_older_sequence_is_ignored(invited, users):
    from meetcore.invitations.replies import ingest_reply
    from meetcore.meetings.services import update_meeting
    from tests.invitations.support import deliver

    update_meeting(invited, {"venue": "ห้องประชุม 3"}, by=users["secretariat"])  # SEQUENCE 1
    deliver()
    result = ingest_reply(outlook_reply(_uid(invited), "vg0@example.org", "ACCEPTED", sequence=0))
    assert [r.outcome for r in result.replies] == ["stale"]
    assert _seat(invited, 0).rsvp == "pending"
    assert ingest_reply(outlook_reply(_uid(invited), "vg0@example.org", "ACCEPTED", sequence=1)).applied == 1
    assert _seat(invited, 0).rsvp == "accepted"


def test_replies_through_the_lmtp_listener(invited, app_ctx):
    from meetcore.invitations.listener import ReplyListener
    from tests.mail.smtp_server import free_port

    port = free_port()
    listener = ReplyListener(app_ctx, "127.0.0.1", port, protocol="lmtp")
    listener.start()
    try:
        with smtplib.LMTP("127.0.0.1", port) as client:
            reply = outlook_reply(_uid(invited), "vg0@example.org", "DECLINED", comment="ลาป่วย")
            client.sendmail("vg0@example.org", ["secretariat@example.org"], reply)
            client.sendmail("x@example.org", ["secretariat@example.org"], b"Subject: junk\r\n\r\nhello\r\n")
    finally:
        listener.stop()
    seat = _seat(invited, 0)
    assert (seat.rsvp, seat.absence_reason) == ("declined", "ลาป่วย")
    assert [r.outcome for r in _replies()] == ["applied", "malformed"]


def test_replies_through_the_smtp_listener(invited, app_ctx):
    from meetcore.invitations.listener import ReplyListener
    from tests.mail.smtp_server import free_port

    port = free_port()
    listener = ReplyListener(app_ctx, "127.0.0.1", port, protocol="smtp")
    listener.start()
    try:
        with smtplib.SMTP("127.0.0.1", port) as client:
            client.sendmail("vg1@example.org", ["secretariat@example.org"],
                            google_reply(_uid(invited), "vg1@example.org", "ACCEPTED"))  # fmt: skip
    finally:
        listener.stop()
    assert _seat(invited, 1).rsvp == "accepted"


def test_ingest_command_reads_a_message_from_standard_input(invited, app_ctx):
    runner = app_ctx.test_cli_runner()
    result = runner.invoke(
        args=["mail", "ingest", "-"], input=apple_reply(_uid(invited), "vg2@example.org", "ACCEPTED")
    )
    assert result.exit_code == 0, result.output
    assert "applied" in result.output
    assert _seat(invited, 2).rsvp == "accepted"
