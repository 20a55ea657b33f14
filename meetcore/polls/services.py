"""Polls: the only writers of Poll, PollSeat and PollTally rows.

The secretariat prepares a poll on an agenda item (a draft, staff only); the chair (or the secretariat)
opens it while the meeting is in session, which fixes who may vote: the seats present then, of the roles
the poll names; each entitled seat votes once, through its own link (a substitute for the seat it holds) or
through its province's hall for a role ticked present; a later vote of the same seat replaces its earlier
one until the poll closes, once. Every change takes the meeting row's lock (so a vote racing the close is
either counted before it or refused after it) and appends one event carrying the resulting state. These
functions flush; the caller's entry point commits (docs/polls.md).

A secret poll keeps THAT a seat voted (PollSeat.voted) apart from WHAT (the counters of PollTally): the
acknowledgement of a secret vote gives the voter's page a receipt (an HMAC of the poll, the seat, the
ballot's number and its choices), which it sends back to change its vote; the server keeps no copy.
"""

from __future__ import annotations

import hashlib
import hmac

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from meetcore import signals
from meetcore.actors import SeatActor
from meetcore.agenda.models import AgendaItem
from meetcore.attendance.models import Attendance
from meetcore.auth.permissions import require_editor, require_staff
from meetcore.database import utcnow
from meetcore.directory.models import Role
from meetcore.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from meetcore.eventlog.services import lock_meeting, record_event
from meetcore.extensions import db
from meetcore.meetings.models import Meeting
from meetcore.polls.models import MAX_OPTIONS, Poll, PollSeat, PollTally
from meetcore.polls.state import decision_text, public_view, staff_counts, staff_view
from meetcore.seats.models import Seat

PREPARE_STATUSES = ("draft", "scheduled", "live")


def yes_no_abstain() -> list[str]:
    """The usual options, in Thai as the minutes are written."""
    from flask_babel import force_locale
    from flask_babel import gettext as _

    with force_locale("th"):
        return [_("Approve"), _("Disapprove"), _("Abstain")]


# --- checks --------------------------------------------------------------------------------------------


def _locked(meeting_id: int, statuses: tuple[str, ...], refusal) -> Meeting:
    meeting = lock_meeting(meeting_id)
    if meeting.status not in statuses:
        raise Conflict(refusal, details={"status": meeting.status})
    return meeting


def _poll_of(meeting: Meeting, poll_id: int) -> Poll:
    poll = db.session.get(Poll, poll_id, populate_existing=True)
    if poll is None or poll.meeting_id != meeting.id:
        raise NotFound(_l("Poll %(id)s does not exist in this meeting.", id=poll_id), field="poll_id")
    return poll


def _item_of(meeting: Meeting, item_id: int) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id:
        raise NotFound(_l("Agenda item %(id)s does not exist in this meeting.", id=item_id), field="item_id")
    return item


def _options(values: dict) -> list[str]:
    if values.get("preset", "yes_no_abstain") == "yes_no_abstain":
        return yes_no_abstain()
    options = [option.strip() for option in values.get("options") or [] if option and option.strip()]
    if len(options) < 2:
        raise InvalidInput(_l("Give at least two options."), field="options")
    if len(options) > MAX_OPTIONS:
        raise InvalidInput(_l("A poll has at most %(n)s options.", n=MAX_OPTIONS), field="options")
    if len(set(options)) != len(options):
        raise InvalidInput(_l("Two options have the same text."), field="options")
    return options


def _role_codes(values: dict) -> list[str] | None:
    codes = values.get("role_codes")
    if not codes:
        return None
    codes = sorted(set(codes))
    known = set(db.session.scalars(sa.select(Role.code).where(Role.code.in_(codes))))
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise InvalidInput(_l("Unknown role: %(codes)s.", codes=", ".join(unknown)), field="role_codes")
    return codes


def _draft_fields(values: dict) -> dict:
    question = (values.get("question") or "").strip()
    if not question:
        raise InvalidInput(_l("Write the question put to the vote."), field="question")
    options = _options(values)
    max_choices = values.get("max_choices", 1)
    if not 1 <= max_choices <= len(options):
        raise InvalidInput(
            _l("A voter chooses from 1 to %(n)s options.", n=len(options)), field="max_choices"
        )
    secret = bool(values.get("secret"))
    results_live = bool(values.get("results_live"))
    if secret and results_live:
        raise InvalidInput(
            _l(
                "A secret poll cannot show its tally while it runs: each change would tell what a "
                "voter chose."
            ),
            field="results_live",
        )
    return {"question": question, "options": options, "max_choices": max_choices, "secret": secret,
            "results_live": results_live, "role_codes": _role_codes(values)}  # fmt: skip


