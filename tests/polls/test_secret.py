"""A secret poll keeps THAT a seat voted apart from WHAT it voted: nothing in any table's rows, the event
log or the log lines links the two (docs/polls.md). Two secret polls are voted by the same seats in the same
order with the choices swapped between them: anything that recorded who chose what would tell them apart."""

from __future__ import annotations

import json
import logging

import sqlalchemy as sa

from meetcore.extensions import db
from tests.polls.conftest import command
from tests.polls.test_live import _opened, _snapshot_poll

YES, NO = 0, 1


def _all_rows() -> dict[str, set[str]]:
    """Every row of every table, as text."""
    db.session.rollback()
    rows: dict[str, set[str]] = {}
    for table in db.metadata.sorted_tables:
        found = db.session.execute(sa.select(table)).mappings().all()
        rows[table.name] = {json.dumps(dict(row), default=str, sort_keys=True, ensure_ascii=False)
                            for row in found}  # fmt: skip
    return rows


def _without_poll_id(row: dict) -> dict:
    return {key: value for key, value in row.items() if key != "poll_id"}


def test_nothing_links_a_seat_to_its_secret_choice(
    in_session, seats, item, seat_socket, staff_socket, caplog
):
    from meetcore.eventlog.models import MeetingEvent
    from meetcore.polls.models import PollSeat, PollTally

    caplog.set_level(logging.DEBUG)
    chair = staff_socket("chair", in_session)
    a, b = seat_socket(seats["cm_sd"]), seat_socket(seats["sk_sd"])
    first = _opened(chair, in_session, item, secret=True)
    second = _opened(chair, in_session, item, secret=True)
    before = _all_rows()
    last_seq = db.session.scalar(sa.select(sa.func.max(MeetingEvent.seq)))

    receipts = []
    for poll_id, choices in ((first, (YES, NO)), (second, (NO, YES))):
        for sio, choice in zip((a, b), choices, strict=True):
            ack = command(sio, "poll.vote", in_session, poll_id=poll_id, choices=[choice])
            assert ack["ok"], ack
            receipts.append(ack["ballot"]["receipt"])

    after = _all_rows()
    changed = {name for name in after if after[name] != before[name]}
    assert changed <= {"meetings", "meeting_events", "polls", "poll_seats", "poll_tallies"}, changed
    # The entitlements and counters of the two polls are the same; no choice, name or time is kept.
    db.session.rollback()
    for model in (PollSeat, PollTally):
        of = {poll_id: sorted(json.dumps(_without_poll_id({c.name: getattr(row, c.name)
                                                           for c in model.__table__.columns}), sort_keys=True)
                              for row in db.session.scalars(sa.select(model).where(model.poll_id == poll_id)))
              for poll_id in (first, second)}  # fmt: skip
        assert of[first] == of[second], model.__name__
    assert not db.session.scalar(sa.select(sa.func.count()).where(
        PollSeat.poll_id.in_([first, second]),
        sa.or_(PollSeat.choices.is_not(None), PollSeat.voter_name.is_not(None)),
    ))  # fmt: skip
    # The vote events: no seat, no choice; the same for both polls.
    votes = db.session.scalars(
        sa.select(MeetingEvent).where(MeetingEvent.seq > last_seq).order_by(MeetingEvent.seq)
    ).all()
    assert [event.kind for event in votes] == ["poll.voted"] * 4
    assert all(event.actor_seat_id is None and event.actor_user_id is None for event in votes)
    payloads = [_without_poll_id(event.payload) for event in votes]
    assert payloads[:2] == payloads[2:]
    # No receipt anywhere but with its voter; no log line speaks of a choice.
    everything = "\n".join(row for table in after.values() for row in table)
    assert not any(receipt.split(".")[1] in everything for receipt in receipts)
    assert not any("choice" in record.getMessage() or "receipt" in record.getMessage()
                   for record in caplog.records)  # fmt: skip

    for poll_id in (first, second):
        assert command(chair, "poll.close", in_session, poll_id=poll_id)["ok"]
        result = _snapshot_poll(a, in_session, poll_id)["result"]
        assert result["tally"] == [1, 1, 0] and "votes" not in result


def test_a_secret_vote_changes_only_with_its_receipt(in_session, seats, item, seat_socket, staff_socket):
    chair = staff_socket("chair", in_session)
    voter = seat_socket(seats["cm_sd"])
    other = seat_socket(seats["sk_sd"])
    poll_id = _opened(chair, in_session, item, secret=True)
    cast = command(voter, "poll.vote", in_session, poll_id=poll_id, choices=[YES])["ballot"]
    again = command(voter, "poll.vote", in_session, poll_id=poll_id, choices=[NO])
    assert again["error"]["code"] == "conflict"
    forged = command(voter, "poll.vote", in_session, poll_id=poll_id, choices=[NO],
                     previous={"choices": [NO], "receipt": cast["receipt"]})  # fmt: skip
    assert forged["error"]["code"] == "conflict"
    # Another seat's receipt does not change this seat's vote either.
    theirs = command(other, "poll.vote", in_session, poll_id=poll_id, choices=[NO])["ballot"]
    stolen = command(voter, "poll.vote", in_session, poll_id=poll_id, choices=[NO],
                     previous={"choices": [NO], "receipt": theirs["receipt"]})  # fmt: skip
    assert stolen["error"]["code"] == "conflict"
    changed = command(voter, "poll.vote", in_session, poll_id=poll_id, choices=[NO],
                      previous={"choices": cast["choices"], "receipt": cast["receipt"]})  # fmt: skip
    assert changed["ok"], changed
    # The old receipt is spent: replaying it cannot count the earlier choice out twice.
    replay = command(voter, "poll.vote", in_session, poll_id=poll_id, choices=[YES],
                     previous={"choices": cast["choices"], "receipt": cast["receipt"]})  # fmt: skip
    assert replay["error"]["code"] == "conflict"
    assert _snapshot_poll(chair, in_session, poll_id)["voted_count"] == 2
    assert command(chair, "poll.close", in_session, poll_id=poll_id)["ok"]
    assert _snapshot_poll(chair, in_session, poll_id)["result"]["tally"] == [0, 2, 0]
    ballots = command(voter, "poll.my_ballots", in_session)["ballots"]
    assert ballots == [{"poll_id": poll_id, "seat_id": seats["cm_sd"].id, "voted": True, "choices": None}]
