"""WhatsApp and SMS conversations: every message in or out, on the call it belongs to."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db.models.base import Base, foreign_key, moment, one_of
from api.domain.conversations import CONVERSATION_CHANNELS, DIRECTIONS, KINDS, STATUSES


class ConversationMessage(Base):
    """One message of a WhatsApp or SMS conversation. Inbound: ``provider_id`` (the provider's
    message id) is unique, so a redelivered message changes nothing. Outbound: the outbox row,
    ``key`` unique per (call, purpose key), sent by the worker; the provider's statuses move
    ``status`` forward."""

    __tablename__ = "conversation_messages"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    call_id: Mapped[int] = foreign_key("calls.id", "CASCADE")
    channel: Mapped[str] = mapped_column(sa.String(16))
    direction: Mapped[str] = mapped_column(sa.String(3))
    kind: Mapped[str] = mapped_column(sa.String(16))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    # Outbound only: what makes a retried request the same message ("reply:<client key>",
    # "template:tracking_code"...), unique per call.
    dedupe: Mapped[str | None] = mapped_column(sa.String(120), nullable=True)
    key: Mapped[uuid.UUID] = mapped_column(sa.Uuid, unique=True, default=uuid.uuid4)
    provider_id: Mapped[str | None] = mapped_column(sa.String(128), nullable=True)
    # A template's body parameters, in order (the text itself is in ``body`` for staff).
    params: Mapped[list[str] | None] = mapped_column(sa.JSON, nullable=True)
    # An inbound image: its copy in object storage after the photo checks, and its hash.
    media_key: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    media_sha256: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    language: Mapped[str] = mapped_column(sa.String(2), default="id")
    status: Mapped[str] = mapped_column(sa.String(10))
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_error: Mapped[str] = mapped_column(sa.String(200), default="")
    sent_by: Mapped[int | None] = foreign_key("users.id", "SET NULL", nullable=True)
    created_at: Mapped[datetime] = moment()
    status_at: Mapped[datetime | None] = moment(nullable=True)

    __table_args__ = (
        sa.CheckConstraint(one_of("channel", CONVERSATION_CHANNELS), name="channel"),
        sa.CheckConstraint(one_of("direction", DIRECTIONS), name="direction"),
        sa.CheckConstraint(one_of("kind", KINDS), name="kind"),
        sa.CheckConstraint(one_of("status", STATUSES), name="status"),
        sa.UniqueConstraint("channel", "provider_id", name="uq_conversation_messages_provider"),
        sa.UniqueConstraint("call_id", "dedupe", name="uq_conversation_messages_dedupe"),
        sa.Index("ix_conversation_messages_call_id", "call_id", "id"),
    )
