"""Named signals between domains (blinker, as Flask uses): the domain that acts sends one, the domains that
react connect to it, so that the one acting never imports them (issue 19).

Two kinds (the one transaction boundary, docs/transactions.md: services flush, the entry point commits):
- *in the transaction*: sent by the service while its entry point's transaction is open; a receiver's
  writes (outbox rows, carried actions) are flushed with the change and commit or roll back with it, and a
  receiver's refusal refuses the change;
- *committed*: the service asks for them with meetcore.transaction.after_commit, so they are sent only once
  the entry point has committed (never when it rolls back); each receiver runs as a unit of work of its
  own, and what it does (a Janus room) can fail without undoing the change: receivers catch their own
  trouble.

Every signal is sent with the meeting (or seat) as its sender and `by`, the acting user, as a keyword.
"""

from __future__ import annotations

import importlib

from blinker import Namespace

_signals = Namespace()

# In the transaction.
meeting_scheduled = _signals.signal("meeting-scheduled")  # a new meeting
meeting_rescheduled = _signals.signal("meeting-rescheduled")  # fields=: the significant fields changed
meeting_cancelled = _signals.signal("meeting-cancelled")
meeting_ending = _signals.signal("meeting-ending")  # before its "meeting.ended" event is recorded
seat_attendee_changed = _signals.signal("seat-attendee-changed")  # sender: the seat
seat_removing = _signals.signal("seat-removing")  # sender: the seat, still in the roster
# province_ids=: seats were added to or removed from the meeting's roster (None: a central seat), flushed
roster_changed = _signals.signal("roster-changed")
# item_id=, text=, present_seat_ids=: a poll closed; its result becomes the item's decision (มติ)
poll_closed = _signals.signal("poll-closed")

# Committed.
meeting_started = _signals.signal("meeting-started")
meeting_ended = _signals.signal("meeting-ended")
floor_changed = _signals.signal("floor-changed")  # kind=: the floor event that was committed
# document_id=: an office file was filed under an agenda item; its PDF is still to be made
document_to_convert = _signals.signal("document-to-convert")
# A credential was withdrawn (and its live connections closed); sender: its meeting (None: an account's,
# good in every meeting); kind= "seat" (credentials=: the personal links' hashes, owner_id=: the seat),
# "site" (the hall's link ids; the province) or "account" (the ended session token; the user).
access_withdrawn = _signals.signal("access-withdrawn")
# This app process is about to stop (SIGTERM: a restart, an upgrade); sender: its process id.
process_stopping = _signals.signal("process-stopping")

# The modules whose receivers connect on import; imported by the application factory, so that every
# entry point (web, socket, CLI, worker) reacts the same way.
RECEIVER_MODULES = (
    "meetcore.actions.carryover",
    "meetcore.agenda.conversion_worker",
    "meetcore.attendance.board",
    "meetcore.attendance.processes",
    "meetcore.floor.services",
    "meetcore.invitations.sending",
    "meetcore.minutes.services",
    "meetcore.polls.services",
    "meetcore.video.services",
    "meetcore.video.withdrawal",
    "meetcore.video.recording_worker",
)


def connect_receivers() -> None:
    for name in RECEIVER_MODULES:
        importlib.import_module(name)
