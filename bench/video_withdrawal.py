"""What a withdrawn link's way out of the video costs (issue 16, meetcore/video/withdrawal.py):

* the floor watch's added look per room and round (withdrawn_holders: one query), on the reference meeting
  with every seat's video held by a page of its personal link, none withdrawn (a quiet round) and a tenth
  withdrawn (each of them still found until the meeting ends);
* a seat's links withdrawn, committed, and its page shut out at a Janus stand-in (tests/video/standin.py,
  answering at once): the service's call and the commit, with the after-commit reaction (its token out of
  the ACL, the page's listener and publisher kicked) and without video.

    .venv/bin/python bench/video_withdrawal.py
    .venv/bin/python bench/video_withdrawal.py --database-url postgresql://postgres@127.0.0.1:5432/bench

See docs/performance.md ("A withdrawn link leaves the video").
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL (emptied first); default a fresh SQLite file")
    parser.add_argument("--rounds", type=int, default=200, help="looks per case (default 200)")
    args = parser.parse_args(argv)
    here = Path(__file__).resolve().parent
    sys.path[:0] = [str(here.parent), str(here)]
    from minutes_export import _build_app

    from tests.video.standin import JanusStandIn

    janus = JanusStandIn()
    with tempfile.TemporaryDirectory(prefix="meetcore-bench-") as tmp:
        app = _build_app(args.database_url, Path(tmp))
        app.config.update(MEETCORE_JANUS_URLS=janus.url, MEETCORE_JANUS_TOKEN_SECRET="bench-token-secret",
                          MEETCORE_JANUS_ADMIN_KEY="bench-admin-key", MEETCORE_VIDEO_RECORD=0)  # fmt: skip
        with app.app_context():
            _run(app, janus, args.rounds)
    janus.stop()
    return 0


def _run(app, janus, rounds: int) -> None:
    from minutes_export import start_reference_meeting

    from meetcore.extensions import db

    meeting, secretariat = start_reference_meeting()
    seats = _held_by_their_links(meeting, secretariat)
    print(f"{db.engine.dialect.name}: {len(seats)} seats, each seat's video held by a page of its link")
    print(f"  the watch's look, nothing withdrawn: {_look(meeting, rounds)}")
    _withdraw_directly(seats[: len(seats) // 10])
    print(f"  the watch's look, {len(seats) // 10} withdrawn: {_look(meeting, rounds)}")
    rest = seats[len(seats) // 10 :]
    with_video = [_withdraw_one(meeting, seat, secretariat, janus) for seat in rest[:20]]
    app.config["MEETCORE_JANUS_URLS"] = ""  # video off: the reaction returns at once
    without = [_withdraw_one(meeting, seat, secretariat, janus) for seat in rest[20:40]]
    print(f"  a seat's links withdrawn and committed, its page shut out at Janus: {_ms(with_video)}")
    print(f"  the same without video: {_ms(without)}")


def _ms(times: list[float]) -> str:
    return f"{statistics.median(times) * 1000:.2f} ms median ({max(times) * 1000:.2f} ms max)"


def _held_by_their_links(meeting, secretariat) -> list:
    """A personal link per seat, and each seat's video held by a page of that link (its row, as a join
    writes it)."""
    from meetcore.database import utcnow
    from meetcore.extensions import db
    from meetcore.seats.links import issue_seat_link
    from meetcore.seats.models import Seat
    from meetcore.tokenlinks import hash_token
    from meetcore.video.models import VideoEndpoint
    from meetcore.video.services import credential_for

    seats = db.session.scalars(db.select(Seat).where(Seat.meeting_id == meeting.id).order_by(Seat.id)).all()
    expires_at = utcnow() + timedelta(days=1)  # the reference meeting took place in 2017
    for seat in seats:
        token = issue_seat_link(seat, by=secretariat, expires_at=expires_at)
        db.session.add(VideoEndpoint(meeting_id=meeting.id, endpoint=f"seat-{seat.id}", session="bench",
                                     credential=credential_for("seat", hash_token(token))))  # fmt: skip
    db.session.commit()
    return [seat.id for seat in seats]


def _look(meeting, rounds: int) -> str:
    from meetcore.extensions import db
    from meetcore.video.withdrawal import withdrawn_holders

    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        withdrawn_holders(meeting)
        times.append(time.perf_counter() - started)
        db.session.rollback()  # a round is a unit of work of its own
    return _ms(times)


def _withdraw_directly(seat_ids: list[int]) -> None:
    from meetcore.database import utcnow
    from meetcore.extensions import db
    from meetcore.seats.models import SeatLink

    db.session.execute(db.update(SeatLink).where(SeatLink.seat_id.in_(seat_ids)).values(revoked_at=utcnow()))
    db.session.commit()


def _withdraw_one(meeting, seat_id: int, secretariat, janus) -> float:
    """revoke_seat_links with its page in the room (a listener and the seat's publisher), committed: the
    time of the call and the commit with its reactions."""
    from meetcore.extensions import db
    from meetcore.seats.links import revoke_seat_links
    from meetcore.seats.models import Seat
    from meetcore.transaction import commit
    from meetcore.video.services import SEAT_BASE

    janus.participants = [{"id": SEAT_BASE + seat_id, "display": "bench"},
                          {"id": 7, "display": f"listen:seat-{seat_id}:bench"}]  # fmt: skip
    started = time.perf_counter()
    revoke_seat_links(db.session.get(Seat, seat_id), by=db.session.merge(secretariat))
    commit()  # the bench is the entry point
    return time.perf_counter() - started


if __name__ == "__main__":
    raise SystemExit(main())
