"""The city's neighbours and the incidents handed to them or taken from them.

A neighbour area is another region's territory (a kabupaten next to the city) with its control
room's contacts, imported by an admin; a call or case located there is flagged for hand-off. A
hand-off row records each incident the city gave away ("out") or took in ("in"), with the
exchanged document as it was sent or received.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from geoalchemy2 import Geography
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from api.db.models.base import Base, BilingualName, created_now, foreign_key, moment, one_of

HANDOFF_DIRECTIONS = ("out", "in")


class NeighbourArea(BilingualName, Base):
    """A neighbouring region: its polygon, whether that polygon is only approximate, and its
    control room's contacts (each optional, empty when unknown)."""

    __tablename__ = "neighbour_areas"

    id: Mapped[int] = mapped_column(sa.Integer, sa.Identity(), primary_key=True)
    approximate: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    boundary: Mapped[Any] = mapped_column(Geography("MULTIPOLYGON", srid=4326, spatial_index=False))
    contact_112: Mapped[str] = mapped_column(sa.String(32), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(32), default="")
    contact_email: Mapped[str] = mapped_column(sa.String(200), default="")
    contact_radio: Mapped[str] = mapped_column(sa.String(100), default="")
    created_at: Mapped[datetime] = created_now()

    __table_args__ = (
        sa.UniqueConstraint("name_id", name="uq_neighbour_areas_name_id"),
        sa.Index("ix_neighbour_areas_boundary", "boundary", postgresql_using="gist"),
    )


class CaseHandoff(Base):
    """One incident handed to a neighbour (``out``) or taken in from one (``in``), with the
    document exchanged; ``incident_id`` is the document's own id, kept across systems."""

    __tablename__ = "case_handoffs"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    case_id: Mapped[uuid.UUID] = foreign_key("cases.id", "CASCADE")
    direction: Mapped[str] = mapped_column(sa.String(3))
    neighbour_id: Mapped[int | None] = foreign_key("neighbour_areas.id", "SET NULL", nullable=True)
    incident_id: Mapped[str] = mapped_column(sa.String(100))
    by_id: Mapped[int | None] = foreign_key("users.id", "SET NULL", nullable=True)
    at: Mapped[datetime] = moment()
    note: Mapped[str] = mapped_column(sa.Text, default="")
    document: Mapped[dict[str, Any]] = mapped_column(JSONB)

    __table_args__ = (
        sa.CheckConstraint(one_of("direction", HANDOFF_DIRECTIONS), name="direction"),
        sa.Index("ix_case_handoffs_case_id", "case_id", "id"),
        # An incoming incident is taken in once.
        sa.Index(
            "uq_case_handoffs_incoming",
            "incident_id",
            unique=True,
            postgresql_where=sa.text("direction = 'in'"),
        ),
    )
