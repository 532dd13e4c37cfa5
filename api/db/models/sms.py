"""Outbound SMS: the outbox of text messages to callers (their tracking code), sent by the
worker through the SMS gateway (api/adapters/sms.py)."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db.models.base import Base, foreign_key, moment, one_of
from api.domain.sms import LANGUAGES, PURPOSES, STATUSES


class SmsMessage(Base):
    """One SMS to a case's caller. ``(case_id, purpose)`` is unique: a repeated click or a
    retried request finds the row already there, so the caller gets one message. ``key`` is the
    idempotency key the gateway sees on every try of this message."""

    __tablename__ = "sms_messages"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    case_id: Mapped[uuid.UUID] = foreign_key("cases.id", "CASCADE")
    purpose: Mapped[str] = mapped_column(sa.String(24))
    key: Mapped[uuid.UUID] = mapped_column(sa.Uuid, unique=True, default=uuid.uuid4)
    # E.164; personal data: never logged, never in a URL, blanked once the message is sent.
    phone: Mapped[str] = mapped_column(sa.String(32))
    language: Mapped[str] = mapped_column(sa.String(2))
    body: Mapped[str] = mapped_column(sa.String(480))
    status: Mapped[str] = mapped_column(sa.String(8), default="pending")
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_error: Mapped[str] = mapped_column(sa.String(200), default="")
    requested_by: Mapped[int | None] = foreign_key("users.id", "SET NULL", nullable=True)
    created_at: Mapped[datetime] = moment()
    sent_at: Mapped[datetime | None] = moment(nullable=True)

    __table_args__ = (
        sa.UniqueConstraint("case_id", "purpose", name="uq_sms_messages_case_purpose"),
        sa.CheckConstraint(one_of("status", STATUSES), name="status"),
        sa.CheckConstraint(one_of("purpose", PURPOSES), name="purpose"),
        sa.CheckConstraint(one_of("language", LANGUAGES), name="language"),
    )
