"""Attendance: the only writers of Attendance intervals, and the readers that derive who was there.

Intervals
---------
A seat's browser that joins its meeting over Socket.IO is checked in: one Attendance row (kind "self" or
"substitute", the identity the person confirmed, address and user agent) per connection and seat, closed
(left_at) when that connection ends. A provincial hall's roll call opens and closes rows of kind "site"
(meetcore.attendance.sites). A seat is present while any of its rows is open. Rows are kept forever: they
are the decree's traffic data (the connection log) as well as the attendance record.

Connection ids are "<process id>:<Socket.IO sid>": Socket.IO ids are unique within one server process only,
and the prefix says which process holds the connection.

Crashes
-------
A process killed with SIGKILL never sees its connections end. Every process that holds connections keeps a
ServerProcess row and beats it every MEETCORE_HEARTBEAT_SECONDS (10 s); any process's heartbeat (and
``meetcore attendance sweep``) closes the open intervals of processes whose beat stopped three intervals ago
on the database's clock, at their last beat (the latest moment they are known to have been alive), marking
them swept_at: within four heartbeats of that beat. Silence is no proof during a database outage (nobody can
beat), so a heartbeat judges others only once its own process has beaten without a gap for three heartbeats;
and a process judged stopped while it still holds connections opens their swept intervals again
(meetcore.attendance.processes). A heartbeat also closes its own intervals whose connection the Socket.IO
server no longer knows (a disconnect whose handler failed). Nothing about a connection lives only in one
process's memory. How long a vanished participant counts as present: docs/failure.md.

The live board
--------------
Presence changes come in bursts (600 provinces' officials joining within a minute, a site ticking eight
roles). The numbered events that tell clients about them are coalesced per meeting: at most one publication
per MEETCORE_BOARD_INTERVAL_MS (in a big room, one such interval per MEETCORE_BOARD_SEATS_PER_INTERVAL seats
present at the last publication, up to ten: a publication reaches everyone), and all of its state is in
the meeting's AttendanceBoard row (what was last published, when, and whether a change waits), so any
process can make the next publication:

* a change arriving when the last publication is older than the interval is published at once, in the
  change's own transaction;
* otherwise the board is marked pending and the process that made the change makes sure it has a timer for
  the meeting that publishes when the interval is over (``publish_owed``); a heartbeat publishes what a dead
  process's timer owed.

A publication compares the seats present now with those last published and records one event,
"attendance.board": the counts (everyone) and every seat whose presence changed (its "seats", staff only).
Attendance rows, not events, are the record of who came and went.
"""
