"""The reconnect property for polls: a reader that held a snapshot, missed a poll's whole life (prepared,
changed, opened, voted, a vote changed, closed, a draft deleted) and rejoined with its last_seq, rebuilds
with the browser's own code (static/src/live-state.js under Node) exactly the fresh snapshot, as staff and
as a participant."""

from __future__ import annotations

from meetcore.extensions import db
from meetcore.polls import services as polls
from tests.live.replay import apply_in_browser_code, replayed_since, snapshot_of
from tests.polls.conftest import command


def _life_of_polls(meeting, item, users, voters, seats, stage: int) -> None:
    sec, chair = users["secretariat"], users["chair"]
    base = {"question": "เห็นชอบหรือไม่", "preset": "yes_no_abstain"}
    open_poll = polls.prepare_poll(meeting, item.id, {**base, "results_live": True}, by=sec)
    secret = polls.prepare_poll(meeting, item.id, {**base, "secret": True}, by=sec)
    draft = polls.prepare_poll(meeting, item.id, base, by=sec)
    polls.update_poll(meeting, open_poll.id, {**base, "question": "แก้ไขคำถาม", "results_live": True}, by=sec)
    db.session.commit()
    for poll in (open_poll, secret):
        polls.open_poll(meeting, poll.id, by=chair)
        db.session.commit()
    for sio, choice in zip(voters, (0, 1), strict=True):
        assert command(sio, "poll.vote", meeting, poll_id=open_poll.id, choices=[choice])["ok"]
        assert command(sio, "poll.vote", meeting, poll_id=secret.id, choices=[choice])["ok"]
    assert command(voters[0], "poll.vote", meeting, poll_id=open_poll.id, choices=[2])["ok"]
    if stage:
        polls.close_poll(meeting, open_poll.id, by=chair)
        polls.delete_poll(meeting, draft.id, by=sec)
        db.session.commit()


def test_replayed_poll_events_rebuild_a_fresh_snapshot(
    in_session, seats, item, seat_socket, staff_socket, users
):
    voters = [seat_socket(seats["cm_sd"]), seat_socket(seats["sk_sd"])]
    readers = {"staff": staff_socket("chair", in_session), "participant": seat_socket(seats["cm_lab"])}
    trials, fresh = [], []
    for stage in (0, 1):
        held = {name: snapshot_of(sio, in_session.id) for name, sio in readers.items()}
        _life_of_polls(in_session, item, users, voters, seats, stage)
        for name, sio in readers.items():
            events = replayed_since(sio, in_session.id, held[name])
            trials.append({"snapshot": held[name], "events": events, "participant": name == "participant"})
            fresh.append(snapshot_of(sio, in_session.id))
    rebuilt = apply_in_browser_code(trials)
    kinds = set()
    for made, result, expected in zip(trials, rebuilt, fresh, strict=True):
        kinds |= {event["kind"] for event in made["events"]}
        assert "resync" not in result["results"], (made["events"], result["results"])
        assert result["state"] == expected
        assert expected["polls"], "the polls are in the snapshot"
    assert {"poll.prepared", "poll.updated", "poll.opened", "poll.voted", "poll.closed", "poll.deleted",
            "decision.recorded"} <= kinds, kinds  # fmt: skip
