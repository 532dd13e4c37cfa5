"""Agencies, the people who sign in, and their teams (with the teams' position history)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from geoalchemy2 import Geography
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db.models.base import (
    Base,
    BilingualName,
    created_now,
    foreign_key,
    moment,
    one_of,
)
from api.domain.vocabulary import AGENCY_ROLES, ROLES, Role


class Agency(BilingualName, Base):
    """A city agency (OPD) or partner body that receives cases."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(sa.Integer, sa.Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16), default="opd")
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = created_now()

    __table_args__ = (sa.CheckConstraint("kind IN ('opd', 'partner')", name="kind"),)


team_members = sa.Table(
    "team_members",
    Base.metadata,
    sa.Column("team_id", sa.ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Index("ix_team_members_user_id", "user_id"),
)


class User(Base):
    """A person who signs in. Coordinators and field officers belong to exactly one agency."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(sa.Integer, sa.Identity(), primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    phone: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)
    role: Mapped[Role] = mapped_column(sa.String(16))
    agency_id: Mapped[int | None] = foreign_key("agencies.id", "RESTRICT", nullable=True)
    password_hash: Mapped[str] = mapped_column(sa.Text)
    language: Mapped[str] = mapped_column(sa.String(2), default="id")
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = created_now()
    last_login_at: Mapped[datetime | None] = moment(nullable=True)  # the last sign-in

    agency: Mapped[Agency | None] = relationship(lazy="raise")
    teams: Mapped[list[Team]] = relationship(
        secondary=team_members, back_populates="members", lazy="raise"
    )

    __table_args__ = (
        sa.CheckConstraint(one_of("role", ROLES), name="role"),
        sa.CheckConstraint(
            f"NOT {one_of('role', sorted(AGENCY_ROLES))} OR agency_id IS NOT NULL",
            name="agency_member",
        ),
        sa.CheckConstraint("language IN ('id', 'en')", name="language"),
    )


class Team(Base):
    """A rapid-response unit of one agency."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(sa.Integer, sa.Identity(), primary_key=True)
    agency_id: Mapped[int] = foreign_key("agencies.id", "RESTRICT")
    name: Mapped[str] = mapped_column(sa.String(100))
    on_duty: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    # Last known position, from the members' pings (history in team_positions).
    last_position: Mapped[Any | None] = mapped_column(
        Geography("POINT", srid=4326, spatial_index=False), nullable=True
    )
    last_position_at: Mapped[datetime | None] = moment(nullable=True)
    last_accuracy_m: Mapped[float | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = created_now()

    agency: Mapped[Agency] = relationship(lazy="raise")
    members: Mapped[list[User]] = relationship(
        secondary=team_members, back_populates="teams", lazy="raise"
    )

    __table_args__ = (
        sa.UniqueConstraint("agency_id", "name", name="uq_teams_agency_name"),
        sa.Index("ix_teams_last_position", "last_position", postgresql_using="gist"),
    )


class TeamPosition(Base):
    """A position ping from an on-duty team member (bounded history; see retention)."""

    __tablename__ = "team_positions"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    team_id: Mapped[int] = foreign_key("teams.id", "CASCADE")
    user_id: Mapped[int | None] = foreign_key("users.id", "SET NULL", nullable=True)
    at: Mapped[datetime] = moment()
    location: Mapped[Any] = mapped_column(Geography("POINT", srid=4326, spatial_index=False))
    accuracy_m: Mapped[float] = mapped_column()

    __table_args__ = (sa.Index("ix_team_positions_team_id_at", "team_id", "at"),)
