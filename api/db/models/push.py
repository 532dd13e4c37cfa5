"""Web Push: browser subscriptions and the outbox of notifications the worker sends."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from api.db.models.base import Base, created_now, foreign_key, moment


class PushSubscription(Base):
    """A browser's Web Push endpoint: a signed-in user's device, a citizen following a case, or a
    citizen who asked for a kecamatan's warnings."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    user_id: Mapped[int | None] = foreign_key("users.id", "CASCADE", nullable=True)
    reporter_id: Mapped[int | None] = foreign_key("case_reporters.id", "CASCADE", nullable=True)
    # A citizen's opt-in, without an account: warnings for this kecamatan.
    warning_area_id: Mapped[int | None] = foreign_key("areas.id", "CASCADE", nullable=True)
    endpoint: Mapped[str] = mapped_column(sa.Text, unique=True)
    p256dh: Mapped[str] = mapped_column(sa.String(200))
    auth: Mapped[str] = mapped_column(sa.String(100))
    language: Mapped[str] = mapped_column(sa.String(2), default="id")
    user_agent: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = created_now()
    last_success_at: Mapped[datetime | None] = moment(nullable=True)

    __table_args__ = (
        sa.CheckConstraint(
            "user_id IS NOT NULL OR reporter_id IS NOT NULL OR warning_area_id IS NOT NULL",
            name="owner",
        ),
        sa.Index("ix_push_subscriptions_user_id", "user_id"),
        sa.Index("ix_push_subscriptions_reporter_id", "reporter_id"),
        sa.Index("ix_push_subscriptions_warning_area_id", "warning_area_id"),
    )


class Notification(Base):
    """Outbox: one push to one device, written in the transaction of the change that causes it.

    ``event_key`` names the cause (e.g. ``case-event:123``); with the subscription it is unique,
    so nobody is notified twice for the same event.
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    event_key: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[str] = mapped_column(sa.String(24))
    subscription_id: Mapped[int | None] = foreign_key(
        "push_subscriptions.id", "SET NULL", nullable=True
    )
    user_id: Mapped[int | None] = foreign_key("users.id", "SET NULL", nullable=True)
    case_id: Mapped[uuid.UUID | None] = foreign_key("cases.id", "CASCADE", nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    urgency: Mapped[str] = mapped_column(sa.String(8), default="normal")
    topic: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    ttl_s: Mapped[int] = mapped_column(sa.Integer, default=86400)
    # pending → sent | gone (subscription removed) | failed (gave up after retries)
    status: Mapped[str] = mapped_column(sa.String(8), default="pending")
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_attempt_at: Mapped[datetime] = moment()
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = moment()
    sent_at: Mapped[datetime | None] = moment(nullable=True)

    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'sent', 'gone', 'failed')", name="status"),
        sa.CheckConstraint("urgency IN ('very-low', 'low', 'normal', 'high')", name="urgency"),
        sa.UniqueConstraint("event_key", "subscription_id", name="uq_notifications_event_sub"),
        sa.Index(
            "ix_notifications_pending",
            "next_attempt_at",
            postgresql_where="status = 'pending'",
        ),
    )
