"""Provincial sites (ห้องประชุมศาลากลางจังหวัด): one screen in the provincial hall carries several seats, and
its operator ticks which of the province's roles are in the room. Each tick opens an attendance interval of
kind "site" for that seat; each untick closes it. The only writers of SiteLink rows and of site intervals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from meetcore import signals
from meetcore.actors import SeatActor, SiteActor
from meetcore.attendance import board
from meetcore.attendance.halls import hall_part, province_seats
from meetcore.attendance.models import Attendance, SiteLink
from meetcore.attendance.policy import ATTENDING_STATUSES
from meetcore.attendance.schemas import RollCallFormInput, SiteLinkInput
from meetcore.attendance.services import Connection, seat_of
from meetcore.auth.models import User
from meetcore.auth.permissions import require_editor, require_staff
from meetcore.database import utcnow
from meetcore.directory.models import Province
from meetcore.errors import Conflict, InvalidInput, PermissionDenied
from meetcore.eventlog.services import lock_meeting, record_event
from meetcore.extensions import db
from meetcore.live.connections import close_connections
from meetcore.live.models import LiveConnection
from meetcore.meetings.models import Meeting
from meetcore.schemas import load_input
from meetcore.seats.models import Seat
from meetcore.tokenlinks import LinkExpired, LinkRevoked, LinkUnknown, TokenLinks, require_future_expiry
from meetcore.transaction import after_commit

SITE_LINK_GRACE = timedelta(hours=12)
LINK_CLOSED_STATUSES = ("ended", "certified", "cancelled")


class SiteLinkUnknown(LinkUnknown):
    default_message = _l(
        "This site link is not valid. Open the whole address the secretariat sent, or ask for a new link."
    )


class SiteLinkRevoked(LinkRevoked):
    default_message = _l("This site link has been withdrawn. Ask the secretariat for the new one.")


class SiteLinkExpired(LinkExpired):
    default_message = _l("This site link has expired. Ask the secretariat for a new one.")

    @classmethod
    def on(cls, when: str) -> SiteLinkExpired:
        return cls(_l("This site link expired on %(when)s. Ask the secretariat for a new one.", when=when))


SITE_LINKS = TokenLinks(SiteLink, SiteLinkUnknown, SiteLinkRevoked, SiteLinkExpired)


# --- issuing and withdrawing links ---------------------------------------------------------------------


def _province(code: str) -> Province:
    province = db.session.scalar(sa.select(Province).where(Province.code == code.upper()))
    if province is None:
        raise InvalidInput(_l("“%(code)s” is not a known province code.", code=code), field="province_code")
    return province


def _province_seat_count(meeting: Meeting, province: Province) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(Seat.id)).where(
                Seat.meeting_id == meeting.id, Seat.province_id == province.id
            )
        )
        or 0
    )


@dataclass
class IssuedSiteLink:
    link: SiteLink
    token: str  # shown once; only its hash is kept


def issue_site_link(meeting: Meeting, data: dict, *, by) -> IssuedSiteLink:
    """A new link for the province's hall. ``by`` is the secretariat account, or SYSTEM_CLI for a command."""
    require_editor(by)
    values = load_input(SiteLinkInput(), data)
    province = _province(values["province_code"])
    if meeting.status in LINK_CLOSED_STATUSES:
        raise Conflict(_l("No site link can be issued for a meeting that has ended or was cancelled."))
    if not _province_seat_count(meeting, province):
        raise InvalidInput(
            _l("This meeting has no seats in %(province)s: add them to the roster first.",
               province=province.name_th), field="province_code",
        )  # fmt: skip
    expires_at = values["expires_at"] or meeting.end_at + SITE_LINK_GRACE
    require_future_expiry(expires_at)
    return issue_province_link(meeting, province, expires_at, by=by)


def issue_province_link(meeting: Meeting, province: Province, expires_at: datetime, *, by) -> IssuedSiteLink:
    """A new link for the province's hall, once the caller has checked who asks and when it expires."""
    link, token = SITE_LINKS.issue(
        meeting_id=meeting.id,
        province_id=province.id,
        expires_at=expires_at,
        created_by_id=by.id if isinstance(by, User) else None,
    )
    record_event(meeting, "attendance.site_link_issued", {
        "link_id": link.id, "province_code": province.code, "expires_at": expires_at.isoformat(),
    }, by=by)  # fmt: skip
    db.session.flush()
    return IssuedSiteLink(link=link, token=token)


def revoke_site_links(meeting: Meeting, province_code: str, *, by) -> int:
    """Withdraw every live link of the province's hall for this meeting; returns how many."""
    require_editor(by)
    return len(withdraw_province_links(meeting, _province(province_code), by=by))


