"""Giving and withdrawing an agency's access to its action items: the only writers of focal points and
agency links (meetcore.actions.access reads them and decides what they open)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from meetcore.actions.access import AGENCY_LINKS, focal_point_of
from meetcore.actions.models import AgencyLink, FocalPoint
from meetcore.actions.schemas import AgencyLinkInput, FocalPointInput
from meetcore.auth.models import User
from meetcore.auth.permissions import require_editor
from meetcore.database import utcnow
from meetcore.directory.models import Agency
from meetcore.errors import Conflict, InvalidInput, NotFound
from meetcore.extensions import db
from meetcore.schemas import load_input

# --- agency links -------------------------------------------------------------------------------------------


def issue_agency_link(agency: Agency, data: dict | None = None, *, by) -> str:
    """A new link to the agency's assignments; only its hash is kept, the token is returned once.
    ``by``: the secretariat, or SYSTEM_MAIL for a reminder e-mail to an agency without a focal point."""
    require_editor(by)
    values = load_input(AgencyLinkInput(), data or {})
    days = values.get("days") or int(current_app.config["MEETCORE_AGENCY_LINK_DAYS"])
    _, token = AGENCY_LINKS.issue(
        agency_id=agency.id,
        label=values.get("label"),
        created_at=utcnow(),
        created_by_id=by.id if isinstance(by, User) else None,
        expires_at=utcnow() + timedelta(days=days),
    )
    return token


def revoke_agency_links(agency: Agency, *, by) -> int:
    """Withdraw every link of the agency that still works; returns how many."""
    require_editor(by)
    return len(AGENCY_LINKS.revoke(AgencyLink.agency_id == agency.id, expired_too=False))


# --- focal points -------------------------------------------------------------------------------------------


def add_focal_point(agency: Agency, data: dict, *, by) -> FocalPoint:
    """Link an account to the agency as its focal point: an existing participant account, or a new one
    (a password is then required)."""
    from meetcore.auth.services import create_user, normalize_email

    require_editor(by)
    values = load_input(FocalPointInput(), data)
    email = normalize_email(values["email"])
    user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email.lower()))
    if user is None:
        if not values.get("password"):
            raise InvalidInput(_l("Give a first password for the new account."), field="password")
        user = create_user(
            email, role="participant", password=values["password"], display_name=values.get("display_name")
        )
    elif user.role != "participant":
        raise Conflict(
            _l("%(email)s is a staff account, which sees every agency's items already.", email=user.email),
            field="email",
        )
    existing = focal_point_of(user)
    if existing is not None:
        if existing.agency_id == agency.id:
            return existing
        raise Conflict(
            _l("%(email)s already reports for %(agency)s.", email=user.email, agency=existing.agency.name_th),
            field="email",
        )
    focal = FocalPoint(agency_id=agency.id, user_id=user.id, created_at=utcnow(), created_by_id=by.id)
    db.session.add(focal)
    db.session.flush()
    return focal


def remove_focal_point(agency: Agency, focal_point_id: int, *, by) -> None:
    require_editor(by)
    focal = db.session.get(FocalPoint, focal_point_id)
    if focal is None or focal.agency_id != agency.id:
        raise NotFound(_l("This account is not a focal point of the agency."))
    db.session.delete(focal)
    db.session.flush()
