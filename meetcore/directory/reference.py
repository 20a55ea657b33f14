"""Reference data: Thailand's provinces with their regions, the role catalogue, and the agencies behind them.

Province codes and names come from PyPI ``geothai`` (DOPA numeric codes); only the region, which geothai
does not carry, is kept here.
"""

from __future__ import annotations

from dataclasses import dataclass

import geothai
import sqlalchemy as sa

from meetcore.directory.models import Agency, Province, Role
from meetcore.extensions import db

ISO_PREFIX = "TH-"  # ISO 3166-2:TH reuses the DOPA numeric code: DOPA 50 is TH-50.
BANGKOK_CODE = "TH-10"

_NORTH = ("50", "51", "52", "53", "54", "55", "56", "57", "58")
_NORTHEAST = tuple(str(code) for code in range(30, 50))  # 30..49, Bueng Kan (38) included
_WEST = ("63", "70", "71", "76", "77")
_CENTRAL = (
    "10", "11", "12", "13", "14", "15", "16", "17", "18", "19", "26",
    "60", "61", "62", "64", "65", "66", "67", "72", "73", "74", "75",
)  # fmt: skip
_EAST = ("20", "21", "22", "23", "24", "25", "27")
_SOUTH = ("80", "81", "82", "83", "84", "85", "86", "90", "91", "92", "93", "94", "95", "96")

# Six-region system of the National Geographical Committee (1977): 9 + 20 + 5 + 22 + 7 + 14 = 77.
REGION_BY_CODE: dict[str, str] = {
    **dict.fromkeys(_NORTH, "north"),
    **dict.fromkeys(_NORTHEAST, "northeast"),
    **dict.fromkeys(_WEST, "west"),
    **dict.fromkeys(_CENTRAL, "central"),
    **dict.fromkeys(_EAST, "east"),
    **dict.fromkeys(_SOUTH, "south"),
}


@dataclass(frozen=True)
class RoleSpec:
    """One role of the catalogue, and the agency that stands behind it (when there is one).

    For a provincial role, ``agency_th`` is the office name to which the province's Thai name is appended
    ("สำนักงานแรงงานจังหวัด" + "เชียงใหม่"), and ``agency_en`` follows the province's English name
    ("Chiang Mai" + " Provincial Labour Office"). For a central role they are the full unit names.
    """

    code: str
    title_th: str
    title_en: str
    short_th: str | None
    short_en: str | None
    scope: str
    sort_order: int
    default_seat: bool = True
    agency_th: str | None = None
    agency_en: str | None = None

    def row(self) -> dict:
        """The Role table's columns."""
        return {
            "code": self.code,
            "title_th": self.title_th,
            "title_en": self.title_en,
            "short_th": self.short_th,
            "short_en": self.short_en,
            "scope": self.scope,
            "sort_order": self.sort_order,
        }


_PROVINCIAL_ROLES = (
    RoleSpec(
        "vice_governor", "รองผู้ว่าราชการจังหวัด", "Vice Governor", "รองผู้ว่าฯ", "Vice Gov.",
        "provincial", 10, agency_th="จังหวัด", agency_en="Provincial Administration",
    ),
    RoleSpec(
        "public_health", "นายแพทย์สาธารณสุขจังหวัด",
        "Provincial Chief Medical Officer (Public Health)", "นพ.สสจ.", "PCMO",
        "provincial", 20, agency_th="สำนักงานสาธารณสุขจังหวัด", agency_en="Provincial Public Health Office",
    ),
    RoleSpec(
        "provincial_office", "หัวหน้าสำนักงานจังหวัด", "Head of the Provincial Office", "หน.สนจ.",
        "Head Prov. Office", "provincial", 30, agency_th="สำนักงานจังหวัด", agency_en="Provincial Office",
    ),
    RoleSpec(
        "local_admin", "ท้องถิ่นจังหวัด", "Provincial Local Administration Officer", "ถ.จ.", "PLAO",
        "provincial", 40, agency_th="สำนักงานส่งเสริมการปกครองท้องถิ่นจังหวัด",
        agency_en="Provincial Office of Local Administration",
    ),
    RoleSpec(
        "labour", "แรงงานจังหวัด", "Provincial Labour Officer", "รง.จ.", "Labour",
        "provincial", 50, agency_th="สำนักงานแรงงานจังหวัด", agency_en="Provincial Labour Office",
    ),
    RoleSpec(
        "red_cross", "นายกเหล่ากาชาดจังหวัด", "President of the Provincial Red Cross Chapter",
        "นายกเหล่ากาชาด", "Red Cross", "provincial", 60,
        agency_th="เหล่ากาชาดจังหวัด", agency_en="Provincial Red Cross Chapter",
    ),
    RoleSpec(
        "social_development", "พัฒนาสังคมและความมั่นคงของมนุษย์จังหวัด",
        "Provincial Social Development and Human Security Officer", "พมจ.", "PSDHS", "provincial", 70,
        agency_th="สำนักงานพัฒนาสังคมและความมั่นคงของมนุษย์จังหวัด",
        agency_en="Provincial Office of Social Development and Human Security",
    ),
    # The ministry's own units in the area exist only in some provinces, so the secretariat seats them
    # meeting by meeting instead of by default.
    RoleSpec(
        "destitute_shelter", "ผู้อำนวยการศูนย์คุ้มครองคนไร้ที่พึ่ง",
        "Director, Protection Centre for the Destitute", "ศูนย์คุ้มครองฯ", "Destitute Shelter",
        "provincial", 80, default_seat=False,
    ),
    RoleSpec(
        "children_family_shelter", "ผู้ปกครองบ้านพักเด็กและครอบครัวจังหวัด",
        "Head of the Provincial Children and Family Shelter", "บพด.", "Children & Family Shelter",
        "provincial", 90, default_seat=False,
    ),
    RoleSpec(
        "elderly_welfare_centre", "ผู้อำนวยการศูนย์พัฒนาการจัดสวัสดิการสังคมผู้สูงอายุ",
        "Director, Social Welfare Development Centre for Older Persons", "ศพส.", "Older Persons Centre",
        "provincial", 100, default_seat=False,
    ),
    RoleSpec(
        "disability_service_centre", "หัวหน้าศูนย์บริการคนพิการจังหวัด",
        "Head of the Provincial Disability Service Centre", "ศูนย์บริการคนพิการ", "Disability Centre",
        "provincial", 110, default_seat=False,
    ),
)  # fmt: skip

