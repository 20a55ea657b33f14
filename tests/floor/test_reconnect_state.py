"""The reconnect property (docs/protocol.md, issue 13): a client that held a snapshot, missed changes made
from the console and live, and rejoined with its last_seq, rebuilds from the replayed events exactly the
state a fresh snapshot gives, in every trial, as staff and as a participant. The events are applied by the
browser's own code (static/src/live-state.js, under Node), and none may need a fresh snapshot."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meetcore.agenda import services as agenda
from meetcore.agenda.models import AgendaItem
from meetcore.extensions import db
from meetcore.floor import services as floor
from meetcore.meetings.services import update_meeting
from meetcore.minutes import services as minutes
from meetcore.transaction import commit
from tests.live.replay import apply_in_browser_code, replayed_since, snapshot_of

TITLES = st.text(alphabet="กขคงจฉชซวาระที่ประชุม ABC123", min_size=1, max_size=30).map(str.strip).filter(bool)
# One console or live change: (what, a number that picks the item or seat, a text).
CHANGES = st.tuples(
    st.sampled_from(["title", "add", "add_child", "move", "indent", "delete", "current", "done", "venue",
                     "decision", "floor"]),
    st.integers(min_value=0, max_value=50),
    TITLES,
)  # fmt: skip


def _items(meeting_id: int) -> list[AgendaItem]:
    db.session.rollback()
    return agenda.meeting_items(meeting_id)


def _change(meeting, users, seats, what: str, pick: int, text: str) -> None:
    """Make one change as the secretariat would, from the console or the live page; a refusal (deleting the
    last item, indenting the first) is part of the trial too: it must leave no trace."""
    sec = users["secretariat"]
    items = _items(meeting.id)
    item = items[pick % len(items)] if items else None
    try:
        if what == "title" and item:
            agenda.update_item(item, {"title": text}, by=sec)
        elif what in ("add", "add_child"):
            parent = item.id if what == "add_child" and item else None
            agenda.add_item(meeting, {"title": text, "parent_id": parent}, by=sec)
        elif what == "move" and item:
            agenda.move_item(item, {"position": pick % 3}, by=sec)
        elif what == "indent" and item:
            agenda.indent(item, by=sec)
        elif what == "delete" and item and len(items) > 2:
            agenda.delete_item(item, by=sec)
        elif what == "current" and item:
            agenda.set_current_item(meeting.id, item.id, by=sec)
        elif what == "done" and item:
            agenda.mark_item_done(meeting.id, item.id, done=bool(pick % 2), by=sec)
        elif what == "venue":
            update_meeting(meeting, {"venue": text}, by=sec)
        elif what == "decision" and item:
            minutes.record_decision(meeting.id, item.id, text, by=sec)
        elif what == "floor":
            seat = list(seats.values())[pick % len(seats)]
            floor.request_floor(meeting, seat_id=seat.id, by=sec)
    except Exception as error:  # a refusal the service decided: nothing may have changed
        from meetcore.errors import DomainError

        db.session.rollback()
        if not isinstance(error, DomainError):
            raise
    else:
        commit()  # the test is each change's entry point: a later refusal takes back only its own writes


def test_replayed_events_rebuild_a_fresh_snapshot_after_console_edits(
    in_session, seats, seat_socket, staff_socket, users
):
    for title in ("เปิดประชุม", "รับรองรายงาน", "เรื่องเพื่อทราบ"):
        agenda.add_item(in_session, {"title": title}, by=users["secretariat"])
    readers = {"staff": staff_socket("chair", in_session), "participant": seat_socket(seats["cm_sd"])}
    trials: list[dict] = []
    fresh: list[dict] = []

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(changes=st.lists(CHANGES, min_size=1, max_size=8))
    def trial(changes):
        held = {name: snapshot_of(sio, in_session.id) for name, sio in readers.items()}
        for change in changes:
            _change(in_session, users, seats, *change)
        for name, sio in readers.items():
            events = replayed_since(sio, in_session.id, held[name])
            trials.append({"snapshot": held[name], "events": events,
                           "participant": name == "participant", "changes": changes})  # fmt: skip
            fresh.append(snapshot_of(sio, in_session.id))

    trial()
    rebuilt = apply_in_browser_code(trials)
    kinds = set()
    for made, result, expected in zip(trials, rebuilt, fresh, strict=True):
        kinds |= {event["kind"] for event in made["events"]}
        assert "resync" not in result["results"], (made["changes"], made["events"], result["results"])
        assert result["state"] == expected, made["changes"]
    # The trials did exercise the console's edits.
    assert {"agenda.updated", "agenda.added", "agenda.moved", "agenda.deleted"} <= kinds, kinds
