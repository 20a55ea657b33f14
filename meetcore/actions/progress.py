"""Progress reports on assignments: the only writers of ProgressReport rows and of an assignment's status
after the meeting.

A progress report changes the assignment's status and is kept as one more row of its history
(ProgressReport), with an optional attachment stored under instance/ (meetcore.actions.attachments).
Progress is not written to the meeting's event log: that log is read by every participant of the
meeting, and one agency's progress is not another's business.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from meetcore import transaction
from meetcore.actions import attachments
from meetcore.actions.access import AgencyAccess, can_report
from meetcore.actions.assignments import _assignment_in_scope
from meetcore.actions.models import ActionAssignment, ActionItem, ProgressReport
from meetcore.actions.schemas import ProgressInput
from meetcore.auth.models import User
from meetcore.database import utcnow
from meetcore.errors import Conflict, InvalidInput, PermissionDenied
from meetcore.extensions import db
from meetcore.schemas import load_input


def _reporter(by) -> dict:
    if isinstance(by, AgencyAccess):
        return {"link_id": by.link_id, "user_id": None}
    return {"user_id": by.id, "link_id": None}


def report_progress(assignment_id: int, data: dict, *, attachment=None, by) -> ProgressReport:
    """Report progress on one assignment: its new status, a note and an optional file (a FileStorage or
    anything with .stream/.read and .filename). Kept as one more row of its history."""
    assignment = _assignment_in_scope(assignment_id, by)
    if not can_report(by, assignment):
        raise PermissionDenied(_l("Only the agency's focal point or the secretariat can report progress."))
    values = load_input(ProgressInput(), data)
    if isinstance(by, AgencyAccess) and not values.get("reporter_name"):
        raise InvalidInput(_l("Give your name: the report is kept with it."), field="reporter_name")
    if not values.get("note") and attachment is None and values["status"] == assignment.status:
        raise InvalidInput(_l("Say what has changed: a new status, a note or a file."), field="note")
    # Lock the assignment: two reports at once are both kept, and the later one sets the status.
    assignment = db.session.scalars(
        sa.select(ActionAssignment)
        .where(ActionAssignment.id == assignment.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    action = db.session.get(ActionItem, assignment.action_item_id)
    if assignment.status == "cancelled" or action.cancelled_at is not None:
        raise Conflict(_l("This action item was withdrawn; it takes no more reports."))
    stored = None
    if attachment is not None:
        stream = getattr(attachment, "stream", attachment)
        stored = attachments.store(stream, getattr(attachment, "filename", None))
    now = utcnow()
    reporter_name = values.get("reporter_name")
    if reporter_name is None and isinstance(by, User):
        reporter_name = by.display_name
    report = ProgressReport(
        assignment_id=assignment.id,
        status=values["status"],
        note=values.get("note"),
        created_at=now,
        reporter_name=reporter_name,
        **_reporter(by),
        attachment_key=stored.key if stored else None,
        attachment_name=stored.name if stored else None,
        attachment_type=stored.content_type if stored else None,
        attachment_size=stored.size if stored else None,
        attachment_sha256=stored.sha256 if stored else None,
    )
    db.session.add(report)
    assignment.status = values["status"]
    assignment.last_reported_at = now
    if values.get("note"):
        assignment.last_note = values["note"]
    try:
        db.session.flush()
    except BaseException:
        attachments.discard(stored.key if stored else None)
        raise
    if stored:  # the entry point's commit failed or it refused: nothing refers to the file
        transaction.on_rollback(attachments.discard, stored.key)
    return report