_OPS_TH = "สำนักงานปลัดกระทรวงการพัฒนาสังคมและความมั่นคงของมนุษย์"
_OPS_EN = "Office of the Permanent Secretary, Ministry of Social Development and Human Security"

_CENTRAL_ROLES = (
    RoleSpec(
        "permanent_secretary", "ปลัดกระทรวงการพัฒนาสังคมและความมั่นคงของมนุษย์",
        "Permanent Secretary, Ministry of Social Development and Human Security", "ปลัด พม.",
        "Permanent Secretary", "central", 200, agency_th=_OPS_TH, agency_en=_OPS_EN,
    ),
    RoleSpec(
        "deputy_permanent_secretary", "รองปลัดกระทรวงการพัฒนาสังคมและความมั่นคงของมนุษย์",
        "Deputy Permanent Secretary, Ministry of Social Development and Human Security", "รองปลัด พม.",
        "Deputy Permanent Secretary", "central", 210,
    ),
    RoleSpec(
        "inspector_general", "ผู้ตรวจราชการกระทรวงการพัฒนาสังคมและความมั่นคงของมนุษย์",
        "Inspector General, Ministry of Social Development and Human Security", "ผต.พม.",
        "Inspector General", "central", 220,
    ),
    RoleSpec(
        "dsdw_director_general", "อธิบดีกรมพัฒนาสังคมและสวัสดิการ",
        "Director-General, Department of Social Development and Welfare", "อธิบดี พส.", "DG, DSDW",
        "central", 230, agency_th="กรมพัฒนาสังคมและสวัสดิการ",
        agency_en="Department of Social Development and Welfare",
    ),
    RoleSpec(
        "dcy_director_general", "อธิบดีกรมกิจการเด็กและเยาวชน",
        "Director-General, Department of Children and Youth", "อธิบดี ดย.", "DG, DCY",
        "central", 240, agency_th="กรมกิจการเด็กและเยาวชน", agency_en="Department of Children and Youth",
    ),
    RoleSpec(
        "dop_director_general", "อธิบดีกรมกิจการผู้สูงอายุ",
        "Director-General, Department of Older Persons", "อธิบดี ผส.", "DG, DOP",
        "central", 250, agency_th="กรมกิจการผู้สูงอายุ", agency_en="Department of Older Persons",
    ),
    RoleSpec(
        "dep_director_general", "อธิบดีกรมส่งเสริมและพัฒนาคุณภาพชีวิตคนพิการ",
        "Director-General, Department of Empowerment of Persons with Disabilities", "อธิบดี พก.", "DG, DEP",
        "central", 260, agency_th="กรมส่งเสริมและพัฒนาคุณภาพชีวิตคนพิการ",
        agency_en="Department of Empowerment of Persons with Disabilities",
    ),
    RoleSpec(
        "strategy_director", "ผู้อำนวยการกองยุทธศาสตร์และแผนงาน สำนักงานปลัดกระทรวง",
        "Director, Strategy and Planning Division, Office of the Permanent Secretary", "ผอ.กยผ.",
        "Director, Strategy and Planning", "central", 270,
        agency_th="กองยุทธศาสตร์และแผนงาน " + _OPS_TH,
        agency_en="Strategy and Planning Division, " + _OPS_EN,
    ),
    RoleSpec(
        "interior_representative", "ผู้แทนกระทรวงมหาดไทย", "Ministry of Interior representative",
        "ผู้แทน มท.", "MOI representative", "central", 280,
        agency_th="กระทรวงมหาดไทย", agency_en="Ministry of Interior",
    ),
    RoleSpec("secretariat", "ฝ่ายเลขานุการ", "Secretariat", "ฝ่ายเลขานุการ", "Secretariat", "central", 290),
)  # fmt: skip

