"""Seat roster and attendance board (being written)."""

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from meetcore.meetings.services import get_meeting

bp = Blueprint("seats", __name__)


@bp.get("/meetings/<int:meeting_id>/roster")
@login_required
def roster(meeting_id: int):
    meeting = get_meeting(meeting_id, by=current_user)
    return render_template("seats/roster.html", meeting=meeting)


@bp.get("/meetings/<int:meeting_id>/board")
@login_required
def board(meeting_id: int):
    meeting = get_meeting(meeting_id, by=current_user)
    return render_template("seats/roster.html", meeting=meeting)
