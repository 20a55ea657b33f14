"""This process's seat connections, by the seat and the personal link that let each in, from connect to
disconnect: kept in memory, not in the database.

A seat's live_connections row (meetcore.live.connections) is written with its check-in, in the join's
transaction, not when it connects: one transaction and one commit fewer per join (issue 18, item 5). A seat's
connection that has connected but not joined yet has no row, so a revocation (a withdrawn link, a seat handed
to someone else) finds it here instead, on every process: meetcore.live.broadcast.cut_after_commit sends the
cut to each process, which closes the connections of its own that match. An entry stays after the join: a
revocation that read the rows before the join committed, and commits after it, still finds the connection
here.
"""

from __future__ import annotations

from collections.abc import Iterable

# sid -> (seat id, the hash of the link it came through: none for a bare seat session).
_BY_SID: dict[str, tuple[int, str | None]] = {}


def add(sid: str, seat_id: int, link_hash: str | None) -> None:
    _BY_SID[sid] = (seat_id, link_hash)


def discard(sid: str) -> None:
    _BY_SID.pop(sid, None)


def matching(seat_ids: Iterable[int] = (), link_hashes: Iterable[str] = ()) -> list[str]:
    """The sids of this process's seat connections of those seats or through those links."""
    seats, links = set(seat_ids), set(link_hashes)
    return [sid for sid, (seat, link) in list(_BY_SID.items()) if seat in seats or link in links]
