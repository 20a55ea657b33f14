"""Polls from the outside: raw Socket.IO clients for the staff, the seats and a provincial hall."""

from __future__ import annotations

import sqlalchemy as sa

from meetcore.extensions import db
from tests.polls.conftest import command, events_through, kinds_by_seq, poll_events

YES, NO, ABSTAIN = 0, 1, 2


def _prepared(staff, meeting, item, **values) -> int:
    """Prepared by the secretariat (a signed-in client of its own when `staff` is the chair's)."""
    ack = command(staff, "poll.prepare", meeting, item_id=item.id, question="เห็นชอบแผนหรือไม่", **values)
    if not ack["ok"] and ack["error"]["code"] == "forbidden":
        from meetcore.auth.models import User
        from meetcore.polls.services import prepare_poll

        secretariat = db.session.scalars(sa.select(User).where(User.role == "secretariat")).first()
        poll = prepare_poll(meeting, item.id, {"question": "เห็นชอบแผนหรือไม่", **values}, by=secretariat)
        db.session.commit()
        return poll.id
    assert ack["ok"], ack
    return ack["poll_id"]


def _opened(staff, meeting, item, **values) -> int:
    poll_id = _prepared(staff, meeting, item, **values)
    ack = command(staff, "poll.open", meeting, poll_id=poll_id)
    assert ack["ok"], ack
    return poll_id


def _snapshot_poll(sio, meeting, poll_id) -> dict:
    snapshot = sio.emit("join", {"meeting_id": meeting.id}, callback=True)["snapshot"]
    return next(poll for poll in snapshot["polls"] if poll["id"] == poll_id)


def test_entitled_seats_are_those_present_at_open_of_the_poll_roles(
    in_session, seats, item, seat_socket, staff_socket
):
    chair = staff_socket("chair", in_session)
    cm_sd, sk_sd, sk_lab = (
        seat_socket(seats["cm_sd"]),
        seat_socket(seats["sk_sd"]),
        seat_socket(seats["sk_lab"]),
    )
    poll_id = _opened(chair, in_session, item, role_codes=["social_development"])
    poll = _snapshot_poll(chair, in_session, poll_id)
    assert poll["entitled_seat_ids"] == sorted([seats["cm_sd"].id, seats["sk_sd"].id])

    assert command(cm_sd, "poll.vote", in_session, poll_id=poll_id, choices=[YES])["ok"]
    assert command(sk_sd, "poll.vote", in_session, poll_id=poll_id, choices=[NO])["ok"]
    # Present but of another role; and a seat that arrived after the poll opened.
    refused = command(sk_lab, "poll.vote", in_session, poll_id=poll_id, choices=[YES])
    assert refused["error"]["code"] == "forbidden"
    late = seat_socket(seats["cm_lab"])
    assert (
        command(late, "poll.vote", in_session, poll_id=poll_id, choices=[YES])["error"]["code"] == "forbidden"
    )
    # A seat's link votes for its own seat only; the staff do not vote.
    other = command(cm_sd, "poll.vote", in_session, poll_id=poll_id, seat_id=seats["sk_sd"].id, choices=[YES])
    assert other["error"]["code"] == "forbidden"
    assert command(chair, "poll.vote", in_session, poll_id=poll_id, seat_id=seats["cm_sd"].id,
                   choices=[YES])["error"]["code"] == "forbidden"  # fmt: skip
    assert _snapshot_poll(chair, in_session, poll_id)["voted_count"] == 2


