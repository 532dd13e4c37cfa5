"""Inbound contacts: one row per call, walk-in, message or app report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from geoalchemy2 import Geography
from sqlalchemy.orm import Mapped, mapped_column

from api.db.models.base import (
    Base,
    created_now,
    foreign_key,
    moment,
    one_of,
)
from api.domain.call_clock import Clock, clock_times
from api.domain.vocabulary import CALL_CLASSES, CHANNELS, CallClass, Channel


class Call(Base):
    """One inbound contact: phone, walk-in, social media or app."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    number: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)  # E.164
    channel: Mapped[Channel] = mapped_column(sa.String(16), default="phone")
    started_at: Mapped[datetime] = moment()
    ended_at: Mapped[datetime | None] = moment(nullable=True)
    duration_s: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    call_class: Mapped[CallClass | None] = mapped_column("class", sa.String(16), nullable=True)
    operator_id: Mapped[int | None] = foreign_key("users.id", "SET NULL", nullable=True)
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    location: Mapped[Any | None] = mapped_column(
        Geography("POINT", srid=4326, spatial_index=False), nullable=True
    )
    location_source: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    location_accuracy_m: Mapped[float | None] = mapped_column(nullable=True)
    pbx_call_id: Mapped[str | None] = mapped_column(sa.String(100), unique=True, nullable=True)
    # The call-answer clock (PBX events, docs/call-clock.md): ``started_at`` is when it began
    # to ring; answered, transferred, the end of the operator's wrap-up. A PBX call that ended
    # without an answer was abandoned.
    answered_at: Mapped[datetime | None] = moment(nullable=True)
    transferred_at: Mapped[datetime | None] = moment(nullable=True)
    wrapped_at: Mapped[datetime | None] = moment(nullable=True)
    created_at: Mapped[datetime] = created_now()

    # The call-answer clock's spans (seconds), read by the API's answers.
    @property
    def queue_s(self) -> float | None:
        return self._times()[0]

    @property
    def talk_s(self) -> float | None:
        return self._times()[1]

    @property
    def wrapup_s(self) -> float | None:
        return self._times()[2]

    def _times(self) -> tuple[float | None, float | None, float | None]:
        moments = (self.answered_at, self.transferred_at, self.ended_at, self.wrapped_at)
        return clock_times(Clock(self.started_at, *moments))

    __table_args__ = (
        sa.CheckConstraint(one_of("channel", CHANNELS), name="channel"),
        sa.CheckConstraint(f"class IS NULL OR {one_of('class', CALL_CLASSES)}", name="class"),
        sa.CheckConstraint("duration_s IS NULL OR duration_s >= 0", name="duration"),
        sa.Index("ix_calls_number_started_at", "number", "started_at"),
        sa.Index("ix_calls_started_at", "started_at"),
    )


# Repeated prank numbers: an index-only scan over the prank calls of a period.
sa.Index(
    "ix_calls_prank_started_at",
    Call.started_at,
    postgresql_include=["number"],
    postgresql_where=Call.call_class == "prank",
)

# The live queue board: PBX calls ringing now (not answered, not ended), the longest first.
sa.Index(
    "ix_calls_ringing_started_at",
    Call.started_at,
    postgresql_where=sa.and_(
        Call.pbx_call_id.is_not(None), Call.answered_at.is_(None), Call.ended_at.is_(None)
    ),
)