def withdraw_province_links(meeting: Meeting, province: Province, *, by, expired_too: bool = True) -> list:
    """Withdraw the province hall's links for this meeting (``expired_too`` False: only those that still
    work) and close the screens they let in; returns them."""
    links = SITE_LINKS.revoke(
        SiteLink.meeting_id == meeting.id, SiteLink.province_id == province.id, expired_too=expired_too
    )
    if links:
        record_event(meeting, "attendance.site_links_revoked",
                     {"province_code": province.code, "count": len(links)}, by=by)  # fmt: skip
        # The hall's screens are closed now, not at their next tick (issue 13); the ticks they made stay.
        close_connections(LiveConnection.site_link_id.in_([link.id for link in links]))
        after_commit(signals.access_withdrawn.send, meeting, kind="site", owner_id=province.id,
                     credentials=[link.id for link in links], by=by)  # its video too (meetcore.video)
    db.session.flush()
    return links


@dataclass
class SiteSummary:
    province: Province
    seats: int
    live_links: int
    ticked: int


def site_overview(meeting: Meeting, *, by) -> list[SiteSummary]:
    """Every province with seats in the meeting: its seats, live links and seats ticked now; by region and
    name."""
    require_staff(by)
    from meetcore.i18n.collation import sort_key

    now = utcnow()
    seats = dict(db.session.execute(
        sa.select(Seat.province_id, sa.func.count(Seat.id))
        .where(Seat.meeting_id == meeting.id, Seat.province_id.is_not(None))
        .group_by(Seat.province_id)
    ).all())  # fmt: skip
    links = dict(db.session.execute(
        sa.select(SiteLink.province_id, sa.func.count(SiteLink.id))
        .where(SiteLink.meeting_id == meeting.id, SITE_LINKS.working(now))
        .group_by(SiteLink.province_id)
    ).all())  # fmt: skip
    ticked = dict(db.session.execute(
        sa.select(Seat.province_id, sa.func.count(sa.distinct(Attendance.seat_id)))
        .join(Seat, Attendance.seat_id == Seat.id)
        .where(Attendance.meeting_id == meeting.id, Attendance.kind == "site", Attendance.left_at.is_(None))
        .group_by(Seat.province_id)
    ).all())  # fmt: skip
    provinces = db.session.scalars(sa.select(Province).where(Province.id.in_(seats))).all()
    from meetcore.directory.models import REGIONS

    provinces = sorted(provinces, key=lambda p: (REGIONS.index(p.region), sort_key(p.name_th, "th_TH")))
    return [SiteSummary(p, seats[p.id], links.get(p.id, 0), ticked.get(p.id, 0)) for p in provinces]


# --- opening a link ------------------------------------------------------------------------------------


def site_for_link(token: str | None) -> SiteLink:
    """The site a link opens; SiteLinkUnknown / SiteLinkRevoked / SiteLinkExpired otherwise."""
    return SITE_LINKS.open(token, joinedload(SiteLink.province))


def site_actor_from_token(token: str) -> SiteActor:
    link = site_for_link(token)
    return SiteActor(seat_id=None, meeting_id=link.meeting_id, province_id=link.province_id,
                     site_link_id=link.id, province_code=link.province.code, attendee_name=None)  # fmt: skip


def live_site_link(actor: SiteActor) -> SiteLink:
    """The link a hall's screen acts through, read again now: a link withdrawn or expired since the screen
    opened it is refused (SiteLinkRevoked / SiteLinkExpired)."""
    link = db.session.get(SiteLink, actor.site_link_id, populate_existing=True)
    SITE_LINKS.require_live(link)
    return link


@dataclass
class SiteSeat:
    seat: Seat
    ticked: bool  # checked in by a roll call (an open "site" interval)
    present: str | None  # how the seat is held now: self / substitute / site, or None


def site_seats(meeting: Meeting, province_id: int) -> list[SiteSeat]:
    """The province's seats of the meeting in role order, each with its roll-call tick and presence."""
    seats = province_seats(meeting.id, [province_id])
    present, ticked = board.open_presence(meeting.id)
    return [SiteSeat(seat=s, ticked=s.id in ticked, present=present.get(s.id)) for s in seats]


def site_state(meeting: Meeting, actor: SiteActor, present: dict[int, str], ticked: set[int]) -> dict:
    """The site's part of the live snapshot: its province and seats, each ticked or not (the shape of the
    board's publications to its hall, meetcore.attendance.halls)."""
    province = db.session.get(Province, actor.province_id)
    seats = province_seats(meeting.id, [actor.province_id])
    return hall_part(province.code if province else None, seats, ticked, present)


def snapshot_state(meeting: Meeting, actor) -> dict:
    """The board as last published, for every reader: counts for everyone, and each present seat and how it
    is held for the staff (a hall's own seats, which its publications replace whole, as they are now). Not
    the presence of the moment: a publication names the seats and provinces changed since the last one, so
    a reader whose snapshot showed a change not yet published kept it for good when it changed back before
    the publication (a seat left and came back: the secretariat's board showed it absent while it was
    there)."""
    present = board.published_presence(meeting.id)
    state = {"counts": board.tallied(meeting.id, present)}
    if isinstance(actor, SiteActor):  # each publication to a hall replaces its seats whole: shown as they are
        state["site"] = site_state(meeting, actor, *board.open_presence(meeting.id))
    elif not isinstance(actor, SeatActor):
        state["seats"] = {str(seat_id): kind for seat_id, kind in sorted(present.items())}
    return state


