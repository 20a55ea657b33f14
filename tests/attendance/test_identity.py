"""The identity check behind a seat's personal link, over HTTP: myself or as a substitute, the one-time code
where the meeting asks for it, refusals with a clear page, and what a socket connection may then do."""

from __future__ import annotations

import email
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from meetcore.actors import SEAT_SESSION_KEY
from meetcore.attendance.models import IdentityChallenge
from meetcore.extensions import db
from meetcore.mail.models import OutboxMessage
from tests.attendance.helpers import intervals, logged
from tests.factories import events_through


def _form(attending="self", name="นางสาวสมศรี ใจดี", position="พัฒนาสังคมและความมั่นคงของมนุษย์จังหวัดเชียงใหม่"):
    return {"attending": attending, "attendee_name": name, "attendee_position": position}


def _session_identity(client):
    with client.session_transaction() as session:
        return session.get(SEAT_SESSION_KEY)


def _require_code(meeting, users):
    from meetcore.attendance.services import update_settings

    update_settings(meeting, {"requires_identity_code": True}, by=users["secretariat"])


def _codes_sent() -> list[tuple[str, str]]:
    """(recipient, code) of every identity code in the outbox, oldest first."""
    sent = []
    for message in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)):
        text = email.message_from_bytes(message.body).get_payload(decode=True).decode()
        match = re.search(r"^\s+(\d{3}) (\d{3})\s*$", text, re.MULTILINE)
        sent.append((message.recipient, match.group(1) + match.group(2)))
    return sent


def test_the_page_shows_the_seat_and_asks_who_is_joining(client, seats, link_for):
    seat = seats["cm_sd"]
    page = client.get(f"/join/{link_for(seat)}/identity")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "เชียงใหม่" in html and seat.name in html and seat.role.title_th in html
    assert 'name="attending" value="substitute"' in html and f'value="{seat.name}"' in html


def test_attending_myself(client, live, seats, scheduled, link_for):
    from meetcore.tokenlinks import hash_token

    seat = seats["cm_sd"]
    token = link_for(seat)
    response = client.post(f"/join/{token}/identity", data=_form(name=seat.name, position="พมจ."))
    assert response.status_code == 302 and response.headers["Location"] == f"/live/{scheduled.id}"
    assert _session_identity(client) == {
        "seat_id": seat.id, "meeting_id": scheduled.id, "attendee_name": seat.name,
        "attendee_position": "พมจ.", "as_substitute": False, "link": hash_token(token),
    }  # fmt: skip
    [event] = logged(scheduled, "attendance.identity_confirmed")
    assert event.actor_seat_id == seat.id and event.payload["code_checked"] is False

    # The browser's Socket.IO connection carries the confirmed identity into the attendance record.
    sio = live(client)
    assert sio.emit("join", {"meeting_id": scheduled.id}, callback=True)["ok"]
    [row] = intervals(scheduled)
    assert (row.kind, row.attendee_name, row.attendee_position) == ("self", seat.name, "พมจ.")


def test_attending_as_substitute(client, live, seats, scheduled, link_for):
    seat = seats["cm_sd"]
    token = link_for(seat)
    response = client.post(f"/join/{token}/identity", data=_form("substitute", "นายสมชาย แทนได้", "หัวหน้ากลุ่ม"))
    assert response.status_code == 302
    assert _session_identity(client)["as_substitute"] is True
    sio = live(client)
    assert sio.emit("join", {"meeting_id": scheduled.id}, callback=True)["ok"]
    [row] = intervals(scheduled)
    assert (row.kind, row.attendee_name, row.attendee_position) == (
        "substitute",
        "นายสมชาย แทนได้",
        "หัวหน้ากลุ่ม",
    )
    from tests.attendance.helpers import present

    assert present(scheduled) == {seat.id: "substitute"}


