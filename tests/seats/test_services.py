"""The roster services: adding seats in bulk and one by one, editing, removing, listing, the board."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from meetcore.attendance import matrix
from meetcore.attendance.models import Attendance
from meetcore.directory.models import Province
from meetcore.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from meetcore.eventlog.models import MeetingEvent
from meetcore.extensions import db
from meetcore.i18n.collation import sorted_by_name
from meetcore.seats import links, services
from meetcore.seats.models import Seat
from meetcore.transaction import commit, refuse
from tests.factories import SEVEN_ROLES, seat_at
from tests.seats.helpers import seat_count


def _events(meeting, kind: str) -> list[MeetingEvent]:
    return db.session.scalars(
        sa.select(MeetingEvent).where(MeetingEvent.meeting_id == meeting.id, MeetingEvent.kind == kind)
    ).all()


# --- add_seats -------------------------------------------------------------------------------------------


def test_all_provinces_times_seven_roles_makes_532_seats_in_one_step(upcoming, users):
    result = services.add_seats(
        upcoming, {"provinces": "all", "roles": SEVEN_ROLES, "central_roles": ["permanent_secretary"]},
        by=users["secretariat"],
    )  # fmt: skip
    assert len(result.created) == 533 and result.skipped == []
    counts = services.roster_counts(upcoming, by=users["secretariat"])
    assert (counts.total, counts.provincial, counts.central, counts.provinces) == (533, 532, 1, 76)
    # "all" is every province with provincial offices: Bangkok (run by the BMA) is picked by its code.
    assert "TH-10" not in {seat.province.code for seat in result.created if seat.province}
    [event] = _events(upcoming, "seats.added")
    assert len(event.payload["seat_ids"]) == 533 and event.actor_user_id == users["secretariat"].id


def test_a_region_seats_its_provinces(upcoming, users):
    result = services.add_seats(upcoming, {"provinces": "north", "roles": ["social_development"]},
                                by=users["secretariat"])  # fmt: skip
    assert {seat.province.region for seat in result.created} == {"north"}
    assert len(result.created) == 9


def test_existing_seats_are_skipped_not_duplicated(small_roster, users):
    before = seat_count(small_roster)
    result = services.add_seats(
        small_roster, {"provinces": ["TH-50", "TH-10"], "roles": ["vice_governor", "labour"],
                       "central_roles": ["secretariat"]}, by=users["secretariat"],
    )  # fmt: skip
    assert [(p.code if p else None, r.code) for p, r in result.skipped] == [
        ("TH-50", "vice_governor"), ("TH-50", "labour"), (None, "secretariat"),
    ]  # fmt: skip
    assert [(s.province.code, s.role.code) for s in result.created] == [
        ("TH-10", "vice_governor"),
        ("TH-10", "labour"),
    ]
    assert seat_count(small_roster) == before + 2


def test_nothing_new_adds_nothing_and_logs_nothing(small_roster, users):
    events = len(_events(small_roster, "seats.added"))
    result = services.add_seats(
        small_roster, {"provinces": ["TH-50"], "roles": ["labour"]}, by=users["secretariat"]
    )
    assert result.created == [] and len(result.skipped) == 1
    assert len(_events(small_roster, "seats.added")) == events


@pytest.mark.parametrize(
    ("data", "field", "text"),
    [
        ({"provinces": "all", "roles": []}, "roles", "Choose at least one role."),
        (
            {"provinces": "all", "roles": ["no_such_role"]},
            "roles",
            "“no_such_role” is not a known role code.",
        ),
        ({"provinces": "all", "roles": ["permanent_secretary"]}, "roles", "is a central role"),
        ({"central_roles": ["labour"]}, "central_roles", "is a provincial role"),
        (
            {"provinces": ["TH-50", "TH-99"], "roles": ["labour"]},
            "provinces",
            "“TH-99” is not a known province code.",
        ),
        ({"provinces": "atlantis", "roles": ["labour"]}, "provinces", "a region"),
        ({"provinces": [], "roles": ["labour"]}, "provinces", "Choose at least one province."),
        ({"roles": ["labour"]}, "provinces", "Choose the provinces"),
        ({"provinces": "all", "roles": ["labour"], "colour": "red"}, "colour", "Unknown field."),
    ],
)
def test_bad_bulk_input_is_refused_naming_the_field(upcoming, users, data, field, text):
    with pytest.raises(InvalidInput) as caught:
        services.add_seats(upcoming, data, by=users["secretariat"])
    assert caught.value.field == field
    assert text in str(caught.value.message)
    assert seat_count(upcoming) == 0


# --- add_seat --------------------------------------------------------------------------------------------


def test_one_seat_with_its_invitee(upcoming, users):
    seat = services.add_seat(upcoming, {
        "province_code": "th-50", "role_code": "labour", "name": "นางสาวทดสอบ ใจดี",
        "position": "แรงงานจังหวัดเชียงใหม่", "email": " Test.Person@Example.ORG ",
    }, by=users["secretariat"])  # fmt: skip
    assert (seat.province.code, seat.role.code) == ("TH-50", "labour")
    assert seat.email == "Test.Person@example.org"  # domain lower-cased by normalize_email
    assert _events(upcoming, "seats.added")[-1].payload["seat_ids"] == [seat.id]


def test_a_duplicate_seat_is_refused_naming_it(small_roster, users):
    with pytest.raises(Conflict) as caught:
        services.add_seat(
            small_roster, {"province_code": "TH-50", "role_code": "labour"}, by=users["secretariat"]
        )
    assert "“Provincial Labour Officer, Chiang Mai” is already on the roster" in str(caught.value.message)
    with pytest.raises(Conflict) as caught:
        services.add_seat(small_roster, {"role_code": "secretariat"}, by=users["secretariat"])
    assert "“Secretariat” is already on the roster" in str(caught.value.message)


def test_the_database_refuses_a_duplicate_the_check_missed(small_roster, users, monkeypatch):
    """Two editors adding the same seat at once: the unique index is the safety net, with the same message."""
    monkeypatch.setattr(services, "_existing_seat_id", lambda *args: None)
    before = seat_count(small_roster)
    for data in ({"province_code": "TH-90", "role_code": "red_cross"}, {"role_code": "permanent_secretary"}):
        with pytest.raises(Conflict) as caught:
            services.add_seat(small_roster, data, by=users["secretariat"])
        refuse()  # the test is the entry point: a refused change is rolled back there
        assert "already on the roster" in str(caught.value.message)
    assert seat_count(small_roster) == before


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"province_code": "TH-50", "role_code": "labour", "email": "x@"}, "email"),
        ({"role_code": "labour"}, "province_code"),
        ({"province_code": "TH-50", "role_code": "secretariat"}, "province_code"),
        ({"province_code": "TH-99", "role_code": "labour"}, "province_code"),
        ({"province_code": "TH-10"}, "role_code"),
        ({"province_code": "TH-10", "role_code": "labour", "name": "x" * 201}, "name"),
    ],
)
def test_bad_seat_input_is_refused(upcoming, users, data, field):
    with pytest.raises(InvalidInput) as caught:
        services.add_seat(upcoming, data, by=users["secretariat"])
    assert caught.value.field == field
    assert seat_count(upcoming) == 0


def test_bad_email_message_names_the_field_and_the_address(upcoming, users):
    with pytest.raises(InvalidInput) as caught:
        services.add_seat(upcoming, {"province_code": "TH-50", "role_code": "labour", "email": "x@"},
                          by=users["secretariat"])  # fmt: skip
    assert str(caught.value.message) == "E-mail: “x@” is not a valid e-mail address."


# --- update and remove -----------------------------------------------------------------------------------


def test_update_seat_changes_only_the_fields_given_and_logs_them(small_roster, users):
    seat = seat_at(small_roster, "TH-50", "vice_governor")
    services.update_seat(seat, {"name": "นายทดสอบ", "email": "vg@EXAMPLE.org"}, by=users["secretariat"])
    seat = seat_at(small_roster, "TH-50", "vice_governor")
    assert (seat.name, seat.email, seat.position) == ("นายทดสอบ", "vg@example.org", None)
    assert _events(small_roster, "seats.updated")[-1].payload == {
        "seat_id": seat.id,
        "fields": ["email", "name"],
    }


def test_update_seat_refuses_a_bad_email_and_keeps_the_old_one(small_roster, users):
    seat = seat_at(small_roster, "TH-50", "vice_governor")
    services.update_seat(seat, {"email": "good@example.org"}, by=users["secretariat"])
    commit()  # the test is the entry point: the first change was its own request
    with pytest.raises(InvalidInput) as caught:
        services.update_seat(seat, {"email": "not an address", "name": "x"}, by=users["secretariat"])
    assert caught.value.field == "email"
    db.session.rollback()
    seat = seat_at(small_roster, "TH-50", "vice_governor")
    assert (seat.email, seat.name) == ("good@example.org", None)


def test_a_new_address_unlinks_the_directory_person(reference_meeting, users):
    from meetcore.meetings.models import Meeting

    following = db.session.get(Meeting, reference_meeting["next_meeting_id"])
    seat = seat_at(following, "TH-50", "labour")
    person_id = seat.person_id
    assert person_id is not None
    services.update_seat(seat, {"name": "ชื่อใหม่", "email": seat.email.upper()}, by=users["secretariat"])
    assert seat_at(following, "TH-50", "labour").person_id == person_id  # same address, other spelling
    services.update_seat(seat, {"email": "someone.else@example.org"}, by=users["secretariat"])
    assert seat_at(following, "TH-50", "labour").person_id is None


def test_a_substitute_reply_needs_the_substitutes_name(small_roster, users):
    seat = seat_at(small_roster, "TH-90", "labour")
    with pytest.raises(InvalidInput) as caught:
        services.update_seat(seat, {"rsvp": "substitute"}, by=users["secretariat"])
    assert caught.value.field == "substitute_name"
    data = {"rsvp": "substitute", "substitute_name": "นายแทน", "substitute_email": "s@example.org"}
    services.update_seat(seat, data, by=users["secretariat"])
    assert seat_at(small_roster, "TH-90", "labour").rsvp == "substitute"


def test_remove_seat_takes_its_join_links_with_it(small_roster, users):
    from meetcore.seats.models import SeatLink

    seat = seat_at(small_roster, "TH-90", "labour")
    seat_id = seat.id
    token = links.issue_seat_link(seat, by=users["secretariat"])
    services.remove_seat(seat, by=users["secretariat"])
    assert db.session.get(Seat, seat_id) is None
    assert db.session.scalar(sa.select(sa.func.count(SeatLink.id)).where(SeatLink.seat_id == seat_id)) == 0
    with pytest.raises(links.SeatLinkUnknown):
        links.seat_for_link(token)
    assert _events(small_roster, "seats.removed")[-1].payload == {
        "seat_id": seat_id, "province_code": "TH-90", "role_code": "labour",
    }  # fmt: skip


def test_a_seat_with_attendance_records_is_kept(small_roster, users):
    seat = seat_at(small_roster, "TH-90", "labour")
    db.session.add(Attendance(meeting_id=small_roster.id, seat_id=seat.id, kind="self"))
    db.session.commit()
    with pytest.raises(Conflict):
        services.remove_seat(seat, by=users["secretariat"])
    assert db.session.get(Seat, seat.id) is not None


def test_the_roster_of_an_ended_meeting_is_closed_but_names_can_be_corrected(reference_meeting, users):
    from meetcore.meetings.models import Meeting

    ended = db.session.get(Meeting, reference_meeting["meeting_id"])
    assert ended.status == "ended"
    with pytest.raises(Conflict):
        services.add_seats(ended, {"provinces": ["TH-10"], "roles": ["labour"]}, by=users["secretariat"])
    seat = db.session.scalars(sa.select(Seat).where(Seat.meeting_id == ended.id)).first()
    with pytest.raises(Conflict):
        services.remove_seat(seat, by=users["secretariat"])
    services.update_seat(seat, {"name": "ชื่อที่แก้ไขแล้ว"}, by=users["secretariat"])
    assert db.session.get(Seat, seat.id).name == "ชื่อที่แก้ไขแล้ว"


@pytest.mark.parametrize("role", ["chair", "participant"])
def test_only_the_secretariat_changes_the_roster(small_roster, users, role):
    seat = seat_at(small_roster, "TH-50", "labour")
    with pytest.raises(PermissionDenied):
        services.add_seats(small_roster, {"provinces": "all", "roles": ["labour"]}, by=users[role])
    with pytest.raises(PermissionDenied):
        services.add_seat(small_roster, {"province_code": "TH-10", "role_code": "labour"}, by=users[role])
    with pytest.raises(PermissionDenied):
        services.update_seat(seat, {"name": "x"}, by=users[role])
    with pytest.raises(PermissionDenied):
        services.remove_seat(seat, by=users[role])


def test_get_seat_only_finds_seats_of_that_meeting(small_roster, meeting, users):
    seat = seat_at(small_roster, "TH-50", "labour")
    assert services.get_seat(small_roster, seat.id, by=users["chair"]).id == seat.id
    with pytest.raises(NotFound):
        services.get_seat(meeting, seat.id, by=users["secretariat"])


# --- listing ---------------------------------------------------------------------------------------------


def test_roster_is_sorted_central_first_then_region_then_thai_name_then_role(upcoming, users):
    services.add_seats(upcoming, {"provinces": "all", "roles": ["labour", "vice_governor"],
                                  "central_roles": ["secretariat", "permanent_secretary"]},
                       by=users["secretariat"])  # fmt: skip
    page = services.list_roster(upcoming, by=users["secretariat"], per_page=1000, locale="th")
    seats = page.items
    assert page.total == 154
    assert [s.role.code for s in seats[:2]] == ["permanent_secretary", "secretariat"]
    north = [s for s in seats if s.province and s.province.region == "north"]
    names = list(dict.fromkeys(s.province.name_th for s in north))
    expected = [
        p.name_th
        for p in sorted_by_name(
            db.session.scalars(sa.select(Province).where(Province.region == "north")), lambda p: p.name_th
        )
    ]
    assert names == expected
    # Thai dictionary order skips the leading vowel: เชียงราย sorts under ช, before น่าน (unlike code points).
    assert names[:3] == ["เชียงราย", "เชียงใหม่", "น่าน"]
    assert [s.role.code for s in north[:2]] == ["vice_governor", "labour"]
    regions = [s.province.region for s in seats[2:]]
    assert regions == sorted(regions, key=["north", "northeast", "central", "east", "west", "south"].index)


def test_roster_search_filters_and_pages(small_roster, users):
    by = users["secretariat"]
    seat = seat_at(small_roster, "TH-90", "labour")
    services.update_seat(seat, {"name": "นางสาวค้นหา เจอแล้ว", "email": "found@example.org"}, by=by)
    assert [s.id for s in services.list_roster(small_roster, by=by, q="ค้นหา").items] == [seat.id]
    assert [s.id for s in services.list_roster(small_roster, by=by, q="FOUND@").items] == [seat.id]
    assert services.list_roster(small_roster, by=by, q="สงขลา").total == 7
    assert services.list_roster(small_roster, by=by, q="songkhla").total == 7
    assert services.list_roster(small_roster, by=by, q="100%").total == 0  # % is literal, not a wildcard
    assert services.list_roster(small_roster, by=by, region="south").total == 7
    assert services.list_roster(small_roster, by=by, region="none").total == 2
    assert services.list_roster(small_roster, by=by, role="labour").total == 2
    first, second = (services.list_roster(small_roster, by=by, page=n, per_page=10) for n in (1, 2))
    assert (first.total, first.pages, len(first.items), len(second.items)) == (16, 2, 10, 6)
    assert not {s.id for s in first.items} & {s.id for s in second.items}


def test_participants_cannot_read_the_roster(small_roster, users):
    with pytest.raises(PermissionDenied):
        services.list_roster(small_roster, by=users["participant"])
    with pytest.raises(PermissionDenied):
        matrix.board(small_roster, by=users["participant"])


# --- the board -------------------------------------------------------------------------------------------


def test_board_is_a_province_by_role_matrix_grouped_by_region(small_roster, users):
    seat = seat_at(small_roster, "TH-50", "public_health")
    services.remove_seat(seat, by=users["secretariat"])
    board = matrix.board(small_roster, by=users["chair"], locale="th")
    assert [r.code for r in board.roles] == SEVEN_ROLES
    assert [block.region for block in board.regions] == ["north", "south"]
    [chiang_mai] = board.regions[0].rows
    assert chiang_mai.province.code == "TH-50"
    assert chiang_mai.cells[1] is None  # the seat removed above
    assert sum(cell is not None for cell in chiang_mai.cells) == 6
    assert [c.seat.role.code for c in board.central] == ["permanent_secretary", "secretariat"]
    assert (board.totals.seats, board.provincial_totals.seats, board.central_totals.seats) == (15, 13, 2)
    assert board.role_totals[1].seats == 1 and board.role_totals[0].seats == 2
    assert board.provinces == 2


def test_board_status_comes_from_the_reply_and_open_attendance(small_roster, users):
    by = users["secretariat"]
    accepted = seat_at(small_roster, "TH-50", "labour")
    declined = seat_at(small_roster, "TH-90", "labour")
    present = seat_at(small_roster, "TH-90", "red_cross")
    left = seat_at(small_roster, "TH-50", "red_cross")
    services.update_seat(accepted, {"rsvp": "accepted"}, by=by)
    services.update_seat(declined, {"rsvp": "declined", "absence_reason": "ติดราชการ"}, by=by)
    now = datetime.now(UTC)
    db.session.add_all([
        Attendance(meeting_id=small_roster.id, seat_id=present.id, kind="substitute", joined_at=now),
        Attendance(meeting_id=small_roster.id, seat_id=left.id, kind="self", joined_at=now, left_at=now),
    ])  # fmt: skip
    db.session.commit()
    board = matrix.board(small_roster, by=by)
    cells = {c.seat.id: c for block in board.regions for row in block.rows for c in row.cells if c}
    assert cells[accepted.id].status == "accepted"
    assert cells[declined.id].status == "declined"
    assert (cells[present.id].status, cells[present.id].attendance_kind) == ("present", "substitute")
    assert cells[left.id].status == "invited"  # left again: not present
    assert (board.totals.present, board.totals.accepted, board.totals.declined) == (1, 1, 1)
    south = board.regions[1]
    assert south.totals.present == 1 and south.rows[0].totals.present == 1


def test_reference_meeting_board_is_76_provinces_by_7_roles(reference_meeting, users):
    from meetcore.meetings.models import Meeting

    board = matrix.board(db.session.get(Meeting, reference_meeting["meeting_id"]), by=users["secretariat"])
    assert len(board.roles) == 7 and board.provinces == 76
    assert all(len(row.cells) == 7 and all(row.cells) for block in board.regions for row in block.rows)
    assert board.provincial_totals.seats == 532
