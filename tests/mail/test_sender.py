"""The outbox sender against a real SMTP server: one connection per batch, back-off on 4xx, failure on 5xx,
no message twice when a sender dies in the middle of a batch."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from meetcore.database import utcnow
from tests.mail.support import outbox_by_recipient, queue_notices


def test_without_smtp_host_mail_stays_in_the_outbox(mail_config):
    from meetcore.mail.sender import deliver_outbox

    mail_config["MEETCORE_SMTP_HOST"] = None
    queue_notices(2)
    report = deliver_outbox()
    assert report.skipped and report.sent == 0
    assert {m.status for m in outbox_by_recipient().values()} == {"pending"}


def test_one_connection_per_batch_and_each_message_once(smtp):
    from meetcore.mail.sender import deliver_outbox

    queue_notices(30)
    report = deliver_outbox()
    assert report.sent == 30 and report.batches == 1 and report.connections == 1
    assert smtp.connections == 1
    assert set(smtp.counts().values()) == {1} and len(smtp.counts()) == 30
    rows = outbox_by_recipient()
    assert {m.status for m in rows.values()} == {"sent"}
    assert all(m.sent_at is not None and m.claim_token is None for m in rows.values())
    # The Message-ID on the wire is the one stored for the row.
    by_recipient = smtp.by_recipient()
    for recipient, row in rows.items():
        assert by_recipient[recipient][0].message["Message-ID"] == f"<{row.message_id}>"
    # Nothing left: a second run sends nothing and opens no connection.
    smtp.clear()
    assert deliver_outbox().sent == 0
    assert smtp.connections == 0


def test_batches_of_the_configured_size_each_on_its_own_connection(smtp, mail_config):
    from meetcore.mail.sender import deliver_outbox

    mail_config["MEETCORE_MAIL_BATCH_SIZE"] = 4
    queue_notices(10)
    report = deliver_outbox()
    assert report.sent == 10 and report.batches == 3
    assert smtp.connections == 3


def test_temporary_failure_backs_off_doubling_then_succeeds(smtp, mail_config):
    from meetcore.mail.sender import deliver_outbox

    refusals = {"left": 3}

    def answer(address):
        if address == "person1@example.org" and refusals["left"]:
            refusals["left"] -= 1
            return "451 4.7.1 greylisted, try again later"
        return None

    smtp.rcpt_answer = answer
    queue_notices(3)
    now = utcnow()
    report = deliver_outbox(now=now)
    assert report.sent == 2 and report.deferred == 1
    row = outbox_by_recipient()["person1@example.org"]
    assert (row.status, row.attempts, row.last_code) == ("pending", 1, 451)
    assert row.next_attempt_at == now + timedelta(seconds=60)
    # Not due yet: nothing happens.
    assert deliver_outbox(now=now + timedelta(seconds=30)).attempted == 0
    deliver_outbox(now=now + timedelta(seconds=60))
    row = outbox_by_recipient()["person1@example.org"]
    assert row.attempts == 2 and row.next_attempt_at == now + timedelta(seconds=60 + 120)
    deliver_outbox(now=now + timedelta(seconds=180))
    assert outbox_by_recipient()["person1@example.org"].next_attempt_at == now + timedelta(seconds=180 + 240)
    deliver_outbox(now=now + timedelta(seconds=420))
    row = outbox_by_recipient()["person1@example.org"]
    assert (row.status, row.attempts) == ("sent", 4)
    assert smtp.counts() == {f"person{i}@example.org": 1 for i in range(3)}


def test_too_many_temporary_failures_make_it_failed(smtp, mail_config):
    from meetcore.mail.sender import deliver_outbox

    mail_config["MEETCORE_MAIL_MAX_ATTEMPTS"] = 3
    smtp.rcpt_answer = lambda address: "452 4.2.2 mailbox full"
    queue_notices(1)
    now = utcnow()
    for step in range(5):
        deliver_outbox(now=now + timedelta(hours=step))
    row = outbox_by_recipient()["person0@example.org"]
    assert (row.status, row.attempts, row.last_code) == ("failed", 3, 452)


def test_permanent_failure_is_failed_at_once_and_others_arrive(smtp):
    from meetcore.mail.sender import deliver_outbox

    smtp.rcpt_answer = lambda address: "550 5.1.1 no such user" if address == "person2@example.org" else None
    queue_notices(5)
    report = deliver_outbox()
    assert report.sent == 4 and report.failed == 1
    rows = outbox_by_recipient()
    assert (rows["person2@example.org"].status, rows["person2@example.org"].last_code) == ("failed", 550)
    assert "no such user" in rows["person2@example.org"].last_error
    assert "person2@example.org" not in smtp.counts() and len(smtp.counts()) == 4


def test_data_refused_temporarily_is_retried(smtp):
    from meetcore.mail.sender import deliver_outbox

    refused = {"left": 2}

    def answer(envelope):
        if refused["left"]:
            refused["left"] -= 1
            return "451 4.3.0 temporary local problem"
        return None

    smtp.data_answer = answer
    queue_notices(3)
    now = utcnow()
    for step in range(4):
        deliver_outbox(now=now + timedelta(hours=step))
    assert smtp.counts() == {f"person{i}@example.org": 1 for i in range(3)}


def test_server_unreachable_keeps_everything_waiting_without_counting_attempts(mail_config):
    from meetcore.mail.sender import deliver_outbox
    from tests.mail.smtp_server import free_port

    mail_config["MEETCORE_SMTP_HOST"] = "127.0.0.1"
    mail_config["MEETCORE_SMTP_PORT"] = free_port()  # nobody listens there
    queue_notices(3)
    now = utcnow()
    report = deliver_outbox(now=now)
    assert report.sent == 0 and report.deferred == 3
    rows = outbox_by_recipient()
    assert {(m.status, m.attempts) for m in rows.values()} == {("pending", 0)}
    assert all(m.next_attempt_at > now and "cannot reach" in m.last_error for m in rows.values())


def test_two_senders_claim_disjoint_batches(smtp, mail_config):
    from meetcore.mail.claims import _claim

    queue_notices(6)
    now = utcnow()
    first_token, first = _claim(now, 4)
    second_token, second = _claim(now, 4)
    assert first_token != second_token
    assert len(first) == 4 and len(second) == 2
    assert not {row.id for row in first} & {row.id for row in second}
    assert _claim(now, 4)[1] == []


class SenderDied(BaseException):
    """Stands for the process being killed (not an Exception: nothing may catch it)."""


def _die_at(monkeypatch, recipient: str, *, after_data: bool) -> None:
    from meetcore.mail import sender

    real = sender._send_one

    def send_one(smtp_connection, row, *rest):
        if row.recipient == recipient and not after_data:
            raise SenderDied()
        result = real(smtp_connection, row, *rest)
        if row.recipient == recipient:
            raise SenderDied()
        return result

    monkeypatch.setattr(sender, "_send_one", send_one)


def _lease(config) -> timedelta:
    return timedelta(seconds=int(config["MEETCORE_MAIL_CLAIM_TIMEOUT"]))


def test_sender_dying_mid_batch_sends_nothing_twice(smtp, mail_config, monkeypatch):
    from meetcore.extensions import db
    from meetcore.mail.sender import deliver_outbox

    queue_notices(6)
    _die_at(monkeypatch, "person2@example.org", after_data=False)
    now = utcnow()
    with pytest.raises(SenderDied):
        deliver_outbox(now=now)
    db.session.rollback()
    monkeypatch.undo()
    statuses = {r: m.status for r, m in outbox_by_recipient().items()}
    assert [statuses[f"person{i}@example.org"] for i in range(6)] == [
        "sent", "sent", "sending", "claimed", "claimed", "claimed",
    ]  # fmt: skip
    # Another run while the dead sender's lease lasts leaves its rows alone.
    assert deliver_outbox(now=now + _lease(mail_config) / 2).attempted == 0
    # Once it has run out, they are sent; the one in flight (it never reached DATA here) too, exactly once.
    report = deliver_outbox(now=now + _lease(mail_config) + timedelta(seconds=1))
    assert report.sent == 4 and report.reclaimed == 4
    assert smtp.counts() == {f"person{i}@example.org": 1 for i in range(6)}


def test_message_in_doubt_is_held_when_configured_at_most_once(smtp, mail_config, monkeypatch):
    from meetcore.extensions import db
    from meetcore.mail.claims import IN_DOUBT_NOTE
    from meetcore.mail.sender import deliver_outbox

    mail_config["MEETCORE_MAIL_IN_DOUBT"] = "hold"
    queue_notices(3)
    _die_at(monkeypatch, "person1@example.org", after_data=True)  # dies after the server took it
    now = utcnow()
    with pytest.raises(SenderDied):
        deliver_outbox(now=now)
    db.session.rollback()
    monkeypatch.undo()
    deliver_outbox(now=now + _lease(mail_config) + timedelta(seconds=1))
    rows = outbox_by_recipient()
    assert rows["person1@example.org"].status == "failed"
    assert rows["person1@example.org"].last_error == IN_DOUBT_NOTE
    assert smtp.counts() == {f"person{i}@example.org": 1 for i in range(3)}


def test_message_in_doubt_is_resent_with_the_same_message_id_by_default(smtp, mail_config, monkeypatch):
    from meetcore.extensions import db
    from meetcore.mail.sender import deliver_outbox

    queue_notices(2)
    _die_at(monkeypatch, "person0@example.org", after_data=True)
    now = utcnow()
    with pytest.raises(SenderDied):
        deliver_outbox(now=now)
    db.session.rollback()
    monkeypatch.undo()
    deliver_outbox(now=now + _lease(mail_config) + timedelta(seconds=1))
    copies = smtp.by_recipient()["person0@example.org"]
    # At least once: the one message in flight when the sender died arrives twice, recognisably the same.
    assert len(copies) == 2
    assert copies[0].message["Message-ID"] == copies[1].message["Message-ID"]
    # The same bytes but for the Date header, which is set when a message is handed over.
    undated = [re.sub(rb"(?m)^Date: [^\r\n]*", b"", copy.data) for copy in copies]
    assert undated[0] == undated[1]
    assert smtp.counts()["person1@example.org"] == 1
    assert {m.status for m in outbox_by_recipient().values()} == {"sent"}


@pytest.mark.parametrize("policy, copies, status", [("hold", 1, "failed"), ("resend", 2, "sent")])
def test_a_connection_lost_after_a_messages_data_is_a_transfer_in_doubt(smtp, mail_config, policy, copies,
                                                                         status):  # fmt: skip
    """The server has the whole message but the connection drops before its answer: maybe delivered. With
    hold it is not sent again (at most once); with resend it is, recognisably the same."""
    from meetcore.mail import sender, transfer

    mail_config["MEETCORE_MAIL_IN_DOUBT"] = policy
    queue_notices(3)
    dropped = []

    def drop_once(envelope) -> bool:
        drop = envelope.rcpt_tos == ["person1@example.org"] and not any(dropped)
        dropped.append(drop)
        return drop

    smtp.drop_after_data = drop_once
    now = utcnow()
    sender.deliver_outbox(now=now)
    sender.deliver_outbox(now=now + timedelta(hours=2))  # past any back-off
    copies_of = smtp.by_recipient()["person1@example.org"]
    assert len(copies_of) == copies
    assert len({copy.message["Message-ID"] for copy in copies_of}) == 1
    assert smtp.counts()["person0@example.org"] == smtp.counts()["person2@example.org"] == 1
    row = outbox_by_recipient()["person1@example.org"]
    assert row.status == status
    if policy == "hold":
        assert row.last_error.startswith(transfer.IN_DOUBT_LOST_NOTE)


def test_smtp_auth(mail_config):
    """The sender signs in when MEETCORE_SMTP_USERNAME is set."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    from meetcore.mail.sender import deliver_outbox
    from tests.mail.smtp_server import Recorder, free_port

    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.login == b"meetcore" and auth_data.password == b"s3cret")

    recorder = Recorder()
    port = free_port()
    controller = Controller(
        recorder, hostname="127.0.0.1", port=port, authenticator=authenticator, auth_require_tls=False
    )
    controller.start()
    try:
        mail_config.update(
            MEETCORE_SMTP_HOST="127.0.0.1",
            MEETCORE_SMTP_PORT=port,
            MEETCORE_SMTP_USERNAME="meetcore",
            MEETCORE_SMTP_PASSWORD="s3cret",
        )
        queue_notices(2)
        assert deliver_outbox().sent == 2
    finally:
        controller.stop()
    assert logins == [(b"meetcore", b"s3cret")]
    assert len(recorder.received) == 2


def test_resend_puts_a_failed_message_back(smtp, users, meeting, client):
    from meetcore.errors import PermissionDenied
    from meetcore.extensions import db
    from meetcore.mail import services
    from meetcore.mail.message import build_message, sender_address
    from meetcore.mail.sender import deliver_outbox

    built = build_message(to="wrong@example.org", to_name=None, subject="x", text="x")
    message = services.enqueue(
        built, kind="notice", recipient="wrong@example.org", recipient_name=None, subject="x",
        sender=sender_address(), meeting_id=meeting.id,
    )  # fmt: skip
    db.session.commit()
    smtp.rcpt_answer = lambda address: "550 5.1.1 unknown"
    deliver_outbox()
    with pytest.raises(PermissionDenied):
        services.resend_message(meeting, message.id, by=users["chair"])
    db.session.rollback()
    services.resend_message(meeting, message.id, by=users["secretariat"])
    smtp.rcpt_answer = None
    deliver_outbox()
    db.session.expire_all()
    assert message.status == "sent" and message.attempts == 1
    assert smtp.counts() == {"wrong@example.org": 1}
