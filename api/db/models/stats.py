"""Statistics rollups, kept exact by triggers in the same transaction as the change (migration
0004); the SQL function stats_rebuild() recomputes them from the raw tables. See docs/stats.md.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db.models.base import Base, moment
from api.db.models.cases import SlaClock
from api.domain.vocabulary import OPEN

#: A stored duration column's expression (``%`` the stage's moment column).
DURATION = "date_part('epoch', %s - opened_at)"
DURATION_INDEX_INCLUDE = [
    "agency_id",
    "category_id",
    "area_id",
    "priority",
    "dispatch_s",
    "accept_s",
    "arrive_s",
    "resolve_s",
]
#: One case in 32, by its id's random last byte (UUID v4): the cases ``ix_stats_cases_sample``
#: covers. A query that repeats this text exactly reads that index.
SAMPLE_PREDICATE = "get_byte(uuid_send(case_id), 15) < 8"
SAMPLE_SHARE = 32


class StatsCallHour(Base):
    """Calls per UTC hour and class (``unclassified`` when the class is not set yet)."""

    __tablename__ = "stats_call_hours"

    bucket: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), primary_key=True)
    call_class: Mapped[str] = mapped_column("class", sa.String(16), primary_key=True)
    calls: Mapped[int] = mapped_column(sa.Integer)


#: Cases per local day (in ``stats_settings``' zone) and combination of the columns the case
#: figures filter and group by, with their rating counts and SLA outcomes (migration 0023).
#: Kept by triggers on ``stats_cases``; a combination whose cases all moved on keeps a row of
#: zeros. A table, not a mapped class: no primary key, as the kecamatan may be unknown (one row
#: for it all the same).
stats_case_days = sa.Table(
    "stats_case_days",
    Base.metadata,
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("agency_id", sa.Integer, nullable=False),
    sa.Column("category_id", sa.Integer, nullable=False),
    sa.Column("area_id", sa.Integer, nullable=True),
    sa.Column("priority", sa.String(2), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("cases", sa.Integer, nullable=False),
    *(sa.Column(f"rating_{i}", sa.Integer, nullable=False) for i in range(1, 6)),
    # Per SLA stage, the cases that reached it in time and late.
    *(
        sa.Column(f"{stage}_{outcome}", sa.Integer, nullable=False)
        for stage in ("accept", "arrive", "resolve")
        for outcome in ("met", "late")
    ),
    sa.Index(
        "ux_stats_case_days",
        "day",
        "agency_id",
        "category_id",
        "area_id",
        "priority",
        "status",
        unique=True,
        postgresql_nulls_not_distinct=True,
    ),
)

#: The time zone ``stats_case_days`` counts days in (one row; see
#: :func:`api.db.stats.use_city_timezone`).
stats_settings = sa.Table(
    "stats_settings",
    Base.metadata,
    sa.Column("id", sa.Boolean, primary_key=True, server_default=sa.true()),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.CheckConstraint("id", name="ck_stats_settings_one_row"),
)


class StatsCase(SlaClock, Base):
    """One row per case with what the statistics read: filters, deadlines, the first moment of
    each stage on the timeline (``case_events``) and the citizens' ratings."""

    __tablename__ = "stats_cases"

    case_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = moment()
    agency_id: Mapped[int] = mapped_column(sa.Integer)
    category_id: Mapped[int] = mapped_column(sa.Integer)
    area_id: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    priority: Mapped[str] = mapped_column(sa.String(2))
    status: Mapped[str] = mapped_column(sa.String(16))
    lon: Mapped[float | None] = mapped_column(nullable=True)
    lat: Mapped[float | None] = mapped_column(nullable=True)
    # The first "created" event; the other stages' first events are the SLA clock's moments.
    opened_at: Mapped[datetime | None] = moment(nullable=True)
    rating_1: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    rating_2: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    rating_3: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    rating_4: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    rating_5: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    # Seconds from the "created" event to each stage's first event, stored (migration 0021) so
    # the percentiles read them from ``ix_stats_cases_created_at_durations`` alone. The same
    # expression the statistics computed before: the floats, and so the percentiles, are equal.
    dispatch_s: Mapped[float | None] = mapped_column(sa.Computed(DURATION % "dispatched_at"))
    accept_s: Mapped[float | None] = mapped_column(sa.Computed(DURATION % "accepted_at"))
    arrive_s: Mapped[float | None] = mapped_column(sa.Computed(DURATION % "arrived_at"))
    resolve_s: Mapped[float | None] = mapped_column(sa.Computed(DURATION % "resolved_at"))

    __table_args__ = (
        sa.Index("ix_stats_cases_created_at", "created_at"),
        sa.Index("ix_stats_cases_agency_id_created_at", "agency_id", "created_at"),
        sa.Index("ix_stats_cases_category_id_created_at", "category_id", "created_at"),
        sa.Index("ix_stats_cases_area_id_created_at", "area_id", "created_at"),
        # An index-only scan of a period's durations and filters (no visit of the wide rows).
        sa.Index(
            "ix_stats_cases_created_at_durations",
            "created_at",
            postgresql_include=DURATION_INDEX_INCLUDE,
        ),
        # The sample the overall percentiles take their bounds from (api/db/stats_quantiles.py).
        sa.Index(
            "ix_stats_cases_sample",
            "created_at",
            postgresql_include=DURATION_INDEX_INCLUDE,
            postgresql_where=sa.text(SAMPLE_PREDICATE),
        ),
        # The SLA's clock-dependent part: open cases past (or before) a deadline not reached.
        sa.Index(
            "ix_stats_cases_open_deadlines",
            "created_at",
            postgresql_include=[
                "agency_id",
                "category_id",
                "area_id",
                "priority",
                "accepted_at",
                "accept_by",
                "arrived_at",
                "arrive_by",
                "resolved_at",
                "resolve_by",
            ],
            postgresql_where=sa.text(
                "status IN (" + ", ".join(f"'{s}'" for s in sorted(OPEN)) + ")"  # constant
            ),
        ),
    )
