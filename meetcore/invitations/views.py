"""Invitations in the console (send, outbox status, resend), the invitee's reply page, calendar feeds.

Thin: load → check → call one service → render.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from meetcore.auth.permissions import can_edit, require_editor
from meetcore.errors import Conflict, InvalidInput
from meetcore.invitations import answers, feeds, sending, util
from meetcore.invitations import reply_log as log_of_replies
from meetcore.invitations.preview import preview_invitation
from meetcore.invitations.reply_reasons import reason_text
from meetcore.link_limits import link_limit
from meetcore.mail import services as outbox
from meetcore.mail.claims import IN_DOUBT_NOTE
from meetcore.mail.transfer import IN_DOUBT_LOST_NOTE
from meetcore.meetings.services import get_meeting

bp = Blueprint("invitations", __name__)

OUTBOX_PAGE_SIZE = 50
KIND_LABELS = {
    "invitation": _l("Invitation"),
    "update": _l("Update"),
    "cancellation": _l("Cancellation"),
    "withdrawal": _l("Invitation withdrawn"),
    "reminder": _l("Reminder"),
    "notice": _l("Notice"),
}
STATUS_LABELS = {
    "pending": _l("Waiting"),
    "claimed": _l("Being sent"),
    "sending": _l("Being sent"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
    "superseded": _l("Replaced by a newer message"),
}
PARTSTAT_LABELS = {
    "NEEDS-ACTION": _l("No reply yet"),
    "ACCEPTED": _l("Accepted"),
    "DECLINED": _l("Declined"),
    "TENTATIVE": _l("Tentative"),
    "DELEGATED": _l("Sent a substitute"),
}
OUTCOME_LABELS = {
    "applied": _l("Applied"),
    "stale": _l("Out of date, ignored"),
    "unknown_uid": _l("Unknown meeting, ignored"),
    "not_invited": _l("Not invited, ignored"),
    "malformed": _l("Unreadable, ignored"),
    "unsupported": _l("Not a reply, ignored"),
    "refused": _l("Refused"),
    "duplicate": _l("Already read, ignored"),
    "delegation_request": _l("Asks to hand the seat to someone outside the roster"),
    "delegation_approved": _l("Seat handed over (approved)"),
}
OUTCOME_FILTER_LABELS = {log_of_replies.ATTENTION: _l("Needs a look"), **OUTCOME_LABELS}
REPLY_LOG_PAGE_SIZE = 50


@bp.context_processor
def _labels() -> dict:
    return {
        "kind_label": lambda kind: KIND_LABELS.get(kind, kind),
        "outbox_status_label": lambda status: STATUS_LABELS.get(status, status),
        "partstat_label": lambda value: PARTSTAT_LABELS.get(value, value),
        "outcome_label": lambda value: OUTCOME_LABELS.get(value, value),
        "outcome_filter_label": lambda value: OUTCOME_FILTER_LABELS.get(value, value),
        "reply_reason": reason_text,
        "in_doubt_note": IN_DOUBT_NOTE,
        "in_doubt_lost_note": IN_DOUBT_LOST_NOTE,
    }


def _int_arg(name: str, default: int) -> int:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and int(value) > 0 else default


def _locale() -> str:
    return "en" if str(get_locale() or "th").startswith("en") else "th"


# --- the console -----------------------------------------------------------------------------------------


@bp.get("/meetings/<int:meeting_id>/invitations")
@login_required
def overview(meeting_id: int):
    meeting = get_meeting(meeting_id, by=current_user)
    status = request.args.get("status") or None
    if status not in outbox.SHOWN_STATUSES:
        status = None
    return render_template(
        "invitations/overview.html",
        meeting=meeting,
        info=util.invitation_overview(meeting, by=current_user),
        summary=outbox.outbox_summary(meeting, by=current_user),
        messages=outbox.list_outbox(
            meeting, by=current_user, status=status, page=_int_arg("page", 1), per_page=OUTBOX_PAGE_SIZE
        ),
        status=status or "",
        statuses=outbox.SHOWN_STATUSES,
        smtp_host=current_app.config.get("MEETCORE_SMTP_HOST"),
        editable=can_edit(current_user),
        sendable=meeting.status in util.SENDABLE_STATUSES,
        locale=_locale(),
    )


@bp.route("/meetings/<int:meeting_id>/invitations/send", methods=["GET", "POST"])
@login_required
def send(meeting_id: int):
    """GET: what would be sent, with a confirmation button; POST: send (the confirmed count must hold)."""
    meeting = get_meeting(meeting_id, by=current_user)
    require_editor(current_user)
    if request.method == "POST":
        try:
            result = sending.send_invitations(
                meeting, {"expected": request.form.get("expected") or None}, by=current_user
            )
        except (InvalidInput, Conflict) as error:
            flash(str(error.message), "error")
            return redirect(url_for("invitations.send", meeting_id=meeting.id))
        flash(
            ngettext(
                "%(num)s invitation has been put in the outbox.",
                "%(num)s invitations have been put in the outbox.",
                result.sent,
            ),
            "success",
        )
        return redirect(url_for("invitations.overview", meeting_id=meeting.id))
    plan = util.plan_invitations(meeting, by=current_user)
    return render_template(
        "invitations/confirm_send.html",
        meeting=meeting,
        plan=plan,
        preview=preview_invitation(meeting, by=current_user) if plan.count else None,
        sendable=meeting.status in util.SENDABLE_STATUSES,
        smtp_host=current_app.config.get("MEETCORE_SMTP_HOST"),
        locale=_locale(),
    )


@bp.get("/meetings/<int:meeting_id>/invitations/progress")
@login_required
def progress(meeting_id: int):
    """The sending's counts for the invitations page, which asks every few seconds while mail waits."""
    meeting = get_meeting(meeting_id, by=current_user)
    summary = outbox.outbox_summary(meeting, by=current_user)
    plan = util.plan_invitations(meeting, by=current_user)
    response = jsonify({
        "sent": summary["sent"], "pending": summary["pending"] + summary["sending"],
        "failed": summary["failed"],
        "invited": plan.invited, "waiting": plan.count, "without_email": len(plan.without_email),
        "total": plan.total,
    })  # fmt: skip
    return _private(response)


