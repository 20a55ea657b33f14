"""A new meeting of a series starts from the previous one (issue 15, 4d): in one step, its roster (the
seats, without that sitting's replies) and its agenda's skeleton, beside the open actions the meeting
received when it was scheduled (meetcore.actions.carryover). Each part is written by its own domain's
service; all in the caller's transaction, which the entry point commits once."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from meetcore.actions.carryover import carried_actions
from meetcore.agenda.skeleton import copy_agenda_skeleton
from meetcore.agenda.tree import meeting_items
from meetcore.auth.permissions import require_editor
from meetcore.errors import Conflict
from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from meetcore.seats.succession import copy_roster, seat_count

OPEN_STATUSES = ("draft", "scheduled")


@dataclass
class Succession:
    source: Meeting
    seat_ids: list[int] = field(default_factory=list)
    item_ids: list[int] = field(default_factory=list)


def previous_meeting(meeting: Meeting) -> Meeting | None:
    """The latest sitting of the series before this one that was not cancelled."""
    return db.session.scalars(
        sa.select(Meeting)
        .where(Meeting.series_id == meeting.series_id, Meeting.id != meeting.id,
               Meeting.start_at < meeting.start_at, Meeting.status != "cancelled")
        .order_by(Meeting.start_at.desc(), Meeting.id.desc())
        .limit(1)
    ).first()  # fmt: skip


def _agenda_is_empty(meeting: Meeting) -> bool:
    """Empty but for the open actions carried in at scheduling and the section holding them."""
    carried = set(carried_actions(meeting.id))
    items = meeting_items(meeting.id)
    holders = {item.parent_id for item in items if item.id in carried}
    return all(item.id in carried or item.id in holders for item in items)


def can_start_from_previous(meeting: Meeting) -> Meeting | None:
    """The meeting to start from, when this one is new enough to start from it (offered on its page)."""
    if meeting.status not in OPEN_STATUSES or seat_count(meeting) or not _agenda_is_empty(meeting):
        return None
    return previous_meeting(meeting)


def start_from_previous(meeting: Meeting, *, keep_invitees: bool = True, by) -> Succession:
    """Copy the previous meeting's roster and agenda skeleton into this new meeting."""
    require_editor(by)
    if meeting.status not in OPEN_STATUSES:
        raise Conflict(_l("Only a meeting in draft or scheduled can start from the previous meeting."))
    source = previous_meeting(meeting)
    if source is None:
        raise Conflict(_l("This is the first meeting of its series: there is no previous meeting to start "
                          "from."))  # fmt: skip
    seat_ids = copy_roster(meeting, source, keep_invitees=keep_invitees, by=by)
    # Checked after the roster is written: a refusal here undoes it (one transaction, one answer).
    if not _agenda_is_empty(meeting):
        raise Conflict(_l("This meeting has an agenda already: the previous agenda is copied only into an "
                          "empty agenda."))  # fmt: skip
    # The earlier meeting's carried actions are not copied: those still open were carried in afresh.
    leave_out = set(carried_actions(source.id))
    item_ids = copy_agenda_skeleton(meeting, source, leave_out=leave_out, by=by)
    return Succession(source=source, seat_ids=seat_ids, item_ids=item_ids)
