"""Acceptance: an update, a cancellation, the removal of one seat and the hand-over to a substitute each
produce the right METHOD and SEQUENCE for the right recipients, and for no others."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
import sqlalchemy as sa

from tests.invitations.support import deliver, only_invite, outbox_rows

ALL = {f"vg{i}@example.org" for i in range(5)}


def _seats(meeting):
    from meetcore.extensions import db
    from meetcore.seats.models import Seat

    return db.session.scalars(sa.select(Seat).where(Seat.meeting_id == meeting.id).order_by(Seat.id)).all()


def _sequence(meeting) -> int:
    from meetcore.extensions import db
    from meetcore.invitations.models import MeetingCalendar

    db.session.expire_all()
    return db.session.get(MeetingCalendar, meeting.id).sequence


def test_invitation_is_sequence_zero_and_sending_again_invites_nobody(invited, users, smtp):
    from meetcore.errors import Conflict
    from meetcore.invitations.sending import send_invitations
    from meetcore.invitations.util import plan_invitations

    assert _sequence(invited) == 0
    assert plan_invitations(invited, by=users["secretariat"]).count == 0
    with pytest.raises(Conflict):
        send_invitations(invited, by=users["secretariat"])


def test_change_of_time_sends_an_update_to_every_seat(invited, users, smtp):
    from meetcore.meetings.services import update_meeting

    before = invited.start_at
    new_start = (before + timedelta(days=1)).astimezone(UTC)
    update_meeting(
        invited,
        {"start_at": new_start.isoformat(), "end_at": (new_start + timedelta(hours=3)).isoformat()},
        by=users["secretariat"],
    )
    # Queued in the same transaction as the change.
    assert [row.kind for row in outbox_rows(invited) if row.status == "pending"] == ["update"] * 5
    deliver()
    received = only_invite(smtp)
    assert set(received) == ALL
    for invite in received.values():
        assert invite.method == "REQUEST"
        assert invite.sequence == 1
        assert invite.uid == f"meeting-{invited.id}@meetcore.test"
        assert invite.start_utc() == new_start
        assert "/join/" in invite.event.url.value
    assert _sequence(invited) == 1


def test_change_of_venue_is_an_update_but_a_description_change_is_not(invited, users, smtp):
    from meetcore.meetings.services import update_meeting

    update_meeting(invited, {"description": "รายละเอียดใหม่"}, by=users["secretariat"])
    deliver()
    assert smtp.received == []
    update_meeting(invited, {"venue": "ห้องประชุม 5"}, by=users["secretariat"])
    deliver()
    received = only_invite(smtp)
    assert set(received) == ALL
    assert {invite.sequence for invite in received.values()} == {1}
    assert {invite.event.location.value for invite in received.values()} == {"ห้องประชุม 5"}


def test_cancellation_sends_cancel_to_everyone(invited, users, smtp):
    from meetcore.meetings.services import cancel_meeting

    cancel_meeting(invited, {"reason": "ประธานติดภารกิจ"}, by=users["secretariat"])
    deliver()
    received = only_invite(smtp)
    assert set(received) == ALL
    for address, invite in received.items():
        assert invite.method == "CANCEL" and invite.mime_method == "CANCEL"
        assert invite.sequence == 1
        assert invite.event.status.value == "CANCELLED"
        assert invite.attendees == [address]
        assert invite.uid == f"meeting-{invited.id}@meetcore.test"
        assert "ประธานติดภารกิจ" in invite.text
    # No invitation is left active; a second cancellation is impossible anyway.
    from meetcore.extensions import db
    from meetcore.invitations.models import Invitation

    assert db.session.scalars(sa.select(Invitation.status)).all() == ["cancelled"] * 5


def test_removing_one_seat_cancels_for_that_invitee_only(invited, users, smtp):
    from meetcore.seats.services import remove_seat

    seat = _seats(invited)[2]
    address = seat.email
    remove_seat(seat, by=users["secretariat"])  # the roster's own path: the CANCEL goes with the removal
    deliver()
    received = only_invite(smtp)
    assert set(received) == {address}
    invite = received[address]
    assert invite.method == "CANCEL" and invite.sequence == 1 and invite.attendees == [address]
    assert invite.event.status.value == "CANCELLED"
    # The others are untouched; their next update carries a higher SEQUENCE still.
    from meetcore.meetings.services import update_meeting

    smtp.clear()
    update_meeting(invited, {"venue": "ห้องประชุม 7"}, by=users["secretariat"])
    deliver()
    received = only_invite(smtp)
    assert set(received) == ALL - {address}
    assert {invite.sequence for invite in received.values()} == {2}


def test_removing_a_seat_never_invited_sends_nothing(small_meeting, users, smtp):
    from meetcore.invitations.sending import cancel_invitation_for_seat

    seat = _seats(small_meeting)[0]
    assert cancel_invitation_for_seat(seat, by=users["secretariat"]) == 0
    deliver()
    assert smtp.received == []


def test_hand_over_cancels_for_the_invitee_and_invites_the_substitute(invited, users, smtp):
    from meetcore.extensions import db
    from meetcore.invitations.sending import hand_over_to_substitute
    from meetcore.seats.links import seat_for_link
    from meetcore.seats.services import update_seat

    seat = _seats(invited)[1]
    original = seat.email
    update_seat(  # the roster's own path: the hand-over goes with the change
        seat,
        {"substitute_name": "ตัวอย่าง ผู้แทน", "substitute_position": "ผู้อำนวยการกลุ่มงาน",
         "substitute_email": "Deputy.One@Example.org", "rsvp": "substitute"},
        by=users["secretariat"],
    )
    seat = _seats(invited)[1]
    deliver()
    received = only_invite(smtp)
    assert set(received) == {original, "deputy.one@example.org"}
    cancel, request = received[original], received["deputy.one@example.org"]
    assert (cancel.method, cancel.sequence, cancel.attendees) == ("CANCEL", 1, [original])
    assert "ตัวอย่าง ผู้แทน" in cancel.text
    assert (request.method, request.sequence, request.attendees) == ("REQUEST", 1, ["deputy.one@example.org"])
    assert request.event.attendee.params["CN"] == ["ตัวอย่าง ผู้แทน"]
    token = request.event.url.value.rsplit("/", 1)[1]
    assert seat_for_link(token).id == seat.id
    # Calling it again changes nothing and sends nothing.
    smtp.clear()
    assert hand_over_to_substitute(seat, by=users["secretariat"]) == 0
    db.session.commit()
    deliver()
    assert smtp.received == []


def test_handing_the_seat_over_withdraws_the_invitees_link_and_closes_its_connection(
    small_meeting, users, smtp
):
    """Issue 13: the invitee's personal link, sent with the invitation the hand-over cancels, opened the
    meeting for them after the seat went to the substitute."""
    from meetcore.extensions import socketio
    from meetcore.invitations.sending import send_invitations
    from meetcore.seats.links import SeatLinkRevoked, seat_for_link
    from meetcore.seats.services import update_seat
    from tests.live.browsers import wait_until

    send_invitations(small_meeting, by=users["secretariat"])
    deliver()
    seat, other = _seats(small_meeting)[1:3]
    tokens = {email: invite.event.url.value.rsplit("/", 1)[1] for email, invite in only_invite(smtp).items()}
    smtp.clear()
    invitee = socketio.test_client(_app(), auth={"seat_token": tokens[seat.email]})
    neighbour = socketio.test_client(_app(), auth={"seat_token": tokens[other.email]})
    try:
        assert invitee.emit("join", {"meeting_id": small_meeting.id}, callback=True)["ok"]
        update_seat(seat, {"substitute_name": "ตัวอย่าง ผู้แทน", "substitute_email": "deputy.two@example.org",
                           "rsvp": "substitute"}, by=users["secretariat"])  # fmt: skip
        wait_until(lambda: not invitee.is_connected(), timeout=1, message="the invitee's connection closed")
        with pytest.raises(SeatLinkRevoked):
            seat_for_link(tokens[seat.email])
        assert neighbour.is_connected() and seat_for_link(tokens[other.email]).id == other.id
        deliver()
        substitute_token = only_invite(smtp)["deputy.two@example.org"].event.url.value.rsplit("/", 1)[1]
        substitute = socketio.test_client(_app(), auth={"seat_token": substitute_token})
        assert substitute.emit("join", {"meeting_id": small_meeting.id}, callback=True)["ok"]
        substitute.disconnect()
    finally:
        for client in (invitee, neighbour):
            if client.is_connected():
                client.disconnect()


def _app():
    from flask import current_app

    return current_app._get_current_object()


def test_handing_the_seat_back_reverses_it(invited, users, smtp):
    from meetcore.extensions import db
    from meetcore.invitations.sending import hand_over_to_substitute

    seat = _seats(invited)[0]
    seat.substitute_name, seat.substitute_email, seat.rsvp = "ผู้แทน", "deputy@example.org", "substitute"
    hand_over_to_substitute(seat, by=users["secretariat"])
    db.session.commit()
    deliver()
    smtp.clear()
    seat.substitute_name = seat.substitute_email = None
    seat.rsvp = "accepted"
    assert hand_over_to_substitute(seat, by=users["secretariat"]) == 2
    db.session.commit()
    deliver()
    received = only_invite(smtp)
    assert (received["deputy@example.org"].method, received["deputy@example.org"].sequence) == ("CANCEL", 2)
    assert (received["vg0@example.org"].method, received["vg0@example.org"].sequence) == ("REQUEST", 2)
    assert received["vg0@example.org"].event.attendee.params["PARTSTAT"] == ["ACCEPTED"]


def test_a_corrected_address_moves_the_invitation(invited, users, smtp):
    from meetcore.extensions import db
    from meetcore.invitations.sending import hand_over_to_substitute

    seat = _seats(invited)[3]
    seat.email = "vg3.new@example.org"
    hand_over_to_substitute(seat, by=users["secretariat"])
    db.session.commit()
    deliver()
    received = only_invite(smtp)
    assert set(received) == {"vg3@example.org", "vg3.new@example.org"}
    assert received["vg3@example.org"].method == "CANCEL"
    assert received["vg3.new@example.org"].method == "REQUEST"


def test_update_before_delivery_replaces_the_waiting_invitation(small_meeting, users, smtp):
    """An invitation still in the outbox when the meeting changes is not sent: the update carries it all."""
    from meetcore.invitations.sending import send_invitations
    from meetcore.meetings.services import update_meeting

    send_invitations(small_meeting, by=users["secretariat"])
    update_meeting(small_meeting, {"venue": "ห้องประชุม 9"}, by=users["secretariat"])
    kinds = sorted((row.kind, row.status) for row in outbox_rows(small_meeting))
    assert kinds == [("invitation", "superseded")] * 5 + [("update", "pending")] * 5
    deliver()
    received = only_invite(smtp)
    assert set(received) == ALL
    assert {(i.method, i.sequence, i.event.location.value) for i in received.values()} == {
        ("REQUEST", 1, "ห้องประชุม 9")
    }


def test_removal_before_delivery_sends_nothing_to_that_seat(small_meeting, users, smtp):
    from meetcore.extensions import db
    from meetcore.invitations.sending import cancel_invitation_for_seat, send_invitations

    send_invitations(small_meeting, by=users["secretariat"])
    seat = _seats(small_meeting)[4]
    assert cancel_invitation_for_seat(seat, by=users["secretariat"]) == 0  # its REQUEST never left
    db.session.delete(seat)
    db.session.commit()
    deliver()
    assert set(only_invite(smtp)) == ALL - {"vg4@example.org"}


def test_two_seats_sharing_an_address_keep_the_calendar_entry(invited, users, smtp):
    """The same mailbox holds two seats (one calendar entry, same UID): removing one sends no CANCEL."""
    from meetcore.extensions import db
    from meetcore.invitations.sending import cancel_invitation_for_seat, send_invitations
    from tests.invitations.support import add_seats

    add_seats(invited, 1, role_code="labour", prefix="vg")  # labour seat of the first province, vg0@…
    send_invitations(invited, by=users["secretariat"])
    deliver()
    smtp.clear()
    labour = _seats(invited)[-1]
    cancel_invitation_for_seat(labour, by=users["secretariat"])
    db.session.delete(labour)
    db.session.commit()
    deliver()
    assert smtp.received == []


def test_hooks_refuse_a_chair(invited, users):
    from meetcore.errors import PermissionDenied
    from meetcore.invitations.sending import cancel_invitation_for_seat, hand_over_to_substitute

    seat = _seats(invited)[0]
    with pytest.raises(PermissionDenied):
        cancel_invitation_for_seat(seat, by=users["chair"])
    with pytest.raises(PermissionDenied):
        hand_over_to_substitute(seat, by=users["chair"])