@bp.post("/meetings/<int:meeting_id>/invitations/deliver")
@login_required
def deliver(meeting_id: int):
    """Run the sender now (it also runs on its own with `meetcore mail send --loop`)."""
    from meetcore.mail.sender import deliver_outbox

    meeting = get_meeting(meeting_id, by=current_user)
    require_editor(current_user)
    report = deliver_outbox()
    if report.skipped:
        flash(
            _("No SMTP server is configured (MEETCORE_SMTP_HOST): the messages stay in the outbox."), "error"
        )
    else:
        flash(
            _("Sent %(sent)s, to be retried %(deferred)s, failed %(failed)s.",
              sent=report.sent, deferred=report.deferred, failed=report.failed),
            "success" if not report.failed else "error",
        )  # fmt: skip
    return redirect(url_for("invitations.overview", meeting_id=meeting.id))


@bp.post("/meetings/<int:meeting_id>/outbox/<int:message_id>/resend")
@login_required
def resend(meeting_id: int, message_id: int):
    meeting = get_meeting(meeting_id, by=current_user)
    try:
        message = outbox.resend_message(meeting, message_id, by=current_user)
    except Conflict as error:
        flash(str(error.message), "error")
    else:
        flash(_("The message to %(to)s will be sent again.", to=message.recipient), "success")
    return redirect(url_for("invitations.overview", meeting_id=meeting.id, status=request.form.get("status")))


@bp.post("/meetings/<int:meeting_id>/outbox/resend-failed")
@login_required
def resend_failed(meeting_id: int):
    meeting = get_meeting(meeting_id, by=current_user)
    count = outbox.resend_failed(meeting, by=current_user)
    flash(
        ngettext("%(num)s message will be sent again.", "%(num)s messages will be sent again.", count),
        "success",
    )
    return redirect(url_for("invitations.overview", meeting_id=meeting.id))


