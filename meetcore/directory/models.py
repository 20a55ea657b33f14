"""Reference data: provinces, roles, agencies and people."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from meetcore.database import choice_type
from meetcore.extensions import db

REGIONS = ("north", "northeast", "central", "east", "west", "south")


class Province(db.Model):
    __tablename__ = "provinces"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(8), unique=True)  # ISO 3166-2:TH, e.g. TH-10
    name_th: Mapped[str] = mapped_column(sa.String(120))
    name_en: Mapped[str] = mapped_column(sa.String(120))
    region: Mapped[str] = mapped_column(choice_type(*REGIONS, name="region"))

    def __repr__(self) -> str:
        return f"<Province {self.code}>"


class Role(db.Model):
    """A kind of seat: vice governor, provincial public health chief, ... or a central position."""

    __tablename__ = "roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    title_th: Mapped[str] = mapped_column(sa.String(200))
    title_en: Mapped[str] = mapped_column(sa.String(200))
    short_th: Mapped[str | None] = mapped_column(sa.String(40))
    short_en: Mapped[str | None] = mapped_column(sa.String(40))
    scope: Mapped[str] = mapped_column(choice_type("provincial", "central", name="role_scope"))
    sort_order: Mapped[int] = mapped_column(default=100)

    def __repr__(self) -> str:
        return f"<Role {self.code}>"


class Agency(db.Model):
    """A unit that can own action items: a provincial office (role + province) or a central unit."""

    __tablename__ = "agencies"
    __table_args__ = (
        sa.UniqueConstraint("role_id", "province_id"),
        sa.CheckConstraint(
            "(kind = 'provincial' AND province_id IS NOT NULL AND role_id IS NOT NULL)"
            " OR (kind = 'central' AND province_id IS NULL)",
            name="provincial_has_province",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(choice_type("provincial", "central", name="agency_kind"))
    name_th: Mapped[str] = mapped_column(sa.String(250))
    name_en: Mapped[str] = mapped_column(sa.String(250))
    role_id: Mapped[int | None] = mapped_column(sa.ForeignKey("roles.id", ondelete="RESTRICT"))
    province_id: Mapped[int | None] = mapped_column(sa.ForeignKey("provinces.id", ondelete="RESTRICT"))

    role: Mapped[Role | None] = relationship()
    province: Mapped[Province | None] = relationship()


class Person(db.Model):
    """Someone who can be invited to a seat."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[str | None] = mapped_column(sa.String(250))
    email: Mapped[str | None] = mapped_column(sa.String(254), index=True)
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id", ondelete="SET NULL"))

    agency: Mapped[Agency | None] = relationship()
