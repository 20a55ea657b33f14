"""Personal join links of seats: issued (only the token's hash is kept), resolved on the join page and
over the live connection, and withdrawn (with the connections they let in); what the join page shows
(the seat, its meeting and the agenda). The token's life is meetcore.tokenlinks'."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from meetcore import signals
from meetcore.actors import SeatActor
from meetcore.agenda.tree import agenda_state
from meetcore.auth.permissions import require_editor
from meetcore.errors import Conflict
from meetcore.eventlog.services import record_event
from meetcore.extensions import db
from meetcore.live.connections import close_seat_connections
from meetcore.meetings.models import Meeting
from meetcore.seats.models import Seat, SeatLink
from meetcore.seats.services import LINK_GRACE, _meeting_of
from meetcore.tokenlinks import LinkExpired, LinkRevoked, LinkUnknown, TokenLinks, require_future_expiry
from meetcore.transaction import after_commit

# --- personal join links ---------------------------------------------------------------------------------


class SeatLinkUnknown(LinkUnknown):
    default_message = _l(
        "This join link is not valid. Open the whole address from your invitation, or ask the secretariat "
        "for a new link."
    )


class SeatLinkRevoked(LinkRevoked):
    default_message = _l(
        "This join link has been withdrawn. Use the newest link the secretariat sent you, "
        "or ask for a new one."
    )


class SeatLinkExpired(LinkExpired):
    default_message = _l("This join link has expired. Ask the secretariat for a new one.")

    @classmethod
    def on(cls, when: str) -> SeatLinkExpired:
        return cls(_l("This join link expired on %(when)s. Ask the secretariat for a new one.", when=when))


SEAT_LINKS = TokenLinks(SeatLink, SeatLinkUnknown, SeatLinkRevoked, SeatLinkExpired)


def issue_seat_link(
    seat: Seat,
    *,
    expires_at: datetime | None = None,
    by,
    invitation_id: int | None = None,
) -> str:
    """A new personal link token for the seat; only its hash is kept. Returned once.

    ``expires_at`` defaults to the meeting's end + 12 hours. ``by`` is the acting user, or the system actor
    that issues it (e.g. SYSTEM_MAIL for the invitation mailer); written in the caller's transaction, so an
    invitation and its link commit together; ``invitation_id`` names the invitation that carries the link,
    which is withdrawn with it.
    """
    require_editor(by)
    meeting = _meeting_of(seat)
    if meeting.status in ("cancelled", "certified"):
        raise Conflict(
            _l("No join link can be issued for a cancelled meeting or one whose minutes are certified.")
        )
    expires_at = expires_at or meeting.end_at + LINK_GRACE
    require_future_expiry(expires_at)
    link, token = SEAT_LINKS.issue(seat_id=seat.id, expires_at=expires_at, invitation_id=invitation_id)
    record_event(
        meeting, "seats.link_issued", {"seat_id": seat.id, "expires_at": expires_at.isoformat()}, by=by
    )
    db.session.flush()
    return token


def seat_for_link(token: str | None) -> Seat:
    """The seat a personal link opens; SeatLinkUnknown / SeatLinkRevoked / SeatLinkExpired otherwise."""
    link = SEAT_LINKS.open(
        token,
        joinedload(SeatLink.seat).joinedload(Seat.province),
        joinedload(SeatLink.seat).joinedload(Seat.role),
    )
    return link.seat


def seat_actor_for_link(token: str | None) -> SeatActor:
    """Who a personal link lets onto a live connection, refused as seat_for_link refuses: the link and the
    four columns of its seat the actor carries, in one statement and as one plain row (every participant's
    connection reads it; the join page's seat, province and role are not needed there)."""
    row = SEAT_LINKS.open_columns(token, _seat_actor_columns())
    return SeatActor(seat_id=row.id, meeting_id=row.meeting_id, attendee_name=row.name,
                     attendee_position=row.position)  # fmt: skip


@functools.cache
def _seat_actor_columns() -> sa.Select:
    """seat_actor_for_link's statement, built once (runs O)."""
    seats = Seat.__table__
    return SEAT_LINKS.columns_query(
        seats.c.id, seats.c.meeting_id, seats.c.name, seats.c.position,
        join=(seats, SeatLink.__table__.c.seat_id == seats.c.id),
    )  # fmt: skip


def revoke_seat_links(seat: Seat, *, by) -> int:
    """Withdraw every live link of the seat (e.g. the invitee changed); returns how many."""
    require_editor(by)
    links = SEAT_LINKS.revoke(SeatLink.seat_id == seat.id)
    if links:
        record_event(
            _meeting_of(seat), "seats.links_revoked", {"seat_id": seat.id, "count": len(links)}, by=by
        )
        # Its browsers came in through these links: they are closed now, not at their next command, and
        # their attendance intervals end with them (issue 13). A hall's ticks for the seat stay.
        close_seat_connections(seat_ids=[seat.id])
        _shut_out_of_video(seat, links, by=by)
    db.session.flush()
    return len(links)


def _shut_out_of_video(seat: Seat, links: list, *, by) -> None:
    """Their pages leave the meeting's video too, once the withdrawal has committed (meetcore.video)."""
    after_commit(signals.access_withdrawn.send, _meeting_of(seat), kind="seat", owner_id=seat.id,
                 credentials=[link.token_hash for link in links], by=by)  # fmt: skip


def revoke_invitation_links(seat: Seat, invitation_id: int, *, by) -> int:
    """Withdraw the links an invitation carried, with the invitation (the seat was handed to a substitute,
    or its address corrected), in the caller's transaction; their connections close once it commits.

    ``by`` is whoever withdrew the invitation, already checked by the invitations service that did: the
    secretariat, or the seat itself (a SeatActor) handing itself to a substitute from its reply page.
    """
    links = SEAT_LINKS.revoke(SeatLink.invitation_id == invitation_id)
    if links:
        record_event(_meeting_of(seat), "seats.links_revoked",
                     {"seat_id": seat.id, "count": len(links), "invitation_id": invitation_id},
                     by=by, seat=seat if isinstance(by, SeatActor) else None)  # fmt: skip
        close_seat_connections(link_hashes=[link.token_hash for link in links])
        _shut_out_of_video(seat, links, by=by)
    return len(links)


def live_link_count(seat: Seat) -> int:
    """How many links of the seat would open it now."""
    return SEAT_LINKS.count_working(SeatLink.seat_id == seat.id)


@dataclass
class Invitation:
    """What a personal join link shows its holder."""

    seat: Seat
    meeting: Meeting
    agenda: list[dict]  # as live pages hold it (meetcore.agenda.tree.agenda_state)


def invitation_for_link(token: str | None) -> Invitation:
    """The seat, meeting and agenda outline a link opens (no sign-in); refuses as seat_for_link does."""
    seat = seat_for_link(token)
    meeting = db.session.scalars(
        sa.select(Meeting).options(joinedload(Meeting.series)).where(Meeting.id == seat.meeting_id)
    ).one()
    return Invitation(seat=seat, meeting=meeting, agenda=agenda_state(meeting.id))
