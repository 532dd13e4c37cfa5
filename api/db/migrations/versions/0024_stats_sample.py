"""stats: a one-in-32 sample of the cases' durations, for exact percentiles without full sorts

Revision ID: 0024_stats_sample
Revises: 0023_stats_case_days
Create Date: 2026-12-06 15:30:00.000000

``ix_stats_cases_sample`` covers, by creation time, the durations and filters of the cases whose
id's last byte is below 8: one case in 32, drawn by the id's random bits (UUID v4), so a
period's sample is an index-only scan of a thirty-second of its rows. The overall response
times (api/db/stats_quantiles.py) take from it bounds that hold each percentile, and then count
and keep only the durations near it instead of sorting them all.
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0024_stats_sample"
down_revision: str | None = "0023_stats_case_days"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The same text as api.db.models.stats.SAMPLE_PREDICATE (a migration does not import the app).
SAMPLE_PREDICATE = "get_byte(uuid_send(case_id), 15) < 8"
INCLUDE = [
    "agency_id",
    "category_id",
    "area_id",
    "priority",
    "dispatch_s",
    "accept_s",
    "arrive_s",
    "resolve_s",
]


def upgrade() -> None:
    op.create_index(
        "ix_stats_cases_sample",
        "stats_cases",
        ["created_at"],
        postgresql_include=INCLUDE,
        postgresql_where=text(SAMPLE_PREDICATE),
    )


def downgrade() -> None:
    op.drop_index("ix_stats_cases_sample", table_name="stats_cases")
