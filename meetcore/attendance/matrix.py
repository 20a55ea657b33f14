"""The attendance board (กระดานการเข้าประชุม): every seat of the meeting as a province × role matrix grouped
by region, each cell with its reply and whether it is present now, with totals."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from meetcore.attendance.board import present_seats
from meetcore.attendance.statuses import RECORDED_STATUSES, attended_seats
from meetcore.auth.permissions import require_staff
from meetcore.directory.models import REGIONS, Province, Role
from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from meetcore.seats.models import Seat
from meetcore.seats.services import (
    RSVP_STATUS,
    _current_locale,
    _localized,
    _name_key,
)

# --- the attendance board --------------------------------------------------------------------------------


@dataclass
class Tally:
    """Seats and how they stand: one count per reply, and how many are present now."""

    seats: int = 0
    present: int = 0
    invited: int = 0
    accepted: int = 0
    declined: int = 0
    substitute: int = 0

    def add(self, cell: BoardCell) -> None:
        self.seats += 1
        self.present += cell.present
        reply = RSVP_STATUS[cell.seat.rsvp]
        setattr(self, reply, getattr(self, reply) + 1)


@dataclass(slots=True)
class BoardSeat:
    """What the board shows of a seat. Read as plain rows, not ORM entities: a board of 600 seats is
    rebuilt often, and 600 entities (with their identity-map state) cost time and garbage-collector pauses."""

    id: int
    province_id: int | None
    role_id: int
    province: Province | None
    role: Role
    name: str | None
    position: str | None
    substitute_name: str | None
    substitute_position: str | None
    rsvp: str
    absence_reason: str | None


BOARD_SEAT_COLUMNS = (
    Seat.id, Seat.province_id, Seat.role_id, Seat.name, Seat.position, Seat.substitute_name,
    Seat.substitute_position, Seat.rsvp, Seat.absence_reason,
)  # fmt: skip


def board_seats(meeting: Meeting) -> list[BoardSeat]:
    """Every seat of the meeting as a BoardSeat; three queries (seats, provinces, roles) whatever the size."""
    provinces = {p.id: p for p in db.session.scalars(sa.select(Province))}
    roles = {r.id: r for r in db.session.scalars(sa.select(Role))}
    rows = db.session.execute(sa.select(*BOARD_SEAT_COLUMNS).where(Seat.meeting_id == meeting.id))
    return [
        BoardSeat(
            id=row.id,
            province_id=row.province_id,
            role_id=row.role_id,
            province=provinces.get(row.province_id),
            role=roles[row.role_id],
            name=row.name,
            position=row.position,
            substitute_name=row.substitute_name,
            substitute_position=row.substitute_position,
            rsvp=row.rsvp,
            absence_reason=row.absence_reason,
        )  # fmt: skip
        for row in rows
    ]


@dataclass
class BoardCell:
    seat: BoardSeat
    status: str  # present, or the reply: invited / accepted / declined / substitute
    present: bool
    attendance_kind: str | None = None  # self / substitute / site, when present


@dataclass
class BoardRow:
    province: Province
    cells: list[BoardCell | None]
    totals: Tally = field(default_factory=Tally)


@dataclass
class RegionBlock:
    region: str
    rows: list[BoardRow]
    totals: Tally
    role_totals: list[Tally]


@dataclass
class Board:
    roles: list[Role]
    recorded: bool  # the meeting ended: "present" means attended (the record), not connected now
    regions: list[RegionBlock]
    central: list[BoardCell]
    role_totals: list[Tally]
    provincial_totals: Tally
    central_totals: Tally
    totals: Tally

    @property
    def provinces(self) -> int:
        return sum(len(block.rows) for block in self.regions)


def board(meeting: Meeting, *, by, locale: str | None = None) -> Board:
    """The province × role matrix of the meeting, grouped by region, with totals; four queries.

    Rows are the provinces that have a seat, columns the provincial roles that have one; central seats
    are listed apart.
    """
    require_staff(by)
    locale = locale or _current_locale()
    seats = board_seats(meeting)
    # A meeting in session shows who is connected now; an ended one its record (who attended).
    recorded = meeting.status in RECORDED_STATUSES
    present = attended_seats(meeting, by=by) if recorded else present_seats(meeting)

    def cell_for(seat: BoardSeat) -> BoardCell:
        kind = present.get(seat.id)
        status = "present" if kind else RSVP_STATUS[seat.rsvp]
        return BoardCell(seat=seat, status=status, present=kind is not None, attendance_kind=kind)

    provincial = [s for s in seats if s.province_id is not None]
    roles = sorted({s.role_id: s.role for s in provincial}.values(), key=lambda r: (r.sort_order, r.code))
    column = {role.id: index for index, role in enumerate(roles)}
    rows: dict[int, BoardRow] = {}
    for seat in provincial:
        row = rows.get(seat.province_id)
        if row is None:
            row = rows[seat.province_id] = BoardRow(province=seat.province, cells=[None] * len(roles))
        cell = cell_for(seat)
        row.cells[column[seat.role_id]] = cell
        row.totals.add(cell)

    ordered = sorted(rows.values(), key=lambda r: _name_key(_localized(r.province, "name", locale), locale))
    role_totals = [Tally() for _ in roles]
    provincial_totals = Tally()
    blocks = []
    for region in REGIONS:
        region_rows = [row for row in ordered if row.province.region == region]
        if not region_rows:
            continue
        block = RegionBlock(
            region=region, rows=region_rows, totals=Tally(), role_totals=[Tally() for _ in roles]
        )
        for row in region_rows:
            for index, cell in enumerate(row.cells):
                if cell is not None:
                    for tally in (
                        block.totals,
                        block.role_totals[index],
                        role_totals[index],
                        provincial_totals,
                    ):
                        tally.add(cell)
        blocks.append(block)

    central = [
        cell_for(s)
        for s in sorted(
            (s for s in seats if s.province_id is None), key=lambda s: (s.role.sort_order, s.role.code)
        )
    ]
    central_totals = Tally()
    totals = Tally()
    for cell in central:
        central_totals.add(cell)
        totals.add(cell)
    for block in blocks:
        for row in block.rows:
            for cell in row.cells:
                if cell is not None:
                    totals.add(cell)
    return Board(
        roles=roles,
        recorded=recorded,
        regions=blocks,
        central=central,
        role_totals=role_totals,
        provincial_totals=provincial_totals,
        central_totals=central_totals,
        totals=totals,
    )