@pytest.mark.parametrize(
    "form, field",
    [
        (_form(name=""), "attendee_name"),
        (_form(position="   "), "attendee_position"),
        (_form(attending="boss"), "attending"),
        (_form(name="ก" * 201), "attendee_name"),
        ({"attendee_name": "ก", "attendee_position": "ข"}, "attending"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(client, seats, scheduled, link_for, form, field):
    token = link_for(seats["cm_sd"])
    seq = scheduled.last_seq
    response = client.post(f"/join/{token}/identity", data=form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="flash flash-error"' in html and 'aria-invalid="true"' in html
    assert _session_identity(client) is None
    db.session.refresh(scheduled)
    assert scheduled.last_seq == seq


def test_a_substitute_must_give_their_own_name(client, seats, link_for):
    seat = seats["cm_sd"]
    response = client.post(
        f"/join/{link_for(seat)}/identity", data=_form("substitute", f"  {seat.name} ", "x")
    )
    assert response.status_code == 422
    assert "own name" in response.get_data(as_text=True) or "ของท่านเอง" in response.get_data(as_text=True)
    assert _session_identity(client) is None


@pytest.mark.parametrize("case", ["unknown", "revoked", "expired"])
def test_a_link_that_cannot_open_gets_a_clear_page(client, seats, link_for, users, case):
    from meetcore.seats.links import revoke_seat_links
    from meetcore.seats.models import SeatLink

    seat = seats["cm_sd"]
    token = "not-a-real-token" if case == "unknown" else link_for(seat)
    if case == "revoked":
        revoke_seat_links(seat, by=users["secretariat"])
    if case == "expired":
        db.session.execute(sa.update(SeatLink).values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
        db.session.commit()
    for response in (client.get(f"/join/{token}/identity"),
                     client.post(f"/join/{token}/identity", data=_form())):  # fmt: skip
        assert response.status_code == (403 if case == "unknown" else 410)
        assert 'id="link-refused"' in response.get_data(as_text=True)
    assert _session_identity(client) is None
    assert db.session.scalar(sa.select(sa.func.count(IdentityChallenge.id))) == 0


def test_a_cancelled_meeting_refuses_with_a_clear_page(client, seats, scheduled, link_for, users):
    from meetcore.meetings.services import cancel_meeting

    token = link_for(seats["cm_sd"])
    cancel_meeting(scheduled, {"reason": "เลื่อนการประชุม"}, by=users["secretariat"])
    response = client.get(f"/join/{token}/identity")
    assert response.status_code == 410 and 'id="link-refused"' in response.get_data(as_text=True)


# --- the one-time code -----------------------------------------------------------------------------------


def test_the_code_is_mailed_hashed_and_confirms_the_identity(client, seats, scheduled, link_for, users):
    seat = seats["cm_sd"]
    _require_code(scheduled, users)
    token = link_for(seat)
    response = client.post(f"/join/{token}/identity", data=_form("substitute", "นายสมชาย แทนได้", "หัวหน้ากลุ่ม"))
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/join/{token}/identity/code"
    )
    assert _session_identity(client) is None  # not confirmed before the code
    [(recipient, code)] = _codes_sent()
    assert recipient == seat.email
    [challenge] = db.session.scalars(sa.select(IdentityChallenge)).all()
    assert code not in (challenge.code_hash, challenge.code_salt) and len(challenge.code_hash) == 64
    assert challenge.expires_at - challenge.created_at == timedelta(minutes=10)

    page = client.get(f"/join/{token}/identity/code")
    assert page.status_code == 200 and "s•••@example.go.th" in page.get_data(as_text=True)  # masked
    response = client.post(f"/join/{token}/identity/code", data={"code": f"{code[:3]} {code[3:]}"})
    assert response.status_code == 302 and response.headers["Location"] == f"/live/{scheduled.id}"
    identity = _session_identity(client)
    assert identity["as_substitute"] is True and identity["attendee_name"] == "นายสมชาย แทนได้"
    [event] = logged(scheduled, "attendance.identity_confirmed")
    assert event.payload["code_checked"] is True
    # used once
    again = client.post(f"/join/{token}/identity/code", data={"code": code})
    assert again.status_code == 410


def test_a_wrong_code_counts_and_five_lock_the_challenge(client, seats, scheduled, link_for, users):
    _require_code(scheduled, users)
    token = link_for(seats["cm_sd"])
    client.post(f"/join/{token}/identity", data=_form())
    [(_, code)] = _codes_sent()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for attempt in range(1, 6):
        response = client.post(f"/join/{token}/identity/code", data={"code": wrong})
        assert response.status_code in (422, 429)
        challenge = db.session.scalars(
            sa.select(IdentityChallenge).execution_options(populate_existing=True)
        ).one()
        assert challenge.attempts == attempt
    assert response.status_code == 429
    # Locked: even the right code no longer works, and nothing was confirmed.
    response = client.post(f"/join/{token}/identity/code", data={"code": code})
    assert response.status_code == 429
    assert _session_identity(client) is None
    assert logged(scheduled, "attendance.identity_confirmed") == []


def test_a_malformed_code_is_not_a_try(client, seats, scheduled, link_for, users):
    _require_code(scheduled, users)
    token = link_for(seats["cm_sd"])
    client.post(f"/join/{token}/identity", data=_form())
    for bad in ("", "12345", "abcdef", "1234567"):
        assert client.post(f"/join/{token}/identity/code", data={"code": bad}).status_code == 422
    assert db.session.scalars(sa.select(IdentityChallenge)).one().attempts == 0


def test_an_expired_code_is_refused(client, seats, scheduled, link_for, users):
    _require_code(scheduled, users)
    token = link_for(seats["cm_sd"])
    client.post(f"/join/{token}/identity", data=_form())
    [(_, code)] = _codes_sent()
    db.session.execute(
        sa.update(IdentityChallenge).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    db.session.commit()
    response = client.post(f"/join/{token}/identity/code", data={"code": code})
    assert response.status_code == 410 and _session_identity(client) is None


def test_a_code_from_another_browser_does_not_help(client, app_ctx, seats, scheduled, link_for, users):
    _require_code(scheduled, users)
    token = link_for(seats["cm_sd"])
    client.post(f"/join/{token}/identity", data=_form())
    [(_, code)] = _codes_sent()
    intruder = app_ctx.test_client()
    response = intruder.post(f"/join/{token}/identity/code", data={"code": code})
    assert response.status_code == 410 and _session_identity(intruder) is None


def test_resending_is_limited(client, seats, scheduled, link_for, users):
    _require_code(scheduled, users)
    token = link_for(seats["cm_sd"])
    client.post(f"/join/{token}/identity", data=_form())
    client.post(f"/join/{token}/identity/code/resend")  # within a minute: refused
    assert len(_codes_sent()) == 1
    db.session.execute(
        sa.update(IdentityChallenge).values(created_at=datetime.now(UTC) - timedelta(minutes=2))
    )
    db.session.commit()
    client.post(f"/join/{token}/identity/code/resend")
    [(_, old), (_, new)] = _codes_sent()
    assert client.post(f"/join/{token}/identity/code", data={"code": new}).status_code == 302


def test_submitting_twice_sends_one_code(client, seats, scheduled, link_for, users):
    _require_code(scheduled, users)
    token = link_for(seats["cm_sd"])
    client.post(f"/join/{token}/identity", data=_form())
    client.post(f"/join/{token}/identity", data=_form(position="ตำแหน่งที่แก้แล้ว"))
    assert len(_codes_sent()) == 1
    assert db.session.scalars(sa.select(IdentityChallenge)).one().attendee_position == "ตำแหน่งที่แก้แล้ว"


def test_no_address_no_code(client, seats, scheduled, link_for, users):
    from meetcore.seats.services import get_seat, update_seat

    _require_code(scheduled, users)
    seat = get_seat(scheduled, seats["cm_sd"].id, by=users["secretariat"])
    update_seat(seat, {"email": None}, by=users["secretariat"])
    response = client.post(f"/join/{link_for(seat)}/identity", data=_form())
    assert response.status_code == 409 and _codes_sent() == []


def test_a_bare_link_token_cannot_join_a_meeting_that_asks_for_the_code(
    live, seats, scheduled, link_for, users
):
    _require_code(scheduled, users)
    sio = live(auth={"seat_token": link_for(seats["cm_sd"])})
    ack = sio.emit("join", {"meeting_id": scheduled.id}, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
    assert ack["error"]["details"] == {"reason": "identity_check_required"}
    assert intervals(scheduled) == []
    # Refused, it is not left in the meeting's room either: it hears nothing of the meeting.
    sio.get_received()
    from meetcore.attendance.services import update_settings

    update_settings(scheduled, {"requires_identity_code": False}, by=users["secretariat"])
    assert [p for p in sio.get_received() if p["name"] == "event"] == []


def test_the_secretariat_turns_the_code_on_and_off(as_secretariat, scheduled):
    from meetcore.meetings.models import Meeting

    url = f"/meetings/{scheduled.id}/attendance/settings"
    assert as_secretariat.post(url, data={"requires_identity_code": "1"}).status_code == 302
    assert db.session.get(Meeting, scheduled.id, populate_existing=True).requires_identity_code is True
    assert as_secretariat.post(url, data={}).status_code == 302
    assert db.session.get(Meeting, scheduled.id, populate_existing=True).requires_identity_code is False
    assert [e.payload for e in logged(scheduled, "attendance.settings")] == [
        {"requires_identity_code": True}, {"requires_identity_code": False},
    ]  # fmt: skip


def test_the_setting_reaches_staff_whole_and_participants_redacted(
    seat_socket, staff_socket, seats, scheduled, users
):
    from meetcore.attendance.services import update_settings

    seat, staff = seat_socket(seats["cm_sd"]), staff_socket("chair", scheduled)
    update_settings(scheduled, {"requires_identity_code": True}, by=users["secretariat"])
    [to_staff] = [p["args"][0] for p in staff.get_received() if p["name"] == "event"]
    [to_seat] = events_through(seat, to_staff["seq"])
    assert to_staff["kind"] == "attendance.settings"
    assert to_staff["payload"] == {"requires_identity_code": True}
    assert (to_seat["seq"], to_seat["kind"], to_seat["payload"]) == (to_staff["seq"], "redacted", {})


def test_the_chair_cannot_change_the_setting(as_chair, scheduled):
    response = as_chair.post(
        f"/meetings/{scheduled.id}/attendance/settings", data={"requires_identity_code": "1"}
    )
    assert response.status_code == 403


def test_withdrawing_the_link_ends_the_confirmed_identity(client, live, seats, scheduled, link_for, users):
    from meetcore.seats.links import revoke_seat_links

    seat = seats["cm_sd"]
    client.post(f"/join/{link_for(seat)}/identity", data=_form())
    revoke_seat_links(seat, by=users["secretariat"])
    link_for(seat)  # a new link for someone else does not bring the old browser back
    sio = live(client)
    ack = sio.emit("join", {"meeting_id": scheduled.id}, callback=True)
    assert ack["ok"] is False and ack["error"]["details"] == {"reason": "link_withdrawn"}
    assert intervals(scheduled) == []
