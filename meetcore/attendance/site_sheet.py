"""Every provincial hall's site link at once (issue 15): one new link per province with seats in the meeting,
given as a printable sheet and a CSV, and the same for one province again when its link went astray.

A link's token is shown once (only its hash is kept), so issuing anew withdraws the province's earlier live
links: the sheet in hand is then the one that works. Writers of SiteLink rows, as meetcore.attendance.sites
is; in the caller's transaction (the view commits).
"""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from meetcore.attendance.models import SiteLink
from meetcore.attendance.sites import LINK_CLOSED_STATUSES, SITE_LINK_GRACE, site_overview
from meetcore.auth.models import User
from meetcore.auth.permissions import require_editor
from meetcore.auth.services import hash_token
from meetcore.database import utcnow
from meetcore.directory.models import Province
from meetcore.errors import Conflict, InvalidInput
from meetcore.eventlog.services import lock_meeting, record_event
from meetcore.extensions import db
from meetcore.i18n.dates import be_datetime
from meetcore.live.connections import close_connections
from meetcore.live.models import LiveConnection
from meetcore.meetings.models import Meeting


@dataclass
class SheetRow:
    province: Province
    seats: int
    token: str  # shown on the sheet only
    expires_at: datetime
    withdrawn: int  # earlier live links of the province withdrawn by this issue


def issue_sheet(meeting: Meeting, *, by, province_code: str | None = None) -> list[SheetRow]:
    """A new site link for every province with seats (or only ``province_code``'s), in the console's
    order (region, then Thai name); each province's earlier live links are withdrawn."""
    require_editor(by)
    meeting = lock_meeting(meeting.id)
    if meeting.status in LINK_CLOSED_STATUSES:
        raise Conflict(_l("No site link can be issued for a meeting that has ended or was cancelled."))
    sites = site_overview(meeting, by=by)
    if province_code is not None:
        sites = [site for site in sites if site.province.code == province_code.upper()]
        if not sites:
            raise InvalidInput(_l("This meeting has no seats in %(province)s: add them to the roster first.",
                                  province=province_code), field="province_code")  # fmt: skip
    now = utcnow()
    expires_at = meeting.end_at + SITE_LINK_GRACE
    if expires_at <= now:
        raise InvalidInput(_l("The link would already have expired (%(when)s). Give a later expiry time.",
                              when=be_datetime(expires_at)), field="expires_at")  # fmt: skip
    return [_reissue(meeting, site.province, site.seats, expires_at, now, by) for site in sites]


def _reissue(meeting: Meeting, province: Province, seats: int, expires_at: datetime, now: datetime,
             by) -> SheetRow:  # fmt: skip
    earlier = db.session.scalars(
        sa.select(SiteLink).where(SiteLink.meeting_id == meeting.id, SiteLink.province_id == province.id,
                                  SiteLink.revoked_at.is_(None), SiteLink.expires_at > now)
    ).all()  # fmt: skip
    for link in earlier:
        link.revoked_at = now
    if earlier:
        record_event(meeting, "attendance.site_links_revoked",
                     {"province_code": province.code, "count": len(earlier)}, by=by)  # fmt: skip
        close_connections(LiveConnection.site_link_id.in_([link.id for link in earlier]))
    token = secrets.token_urlsafe(32)
    link = SiteLink(meeting_id=meeting.id, province_id=province.id, token_hash=hash_token(token),
                    expires_at=expires_at, created_by_id=by.id if isinstance(by, User) else None)  # fmt: skip
    db.session.add(link)
    db.session.flush()
    record_event(meeting, "attendance.site_link_issued",
                 {"link_id": link.id, "province_code": province.code, "expires_at": expires_at.isoformat()},
                 by=by)  # fmt: skip
    return SheetRow(province, seats, token, expires_at, len(earlier))


def sheet_csv(rows: list[SheetRow], link_url) -> str:
    """The sheet as CSV (UTF-8 with a byte-order mark, so that Excel reads the Thai names); ``link_url``
    turns a token into the hall's address."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Province code"), _("Province (Thai)"), _("Province (English)"), _("Region"),
                     _("Seats"), _("Site link"), _("Valid until")])  # fmt: skip
    for row in rows:
        writer.writerow([row.province.code, row.province.name_th, row.province.name_en, row.province.region,
                         row.seats, link_url(row.token), be_datetime(row.expires_at)])  # fmt: skip
    return "\ufeff" + out.getvalue()
