"""The invitee's reply page: accept, decline with a reason, send a substitute, with no sign-in."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.invitations.support import deliver, only_invite


def _token(invite) -> str:
    return re.search(r"http://meetcore\.test/rsvp/([0-9]+\.[A-Za-z0-9_-]+)", invite.text).group(1)


def _seat(meeting, email: str):
    from meetcore.extensions import db
    from meetcore.seats.models import Seat

    db.session.expire_all()
    return db.session.scalars(sa.select(Seat).where(Seat.meeting_id == meeting.id, Seat.email == email)).one()


def _invited_tokens(small_meeting, users, smtp) -> dict[str, str]:
    from meetcore.invitations.sending import send_invitations

    send_invitations(small_meeting, by=users["secretariat"])
    deliver()
    tokens = {address: _token(invite) for address, invite in only_invite(smtp).items()}
    smtp.clear()
    return tokens


def test_a_link_shows_the_form_and_changes_nothing(small_meeting, users, smtp, client):
    token = _invited_tokens(small_meeting, users, smtp)["vg0@example.org"]
    page = client.get(f"/rsvp/{token}?answer=accept")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    html = page.get_data(as_text=True)
    assert 'id="answer-accept"' in html and 'data-state="needs-action"' in html
    assert _seat(small_meeting, "vg0@example.org").rsvp == "pending"


def test_accept(small_meeting, users, smtp, client):
    from meetcore.eventlog.models import MeetingEvent
    from meetcore.extensions import db

    token = _invited_tokens(small_meeting, users, smtp)["vg0@example.org"]
    response = client.post(f"/rsvp/{token}", data={"answer": "accept"})
    assert response.status_code == 302
    assert _seat(small_meeting, "vg0@example.org").rsvp == "accepted"
    event = db.session.scalars(sa.select(MeetingEvent).where(MeetingEvent.kind == "invitations.rsvp")).one()
    assert event.payload["answer"] == "accept" and event.payload["via"] == "web" and event.actor_seat_id
    assert 'data-state="accepted"' in client.get(f"/rsvp/{token}").get_data(as_text=True)


def test_decline_needs_a_reason_and_records_it(small_meeting, users, smtp, client):
    token = _invited_tokens(small_meeting, users, smtp)["vg1@example.org"]
    refused = client.post(f"/rsvp/{token}", data={"answer": "decline", "reason": "  "})
    assert refused.status_code == 422
    assert "reason" in refused.get_data(as_text=True).lower() or "เหตุผล" in refused.get_data(as_text=True)
    assert _seat(small_meeting, "vg1@example.org").rsvp == "pending"
    client.post(f"/rsvp/{token}", data={"answer": "decline", "reason": "ติดภารกิจตรวจราชการ"})
    seat = _seat(small_meeting, "vg1@example.org")
    assert (seat.rsvp, seat.absence_reason) == ("declined", "ติดภารกิจตรวจราชการ")


def test_a_reason_with_a_control_character_is_refused_through_the_reply_link(
    small_meeting, users, smtp, client
):
    """Issue 13: a decline reason with \x01, sent through the reply link alone, broke the Word minutes."""
    token = _invited_tokens(small_meeting, users, smtp)["vg1@example.org"]
    for reason in ("ติดราชการ\x01", "ติดราชการ\x00", "\x1b[2J", "ติด\x85ราชการ"):
        refused = client.post(f"/rsvp/{token}", data={"answer": "decline", "reason": reason})
        assert refused.status_code == 422
        assert "อักขระควบคุม" in refused.get_data(as_text=True)  # the Thai message
        assert _seat(small_meeting, "vg1@example.org").rsvp == "pending"
    multi_line = client.post(f"/rsvp/{token}", data={"answer": "decline", "reason": "ติดราชการ\r\n\tต่างจังหวัด"})
    assert multi_line.status_code == 302 and _seat(small_meeting, "vg1@example.org").rsvp == "declined"


def test_send_a_substitute_with_an_address_hands_the_seat_over(small_meeting, users, smtp, client):
    tokens = _invited_tokens(small_meeting, users, smtp)
    token = tokens["vg2@example.org"]
    bad = client.post(
        f"/rsvp/{token}", data={"answer": "substitute", "substitute_name": "ผู้แทน", "substitute_email": "nope"}
    )
    assert bad.status_code == 422
    assert _seat(small_meeting, "vg2@example.org").rsvp == "pending"
    client.post(
        f"/rsvp/{token}",
        data={
            "answer": "substitute",
            "substitute_name": "ตัวอย่าง ผู้แทน",
            "substitute_position": "หัวหน้ากลุ่มงาน",
            "substitute_email": "Deputy2@example.org",
        },
    )
    seat = _seat(small_meeting, "vg2@example.org")
    assert (seat.rsvp, seat.substitute_name, seat.substitute_position, seat.substitute_email) == (
        "substitute",
        "ตัวอย่าง ผู้แทน",
        "หัวหน้ากลุ่มงาน",
        "deputy2@example.org",
    )
    deliver()
    received = only_invite(smtp)
    assert set(received) == {"vg2@example.org", "deputy2@example.org"}
    assert (received["vg2@example.org"].method, received["vg2@example.org"].sequence) == ("CANCEL", 1)
    assert (received["deputy2@example.org"].method, received["deputy2@example.org"].sequence) == (
        "REQUEST",
        1,
    )
    # The substitute answers for themselves; the seat stays handed over.
    substitute_token = _token(received["deputy2@example.org"])
    page = client.get(f"/rsvp/{substitute_token}").get_data(as_text=True)
    assert 'id="answer-substitute"' not in page
    client.post(f"/rsvp/{substitute_token}", data={"answer": "accept"})
    assert _seat(small_meeting, "vg2@example.org").rsvp == "substitute"
    # The invitee's own page says so, and lets them take the seat back.
    page = client.get(f"/rsvp/{token}").get_data(as_text=True)
    assert (
        'data-state="handed-over"' in page
        and 'id="answer-accept"' in page
        and 'id="answer-decline"' not in page
    )
    smtp.clear()
    client.post(f"/rsvp/{token}", data={"answer": "accept"})
    seat = _seat(small_meeting, "vg2@example.org")
    assert (seat.rsvp, seat.substitute_name, seat.substitute_email) == ("accepted", None, None)
    deliver()
    received = only_invite(smtp)
    assert (received["deputy2@example.org"].method, received["vg2@example.org"].method) == (
        "CANCEL",
        "REQUEST",
    )
    assert {invite.sequence for invite in received.values()} == {2}


def test_send_a_substitute_without_an_address_keeps_the_invitation(small_meeting, users, smtp, client):
    token = _invited_tokens(small_meeting, users, smtp)["vg3@example.org"]
    client.post(f"/rsvp/{token}", data={"answer": "substitute", "substitute_name": "ผู้แทน ไม่มีอีเมล"})
    seat = _seat(small_meeting, "vg3@example.org")
    assert (seat.rsvp, seat.substitute_name) == ("substitute", "ผู้แทน ไม่มีอีเมล")
    deliver()
    assert smtp.received == []


def test_unknown_or_tampered_tokens_are_refused(small_meeting, users, smtp, client):
    token = _invited_tokens(small_meeting, users, smtp)["vg0@example.org"]
    row_id, signature = token.split(".")
    for bad in (f"{row_id}.{signature[:-2]}xx", f"{int(row_id) + 1}.{signature}", "garbage", "9" * 30):
        response = client.get(f"/rsvp/{bad}")
        assert response.status_code == 404
        assert client.post(f"/rsvp/{bad}", data={"answer": "accept"}).status_code == 404
    assert _seat(small_meeting, "vg0@example.org").rsvp == "pending"


def test_replies_close_when_the_meeting_is_cancelled(small_meeting, users, smtp, client):
    from meetcore.meetings.services import cancel_meeting

    token = _invited_tokens(small_meeting, users, smtp)["vg0@example.org"]
    cancel_meeting(small_meeting, {"reason": "เลื่อน"}, by=users["secretariat"])
    page = client.get(f"/rsvp/{token}").get_data(as_text=True)
    assert "answer-accept" not in page
    assert client.post(f"/rsvp/{token}", data={"answer": "accept"}).status_code == 422
    assert _seat(small_meeting, "vg0@example.org").rsvp == "pending"


def test_personal_feed_from_the_reply_page(small_meeting, users, smtp, client):
    import vobject

    token = _invited_tokens(small_meeting, users, smtp)["vg0@example.org"]
    page = client.post(f"/rsvp/{token}/feed").get_data(as_text=True)
    url = re.search(r'id="feed-url">(http://meetcore\.test/calendar/[^<]+\.ics)<', page).group(1)
    response = client.get(url.removeprefix("http://meetcore.test"))
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    feed = vobject.readOne(response.get_data(as_text=True))
    events = feed.contents["vevent"]
    assert [event.uid.value for event in events] == [f"meeting-{small_meeting.id}@meetcore.test"]
    assert "method" not in feed.contents
    # The same address again: the same feed.
    again = client.post(f"/rsvp/{token}/feed").get_data(as_text=True)
    assert url in again


def test_a_seat_handing_itself_over_is_named_as_the_actor_of_its_reply_and_of_the_links_it_withdraws(
    small_meeting, users, smtp, client
):
    """Issue 19, item 3: the reply page acts as the seat; the links withdrawn with the invitee's invitation
    say so too, rather than naming nobody."""
    from meetcore.eventlog.models import MeetingEvent
    from meetcore.extensions import db

    token = _invited_tokens(small_meeting, users, smtp)["vg2@example.org"]
    client.post(f"/rsvp/{token}", data={"answer": "substitute", "substitute_name": "ตัวอย่าง ผู้แทน",
                                        "substitute_email": "deputy2@example.org"})  # fmt: skip
    seat = _seat(small_meeting, "vg2@example.org")
    assert seat.rsvp == "substitute"
    events = db.session.scalars(
        sa.select(MeetingEvent).where(
            MeetingEvent.meeting_id == small_meeting.id,
            MeetingEvent.kind.in_(["invitations.rsvp", "seats.links_revoked"]),
        )
    ).all()
    assert {event.kind for event in events} == {"invitations.rsvp", "seats.links_revoked"}
    assert {(e.actor_seat_id, e.actor_user_id, e.actor_name) for e in events} == {(seat.id, None, None)}
