"""Reading the reference data: provinces, roles and agencies."""

from __future__ import annotations

import sqlalchemy as sa

from meetcore.directory.models import REGIONS, Province, Role
from meetcore.extensions import db
from meetcore.i18n.collation import sorted_by_name


def list_provinces(region: str | None = None, *, locale: str = "th") -> list[Province]:
    """Provinces sorted by name in the reader's language (ICU collation for Thai)."""
    query = sa.select(Province)
    if region:
        query = query.where(Province.region == region)
    provinces = db.session.scalars(query).all()
    if locale == "en":
        return sorted_by_name(provinces, lambda p: p.name_en, locale="en_US")
    return sorted_by_name(provinces, lambda p: p.name_th)


def provinces_by_region(*, locale: str = "th") -> dict[str, list[Province]]:
    """Every region (in REGIONS order) with its provinces sorted by name."""
    grouped: dict[str, list[Province]] = {region: [] for region in REGIONS}
    for province in list_provinces(locale=locale):
        grouped[province.region].append(province)
    return grouped


def list_roles(scope: str | None = None) -> list[Role]:
    query = sa.select(Role).order_by(Role.scope.desc(), Role.sort_order, Role.id)
    if scope:
        query = query.where(Role.scope == scope)
    return list(db.session.scalars(query))