def _set_tallies(poll: Poll) -> None:
    db.session.execute(sa.delete(PollTally).where(PollTally.poll_id == poll.id))
    db.session.add_all(PollTally(poll_id=poll.id, option_index=i, count=0) for i in range(len(poll.options)))


def _record(meeting: Meeting, kind: str, poll: Poll, *, by, public: bool) -> None:
    db.session.flush()
    poll_part = public_view(poll) if public else staff_view(poll)
    payload = {"poll_id": poll.id, "poll": poll_part}
    if public:
        payload["counts"] = staff_counts(poll)  # a staff field: participants receive the rest
    record_event(meeting, kind, payload, by=by)


# --- the secretariat prepares ----------------------------------------------------------------------------


def prepare_poll(meeting: Meeting, item_id: int, values: dict, *, by) -> Poll:
    require_editor(by)
    fields = _draft_fields(values)
    meeting = _locked(meeting.id, PREPARE_STATUSES,
                      _l("Polls can be prepared until the meeting ends."))  # fmt: skip
    item = _item_of(meeting, item_id)
    poll = Poll(meeting_id=meeting.id, agenda_item_id=item.id, state="draft", created_at=utcnow(),
                created_by_id=getattr(by, "id", None), **fields)  # fmt: skip
    db.session.add(poll)
    db.session.flush()
    _set_tallies(poll)
    _record(meeting, "poll.prepared", poll, by=by, public=False)
    return poll


def _draft_of(meeting: Meeting, poll_id: int) -> Poll:
    poll = _poll_of(meeting, poll_id)
    if poll.state != "draft":
        raise Conflict(_l("This poll has been opened; it can no longer be changed."),
                       details={"state": poll.state})  # fmt: skip
    return poll


def update_poll(meeting: Meeting, poll_id: int, values: dict, *, by) -> Poll:
    require_editor(by)
    fields = _draft_fields(values)
    meeting = _locked(meeting.id, PREPARE_STATUSES, _l("Polls can be prepared until the meeting ends."))
    poll = _draft_of(meeting, poll_id)
    for name, value in fields.items():
        setattr(poll, name, value)
    _set_tallies(poll)
    _record(meeting, "poll.updated", poll, by=by, public=False)
    return poll


def delete_poll(meeting: Meeting, poll_id: int, *, by) -> None:
    require_editor(by)
    meeting = _locked(meeting.id, PREPARE_STATUSES, _l("Polls can be prepared until the meeting ends."))
    poll = _draft_of(meeting, poll_id)
    db.session.delete(poll)
    db.session.flush()
    record_event(meeting, "poll.deleted", {"poll_id": poll_id}, by=by)


# --- the chair opens and closes ----------------------------------------------------------------------------

IN_SESSION = _l("A poll is opened, voted and closed only while the meeting is in session.")


def _entitled_seats(meeting: Meeting, role_codes: list[str] | None) -> tuple[list[int], int]:
    """The seats present now, of the roles named (all when none): (their ids, how many are present)."""
    from meetcore.attendance.board import present_seats

    present = sorted(present_seats(meeting))
    if role_codes is None or not present:
        return present, len(present)
    of_roles = set(db.session.scalars(
        sa.select(Seat.id).join(Role, Seat.role_id == Role.id)
        .where(Seat.id.in_(present), Role.code.in_(role_codes))
    ))  # fmt: skip
    return [seat_id for seat_id in present if seat_id in of_roles], len(present)


def open_poll(meeting: Meeting, poll_id: int, *, by) -> Poll:
    """Fix who may vote (the seats present now, of the poll's roles) and the quorum, and open the poll."""
    require_staff(by)
    meeting = _locked(meeting.id, ("live",), IN_SESSION)
    poll = _poll_of(meeting, poll_id)
    if poll.state != "draft":
        raise Conflict(_l("This poll has been opened already."), details={"state": poll.state})
    entitled, present_count = _entitled_seats(meeting, poll.role_codes)
    if not entitled:
        raise Conflict(_l("No seat entitled to vote in this poll is present."))
    db.session.add_all(PollSeat(poll_id=poll.id, seat_id=seat_id) for seat_id in entitled)
    poll.state = "open"
    poll.opened_at = utcnow()
    poll.entitled_count = len(entitled)
    poll.present_count = present_count
    poll.roster_count = db.session.scalar(
        sa.select(sa.func.count(Seat.id)).where(Seat.meeting_id == meeting.id)
    )
    poll.voted_count = 0
    _record(meeting, "poll.opened", poll, by=by, public=True)
    return poll


