"""The seat roster of a meeting: the only writers of Seat rows (roster files go through
meetcore.seats.roster_io, which uses the same rules), and the roster's reads. Personal join links are in
meetcore.seats.links; the attendance board in meetcore.attendance.matrix."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, raiseload

from meetcore import signals
from meetcore.attendance.models import Attendance
from meetcore.auth.permissions import require_editor, require_staff
from meetcore.directory.models import REGIONS, Person, Province, Role
from meetcore.directory.reference import BANGKOK_CODE, has_provincial_offices
from meetcore.errors import Conflict, InvalidInput, NotFound
from meetcore.eventlog.services import record_event
from meetcore.extensions import db
from meetcore.i18n.collation import sort_key
from meetcore.meetings.models import Meeting
from meetcore.meetings.services import Page
from meetcore.schemas import load_input
from meetcore.seats.models import Seat
from meetcore.seats.schemas import ALL_PROVINCES, AddSeatsInput, SeatInput, SeatUpdate

# Seats are added, removed and imported until the meeting ends; invitee details can still be corrected
# for the minutes after it ended, until the minutes are certified.
ROSTER_CLOSED_STATUSES = ("ended", "certified", "cancelled")
DETAILS_CLOSED_STATUSES = ("certified", "cancelled")
SEAT_DETAIL_FIELDS = (
    "name",
    "position",
    "email",
    "substitute_name",
    "substitute_position",
    "substitute_email",
)
LINK_GRACE = timedelta(hours=12)
PROVINCE_WORD = "จังหวัด"

# The status a board cell shows for each reply, until the seat is present.
RSVP_STATUS = {
    "pending": "invited",
    "accepted": "accepted",
    "declined": "declined",
    "substitute": "substitute",
}


# --- reading helpers -----------------------------------------------------------------------------------


def _localized(obj, attr: str, locale: str) -> str:
    if obj is None:
        return ""
    return getattr(obj, f"{attr}_{locale}", None) or getattr(obj, f"{attr}_th", "") or ""


def _current_locale() -> str:
    from flask_babel import get_locale

    return "en" if str(get_locale() or "th").startswith("en") else "th"


def seat_label(province: Province | None, role: Role, locale: str | None = None) -> str:
    """ "แรงงานจังหวัดเชียงใหม่" / "Provincial Labour Officer, Chiang Mai"; the role alone for a central seat."""
    locale = locale or _current_locale()
    title = _localized(role, "title", locale)
    if province is None:
        return title
    name = _localized(province, "name", locale)
    if locale != "th":
        return f"{title}, {name}"
    if province.code == BANGKOK_CODE:
        return f"{title} {name}"
    # Thai runs the province name on after "จังหวัด" with no space.
    return title + name if title.endswith(PROVINCE_WORD) else f"{title} {PROVINCE_WORD}{name}"


def roster_is_open(meeting: Meeting) -> bool:
    return meeting.status not in ROSTER_CLOSED_STATUSES


def details_are_open(meeting: Meeting) -> bool:
    return meeting.status not in DETAILS_CLOSED_STATUSES


def _check_roster_open(meeting: Meeting) -> None:
    if not roster_is_open(meeting):
        raise Conflict(_l("The roster of a meeting that has ended or was cancelled can no longer change."))


def _check_details_open(meeting: Meeting) -> None:
    if not details_are_open(meeting):
        raise Conflict(
            _l("The roster of a cancelled meeting, or one whose minutes are certified, is closed.")
        )


def _seat_query():
    return sa.select(Seat).options(joinedload(Seat.province), joinedload(Seat.role), raiseload(Seat.person))


def _load_seats(ids: Sequence[int]) -> list[Seat]:
    """The seats with these ids, province and role loaded, in the order given; one query."""
    if not ids:
        return []
    rows = {seat.id: seat for seat in db.session.scalars(_seat_query().where(Seat.id.in_(ids))).unique()}
    return [rows[seat_id] for seat_id in ids if seat_id in rows]


def reference_maps() -> tuple[dict[str, Province], dict[str, Role]]:
    """Every province and role by code (two queries; both tables are small)."""
    provinces = {p.code: p for p in db.session.scalars(sa.select(Province))}
    roles = {r.code: r for r in db.session.scalars(sa.select(Role))}
    return provinces, roles


def _meeting_of(seat: Seat) -> Meeting:
    return db.session.get(Meeting, seat.meeting_id)


def _flush_or_conflict(message) -> None:
    """Flush; a unique constraint hit (someone else added the same seat meanwhile) is a clean Conflict."""
    try:
        db.session.flush()
    except IntegrityError:
        raise Conflict(message) from None  # the entry point rolls back


def get_seat(meeting: Meeting, seat_id: int, *, by) -> Seat:
    require_staff(by)
    seat = db.session.scalars(_seat_query().where(Seat.id == seat_id, Seat.meeting_id == meeting.id)).first()
    if seat is None:
        raise NotFound(_l("Seat %(id)s is not on the roster of this meeting.", id=seat_id))
    return seat


# --- adding seats --------------------------------------------------------------------------------------


@dataclass
class AddedSeats:
    created: list[Seat]
    skipped: list[tuple[Province | None, Role]]


def _resolve_roles(codes: Iterable[str], scope: str, field_name: str, roles: dict[str, Role]) -> list[Role]:
    chosen = []
    for code in dict.fromkeys(codes):
        role = roles.get(code)
        if role is None:
            raise InvalidInput(_l("“%(code)s” is not a known role code.", code=code), field=field_name)
        if role.scope != scope:
            if scope == "provincial":
                message = _l("“%(code)s” is a central role; choose it among the central roles.", code=code)
            else:
                message = _l(
                    "“%(code)s” is a provincial role; choose it among the provincial roles.", code=code
                )
            raise InvalidInput(message, field=field_name)
        chosen.append(role)
    return sorted(chosen, key=lambda r: (r.sort_order, r.code))


def _resolve_provinces(selection, provinces: dict[str, Province]) -> list[Province]:
    """ "all" and a region mean every province with provincial offices (Bangkok is picked by its code)."""
    if selection == ALL_PROVINCES:
        chosen = [p for p in provinces.values() if has_provincial_offices(p.code)]
    elif isinstance(selection, str):
        chosen = [p for p in provinces.values() if p.region == selection and has_provincial_offices(p.code)]
    else:
        unknown = [code for code in selection if code not in provinces]
        if unknown:
            raise InvalidInput(
                _l("“%(code)s” is not a known province code.", code=", ".join(unknown)), field="provinces"
            )
        chosen = [provinces[code] for code in selection]
    return sorted(chosen, key=lambda p: p.code)


def _seat_key(province: Province | None, role: Role) -> tuple[int | None, int]:
    return (province.id if province is not None else None, role.id)


def add_seats(meeting: Meeting, data: dict, *, by) -> AddedSeats:
    """Seat the chosen provinces × provincial roles, and the central roles, in one step.

    Seats the roster has already are reported as skipped, never duplicated.
    """
    require_editor(by)
    _check_roster_open(meeting)
    values = load_input(AddSeatsInput(), data)
    if not values["roles"] and not values["central_roles"]:
        raise InvalidInput(_l("Choose at least one role."), field="roles")
    provinces, roles = reference_maps()
    provincial_roles = _resolve_roles(values["roles"], "provincial", "roles", roles)
    central_roles = _resolve_roles(values["central_roles"], "central", "central_roles", roles)
    chosen_provinces: list[Province] = []
    if provincial_roles:
        if values["provinces"] is None:
            raise InvalidInput(
                _l("Choose the provinces: all, one region, or some provinces."), field="provinces"
            )
        chosen_provinces = _resolve_provinces(values["provinces"], provinces)
    wanted = [(p, r) for p in chosen_provinces for r in provincial_roles]
    wanted += [(None, r) for r in central_roles]

    existing = {
        (province_id, role_id)
        for province_id, role_id in db.session.execute(
            sa.select(Seat.province_id, Seat.role_id).where(Seat.meeting_id == meeting.id)
        )
    }
    created: list[Seat] = []
    skipped: list[tuple[Province | None, Role]] = []
    for province, role in wanted:
        key = _seat_key(province, role)
        if key in existing:
            skipped.append((province, role))
            continue
        existing.add(key)
        created.append(Seat(meeting_id=meeting.id, province_id=key[0], role_id=role.id))
    if not created:
        return AddedSeats(created=[], skipped=skipped)
    db.session.add_all(created)
    _flush_or_conflict(
        _l("Someone else changed the roster at the same moment. Reload the page and try again.")
    )
    ids = [seat.id for seat in created]
    record_event(meeting, "seats.added", {
        "seat_ids": ids,
        "provinces": [p.code for p in chosen_provinces],
        "roles": [r.code for r in provincial_roles + central_roles],
        "skipped": len(skipped),
    }, by=by)  # fmt: skip
    signals.roster_changed.send(meeting, province_ids={seat.province_id for seat in created}, by=by)
    db.session.flush()
    return AddedSeats(created=_load_seats(ids), skipped=skipped)


def _role_and_province(values: dict, provinces: dict[str, Province], roles: dict[str, Role]):
    """The Role and Province (None for central) named by role_code / province_code, checked together."""
    role_code, province_code = values.get("role_code"), values.get("province_code")
    role = roles.get(role_code)
    if role is None:
        raise InvalidInput(_l("“%(code)s” is not a known role code.", code=role_code), field="role_code")
    province = None
    if province_code is not None:
        province = provinces.get(province_code)
        if province is None:
            raise InvalidInput(
                _l("“%(code)s” is not a known province code.", code=province_code), field="province_code"
            )
    if role.scope == "provincial" and province is None:
        raise InvalidInput(
            _l("“%(code)s” is a provincial role: give the province.", code=role.code), field="province_code"
        )
    if role.scope == "central" and province is not None:
        raise InvalidInput(
            _l("“%(code)s” is a central role: leave the province empty.", code=role.code),
            field="province_code",
        )
    return role, province


def _existing_seat_id(meeting: Meeting, province: Province | None, role: Role) -> int | None:
    return db.session.scalar(
        sa.select(Seat.id).where(
            Seat.meeting_id == meeting.id,
            Seat.role_id == role.id,
            Seat.province_id.is_(None) if province is None else Seat.province_id == province.id,
        )
    )


def add_seat(meeting: Meeting, data: dict, *, by) -> Seat:
    """One seat with its invitee; a seat that exists already is refused, naming it."""
    require_editor(by)
    _check_roster_open(meeting)
    values = load_input(SeatInput(), data)
    provinces, roles = reference_maps()
    role, province = _role_and_province(values, provinces, roles)
    duplicate = _l(
        "The seat “%(seat)s” is already on the roster of this meeting.", seat=seat_label(province, role)
    )
    if _existing_seat_id(meeting, province, role) is not None:
        raise Conflict(duplicate, field="role_code")
    details = {name: values.get(name) for name in SEAT_DETAIL_FIELDS}
    seat = Seat(
        meeting_id=meeting.id, province_id=province.id if province else None, role_id=role.id, **details
    )
    db.session.add(seat)
    _flush_or_conflict(duplicate)
    payload = {"seat_ids": [seat.id], "provinces": [province.code] if province else [], "roles": [role.code]}
    record_event(meeting, "seats.added", {**payload, "skipped": 0}, by=by)
    signals.roster_changed.send(meeting, province_ids={seat.province_id}, by=by)
    db.session.flush()
    return _load_seats([seat.id])[0]


# --- changing and removing one seat ----------------------------------------------------------------------


# Fields that decide who attends the seat: a change re-sends the calendar invitation to the right person.
ATTENDEE_FIELDS = frozenset(
    {"name", "position", "email", "substitute_name", "substitute_position", "substitute_email", "rsvp"}
)


def update_seat(seat: Seat, data: dict, *, by) -> Seat:
    """Change the invitee, the substitute, or the reply of one seat (only the fields given)."""
    require_editor(by)
    meeting = _meeting_of(seat)
    _check_details_open(meeting)
    values = load_input(SeatUpdate(), data)
    rsvp = values.get("rsvp", seat.rsvp)
    if rsvp == "substitute" and not values.get("substitute_name", seat.substitute_name):
        raise InvalidInput(
            _l("Give the name of the substitute who attends in place of the invitee."),
            field="substitute_name",
        )
    changed = sorted(name for name, value in values.items() if getattr(seat, name) != value)
    if "email" in changed and seat.person_id is not None:
        # The directory's person no longer matches the address: the seat now names someone else.
        person_email = db.session.scalar(sa.select(Person.email).where(Person.id == seat.person_id))
        if (person_email or "").lower() != (values["email"] or "").lower():
            seat.person_id = None
    for name in changed:
        setattr(seat, name, values[name])
    if changed:
        record_event(meeting, "seats.updated", {"seat_id": seat.id, "fields": changed}, by=by)
    if set(changed) & ATTENDEE_FIELDS:
        # Same transaction: the CANCEL to the invitee and the REQUEST to the substitute leave with the change.
        signals.seat_attendee_changed.send(seat, by=by)
    db.session.flush()
    return _load_seats([seat.id])[0]


def remove_seat(seat: Seat, *, by) -> None:
    """Take a seat off the roster, with its join links. A seat with attendance records is kept."""
    require_editor(by)
    meeting = _meeting_of(seat)
    _check_roster_open(meeting)
    attended = db.session.scalar(sa.select(Attendance.id).where(Attendance.seat_id == seat.id).limit(1))
    if attended is not None:
        raise Conflict(_l("This seat has attendance records, which are kept; it cannot be removed."))
    payload = {
        "seat_id": seat.id,
        "province_code": seat.province.code if seat.province is not None else None,
        "role_code": seat.role.code,
    }
    signals.seat_removing.send(seat, by=by)  # before the row goes: the CANCEL names this seat's attendee
    province_id = seat.province_id
    db.session.delete(seat)
    record_event(meeting, "seats.removed", payload, by=by)
    db.session.flush()  # the seat is gone before the board counts the roster again
    signals.roster_changed.send(meeting, province_ids={province_id}, by=by)
    db.session.flush()


# --- reading the roster ----------------------------------------------------------------------------------


def _region_rank(region: str | None) -> int:
    return 0 if region is None else 1 + REGIONS.index(region)


@lru_cache(maxsize=1024)
def _name_key(name: str | None, locale: str) -> bytes:
    """The ICU sort key of a province name; names are reference data, so the keys are kept per process."""
    return sort_key(name or "", "en_US" if locale == "en" else "th_TH")


def _ordered_rows(query, locale: str):
    """Central seats first, then region by region, provinces by name (ICU collation), roles in their order."""
    rows = db.session.execute(query).all()
    name_column = "name_en" if locale == "en" else "name_th"

    def key(row):
        name = getattr(row, name_column) or row.name_th
        return (_region_rank(row.region), _name_key(name, locale), row.sort_order, row.code)

    return sorted(rows, key=key)


def _roster_query(meeting: Meeting):
    return (
        sa.select(Seat.id, Province.region, Province.name_th, Province.name_en, Role.sort_order, Role.code)
        .join(Role, Seat.role_id == Role.id)
        .outerjoin(Province, Seat.province_id == Province.id)
        .where(Seat.meeting_id == meeting.id)
    )


def _search(query, q: str):
    text = q.strip().lower()
    columns = (
        Seat.name, Seat.email, Seat.position, Seat.substitute_name, Seat.substitute_email,
        Province.name_th, Province.name_en, Province.code,
        Role.title_th, Role.title_en, Role.short_th, Role.short_en, Role.code,
    )  # fmt: skip
    return query.where(sa.or_(*(sa.func.lower(column).contains(text, autoescape=True) for column in columns)))


def list_roster(
    meeting: Meeting,
    *,
    by,
    q: str | None = None,
    region: str | None = None,
    role: str | None = None,
    page: int = 1,
    per_page: int = 100,
    locale: str | None = None,
) -> Page:
    """One page of the roster, sorted by region, province name (Thai collation) and role; two queries.

    ``q`` searches names, e-mail addresses, provinces and roles; ``region`` "none" keeps the central seats.
    """
    require_staff(by)
    locale = locale or _current_locale()
    query = _roster_query(meeting)
    if q and q.strip():
        query = _search(query, q)
    if region == "none":
        query = query.where(Seat.province_id.is_(None))
    elif region:
        query = query.where(Province.region == region)
    if role:
        query = query.where(Role.code == role)
    rows = _ordered_rows(query, locale)
    start = (page - 1) * per_page
    ids = [row.id for row in rows[start : start + per_page]]
    return Page(items=_load_seats(ids), total=len(rows), page=page, per_page=per_page)


def ordered_seats(meeting: Meeting, *, by, locale: str = "th") -> list[Seat]:
    """The whole roster in roster order (for exports)."""
    require_staff(by)
    return _load_seats([row.id for row in _ordered_rows(_roster_query(meeting), locale)])


@dataclass
class RosterCounts:
    total: int
    provincial: int
    central: int
    provinces: int


def roster_counts(meeting, *, by) -> RosterCounts:
    require_staff(by)
    row = db.session.execute(
        sa.select(
            sa.func.count(Seat.id),
            sa.func.count(Seat.province_id),
            sa.func.count(sa.distinct(Seat.province_id)),
        ).where(Seat.meeting_id == meeting.id)
    ).one()
    return RosterCounts(total=row[0], provincial=row[1], central=row[0] - row[1], provinces=row[2])
