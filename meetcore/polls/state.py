"""Reading polls: the live page's part of the snapshot, the events' payloads, a seat's own ballots, and
what the decision (มติ) and the official minutes say of a poll's result.

The same functions build the snapshot and the events, so applying the events to a snapshot gives the fresh
snapshot (docs/protocol.md). A poll as participants see it is `public_view`; the staff's copy adds
`staff_counts` (votes cast so far, and the tally while it runs when the poll shows it live).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from meetcore.agenda.models import AgendaItem
from meetcore.extensions import db
from meetcore.polls.models import Poll, PollSeat, PollTally
from meetcore.seats.models import Seat


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def tally_of(poll_id: int) -> list[int]:
    rows = db.session.execute(
        sa.select(PollTally.option_index, PollTally.count)
        .where(PollTally.poll_id == poll_id)
        .order_by(PollTally.option_index)
        .execution_options(populate_existing=True)
    )
    return [count for _index, count in rows]


def entitled_seat_ids(poll_id: int) -> list[int]:
    return list(db.session.scalars(
        sa.select(PollSeat.seat_id).where(PollSeat.poll_id == poll_id).order_by(PollSeat.seat_id)
    ))  # fmt: skip


def quorum_of(poll: Poll) -> dict | None:
    """The meeting's quorum when the poll opened: seats present of the roster; met from one half up."""
    if poll.present_count is None or poll.roster_count is None:
        return None
    return {
        "present": poll.present_count,
        "roster": poll.roster_count,
        "met": poll.present_count * 2 >= poll.roster_count,
    }


def _seat_labels(seat_ids: list[int]) -> dict[int, dict]:
    """Seat id → its label in Thai and English ("แรงงานจังหวัดเชียงใหม่")."""
    from meetcore.seats.services import seat_label

    seats = db.session.scalars(
        sa.select(Seat).options(joinedload(Seat.province), joinedload(Seat.role)).where(Seat.id.in_(seat_ids))
    )
    return {
        seat.id: {
            "th": seat_label(seat.province, seat.role, "th"),
            "en": seat_label(seat.province, seat.role, "en"),
        }
        for seat in seats
    }


def _named_votes(poll: Poll) -> list[dict]:
    """Who voted what in an open poll, in roster order (seat id); never asked of a secret poll."""
    rows = list(db.session.scalars(
        sa.select(PollSeat).where(PollSeat.poll_id == poll.id, PollSeat.voted.is_(True))
        .order_by(PollSeat.seat_id)
    ))  # fmt: skip
    labels = _seat_labels([row.seat_id for row in rows])
    return [
        {"seat_id": row.seat_id, "label": labels.get(row.seat_id), "name": row.voter_name,
         "position": row.voter_position, "choices": list(row.choices or [])}
        for row in rows
    ]  # fmt: skip


def result_of(poll: Poll) -> dict | None:
    """A closed poll's result, as everyone may read it."""
    if poll.state != "closed":
        return None
    result = {
        "tally": tally_of(poll.id),
        "voted_count": poll.voted_count,
        "entitled_count": poll.entitled_count,
        "quorum": quorum_of(poll),
    }
    if not poll.secret:
        result["votes"] = _named_votes(poll)
    return result


def public_view(poll: Poll) -> dict:
    return {
        "id": poll.id,
        "item_id": poll.agenda_item_id,
        "question": poll.question,
        "options": list(poll.options),
        "max_choices": poll.max_choices,
        "secret": poll.secret,
        "results_live": poll.results_live,
        "role_codes": None if poll.role_codes is None else list(poll.role_codes),
        "state": poll.state,
        "opened_at": _iso(poll.opened_at),
        "closed_at": _iso(poll.closed_at),
        "entitled_seat_ids": entitled_seat_ids(poll.id) if poll.state != "draft" else [],
        "result": result_of(poll),
    }


def staff_counts(poll: Poll) -> dict:
    """What only the chair and the secretariat see while a poll runs (kept as they were once it closes)."""
    return {
        "voted_count": poll.voted_count,
        "live_tally": tally_of(poll.id) if poll.results_live and poll.state != "draft" else None,
    }


def staff_view(poll: Poll) -> dict:
    return {**public_view(poll), **staff_counts(poll)}


