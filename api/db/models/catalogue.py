"""What the city is made of for routing: categories, kecamatan, gazetteer places, area rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from geoalchemy2 import Geography
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db.models.base import (
    Base,
    BilingualName,
    created_now,
    foreign_key,
    one_of,
    trigram_index,
)
from api.db.models.people import Agency
from api.domain.vocabulary import PRIORITIES

category_supporting_agencies = sa.Table(
    "category_supporting_agencies",
    Base.metadata,
    sa.Column("category_id", sa.ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("agency_id", sa.ForeignKey("agencies.id", ondelete="RESTRICT"), primary_key=True),
)


class Category(BilingualName, Base):
    """A complaint type: who handles it, how urgent, how fast (SLA), what proof it needs."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(sa.Integer, sa.Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(48), unique=True)
    group: Mapped[str] = mapped_column(sa.String(32))
    agency_id: Mapped[int] = foreign_key("agencies.id", "RESTRICT")
    priority: Mapped[str] = mapped_column(sa.String(2))
    dedupe_radius_m: Mapped[int] = mapped_column(sa.Integer, default=100)
    sla_accept_min: Mapped[int] = mapped_column(sa.Integer)
    sla_arrive_min: Mapped[int] = mapped_column(sa.Integer)
    sla_resolve_min: Mapped[int] = mapped_column(sa.Integer)
    photo_required: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    # Open311 attributes: extra questions asked when reporting.
    attributes: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    # About a person rather than a place: its cases appear on no public surface.
    sensitive: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())

    agency: Mapped[Agency] = relationship(lazy="raise")
    supporting_agencies: Mapped[list[Agency]] = relationship(
        secondary=category_supporting_agencies, lazy="raise"
    )

    __table_args__ = (
        sa.CheckConstraint(one_of("priority", PRIORITIES), name="priority"),
        sa.CheckConstraint("dedupe_radius_m >= 0 AND dedupe_radius_m <= 10000", name="radius"),
        sa.CheckConstraint(
            "sla_accept_min > 0 AND sla_arrive_min >= sla_accept_min "
            "AND sla_resolve_min >= sla_arrive_min",
            name="sla_order",
        ),
    )


class Area(Base):
    """A kecamatan (district): a centre point and, when imported, its boundary polygon."""

    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(sa.Integer, sa.Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16), default="kecamatan")
    center: Mapped[Any] = mapped_column(Geography("POINT", srid=4326, spatial_index=False))
    boundary: Mapped[Any | None] = mapped_column(
        Geography("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=True
    )

    __table_args__ = (
        sa.Index("ix_areas_boundary", "boundary", postgresql_using="gist"),
        sa.Index("ix_areas_center", "center", postgresql_using="gist"),
    )


class Place(Base):
    """A gazetteer entry: a named point an operator can pick when no base map is visible.

    Seeded with the kecamatan centres; admins add kelurahan and landmarks. Places are retired
    (``active = false``), never deleted, so a case placed from one can still be explained.
    """

    __tablename__ = "places"

    id: Mapped[int] = mapped_column(sa.Integer, sa.Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(16))
    point: Mapped[Any] = mapped_column(Geography("POINT", srid=4326, spatial_index=False))
    area_id: Mapped[int | None] = foreign_key("areas.id", "SET NULL", nullable=True)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default="true")
    created_at: Mapped[datetime] = created_now()

    __table_args__ = (
        sa.CheckConstraint("kind IN ('kecamatan', 'kelurahan', 'landmark')", name="kind"),
        sa.UniqueConstraint("name", "kind", name="uq_places_name_kind"),
        sa.Index("ix_places_point", "point", postgresql_using="gist"),
        trigram_index("ix_places_name_trgm", "name"),
    )


class RoutingRule(Base):
    """An area rule: in this kecamatan, this category (or every category) goes to another agency
    and/or is suggested to a particular team first."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(sa.Integer, sa.Identity(), primary_key=True)
    area_id: Mapped[int] = foreign_key("areas.id", "CASCADE")
    category_id: Mapped[int | None] = foreign_key("categories.id", "CASCADE", nullable=True)
    agency_id: Mapped[int | None] = foreign_key("agencies.id", "CASCADE", nullable=True)
    team_id: Mapped[int | None] = foreign_key("teams.id", "CASCADE", nullable=True)
    note: Mapped[str] = mapped_column(sa.Text, default="")

    __table_args__ = (
        sa.CheckConstraint("agency_id IS NOT NULL OR team_id IS NOT NULL", name="does_something"),
        sa.Index("ix_routing_rules_area_id", "area_id"),
    )
