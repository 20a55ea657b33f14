"""Live commands of polls, and their part of the snapshot. Thin: validate, call one service, acknowledge
(the acknowledgement carries the seq of the event the command wrote; the live wrapper commits before it
is sent, meetcore.live.events.acknowledged)."""

from __future__ import annotations

from meetcore.actors import SeatActor
from meetcore.eventlog.services import seq_after_commit
from meetcore.live.events import live_command, meeting_for
from meetcore.live.snapshot import snapshot_part
from meetcore.polls import services
from meetcore.polls.schemas import MyBallotsInput, PollInput, PreparePollInput, UpdatePollInput, VoteInput
from meetcore.polls.state import ballots_of, polls_state


@snapshot_part("polls")
def polls_part(meeting, actor) -> list[dict]:
    return polls_state(meeting.id, staff=not isinstance(actor, SeatActor))


def _acknowledgement(meeting_id: int, **extra) -> dict:
    return {"seq": seq_after_commit(meeting_id), **extra}


@live_command("poll.prepare", PreparePollInput)
def prepare(actor, values: dict) -> dict:
    meeting = meeting_for(actor, values["meeting_id"])
    poll = services.prepare_poll(meeting, values["item_id"], values, by=actor)
    return _acknowledgement(meeting.id, poll_id=poll.id)


@live_command("poll.update", UpdatePollInput)
def update(actor, values: dict) -> dict:
    meeting = meeting_for(actor, values["meeting_id"])
    poll = services.update_poll(meeting, values["poll_id"], values, by=actor)
    return _acknowledgement(meeting.id, poll_id=poll.id)


@live_command("poll.delete", PollInput)
def delete(actor, values: dict) -> dict:
    meeting = meeting_for(actor, values["meeting_id"])
    services.delete_poll(meeting, values["poll_id"], by=actor)
    return _acknowledgement(meeting.id)


@live_command("poll.open", PollInput)
def open_(actor, values: dict) -> dict:
    meeting = meeting_for(actor, values["meeting_id"])
    poll = services.open_poll(meeting, values["poll_id"], by=actor)
    return _acknowledgement(meeting.id, poll_id=poll.id)


@live_command("poll.close", PollInput)
def close(actor, values: dict) -> dict:
    meeting = meeting_for(actor, values["meeting_id"])
    poll = services.close_poll(meeting, values["poll_id"], by=actor)
    return _acknowledgement(meeting.id, poll_id=poll.id)


@live_command("poll.vote", VoteInput)
def vote(actor, values: dict) -> dict:
    meeting = meeting_for(actor, values["meeting_id"])
    kept = services.cast_vote(meeting, values["poll_id"], values["choices"], seat_id=values["seat_id"],
                              previous=values["previous"], by=actor)  # fmt: skip
    # Only to this connection: a secret ballot's receipt and choices are in no event and no row.
    return _acknowledgement(meeting.id, ballot=kept)


@live_command("poll.my_ballots", MyBallotsInput)
def my_ballots(actor, values: dict) -> dict:
    """The reader's own seats' ballots (a seat's link: its seat; a hall: its province's seats)."""
    meeting = meeting_for(actor, values["meeting_id"])
    ballots = ballots_of(meeting.id, services.own_seat_ids(meeting, actor))
    return {"ballots": ballots}
