"""What a participant's join reads: the parts every participant sees alike are read once per seq and
shared by the participants who join at that seq; their own parts, and staff snapshots, are read for each."""

from __future__ import annotations

import pytest

from meetcore.live import snapshot
from meetcore.meetings.services import update_meeting


@pytest.fixture()
def reads(monkeypatch):
    """How often the floor part (shared) and the actions part (personal) were read."""
    made = {"floor": 0, "actions": 0}
    for key in made:
        original = snapshot.SNAPSHOT_PARTS[key]

        def counted(meeting, actor, *common, key=key, original=original):
            made[key] += 1
            return original(meeting, actor, *common)

        monkeypatch.setitem(snapshot.SNAPSHOT_PARTS, key, counted)
    return made


@pytest.fixture()
def slow_board(app):
    """One board publication for the first join, none for the next ones: they join at one seq."""
    previous = app.config.get("MEETCORE_BOARD_INTERVAL_MS")
    app.config["MEETCORE_BOARD_INTERVAL_MS"] = 600_000
    yield
    app.config["MEETCORE_BOARD_INTERVAL_MS"] = previous


def joined(sio, meeting) -> dict:
    ack = sio.emit("join", {"meeting_id": meeting.id}, callback=True)
    assert ack["ok"] and ack["mode"] == "snapshot", ack
    return ack["snapshot"]


def test_participants_at_one_seq_share_what_they_see_alike(
    live, link_for, seats, scheduled, slow_board, reads
):
    sockets = [live(auth={"seat_token": link_for(seats[name])}) for name in ("cm_sd", "sk_sd", "central")]
    first = joined(sockets[0], scheduled)
    reads_after_first = dict(reads)
    second, third = joined(sockets[1], scheduled), joined(sockets[2], scheduled)
    assert second["last_seq"] == third["last_seq"] == first["last_seq"]
    assert reads["floor"] == reads_after_first["floor"]  # read by the first join at this seq only
    assert reads["actions"] == reads_after_first["actions"] + 2  # each seat's agency: its own
    assert second == {**first, "actions": second["actions"]}


def test_a_numbered_change_is_read_afresh_by_the_next_participant(
    live, link_for, seats, scheduled, users, slow_board, reads
):
    before = joined(live(auth={"seat_token": link_for(seats["cm_sd"])}), scheduled)
    floor_reads = reads["floor"]
    update_meeting(scheduled, {"venue": "ห้องประชุมใหม่ ชั้น 9"}, by=users["secretariat"])
    after = joined(live(auth={"seat_token": link_for(seats["sk_sd"])}), scheduled)
    assert after["last_seq"] > before["last_seq"]
    assert after["meeting"]["venue"] == "ห้องประชุมใหม่ ชั้น 9" != before["meeting"]["venue"]
    assert reads["floor"] == floor_reads + 1


def test_staff_snapshots_are_never_shared(live, link_for, seats, scheduled, staff_socket, slow_board, reads):
    participant = joined(live(auth={"seat_token": link_for(seats["cm_sd"])}), scheduled)
    floor_reads = reads["floor"]
    staff = staff_socket("secretariat", scheduled)
    ack = staff.emit("join", {"meeting_id": scheduled.id}, callback=True)
    assert ack["snapshot"]["last_seq"] == participant["last_seq"]
    assert reads["floor"] == floor_reads + 2  # the fixture's join and this one: each read for itself
    assert "seats" in ack["snapshot"]["attendance"] and "seats" not in participant["attendance"]


def test_shared_parts_expire_even_without_a_new_seq(
    live, link_for, seats, scheduled, slow_board, reads, monkeypatch
):
    sockets = [live(auth={"seat_token": link_for(seats[name])}) for name in ("cm_sd", "sk_sd")]
    joined(sockets[0], scheduled)
    floor_reads = reads["floor"]
    clock = snapshot.time.monotonic() + snapshot.SHARED_SECONDS + 1
    monkeypatch.setattr(snapshot.time, "monotonic", lambda: clock)
    joined(sockets[1], scheduled)
    assert reads["floor"] == floor_reads + 1


def test_parts_are_brought_forward_over_board_publications(
    live, link_for, seats, scheduled, instant_board, reads
):
    """Each join publishes the board (a new seq): the next participant still reuses what the first read,
    and only the counts are read again, so they are those of the latest publication."""
    sockets = [live(auth={"seat_token": link_for(seats[name])}) for name in ("cm_sd", "sk_sd", "central")]
    first = joined(sockets[0], scheduled)
    floor_reads = reads["floor"]
    second, third = joined(sockets[1], scheduled), joined(sockets[2], scheduled)
    assert first["last_seq"] < second["last_seq"] < third["last_seq"]
    assert reads["floor"] == floor_reads  # brought forward, not read again
    present = [snap["attendance"]["counts"]["totals"]["present"] for snap in (first, second, third)]
    assert present == [1, 2, 3]
    assert third == {**first, "last_seq": third["last_seq"], "attendance": third["attendance"],
                     "actions": third["actions"]}  # fmt: skip


def test_a_staff_event_reads_the_counts_again(live, link_for, seats, scheduled, users, slow_board, reads):
    """A roster change is the staff's event, yet it changes the counts participants see."""
    from meetcore.seats.services import remove_seat

    first = joined(live(auth={"seat_token": link_for(seats["cm_sd"])}), scheduled)
    remove_seat(seats["cm_lab"], by=users["secretariat"])
    after = joined(live(auth={"seat_token": link_for(seats["sk_sd"])}), scheduled)
    assert after["last_seq"] > first["last_seq"]
    assert (
        after["attendance"]["counts"]["totals"]["seats"]
        == first["attendance"]["counts"]["totals"]["seats"] - 1
    )


