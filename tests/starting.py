"""Start a test's meeting now, whatever day it is scheduled for.

The suite's meetings lie a week ahead (tests/clock.py: MEETING_DAY), and the product asks before a meeting
is started more than a day before its scheduled start (meetings.services.start_meeting raises
ConfirmationRequired; the live ``meeting.start`` answers ``confirmation_required``). A test about something
else that needs the meeting in session says yes, as the chair does with the console's "start it now"
button. The question itself is tested in tests/meetings/test_early_start.py.
"""

from __future__ import annotations


def start_now(meeting, *, by):
    """meetings.services.start_meeting, confirming an early start."""
    from meetcore.meetings.services import start_meeting

    return start_meeting(meeting, by=by, confirm_early=True)


def start_command(meeting_id: int) -> dict:
    """The data of a live ``meeting.start`` that starts the meeting now, confirming an early start."""
    return {"meeting_id": meeting_id, "confirm_early": True}
