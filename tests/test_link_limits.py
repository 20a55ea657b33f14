"""Issue 15 (4): the pages a personal link opens are limited per link, and per address only far above what
an office generates: a province's officials behind one government network address all get in."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from meetcore.extensions import db
from meetcore.seats.models import Seat

OFFICE = {"REMOTE_ADDR": "203.0.113.7"}  # one provincial office's network address, shared by everyone


@pytest.fixture
def links(reference_meeting) -> list[str]:
    from meetcore.actors import SYSTEM_MAIL
    from meetcore.seats.links import issue_seat_link

    seats = db.session.scalars(
        sa.select(Seat).where(Seat.meeting_id == reference_meeting["next_meeting_id"]).order_by(Seat.id)
    ).all()
    tokens = [issue_seat_link(seat, by=SYSTEM_MAIL) for seat in seats[:90]]  # as the invitations carry them
    db.session.commit()
    return tokens


def _get(client, path: str, address: dict = OFFICE) -> int:
    return client.get(path, environ_base=address).status_code


def test_ninety_officials_behind_one_address_each_open_their_link_twice(client, links):
    # 180 requests in a minute from one address: three times the old per-address limit of 60.
    statuses = [_get(client, f"/join/{token}") for token in links for _ in range(2)]
    assert statuses == [200] * 180


def test_one_link_reloaded_past_its_budget_is_stopped_and_the_others_are_not(client, links, app):
    budget = int(app.config["MEETCORE_LINK_RATE_LIMIT"].split()[0])
    statuses = [_get(client, f"/join/{links[0]}") for _ in range(budget + 1)]
    assert statuses[:-1] == [200] * budget and statuses[-1] == 429
    assert _get(client, f"/join/{links[1]}") == 200  # same address, another link


def test_one_address_flooding_link_pages_meets_the_ceiling(client, links, monkeypatch, app):
    monkeypatch.setitem(app.config, "MEETCORE_LINK_ADDRESS_RATE_LIMIT", "30 per minute")
    # The ceiling is shared by every link page: join pages and reply pages count together.
    statuses = [_get(client, f"/join/{token}") for token in links[:20]]
    statuses += [_get(client, f"/rsvp/{token}") for token in links[20:30]]
    assert 429 not in statuses
    assert _get(client, f"/join/{links[30]}") == 429
    assert _get(client, f"/join/{links[30]}", {"REMOTE_ADDR": "198.51.100.9"}) == 200  # another office
