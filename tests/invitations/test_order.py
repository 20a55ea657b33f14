"""Acceptance (issue 14, item 4): never an older calendar message after a newer one. A real sender process
(`meetcore mail send`) is SIGKILLed in the middle of a batch, the meeting is then cancelled or moved, the
sender restarts; what the SMTP server received, in the order it received it, is read with vobject."""

from __future__ import annotations

import signal
import threading
import time
from datetime import timedelta

import pytest

from tests.invitations.support import deliver, take_apart
from tests.mail.support import start_sender

KILL_AT = 3  # the sender dies while the server holds the third message's DATA


def _run(app, **kwargs) -> str:
    process = start_sender(app, **kwargs)
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 0, output.decode()
    return output.decode()


def _kill_mid_batch(app, smtp) -> None:
    """Start a sender, hold the server's answer to the KILL_AT-th DATA, SIGKILL the sender meanwhile, then
    let the server finish that message (it arrived: the dead sender never learnt it)."""
    held, release = threading.Event(), threading.Event()
    seen = []

    def data_answer(envelope):
        seen.append(envelope)
        if len(seen) == KILL_AT:
            held.set()
            release.wait(60)
        return None

    smtp.data_answer = data_answer
    process = start_sender(app)
    try:
        assert held.wait(120), "the sender never reached the message it should die in"
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        assert process.returncode == -signal.SIGKILL
    finally:
        release.set()
        smtp.data_answer = None
    for _ in range(200):  # the server records the held message once it has answered it
        if len(smtp.received) >= KILL_AT:
            break
        time.sleep(0.05)


def _history(smtp) -> dict[str, list]:
    """Recipient → (method, SEQUENCE, start) of each message, in the order the server received them."""
    found: dict[str, list] = {}
    for received in list(smtp.received):
        invite = take_apart(received)
        found.setdefault(invite.recipient, []).append((invite.method, invite.sequence, invite.start_utc()))
    return found


def _never_back_in_time(history: dict[str, list]) -> None:
    for recipient, messages in history.items():
        sequences = [sequence for _method, sequence, _start in messages]
        assert sequences == sorted(sequences), f"{recipient} got {messages}"


def _outbox_statuses(meeting):
    from tests.invitations.support import outbox_rows

    return [(row.kind, row.sequence, row.status) for row in outbox_rows(meeting)]


@pytest.fixture()
def killed_mid_batch(small_meeting, users, app_ctx, smtp):
    """Invitations to five seats; the sender dies in the third one's transfer: two sent, one in doubt (the
    server did get it), two claimed and never tried."""
    from meetcore.invitations.sending import send_invitations

    send_invitations(small_meeting, by=users["secretariat"])
    _kill_mid_batch(app_ctx, smtp)
    statuses = [status for _kind, _sequence, status in _outbox_statuses(small_meeting)]
    assert statuses == ["sent", "sent", "sending", "claimed", "claimed"]
    assert len(smtp.received) == KILL_AT
    return small_meeting


def test_cancelled_after_the_sender_was_killed_no_invitation_follows_its_cancellation(
    killed_mid_batch, users, app_ctx, smtp
):
    from meetcore.meetings.services import cancel_meeting

    meeting = killed_mid_batch
    cancel_meeting(meeting, {"reason": "ประธานติดภารกิจ"}, by=users["secretariat"])
    _run(app_ctx)  # restarted at once: the dead sender's rows are not yet taken over, the CANCELs go
    _run(app_ctx, claim_timeout=0)  # and once they are taken over (the claim timeout has passed)
    history = _history(smtp)
    _never_back_in_time(history)
    assert len(history) == 5
    for recipient, messages in history.items():
        assert messages[-1][:2] == ("CANCEL", 1), recipient  # each one's last message is the newest state
    # The two invitations never tried and the one in doubt were superseded, not sent after the CANCEL.
    assert sorted(_outbox_statuses(meeting)) == sorted(
        [("invitation", 0, "sent")] * 2
        + [("invitation", 0, "superseded")] * 3
        + [("cancellation", 1, "sent")] * 5
    )


def test_moved_after_the_sender_was_killed_nobody_gets_the_old_time_after_the_new(
    killed_mid_batch, users, app_ctx, smtp
):
    from meetcore.meetings.services import update_meeting

    meeting = killed_mid_batch
    old_start = meeting.start_at
    new_start, new_end = meeting.start_at + timedelta(days=1), meeting.end_at + timedelta(days=1)
    update_meeting(meeting, {"start_at": new_start, "end_at": new_end}, by=users["secretariat"])
    _run(app_ctx)
    _run(app_ctx, claim_timeout=0)
    history = _history(smtp)
    _never_back_in_time(history)
    assert len(history) == 5
    for recipient, messages in history.items():
        method, sequence, start = messages[-1]
        assert (method, sequence, start) == ("REQUEST", 1, new_start), recipient
        assert all(start == old_start for _m, s, start in messages if s == 0)