def polls_state(meeting_id: int, *, staff: bool) -> list[dict]:
    """The meeting's polls by id: every one for the staff, the opened ones (their public part) for others."""
    query = sa.select(Poll).where(Poll.meeting_id == meeting_id).order_by(Poll.id)
    if not staff:
        query = query.where(Poll.state != "draft")
    polls = db.session.scalars(query.execution_options(populate_existing=True)).all()
    return [staff_view(poll) if staff else public_view(poll) for poll in polls]


def ballots_of(meeting_id: int, seat_ids: list[int]) -> list[dict]:
    """The seats' own ballots in the meeting's opened polls: entitled, voted, and (open polls) the choices.
    A secret poll's choice is known to the voter's page only (its receipt)."""
    if not seat_ids:
        return []
    rows = db.session.execute(
        sa.select(PollSeat, Poll.secret)
        .join(Poll, Poll.id == PollSeat.poll_id)
        .where(Poll.meeting_id == meeting_id, PollSeat.seat_id.in_(seat_ids))
        .order_by(PollSeat.poll_id, PollSeat.seat_id)
    )
    return [
        {"poll_id": row.poll_id, "seat_id": row.seat_id, "voted": row.voted,
         "choices": None if secret else row.choices}
        for row, secret in rows
    ]  # fmt: skip


# --- the decision and the minutes -------------------------------------------------------------------------


def result_words(entry: dict) -> dict:
    """A closed poll's result in words of the current locale, for the decision, the minutes and the
    attendance report. `entry`: one of `closed_poll_results`' (question, options, secret, tally, counts,
    quorum, and for an open poll `votes`). Returns {"lines": [result, counts, quorum], "voters": ["who
    (seat): choice", ...]}; a secret poll has no voters, its entry holds none."""
    language = getattr(get_locale(), "language", None) or "th"
    kind = _("secret ballot") if entry["secret"] else _("open vote")
    counts = ", ".join(
        _("%(option)s %(n)s votes", option=option, n=count)
        for option, count in zip(entry["options"], entry.get("tally", []), strict=False)
    )
    lines = [
        _('Result of the %(kind)s on "%(question)s": %(counts)s.', kind=kind, question=entry["question"],
          counts=counts),
        _("Entitled to vote: %(entitled)s seats; voted: %(voted)s seats.",
          entitled=entry.get("entitled_count"), voted=entry.get("voted_count")),
    ]  # fmt: skip
    quorum = entry.get("quorum")
    if quorum is not None:
        met = _("quorum present") if quorum["met"] else _("no quorum")
        lines.append(_("Quorum when the vote opened: %(present)s of %(roster)s seats present (%(met)s).",
                       present=quorum["present"], roster=quorum["roster"], met=met))  # fmt: skip
    voters = []
    for vote in entry.get("votes") or []:
        options = entry["options"]
        chosen = ", ".join(options[i] for i in vote["choices"] if 0 <= i < len(options))
        label = vote["label"] or {}
        seat = label.get(language) or label.get("th")
        who = vote["name"] or seat or str(vote["seat_id"])
        voters.append(f"{who}" + (f" ({seat})" if seat and seat != who else "") + f": {chosen}")
    return {"lines": lines, "voters": voters}


def _result_entry(poll: Poll) -> dict:
    return {"id": poll.id, "item_id": poll.agenda_item_id, "question": poll.question,
            "options": list(poll.options), "secret": poll.secret, "max_choices": poll.max_choices,
            "closed_at": _iso(poll.closed_at), **(result_of(poll) or {})}  # fmt: skip


def decision_text(poll: Poll) -> str:
    """The decision (มติที่ประชุม) a closed poll gives its agenda item, in Thai as the minutes are written."""
    with force_locale("th"):
        words = result_words(_result_entry(poll))
    return "\n".join(words["lines"] + [f"- {voter}" for voter in words["voters"]])


def closed_poll_results(meeting_id: int, item_id: int | None = None) -> list[dict]:
    """The meeting's closed polls (of one item when given) with their results, in the order they were
    prepared: question, options, secret or not, tally, entitled and voting counts, quorum, open polls'
    names."""
    query = sa.select(Poll).where(Poll.meeting_id == meeting_id, Poll.state == "closed").order_by(Poll.id)
    if item_id is not None:
        query = query.where(Poll.agenda_item_id == item_id)
    return [_result_entry(poll) for poll in db.session.scalars(query)]


def poll_results_for_item(item: AgendaItem) -> list[dict]:
    """The closed polls of an agenda item with their results (issue 17, item 4)."""
    return closed_poll_results(item.meeting_id, item.id)
