"""Checking in over Socket.IO: one interval per connection and seat, closed when the connection ends; the seat
is present while any of its connections holds it; coalesced board events; the snapshot's attendance part."""

from __future__ import annotations

from meetcore.attendance import board as presence
from meetcore.attendance.matrix import board
from meetcore.live import connections
from tests.attendance.helpers import intervals, last_seq, logged, presence_publications, present
from tests.factories import events_of

REAL_PUBLISH_LATER = presence.publish_later  # the tests' fixture stands in for it; one test runs it


def test_a_seat_joining_opens_an_interval_and_leaving_closes_it(seat_socket, seats, scheduled, users):
    seat = seats["cm_sd"]
    sio = seat_socket(seat, user_agent="Mozilla/5.0 (Thai official's laptop)")
    [row] = intervals(scheduled)
    assert row.seat_id == seat.id and row.kind == "self" and row.left_at is None
    assert row.connection_id.startswith(connections.PROCESS_ID + ":")
    assert row.attendee_name == seat.name and row.attendee_position == seat.position
    assert row.remote_addr == "127.0.0.1" and row.user_agent == "Mozilla/5.0 (Thai official's laptop)"
    assert present(scheduled) == {seat.id: "self"}
    matrix = board(scheduled, by=users["secretariat"])
    assert matrix.totals.present == 1

    sio.disconnect()
    [row] = intervals(scheduled)
    assert row.left_at is not None and row.left_at >= row.joined_at
    assert present(scheduled) == {}
    assert board(scheduled, by=users["secretariat"]).totals.present == 0


def test_two_connections_of_one_seat(seat_socket, seats, scheduled, instant_board):
    seat = seats["cm_sd"]
    first = seat_socket(seat)
    second = seat_socket(seat)
    rows = intervals(scheduled)
    assert len(rows) == 2 and rows[0].connection_id != rows[1].connection_id
    first.disconnect()
    assert present(scheduled) == {seat.id: "self"}  # the other connection still holds the seat
    second.disconnect()
    assert present(scheduled) == {}
    assert all(row.left_at is not None for row in intervals(scheduled))
    # Presence changed twice (arrived, left): two publications, not four.
    changes = [event.payload["seats"] for event in presence_publications(scheduled)]
    assert changes == [[{"seat_id": seat.id, "present": True, "kind": "self"}],
                       [{"seat_id": seat.id, "present": False, "kind": None}]]  # fmt: skip


def test_joining_again_on_the_same_connection_opens_no_second_interval(seat_socket, seats, scheduled):
    sio = seat_socket(seats["cm_sd"])
    for _ in range(3):
        assert sio.emit("join", {"meeting_id": scheduled.id, "last_seq": 0}, callback=True)["ok"]
    assert len(intervals(scheduled)) == 1


def test_staff_connections_are_not_attendance(staff_socket, scheduled):
    staff_socket("secretariat", scheduled)
    staff_socket("chair", scheduled)
    assert intervals(scheduled) == []


def test_no_interval_once_the_meeting_has_ended(seat_socket, seats, scheduled, users):
    from meetcore.meetings.services import end_meeting, start_meeting

    end_meeting(start_meeting(scheduled, by=users["secretariat"]), by=users["secretariat"])
    seat_socket(seats["cm_sd"])  # may still read the meeting
    assert intervals(scheduled) == []


def test_staff_see_which_seats_changed_participants_see_counts_only(
    seat_socket, staff_socket, seats, scheduled, instant_board
):
    staff = staff_socket("secretariat", scheduled)
    watcher = seat_socket(seats["sk_sd"])
    staff.get_received()
    seat_socket(seats["cm_sd"])  # (issuing its link is an event too)
    staff_events = [event for event in events_of(staff) if event["kind"].startswith("attendance.")]
    kinds = [event["kind"] for event in staff_events]
    assert kinds == ["attendance.board"]  # one numbered event per publication
    arrived = {"seat_id": seats["cm_sd"].id, "present": True, "kind": "self"}
    assert staff_events[0]["payload"]["seats"] == [arrived]
    counts = staff_events[0]["payload"]
    assert counts["totals"] == {"seats": 15, "present": 2, "substitute": 0, "absent": 13}
    assert counts["provinces"] == {"TH-50": {"seats": 7, "present": 1, "substitute": 0, "absent": 6}}
    assert counts["roles"]["social_development"]["present"] == 2
    assert counts["regions"]["north"]["present"] == 1 and counts["central"]["absent"] == 1

    seqs = {event["seq"] for event in staff_events}
    participant_events = [event for event in events_of(watcher) if event["seq"] in seqs]
    assert [event["kind"] for event in participant_events] == ["attendance.board"]
    assert "seats" not in participant_events[0]["payload"]  # who came is the staff's to see
    assert participant_events[0]["payload"] == {k: v for k, v in counts.items() if k != "seats"}
    assert [e["seq"] for e in participant_events] == [e["seq"] for e in staff_events]
    # A participant catching up by replay reads the same, without the seats.
    replay = watcher.emit("join", {"meeting_id": scheduled.id, "last_seq": staff_events[0]["seq"] - 1},
                          callback=True)  # fmt: skip
    assert replay["mode"] == "replay"
    [replayed] = [e for e in replay["events"] if e["seq"] in seqs]
    assert replayed["kind"] == "attendance.board" and "seats" not in replayed["payload"]