def test_resend_failed_after_a_newer_update_sends_nothing_older(small_meeting, users, smtp):
    from meetcore.invitations.sending import send_invitations
    from meetcore.mail import services as outbox
    from meetcore.meetings.services import update_meeting

    send_invitations(small_meeting, by=users["secretariat"])
    smtp.rcpt_answer = lambda address: "550 5.2.2 mailbox full" if address == "vg1@example.org" else None
    deliver()
    smtp.rcpt_answer = None  # the mailbox has room again
    update_meeting(small_meeting, {"venue": "ห้องประชุม 3"}, by=users["secretariat"])
    deliver()
    assert outbox.resend_failed(small_meeting, by=users["secretariat"]) == 0
    deliver()
    history = _history(smtp)
    _never_back_in_time(history)
    assert [m[:2] for m in history["vg1@example.org"]] == [("REQUEST", 1)]
    failed = [row for row in _outbox_statuses(small_meeting) if row[:2] == ("invitation", 0)]
    assert sorted(status for *_rest, status in failed) == ["sent"] * 4 + ["superseded"]


def test_a_message_due_behind_a_newer_one_is_superseded_when_its_turn_comes(small_meeting, users, smtp):
    """In-process, without killing anything: a claimed invitation whose meeting is moved before its
    transfer begins is superseded at that moment, and each message's Date is the moment it was sent."""
    from meetcore.database import utcnow
    from meetcore.extensions import db
    from meetcore.invitations.sending import send_invitations
    from meetcore.mail import claims, sender
    from meetcore.meetings.services import update_meeting
    from tests.invitations.support import outbox_rows

    send_invitations(small_meeting, by=users["secretariat"])
    token, rows = claims._claim(utcnow(), 100)  # a sender has taken the batch ...
    update_meeting(small_meeting, {"venue": "ห้องประชุม 3"}, by=users["secretariat"])  # ... the venue changes
    report = claims.DeliveryReport()
    sending_time = utcnow()
    sender._deliver_batch(token, rows, lambda: sending_time, report)
    assert report.superseded == 5 and report.sent == 0
    db.session.expire_all()
    assert {row.status for row in outbox_rows(small_meeting) if row.sequence == 0} == {"superseded"}
    deliver(now=sending_time + timedelta(minutes=5))
    dates = {take_apart(r).message["Date"].datetime for r in smtp.received}
    assert dates == {(sending_time + timedelta(minutes=5)).replace(microsecond=0)}


def test_a_newer_message_waits_while_an_older_one_to_the_same_person_is_in_another_senders_transfer(
    small_meeting, users, app_ctx, smtp
):
    """Two live senders: one is in the middle of an invitation's transfer when the meeting moves; the other,
    sending the update, must not overtake it (the recipient's server would get the new time, then the old)."""
    from meetcore.database import utcnow
    from meetcore.extensions import db
    from meetcore.invitations.sending import send_invitations
    from meetcore.mail import claims, sender, transfer
    from meetcore.meetings.services import update_meeting

    send_invitations(small_meeting, by=users["secretariat"])
    token, (slow,) = claims._claim(utcnow(), 1)  # the first sender has begun one invitation's transfer
    assert claims._start(slow, token, utcnow())
    db.session.commit()
    update_meeting(small_meeting, {"venue": "ห้องประชุม 3"}, by=users["secretariat"])

    report = sender.deliver_outbox()  # the second sender
    assert slow.recipient not in smtp.counts()
    assert (report.sent, report.waiting) == (4, 1)

    smtp_session = transfer.SmtpConnection(app_ctx.config).open()  # the first sender's transfer ends
    outcome, _usable = transfer._send_one(smtp_session, slow)
    claims._record(outcome, token, slow.attempts, utcnow(), claims.DeliveryReport())
    db.session.commit()
    smtp_session.quit()
    assert sender.deliver_outbox(now=utcnow() + claims.WAIT_FOR_OLDER).sent == 1

    history = _history(smtp)
    _never_back_in_time(history)
    assert [m[:2] for m in history[slow.recipient]] == [("REQUEST", 0), ("REQUEST", 1)]
