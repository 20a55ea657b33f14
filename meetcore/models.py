"""Imports every domain's models so SQLAlchemy's metadata (and Alembic) sees all tables."""

from meetcore.actions.models import ActionAssignment, ActionItem
from meetcore.agenda.models import AgendaItem
from meetcore.attendance.models import AttendanceBoard, IdentityChallenge, ServerProcess, SiteLink  # noqa: F401
from meetcore.auth.models import ApiToken, User
from meetcore.directory.models import Agency, Person, Province, Role
from meetcore.eventlog.models import MeetingEvent
from meetcore.floor.models import FloorRequest, FloorSettings
from meetcore.invitations.models import CalendarFeed, CalendarReply, Invitation, MeetingCalendar
from meetcore.mail.models import OutboxMessage
from meetcore.meetings.models import Meeting, Series
from meetcore.minutes.models import Decision, MinutesBlock, MinutesUpdate
from meetcore.seats.models import Attendance, Seat, SeatLink

__all__ = [
    "ActionAssignment",
    "ActionItem",
    "AgendaItem",
    "Agency",
    "ApiToken",
    "Attendance",
    "CalendarFeed",
    "CalendarReply",
    "Decision",
    "FloorRequest",
    "FloorSettings",
    "Invitation",
    "Meeting",
    "MeetingCalendar",
    "MeetingEvent",
    "MinutesBlock",
    "MinutesUpdate",
    "OutboxMessage",
    "Person",
    "Province",
    "Role",
    "Seat",
    "SeatLink",
    "Series",
    "User",
]