# --- the roll call -------------------------------------------------------------------------------------


def _site_link_of(meeting: Meeting, by) -> SiteLink | None:
    """Who may tick: a site operator (its link still live, for this meeting), or the secretariat (None)."""
    if isinstance(by, SiteActor):
        if by.meeting_id != meeting.id:
            raise PermissionDenied(_l("This link belongs to another meeting."))
        link = live_site_link(by)
        if link.meeting_id != meeting.id:
            raise PermissionDenied(_l("This link belongs to another meeting."))
        return link
    if isinstance(by, SeatActor):
        raise PermissionDenied(_l("Only a provincial site or the secretariat can take the roll call."))
    require_editor(by)
    return None


def _check_open(meeting: Meeting) -> None:
    if meeting.status not in ATTENDING_STATUSES:
        raise Conflict(_l("The roll call is closed: the meeting has ended or was cancelled."),
                       details={"status": meeting.status})  # fmt: skip


def _check_seat_of_site(seat: Seat, link: SiteLink | None) -> None:
    if link is not None and seat.province_id != link.province_id:
        raise PermissionDenied(_l("This seat belongs to another province's site."), field="seat_id")


def _tick(meeting: Meeting, seat: Seat, present: bool, link: SiteLink | None, by, via: Connection | None,
          now: datetime) -> bool:  # fmt: skip
    """Open (present) or close (not present) the seat's roll-call interval; True when something changed."""
    open_rows = db.session.scalars(
        sa.select(Attendance)
        .where(Attendance.seat_id == seat.id, Attendance.kind == "site", Attendance.left_at.is_(None))
        .execution_options(populate_existing=True)
    ).all()
    if present:
        if open_rows:
            return False
        who = f"site:{link.id}" if link is not None else f"user:{getattr(by, 'id', '')}"
        db.session.add(Attendance(
            meeting_id=meeting.id, seat_id=seat.id, kind="site", connection_id=who,
            attendee_name=seat.name, attendee_position=seat.position,
            remote_addr=via.remote_addr if via else None, user_agent=via.user_agent if via else None,
            joined_at=now,
        ))  # fmt: skip
        return True
    for row in open_rows:
        row.left_at = max(now, row.joined_at)
    return bool(open_rows)


@dataclass
class RollCall:
    seat_id: int
    present: bool
    changed: bool
    seq: int


def roll_call(
    meeting: Meeting, seat_id: int, present: bool, *, by, via: Connection | None = None
) -> RollCall:
    """Tick (present) or untick one seat: a site for its province's seats, the secretariat for any seat."""
    link = _site_link_of(meeting, by)
    meeting = lock_meeting(meeting.id)
    _check_open(meeting)
    seat = seat_of(meeting, seat_id)
    _check_seat_of_site(seat, link)
    now = utcnow()
    changed = _tick(meeting, seat, present, link, by, via, now)
    delay = None
    if changed:
        db.session.flush()
        delay = board.presence_changed(meeting, now)
    db.session.flush()
    board.publish_later(meeting.id, delay)  # looked up when called: tests stand in for it
    return RollCall(seat_id=seat.id, present=present, changed=changed, seq=meeting.last_seq)


def apply_roll_call(meeting: Meeting, data: dict, *, by, via: Connection | None = None) -> int:
    """The site page's whole form at once: the seats in ``data["present"]`` are ticked, every other seat
    of the site's province unticked, in one transaction. Returns how many seats changed."""
    if not isinstance(by, SiteActor):
        raise PermissionDenied(_l("Only a provincial site can send its roll call."))
    values = load_input(RollCallFormInput(), data)
    link = _site_link_of(meeting, by)
    meeting = lock_meeting(meeting.id)
    _check_open(meeting)
    seats = db.session.scalars(
        sa.select(Seat).where(Seat.meeting_id == meeting.id, Seat.province_id == link.province_id)
    ).all()
    wanted = set(values["present"])
    unknown = wanted - {seat.id for seat in seats}
    if unknown:
        raise InvalidInput(
            _l("Seat %(id)s is not one of this site's seats.", id=min(unknown)), field="present"
        )
    now = utcnow()
    changed = sum(_tick(meeting, seat, seat.id in wanted, link, by, via, now) for seat in seats)
    delay = None
    if changed:
        db.session.flush()
        delay = board.presence_changed(meeting, now)
    db.session.flush()
    board.publish_later(meeting.id, delay)  # looked up when called: tests stand in for it
    return changed
