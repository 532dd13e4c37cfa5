"""The machinery's own rows: idempotent replays, rate-limit counters, worker heartbeats."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from api.db.models.base import Base, created_now, foreign_key, moment, one_of
from api.domain.audit import ACTIONS, ENTITIES


class IdempotentRequest(Base):
    """A replayed request with the same ``Idempotency-Key`` gets the stored answer, once applied."""

    __tablename__ = "idempotent_requests"

    key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    user_id: Mapped[int | None] = foreign_key("users.id", "CASCADE", nullable=True)
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    body: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = created_now()


class RateLimitHit(Base):
    """One counted action (a public report, a failed PIN, an Open311 request) for rate limits.

    ``key`` names what is counted and for whom, hashed (``report-ip:<sha256>``): no personal
    data. Rows older than every window are purged as new ones arrive.
    """

    __tablename__ = "rate_limit_hits"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200))
    at: Mapped[datetime] = moment()

    __table_args__ = (
        sa.Index("ix_rate_limit_hits_key_at", "key", "at"),
        sa.Index("ix_rate_limit_hits_at", "at"),
    )


class WorkerHeartbeat(Base):
    """One row per running worker (``tanggap worker`` or the one inside ``tanggap dev``).

    The worker writes ``beat_at`` every few seconds while its job queue connection works, and
    ``sla_scan_at`` after each SLA escalation scan; readiness reads them (api/db/health.py). A
    stopped worker deletes its row; a killed one's row goes stale and is purged after a day.
    """

    __tablename__ = "worker_heartbeats"

    worker: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    started_at: Mapped[datetime] = moment()
    beat_at: Mapped[datetime] = moment()
    sla_scan_at: Mapped[datetime | None] = moment(nullable=True)


class AdminAudit(Base):
    """One admin change: who, when, what, and the record before and after (no secrets; see
    :mod:`api.domain.audit`). Append-only: a trigger refuses every UPDATE and DELETE."""

    __tablename__ = "admin_audit"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    at: Mapped[datetime] = moment()
    actor_id: Mapped[int | None] = foreign_key("users.id", "RESTRICT", nullable=True)
    action: Mapped[str] = mapped_column(sa.Text)
    entity: Mapped[str] = mapped_column(sa.Text)
    entity_id: Mapped[str] = mapped_column(sa.Text)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True), nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True), nullable=True)

    __table_args__ = (
        sa.CheckConstraint(one_of("action", ACTIONS), name="action"),
        sa.CheckConstraint(one_of("entity", ENTITIES), name="entity"),
        sa.Index("ix_admin_audit_entity", "entity", "entity_id", "id"),
        sa.Index("ix_admin_audit_actor_id", "actor_id", "id"),
    )
