"""Agenda services: ordering, nesting, renumbering, moving, deleting, the standard sections, the event log."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from meetcore.agenda import services
from meetcore.agenda.models import AgendaItem
from meetcore.agenda.tree import agenda_state
from meetcore.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unauthenticated
from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from meetcore.minutes.models import Decision, MinutesBlock
from meetcore.transaction import commit
from tests.agenda.support import (
    STANDARD_TITLES,
    events,
    item_count,
    item_id,
    outline,
    schedule_another_meeting,
    set_status,
)


@pytest.fixture()
def sec(users):
    return users["secretariat"]


def add(meeting, title, sec, parent=None, **fields):
    data = {"title": title, **fields}
    if parent is not None:
        data["parent_id"] = parent.id
    return services.add_item(meeting, data, by=sec)


@pytest.fixture()
def tree(meeting, sec):
    """A (1 (1.1 A1, 1.2 A2 (1.2.1 A2x)), 2 B, 3 C)."""
    a = add(meeting, "A", sec)
    add(meeting, "A1", sec, parent=a)
    a2 = add(meeting, "A2", sec, parent=a)
    add(meeting, "A2x", sec, parent=a2)
    add(meeting, "B", sec)
    add(meeting, "C", sec)
    return meeting


def item(meeting, title) -> AgendaItem:
    return db.session.get(AgendaItem, item_id(meeting.id, title))


# --- adding and numbering --------------------------------------------------------------------------------


def test_items_are_appended_in_order_and_numbered_by_level(tree, users):
    assert outline(tree.id) == [
        ("1", "A"), ("1.1", "A1"), ("1.2", "A2"), ("1.2.1", "A2x"), ("2", "B"), ("3", "C"),
    ]
    nodes = services.agenda_tree(tree, by=users["chair"])
    assert [n["number"] for n in nodes] == ["1", "2", "3"]
    assert [c["number"] for c in nodes[0]["children"]] == ["1.1", "1.2"]
    assert nodes[0]["children"][1]["children"][0]["item"].title == "A2x"


def test_add_stores_every_field_trimmed(meeting, sec):
    created = services.add_item(
        meeting,
        {"title": "  การขับเคลื่อน ONE HOME  ", "description": "รายละเอียด", "presenter": " ผอ.กอง ",
         "duration_minutes": "15", "parent_id": None},
        by=sec,
    )
    db.session.expire_all()
    stored = db.session.get(AgendaItem, created.id)
    assert (stored.title, stored.presenter, stored.duration_minutes) == ("การขับเคลื่อน ONE HOME", "ผอ.กอง", 15)
    assert (stored.parent_id, stored.position, stored.section, stored.state) == (None, 0, None, "pending")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": "   "}, "title"),
        ({}, "title"),
        ({"title": "x" * 501}, "title"),
        ({"title": "ok", "duration_minutes": -1}, "duration_minutes"),
        ({"title": "ok", "duration_minutes": 2.5}, "duration_minutes"),
        ({"title": "ok", "duration_minutes": "a while"}, "duration_minutes"),
        ({"title": "ok", "parent_id": "first"}, "parent_id"),
        ({"title": "ok", "parent_id": 999999}, "parent_id"),
        ({"title": "ok", "colour": "red"}, "colour"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(meeting, sec, data, field):
    seq_before = meeting.last_seq
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(InvalidInput) as error:
        services.add_item(meeting, data, by=sec)
    assert error.value.field == field
    db.session.rollback()
    assert item_count() == 0
    assert db.session.get(Meeting, meeting.id).last_seq == seq_before


def test_parent_from_another_meeting_is_refused_with_a_clear_error_and_nothing_saved(tree, sec):
    other = schedule_another_meeting(sec)
    foreign = add(other, "elsewhere", sec)
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(InvalidInput) as error:
        services.add_item(tree, {"title": "sneaky", "parent_id": foreign.id}, by=sec)
    assert error.value.field == "parent_id"
    with force_locale("en"):
        assert "belongs to another meeting" in str(error.value.message)
    db.session.rollback()
    assert item_count(tree.id) == 6 and item_count(other.id) == 1
    assert events(tree.id)[-1][1] == "agenda.added"
    assert len(events(tree.id)) == 7


def test_the_database_itself_refuses_a_cross_meeting_parent(tree, sec):
    """Defence in depth: the composite foreign key, not only the service, keeps trees within a meeting."""
    other = schedule_another_meeting(sec)
    foreign = add(other, "elsewhere", sec)
    commit()  # the test is the entry point: what it did so far stands
    db.session.add(AgendaItem(meeting_id=tree.id, parent_id=foreign.id, position=0, title="raw"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert item_count(tree.id) == 6


# --- updating --------------------------------------------------------------------------------------------


def test_update_changes_only_the_fields_given_and_logs_them(tree, sec):
    target = item(tree, "B")
    services.update_item(target, {"presenter": "ผู้ตรวจราชการ", "duration_minutes": 10}, by=sec)
    db.session.expire_all()
    stored = db.session.get(AgendaItem, target.id)
    assert (stored.title, stored.presenter, stored.duration_minutes) == ("B", "ผู้ตรวจราชการ", 10)
    seq, kind, payload = events(tree.id)[-1]
    assert kind == "agenda.updated"
    assert {k: v for k, v in payload.items() if k != "agenda"} == {
        "item_id": target.id, "fields": ["duration_minutes", "presenter"],
        "values": {"duration_minutes": 10, "presenter": "ผู้ตรวจราชการ"},
    }  # fmt: skip
    # The resulting agenda, whole, as a fresh snapshot has it.
    assert payload["agenda"] == agenda_state(tree.id)


def test_update_with_nothing_changed_logs_nothing(tree, sec):
    before = events(tree.id)
    services.update_item(item(tree, "B"), {"title": "B"}, by=sec)
    assert events(tree.id) == before


def test_update_can_clear_optional_fields_but_not_the_title(tree, sec):
    target = item(tree, "B")
    services.update_item(target, {"presenter": "x", "description": "y"}, by=sec)
    services.update_item(target, {"presenter": "", "description": None}, by=sec)
    db.session.expire_all()
    assert db.session.get(AgendaItem, target.id).presenter is None
    for bad in ({"title": ""}, {"title": None}):
        commit()  # the test is the entry point: what it did so far stands
        with pytest.raises(InvalidInput) as error:
            services.update_item(target, bad, by=sec)
        assert error.value.field == "title"
        db.session.rollback()
    assert db.session.get(AgendaItem, target.id).title == "B"


def test_update_with_a_parent_moves_the_item_to_the_end_of_that_parent(tree, sec):
    services.update_item(item(tree, "C"), {"parent_id": item(tree, "A").id, "title": "C!"}, by=sec)
    assert outline(tree.id) == [
        ("1", "A"), ("1.1", "A1"), ("1.2", "A2"), ("1.2.1", "A2x"), ("1.3", "C!"), ("2", "B"),
    ]
    assert [kind for _seq, kind, _p in events(tree.id)[-2:]] == ["agenda.updated", "agenda.moved"]


# --- moving ----------------------------------------------------------------------------------------------


def test_move_within_the_same_parent_renumbers_contiguously(tree, sec):
    services.move_item(item(tree, "C"), {"position": 0}, by=sec)
    assert [t for n, t in outline(tree.id) if "." not in n] == ["C", "A", "B"]
    services.move_item(item(tree, "C"), {"position": 99}, by=sec)  # past the end: last
    assert [t for n, t in outline(tree.id) if "." not in n] == ["A", "B", "C"]


def test_move_to_another_parent_renumbers_both_levels(tree, sec):
    moved = services.move_item(item(tree, "A1"), {"parent_id": item(tree, "B").id, "position": 0}, by=sec)
    assert outline(tree.id) == [
        ("1", "A"), ("1.1", "A2"), ("1.1.1", "A2x"), ("2", "B"), ("2.1", "A1"), ("3", "C"),
    ]
    _seq, kind, payload = events(tree.id)[-1]
    assert kind == "agenda.moved"
    a, b = item(tree, "A").id, item(tree, "B").id
    assert payload == {"item_id": moved.id, "from": {"parent_id": a, "position": 0},
                       "to": {"parent_id": b, "position": 0}, "agenda": agenda_state(tree.id)}
    assert [node["number"] for node in payload["agenda"][1]["children"]] == ["2.1"]


def test_move_to_the_top_level_at_a_position(tree, sec):
    services.move_item(item(tree, "A2"), {"parent_id": None, "position": 1}, by=sec)
    assert outline(tree.id) == [
        ("1", "A"), ("1.1", "A1"), ("2", "A2"), ("2.1", "A2x"), ("3", "B"), ("4", "C"),
    ]


def test_move_without_parent_keeps_the_parent(tree, sec):
    services.move_item(item(tree, "A2"), {"position": 0}, by=sec)
    assert outline(tree.id)[:4] == [("1", "A"), ("1.1", "A2"), ("1.1.1", "A2x"), ("1.2", "A1")]


@pytest.mark.parametrize("target", ["A", "A2", "A2x"])
def test_moving_under_itself_or_its_own_descendant_is_refused_and_nothing_saved(tree, sec, target):
    before = outline(tree.id)
    seq = len(events(tree.id))
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(InvalidInput) as error:
        services.move_item(item(tree, "A"), {"parent_id": item(tree, target).id}, by=sec)
    assert error.value.field == "parent_id"
    db.session.rollback()
    assert outline(tree.id) == before
    assert len(events(tree.id)) == seq


def test_moving_under_an_item_of_another_meeting_is_refused_and_nothing_saved(tree, sec):
    other = schedule_another_meeting(sec)
    foreign = add(other, "elsewhere", sec)
    before = outline(tree.id)
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(InvalidInput) as error:
        services.move_item(item(tree, "B"), {"parent_id": foreign.id}, by=sec)
    assert error.value.field == "parent_id"
    db.session.rollback()
    assert outline(tree.id) == before
    assert outline(other.id) == [("1", "elsewhere")]


@pytest.mark.parametrize(
    ("data", "field"),
    [({}, None), ({"position": -1}, "position"), ({"position": "top"}, "position"), ({"where": 1}, "where")],
)
def test_move_needs_a_valid_place(tree, sec, data, field):
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(InvalidInput) as error:
        services.move_item(item(tree, "B"), data, by=sec)
    assert error.value.field == field


def test_a_move_to_where_the_item_already_is_logs_nothing(tree, sec):
    before = events(tree.id)
    services.move_item(item(tree, "B"), {"position": 1}, by=sec)
    assert events(tree.id) == before


def test_up_down_indent_outdent(tree, sec):
    services.move_down(item(tree, "A"), by=sec)
    assert [t for n, t in outline(tree.id) if "." not in n] == ["B", "A", "C"]
    services.move_up(item(tree, "A"), by=sec)
    assert [t for n, t in outline(tree.id) if "." not in n] == ["A", "B", "C"]
    services.indent(item(tree, "C"), by=sec)  # last child of the previous sibling, B
    assert outline(tree.id)[-2:] == [("2", "B"), ("2.1", "C")]
    services.indent(item(tree, "B"), by=sec)  # B, with its child C, after A's children
    assert outline(tree.id) == [
        ("1", "A"), ("1.1", "A1"), ("1.2", "A2"), ("1.2.1", "A2x"), ("1.3", "B"), ("1.3.1", "C"),
    ]
    services.outdent(item(tree, "A1"), by=sec)  # the next sibling of its parent A
    assert outline(tree.id) == [
        ("1", "A"), ("1.1", "A2"), ("1.1.1", "A2x"), ("1.2", "B"), ("1.2.1", "C"), ("2", "A1"),
    ]
    services.outdent(item(tree, "A2x"), by=sec)
    assert outline(tree.id)[:3] == [("1", "A"), ("1.1", "A2"), ("1.2", "A2x")]


@pytest.mark.parametrize(
    ("move", "title"),
    [("move_up", "A"), ("move_down", "C"), ("indent", "A"), ("indent", "A1"), ("outdent", "B")],
)
def test_buttons_at_the_edge_are_refused_and_change_nothing(tree, sec, move, title):
    before = outline(tree.id)
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(InvalidInput):
        getattr(services, move)(item(tree, title), by=sec)
    db.session.rollback()
    assert outline(tree.id) == before


# --- deleting --------------------------------------------------------------------------------------------


def test_delete_removes_the_subtree_and_renumbers_siblings(tree, sec):
    a = item(tree, "A")
    ids = {a.id, item(tree, "A1").id, item(tree, "A2").id, item(tree, "A2x").id}
    deleted = services.delete_item(a, by=sec)
    assert set(deleted) == ids
    assert outline(tree.id) == [("1", "B"), ("2", "C")]
    _seq, kind, payload = events(tree.id)[-1]
    assert kind == "agenda.deleted"
    assert payload["item_id"] == a.id and set(payload["deleted_ids"]) == ids and payload["title"] == "A"


def test_delete_a_nested_item_renumbers_its_siblings(tree, sec):
    services.delete_item(item(tree, "A1"), by=sec)
    assert outline(tree.id)[:3] == [("1", "A"), ("1.1", "A2"), ("1.1.1", "A2x")]


def test_delete_takes_the_minutes_of_the_subtree_with_it(tree, sec):
    child = item(tree, "A2x")
    db.session.add(MinutesBlock(meeting_id=tree.id, agenda_item_id=child.id, text="บันทึก"))
    db.session.commit()
    summary = services.deletion_summary(item(tree, "A"), by=sec)
    assert (summary["sub_items"], summary["minutes"], summary["decisions"]) == (3, 1, 0)
    services.delete_item(item(tree, "A"), by=sec)
    assert db.session.scalar(sa.select(sa.func.count(MinutesBlock.id))) == 0
    _seq, kind, payload = events(tree.id)[-1]
    assert kind == "agenda.deleted" and payload["minutes_deleted"] == [child.id]  # said, not silent
    assert payload["agenda"] == agenda_state(tree.id)


def test_delete_is_refused_while_an_action_item_was_given_under_the_subtree(tree, sec):
    from meetcore.actions.models import ActionItem

    db.session.add(ActionItem(meeting_id=tree.id, agenda_item_id=item(tree, "A2x").id, title="รายงานผล"))
    db.session.commit()
    assert services.deletion_summary(item(tree, "A"), by=sec)["actions"] == 1
    before = outline(tree.id)
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(Conflict):
        services.delete_item(item(tree, "A"), by=sec)
    db.session.rollback()
    assert outline(tree.id) == before


def test_delete_is_refused_while_a_decision_is_recorded_in_the_subtree(tree, sec):
    db.session.add(Decision(meeting_id=tree.id, agenda_item_id=item(tree, "A2x").id, text="รับทราบ"))
    db.session.commit()
    before = outline(tree.id)
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(Conflict):
        services.delete_item(item(tree, "A"), by=sec)
    db.session.rollback()
    assert outline(tree.id) == before


# --- the Thai standard sections ---------------------------------------------------------------------------


def test_standard_sections_are_added_in_order_with_their_numbers(meeting, sec):
    added = services.insert_standard_sections(meeting, by=sec)
    assert [i.section for i in added] == [1, 2, 3, 4, 5, 6]
    assert outline(meeting.id) == [(str(n), title) for n, title in enumerate(STANDARD_TITLES, start=1)]
    _seq, kind, payload = events(meeting.id)[-1]
    assert kind == "agenda.sections_inserted" and payload["sections"] == [1, 2, 3, 4, 5, 6]


def test_standard_sections_are_idempotent(meeting, sec):
    services.insert_standard_sections(meeting, by=sec)
    log = events(meeting.id)
    assert services.insert_standard_sections(meeting, by=sec) == []
    assert item_count(meeting.id) == 6
    assert events(meeting.id) == log


def test_only_missing_sections_are_added_each_in_its_place(meeting, sec):
    services.insert_standard_sections(meeting, by=sec)
    services.update_item(item(meeting, STANDARD_TITLES[4]), {"title": "เรื่องเพื่อพิจารณา (แก้ไข)"}, by=sec)
    services.delete_item(item(meeting, STANDARD_TITLES[2]), by=sec)
    services.delete_item(item(meeting, STANDARD_TITLES[5]), by=sec)
    add(meeting, "วาระพิเศษ", sec)
    added = services.insert_standard_sections(meeting, by=sec)
    assert [i.section for i in added] == [3, 6]
    assert [t for _n, t in outline(meeting.id)] == [
        STANDARD_TITLES[0], STANDARD_TITLES[1], STANDARD_TITLES[2], STANDARD_TITLES[3],
        "เรื่องเพื่อพิจารณา (แก้ไข)", "วาระพิเศษ", STANDARD_TITLES[5],
    ]


def test_a_section_moved_under_another_item_is_no_longer_a_section(meeting, sec):
    services.insert_standard_sections(meeting, by=sec)
    services.indent(item(meeting, STANDARD_TITLES[1]), by=sec)
    assert db.session.get(AgendaItem, item_id(meeting.id, STANDARD_TITLES[1])).section is None
    assert services.missing_standard_sections(meeting, by=sec) == [2]


# --- the event log, meeting status, permissions -------------------------------------------------------------


def test_every_change_appends_one_event_with_consecutive_seq(meeting, sec):
    a = add(meeting, "A", sec)
    b = add(meeting, "B", sec, parent=a)
    services.update_item(b, {"title": "B2"}, by=sec)
    services.outdent(b, by=sec)
    services.move_item(b, {"position": 0}, by=sec)
    services.insert_standard_sections(meeting, by=sec)
    services.delete_item(a, by=sec)
    log = events(meeting.id)
    assert [seq for seq, _k, _p in log] == list(range(1, len(log) + 1))
    assert [kind for _s, kind, _p in log] == [
        "meeting.created", "agenda.added", "agenda.added", "agenda.updated", "agenda.moved",
        "agenda.moved", "agenda.sections_inserted", "agenda.deleted",
    ]
    assert db.session.get(Meeting, meeting.id).last_seq == len(log)


@pytest.mark.parametrize("status", ["ended", "certified", "cancelled"])
def test_the_agenda_of_an_ended_or_cancelled_meeting_cannot_change(tree, sec, status):
    set_status(tree.id, status)
    before = outline(tree.id)
    calls = [
        lambda: services.add_item(tree, {"title": "late"}, by=sec),
        lambda: services.update_item(item(tree, "B"), {"title": "late"}, by=sec),
        lambda: services.move_item(item(tree, "C"), {"position": 0}, by=sec),
        lambda: services.move_up(item(tree, "C"), by=sec),
        lambda: services.delete_item(item(tree, "B"), by=sec),
        lambda: services.insert_standard_sections(tree, by=sec),
    ]
    for call in calls:
        commit()  # the test is the entry point: what it did so far stands
        with pytest.raises(Conflict):
            call()
        db.session.rollback()
    assert outline(tree.id) == before


def test_a_live_meeting_may_still_change_its_agenda(tree, sec):
    set_status(tree.id, "live")
    services.add_item(tree, {"title": "วาระเพิ่มเติม"}, by=sec)
    assert outline(tree.id)[-1] == ("4", "วาระเพิ่มเติม")


def test_only_the_secretariat_writes_and_only_staff_read(tree, users):
    for role in ("chair", "participant"):
        commit()  # the test is the entry point: what it did so far stands
        with pytest.raises(PermissionDenied):
            services.add_item(tree, {"title": "x"}, by=users[role])
        commit()  # the test is the entry point: what it did so far stands
        with pytest.raises(PermissionDenied):
            services.insert_standard_sections(tree, by=users[role])
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(Unauthenticated):
        services.add_item(tree, {"title": "x"}, by=None)
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(PermissionDenied):
        services.agenda_tree(tree, by=users["participant"])
    assert services.agenda_tree(tree, by=users["chair"])
    services.add_item(tree, {"title": "by admin"}, by=users["admin"])
    assert item_count(tree.id) == 7


def test_unknown_item_is_not_found(users):
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(NotFound):
        services.get_item(424242, by=users["chair"])


# --- the reference meeting ------------------------------------------------------------------------------


def test_reference_agenda_numbers_and_its_next_meeting_has_every_section(reference_meeting, users):
    first = db.session.get(Meeting, reference_meeting["meeting_id"])
    nodes = services.agenda_tree(first, by=users["chair"])
    assert [n["item"].section for n in nodes] == [1, 2, 3, 4, 5, 6]
    policies = nodes[0]["children"][0]
    assert policies["number"] == "1.1" and len(policies["children"]) == 9
    assert policies["children"][-1]["number"] == "1.1.9"
    assert [c["number"] for c in nodes[4]["children"]] == ["5.1", "5.2"]
    commit()  # the test is the entry point: what it did so far stands
    with pytest.raises(Conflict):  # 1/2560 has ended
        services.add_item(first, {"title": "late"}, by=users["secretariat"])
    db.session.rollback()
    following = db.session.get(Meeting, reference_meeting["next_meeting_id"])
    assert services.insert_standard_sections(following, by=users["secretariat"]) == []


# --- several editors at once ------------------------------------------------------------------------------


def test_concurrent_adds_never_share_a_position(app_ctx, meeting, sec):
    """Two secretaries adding at once: the meeting row's lock keeps every level numbered 0..n-1."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers itself; the row lock matters on PostgreSQL")
    import threading

    from meetcore.auth.models import User

    meeting_id, user_id = meeting.id, sec.id
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def editor(name: str) -> None:
        with app_ctx.app_context():
            try:
                user = db.session.get(User, user_id)
                target = db.session.get(Meeting, meeting_id)
                start.wait()
                for n in range(10):
                    services.add_item(target, {"title": f"{name}{n}"}, by=user)
                    commit()  # each add is its own request: the thread is its entry point
            except BaseException as error:  # reported below, in the test's own thread
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=editor, args=(name,)) for name in ("ก", "ข")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    numbers = [n for n, _t in outline(meeting_id)]  # outline() also checks positions are 0..19
    assert numbers == [str(i) for i in range(1, 21)]
    assert [seq for seq, _k, _p in events(meeting_id)] == list(range(1, 22))


def test_delete_with_expired_items_of_the_subtree_in_the_session(tree, sec):
    """The session still holds the sub-items, expired by an earlier commit (as after any other change in
    the same request): deleting must not try to reload them (it answered 500 now and then)."""
    parent = item(tree, "A")
    children = [item(tree, "A1"), item(tree, "A2"), item(tree, "A2x")]
    db.session.commit()  # expires every instance the session holds, the children included
    assert all(sa.inspect(child).expired_attributes for child in children)
    services.delete_item(parent, by=sec)
    assert [row[1] for row in outline(tree.id)] == ["B", "C"]
