"""Reminders before the meeting (MEETCORE_REMINDERS) and calendar subscription feeds."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.invitations.support import deliver, outbox_rows


def test_offsets_are_parsed():
    from meetcore.invitations.messages import parse_offsets

    assert parse_offsets("1d,30m") == [timedelta(days=1), timedelta(minutes=30)]
    assert parse_offsets(" 2h , 1d ") == [timedelta(days=1), timedelta(hours=2)]
    assert parse_offsets("") == []
    with pytest.raises(ValueError):
        parse_offsets("1w")


def _invited_at(meeting, when):
    from meetcore.extensions import db
    from meetcore.invitations.models import Invitation

    db.session.execute(
        sa.update(Invitation).where(Invitation.meeting_id == meeting.id).values(invited_at=when)
    )
    db.session.commit()


def test_reminders_a_day_and_half_an_hour_before_each_once(invited, users, smtp):
    from meetcore.extensions import db
    from meetcore.invitations.reminders import enqueue_reminders
    from meetcore.seats.models import Seat

    start = invited.start_at
    _invited_at(invited, start - timedelta(days=5))
    # One seat declined: no reminders for it.
    seat = db.session.scalars(sa.select(Seat).where(Seat.email == "vg4@example.org")).one()
    seat.rsvp, seat.absence_reason = "declined", "ลา"
    db.session.commit()

    assert enqueue_reminders(now=start - timedelta(days=2)) == 0
    assert enqueue_reminders(now=start - timedelta(days=1) + timedelta(minutes=1)) == 4
    assert enqueue_reminders(now=start - timedelta(hours=20)) == 0  # once per offset
    assert enqueue_reminders(now=start - timedelta(minutes=29)) == 4
    assert enqueue_reminders(now=start - timedelta(minutes=5)) == 0
    assert enqueue_reminders(now=start + timedelta(minutes=1)) == 0
    reminders = [row for row in outbox_rows(invited) if row.kind == "reminder"]
    assert len(reminders) == 8
    deliver()
    assert sorted(r.recipient for r in _plain(smtp)) == sorted([f"vg{i}@example.org" for i in range(4)] * 2)
    message = _plain(smtp)[0].message
    assert message.get_content_type() == "multipart/alternative"  # no calendar part in a reminder
    assert "/join/" in message.get_body(("plain",)).get_content()


def _plain(smtp):
    class Item:
        def __init__(self, received):
            self.recipient = received.recipient
            self.message = email.message_from_bytes(received.data, policy=email.policy.default)

    return [Item(r) for r in smtp.received]


def test_only_the_nearest_due_reminder_goes_after_a_pause(invited, mail_config):
    from meetcore.invitations.reminders import enqueue_reminders

    _invited_at(invited, invited.start_at - timedelta(days=5))
    assert enqueue_reminders(now=invited.start_at - timedelta(minutes=10)) == 5
    assert enqueue_reminders(now=invited.start_at - timedelta(minutes=5)) == 0
    keys = {row.dedupe_key.rsplit(":", 1)[1] for row in outbox_rows(invited) if row.kind == "reminder"}
    assert keys == {"1800"}


def test_no_reminder_for_an_invitation_sent_inside_the_window(invited, mail_config):
    from meetcore.invitations.reminders import enqueue_reminders

    _invited_at(invited, invited.start_at - timedelta(hours=3))
    assert enqueue_reminders(now=invited.start_at - timedelta(hours=2)) == 0  # the 1-day one: invited later
    assert enqueue_reminders(now=invited.start_at - timedelta(minutes=20)) == 5


def test_reminders_can_be_switched_off(invited, mail_config):
    from meetcore.invitations.reminders import enqueue_reminders

    mail_config["MEETCORE_REMINDERS"] = ""
    _invited_at(invited, invited.start_at - timedelta(days=5))
    assert enqueue_reminders(now=invited.start_at - timedelta(minutes=10)) == 0


def test_agency_feed_lists_the_meetings_of_its_seats(invited, users, client):
    import vobject

    from meetcore.directory.models import Agency, Role
    from meetcore.extensions import db
    from meetcore.invitations.feeds import issue_feed, revoke_feed
    from meetcore.seats.models import Seat
    from tests.invitations.support import add_seats

    add_seats(invited, 1, role_code="social_development", prefix="sd")
    seat = db.session.scalars(sa.select(Seat).where(Seat.email == "sd0@example.org")).one()
    agency = db.session.scalars(
        sa.select(Agency).where(Agency.role_id == seat.role_id, Agency.province_id == seat.province_id)
    ).one()
    url = issue_feed({"agency_id": agency.id}, by=users["secretariat"])
    response = client.get(url.removeprefix("http://meetcore.test"))
    assert response.status_code == 200
    feed = vobject.readOne(response.get_data(as_text=True))
    assert [event.uid.value for event in feed.contents["vevent"]] == [f"meeting-{invited.id}@meetcore.test"]
    # An agency with no seat in the meeting sees nothing of it.
    other_role = db.session.scalar(sa.select(Role).where(Role.code == "labour"))
    seated = sa.select(Seat.province_id).where(Seat.meeting_id == invited.id)
    other = db.session.scalars(
        sa.select(Agency).where(Agency.role_id == other_role.id, Agency.province_id.not_in(seated)).limit(1)
    ).one()
    other_url = issue_feed({"agency_id": other.id}, by=users["secretariat"])
    assert "BEGIN:VEVENT" not in client.get(other_url.removeprefix("http://meetcore.test")).get_data(
        as_text=True
    )
    # Withdrawn: refused.
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    revoke_feed(token, by=users["secretariat"])
    assert client.get(url.removeprefix("http://meetcore.test")).status_code == 404


def test_feed_tokens_are_checked(client, app_ctx):
    assert client.get("/calendar/1.AAAA.ics").status_code == 404
    assert client.get("/calendar/nonsense.ics").status_code == 404


def test_feed_command_needs_an_editor(invited, users, app_ctx):
    runner = app_ctx.test_cli_runner()
    ok = runner.invoke(
        args=["invites", "feed", "--email", "vg0@example.org", "--as", users["secretariat"].email]
    )
    assert ok.exit_code == 0 and "/calendar/" in ok.output
    refused = runner.invoke(
        args=["invites", "feed", "--email", "vg0@example.org", "--as", users["chair"].email]
    )
    assert refused.exit_code != 0
