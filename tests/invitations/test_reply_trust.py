"""Acceptance (issue 14, item 1): a calendar reply speaks only for its sender. Real reply messages, read
through the real LMTP listener or `meetcore mail ingest`; what the invitees would then receive is read from a
real SMTP server."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from meetcore.database import utcnow
from tests.invitations.test_replies import _replies, _seat, _uid, google_reply, outlook_reply


def _state():
    """Everything a reply could change: the seats, the invitations, the event log, the outbox."""
    from meetcore.eventlog.models import MeetingEvent
    from meetcore.extensions import db
    from meetcore.invitations.models import Invitation
    from meetcore.mail.models import OutboxMessage
    from meetcore.seats.models import Seat

    db.session.expire_all()
    return (
        db.session.execute(
            sa.select(Seat.id, Seat.rsvp, Seat.absence_reason, Seat.substitute_email).order_by(Seat.id)
        ).all(),
        db.session.execute(
            sa.select(Invitation.id, Invitation.partstat, Invitation.status, Invitation.email).order_by(
                Invitation.id
            )
        ).all(),
        db.session.scalar(sa.select(sa.func.max(MeetingEvent.seq))),
        db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)),
    )


def _through_lmtp(app, *messages: tuple[str, bytes]) -> None:
    from meetcore.invitations.listener import ReplyListener
    from tests.mail.smtp_server import free_port

    port = free_port()
    listener = ReplyListener(app, "127.0.0.1", port, protocol="lmtp")
    listener.start()
    try:
        with smtplib.LMTP("127.0.0.1", port) as client:
            for envelope_from, raw in messages:
                client.sendmail(envelope_from, ["secretariat@example.org"], raw)
    finally:
        listener.stop()


def test_delegation_on_behalf_of_another_invitee_changes_nothing_and_is_listed_refused(
    invited, app_ctx, smtp, as_secretariat
):
    """vg1 sends a reply in which vg0 delegates their seat to an outside address: refused, nobody mailed."""
    from tests.invitations.support import deliver

    attack = outlook_reply(
        _uid(invited), "vg0@example.org", "DELEGATED",
        delegate=("attacker@evil.example", "Attacker"), sender="vg1@example.org",
    )  # fmt: skip
    before = _state()
    _through_lmtp(app_ctx, ("vg1@example.org", attack))
    assert _state() == before
    deliver()
    assert smtp.received == []  # no CANCEL to the victim, no join link to the attacker
    [reply] = _replies()
    assert (reply.outcome, reply.attendee, reply.sender, reply.meeting_id) == (
        "refused", "vg0@example.org", "vg1@example.org", invited.id,
    )  # fmt: skip
    assert "sent by vg1@example.org" in reply.detail
    page = as_secretariat.get(f"/meetings/{invited.id}/invitations").get_data(as_text=True)
    assert "reply-refused" in page and "ส่งมาจาก vg1@example.org" in page  # the reason, in Thai


def test_a_reply_with_two_attendees_changes_nothing_and_is_listed_refused(invited, app_ctx):
    raw = outlook_reply(_uid(invited), "vg1@example.org", "ACCEPTED", also=(("vg0@example.org", "DECLINED"),))
    before = _state()
    _through_lmtp(app_ctx, ("vg1@example.org", raw))
    assert _state() == before
    replies = _replies()
    assert {r.outcome for r in replies} == {"refused"} and len(replies) == 2
    assert all("exactly one attendee" in r.detail and r.meeting_id == invited.id for r in replies)


def test_the_sender_header_may_speak_for_the_attendee(invited):
    """Outlook's "on behalf of": From is the invitee's office mailbox, Sender the invitee."""
    from meetcore.invitations.replies import ingest_reply

    raw = outlook_reply(
        _uid(invited), "vg2@example.org", "ACCEPTED", sender="office@example.org",
        headers="Sender: Invitee <vg2@example.org>\n",
    )  # fmt: skip
    assert ingest_reply(raw).applied == 1
    assert _seat(invited, 2).rsvp == "accepted"


def test_a_sequence_never_sent_to_the_attendee_changes_nothing(invited, users):
    from meetcore.invitations.replies import ingest_reply
    from meetcore.meetings.services import update_meeting

    before = _state()
    result = ingest_reply(outlook_reply(_uid(invited), "vg0@example.org", "DECLINED", sequence=7))
    assert [(r.outcome, r.detail) for r in result.replies] == [
        ("refused", "SEQUENCE 7 was never sent to vg0@example.org.")
    ]
    # SEQUENCE 1 exists once the meeting is moved, but until it has gone out nobody can have answered it.
    update_meeting(invited, {"venue": "ห้องประชุม 3"}, by=users["secretariat"])
    before = _state()
    result = ingest_reply(outlook_reply(_uid(invited), "vg0@example.org", "DECLINED", sequence=1))
    assert [r.outcome for r in result.replies] == ["refused"]
    assert _state() == before


def test_an_older_dtstamp_does_not_overwrite_the_answer_recorded(invited):
    from meetcore.invitations.replies import ingest_reply

    now = utcnow()
    assert ingest_reply(outlook_reply(_uid(invited), "vg0@example.org", "ACCEPTED", dtstamp=now)).applied == 1
    # The decline was written an hour earlier (a client that was offline) and arrives late.
    late = outlook_reply(_uid(invited), "vg0@example.org", "DECLINED", comment="ติดราชการ",
                         dtstamp=now - timedelta(hours=1))  # fmt: skip
    before = _state()
    result = ingest_reply(late)
    assert [r.outcome for r in result.replies] == ["stale"]
    assert "before the answer recorded" in result.replies[0].detail
    assert _state() == before and _seat(invited, 0).rsvp == "accepted"


def test_a_calendar_reply_older_than_the_reply_page_answer_does_not_overwrite_it(invited, client):
    from meetcore.extensions import db
    from meetcore.invitations.answers import answer_rsvp
    from meetcore.invitations.models import Invitation
    from meetcore.invitations.replies import ingest_reply
    from meetcore.invitations.tokens import make_token

    written = utcnow()  # the invitee answers in Outlook, offline; then on the reply page
    invitation = db.session.scalars(sa.select(Invitation).where(Invitation.email == "vg1@example.org")).one()
    answer_rsvp(make_token("rsvp", invitation.id, invitation.secret), {"answer": "accept"})
    result = ingest_reply(outlook_reply(_uid(invited), "vg1@example.org", "DECLINED", comment="x",
                                       dtstamp=written - timedelta(seconds=30)))  # fmt: skip
    assert [r.outcome for r in result.replies] == ["stale"]
    assert _seat(invited, 1).rsvp == "accepted"


def test_the_same_message_twice_is_applied_once(invited, app_ctx):
    from meetcore.eventlog.models import MeetingEvent
    from meetcore.extensions import db

    stamp = utcnow()
    accept = outlook_reply(_uid(invited), "vg0@example.org", "ACCEPTED", dtstamp=stamp)
    decline = outlook_reply(_uid(invited), "vg0@example.org", "DECLINED", comment="ลาป่วย", dtstamp=stamp)
    # The accept, then a decline written the same second, then the accept again (a relay delivered it twice).
    _through_lmtp(app_ctx, *[("vg0@example.org", raw) for raw in (accept, decline, accept)])
    assert [r.outcome for r in _replies()] == ["applied", "applied", "duplicate"]
    seat = _seat(invited, 0)
    assert (seat.rsvp, seat.absence_reason) == ("declined", "ลาป่วย")
    events = db.session.scalars(sa.select(MeetingEvent).where(MeetingEvent.kind == "invitations.rsvp")).all()
    assert len(events) == 2


AUTHSERV = "mx.ministry.example"


@pytest.mark.parametrize(
    ("results", "outcome"),
    [
        (f"Authentication-Results: {AUTHSERV}; dmarc=pass header.from=example.org\n", "applied"),
        (f"Authentication-Results: {AUTHSERV}; dkim=pass header.d=example.org; spf=fail\n", "applied"),
        (f"Authentication-Results: {AUTHSERV}; dmarc=fail header.from=example.org\n", "refused"),
        (f"Authentication-Results: {AUTHSERV}; dkim=pass header.d=evil.example\n", "refused"),
        ("", "refused"),
        # Written by the attacker below our server's own header: only the topmost of a trusted server counts.
        (
            f"Authentication-Results: {AUTHSERV}; dmarc=fail header.from=example.org\n"
            f"Authentication-Results: {AUTHSERV}; dmarc=pass header.from=example.org\n",
            "refused",
        ),
        ("Authentication-Results: mx.evil.example; dmarc=pass header.from=example.org\n", "refused"),
    ],
)
def test_trusted_authentication_results_must_vouch_for_the_sender(invited, mail_config, results, outcome):
    from meetcore.invitations.replies import ingest_reply

    saved = mail_config.get("MEETCORE_MAIL_TRUST_AUTH_RESULTS")
    mail_config["MEETCORE_MAIL_TRUST_AUTH_RESULTS"] = f"{AUTHSERV}, mx2.ministry.example"
    try:
        result = ingest_reply(outlook_reply(_uid(invited), "vg3@example.org", "ACCEPTED", headers=results))
    finally:
        mail_config["MEETCORE_MAIL_TRUST_AUTH_RESULTS"] = saved
    assert [r.outcome for r in result.replies] == [outcome]
    assert _seat(invited, 3).rsvp == ("accepted" if outcome == "applied" else "pending")


def _two_megabytes(invited) -> bytes:
    raw = google_reply(_uid(invited), "vg4@example.org", "ACCEPTED")
    padding = b"a" * 76 + b"\r\n"
    return raw + padding * (2 * 1024 * 1024 // len(padding))  # a genuine reply, 2 MB with its MIME epilogue


def test_a_two_megabyte_reply_is_refused_by_the_lmtp_listener(invited, app_ctx):
    from meetcore.invitations.listener import ReplyListener
    from tests.mail.smtp_server import free_port

    before = _state()
    port = free_port()
    listener = ReplyListener(app_ctx, "127.0.0.1", port, protocol="lmtp")
    listener.start()
    try:
        with smtplib.LMTP("127.0.0.1", port) as client:
            # A client that declares the size (ESMTP SIZE) is refused before it sends the data ...
            with pytest.raises(smtplib.SMTPSenderRefused) as refused:
                client.sendmail("vg4@example.org", ["secretariat@example.org"], _two_megabytes(invited))
            assert refused.value.smtp_code == 552
            # ... and one that does not, once the data passes the limit.
            client.rset()
            assert client.mail("vg4@example.org")[0] == 250
            assert client.rcpt("secretariat@example.org")[0] == 250
            code, _text = client.data(_two_megabytes(invited))
            assert code == 552
    finally:
        listener.stop()
    assert _state() == before and _replies() == []


def test_a_two_megabyte_reply_is_refused_by_mail_ingest(invited, app_ctx):
    before = _state()
    result = app_ctx.test_cli_runner().invoke(args=["mail", "ingest", "-"], input=_two_megabytes(invited))
    assert result.exit_code == 1
    assert _state() == before
    [reply] = _replies()
    assert reply.outcome == "refused" and "MEETCORE_MAIL_REPLY_MAX_KB" in reply.detail
    assert "เกินขีดจำกัด MEETCORE_MAIL_REPLY_MAX_KB" in result.output  # told in the installation's language
    assert reply.sender == "vg4@example.org"


# --- issue 14, item 2: the reasons typed in the calendar are kept ---------------------------------------


def test_gmails_response_comment_is_the_decline_reason(invited, app_ctx):
    """Gmail puts the note typed under "Decline" in the attendee's X-RESPONSE-COMMENT parameter."""
    raw = google_reply(_uid(invited), "vg2@example.org", "DECLINED", response_comment="ติดประชุม ครม.")
    _through_lmtp(app_ctx, ("vg2@example.org", raw))
    seat = _seat(invited, 2)
    assert (seat.rsvp, seat.absence_reason) == ("declined", "ติดประชุม ครม.")
    assert _replies()[-1].comment == "ติดประชุม ครม."


def test_outlook_on_the_webs_tentative_keeps_its_comment(invited, app_ctx, as_secretariat):
    from meetcore.extensions import db
    from meetcore.invitations.models import Invitation

    raw = outlook_reply(_uid(invited), "vg4@example.org", "TENTATIVE", comment="อาจติดภารกิจช่วงเช้า")
    _through_lmtp(app_ctx, ("vg4@example.org", raw))
    invitation = db.session.scalars(sa.select(Invitation).where(Invitation.email == "vg4@example.org")).one()
    assert (invitation.partstat, invitation.comment) == ("TENTATIVE", "อาจติดภารกิจช่วงเช้า")
    assert _seat(invited, 4).rsvp == "pending"
    page = as_secretariat.get(f"/meetings/{invited.id}/invitations").get_data(as_text=True)
    assert "อาจติดภารกิจช่วงเช้า" in page
