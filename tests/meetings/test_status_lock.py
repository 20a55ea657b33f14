"""Every change of a meeting's status takes the meeting's row lock (meetings.services._change_status): two
changes at the same moment, from two threads with their own connections (two processes, as far as the
database can tell), are made one after the other, and the meeting ends in one consistent state with one
event for the change that was made. Real row locks on PostgreSQL (MEETCORE_TEST_DATABASE_URL); SQLite's
write lock serialises them too."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from meetcore.errors import Conflict
from meetcore.eventlog.models import MeetingEvent
from meetcore.extensions import db
from meetcore.meetings import services
from meetcore.meetings.models import Meeting
from meetcore.transaction import commit
from tests.starting import start_now


def _at_once(app, meeting_id: int, user_id: int, *changes) -> list:
    """Run each change (meeting, user) in its own thread and transaction, released together."""
    from meetcore.auth.models import User

    db.session.remove()
    barrier = threading.Barrier(len(changes))
    outcomes: list = [None] * len(changes)

    def run(index: int, change) -> None:
        with app.app_context():
            try:
                meeting, by = db.session.get(Meeting, meeting_id), db.session.get(User, user_id)
                barrier.wait(timeout=10)
                change(meeting, by)
                commit()  # each thread is an entry point
                outcomes[index] = "ok"
            except Exception as error:  # noqa: BLE001 - the outcome is what the test checks
                db.session.rollback()
                outcomes[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, change)) for i, change in enumerate(changes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def _one_made_one_refused(outcomes: list) -> bool:
    return outcomes.count("ok") == 1 and sum(isinstance(outcome, Conflict) for outcome in outcomes) == 1


def _kinds(meeting_id: int) -> list[str]:
    query = sa.select(MeetingEvent.kind).where(MeetingEvent.meeting_id == meeting_id)
    return list(db.session.scalars(query.order_by(MeetingEvent.seq)))


def test_a_start_and_a_cancel_at_once_make_one_of_them(app, meeting, users):
    meeting_id, user_id = meeting.id, users["secretariat"].id
    outcomes = _at_once(
        app, meeting_id, user_id,
        lambda m, by: start_now(m, by=by),
        lambda m, by: services.cancel_meeting(m, {"reason": "ประธานติดภารกิจ"}, by=by),
    )  # fmt: skip
    assert _one_made_one_refused(outcomes), outcomes
    status = db.session.get(Meeting, meeting_id).status
    kinds = [kind for kind in _kinds(meeting_id) if kind in ("meeting.started", "meeting.cancelled")]
    if outcomes[0] == "ok":
        assert (status, kinds) == ("live", ["meeting.started"])
    else:
        assert (status, kinds) == ("cancelled", ["meeting.cancelled"])


def test_two_ends_at_once_end_it_once(app, meeting, users):
    start_now(meeting, by=users["secretariat"])
    commit()
    meeting_id, user_id = meeting.id, users["secretariat"].id
    end = lambda m, by: services.end_meeting(m, by=by)  # noqa: E731
    outcomes = _at_once(app, meeting_id, user_id, end, end)
    assert _one_made_one_refused(outcomes), outcomes
    assert db.session.get(Meeting, meeting_id).status == "ended"
    assert _kinds(meeting_id).count("meeting.ended") == 1
