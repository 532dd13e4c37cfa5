"""SQLAlchemy models. Times are ``timestamptz`` in UTC; locations are WGS84 geography points."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from geoalchemy2 import Geography
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _now() -> Any:
    return func.now()


ROLES = ("admin", "supervisor", "operator", "dispatcher", "coordinator", "field_officer")
PRIORITIES = ("P1", "P2", "P3")


class Agency(Base):
    """A city agency (OPD) or partner body that receives cases."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_id: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="opd")
    notes: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_now())

    __table_args__ = (CheckConstraint("kind IN ('opd', 'partner')", name="kind"),)


category_supporting_agencies = Table(
    "category_supporting_agencies",
    Base.metadata,
    Column("category_id", ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True),
    Column("agency_id", ForeignKey("agencies.id", ondelete="RESTRICT"), primary_key=True),
)


class Category(Base):
    """A complaint type: who handles it, how urgent, how fast (SLA), what proof it needs."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(String(48), unique=True)
    name_id: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    group: Mapped[str] = mapped_column(String(32))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="RESTRICT"))
    priority: Mapped[str] = mapped_column(String(2))
    dedupe_radius_m: Mapped[int] = mapped_column(Integer, default=100)
    sla_accept_min: Mapped[int] = mapped_column(Integer)
    sla_arrive_min: Mapped[int] = mapped_column(Integer)
    sla_resolve_min: Mapped[int] = mapped_column(Integer)
    photo_required: Mapped[bool] = mapped_column(Boolean, default=False)
    # Open311 attributes: extra questions asked when reporting.
    attributes: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    agency: Mapped[Agency] = relationship(lazy="raise")
    supporting_agencies: Mapped[list[Agency]] = relationship(
        secondary=category_supporting_agencies, lazy="raise"
    )

    __table_args__ = (
        CheckConstraint("priority IN ('P1', 'P2', 'P3')", name="priority"),
        CheckConstraint("dedupe_radius_m >= 0 AND dedupe_radius_m <= 10000", name="radius"),
        CheckConstraint(
            "sla_accept_min > 0 AND sla_arrive_min >= sla_accept_min "
            "AND sla_resolve_min >= sla_arrive_min",
            name="sla_order",
        ),
    )


class Area(Base):
    """A kecamatan (district): a centre point and, when imported, its boundary polygon."""

    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="kecamatan")
    center: Mapped[Any] = mapped_column(Geography("POINT", srid=4326, spatial_index=False))
    boundary: Mapped[Any | None] = mapped_column(
        Geography("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=True
    )

    __table_args__ = (
        Index("ix_areas_boundary", "boundary", postgresql_using="gist"),
        Index("ix_areas_center", "center", postgresql_using="gist"),
    )


team_members = Table(
    "team_members",
    Base.metadata,
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_team_members_user_id", "user_id"),
)


class User(Base):
    """A person who signs in. Coordinators and field officers belong to exactly one agency."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    role: Mapped[str] = mapped_column(String(16))
    agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("agencies.id", ondelete="RESTRICT"), nullable=True
    )
    password_hash: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(2), default="id")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_now())

    agency: Mapped[Agency | None] = relationship(lazy="raise")
    teams: Mapped[list[Team]] = relationship(
        secondary=team_members, back_populates="members", lazy="raise"
    )

    __table_args__ = (
        CheckConstraint(
            "role IN ('admin', 'supervisor', 'operator', 'dispatcher', 'coordinator', "
            "'field_officer')",
            name="role",
        ),
        CheckConstraint(
            "role NOT IN ('coordinator', 'field_officer') OR agency_id IS NOT NULL",
            name="agency_member",
        ),
        CheckConstraint("language IN ('id', 'en')", name="language"),
    )


class Team(Base):
    """A rapid-response unit of one agency."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(100))
    on_duty: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_now())

    agency: Mapped[Agency] = relationship(lazy="raise")
    members: Mapped[list[User]] = relationship(
        secondary=team_members, back_populates="teams", lazy="raise"
    )

    __table_args__ = (UniqueConstraint("agency_id", "name", name="uq_teams_agency_name"),)


class AuthSession(Base):
    """One signed-in device. The refresh token rotates; revoking the row ends its access tokens."""

    __tablename__ = "auth_sessions"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    refresh_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The hash before the last rotation: presenting it again means the token was stolen.
    previous_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_now())
    rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    user_agent: Mapped[str] = mapped_column(String(300), default="")


class LoginFailure(Base):
    """A failed sign-in, keyed by account and by client address, for rate limiting."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_now())

    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)
