"""The invitations page shows the sending's progress as it happens (issue 15, 4e): a real server, a real
sender (`meetcore mail send`, another process) delivering to a real SMTP server, and Chromium watching the
counts change on a page that is never reloaded."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.live.browsers import chromium, prepare_reference, sign_in, wait_until
from tests.live.servers import ServerProcess, scratch_database_url
from tests.mail.smtp_server import SmtpServer


def _app(database_url: str):
    from meetcore import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "MEETCORE_ASYNC_MODE": "threading"})


def _sent_of_meeting(database_url: str, meeting_id: int) -> int:
    """What the database says was sent for the meeting (invitations, and any reminder the sender queued)."""
    import sqlalchemy as sa

    from meetcore.extensions import db
    from meetcore.mail.models import OutboxMessage

    with _app(database_url).app_context():
        count = db.session.scalar(sa.select(sa.func.count()).where(
            OutboxMessage.meeting_id == meeting_id, OutboxMessage.status == "sent"))  # fmt: skip
        db.session.remove()
        db.engine.dispose()
    return count


def _send_invitations(database_url: str, meeting_id: int, email: str) -> int:
    """The secretariat's "send" as the console's service does it, on the server's database."""
    import sqlalchemy as sa

    from meetcore.auth.models import User
    from meetcore.extensions import db
    from meetcore.invitations.sending import send_invitations
    from meetcore.meetings.models import Meeting
    from meetcore.transaction import commit

    with _app(database_url).app_context():
        user = db.session.scalars(sa.select(User).where(User.email == email)).one()
        sent = send_invitations(db.session.get(Meeting, meeting_id), by=user).sent
        commit()  # as the console's entry point (the request) commits
        db.session.remove()
        db.engine.dispose()
    return sent


@pytest.fixture()
def smtp():
    with SmtpServer() as server:
        yield server


def test_counts_update_without_a_reload_while_the_sender_works(tmp_path, smtp):
    url = scratch_database_url(tmp_path, "invitation_progress")
    data = prepare_reference(url)
    sent = _send_invitations(url, data.meeting_id, data.secretariat[0])
    assert sent > 500
    server = ServerProcess(url, tmp_path, name="progress").start()
    try:
        with chromium() as browser:
            page = browser.new_context(locale="th-TH").new_page()
            page.set_default_timeout(20_000)
            sign_in(page, server.base_url, data.secretariat[0])
            page.goto(f"{server.base_url}/meetings/{data.meeting_id}/invitations")
            assert page.inner_text("#outbox-pending") == str(sent) and page.inner_text("#outbox-sent") == "0"
            page.evaluate("() => { window.__notReloaded = true; }")
            sender = subprocess.run(
                [sys.executable, "-m", "meetcore", "mail", "send"], env={
                    **server.env, "MEETCORE_SMTP_HOST": "127.0.0.1", "MEETCORE_SMTP_PORT": str(smtp.port),
                }, capture_output=True, text=True, timeout=300,
            )  # fmt: skip
            assert sender.returncode == 0, sender.stderr
            done = _sent_of_meeting(url, data.meeting_id)
            assert done >= sent and len(smtp.recorder.received) >= done
            wait_until(lambda: page.inner_text("#outbox-sent") == str(done), timeout=30,
                       message="the sent count to reach every message")  # fmt: skip
            assert page.inner_text("#outbox-pending") == "0"
            assert f"ส่งแล้ว {done} จาก {done}" in page.inner_text("#outbox-progress-line")
            assert page.eval_on_selector("#outbox-progress-bar", "e => [e.value, e.max]") == [done, done]
            assert page.evaluate("() => window.__notReloaded === true")
    finally:
        server.stop()
