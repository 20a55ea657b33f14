"""The live pages: the secretariat's console, the chair's view and the participant's view of a meeting in
session. Thin shells: the server renders the frame and the translated words; the browser module
static/src/live-client.js joins the meeting over Socket.IO (docs/protocol.md) and draws the live state.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, redirect, render_template, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from meetcore.actors import SEAT_SESSION_KEY
from meetcore.auth.permissions import STAFF, can_edit
from meetcore.directory.models import REGIONS, Agency
from meetcore.directory.services import list_provinces, list_roles
from meetcore.extensions import db
from meetcore.meetings.labels import status_label
from meetcore.meetings.models import MEETING_STATUSES, Meeting
from meetcore.meetings.services import get_meeting
from meetcore.polls.strings import poll_strings
from meetcore.seats.labels import region_label
from meetcore.seats.models import Seat
from meetcore.video.strings import projector_strings
from meetcore.video.views import pdfjs_urls

bp = Blueprint("live", __name__)


def _locale() -> str:
    return "en" if str(get_locale() or "th").startswith("en") else "th"


def _strings() -> dict[str, str]:
    """Every word the browser module shows, translated once per page."""
    return {
        # connection
        "connecting": _("Connecting…"),
        "connected": _("Connected"),
        "reconnecting": _("Reconnecting…"),
        "offline": _("Offline"),
        "offline_hint": _("No connection. The page catches up by itself when the connection is back."),
        "not_sent_offline": _("Not sent: there is no connection. Try again when it is back."),
        "no_answer": _("The server did not answer in time. Look at the page again before retrying."),
        "loading": _("Loading the meeting…"),
        "refused": _("The meeting could not be opened"),
        "reload": _("Reload the page"),
        # meeting
        **{f"status_{status}": status_label(status) for status in MEETING_STATUSES},
        "start_meeting": _("Start the meeting"),
        "start_early_confirm": _("This meeting is scheduled for %(date)s. Start it now, before that day?"),
        "start_early_yes": _("Yes, start it now"),
        "start_early_no": _("Wait for the scheduled day"),
        "end_meeting": _("End the meeting"),
        "end_confirm": _("End the meeting now? The floor closes and participants can no longer join."),
        "end_yes": _("Yes, end the meeting"),
        "end_no": _("Keep the meeting going"),
        "not_started": _("The meeting has not started yet."),
        "has_ended": _("The meeting has ended."),
        "was_cancelled": _("The meeting was cancelled."),
        "read_only": _("You are following the meeting; only the secretariat can change it."),
        # agenda
        "agenda": _("Agenda"),
        "no_agenda": _("The agenda has no items yet."),
        "documents": _("Documents"),
        "pdf_pending": _("Converting to PDF…"),
        "pdf_failed": _("PDF failed: the file can still be downloaded"),
        "current_item": _("Current item"),
        "no_current_item": _("No agenda item is being discussed yet."),
        "state_current": _("now"),
        "state_done": _("done"),
        "state_pending": _("pending"),
        "make_current": _("Move here"),
        "mark_done": _("Mark done"),
        "mark_not_done": _("Mark not done"),
        "item": _("Item"),
        # attendance
        "attendance": _("Attendance"),
        "present": _("Present"),
        "substitute": _("By substitute"),
        "absent": _("Absent"),
        "seats": _("Seats"),
        "total": _("All seats"),
        "central": _("Central seats"),
        "by_region": _("By region"),
        "by_role": _("By role"),
        "open_board": _("Open the attendance board"),
        "completeness": _("Attendance completeness"),
        # floor
        "floor": _("The floor"),
        "holder": _("Has the floor"),
        "nobody_holds": _("Nobody has the floor."),
        "queue": _("Waiting to speak"),
        "queue_empty": _("Nobody is waiting to speak."),
        "grant": _("Give the floor"),
        "grant_next": _("Give the floor to the next in line"),
        "revoke": _("Take the floor back"),
        "remove_request": _("Take off the queue"),
        "time_limit": _("Time limit per turn"),
        "no_limit": _("No limit"),
        "minutes_n": _("%(n)s min"),
        "set_turn_limit": _("Set for this turn"),
        "set_default_limit": _("Set for the next turns"),
        "default_limit": _("Default limit of the next turns"),
        "time_left": _("Time left"),
        "time_up": _("Time is up"),
        "request_floor": _("Request the floor"),
        "withdraw": _("Withdraw my request"),
        "yield_floor": _("I have finished speaking"),
        "note": _("What you want to raise (optional)"),
        "you_wait": _("You are number %(n)s in line."),
        "you_hold": _("You have the floor."),
        "asked_at": _("asked at"),
        "floor_closed": _("The floor is open while the meeting is in session."),
        # minutes, decisions, actions
        "minutes": _("Minutes"),
        "minutes_for": _("Minutes of item"),
        "minutes_empty": _("Nothing has been written for this item yet."),
        "minutes_follow": _("Follow the current item"),
        "minutes_unavailable": _("The minutes editor could not be loaded. Reload the page."),
        "minutes_closed": _("The minutes can be written once the meeting has started."),
        "decisions": _("Decisions"),
        "no_decisions": _("No decision has been recorded on this item."),
        "decision_text": _("Decision (มติที่ประชุม)"),
        "record_decision": _("Record the decision"),
        "present_when_taken": _("%(n)s seats present when taken"),
        "edit": _("Edit"),
        "save": _("Save"),
        "cancel": _("Cancel"),
        "delete": _("Delete"),
        "actions": _("Action items"),
        "my_actions": _("Actions given to my agency"),
        "no_actions": _("No action items yet."),
        "no_my_actions": _("No action has been given to your agency in this meeting."),
        "action_title": _("Title"),
        "action_description": _("Description"),
        "due_date": _("Due date"),
        "no_due_date": _("no due date"),
        "date_placeholder": _("dd/mm/yyyy (B.E.)"),
        "confirm_past_due": _("The due date has passed: give it all the same"),
        "owner": _("Owner"),
        "owner_role": _("A provincial role, in every province or some"),
        "owner_agency": _("One central agency"),
        "role": _("Role"),
        "provinces": _("Provinces"),
        "all_provinces": _("All provinces"),
        "some_provinces": _("Some provinces, chosen by name"),
        "find_province": _("Find a province by name"),
        "whole_region": _("The whole %(region)s"),
        "provinces_chosen": _("%(n)s provinces chosen"),
        "no_province_chosen": _("No province chosen yet: tick at least one."),
        "no_province_found": _("No province has that name."),
        "clear_provinces": _("Clear the choice"),
        "no_office": _("no such office"),
        "agency": _("Agency"),
        "assign_action": _("Assign the action"),
        "cancel_action": _("Cancel the action"),
        "cancelled": _("cancelled"),
        "assignments_n": _("%(n)s agencies"),
        "assignment_open": _("open"),
        "assignment_in_progress": _("in progress"),
        "assignment_done": _("done"),
        "assignment_cancelled": _("cancelled"),
        **poll_strings(),
        "saved": _("Saved."),
        "choose_item": _("Choose an agenda item first."),
        **projector_strings(),
        **_quality_strings(),
    }


def _quality_strings() -> dict[str, str]:
    """The board of the sites' connections (static/src/live-quality.js)."""
    return {
        "quality_none": _("No page has reported its connection yet."),
        "quality_site": _("Site"),
        "quality_level": _("Connection"),
        "quality_figures": _("Measured"),
        "quality_good": _("good"),
        "quality_weak": _("weak"),
        "quality_bad": _("bad"),
        "quality_bitrate": _("↓ %(down)s kbit/s, ↑ %(up)s kbit/s"),
        "quality_loss": _("loss %(loss)s"),
        "quality_rtt": _("round trip %(ms)s ms"),
        "quality_audio_only": _("audio only"),
    }


