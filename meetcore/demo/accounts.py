"""Demo accounts and participant links printed by `meetcore demo-data`. Plainly sample data."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from meetcore.actors import SYSTEM_DEMO
from meetcore.auth.models import User
from meetcore.auth.services import create_user, set_password
from meetcore.extensions import db
from meetcore.seats.models import Seat

DEMO_ACCOUNTS = (
    ("secretariat@example.org", "secretariat", "ฝ่ายเลขานุการ (ตัวอย่าง)"),
    ("chair@example.org", "chair", "ประธานการประชุม (ตัวอย่าง)"),
    ("admin@example.org", "admin", "ผู้ดูแลระบบ (ตัวอย่าง)"),
)


def ensure_demo_accounts(password: str) -> list[User]:
    """Create the demo accounts, or reset their password when they exist."""
    accounts = []
    for email, role, name in DEMO_ACCOUNTS:
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            user = create_user(email, role=role, password=password, display_name=name)
        else:
            set_password(user, password)  # the command commits
        accounts.append(user)
    return accounts


def participant_links(meeting_id: int, count: int = 3) -> list[tuple[str, str]]:
    """(label, URL) of fresh personal links for the first ``count`` provincial seats of a meeting."""
    from meetcore.seats.links import issue_seat_link

    seats = db.session.scalars(
        sa.select(Seat)
        .where(Seat.meeting_id == meeting_id, Seat.province_id.is_not(None))
        .order_by(Seat.role_id, Seat.province_id)
        .limit(count)
    ).all()
    base = current_app.config["MEETCORE_BASE_URL"].rstrip("/")
    links = []
    for seat in seats:
        token = issue_seat_link(seat, by=SYSTEM_DEMO)
        label = f"{seat.province.name_th} · {seat.role.title_th}"
        links.append((label, f"{base}/join/{token}"))
    return links
