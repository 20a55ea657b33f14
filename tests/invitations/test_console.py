"""The secretariat's invitations page: how many will be sent, confirmation, outbox status; and the CLI."""

from __future__ import annotations

import re

from tests.invitations.support import add_seats, deliver, outbox_rows


def test_send_with_confirmation_showing_how_many(small_meeting, users, as_secretariat, smtp):
    from meetcore.extensions import db
    from meetcore.seats.models import Seat

    seat = db.session.get(Seat, add_seats(small_meeting, 1, role_code="labour", prefix="nomail")[0].id)
    seat.email = None  # a seat without an address gets nothing
    db.session.commit()

    page = as_secretariat.get(f"/meetings/{small_meeting.id}/invitations").get_data(as_text=True)
    assert re.search(r'id="count-waiting">5<', page) and re.search(r'id="count-no-email">1<', page)
    assert f'href="/meetings/{small_meeting.id}/invitations/send"' in page

    confirm = as_secretariat.get(f"/meetings/{small_meeting.id}/invitations/send").get_data(as_text=True)
    assert re.search(r'id="send-count">[^<]*\b5\b', confirm)
    assert 'name="expected" value="5"' in confirm
    assert outbox_rows(small_meeting) == []  # looking sends nothing

    # The roster changed between the confirmation and the press: refused, nothing sent.
    add_seats(small_meeting, 1, role_code="red_cross", prefix="late")
    refused = as_secretariat.post(f"/meetings/{small_meeting.id}/invitations/send", data={"expected": "5"})
    assert refused.status_code == 302 and refused.headers["Location"].endswith("/invitations/send")
    assert outbox_rows(small_meeting) == []

    done = as_secretariat.post(f"/meetings/{small_meeting.id}/invitations/send", data={"expected": "6"})
    assert done.status_code == 302
    assert len(outbox_rows(small_meeting)) == 6
    page = as_secretariat.get(f"/meetings/{small_meeting.id}/invitations").get_data(as_text=True)
    assert re.search(r'id="outbox-pending">6<', page) and re.search(r'id="count-invited">6<', page)

    response = as_secretariat.post(f"/meetings/{small_meeting.id}/invitations/deliver")
    assert response.status_code == 302
    page = as_secretariat.get(f"/meetings/{small_meeting.id}/invitations").get_data(as_text=True)
    assert re.search(r'id="outbox-sent">6<', page) and re.search(r'id="outbox-pending">0<', page)
    assert len(smtp.received) == 6


def test_a_chair_cannot_send(small_meeting, users, client):
    from tests.conftest import sign_in

    sign_in(client, users["chair"])
    assert client.get(f"/meetings/{small_meeting.id}/invitations").status_code == 200
    assert client.get(f"/meetings/{small_meeting.id}/invitations/send").status_code == 403
    assert (
        client.post(f"/meetings/{small_meeting.id}/invitations/send", data={"expected": "5"}).status_code
        == 403
    )
    assert outbox_rows(small_meeting) == []


def test_a_draft_meeting_is_not_sent(small_meeting, users, as_secretariat):
    from meetcore.errors import Conflict
    from meetcore.extensions import db
    from meetcore.invitations.sending import send_invitations

    small_meeting.status = "draft"
    db.session.commit()
    try:
        send_invitations(small_meeting, by=users["secretariat"])
    except Conflict:
        pass
    else:
        raise AssertionError("a draft's invitations were sent")
    assert outbox_rows(small_meeting) == []


def test_cli_send_and_mail_send(small_meeting, users, app_ctx, smtp):
    runner = app_ctx.test_cli_runner()
    result = runner.invoke(
        args=["invites", "send", str(small_meeting.id), "--as", users["secretariat"].email, "--yes"]
    )
    assert result.exit_code == 0, result.output
    assert "5 seats to invite" in result.output and "queued 5 invitations" in result.output
    again = runner.invoke(
        args=["invites", "send", str(small_meeting.id), "--as", users["secretariat"].email, "--yes"]
    )
    assert again.exit_code != 0
    sent = runner.invoke(args=["mail", "send"])
    assert sent.exit_code == 0 and "sent 5" in sent.output
    assert len(smtp.received) == 5


def test_mail_send_without_a_server_says_so(small_meeting, users, app_ctx, mail_config):
    mail_config["MEETCORE_SMTP_HOST"] = None
    runner = app_ctx.test_cli_runner()
    runner.invoke(
        args=["invites", "send", str(small_meeting.id), "--as", users["secretariat"].email, "--yes"]
    )
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code != 0 and "MEETCORE_SMTP_HOST" in result.output
    assert {row.status for row in outbox_rows(small_meeting)} == {"pending"}
    deliver()
