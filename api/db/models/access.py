"""Signing in and keeping out: sessions, live-event tickets, failed sign-ins, security alerts
and Open311 keys."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from api.db.models.base import Base, created_now, foreign_key, moment


class AuthSession(Base):
    """One signed-in device. The refresh token rotates; revoking the row ends its access tokens."""

    __tablename__ = "auth_sessions"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    refresh_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The hash before the last rotation: presenting it again means the token was stolen.
    previous_hash: Mapped[str | None] = mapped_column(sa.String(64), nullable=True, index=True)
    created_at: Mapped[datetime] = created_now()
    rotated_at: Mapped[datetime | None] = moment(nullable=True)
    expires_at: Mapped[datetime] = moment()
    revoked_at: Mapped[datetime | None] = moment(nullable=True)
    user_agent: Mapped[str] = mapped_column(sa.String(300), default="")


class EventTicket(Base):
    """A short-lived, single-use ticket that opens the live-event stream (``EventSource`` cannot
    send a header, and an access token must never sit in a URL). Only its SHA-256 is kept."""

    __tablename__ = "event_tickets"

    digest: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), index=True)


class LoginFailure(Base):
    """A failed sign-in, keyed by account and by client address, for rate limiting.

    Two rows per failure: the account's (``user:<name>``, with the hashed address in
    ``address``, so both "this account from this address" and "this account from anywhere" are
    counted) and the address's (``ip:<hash>``). Addresses are hashed: no personal data.
    """

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200))
    address: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    at: Mapped[datetime] = created_now()

    __table_args__ = (sa.Index("ix_login_failures_key_at", "key", "at"),)


class SecurityAlert(Base):
    """Something admins should look at, e.g. many wrong passwords for one account from many
    addresses (the account is not locked; the admins are told). Listed by the admin API."""

    __tablename__ = "security_alerts"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    user_id: Mapped[int | None] = foreign_key("users.id", "CASCADE", nullable=True)
    failures: Mapped[int] = mapped_column(sa.Integer)
    at: Mapped[datetime] = moment()

    __table_args__ = (
        sa.CheckConstraint("kind IN ('login_failures')", name="kind"),
        sa.Index("ix_security_alerts_at", "at"),
        sa.Index("ix_security_alerts_user_id", "user_id"),
    )


class Open311Key(Base):
    """An API key for an Open311 client (a city portal, FixMyStreet). Only its SHA-256 is kept;
    the key itself is shown once, when an admin issues it."""

    __tablename__ = "open311_keys"

    id: Mapped[int] = mapped_column(sa.Integer, sa.Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The first characters of the key, so an admin can tell keys apart in a list.
    key_prefix: Mapped[str] = mapped_column(sa.String(12))
    created_by_id: Mapped[int | None] = foreign_key("users.id", "SET NULL", nullable=True)
    created_at: Mapped[datetime] = moment()
    last_used_at: Mapped[datetime | None] = moment(nullable=True)
    revoked_at: Mapped[datetime | None] = moment(nullable=True)
    # Service requests it may POST within the report window; None: the city default
    # (``open311_requests_per_key``).
    requests_limit: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)

    __table_args__ = (
        sa.CheckConstraint("requests_limit IS NULL OR requests_limit >= 1", name="requests_limit"),
    )
