"""Who owns an action, in words: one agency, a role in every province, or a role in provinces named one by
one. The dashboard, the official minutes and any other reader say it the same way, so an action given to
two provinces is never called "every province" anywhere."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext

from meetcore.actions.models import ActionAssignment, ActionItem
from meetcore.directory.models import Agency, Province
from meetcore.extensions import db
from meetcore.i18n.collation import sort_key


@dataclass
class Owners:
    """The owners of one action: ``agencies`` (agency-owned), or ``role`` with ``provinces`` (names, Thai
    order) and ``every_province`` when the role was given to every province that has such an office."""

    role_th: str | None = None
    role_en: str | None = None
    provinces_th: list[str] = field(default_factory=list)
    provinces_en: list[str] = field(default_factory=list)
    every_province: bool = False
    agencies_th: list[str] = field(default_factory=list)
    agencies_en: list[str] = field(default_factory=list)

    def text(self, locale: str = "th") -> str:
        """ "พัฒนาสังคมและความมั่นคงของมนุษย์จังหวัด (จังหวัดเชียงใหม่, จังหวัดสงขลา)", "... (ทุกจังหวัด)"."""
        thai = locale.startswith("th")
        if self.role_th is None:
            return ", ".join(self.agencies_th if thai else self.agencies_en)
        role = self.role_th if thai else self.role_en
        return f"{role} ({self.provinces_text(locale)})"

    def provinces_text(self, locale: str = "th") -> str:
        thai = locale.startswith("th")
        if self.every_province:
            return "ทุกจังหวัด" if thai else "every province"
        if thai:
            return ", ".join("จังหวัด" + name for name in self.provinces_th)
        return ", ".join(self.provinces_en)

    def label(self) -> str:
        """The provinces in the reader's language (pages): "every province" only when it is so."""
        if self.every_province:
            return gettext("Every province")
        return ", ".join(self.provinces_en if _english() else self.provinces_th)


def _english() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "th").startswith("en")


def _provincial_offices(role_id: int) -> int:
    """How many provinces have an office of this role (Bangkok has none of several)."""
    query = sa.select(sa.func.count()).select_from(Agency)
    return db.session.scalar(query.where(Agency.role_id == role_id, Agency.kind == "provincial")) or 0


def owners_of_actions(actions: list[ActionItem]) -> dict[int, Owners]:
    """The owners of each action (cancelled assignments count: they were given), in few queries."""
    if not actions:
        return {}
    ids = [action.id for action in actions]
    rows = db.session.execute(
        sa.select(ActionAssignment.action_item_id, Agency, Province)
        .join(Agency, ActionAssignment.agency_id == Agency.id)
        .outerjoin(Province, Agency.province_id == Province.id)
        .where(ActionAssignment.action_item_id.in_(ids))
    ).all()
    by_action: dict[int, list[tuple[Agency, Province | None]]] = {}
    for action_id, agency, province in rows:
        by_action.setdefault(action_id, []).append((agency, province))
    offices: dict[int, int] = {}
    result = {}
    for action in actions:
        pairs = by_action.get(action.id, [])
        role = action.fan_out_role
        if role is None:
            pairs.sort(key=lambda pair: sort_key(pair[0].name_th))
            result[action.id] = Owners(agencies_th=[a.name_th for a, _p in pairs],
                                       agencies_en=[a.name_en for a, _p in pairs])
            continue
        if role.id not in offices:
            offices[role.id] = _provincial_offices(role.id)
        provinces = sorted((p for _a, p in pairs if p is not None), key=lambda p: sort_key(p.name_th))
        result[action.id] = Owners(
            role_th=role.title_th, role_en=role.title_en,
            provinces_th=[p.name_th for p in provinces], provinces_en=[p.name_en for p in provinces],
            every_province=len(provinces) >= offices[role.id],
        )
    return result
