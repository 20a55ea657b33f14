"""Reference data: the 77 provinces and their regions, the role catalogue, and idempotent seeding."""

from __future__ import annotations

import re
from collections import Counter

import geothai
import sqlalchemy as sa

from meetcore.directory.models import Agency, Province, Role
from meetcore.directory.reference import (
    CENTRAL_ROLES,
    DEFAULT_PROVINCIAL_ROLES,
    REGION_BY_CODE,
    ROLES,
    seed_reference_data,
)
from meetcore.extensions import db

REGION_COUNTS = {"north": 9, "northeast": 20, "west": 5, "central": 22, "east": 7, "south": 14}


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_region_table_covers_exactly_the_geothai_provinces():
    geothai_codes = {p.code for p in geothai.provinces()}
    assert len(geothai_codes) == 77
    assert set(REGION_BY_CODE) == geothai_codes
    assert Counter(REGION_BY_CODE.values()) == REGION_COUNTS


def test_seeding_creates_77_provinces_with_iso_codes_and_regions(db_session):
    seed_reference_data()
    provinces = db.session.scalars(sa.select(Province)).all()
    assert len(provinces) == 77
    codes = [p.code for p in provinces]
    assert len(set(codes)) == 77
    assert all(re.fullmatch(r"TH-\d{2}", code) for code in codes)
    assert Counter(p.region for p in provinces) == REGION_COUNTS
    bangkok = db.session.scalar(sa.select(Province).where(Province.code == "TH-10"))
    assert (bangkok.name_th, bangkok.name_en, bangkok.region) == ("กรุงเทพมหานคร", "Bangkok", "central")
    chiang_mai = db.session.scalar(sa.select(Province).where(Province.code == "TH-50"))
    assert (chiang_mai.name_en, chiang_mai.region) == ("Chiang Mai", "north")


def test_role_catalogue_lists_the_seven_default_provincial_roles_in_order():
    assert [r.code for r in DEFAULT_PROVINCIAL_ROLES] == [
        "vice_governor",
        "public_health",
        "provincial_office",
        "local_admin",
        "labour",
        "red_cross",
        "social_development",
    ]
    codes = [r.code for r in ROLES]
    assert len(set(codes)) == len(codes)
    assert any(r.scope == "provincial" and not r.default_seat for r in ROLES)
    assert {"permanent_secretary", "inspector_general", "interior_representative", "secretariat"} <= {
        r.code for r in CENTRAL_ROLES
    }
    assert all(r.scope == "central" for r in CENTRAL_ROLES)
    social = next(r for r in ROLES if r.code == "social_development")
    assert (social.short_th, social.short_en) == ("พมจ.", "PSDHS")


def test_seeding_creates_roles_and_one_office_per_default_role_and_province(db_session):
    seed_reference_data()
    roles = db.session.scalars(sa.select(Role).order_by(Role.sort_order)).all()
    assert [r.code for r in roles] == [r.code for r in ROLES]
    provincial = db.session.scalars(sa.select(Agency).where(Agency.kind == "provincial")).all()
    assert len(provincial) == 76 * 7
    assert {a.role.code for a in provincial} == {r.code for r in DEFAULT_PROVINCIAL_ROLES}
    assert "TH-10" not in {a.province.code for a in provincial}  # Bangkok has no provincial offices
    names = {a.name_th for a in provincial}
    assert "สำนักงานพัฒนาสังคมและความมั่นคงของมนุษย์จังหวัดเชียงใหม่" in names
    central = db.session.scalars(sa.select(Agency).where(Agency.kind == "central")).all()
    assert "กรมกิจการผู้สูงอายุ" in {a.name_th for a in central}
    assert all(a.province_id is None for a in central)


def test_seeding_twice_changes_nothing(db_session):
    first = seed_reference_data()
    assert first["provinces_added"] == 77
    assert first["roles_added"] == len(ROLES)
    assert first["agencies_added"] > 76 * 7
    counts = [_count(m) for m in (Province, Role, Agency)]
    second = seed_reference_data()
    assert second == {"provinces_added": 0, "roles_added": 0, "agencies_added": 0}
    assert [_count(m) for m in (Province, Role, Agency)] == counts


def test_seeding_restores_a_damaged_province_name_without_adding_rows(db_session):
    seed_reference_data()
    db.session.execute(sa.update(Province).where(Province.code == "TH-50").values(name_th="x"))
    db.session.commit()
    assert seed_reference_data()["provinces_added"] == 0
    assert db.session.scalar(sa.select(Province.name_th).where(Province.code == "TH-50")) == "เชียงใหม่"
    assert _count(Province) == 77