def _regions() -> dict[str, str]:
    return {region: region_label(region) for region in REGIONS}


def _role_title(role, locale: str) -> str:
    return (role.title_en if locale == "en" else role.title_th) or role.title_th


def _roles(locale: str) -> dict[str, dict]:
    return {
        role.code: {
            "title": _role_title(role, locale),
            "short": (role.short_en if locale == "en" else role.short_th) or role.short_th or "",
            "scope": role.scope,
        }
        for role in list_roles()
    }


def _owner_choices(locale: str) -> dict:
    """What the action form offers: the provincial roles that have an office in the provinces (พมจ. first,
    the lead host of social work), the central agencies, the provinces."""
    name = "name_en" if locale == "en" else "name_th"
    central = db.session.scalars(sa.select(Agency).where(Agency.kind == "central").order_by(Agency.id))
    offices = sa.select(Agency.role_id, Agency.province_id).where(Agency.kind == "provincial")
    office_provinces: dict[int, set[int]] = {}
    for role_id, province_id in db.session.execute(offices):
        office_provinces.setdefault(role_id, set()).add(province_id)
    roles = [role for role in list_roles("provincial") if role.id in office_provinces]
    roles.sort(key=lambda role: (role.code != "social_development", role.sort_order, role.code))
    provinces = list_provinces(locale=locale)
    return {
        # A province without the role's office cannot own the action (Bangkok has no พมจ.): the picker
        # shows it but does not let it be ticked.
        "roles": [{"code": role.code, "title": _role_title(role, locale),
                   "without_office": [p.code for p in provinces if p.id not in office_provinces[role.id]]}
                  for role in roles],
        "central_agencies": [{"id": a.id, "name": getattr(a, name) or a.name_th} for a in central],
        "provinces": [{"code": p.code, "name": getattr(p, name) or p.name_th, "region": p.region}
                      for p in provinces],
    }  # fmt: skip


