"""Who is asking about the follow-up of action items, and what an agency link opens: the readers of focal
points and agency links (meetcore.actions.grants writes them).

Who may see what is decided here, never in a view:

- staff (admin, secretariat, chair) read every assignment; admin and secretariat may also report progress
  on an agency's behalf (a report phoned in);
- an agency's focal point (a participant account linked to the agency, FocalPoint) and whoever holds one of
  the agency's links (AgencyLink, token kept hashed, revocable) read and report on that agency's
  assignments only. Another agency's assignment is "not found" to them, never "forbidden": its existence
  is not told either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from meetcore.actions.models import ActionAssignment, AgencyLink, FocalPoint
from meetcore.auth.models import User
from meetcore.auth.permissions import EDITORS, STAFF, require_signed_in, require_staff
from meetcore.database import utcnow
from meetcore.directory.models import Agency
from meetcore.errors import NotFound, PermissionDenied
from meetcore.extensions import db
from meetcore.tokenlinks import LinkExpired, LinkRevoked, LinkUnknown, TokenLinks

# --- who is asking ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgencyAccess:
    """The holder of an agency link: reads and reports for that one agency. Not an account."""

    agency_id: int
    link_id: int
    is_authenticated: bool = True


def focal_point_of(user) -> FocalPoint | None:
    if not isinstance(user, User) or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(sa.select(FocalPoint).where(FocalPoint.user_id == user.id))


def agency_scope(by) -> int | None:
    """None when ``by`` may read every agency's assignments (staff); else the one agency it reads for.
    Refuses everyone else."""
    if isinstance(by, AgencyAccess):
        return by.agency_id
    require_signed_in(by)
    if by.role in STAFF:
        return None
    focal = focal_point_of(by)
    if focal is None:
        raise PermissionDenied(_l("Only the secretariat and agencies' focal points can see action items."))
    return focal.agency_id


def is_focal_point(user) -> bool:
    return focal_point_of(user) is not None


def can_report(by, assignment: ActionAssignment | None = None) -> bool:
    """Whether ``by`` may report progress (on this assignment, already known to be in its scope)."""
    if isinstance(by, AgencyAccess):
        return True
    if not getattr(by, "is_authenticated", False):
        return False
    return by.role in EDITORS or is_focal_point(by)


# --- what an agency link opens ------------------------------------------------------------------------------


class AgencyLinkUnknown(LinkUnknown):
    default_message = _l(
        "This link is not valid. Open the whole address from the e-mail, or ask the "
        "secretariat for a new link."
    )


class AgencyLinkRevoked(LinkRevoked):
    default_message = _l("This link has been withdrawn. Ask the secretariat for a new one.")


class AgencyLinkExpired(LinkExpired):
    default_message = _l("This link has expired. Ask the secretariat for a new one.")


AGENCY_LINKS = TokenLinks(AgencyLink, AgencyLinkUnknown, AgencyLinkRevoked, AgencyLinkExpired)


def get_agency(agency_id: int) -> Agency:
    agency = db.session.scalars(
        sa.select(Agency)
        .options(joinedload(Agency.province), joinedload(Agency.role))
        .where(Agency.id == agency_id)
    ).one_or_none()
    if agency is None:
        raise NotFound(_l("Agency %(id)s does not exist.", id=agency_id))
    return agency


def agency_for_link(token: str | None) -> AgencyAccess:
    """What an agency link opens; AgencyLinkUnknown / Revoked / Expired otherwise."""
    link = AGENCY_LINKS.open(token)
    now = utcnow()
    if link.last_used_at is None or now - link.last_used_at > timedelta(minutes=5):
        link.last_used_at = now
        db.session.flush()
    return AgencyAccess(agency_id=link.agency_id, link_id=link.id)


# --- an agency's access, for the secretariat ----------------------------------------------------------------


@dataclass
class AgencyAccessOverview:
    agency: Agency
    focal_points: list[FocalPoint]
    links: list[AgencyLink]
    assignments: dict[str, int]


def agency_access(agency_id: int, *, by) -> AgencyAccessOverview:
    """An agency's focal points, its links (working and past) and its assignments by status."""
    require_staff(by)
    agency = get_agency(agency_id)
    focal_points = db.session.scalars(
        sa.select(FocalPoint)
        .options(joinedload(FocalPoint.user))
        .where(FocalPoint.agency_id == agency.id)
        .order_by(FocalPoint.id)
    ).all()
    links = db.session.scalars(
        sa.select(AgencyLink)
        .where(AgencyLink.agency_id == agency.id)
        .order_by(AgencyLink.id.desc())
        .limit(50)
    ).all()
    counts = dict(
        db.session.execute(
            sa.select(ActionAssignment.status, sa.func.count())
            .where(ActionAssignment.agency_id == agency.id)
            .group_by(ActionAssignment.status)
        ).all()
    )
    return AgencyAccessOverview(
        agency=agency, focal_points=list(focal_points), links=list(links), assignments=counts
    )
