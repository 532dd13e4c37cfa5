"""CAP alerts read from a configured feed (BMKG's nowcasts, for one), stored once each."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from geoalchemy2 import Geography
from sqlalchemy.orm import Mapped, mapped_column

from api.db.models.base import Base, created_now, moment


class IncomingCapAlert(Base):
    """One received CAP message (its first ``<info>`` in Indonesian, else the first), kept as
    sent. ``cancelled`` is set when a later ``Cancel`` message references it."""

    __tablename__ = "cap_incoming"

    id: Mapped[int] = mapped_column(sa.Integer, sa.Identity(), primary_key=True)
    identifier: Mapped[str] = mapped_column(sa.String(200))
    sender: Mapped[str] = mapped_column(sa.String(200))
    sent: Mapped[datetime] = moment()
    msg_type: Mapped[str] = mapped_column(sa.String(20))
    cancelled: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    category: Mapped[str] = mapped_column(sa.String(20))
    event: Mapped[str] = mapped_column(sa.String(160))
    severity: Mapped[str] = mapped_column(sa.String(20))
    urgency: Mapped[str] = mapped_column(sa.String(20))
    certainty: Mapped[str] = mapped_column(sa.String(20))
    headline: Mapped[str] = mapped_column(sa.String(160))
    description: Mapped[str] = mapped_column(sa.Text)
    instruction: Mapped[str] = mapped_column(sa.Text)
    language: Mapped[str] = mapped_column(sa.String(20))
    expires_at: Mapped[datetime | None] = moment(nullable=True)
    area: Mapped[Any] = mapped_column(
        Geography("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=True
    )
    received_at: Mapped[datetime] = created_now()

    __table_args__ = (
        sa.UniqueConstraint("identifier", "sender", "sent"),
        sa.Index("ix_cap_incoming_area", "area", postgresql_using="gist"),
    )
