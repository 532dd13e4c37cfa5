"""stats: stored response-time durations and an index that covers a period's percentiles

Revision ID: 0021_stats_durations
Revises: 0020_cap_incoming
Create Date: 2026-12-06 00:45:00.000000

The response times (median and 90th percentile per stage) read every case of the period. They
computed ``date_part('epoch', <stage moment> - opened_at)`` per row from the wide
``stats_cases`` rows, which the period's cases scatter over the table (each timeline event
updates its row): at 1M cases a month's 41,000 rows touched 34,000 heap pages.

- ``dispatch_s``, ``accept_s``, ``arrive_s``, ``resolve_s``: the same expression, stored
  (generated columns: PostgreSQL keeps them on every write of the row; one row per case, so no
  row is shared between writes). Equal floats, so the exact percentiles do not change.
- ``ix_stats_cases_created_at_durations``: ``created_at`` with the filters and the durations
  included, so a period's durations are an index-only scan (about 1,400 buffers a month at 1M
  cases).
- Autovacuum after 2,000 changed rows instead of a fifth of the table, so the current month's
  pages are marked all-visible within hours and the index-only scan skips the heap there too.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021_stats_durations"
down_revision: str | None = "0020_cap_incoming"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DURATIONS = {
    "dispatch_s": "dispatched_at",
    "accept_s": "accepted_at",
    "arrive_s": "arrived_at",
    "resolve_s": "resolved_at",
}
INCLUDE = ["agency_id", "category_id", "area_id", "priority", *DURATIONS]
AUTOVACUUM = {
    "autovacuum_vacuum_scale_factor": "0",
    "autovacuum_vacuum_threshold": "2000",
    "autovacuum_vacuum_insert_scale_factor": "0",
    "autovacuum_vacuum_insert_threshold": "2000",
}


def upgrade() -> None:
    # One ALTER TABLE: the table is rewritten once for the four columns.
    adds = ", ".join(
        f"ADD COLUMN {name} double precision "
        f"GENERATED ALWAYS AS (date_part('epoch', {moment} - opened_at)) STORED"
        for name, moment in DURATIONS.items()
    )
    op.execute(f"ALTER TABLE stats_cases {adds}")
    op.create_index(
        "ix_stats_cases_created_at_durations",
        "stats_cases",
        ["created_at"],
        unique=False,
        postgresql_include=INCLUDE,
    )
    options = ", ".join(f"{k} = {v}" for k, v in AUTOVACUUM.items())
    op.execute(f"ALTER TABLE stats_cases SET ({options})")
    # The rewrite left no page marked all-visible: until a vacuum, every index-only scan would
    # still visit the heap. VACUUM cannot run inside the migration's transaction.
    with op.get_context().autocommit_block():
        op.execute("VACUUM (ANALYZE) stats_cases")


def downgrade() -> None:
    op.execute(f"ALTER TABLE stats_cases RESET ({', '.join(AUTOVACUUM)})")
    op.drop_index("ix_stats_cases_created_at_durations", table_name="stats_cases")
    for name in reversed(DURATIONS):
        op.drop_column("stats_cases", name)