def _close(meeting: Meeting, poll: Poll, *, by) -> None:
    from meetcore.attendance.board import present_seats

    poll.state = "closed"
    poll.closed_at = utcnow()
    _record(meeting, "poll.closed", poll, by=by, public=True)
    # The decision of the item (meetcore.minutes), with the seats present as it is taken.
    signals.poll_closed.send(meeting, item_id=poll.agenda_item_id, text=decision_text(poll),
                             present_seat_ids=sorted(present_seats(meeting)), by=by)  # fmt: skip


def close_poll(meeting: Meeting, poll_id: int, *, by) -> Poll:
    """Close the poll (once): everyone sees its result, and it becomes the decision of its agenda item."""
    require_staff(by)
    meeting = _locked(meeting.id, ("live",), IN_SESSION)
    poll = _poll_of(meeting, poll_id)
    if poll.state == "closed":
        raise Conflict(_l("This poll is closed already."), details={"state": poll.state})
    if poll.state != "open":
        raise Conflict(_l("This poll has not been opened."), details={"state": poll.state})
    _close(meeting, poll, by=by)
    return poll


def close_open_polls(meeting: Meeting, **_kwargs) -> None:
    """The meeting ends: its open polls close as they stand (receiver of signals.meeting_ending)."""
    open_ids = db.session.scalars(
        sa.select(Poll.id).where(Poll.meeting_id == meeting.id, Poll.state == "open").order_by(Poll.id)
    ).all()
    for poll_id in open_ids:
        _close(meeting, db.session.get(Poll, poll_id), by=_kwargs.get("by"))


signals.meeting_ending.connect(close_open_polls)


# --- seats vote ------------------------------------------------------------------------------------------


def _receipt_key() -> bytes:
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret, b"meetcore.polls.receipt", hashlib.sha256).digest()


def receipt_for(poll_id: int, seat_id: int, version: int, choices: list[int]) -> str:
    """What a secret ballot's voter keeps to change it: version and an HMAC binding it to its choices."""
    message = f"{poll_id}:{seat_id}:{version}:{','.join(map(str, sorted(choices)))}".encode()
    return f"{version}.{hmac.new(_receipt_key(), message, hashlib.sha256).hexdigest()}"


def _check_choices(poll: Poll, choices: list[int]) -> list[int]:
    chosen = sorted(set(choices or []))
    if not chosen or len(chosen) != len(choices):
        raise InvalidInput(_l("Choose each option at most once, and at least one."), field="choices")
    if chosen[0] < 0 or chosen[-1] >= len(poll.options):
        raise InvalidInput(_l("This poll has no such option."), field="choices")
    if len(chosen) > poll.max_choices:
        raise InvalidInput(_l("Choose at most %(n)s options.", n=poll.max_choices), field="choices")
    return chosen


def _voting_seat(meeting: Meeting, poll: Poll, seat_id: int | None, by) -> PollSeat:
    """The entitlement the voter acts for: a seat's link its own seat; a provincial hall one of its
    province's seats ticked present in the room; the staff none (they do not vote)."""
    if not isinstance(by, SeatActor):
        raise PermissionDenied(_l("Only the seats entitled vote; the staff open and close the poll."))
    if by.meeting_id != meeting.id:
        raise PermissionDenied(_l("This link belongs to another meeting."))
    if by.seat_id is not None:
        if seat_id not in (None, by.seat_id):
            raise PermissionDenied(_l("You can vote only for your own seat."), field="seat_id")
        seat_id = by.seat_id
    elif seat_id is None:
        raise InvalidInput(_l("Choose the seat that votes."), field="seat_id")
    else:
        _check_hall_seat(meeting, seat_id, by)
    entitlement = db.session.get(PollSeat, (poll.id, seat_id), populate_existing=True)
    if entitlement is None:
        raise PermissionDenied(
            _l(
                "This seat is not entitled to vote in this poll (it was not present, or "
                "its role does not vote, when the poll opened)."
            ),
            field="seat_id",
        )
    return entitlement


def _check_hall_seat(meeting: Meeting, seat_id: int, by) -> None:
    ticked = db.session.scalar(
        sa.select(Attendance.id)
        .join(Seat, Seat.id == Attendance.seat_id)
        .where(Attendance.meeting_id == meeting.id, Attendance.seat_id == seat_id, Attendance.kind == "site",
               Attendance.left_at.is_(None), Seat.province_id == getattr(by, "province_id", None))
        .limit(1)
    )  # fmt: skip
    if ticked is None:
        raise PermissionDenied(
            _l("A provincial hall votes only for its province's roles ticked present in the room."),
            field="seat_id",
        )


