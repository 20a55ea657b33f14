"""Imports every domain's models so SQLAlchemy's metadata (and Alembic) sees all tables."""

from meetcore.actions.models import (
    ActionAssignment,
    ActionCarryOver,
    ActionItem,
    ActionReminder,
    AgencyLink,
    FocalPoint,
    ProgressReport,
)
from meetcore.agenda.models import AgendaDocument, AgendaItem
from meetcore.attendance.models import (  # noqa: F401
    Attendance,
    AttendanceBoard,
    IdentityChallenge,
    ServerProcess,
    SiteLink,
)
from meetcore.auth.models import ApiToken, User
from meetcore.directory.models import Agency, Person, Province, Role
from meetcore.eventlog.models import MeetingEvent
from meetcore.floor.models import FloorRequest, FloorSettings
from meetcore.invitations.models import CalendarFeed, CalendarReply, Invitation, MeetingCalendar
from meetcore.live.models import LiveConnection
from meetcore.mail.models import OutboxMessage
from meetcore.meetings.models import Meeting, Series
from meetcore.minutes.models import Decision, MinutesBlock, MinutesUpdate
from meetcore.polls.models import Poll, PollSeat, PollTally
from meetcore.reports.models import MinutesAmendment, OfficialMinutes
from meetcore.seats.models import Seat, SeatLink
from meetcore.video.models import VideoRecording, VideoRoom

__all__ = [
    "ActionAssignment",
    "ActionCarryOver",
    "ActionItem",
    "ActionReminder",
    "AgencyLink",
    "AgendaDocument",
    "AgendaItem",
    "Agency",
    "ApiToken",
    "Attendance",
    "CalendarFeed",
    "CalendarReply",
    "Decision",
    "FloorRequest",
    "FloorSettings",
    "FocalPoint",
    "Invitation",
    "LiveConnection",
    "Meeting",
    "MeetingCalendar",
    "MeetingEvent",
    "MinutesAmendment",
    "MinutesBlock",
    "MinutesUpdate",
    "OfficialMinutes",
    "OutboxMessage",
    "Person",
    "Poll",
    "PollSeat",
    "PollTally",
    "ProgressReport",
    "Province",
    "Role",
    "Seat",
    "SeatLink",
    "Series",
    "User",
    "VideoRecording",
    "VideoRoom",
]