def test_close_once_then_no_vote_and_the_result_becomes_the_decision(
    in_session, seats, item, seat_socket, staff_socket
):
    from meetcore.minutes.models import Decision

    chair = staff_socket("chair", in_session)
    voters = {key: seat_socket(seats[key]) for key in ("cm_sd", "cm_lab", "sk_sd")}
    poll_id = _opened(chair, in_session, item)
    assert command(voters["cm_sd"], "poll.vote", in_session, poll_id=poll_id, choices=[NO])["ok"]
    # An open poll: a later vote of the same seat replaces the earlier one.
    assert command(voters["cm_sd"], "poll.vote", in_session, poll_id=poll_id, choices=[YES])["ok"]
    assert command(voters["cm_lab"], "poll.vote", in_session, poll_id=poll_id, choices=[YES])["ok"]
    assert command(voters["sk_sd"], "poll.vote", in_session, poll_id=poll_id, choices=[ABSTAIN])["ok"]
    closed = command(chair, "poll.close", in_session, poll_id=poll_id)
    assert closed["ok"] and closed["seq"], closed

    again = command(chair, "poll.close", in_session, poll_id=poll_id)
    assert again["error"]["code"] == "conflict"
    after = command(voters["cm_lab"], "poll.vote", in_session, poll_id=poll_id, choices=[NO])
    assert after["error"]["code"] == "conflict"

    # Everyone sees the same result, with the names of an open poll.
    seen = [_snapshot_poll(sio, in_session, poll_id)["result"] for sio in (chair, *voters.values())]
    assert all(result == seen[0] for result in seen)
    assert seen[0]["tally"] == [2, 0, 1]
    assert (seen[0]["voted_count"], seen[0]["entitled_count"]) == (3, 3)
    assert seen[0]["quorum"] == {"present": 3, "roster": 4, "met": True}
    assert {vote["seat_id"]: vote["choices"] for vote in seen[0]["votes"]} == {
        seats["cm_sd"].id: [YES],
        seats["cm_lab"].id: [YES],
        seats["sk_sd"].id: [ABSTAIN],
    }

    db.session.rollback()
    decision = db.session.scalars(sa.select(Decision).where(Decision.agenda_item_id == item.id)).one()
    assert "เห็นชอบแผนหรือไม่" in decision.text and "2" in decision.text and "3" in decision.text
    # An open poll names its voters in the decision, one line each.
    assert len([line for line in decision.text.splitlines() if line.startswith("- ")]) == 3
    assert len(decision.present_seat_ids) == 3


def test_counts_go_to_the_staff_only_until_the_close(in_session, seats, item, seat_socket, staff_socket):
    secretariat = staff_socket("secretariat", in_session)
    reader = seat_socket(seats["sk_lab"])
    voter = seat_socket(seats["cm_sd"])
    poll_id = _opened(secretariat, in_session, item, results_live=True)
    assert command(voter, "poll.vote", in_session, poll_id=poll_id, choices=[YES])["ok"]

    staff_seen = poll_events(secretariat)
    assert [e["kind"] for e in staff_seen if e["kind"].startswith("poll.")] == [
        "poll.prepared",
        "poll.opened",
        "poll.voted",
    ]
    assert staff_seen[-1]["payload"]["counts"] == {"voted_count": 1, "live_tally": [1, 0, 0]}
    public = events_through(reader, staff_seen[-1]["seq"])
    opened = next(e for e in public if e["kind"] == "poll.opened")
    assert "counts" not in opened["payload"] and "voted_count" not in opened["payload"]["poll"]
    by_seq = kinds_by_seq(public)
    assert [by_seq[e["seq"]] for e in staff_seen if e["kind"] in ("poll.prepared", "poll.voted")] == [
        "redacted",
        "redacted",
    ]
    participant_view = _snapshot_poll(reader, in_session, poll_id)
    assert "voted_count" not in participant_view and participant_view["result"] is None
    assert _snapshot_poll(secretariat, in_session, poll_id)["live_tally"] == [1, 0, 0]

    assert command(secretariat, "poll.close", in_session, poll_id=poll_id)["ok"]
    closed = next(e for e in poll_events(reader) if e["kind"] == "poll.closed")
    assert closed["payload"]["poll"]["result"]["tally"] == [1, 0, 0]


def test_only_the_secretariat_prepares_and_only_staff_open(
    in_session, seats, item, seat_socket, staff_socket
):
    chair = staff_socket("chair", in_session)
    seat = seat_socket(seats["cm_sd"])
    refused = command(chair, "poll.prepare", in_session, item_id=item.id, question="ถาม")
    assert refused["error"]["code"] == "forbidden"
    secretariat = staff_socket("secretariat", in_session)
    poll_id = _prepared(
        secretariat, in_session, item, preset="choices", options=["ก", "ข", "ค"], max_choices=2
    )
    assert command(seat, "poll.open", in_session, poll_id=poll_id)["error"]["code"] == "forbidden"
    assert command(seat, "poll.vote", in_session, poll_id=poll_id, choices=[0])["error"]["code"] == "conflict"
    assert command(secretariat, "poll.open", in_session, poll_id=poll_id)["ok"]
    too_many = command(seat, "poll.vote", in_session, poll_id=poll_id, choices=[0, 1, 2])
    assert too_many["error"]["code"] == "invalid_input"
    assert (
        command(seat, "poll.vote", in_session, poll_id=poll_id, choices=[5])["error"]["code"]
        == "invalid_input"
    )
    assert command(seat, "poll.vote", in_session, poll_id=poll_id, choices=[0, 2])["ok"]
    secret_live = command(secretariat, "poll.prepare", in_session, item_id=item.id, question="ลับ",
                          secret=True,
                          results_live=True)  # fmt: skip
    assert secret_live["error"]["code"] == "invalid_input"