def _previous_choices(poll: Poll, entitlement: PollSeat, previous: dict | None) -> list[int] | None:
    """What the seat's standing ballot counted: the row's choices (open poll), or those its receipt proves
    (secret poll); None when the seat has not voted."""
    if not entitlement.voted:
        return None
    if not poll.secret:
        return list(entitlement.choices or [])
    if not previous:
        raise Conflict(_l("This seat has voted already. A secret vote can be changed only from the page "
                          "that cast it."), details={"voted": True})  # fmt: skip
    chosen = sorted(set(previous.get("choices") or []))
    expected = receipt_for(poll.id, entitlement.seat_id, entitlement.ballot_version, chosen)
    if not hmac.compare_digest(expected, str(previous.get("receipt") or "")):
        raise Conflict(_l("This receipt is not the one of the seat's standing vote; the vote was not "
                          "changed. Reload the page."), field="previous")  # fmt: skip
    return chosen


def _count(poll: Poll, minus: list[int] | None, plus: list[int]) -> None:
    """Move the ballot in the counters: one statement rewriting every counter of the poll, so that no
    counter row alone changes with a vote."""
    deltas = {index: 0 for index in range(len(poll.options))}
    for index in minus or ():
        deltas[index] -= 1
    for index in plus:
        deltas[index] += 1
    db.session.execute(
        sa.update(PollTally)
        .where(PollTally.poll_id == poll.id)
        .values(count=PollTally.count + sa.case(deltas, value=PollTally.option_index, else_=0))
        .execution_options(synchronize_session=False)
    )


def _voter(entitlement: PollSeat, by) -> tuple[str | None, str | None]:
    if by.seat_id is not None:
        return by.attendee_name, by.attendee_position
    seat = db.session.get(Seat, entitlement.seat_id)
    if seat.rsvp == "substitute" and seat.substitute_name:
        return seat.substitute_name, seat.substitute_position
    return seat.name, seat.position


def cast_vote(
    meeting: Meeting,
    poll_id: int,
    choices: list[int],
    *,
    seat_id: int | None = None,
    previous: dict | None = None,
    by,
) -> dict:
    """One seat's ballot; a later one replaces it until the poll closes. Returns what the voter's page
    keeps: {poll_id, seat_id, choices, receipt (secret polls)}."""
    meeting = _locked(meeting.id, ("live",), IN_SESSION)
    poll = _poll_of(meeting, poll_id)
    if poll.state != "open":
        message = (_l("This poll is closed; no vote can be cast any more.") if poll.state == "closed"
                   else _l("This poll has not been opened."))  # fmt: skip
        raise Conflict(message, details={"state": poll.state})
    entitlement = _voting_seat(meeting, poll, seat_id, by)
    chosen = _check_choices(poll, choices)
    before = _previous_choices(poll, entitlement, previous)
    _count(poll, before, chosen)
    if before is None:
        poll.voted_count += 1
    entitlement.voted = True
    entitlement.ballot_version += 1
    if not poll.secret:
        entitlement.choices = chosen
        entitlement.voter_name, entitlement.voter_position = _voter(entitlement, by)
    db.session.flush()
    # Staff only, and of a secret poll only the count: who voted is never sent next to a tally.
    record_event(
        meeting,
        "poll.voted",
        {"poll_id": poll.id, "counts": staff_counts(poll)},
        by=by,  # a seat or a hall: never recorded as an account, so a secret vote names nobody
        seat=None if poll.secret or by.seat_id is None else db.session.get(Seat, by.seat_id),
    )
    kept = {"poll_id": poll.id, "seat_id": entitlement.seat_id, "choices": chosen}
    if poll.secret:
        kept["receipt"] = receipt_for(poll.id, entitlement.seat_id, entitlement.ballot_version, chosen)
    return kept


def own_seat_ids(meeting: Meeting, by) -> list[int]:
    """The seats whose ballots this reader may see: its own seat, or a hall's province's seats."""
    if not isinstance(by, SeatActor) or by.meeting_id != meeting.id:
        return []
    if by.seat_id is not None:
        return [by.seat_id]
    return list(db.session.scalars(
        sa.select(Seat.id)
        .where(Seat.meeting_id == meeting.id, Seat.province_id == getattr(by, "province_id", -1))
    ))  # fmt: skip
