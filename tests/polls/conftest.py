"""Fixtures of the polls tests: the floor tests' meeting in session (Chiang Mai and Songkhla × พมจ. and
labour) and their Socket.IO clients, plus a provincial hall's screen and a few poll helpers."""

from __future__ import annotations

import time

import pytest

from tests.factories import live, seat_socket, staff_socket  # noqa: F401  (fixtures)
from tests.floor.conftest import in_session, scheduled, seats  # noqa: F401


@pytest.fixture()
def item(in_session, users):  # noqa: F811
    from meetcore.agenda import services as agenda

    return agenda.add_item(in_session, {"title": "เรื่องเพื่อพิจารณา: แผนที่ทางสังคม"}, by=users["secretariat"])


@pytest.fixture()
def site_socket(app_ctx, live, users):  # noqa: F811
    """site_socket(meeting, province_code): a joined client on the province hall's screen (site link)."""
    from meetcore.attendance.sites import issue_site_link

    def connect(meeting, province_code: str):
        issued = issue_site_link(meeting, {"province_code": province_code}, by=users["secretariat"])
        sio = live(app_ctx.test_client(), auth={"site_token": issued.token})
        assert sio.is_connected()
        assert sio.emit("join", {"meeting_id": meeting.id}, callback=True)["ok"]
        sio.get_received()
        return sio

    return connect


def command(sio, name: str, meeting, **values) -> dict:
    return sio.emit(name, {"meeting_id": meeting.id, **values}, callback=True)


def poll_events(sio) -> list[dict]:
    return [p["args"][0] for p in sio.get_received() if p["name"] == "event"
            and p["args"][0]["kind"].startswith(("poll.", "redacted", "decision."))]  # fmt: skip


def kinds_by_seq(events: list[dict]) -> dict[int, str]:
    """seq -> kind of what a participant received, a placeholder for a run (first_seq..seq) for each."""
    return {seq: event["kind"] for event in events
            for seq in range(event.get("first_seq", event["seq"]), event["seq"] + 1)}  # fmt: skip


def events_through(sio, seq: int, timeout: float = 30.0) -> list[dict]:
    """The poll events a client receives until it has every seq up to `seq`: the placeholders of a run of
    staff-only events come within MEETCORE_PLACEHOLDER_INTERVAL_MS (a liveness wait, generous)."""
    events, deadline = poll_events(sio), time.monotonic() + timeout
    while seq not in kinds_by_seq(events) and time.monotonic() < deadline:
        time.sleep(0.05)
        events += poll_events(sio)
    return events