@bp.post("/meetings/<int:meeting_id>/invitations/replies/<int:reply_id>/approve")
@login_required
def approve_delegation(meeting_id: int, reply_id: int):
    """One click: hand the seat to the delegate a calendar reply named (the console's hand-over)."""
    meeting = get_meeting(meeting_id, by=current_user)
    try:
        reply = answers.approve_delegation(meeting, reply_id, by=current_user)
    except Conflict as error:
        flash(str(error.message), "error")
    else:
        flash(_("The seat has been handed to %(to)s.", to=reply.delegated_to), "success")
    return redirect(url_for("invitations.overview", meeting_id=meeting.id))


@bp.get("/calendar-replies")
@login_required
def reply_log():
    """Every calendar reply read, also those no meeting's page lists (unknown UID, unreadable) and the
    refused ones, with the reason; filterable. Admins and the secretariat."""
    outcome = request.args.get("outcome") or None
    if outcome not in log_of_replies.OUTCOME_FILTERS:
        outcome = None
    address = (request.args.get("address") or "").strip()[:254]
    unmatched = request.args.get("unmatched") == "1"
    page = log_of_replies.list_reply_log(
        by=current_user, outcome=outcome, address=address or None, unmatched=unmatched,
        page=_int_arg("page", 1), per_page=REPLY_LOG_PAGE_SIZE,
    )  # fmt: skip
    return render_template(
        "invitations/reply_log.html", page=page, outcome=outcome or "", address=address, unmatched=unmatched,
        outcomes=log_of_replies.OUTCOME_FILTERS,
    )  # fmt: skip


# --- the invitee's reply page (no sign-in) -----------------------------------------------------------------


def _private(response: Response) -> Response:
    # The address carries the token: keep it out of caches, other sites' Referer headers and search engines.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _render_rsvp(token: str, rsvp, *, status: int = 200, form=None, error_field=None, feed_url=None):
    answer = request.args.get("answer") if request.method == "GET" else (form or {}).get("answer")
    page = render_template(
        "invitations/rsvp.html",
        token=token,
        rsvp=rsvp,
        invitation=rsvp.invitation,
        seat=rsvp.seat,
        meeting=rsvp.meeting,
        chosen=answer if answer in rsvp.answers else None,
        form=form or {},
        error_field=error_field,
        feed_url=feed_url,
        locale=_locale(),
    )
    return _private(Response(page, status=status))


@bp.route("/rsvp/<token>", methods=["GET", "POST"])
@link_limit()
def rsvp(token: str):
    """Accept, decline with a reason, or send a substitute. A link only shows the form: the answer is the
    button press (mail scanners follow links, they do not press buttons)."""
    try:
        current = util.rsvp_for_token(token)
    except util.RsvpLinkUnknown as error:
        page = render_template("invitations/link_refused.html", status=error.status, message=error.message)
        return _private(Response(page, status=error.status))
    if request.method == "GET":
        return _render_rsvp(token, current)
    form = {key: request.form.get(key, "") for key in (
        "answer", "reason", "substitute_name", "substitute_position", "substitute_email")}  # fmt: skip
    data = {key: value for key, value in form.items() if key == "answer" or value.strip()}
    try:
        answers.answer_rsvp(token, data, locale=_locale())
    except (InvalidInput, Conflict) as error:
        flash(str(error.message), "error")
        current = util.rsvp_for_token(token)
        return _render_rsvp(token, current, status=422, form=form, error_field=error.field)
    flash(_("Thank you, your reply has been recorded."), "success")
    return _private(redirect(url_for("invitations.rsvp", token=token)))


@bp.post("/rsvp/<token>/feed")
@link_limit("20 per minute")
def rsvp_feed(token: str):
    """Show the holder's personal calendar subscription address."""
    try:
        url = feeds.personal_feed_url(token)
    except util.RsvpLinkUnknown as error:
        page = render_template("invitations/link_refused.html", status=error.status, message=error.message)
        return _private(Response(page, status=error.status))
    return _render_rsvp(token, util.rsvp_for_token(token), feed_url=url)


@bp.get("/calendar/<token>.ics")
@link_limit("120 per hour")
def feed(token: str):
    """A personal or agency calendar subscription (iCalendar), for Outlook, Google Calendar or a phone."""
    try:
        body = util.feed_calendar(token)
    except util.FeedUnknown as error:
        return _private(Response(str(error.message), status=error.status, mimetype="text/plain"))
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="meetcore.ics"'
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
