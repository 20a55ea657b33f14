"""Reminder e-mails to the agencies that own open assignments: some days before the due date
(MEETCORE_ACTION_REMINDER_DAYS) and once when it has passed, through the outbox.

Each (assignment, stage, due date) is handled once: an ActionReminder row remembers it (its unique key
makes a second run, or a parallel worker, add nothing) and each message carries an outbox dedupe key. A
new due date starts the stages afresh. When several stages are due at once (the worker was down), only the
nearest one goes; a stage that had already begun when the action was given is skipped (the meeting itself
told the agency).

Who is written to: the agency's focal points (their accounts lead to the signed-in page); an agency
without one gets the mail at the addresses of its people in the directory, each with a new agency link.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from meetcore.actions.assignments import OPEN_STATUSES, local_today
from meetcore.actions.grants import issue_agency_link
from meetcore.actions.models import ActionAssignment, ActionItem, ActionReminder, FocalPoint
from meetcore.actors import SYSTEM_MAIL
from meetcore.auth.models import User
from meetcore.database import utcnow
from meetcore.directory.models import Agency, Person
from meetcore.extensions import db
from meetcore.i18n.dates import be_date, to_local
from meetcore.invitations.messages import in_language
from meetcore.mail import services as outbox
from meetcore.mail.message import build_message, public_url, sender_address
from meetcore.meetings.models import Meeting
from meetcore.transaction import unit_of_work

log = logging.getLogger(__name__)
OVERDUE = "overdue"


def reminder_days() -> list[int]:
    """MEETCORE_ACTION_REMINDER_DAYS ("7,1") as [7, 1]; ValueError when malformed."""
    spec = current_app.config.get("MEETCORE_ACTION_REMINDER_DAYS") or ""
    days = []
    for piece in spec.replace(" ", "").split(","):
        if not piece:
            continue
        if not piece.isdigit() or int(piece) <= 0:
            raise ValueError(f"not a number of days: {piece!r} (use e.g. 7,1)")
        days.append(int(piece))
    return sorted(set(days), reverse=True)


def stage_for(due: date, today: date, given_on: date, days: list[int]) -> str | None:
    """Which reminder is due today for an assignment due on ``due`` and given on ``given_on``."""
    if today > due:
        return OVERDUE
    started = [d for d in days if due - timedelta(days=d) <= today]
    if not started:
        return None
    nearest = min(started)
    if given_on > due - timedelta(days=nearest):
        return None  # given inside this stage's window: the meeting was the reminder
    return f"before-{nearest}d"


@dataclass
class Recipient:
    email: str
    name: str | None
    locale: str | None
    url: str


def _recipients(agency: Agency, link_cache: dict[int, str]) -> list[Recipient]:
    users = db.session.scalars(
        sa.select(User)
        .join(FocalPoint, FocalPoint.user_id == User.id)
        .where(FocalPoint.agency_id == agency.id, User.active.is_(True))
        .order_by(User.id)
    ).all()
    if users:
        url = public_url("actions.my_assignments")
        return [Recipient(u.email, u.display_name, u.locale, url) for u in users]
    people = db.session.execute(
        sa.select(Person.email, Person.name)
        .where(Person.agency_id == agency.id, Person.email.is_not(None))
        .order_by(Person.id)
    ).all()
    seen, found = set(), []
    for email, name in people:
        if email.lower() in seen:
            continue
        seen.add(email.lower())
        found.append((email, name))
    if not found:
        return []
    if agency.id not in link_cache:
        link_cache[agency.id] = issue_agency_link(agency, {"label": "reminder"}, by=SYSTEM_MAIL)
    url = public_url("actions.link_home", token=link_cache[agency.id])
    return [Recipient(email, name, None, url) for email, name in found]


def _compose(
    assignment: ActionAssignment, action: ActionItem, meeting: Meeting, stage: str, recipient: Recipient
) -> tuple[str, bytes, str]:
    with in_language(recipient.locale):
        due = be_date(assignment.due_date)
        if stage == OVERDUE:
            subject = _("Overdue: “%(title)s” was due on %(date)s", title=action.title, date=due)
        else:
            subject = _("Reminder: “%(title)s” is due on %(date)s", title=action.title, date=due)
        context = {
            "assignment": assignment,
            "action": action,
            "meeting": meeting,
            "stage": stage,
            "overdue": stage == OVERDUE,
            "due": due,
            "url": recipient.url,
            "agency": assignment.agency,
            "name": recipient.name,
        }
        env = current_app.jinja_env
        text = env.get_template("actions/email/reminder.txt").render(**context)
        html = env.get_template("actions/email/reminder.html").render(**context)
    built = build_message(to=recipient.email, to_name=recipient.name, subject=subject, text=text, html=html)
    return subject, built, text


def _dedupe_key(assignment: ActionAssignment, stage: str, email: str) -> str:
    who = hashlib.sha256(email.lower().encode()).hexdigest()[:16]
    return f"action:{assignment.id}:{assignment.due_date.isoformat()}:{stage}:{who}"


def enqueue_action_reminders(now: datetime | None = None) -> int:
    """Queue the action reminders due now, each assignment's as a step of the worker committed on its own
    (issue 19); returns how many messages were queued."""
    try:
        days = reminder_days()
    except ValueError:
        log.exception("MEETCORE_ACTION_REMINDER_DAYS is malformed; no action reminders")
        return 0
    today = to_local(now).date() if now else local_today()
    horizon = today + timedelta(days=max(days, default=0))
    rows = db.session.execute(
        sa.select(ActionAssignment, ActionItem, Meeting)
        .join(ActionItem, ActionAssignment.action_item_id == ActionItem.id)
        .join(Meeting, ActionItem.meeting_id == Meeting.id)
        .options(joinedload(ActionAssignment.agency), joinedload(Meeting.series))
        .where(
            ActionAssignment.status.in_(OPEN_STATUSES),
            ActionAssignment.due_date.is_not(None),
            ActionAssignment.due_date <= horizon,
            ActionItem.cancelled_at.is_(None),
            Meeting.status != "cancelled",
        )
        .order_by(ActionAssignment.due_date, ActionAssignment.id)
    ).all()
    if not rows:
        return 0
    done = set(
        db.session.execute(
            sa.select(ActionReminder.assignment_id, ActionReminder.stage, ActionReminder.due_date).where(
                ActionReminder.assignment_id.in_([a.id for a, _i, _m in rows])
            )
        ).all()
    )
    queued = 0
    link_cache: dict[int, str] = {}
    for assignment, action, meeting in rows:
        stage = stage_for(assignment.due_date, today, to_local(action.created_at).date(), days)
        if stage is None or (assignment.id, stage, assignment.due_date) in done:
            continue
        try:
            with unit_of_work():  # each assignment's reminder is one step of the worker: committed apart
                queued += _remind(assignment, action, meeting, stage, link_cache)
        except IntegrityError:  # another worker handled this stage meanwhile
            link_cache.clear()  # links issued in the rolled-back transaction are gone
            log.info("action reminder %s/%s was queued by another worker", assignment.id, stage)
    return queued


def _remind(assignment, action, meeting, stage: str, link_cache: dict[int, str]) -> int:
    """Queue one stage's reminder of one assignment to its agency's recipients (flushed); how many."""
    recipients = _recipients(assignment.agency, link_cache)
    db.session.add(
        ActionReminder(
            assignment_id=assignment.id,
            stage=stage,
            due_date=assignment.due_date,
            recipients=len(recipients),
            created_at=utcnow(),
        )
    )
    for recipient in recipients:
        subject, built, _text = _compose(assignment, action, meeting, stage, recipient)
        outbox.enqueue(
            built,
            kind="reminder",
            recipient=recipient.email,
            recipient_name=recipient.name,
            subject=subject,
            sender=sender_address(),
            meeting_id=meeting.id,
            dedupe_key=_dedupe_key(assignment, stage, recipient.email),
        )
    db.session.flush()
    return len(recipients)