def _config(meeting: Meeting, page: str, **extra) -> dict:
    locale = _locale()
    return {
        "page": page,
        "meeting_id": meeting.id,
        "locale": locale,
        "strings": _strings(),
        "regions": _regions(),
        "roles": _roles(locale),
        "urls": {"board": url_for("seats.board", meeting_id=meeting.id), **pdfjs_urls()},
        **extra,
    }


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/meetings/<int:meeting_id>/live")
@login_required
def console(meeting_id: int):
    """The secretariat's live console; the chair sees it read-only."""
    meeting = get_meeting(meeting_id, by=current_user)
    editor = can_edit(current_user)
    extra = {"can_edit": editor, "can_run_floor": True}
    if editor:
        extra["owners"] = _owner_choices(_locale())
    config = _config(meeting, "console", **extra)
    return _private(Response(render_template("live/console.html", meeting=meeting, config=config,
                                             can_edit_live=editor)))  # fmt: skip


@bp.get("/meetings/<int:meeting_id>/chair")
@login_required
def chair(meeting_id: int):
    """The chair's view: the floor queue and attendance completeness."""
    meeting = get_meeting(meeting_id, by=current_user)
    config = _config(meeting, "chair", can_edit=False, can_run_floor=True)
    return _private(Response(render_template("live/chair.html", meeting=meeting, config=config)))


def _seat_identity(meeting_id: int) -> dict | None:
    stored = session.get(SEAT_SESSION_KEY)
    if isinstance(stored, dict) and stored.get("meeting_id") == meeting_id and stored.get("seat_id"):
        return stored
    return None


def _refused(status: int, message: str, reason: str) -> Response:
    page = render_template("live/refused.html", status=status, message=message, reason=reason)
    response = Response(page, status=status)
    response.headers["Referrer-Policy"] = "no-referrer"
    return _private(response)


@bp.get("/live/<int:meeting_id>")
def participant(meeting_id: int):
    """A participant's live page: open only to the seat whose identity this browser confirmed through the
    personal link of this meeting."""
    identity = _seat_identity(meeting_id)
    if identity is None and current_user.is_authenticated and current_user.role in STAFF:
        # Staff follow the meeting from their own pages.
        target = "live.console" if can_edit(current_user) else "live.chair"
        return redirect(url_for(target, meeting_id=meeting_id))
    if identity is None:
        stored = session.get(SEAT_SESSION_KEY)
        if isinstance(stored, dict) and stored.get("meeting_id"):
            message = _(
                "Your personal link in this browser belongs to another meeting. Open the link from "
                "this meeting's invitation e-mail."
            )
            return _refused(403, message, "other_meeting")
        message = _(
            "This page opens from your personal link. Open the link in your invitation e-mail; "
            "it asks you to confirm who you are and then brings you here."
        )
        return _refused(403, message, "no_identity")
    meeting = db.session.get(Meeting, meeting_id)
    seat = db.session.get(Seat, identity["seat_id"])
    if meeting is None or seat is None or seat.meeting_id != meeting.id:
        message = _("This meeting or your seat in it no longer exists. Ask the secretariat.")
        return _refused(404, message, "no_seat")
    config = _config(meeting, "participant", can_edit=False, can_run_floor=False, seat_id=seat.id)
    return _private(Response(render_template("live/participant.html", meeting=meeting, seat=seat,
                                             identity=identity, config=config)))  # fmt: skip
