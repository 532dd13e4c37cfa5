"""Photo evidence: the private original and its public copies, per case."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from geoalchemy2 import Geography
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from api.db.models.base import Base, foreign_key, moment


class Photo(Base):
    """Photo evidence. The original stays private; display and thumbnail copies have no EXIF."""

    __tablename__ = "photos"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    case_id: Mapped[uuid.UUID] = foreign_key("cases.id", "CASCADE")
    event_id: Mapped[int | None] = foreign_key("case_events.id", "SET NULL", nullable=True)
    uploaded_by_id: Mapped[int | None] = foreign_key("users.id", "SET NULL", nullable=True)
    # "team" (field officer), "control_room" (operator/dispatcher), "citizen"
    source: Mapped[str] = mapped_column(sa.String(16))
    team_id: Mapped[int | None] = foreign_key("teams.id", "SET NULL", nullable=True)
    caption: Mapped[str] = mapped_column(sa.Text, default="")
    content_type: Mapped[str] = mapped_column(sa.String(32))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger)
    width: Mapped[int] = mapped_column(sa.Integer)
    height: Mapped[int] = mapped_column(sa.Integer)
    original_key: Mapped[str] = mapped_column(sa.String(200))
    display_key: Mapped[str] = mapped_column(sa.String(200))
    thumb_key: Mapped[str] = mapped_column(sa.String(200))
    # Evidence from the original's EXIF: kept here, never in the public copies.
    taken_at: Mapped[datetime | None] = moment(nullable=True)
    exif_location: Mapped[Any | None] = mapped_column(
        Geography("POINT", srid=4326, spatial_index=False), nullable=True
    )
    public: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    # A staff photo (team, control room) is public only once staff publish it.
    published_at: Mapped[datetime | None] = moment(nullable=True)
    created_at: Mapped[datetime] = moment()
    deleted_at: Mapped[datetime | None] = moment(nullable=True)
    deleted_by_id: Mapped[int | None] = foreign_key("users.id", "SET NULL", nullable=True)

    __table_args__ = (
        sa.CheckConstraint("source IN ('team', 'control_room', 'citizen')", name="source"),
        sa.Index("ix_photos_case_id", "case_id"),
        sa.Index(
            "uq_photos_case_id_sha256",
            "case_id",
            "sha256",
            unique=True,
            postgresql_where="deleted_at IS NULL",
        ),
    )
