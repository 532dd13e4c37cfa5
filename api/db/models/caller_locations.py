"""Caller locations from the phone network: every Advanced Mobile Location fix a handset sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from geoalchemy2 import Geography
from sqlalchemy.orm import Mapped, mapped_column

from api.db.models.base import Base, foreign_key, moment, one_of

AML_CHANNELS = ("https", "sms")
AML_METHODS = ("gnss", "wifi", "cell", "unknown")


class CallerLocation(Base):
    """One AML fix. Kept even when a better one arrives (the call's location is the best recent
    fix, :func:`api.domain.aml.best_fix`). ``call_id`` is empty until a call of the same number
    opens before ``match_until``. The IMSI and IMEI are never kept as sent: a keyed hash, or
    nothing (``TANGGAP_AML_IDENTIFIERS``)."""

    __tablename__ = "caller_locations"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    call_id: Mapped[int | None] = foreign_key("calls.id", "CASCADE", nullable=True)
    number: Mapped[str] = mapped_column(sa.String(20))  # E.164, to match the call
    channel: Mapped[str] = mapped_column(sa.String(8))
    location: Mapped[Any] = mapped_column(Geography("POINT", srid=4326, spatial_index=False))
    accuracy_m: Mapped[float] = mapped_column(sa.Double)
    method: Mapped[str] = mapped_column(sa.String(8))
    fixed_at: Mapped[datetime] = moment()
    confidence_pct: Mapped[int | None] = mapped_column(sa.SmallInteger, nullable=True)
    imsi_hash: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    imei_hash: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    mcc: Mapped[str | None] = mapped_column(sa.String(3), nullable=True)
    mnc: Mapped[str | None] = mapped_column(sa.String(3), nullable=True)
    received_at: Mapped[datetime] = moment()
    # A fix that came before its call waits for it until then.
    match_until: Mapped[datetime] = moment()

    __table_args__ = (
        sa.CheckConstraint(one_of("channel", AML_CHANNELS), name="channel"),
        sa.CheckConstraint(one_of("method", AML_METHODS), name="method"),
        sa.CheckConstraint("accuracy_m >= 0", name="accuracy"),
        sa.CheckConstraint(
            "confidence_pct IS NULL OR confidence_pct BETWEEN 0 AND 100", name="confidence"
        ),
        sa.Index("ix_caller_locations_call_id", "call_id"),
        sa.Index(
            "ix_caller_locations_waiting",
            "number",
            "match_until",
            postgresql_where=sa.text("call_id IS NULL"),
        ),
    )