def test_snapshot_part(seat_socket, staff_socket, seats, scheduled):
    seat_socket(seats["cm_sd"])
    staff = staff_socket("chair", scheduled)
    snapshot = staff.emit("join", {"meeting_id": scheduled.id}, callback=True)["snapshot"]["attendance"]
    assert snapshot["seats"] == {str(seats["cm_sd"].id): "self"}
    assert snapshot["counts"]["totals"]["present"] == 1
    participant = seat_socket(seats["sk_sd"])
    mine = participant.emit("join", {"meeting_id": scheduled.id}, callback=True)["snapshot"]["attendance"]
    assert "seats" not in mine and set(mine) == {"counts"}
    assert mine["counts"]["totals"]["present"] == 2


def test_a_participants_snapshot_counts_what_was_last_published(
    app, monkeypatch, seat_socket, staff_socket, link_for, live, seats, scheduled, _no_timers
):
    """Consistent with its seq: a change still waiting for the board's next publication is not in a
    participant's counts yet, nor in the staff's (it comes to both with the next attendance.board)."""
    seat_socket(seats["cm_sd"])  # published at once: the board was quiet
    monkeypatch.setitem(app.config, "MEETCORE_BOARD_INTERVAL_MS", 60_000)
    arriving = live(auth={"seat_token": link_for(seats["cm_lab"])})
    arriving.emit("join", {"meeting_id": scheduled.id}, callback=True)
    reader = live(auth={"seat_token": link_for(seats["sk_sd"])})
    mine = reader.emit("join", {"meeting_id": scheduled.id}, callback=True)["snapshot"]["attendance"]
    assert mine["counts"]["totals"]["present"] == 1  # cm_lab and sk_sd itself wait for the publication
    staff = staff_socket("chair", scheduled)
    theirs = staff.emit("join", {"meeting_id": scheduled.id}, callback=True)["snapshot"]["attendance"]
    assert theirs["counts"] == mine["counts"] and set(theirs["seats"]) == {str(seats["cm_sd"].id)}
    _make_due(scheduled)
    assert presence.publish_owed(scheduled.id) is None
    again = reader.emit("join", {"meeting_id": scheduled.id}, callback=True)["snapshot"]["attendance"]
    assert again["counts"]["totals"]["present"] == 3
    staff_again = staff.emit("join", {"meeting_id": scheduled.id}, callback=True)["snapshot"]["attendance"]
    assert again["counts"] == staff_again["counts"] and len(staff_again["seats"]) == 3


def test_the_staffs_snapshot_and_the_publications_after_it_agree_when_a_seat_leaves_and_comes_back(
    app, monkeypatch, seat_socket, staff_socket, seats, scheduled, _no_timers
):
    """A publication names the seats changed since the last one. A staff snapshot of the moment's presence
    showed a departure not yet published; the seat came back before the publication, which then named
    nothing, and the secretariat's board kept the seat absent for good (found by bench/live_fanout.py's
    burst after a stopped process's owed publication). The staff's snapshot is the board as published."""
    seat = seats["cm_sd"]
    first = seat_socket(seat)  # published at once: the board was quiet
    monkeypatch.setitem(app.config, "MEETCORE_BOARD_INTERVAL_MS", 60_000)
    first.disconnect()  # the departure waits for the next publication
    staff = staff_socket("chair", scheduled)
    snapshot = staff.emit("join", {"meeting_id": scheduled.id}, callback=True)["snapshot"]
    seat_socket(seat)  # back before it
    _make_due(scheduled)
    presence.publish_owed(scheduled.id)
    board_seen = set(snapshot["attendance"]["seats"])
    for event in presence_publications(scheduled):
        for entry in event.payload["seats"] if event.seq > snapshot["last_seq"] else ():
            (board_seen.add if entry["present"] else board_seen.discard)(str(entry["seat_id"]))
    fresh = staff.emit("join", {"meeting_id": scheduled.id}, callback=True)["snapshot"]["attendance"]
    assert board_seen == set(fresh["seats"]) == {str(seat.id)}


def _make_due(meeting) -> None:
    """As if the coalescing interval had passed since the last publication."""
    from datetime import timedelta

    from meetcore.attendance.models import AttendanceBoard
    from meetcore.extensions import db

    board_row = db.session.get(AttendanceBoard, meeting.id, populate_existing=True)
    board_row.published_at -= timedelta(hours=1)
    db.session.commit()


