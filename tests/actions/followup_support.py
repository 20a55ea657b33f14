"""Helpers of the follow-up tests: a meeting that gave actions, the agencies that own them, their focal
points, and signed-in clients for each."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import g
from flask.testing import FlaskClient

from meetcore.directory.models import Agency, Province, Role
from meetcore.extensions import db
from tests.clock import MEETING_DAY, days_after_meeting, local_input
from tests.conftest import PASSWORD

SERIES = "คณะทำงานติดตามการขับเคลื่อนนโยบาย"
SOCIAL_MAP = "จัดทำแผนที่ทางสังคม (Social Map) ของจังหวัด"
ONE_HOME = "ขับเคลื่อนทีมหนึ่งเดียว (ONE HOME) ระดับจังหวัด"


def agency(role_code: str, province_code: str | None = None) -> Agency:
    query = sa.select(Agency).join(Role, Agency.role_id == Role.id).where(Role.code == role_code)
    if province_code is None:
        query = query.where(Agency.province_id.is_(None))
    else:
        query = query.join(Province, Agency.province_id == Province.id).where(Province.code == province_code)
    return db.session.scalars(query).one()


def set_status(meeting, status: str):
    db.session.execute(
        sa.text("UPDATE meetings SET status = :s WHERE id = :id"), {"s": status, "id": meeting.id}
    )
    db.session.commit()
    db.session.refresh(meeting)
    return meeting


def given_meeting(users, *, number: int = 1, day: date = MEETING_DAY, series: str = SERIES):
    """A meeting of the series with the standard agenda, in session (actions are given live)."""
    from meetcore.agenda.services import insert_standard_sections
    from meetcore.meetings.services import schedule_meeting

    meeting = schedule_meeting(
        {
            "series_name": series,
            "title": "การประชุมติดตามนโยบาย",
            "number": number,
            "start_at": local_input(day, 10),
            "end_at": local_input(day, 12),
            "status": "scheduled",
        },
        by=users["secretariat"],
    )
    insert_standard_sections(meeting, by=users["secretariat"])
    return set_status(meeting, "live")


def section(meeting, number: int):
    from meetcore.agenda.models import AgendaItem

    return db.session.scalars(
        sa.select(AgendaItem).where(
            AgendaItem.meeting_id == meeting.id, AgendaItem.section == number, AgendaItem.parent_id.is_(None)
        )
    ).one()


def give(
    meeting,
    owner: dict,
    *,
    by,
    title: str = SOCIAL_MAP,
    due: date | None = days_after_meeting(30),
    description: str | None = None,
):
    from meetcore.actions.services import create_action

    item = section(meeting, 5)
    values = {"item_id": item.id, "title": title, "description": description, "due_date": due, "owner": owner,
              "confirm_past_due": True}  # the reminders' tests give overdue actions on purpose
    return create_action(meeting.id, values, by=by)


def focal_point(agency_row: Agency, email: str, *, by, name: str | None = None):
    from meetcore.actions.grants import add_focal_point

    return add_focal_point(
        agency_row, {"email": email, "display_name": name or email, "password": PASSWORD}, by=by
    ).user


class OwnClient(FlaskClient):
    """A test client whose requests never see another client's signed-in user: the tests' app context is
    shared by every request, and Flask-Login keeps the user of the last request in its ``g``."""

    def open(self, *args, **kwargs):
        g.pop("_login_user", None)
        return super().open(*args, **kwargs)


def client_for(app, email: str | None = None):
    client = OwnClient(app, app.response_class, use_cookies=True)
    if email is None:
        return client
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    return client


def assignment_of(action, agency_row: Agency):
    return next(a for a in action.assignments if a.agency_id == agency_row.id)