ROLES: tuple[RoleSpec, ...] = _PROVINCIAL_ROLES + _CENTRAL_ROLES
ROLE_BY_CODE: dict[str, RoleSpec] = {role.code: role for role in ROLES}
DEFAULT_PROVINCIAL_ROLES: tuple[RoleSpec, ...] = tuple(
    role for role in _PROVINCIAL_ROLES if role.default_seat
)
CENTRAL_ROLES: tuple[RoleSpec, ...] = _CENTRAL_ROLES


def province_rows() -> list[dict]:
    """The 77 Province rows as geothai names them, with their region."""
    return [
        {
            "code": ISO_PREFIX + p.code,
            "name_th": p.name_th,
            "name_en": p.name_en,
            "region": REGION_BY_CODE[p.code],
        }
        for p in geothai.provinces()
    ]


def has_provincial_offices(province_code: str) -> bool:
    """Bangkok is run by the BMA: it has no governor's office, พมจ. or Red Cross chapter of its own."""
    return province_code != BANGKOK_CODE


def seed_reference_data() -> dict[str, int]:
    """Insert what is missing of provinces, roles and agencies, refresh names that changed, and commit.

    Idempotent: a second run finds every row and reports zero inserts. Each table is read once and
    written in bulk, so seeding takes a handful of statements whatever the row count.
    """
    provinces_added = _upsert(Province, province_rows())
    roles_added = _upsert(Role, [role.row() for role in ROLES])
    agencies_added = _insert_missing_agencies()
    db.session.flush()
    return {"provinces_added": provinces_added, "roles_added": roles_added, "agencies_added": agencies_added}


def _upsert(model, rows: list[dict]) -> int:
    """Update changed rows and bulk-insert missing ones, matched on ``code``; returns how many were added."""
    existing = {row.code: row for row in db.session.scalars(sa.select(model))}
    missing = []
    for values in rows:
        current = existing.get(values["code"])
        if current is None:
            missing.append(values)
            continue
        for field, value in values.items():
            if getattr(current, field) != value:
                setattr(current, field, value)
    if missing:
        db.session.execute(sa.insert(model), missing)
    return len(missing)


def _insert_missing_agencies() -> int:
    # Agencies are matched on (role, province) but never renamed: the secretariat may have edited them.
    province_ids = dict(db.session.execute(sa.select(Province.code, Province.id)).all())
    role_ids = dict(db.session.execute(sa.select(Role.code, Role.id)).all())
    existing = {tuple(row) for row in db.session.execute(sa.select(Agency.role_id, Agency.province_id))}
    province_names = {row["code"]: row for row in province_rows()}
    missing = []
    for role in DEFAULT_PROVINCIAL_ROLES:
        for code, names in province_names.items():
            key = (role_ids[role.code], province_ids[code])
            if has_provincial_offices(code) and key not in existing:
                missing.append(_provincial_agency(role, names, *key))
    for role in CENTRAL_ROLES:
        if role.agency_th and (role_ids[role.code], None) not in existing:
            missing.append(_central_agency(role, role_ids[role.code]))
    if missing:
        db.session.execute(sa.insert(Agency), missing)
    return len(missing)


def _provincial_agency(role: RoleSpec, province: dict, role_id: int, province_id: int) -> dict:
    # Thai writes the province name straight after "จังหวัด" with no space (สำนักงานจังหวัดเชียงใหม่).
    return {
        "kind": "provincial",
        "name_th": role.agency_th + province["name_th"],
        "name_en": f"{province['name_en']} {role.agency_en}",
        "role_id": role_id,
        "province_id": province_id,
    }


def _central_agency(role: RoleSpec, role_id: int) -> dict:
    return {
        "kind": "central",
        "name_th": role.agency_th,
        "name_en": role.agency_en,
        "role_id": role_id,
        "province_id": None,
    }