def test_bursts_are_coalesced(app, monkeypatch, seat_socket, link_for, live, seats, scheduled, _no_timers):
    """Within the interval, changes wait for one publication; publish_owed makes it when it is due."""
    monkeypatch.setitem(app.config, "MEETCORE_BOARD_INTERVAL_MS", 60_000)
    seat_socket(seats["cm_sd"])  # published at once: the board was quiet
    tokens = [link_for(seats[key]) for key in ("cm_lab", "cm_vg", "sk_sd")]
    seq_before = last_seq(scheduled)
    for token in tokens:
        live(auth={"seat_token": token}).emit("join", {"meeting_id": scheduled.id}, callback=True)
    assert last_seq(scheduled) == seq_before  # nothing published yet
    assert _no_timers == [scheduled.id] * 3  # each deferred change made sure a timer runs
    assert presence.publish_owed(scheduled.id) > 50  # owed, not due: seconds to wait
    _make_due(scheduled)
    assert presence.publish_owed(scheduled.id) is None
    [_, board_event] = presence_publications(scheduled)
    assert [s["seat_id"] for s in board_event.payload["seats"]] == sorted(
        seats[key].id for key in ("cm_lab", "cm_vg", "sk_sd")
    )
    assert board_event.payload["totals"]["present"] == 4
    assert last_seq(scheduled) == seq_before + 1
    assert presence.publish_owed(scheduled.id) is None  # nothing owed any more
    assert len(presence_publications(scheduled)) == 2


def test_a_change_and_its_reversal_within_the_interval_publish_nothing(
    app, monkeypatch, seat_socket, link_for, live, seats, scheduled
):
    seat_socket(seats["sk_sd"])
    token = link_for(seats["cm_sd"])
    before = last_seq(scheduled)
    monkeypatch.setitem(app.config, "MEETCORE_BOARD_INTERVAL_MS", 60_000)
    sio = live(auth={"seat_token": token})
    sio.emit("join", {"meeting_id": scheduled.id}, callback=True)
    sio.disconnect()
    _make_due(scheduled)
    assert presence.publish_owed(scheduled.id) is None
    assert last_seq(scheduled) == before


def test_the_timer_publishes_what_was_deferred(
    app, monkeypatch, seat_socket, link_for, live, seats, scheduled
):
    """The real timer (a background task): started once per meeting and process, it publishes when due."""
    import time as clock

    seat_socket(seats["sk_sd"])
    # The join below comes within the interval after the first, however loaded the machine: it is deferred.
    monkeypatch.setitem(app.config, "MEETCORE_BOARD_INTERVAL_MS", 5000)
    token = link_for(seats["cm_sd"])
    before = last_seq(scheduled)
    live(auth={"seat_token": token}).emit("join", {"meeting_id": scheduled.id}, callback=True)
    assert last_seq(scheduled) == before
    REAL_PUBLISH_LATER(scheduled.id, 0.3)
    REAL_PUBLISH_LATER(scheduled.id, 0.3)  # one timer per meeting and process
    deadline = clock.monotonic() + 10
    while (presence._timers or last_seq(scheduled) == before) and clock.monotonic() < deadline:
        clock.sleep(0.05)
    assert not presence._timers and last_seq(scheduled) == before + 1
    assert logged(scheduled, "attendance.board")[-1].payload["seats"][0]["seat_id"] == seats["cm_sd"].id


def test_a_bigger_room_waits_longer_between_publications(
    app, monkeypatch, seat_socket, link_for, live, seats, scheduled, _no_timers
):
    """The interval grows with the seats present at the last publication (a publication reaches all)."""
    from meetcore.attendance.policy import BOARD_SLOWEST, board_interval

    monkeypatch.setitem(app.config, "MEETCORE_BOARD_INTERVAL_MS", 10_000)
    monkeypatch.setitem(app.config, "MEETCORE_BOARD_SEATS_PER_INTERVAL", 2)
    assert board_interval(1).total_seconds() == board_interval(2).total_seconds() == 10
    assert board_interval(5).total_seconds() == 25
    assert board_interval(1_000).total_seconds() == 10 * BOARD_SLOWEST
    for key in ("cm_sd", "cm_lab", "cm_vg"):
        seat_socket(seats[key])
    _make_due(scheduled)
    assert presence.publish_owed(scheduled.id) is None  # 3 seats published: the next waits 15 s
    live(auth={"seat_token": link_for(seats["sk_sd"])}).emit(
        "join", {"meeting_id": scheduled.id}, callback=True
    )
    assert 10 < presence.publish_owed(scheduled.id) <= 15
    monkeypatch.setitem(app.config, "MEETCORE_BOARD_SEATS_PER_INTERVAL", 0)  # 0: the setting alone
    assert presence.publish_owed(scheduled.id) <= 10
