"""Who acts, when it is not a signed-in account: a seat through its personal link, a provincial hall's
screen through its site link, or MeetCore itself (a command at the server's shell, a worker). Plain values
below every domain (the services check them); which one a live connection is, is decided in
meetcore.live.actors."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from meetcore.auth.permissions import STAFF
from meetcore.errors import PermissionDenied
from meetcore.operations.logs import set_log_actor

# Where the join page keeps the identity a participant confirmed (the Flask session cookie, signed).
SEAT_SESSION_KEY = "seat_access"


@dataclass(frozen=True)
class SeatActor:
    """A participant acting for one seat of one meeting. Never a staff member: require_staff refuses it."""

    seat_id: int
    meeting_id: int
    attendee_name: str | None = None
    attendee_position: str | None = None
    as_substitute: bool = False
    # The hash of the personal link the browser confirmed its identity through (the join page's session):
    # its video is bound to that link, and ends with it (meetcore.video.services.credential_of).
    link: str | None = None
    role: str = "seat"
    is_authenticated: bool = True
    id: None = None  # not an account: the event log records the seat instead

    def as_dict(self) -> dict:
        return {
            "seat_id": self.seat_id,
            "meeting_id": self.meeting_id,
            "attendee_name": self.attendee_name,
            "attendee_position": self.attendee_position,
            "as_substitute": self.as_substitute,
        }


@dataclass(frozen=True)
class SiteActor(SeatActor):
    """The operator of a provincial hall's screen, through the province's site link (meetcore.attendance).

    A participant, so that everything telling participants from staff treats it as one; it holds no seat
    of its own (seat_id is None) and may tick the roll call of its province's seats.
    """

    province_id: int | None = None
    site_link_id: int | None = None
    province_code: str | None = None  # its hall's audience (meetcore.live.rooms.site_room)
    role: str = "site"

    def as_dict(self) -> dict:
        return {**super().as_dict(), "province_id": self.province_id, "site_link_id": self.site_link_id,
                "province_code": self.province_code}  # fmt: skip


def require_seat_of(actor, meeting_id: int) -> SeatActor:
    if not isinstance(actor, SeatActor) or actor.meeting_id != meeting_id:
        raise PermissionDenied(_l("This link belongs to another meeting."))
    return actor


@dataclass(frozen=True)
class SystemActor:
    """MeetCore acting on its own: a command run at the server's shell, or a worker. It holds the
    permissions of one staff role (``role``), checked by the same functions as an account's, so the
    system can do nothing that no account may. Its ``name`` goes into the log lines of what it does and
    into the event log (MeetingEvent.actor_name); it is not an account (no user id)."""

    name: str
    role: str
    is_authenticated: bool = True
    id: None = None
    seat_id: None = None

    def __post_init__(self) -> None:
        if self.role not in STAFF or not self.name.startswith("system:"):
            raise ValueError(f"a system actor is named system:... and acts as a staff role, not {self!r}")


# One per kind of entry point, so that a log line or an event says which part of the system acted.
# Commands at the server's shell are run by whoever administers the server: an administrator's rights.
SYSTEM_CLI = SystemActor("system:cli", "admin")
# The heartbeat and the attendance board's coalesced publications: what the secretariat could record.
SYSTEM_HEARTBEAT = SystemActor("system:heartbeat", "secretariat")
SYSTEM_ATTENDANCE = SystemActor("system:attendance", "secretariat")
# The minutes text typed meanwhile, published by its timer once the interval is over.
SYSTEM_MINUTES = SystemActor("system:minutes", "secretariat")
# Invitations, reminders and the join links they carry, as the secretariat would send them.
SYSTEM_MAIL = SystemActor("system:mail", "secretariat")
# Janus rooms brought back after a restart.
SYSTEM_VIDEO = SystemActor("system:video", "secretariat")
# Office documents made PDF after their upload (the conversion worker), as the secretariat uploaded them.
SYSTEM_DOCUMENTS = SystemActor("system:documents", "secretariat")
# The demonstration data (`meetcore demo-data`), built as the secretariat would.
SYSTEM_DEMO = SystemActor("system:demo", "secretariat")
# Documents built for a reader already let in: they read attendance as the chair may.
SYSTEM_REPORTS = SystemActor("system:reports", "chair")


def act_as_system(actor: SystemActor) -> SystemActor:
    """The system acts from here on in this request, command or worker step: the log lines say which."""
    set_log_actor(actor.name)
    return actor
