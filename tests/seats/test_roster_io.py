"""Roster files: CSV and XLSX export, import all or nothing, and the round trip that changes nothing."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from meetcore.seats import roster_io, services
from meetcore.seats.models import Seat
from meetcore.seats.roster_io import RosterFileError, export_roster, import_roster
from tests.factories import seat_at
from tests.seats.helpers import seat_count

HEADER = "province_code,role_code,name,position,email"


def _snapshot(meeting) -> list[tuple]:
    seats = db.session.scalars(sa.select(Seat).where(Seat.meeting_id == meeting.id).order_by(Seat.id)).all()
    return [
        (
            s.id,
            s.province_id,
            s.role_id,
            s.name,
            s.position,
            s.email,
            s.substitute_name,
            s.substitute_position,
            s.substitute_email,
            s.rsvp,
        )
        for s in seats
    ]


def _csv(*lines: str, bom: bool = False) -> bytes:
    return ("\ufeff" if bom else "").encode() + "\r\n".join(lines).encode("utf-8")


def _xlsx(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture()
def filled_roster(small_roster, users):
    """The small roster with Thai names, a substitute, and names a spreadsheet would take for formulas."""
    by = users["secretariat"]
    services.update_seat(
        seat_at(small_roster, "TH-50", "vice_governor"),
        {
            "name": "นายสมชาย ใจดี",
            "position": "รองผู้ว่าราชการจังหวัดเชียงใหม่",
            "email": "somchai@example.org",
            "substitute_name": "นางสาวแทน ดีมาก",
            "substitute_position": "ปลัดจังหวัด",
            "substitute_email": "tan@example.org",
        },
        by=by,
    )
    services.update_seat(seat_at(small_roster, "TH-90", "labour"), {"name": "=1+1", "position": "-ลบ"}, by=by)
    services.update_seat(seat_at(small_roster, None, "secretariat"), {"name": 'ฝ่ายเลขาฯ, "ทดสอบ"'}, by=by)
    return small_roster


# --- export ----------------------------------------------------------------------------------------------


def test_csv_export_is_utf8_with_bom_in_roster_order(filled_roster, users):
    content = export_roster(filled_roster, "csv", by=users["chair"])
    assert content.startswith(b"\xef\xbb\xbf")  # Excel shows Thai only with the BOM
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert list(rows[0]) == list(roster_io.EXPORT_COLUMNS)
    assert len(rows) == seat_count(filled_roster) == 16
    assert [r["role_code"] for r in rows[:2]] == ["permanent_secretary", "secretariat"]
    assert [r["province_code"] for r in rows[2:]] == ["TH-50"] * 7 + ["TH-90"] * 7
    chiang_mai = rows[2]
    assert (chiang_mai["name"], chiang_mai["substitute_email"], chiang_mai["province_name"]) == (
        "นายสมชาย ใจดี",
        "tan@example.org",
        "เชียงใหม่",
    )
    formula = next(r for r in rows if r["province_code"] == "TH-90" and r["role_code"] == "labour")
    assert (formula["name"], formula["position"]) == ("'=1+1", "'-ลบ")  # never a live formula in Excel


def test_xlsx_export_has_the_same_rows_as_text_and_code_sheets(filled_roster, users):
    workbook = load_workbook(io.BytesIO(export_roster(filled_roster, "xlsx", by=users["secretariat"])))
    assert workbook.sheetnames == ["roster", "provinces", "roles"]
    rows = list(workbook["roster"].iter_rows(values_only=True))
    assert rows[0] == roster_io.EXPORT_COLUMNS
    assert len(rows) == 17
    formula_cell = next(r for r in rows if r[0] == "TH-90" and r[1] == "labour")
    assert formula_cell[2] == "=1+1"
    sheet = workbook["roster"]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert len(list(workbook["provinces"].iter_rows())) == 78


def test_export_refuses_another_format(filled_roster, users):
    with pytest.raises(Exception) as caught:
        export_roster(filled_roster, "pdf", by=users["secretariat"])
    assert caught.value.field == "format"


# --- the round trip --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_changes_nothing(filled_roster, users, fmt):
    by = users["secretariat"]
    content = export_roster(filled_roster, fmt, by=by)
    before, seq = _snapshot(filled_roster), filled_roster.last_seq
    result = import_roster(filled_roster, f"roster.{fmt}", content, by=by)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 16)
    assert _snapshot(filled_roster) == before
    assert db.session.get(Meeting, filled_roster.id).last_seq == seq  # no event either


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_reference_roster_round_trip(reference_meeting, users, fmt):
    following = db.session.get(Meeting, reference_meeting["next_meeting_id"])
    content = export_roster(following, fmt, by=users["secretariat"])
    before = _snapshot(following)
    result = import_roster(following, f"roster.{fmt}", content, by=users["secretariat"])
    assert (result.created, result.updated) == (0, 0)
    assert result.unchanged == len(before) == reference_meeting["seats"]
    assert _snapshot(following) == before


def test_an_exported_file_moves_a_roster_to_another_meeting(filled_roster, upcoming, meeting, users):
    by = users["secretariat"]
    result = import_roster(meeting, "roster.xlsx", export_roster(filled_roster, "xlsx", by=by), by=by)
    assert (result.created, result.updated) == (16, 0)
    assert seat_at(meeting, "TH-50", "vice_governor").substitute_name == "นางสาวแทน ดีมาก"
    assert seat_at(meeting, "TH-90", "labour").name == "=1+1"
    assert seat_at(meeting, None, "secretariat").name == 'ฝ่ายเลขาฯ, "ทดสอบ"'


# --- importing -------------------------------------------------------------------------------------------


def test_import_adds_and_updates_by_province_and_role(small_roster, users):
    content = _csv(
        HEADER,
        "TH-50,vice_governor,นายใหม่ ทดสอบ,รองผู้ว่าราชการจังหวัดเชียงใหม่,NEW@Example.org",
        "th-10,labour,นางกรุงเทพ,,bkk@example.org",
        ",deputy_permanent_secretary,รองปลัด,,",
    )
    result = import_roster(small_roster, "roster.csv", content, by=users["secretariat"])
    assert (result.created, result.updated, result.unchanged) == (2, 1, 0)
    seat = seat_at(small_roster, "TH-50", "vice_governor")
    assert (seat.name, seat.email) == ("นายใหม่ ทดสอบ", "NEW@example.org")
    assert seat_at(small_roster, "TH-10", "labour").email == "bkk@example.org"
    assert seat_at(small_roster, None, "deputy_permanent_secretary").name == "รองปลัด"
    assert seat_count(small_roster) == 18  # seats not in the file stay


def test_import_changes_only_the_columns_the_file_has(filled_roster, users):
    content = _csv("province_code,role_code,email", "TH-50,vice_governor,changed@example.org")
    import_roster(filled_roster, "emails.csv", content, by=users["secretariat"])
    seat = seat_at(filled_roster, "TH-50", "vice_governor")
    assert (seat.email, seat.name, seat.substitute_name) == (
        "changed@example.org",
        "นายสมชาย ใจดี",
        "นางสาวแทน ดีมาก",
    )


def test_import_logs_one_event(small_roster, users):
    from meetcore.eventlog.models import MeetingEvent

    import_roster(small_roster, "r.csv", _csv(HEADER, "TH-10,labour,x,,"), by=users["secretariat"])
    event = db.session.scalars(sa.select(MeetingEvent).where(MeetingEvent.kind == "seats.imported")).one()
    assert len(event.payload["created_seat_ids"]) == 1 and event.actor_user_id == users["secretariat"].id


def test_import_publishes_the_board_counting_the_new_seats(small_roster, users):
    """Every live reader's tallies count the roster (issue 19): an import that adds seats publishes the
    board, naming the provinces whose tally changed, a new one included."""
    from meetcore.eventlog.models import MeetingEvent

    content = _csv(HEADER, "TH-10,labour,x,,", "TH-50,vice_governor,y,,", ",deputy_permanent_secretary,z,,")
    import_roster(small_roster, "r.csv", content, by=users["secretariat"])
    boards = sa.select(MeetingEvent).where(MeetingEvent.kind == "attendance.board")
    board = db.session.scalars(boards.order_by(MeetingEvent.seq.desc())).first()
    assert board.seq == small_roster.last_seq  # right after the import's seats.imported
    assert board.payload["totals"] == {"seats": 18, "present": 0, "substitute": 0, "absent": 18}
    assert board.payload["central"]["seats"] == 3
    assert board.payload["provinces"] == {"TH-10": {"seats": 1, "present": 0, "substitute": 0, "absent": 1}}
    assert board.payload["seats"] == []  # nobody's presence changed


def test_csv_without_bom_with_semicolons_or_in_windows_thai_is_read(small_roster, users):
    by = users["secretariat"]
    import_roster(small_roster, "a.csv", _csv(HEADER, "TH-10,labour,ก,,", bom=True), by=by)
    import_roster(small_roster, "b.csv", _csv(HEADER.replace(",", ";"), "TH-10;labour;ข;;"), by=by)
    assert seat_at(small_roster, "TH-10", "labour").name == "ข"
    cp874 = "\r\n".join([HEADER, "TH-10,labour,นายไทย วินโดวส์,,"]).encode("cp874")
    import_roster(small_roster, "c.csv", cp874, by=by)
    assert seat_at(small_roster, "TH-10", "labour").name == "นายไทย วินโดวส์"


def test_xlsx_with_numeric_province_codes_is_read(small_roster, users):
    content = _xlsx([["province_code", "role_code", "name"], [10, "labour", "นายเลข"], [None, None, None]])
    result = import_roster(small_roster, "numbers.xlsx", content, by=users["secretariat"])
    assert result.created == 1
    assert seat_at(small_roster, "TH-10", "labour").name == "นายเลข"


# --- all or nothing --------------------------------------------------------------------------------------


def _refused(meeting, users, filename: str, content: bytes) -> RosterFileError:
    before = _snapshot(meeting)
    with pytest.raises(RosterFileError) as caught:
        import_roster(meeting, filename, content, by=users["secretariat"])
    db.session.rollback()
    assert _snapshot(meeting) == before  # nothing saved
    return caught.value


def test_a_bad_email_on_row_7_refuses_the_whole_file(small_roster, users):
    rows = [
        f"TH-10,{role},ชื่อ {n},,ok{n}@example.org"
        for n, role in enumerate(
            ["vice_governor", "public_health", "provincial_office", "local_admin", "labour"]
        )
    ]
    content = _csv(HEADER, *rows, "TH-10,red_cross,ชื่อ,,x@", "TH-10,social_development,ชื่อ,,fine@example.org")
    error = _refused(small_roster, users, "roster.csv", content)
    assert [(e.row, e.column) for e in error.errors] == [(7, "email")]
    assert error.errors[0].text() == "Row 7, email: “x@” is not a valid e-mail address."
    assert "Row 7, email: “x@” is not a valid e-mail address." in str(error.message)
    assert "Nothing was imported" in str(error.message)
    assert error.status == 422 and error.field == "file"
    assert seat_count(small_roster) == 16


def test_an_unknown_province_code_names_row_and_column(small_roster, users):
    content = _xlsx(
        [["province_code", "role_code", "name"], ["TH-10", "labour", "ก"], ["TH-99", "labour", "ข"]]
    )
    error = _refused(small_roster, users, "roster.xlsx", content)
    assert [e.text() for e in error.errors] == ["Row 3, province_code: “TH-99” is not a known province code."]


def test_every_bad_row_is_reported(small_roster, users):
    content = _csv(
        HEADER,
        "TH-10,labour,,,",
        "TH-10,no_such_role,,,",
        "TH-10,labour,,,",  # same as row 2
        ",labour,,,",  # provincial role without a province
        "TH-50,secretariat,,,",  # central role with a province
        "TH-50,labour," + "x" * 201 + ",,",
        "TH-50,vice_governor,a,b,c,d",  # a cell beyond the header
    )
    error = _refused(small_roster, users, "roster.csv", content)
    assert [(e.row, e.column) for e in error.errors] == [
        (3, "role_code"),
        (4, "role_code"),
        (5, "province_code"),
        (6, "province_code"),
        (7, "name"),
        (8, None),
    ]
    assert error.errors[1].text() == "Row 4, role_code: Same province and role as row 2."
    assert "7 errors" not in str(error.message) and "6 errors" in str(error.message)
    assert error.details["errors"][0]["row"] == 3


@pytest.mark.parametrize(
    ("filename", "content", "text"),
    [
        ("roster.pdf", b"%PDF-1.4 ...", "Only CSV and XLSX files can be imported."),
        ("roster.xlsx", b"PK\x03\x04 this is not a workbook", "not a valid XLSX workbook"),
        ("roster.xlsx", b"province_code,role_code", "not a valid XLSX workbook"),
        ("roster.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Old .xls workbooks"),
        ("roster.csv", b"", "The file is empty."),
        ("roster.csv", b"\n\n", "The file has no rows."),
        ("roster.csv", b"\x00\x01\x02", "not a CSV text file"),
        ("roster.csv", b"\x81\xff\xfe\xfd", "Save it as"),
        ("roster.csv", "name,email\nก,a@example.org".encode(), "no “province_code” column"),
        ("roster.csv", b"province_code,role_code,emial\n", "Unknown column “emial”"),
        ("roster.csv", b"province_code,role_code,name,name\n", "appears twice"),
        ("roster.csv", b'province_code,role_code\n"TH-10,labour', "malformed"),
    ],
)
def test_files_that_are_not_rosters_are_refused_clearly(small_roster, users, filename, content, text):
    error = _refused(small_roster, users, filename, content)
    assert text in str(error.message)


def test_the_roster_of_an_ended_meeting_cannot_be_imported(reference_meeting, users):
    ended = db.session.get(Meeting, reference_meeting["meeting_id"])
    with pytest.raises(Exception) as caught:
        import_roster(ended, "r.csv", _csv(HEADER, "TH-10,labour,,,"), by=users["secretariat"])
    assert caught.value.status == 409


def test_chair_cannot_import(small_roster, users):
    from meetcore.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        import_roster(small_roster, "r.csv", _csv(HEADER, "TH-10,labour,,,"), by=users["chair"])