def test_a_provincial_hall_votes_for_each_role_ticked_present(
    in_session, seats, item, site_socket, staff_socket
):
    chair = staff_socket("chair", in_session)
    hall = site_socket(in_session, "TH-50")
    for key in ("cm_sd", "cm_lab"):
        assert command(hall, "site.roll_call", in_session, seat_id=seats[key].id, present=True)["ok"]
    poll_id = _opened(chair, in_session, item)
    assert (
        command(hall, "poll.vote", in_session, poll_id=poll_id, choices=[YES])["error"]["code"]
        == "invalid_input"
    )
    for key, choice in (("cm_sd", YES), ("cm_lab", NO)):
        ack = command(hall, "poll.vote", in_session, poll_id=poll_id, seat_id=seats[key].id, choices=[choice])
        assert ack["ok"], ack
    # Another province's seat, and a role no longer in the room.
    other = command(hall, "poll.vote", in_session, poll_id=poll_id, seat_id=seats["sk_sd"].id, choices=[YES])
    assert other["error"]["code"] == "forbidden"
    assert command(hall, "site.roll_call", in_session, seat_id=seats["cm_lab"].id, present=False)["ok"]
    gone = command(hall, "poll.vote", in_session, poll_id=poll_id, seat_id=seats["cm_lab"].id, choices=[YES])
    assert gone["error"]["code"] == "forbidden"
    ballots = command(hall, "poll.my_ballots", in_session)["ballots"]
    assert {(b["seat_id"], b["voted"], tuple(b["choices"])) for b in ballots} == {
        (seats["cm_sd"].id, True, (YES,)),
        (seats["cm_lab"].id, True, (NO,)),
    }
    assert _snapshot_poll(chair, in_session, poll_id)["voted_count"] == 2


def test_ending_the_meeting_closes_an_open_poll_as_it_stands(
    in_session, seats, item, seat_socket, staff_socket
):
    from meetcore.minutes.models import Decision

    secretariat = staff_socket("secretariat", in_session)
    voter = seat_socket(seats["cm_sd"])
    poll_id = _opened(secretariat, in_session, item)
    assert command(voter, "poll.vote", in_session, poll_id=poll_id, choices=[NO])["ok"]
    assert command(secretariat, "meeting.end", in_session)["ok"]
    poll = _snapshot_poll(secretariat, in_session, poll_id)
    assert poll["state"] == "closed" and poll["result"]["tally"] == [0, 1, 0]
    assert (
        command(voter, "poll.vote", in_session, poll_id=poll_id, choices=[YES])["error"]["code"] == "conflict"
    )
    db.session.rollback()
    assert (
        db.session.scalar(sa.select(sa.func.count(Decision.id)).where(Decision.agenda_item_id == item.id))
        == 1
    )


def test_a_burst_of_votes_reaches_participants_as_one_placeholder_before_the_close(
    app, in_session, seats, item, seat_socket, staff_socket, monkeypatch
):
    """Each vote is a staff-only count for the chair; participants get the run of them as one placeholder
    (first_seq..seq), held while the interval runs and sent before the next event they read."""
    monkeypatch.setitem(app.config, "MEETCORE_PLACEHOLDER_INTERVAL_MS", 60_000)  # only the close sends it
    secretariat = staff_socket("secretariat", in_session)
    voters = [seat_socket(seats[key]) for key in ("cm_sd", "cm_lab", "sk_sd", "sk_lab")]
    poll_id = _opened(secretariat, in_session, item)
    for sio in (secretariat, *voters):
        sio.get_received()
    seqs = [command(sio, "poll.vote", in_session, poll_id=poll_id, choices=[YES])["seq"] for sio in voters]
    seqs.append(command(voters[0], "poll.vote", in_session, poll_id=poll_id, choices=[NO])["seq"])
    assert seqs == list(range(seqs[0], seqs[0] + 5))
    assert poll_events(voters[1]) == []  # held: the open was just sent to them
    assert [e["payload"]["counts"]["voted_count"] for e in poll_events(secretariat)] == [1, 2, 3, 4, 4]

    assert command(secretariat, "poll.close", in_session, poll_id=poll_id)["ok"]
    received = poll_events(voters[1])
    assert [(e["kind"], e.get("first_seq"), e["seq"]) for e in received[:2]] == [
        ("redacted", seqs[0], seqs[-1]),
        ("poll.closed", None, seqs[-1] + 1),
    ]
    assert received[0]["payload"] == {}  # nothing of the votes, not even their number
