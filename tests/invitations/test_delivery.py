"""Acceptance: the SMTP server answers 451 for a while and recovers: every invitation arrives exactly once.
It answers 550 for one address: that one is marked failed, shown with a resend button; the others arrive."""

from __future__ import annotations

import re
from datetime import timedelta

from meetcore.database import utcnow
from tests.invitations.support import add_seats, deliver, only_invite, outbox_rows


def test_temporary_refusals_for_a_while_then_every_invitation_exactly_once(small_meeting, users, smtp):
    from meetcore.invitations.sending import send_invitations

    add_seats(small_meeting, 35, role_code="labour", prefix="labour")
    send_invitations(small_meeting, by=users["secretariat"])
    now = utcnow()
    recovers_at = now + timedelta(minutes=5)
    clock = {"now": now}
    smtp.rcpt_answer = lambda address: (
        "451 4.3.2 system busy, try later" if clock["now"] < recovers_at else None
    )
    smtp.data_answer = None
    runs = 0
    while any(row.status != "sent" for row in outbox_rows(small_meeting)):
        report = deliver(now=clock["now"])
        assert report.failed == 0
        clock["now"] += timedelta(minutes=1)
        runs += 1
        assert runs < 60
    received = only_invite(smtp)  # exactly once each
    assert len(received) == 40
    assert all(invite.method == "REQUEST" for invite in received.values())
    rows = outbox_rows(small_meeting)
    # Refused at 0, retried at +1 min, +3 min (back-off 60 s, 120 s), then +7 min after the recovery.
    assert {row.attempts for row in rows} == {4}
    assert smtp.rcpt_commands == 40 * 4


def test_a_refusal_during_data_is_retried_too(invited, users, smtp):
    from meetcore.meetings.services import update_meeting

    left = {"n": 3}

    def refuse_some(envelope):
        if left["n"]:
            left["n"] -= 1
            return "451 4.3.0 queue full"
        return None

    smtp.data_answer = refuse_some
    update_meeting(invited, {"venue": "ห้องประชุมใหญ่"}, by=users["secretariat"])
    now = utcnow()
    for step in range(4):
        deliver(now=now + timedelta(minutes=5 * step))
    received = only_invite(smtp)
    assert len(received) == 5 and {invite.sequence for invite in received.values()} == {1}


def test_permanent_refusal_of_one_address_is_shown_and_can_be_resent(
    small_meeting, users, smtp, as_secretariat
):
    from meetcore.invitations.sending import send_invitations

    smtp.rcpt_answer = lambda address: (
        "550 5.1.1 <vg3@example.org>: user unknown" if address == "vg3@example.org" else None
    )
    send_invitations(small_meeting, by=users["secretariat"])
    report = deliver()
    assert report.sent == 4 and report.failed == 1
    received = only_invite(smtp)
    assert set(received) == {f"vg{i}@example.org" for i in (0, 1, 2, 4)}
    failed = [row for row in outbox_rows(small_meeting) if row.status == "failed"]
    assert [(row.recipient, row.last_code) for row in failed] == [("vg3@example.org", 550)]

    # The secretariat sees it, with its reason and a resend button.
    page = as_secretariat.get(f"/meetings/{small_meeting.id}/invitations")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert re.search(r'id="outbox-failed">1<', html) and re.search(r'id="outbox-sent">4<', html)
    row = re.search(r'<tr class="outbox-failed" data-recipient="vg3@example.org">.*?</tr>', html, re.S).group(
        0
    )
    assert "user unknown" in row and "550" in row
    assert f"/meetings/{small_meeting.id}/outbox/{failed[0].id}/resend" in row
    filtered = as_secretariat.get(f"/meetings/{small_meeting.id}/invitations?status=failed").get_data(
        as_text=True
    )
    assert filtered.count('data-recipient="') == 1

    # The address is fixed on the server's side; the secretariat presses "send again".
    smtp.rcpt_answer = None
    smtp.clear()
    response = as_secretariat.post(f"/meetings/{small_meeting.id}/outbox/{failed[0].id}/resend")
    assert response.status_code == 302
    deliver()
    assert set(only_invite(smtp)) == {"vg3@example.org"}
    assert {row.status for row in outbox_rows(small_meeting)} == {"sent"}


def test_the_chair_sees_the_outbox_but_cannot_resend(small_meeting, users, smtp, client):
    from meetcore.invitations.sending import send_invitations
    from tests.conftest import sign_in

    smtp.rcpt_answer = lambda address: "550 5.1.1 unknown"
    send_invitations(small_meeting, by=users["secretariat"])
    deliver()
    failed = outbox_rows(small_meeting)[0]
    sign_in(client, users["chair"])
    page = client.get(f"/meetings/{small_meeting.id}/invitations").get_data(as_text=True)
    assert 'data-recipient="vg0@example.org"' in page and "/resend" not in page
    assert client.post(f"/meetings/{small_meeting.id}/outbox/{failed.id}/resend").status_code == 403
    assert outbox_rows(small_meeting)[0].status == "failed"
