"""The case aggregate: the ticket, its append-only timeline, its reporters and their ratings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from geoalchemy2 import Geography
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from api.db.models.base import Base, foreign_key, moment, one_of, trigram_index
from api.domain.vocabulary import (
    CHANNELS,
    OPEN,
    PRIORITIES,
    STATUSES,
    Channel,
    EventKind,
    Priority,
    Status,
)


class SlaClock:
    """A case's SLA deadlines, computed from its category when it is created, and the first
    moment it reached each stage (see api/domain/sla.py). Kept on the case and, by triggers, on
    its statistics row."""

    accept_by: Mapped[datetime] = moment()
    arrive_by: Mapped[datetime] = moment()
    resolve_by: Mapped[datetime] = moment()
    dispatched_at: Mapped[datetime | None] = moment(nullable=True)
    accepted_at: Mapped[datetime | None] = moment(nullable=True)
    arrived_at: Mapped[datetime | None] = moment(nullable=True)
    resolved_at: Mapped[datetime | None] = moment(nullable=True)


class Case(SlaClock, Base):
    """A ticket: something that happened at a place, routed to an agency and worked by a team."""

    __tablename__ = "cases"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(24), unique=True)
    category_id: Mapped[int] = foreign_key("categories.id", "RESTRICT")
    agency_id: Mapped[int] = foreign_key("agencies.id", "RESTRICT")
    team_id: Mapped[int | None] = foreign_key("teams.id", "SET NULL", nullable=True)
    priority: Mapped[Priority] = mapped_column(sa.String(2))
    status: Mapped[Status] = mapped_column(sa.String(16), default="new")
    location: Mapped[Any] = mapped_column(Geography("POINT", srid=4326, spatial_index=False))
    address: Mapped[str] = mapped_column(sa.Text, default="")
    landmark: Mapped[str] = mapped_column(sa.Text, default="")
    area_id: Mapped[int | None] = foreign_key("areas.id", "SET NULL", nullable=True)
    description: Mapped[str] = mapped_column(sa.Text)
    # What the public may read of the description, stored at intake (contacts redacted);
    # NULL for a call-taker's working notes. See api/domain/disclosure.py.
    public_description: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    # Marked by an operator, or its category was sensitive at intake: never public.
    sensitive: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    channel: Mapped[Channel] = mapped_column(sa.String(16), default="phone")
    call_id: Mapped[int | None] = foreign_key("calls.id", "SET NULL", nullable=True)
    duplicate_of_id: Mapped[uuid.UUID | None] = foreign_key("cases.id", "SET NULL", nullable=True)
    out_of_area: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    closed_at: Mapped[datetime | None] = moment(nullable=True)
    # SLA stages already escalated ("accept", "arrive", "resolve"): escalation happens once.
    escalated_stages: Mapped[list[str]] = mapped_column(ARRAY(sa.String(8)), default=list)
    created_by_id: Mapped[int | None] = foreign_key("users.id", "SET NULL", nullable=True)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    created_at: Mapped[datetime] = moment()
    updated_at: Mapped[datetime] = moment()

    __table_args__ = (
        sa.CheckConstraint(one_of("status", STATUSES), name="status"),
        sa.CheckConstraint(one_of("priority", PRIORITIES), name="priority"),
        sa.CheckConstraint(one_of("channel", CHANNELS), name="channel"),
        sa.CheckConstraint("duplicate_of_id IS NULL OR duplicate_of_id <> id", name="not_self_dup"),
        sa.Index("ix_cases_location", "location", postgresql_using="gist"),
        sa.Index("ix_cases_status_created_at", "status", "created_at"),
        sa.Index("ix_cases_agency_id_status", "agency_id", "status"),
        sa.Index("ix_cases_team_id_status", "team_id", "status"),
        sa.Index("ix_cases_category_id_created_at", "category_id", "created_at"),
        sa.Index("ix_cases_created_at", "created_at"),
        sa.Index("ix_cases_duplicate_of_id", "duplicate_of_id"),
        sa.Index("ix_cases_call_id", "call_id"),
        trigram_index("ix_cases_description_trgm", "description"),
    )


class CaseEvent(Base):
    """Append-only timeline: the audit log and the source of every response-time figure.

    A database trigger refuses UPDATE and DELETE on this table.
    """

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    case_id: Mapped[uuid.UUID] = foreign_key("cases.id", "CASCADE")
    kind: Mapped[EventKind] = mapped_column(sa.String(24))
    from_status: Mapped[Status | None] = mapped_column(sa.String(16), nullable=True)
    to_status: Mapped[Status | None] = mapped_column(sa.String(16), nullable=True)
    actor_id: Mapped[int | None] = foreign_key("users.id", "SET NULL", nullable=True)
    # "user", "citizen", "system", "pbx", "open311": who acted when there is no user.
    actor_kind: Mapped[str] = mapped_column(sa.String(12), default="user")
    at: Mapped[datetime] = moment()
    location: Mapped[Any | None] = mapped_column(
        Geography("POINT", srid=4326, spatial_index=False), nullable=True
    )
    accuracy_m: Mapped[float | None] = mapped_column(nullable=True)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    # Shown on the citizen's tracking page (never with the note or the actor's name).
    public: Mapped[bool] = mapped_column(sa.Boolean, default=True)

    __table_args__ = (
        sa.Index("ix_case_events_case_id_id", "case_id", "id"),
        sa.Index("ix_case_events_at", "at"),
        sa.Index("ix_case_events_kind_at", "kind", "at"),
    )


class CaseReporter(Base):
    """Who reported a case. Private: never on public pages. Follows the case when merged."""

    __tablename__ = "case_reporters"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    case_id: Mapped[uuid.UUID] = foreign_key("cases.id", "CASCADE")
    original_case_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("cases.id", ondelete="CASCADE")
    )
    call_id: Mapped[int | None] = foreign_key("calls.id", "SET NULL", nullable=True)
    name: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    phone: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)
    channel: Mapped[Channel] = mapped_column(sa.String(16), default="phone")
    # SHA-256 of the citizen's secret tracking token; the token itself is never stored.
    tracking_token_hash: Mapped[str | None] = mapped_column(
        sa.String(64), unique=True, nullable=True
    )
    language: Mapped[str] = mapped_column(sa.String(2), default="id")
    # Joined an existing case (follow): status updates only, no dispute, no rating.
    follower: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    created_at: Mapped[datetime] = moment()

    __table_args__ = (
        sa.Index("ix_case_reporters_case_id", "case_id"),
        sa.Index("ix_case_reporters_phone", "phone"),
    )


class CaseRating(Base):
    """A citizen's rating of a resolved case (1-5, optional comment)."""

    __tablename__ = "case_ratings"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    case_id: Mapped[uuid.UUID] = foreign_key("cases.id", "CASCADE")
    reporter_id: Mapped[int | None] = foreign_key("case_reporters.id", "SET NULL", nullable=True)
    score: Mapped[int] = mapped_column(sa.Integer)
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = moment()

    __table_args__ = (
        sa.CheckConstraint("score BETWEEN 1 AND 5", name="score"),
        sa.UniqueConstraint("case_id", "reporter_id", name="uq_case_ratings_case_reporter"),
    )


# "Overdue now" (the case list's rule): an index-only scan over the open cases.
sa.Index(
    "ix_cases_open_deadlines",
    Case.agency_id,
    postgresql_include=[
        "category_id",
        "area_id",
        "priority",
        "accept_by",
        "arrive_by",
        "resolve_by",
        "accepted_at",
        "arrived_at",
        "resolved_at",
    ],
    postgresql_where=Case.status.in_([s for s in STATUSES if s in OPEN]),
)
