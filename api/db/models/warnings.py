"""Area warnings (BPBD flood and landslide warnings, re-issued weather warnings): drafted by one
person, approved and published by another, then pushed and published as CAP 1.2."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from geoalchemy2 import Geography
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from api.db.models.base import Base, created_now, foreign_key, moment, one_of
from api.domain.warnings import (
    CAP_CATEGORIES,
    CERTAINTIES,
    MSG_TYPES,
    SEVERITIES,
    URGENCIES,
    WARNING_STATUSES,
)


class AreaWarning(Base):
    """One CAP message: a first ``Alert``, or an ``Update``/``Cancel`` of ``references_id``.

    ``area_ids`` are the kecamatan it covers (picked, or those the drawn area touches): their
    subscribed citizens hear of it. ``area`` is its shape, for the teams near it and for CAP.
    """

    __tablename__ = "area_warnings"

    id: Mapped[int] = mapped_column(sa.Integer, sa.Identity(), primary_key=True)
    msg_type: Mapped[str] = mapped_column(sa.String(8))
    references_id: Mapped[int | None] = foreign_key("area_warnings.id", "RESTRICT", nullable=True)
    # The first message of the chain (itself for an Alert): updates replace it on screen.
    root_id: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    status: Mapped[str] = mapped_column(sa.String(12), default="draft")
    category: Mapped[str] = mapped_column(sa.String(12))
    event_id: Mapped[str] = mapped_column(sa.String(160))
    event_en: Mapped[str] = mapped_column(sa.String(160))
    severity: Mapped[str] = mapped_column(sa.String(12))
    urgency: Mapped[str] = mapped_column(sa.String(12))
    certainty: Mapped[str] = mapped_column(sa.String(12))
    headline_id: Mapped[str] = mapped_column(sa.String(160))
    headline_en: Mapped[str] = mapped_column(sa.String(160))
    instruction_id: Mapped[str] = mapped_column(sa.Text)
    instruction_en: Mapped[str] = mapped_column(sa.Text)
    area: Mapped[Any] = mapped_column(Geography("MULTIPOLYGON", srid=4326, spatial_index=False))
    area_ids: Mapped[list[int]] = mapped_column(ARRAY(sa.Integer))
    area_desc: Mapped[str] = mapped_column(sa.String(500))
    expires_at: Mapped[datetime] = moment()
    drafted_by: Mapped[int | None] = foreign_key("users.id", "SET NULL", nullable=True)
    drafted_at: Mapped[datetime] = created_now()
    approved_by: Mapped[int | None] = foreign_key("users.id", "SET NULL", nullable=True)
    published_at: Mapped[datetime | None] = moment(nullable=True)
    # CAP ``references``: every earlier message of the chain, set when published.
    cap_references: Mapped[str] = mapped_column(sa.Text, default="")

    __table_args__ = (
        sa.CheckConstraint(one_of("msg_type", MSG_TYPES), name="msg_type"),
        sa.CheckConstraint(one_of("status", WARNING_STATUSES), name="status"),
        sa.CheckConstraint(one_of("category", CAP_CATEGORIES), name="category"),
        sa.CheckConstraint(one_of("severity", SEVERITIES), name="severity"),
        sa.CheckConstraint(one_of("urgency", URGENCIES), name="urgency"),
        sa.CheckConstraint(one_of("certainty", CERTAINTIES), name="certainty"),
        sa.CheckConstraint(
            "(msg_type = 'Alert') = (references_id IS NULL)", name="references_original"
        ),
        sa.CheckConstraint("approved_by IS NULL OR approved_by <> drafted_by", name="two_person"),
        sa.Index("ix_area_warnings_status", "status", "expires_at"),
        sa.Index("ix_area_warnings_area", "area", postgresql_using="gist"),
    )
