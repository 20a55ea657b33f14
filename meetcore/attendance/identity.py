"""The identity check before joining (พ.ร.ก. ว่าด้วยการประชุมผ่านสื่ออิเล็กทรอนิกส์ พ.ศ. 2563): the person who opened
a seat's personal link confirms name and position, says whether they attend themselves or as a substitute
(ผู้แทน) for the invitee, and, where the meeting asks for it, enters a one-time code e-mailed to the seat's
address. The only writer of IdentityChallenge rows.

A code is six digits, valid for CODE_TTL, and allows MAX_ATTEMPTS tries (each try is counted by one atomic
UPDATE before the code is compared, so concurrent guesses cannot exceed it). Only a keyed hash of the code is
stored. A seat gets at most MAX_CODES_PER_HOUR codes an hour, and one per RESEND_WAIT.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from meetcore import transaction
from meetcore.actors import SeatActor
from meetcore.attendance.models import IdentityChallenge
from meetcore.attendance.schemas import CodeInput, IdentityInput
from meetcore.database import utcnow
from meetcore.errors import DomainError, InvalidInput
from meetcore.eventlog.services import record_event
from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from meetcore.schemas import load_input
from meetcore.seats.models import Seat

CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
RESEND_WAIT = timedelta(seconds=60)
MAX_CODES_PER_HOUR = 5
OPEN_STATUSES = ("draft", "scheduled", "live")


class MeetingClosed(DomainError):
    code = "meeting_closed"
    status = 410
    default_message = _l("This meeting has ended; its link no longer lets anyone join.")


class CodeNotSent(DomainError):
    code = "no_email"
    status = 409
    default_message = _l(
        "This meeting asks for a code sent to the seat's e-mail address, but no address is on file for this "
        "seat. Ask the secretariat to add it."
    )


class TooManyCodes(DomainError):
    code = "rate_limited"
    status = 429
    default_message = _l("Too many codes were asked for this seat in the last hour. Try again later.")


class CodeExpired(DomainError):
    code = "code_expired"
    status = 410
    default_message = _l("This code has expired or was used already. Ask for a new code.")


class CodeLocked(DomainError):
    code = "too_many_attempts"
    status = 429
    default_message = _l("The code was entered wrongly too many times. Ask for a new code.")


class WrongCode(InvalidInput):
    default_message = _l("The code is not right.")


# --- what the page shows ---------------------------------------------------------------------------------


@dataclass
class IdentityCheck:
    seat: Seat
    meeting: Meeting

    @property
    def requires_code(self) -> bool:
        return bool(self.meeting.requires_identity_code)


def _check_open(meeting: Meeting) -> None:
    if meeting.status == "cancelled":
        raise MeetingClosed(_l("This meeting has been cancelled."))
    if meeting.status not in OPEN_STATUSES:
        raise MeetingClosed()


def open_identity_check(token: str) -> IdentityCheck:
    """The seat and meeting a personal link opens, refused (link or meeting) with a clear error."""
    from meetcore.seats.links import invitation_for_link

    invitation = invitation_for_link(token)
    _check_open(invitation.meeting)
    return IdentityCheck(seat=invitation.seat, meeting=invitation.meeting)


def masked_email(address: str | None) -> str:
    """ "s•••@example.org": enough for the person to recognise the mailbox, not to learn it."""
    local, _at, domain = (address or "").partition("@")
    return f"{local[:1]}•••@{domain}" if domain else "•••"


# --- confirming ----------------------------------------------------------------------------------------


@dataclass
class ConfirmedIdentity:
    seat_id: int
    meeting_id: int
    attendee_name: str
    attendee_position: str
    as_substitute: bool
    link: str = ""  # the SHA-256 of the personal link it came through: withdrawing the link ends it

    def session_value(self) -> dict:
        """What the join flow keeps in flask.session[SEAT_SESSION_KEY] (read by the Socket.IO connect)."""
        return {
            "seat_id": self.seat_id,
            "meeting_id": self.meeting_id,
            "attendee_name": self.attendee_name,
            "attendee_position": self.attendee_position,
            "as_substitute": self.as_substitute,
            "link": self.link,
        }


@dataclass
class CodeSent:
    challenge: IdentityChallenge
    sent_now: bool  # False: the code sent a moment ago stands

    @property
    def masked_email(self) -> str:
        return masked_email(self.challenge.email)


def _same_name(a: str | None, b: str | None) -> bool:
    return " ".join((a or "").split()).casefold() == " ".join((b or "").split()).casefold()


def _identity(seat: Seat, data) -> dict:
    values = load_input(IdentityInput(), data)
    as_substitute = values["attending"] == "substitute"
    if as_substitute and seat.name and _same_name(values["attendee_name"], seat.name):
        raise InvalidInput(
            _l("As a substitute, give your own name and position, not the invitee's."), field="attendee_name"
        )
    return {
        "attendee_name": values["attendee_name"],
        "attendee_position": values["attendee_position"],
        "as_substitute": as_substitute,
    }


def _confirmed(
    seat: Seat, meeting: Meeting, identity: dict, token: str, *, code_checked: bool
) -> ConfirmedIdentity:
    from meetcore.tokenlinks import hash_token

    record_event(meeting, "attendance.identity_confirmed", {
        "seat_id": seat.id, **identity, "code_checked": code_checked,
    }, by=SeatActor(seat_id=seat.id, meeting_id=meeting.id, **identity), seat=seat)  # fmt: skip
    return ConfirmedIdentity(seat_id=seat.id, meeting_id=meeting.id, link=hash_token(token), **identity)


def confirm_identity(
    token: str,
    data,
    *,
    client: tuple[str | None, str | None] = (None, None),
    challenge_id: int | None = None,
) -> ConfirmedIdentity | CodeSent:
    """The identity declared on the page: confirmed at once, or, where the meeting asks for a code, kept
    waiting for it while the code goes to the seat's address (``challenge_id``: the one this browser is
    waiting for, reused rather than sending a second code within RESEND_WAIT)."""
    check = open_identity_check(token)
    seat, meeting = check.seat, check.meeting
    identity = _identity(seat, data)
    if not check.requires_code:
        confirmed = _confirmed(seat, meeting, identity, token, code_checked=False)
        db.session.flush()
        return confirmed
    recent = _waiting_challenge(seat, challenge_id)
    if recent is not None and utcnow() - recent.created_at < RESEND_WAIT:
        for name, value in identity.items():
            setattr(recent, name, value)
        db.session.flush()
        return CodeSent(challenge=recent, sent_now=False)
    challenge = _new_challenge(seat, meeting, identity, client)
    db.session.flush()
    return CodeSent(challenge=challenge, sent_now=True)


def _waiting_challenge(seat: Seat, challenge_id) -> IdentityChallenge | None:
    if not isinstance(challenge_id, int):
        return None
    challenge = db.session.get(IdentityChallenge, challenge_id, populate_existing=True)
    if challenge is None or challenge.seat_id != seat.id or challenge.confirmed_at is not None:
        return None
    if challenge.expires_at <= utcnow():
        return None
    return challenge


def _code_hash(salt: str, code: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"{salt}:{code}".encode(), hashlib.sha256).hexdigest()


def _check_send_limits(seat: Seat) -> None:
    now = utcnow()
    recent = db.session.execute(
        sa.select(sa.func.count(IdentityChallenge.id), sa.func.max(IdentityChallenge.created_at)).where(
            IdentityChallenge.seat_id == seat.id, IdentityChallenge.created_at > now - timedelta(hours=1)
        )
    ).one()
    count, last = recent
    if count >= MAX_CODES_PER_HOUR:
        raise TooManyCodes()
    if last is not None and now - last < RESEND_WAIT:
        raise TooManyCodes(
            _l("A code was sent less than a minute ago. Look in your mailbox, or ask again in a minute.")
        )


def _new_challenge(seat: Seat, meeting: Meeting, identity: dict, client) -> IdentityChallenge:
    if not seat.email:
        raise CodeNotSent()
    _check_send_limits(seat)
    code = f"{secrets.randbelow(10**6):06d}"
    salt = secrets.token_hex(16)
    now = utcnow()
    remote_addr, user_agent = client
    challenge = IdentityChallenge(
        meeting_id=meeting.id, seat_id=seat.id, email=seat.email, code_salt=salt,
        code_hash=_code_hash(salt, code), attempts=0, remote_addr=remote_addr, user_agent=user_agent,
        created_at=now, expires_at=now + CODE_TTL, **identity,
    )  # fmt: skip
    db.session.add(challenge)
    db.session.flush()
    _send_code(seat, meeting, code)
    return challenge


def _send_code(seat: Seat, meeting: Meeting, code: str) -> None:
    """Into the mail outbox, in this transaction: the code leaves only if the challenge is saved."""
    from meetcore.mail.message import build_message, sender_address
    from meetcore.mail.services import enqueue

    subject = _("Your code to join %(title)s", title=meeting.title)
    spaced = f"{code[:3]} {code[3:]}"
    text = render_template(
        "attendance/email/identity_code.txt", seat=seat, meeting=meeting, code=spaced,
        minutes=int(CODE_TTL.total_seconds() // 60),
    )  # fmt: skip
    built = build_message(to=seat.email, to_name=seat.name, subject=subject, text=text)
    enqueue(built, kind="notice", recipient=seat.email, recipient_name=seat.name, subject=subject,
            sender=sender_address(), meeting_id=meeting.id)  # fmt: skip


def resend_code(token: str, challenge_id, *, client=(None, None)) -> CodeSent:
    """A fresh code for the identity this browser declared (the old code stops working)."""
    check = open_identity_check(token)
    seat = check.seat
    old = db.session.get(IdentityChallenge, challenge_id) if isinstance(challenge_id, int) else None
    if old is None or old.seat_id != seat.id or old.confirmed_at is not None:
        raise CodeExpired(_l("Fill in your name and position first; the code is sent after that."))
    identity = {name: getattr(old, name) for name in ("attendee_name", "attendee_position", "as_substitute")}
    challenge = _new_challenge(seat, check.meeting, identity, client)
    old.expires_at = min(old.expires_at, utcnow())
    db.session.flush()
    return CodeSent(challenge=challenge, sent_now=True)


def pending_challenge(seat: Seat, challenge_id) -> IdentityChallenge | None:
    """The code this browser waits for (None when there is none, or it is used up or expired)."""
    return _waiting_challenge(seat, challenge_id)


def _normalized_code(data) -> dict:
    if isinstance(data, dict) and isinstance(data.get("code"), str):
        return {**data, "code": re.sub(r"[\s\-]", "", data["code"])}
    return data


def verify_code(token: str, challenge_id, data) -> ConfirmedIdentity:
    """Check the code entered; each try counts. The identity waiting with it is confirmed on success."""
    check = open_identity_check(token)
    seat, meeting = check.seat, check.meeting
    values = load_input(CodeInput(), _normalized_code(data))  # a malformed code is not a try
    challenge = db.session.get(IdentityChallenge, challenge_id) if isinstance(challenge_id, int) else None
    now = utcnow()
    if challenge is None or challenge.seat_id != seat.id or challenge.confirmed_at is not None:
        raise CodeExpired()
    if challenge.expires_at <= now:
        raise CodeExpired(_l("This code has expired (codes are valid for 10 minutes). Ask for a new code."))
    counted = db.session.execute(
        sa.update(IdentityChallenge)
        .where(
            IdentityChallenge.id == challenge.id,
            IdentityChallenge.attempts < MAX_ATTEMPTS,
            IdentityChallenge.confirmed_at.is_(None),
        )
        .values(attempts=IdentityChallenge.attempts + 1)
        .returning(IdentityChallenge.attempts)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if counted is None:
        raise CodeLocked()
    if not hmac.compare_digest(_code_hash(challenge.code_salt, values["code"]), challenge.code_hash):
        transaction.keep_when_refused()  # the try counts, though the code is refused
        left = MAX_ATTEMPTS - counted
        if left <= 0:
            raise CodeLocked()
        raise WrongCode(
            _l("The code is not right. You can try %(n)s more times.", n=left), field="code",
            details={"attempts_left": left},
        )  # fmt: skip
    db.session.refresh(challenge)
    challenge.confirmed_at = now
    identity = {
        name: getattr(challenge, name) for name in ("attendee_name", "attendee_position", "as_substitute")
    }
    confirmed = _confirmed(seat, meeting, identity, token, code_checked=True)
    db.session.flush()
    return confirmed
