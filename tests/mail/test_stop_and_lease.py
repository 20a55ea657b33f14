"""Acceptance (issue 14, items 5 and 6): a stopped sender stops cleanly, a dead one is noticed in seconds, and
a crash costs at most the one message in transfer, sent twice with the same Message-ID. Real `meetcore mail
send` processes, real signals, a real SMTP server that holds a message's answer back so that the signal
lands in the middle of its transfer."""

from __future__ import annotations

import signal
from datetime import timedelta

from meetcore.database import utcnow
from tests.mail.support import HeldAnswer, outbox_by_recipient, queue_notices, start_sender, wait_until

IN_TRANSFER = 3  # the signal reaches the sender while the server holds the third message's answer
LEASE = 2  # seconds: short, so that the tests wait little; the default is MEETCORE_MAIL_CLAIM_TIMEOUT's


def _statuses() -> dict[str, str]:
    return {recipient: row.status for recipient, row in outbox_by_recipient().items()}


def _in_transfer_address() -> str:
    return f"person{IN_TRANSFER - 1}@example.org"


def _renewed():
    return outbox_by_recipient()[_in_transfer_address()].claimed_at


def test_sigterm_finishes_the_message_in_transfer_puts_the_rest_back_and_a_new_sender_sends_it_at_once(
    app_ctx, smtp
):
    queue_notices(40)
    with HeldAnswer(smtp, IN_TRANSFER) as hold:
        sender = start_sender(app_ctx, "--loop")
        assert hold.held.wait(60), "the sender never reached the message to be stopped in"
        sender.send_signal(signal.SIGTERM)  # an ordinary service stop, mid-transfer
    output, _ = sender.communicate(timeout=10)  # exits within a few seconds once its transfer is answered
    assert sender.returncode == 0, output.decode()

    statuses = _statuses()
    assert statuses[_in_transfer_address()] == "sent"  # the message in transfer was finished ...
    assert smtp.counts()[_in_transfer_address()] == 1
    assert not {"claimed", "sending"} & set(statuses.values())  # ... and nothing is left held
    waiting = [row for row in outbox_by_recipient().values() if row.status == "pending"]
    assert waiting and all(row.attempts == 0 and row.next_attempt_at <= utcnow() for row in waiting)

    second = start_sender(app_ctx)  # a new sender delivers the rest at once, not a lease later
    output, _ = second.communicate(timeout=60)
    assert second.returncode == 0 and f"sent {len(waiting)}," in output.decode(), output.decode()
    assert smtp.counts() == {f"person{i}@example.org": 1 for i in range(40)}


def test_a_killed_senders_batch_is_taken_over_when_its_lease_runs_out_with_one_message_at_most_twice(
    app_ctx, smtp
):
    queue_notices(6)
    with HeldAnswer(smtp, IN_TRANSFER) as hold:
        dead = start_sender(app_ctx, "--loop", claim_timeout=LEASE)
        assert hold.held.wait(60), "the sender never reached the message to die in"
        dead.send_signal(signal.SIGKILL)
        dead.wait(10)
    # The server did take the message it was holding: the dead sender never learnt so.
    wait_until(lambda: len(smtp.received) == IN_TRANSFER, timeout=10, what="the held message to arrive")
    assert set(_statuses().values()) == {"sent", "sending", "claimed"}

    # The new sender's rounds are 10 minutes apart: it wakes when the dead one's lease runs out. The wait
    # allows for a process starting on a loaded machine, and is still far below a round.
    survivor = start_sender(app_ctx, "--loop", "--interval", "600", claim_timeout=LEASE)
    try:
        wait_until(lambda: set(_statuses().values()) == {"sent"}, timeout=90,
                   what="the dead sender's batch to be taken over")  # fmt: skip
    finally:
        survivor.send_signal(signal.SIGTERM)
        output, _ = survivor.communicate(timeout=10)
    assert survivor.returncode == 0, output.decode()

    # At least once, and at most the one message that was in transfer twice: the same Message-ID.
    copies = smtp.by_recipient()
    assert {address: len(found) for address, found in copies.items()} == {
        f"person{i}@example.org": 2 if i == IN_TRANSFER - 1 else 1 for i in range(6)
    }
    twice = copies[_in_transfer_address()]
    assert twice[0].message["Message-ID"] == twice[1].message["Message-ID"]


def test_a_live_sender_renews_its_lease_so_a_slow_transfer_is_never_taken_over(app_ctx, smtp, mail_config):
    from meetcore.mail.sender import deliver_outbox

    mail_config["MEETCORE_MAIL_CLAIM_TIMEOUT"] = LEASE
    queue_notices(5)
    with HeldAnswer(smtp, IN_TRANSFER) as hold:
        slow = start_sender(app_ctx, claim_timeout=LEASE)
        assert hold.held.wait(60), "the sender never reached the slow message"
        started = _renewed()
        # Held for two leases and more, the transfer's lease is renewed all along ...
        wait_until(lambda: _renewed() > started + timedelta(seconds=2 * LEASE), timeout=10 * LEASE,
                   what="the lease to be renewed")  # fmt: skip
        # ... so another sender running now takes nothing over and sends nothing twice.
        report = deliver_outbox()
        assert (report.reclaimed, report.attempted) == (0, 0)
    output, _ = slow.communicate(timeout=30)
    assert slow.returncode == 0 and "sent 5," in output.decode(), output.decode()
    assert smtp.counts() == {f"person{i}@example.org": 1 for i in range(5)}
