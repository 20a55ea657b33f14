"""Every provincial hall's site link at once (issue 15): one new link per province with seats in the meeting,
given as a printable sheet and a CSV, and the same for one province again when its link went astray.

A link's token is shown once (only its hash is kept), so issuing anew withdraws the province's earlier live
links: the sheet in hand is then the one that works. Writers of SiteLink rows, as meetcore.attendance.sites
is; in the caller's transaction (the view commits).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from meetcore.attendance.sites import (
    LINK_CLOSED_STATUSES,
    SITE_LINK_GRACE,
    issue_province_link,
    site_overview,
    withdraw_province_links,
)
from meetcore.auth.permissions import require_editor
from meetcore.directory.models import Province
from meetcore.errors import Conflict, InvalidInput
from meetcore.eventlog.services import lock_meeting
from meetcore.i18n.dates import be_datetime
from meetcore.meetings.models import Meeting
from meetcore.tokenlinks import require_future_expiry


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
    expires_at = meeting.end_at + SITE_LINK_GRACE
    require_future_expiry(expires_at)
    return [_reissue(meeting, site.province, site.seats, expires_at, by) for site in sites]


def _reissue(meeting: Meeting, province: Province, seats: int, expires_at: datetime, by) -> SheetRow:
    earlier = withdraw_province_links(meeting, province, by=by, expired_too=False)
    token = issue_province_link(meeting, province, expires_at, by=by).token
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