def test_the_meetings_actions_are_read_once_per_seq_and_cut_per_agency(
    live, link_for, seats, scheduled, users, slow_board
):
    """Each participant sees its own agency's actions, cut from one read of the meeting's actions made by
    the first participant to join at the seq: the next ones read only their seat's agency."""
    from meetcore.actions.services import actions_state, agency_of_seat, create_action
    from meetcore.agenda import services as agenda
    from meetcore.extensions import db
    from meetcore.transaction import commit
    from tests.clock import days_after_meeting
    from tests.minutes.test_command_statements import Statements
    from tests.starting import start_now

    secretariat = users["secretariat"]
    item = agenda.add_item(scheduled, {"title": "เรื่องเพื่อพิจารณา"}, by=secretariat)
    start_now(scheduled, by=secretariat)
    owners = (("จัดทำแผนที่ทางสังคม", {"role_code": "social_development", "provinces": "all"}),
              ("สำรวจแรงงานนอกระบบ", {"role_code": "labour", "provinces": ["TH-50"]}))  # fmt: skip
    for title, owner in owners:
        values = {"item_id": item.id, "title": title, "description": None,
                  "due_date": days_after_meeting(30), "owner": {"agency_id": None, **owner}}  # fmt: skip
        create_action(scheduled.id, values, by=secretariat)
    commit()
    names = ("cm_sd", "cm_lab", "sk_sd", "central")
    sockets = [live(auth={"seat_token": link_for(seats[name])}) for name in names]
    snapshots = [joined(sockets[0], scheduled)]
    with Statements(db.engine) as statements:
        snapshots += [joined(one, scheduled) for one in sockets[1:]]
    assert len({snap["last_seq"] for snap in snapshots}) == 1
    assert not statements.reading("action_items")  # the first join's read served the others
    assert not statements.reading("action_assignments")
    assert not [s for s in statements.seen if "agencies" in s]  # each seat's agency: from the same read
    for name, snap in zip(names, snapshots, strict=True):
        agency_id = agency_of_seat(seats[name].id)
        expected = actions_state(scheduled.id, agency_id=agency_id, staff=False) if agency_id else []
        assert snap["actions"] == {"agency_id": agency_id, "items": expected}, name
    titles = {name: [item["title"] for item in snap["actions"]["items"]]
              for name, snap in zip(names, snapshots, strict=True)}  # fmt: skip
    assert titles == {"cm_sd": ["จัดทำแผนที่ทางสังคม"], "cm_lab": ["สำรวจแรงงานนอกระบบ"],
                      "sk_sd": ["จัดทำแผนที่ทางสังคม"], "central": []}  # fmt: skip
    assert all(len(i["assignments"]) == 1 for snap in snapshots for i in snap["actions"]["items"])


def test_a_seat_added_since_the_shared_read_has_its_own_agency(
    live, link_for, seats, scheduled, users, slow_board
):
    """The seats' agencies are read with the shared parts; a seat added after (a staff event: the shared
    parts are kept) is looked up on its own, not taken for a seat without an agency."""
    from meetcore.actions.services import agency_of_seat
    from meetcore.seats.services import add_seat, remove_seat
    from meetcore.transaction import commit

    joined(live(auth={"seat_token": link_for(seats["cm_sd"])}), scheduled)
    remove_seat(seats["cm_lab"], by=users["secretariat"])  # and seated again: a seat id the read never saw
    values = {"province_code": "TH-50", "role_code": "labour", "name": "นางสาวทดสอบ ใจดี",
              "position": "แรงงานจังหวัดเชียงใหม่", "email": "cm.labour@example.org"}  # fmt: skip
    seat = add_seat(scheduled, values, by=users["secretariat"])
    commit()
    after = joined(live(auth={"seat_token": link_for(seat)}), scheduled)
    assert after["actions"]["agency_id"] == agency_of_seat(seat.id) is not None


def test_a_change_committed_after_the_check_in_reaches_the_participant_after_its_snapshot(
    live, link_for, seats, scheduled, users, slow_board, reads, monkeypatch
):
    """A participant who joins at a seq whose shared parts are known is answered with them at the seq its
    check-in found under the meeting's lock, reading nothing more (issue 18, runs P). Its connection is in
    the rooms before that lock: a change committed after it reaches the participant as an event, which the
    client applies after the snapshot (docs/protocol.md), so nothing between the two is missed."""
    from meetcore.extensions import db
    from meetcore.live import events
    from meetcore.meetings.models import Meeting
    from meetcore.transaction import commit

    sockets = [live(auth={"seat_token": link_for(seats[name])}) for name in ("cm_sd", "sk_sd")]
    first = joined(sockets[0], scheduled)
    floor_reads, answer = reads["floor"], events.build_snapshot

    def changed_meanwhile(meeting_id, actor, **known):
        update_meeting(db.session.get(Meeting, meeting_id), {"venue": "ห้องประชุมใหม่ ชั้น 9"},
                       by=users["secretariat"])  # fmt: skip
        commit()
        return answer(meeting_id, actor, **known)

    monkeypatch.setattr(events, "build_snapshot", changed_meanwhile)
    sio = sockets[1]
    sio.get_received()  # what it was sent before it joined (the first's publication)
    second = joined(sio, scheduled)
    assert second == {**first, "actions": second["actions"]}  # at the check-in's seq, shared
    assert reads["floor"] == floor_reads
    pushed = [p["args"][0] for p in sio.get_received() if p["name"] == "event"]
    assert [(e["seq"], e["kind"]) for e in pushed] == [(first["last_seq"] + 1, "meeting.updated")]
    assert pushed[0]["payload"]["meeting"]["venue"] == "ห้องประชุมใหม่ ชั้น 9"
