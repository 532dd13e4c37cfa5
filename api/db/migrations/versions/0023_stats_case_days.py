"""stats: cases per local day and kind, kept exact by triggers on ``stats_cases``

Revision ID: 0023_stats_case_days
Revises: 0022_auth_changes
Create Date: 2026-12-06 12:00:00.000000

The case counts of the dashboards (by status, per agency, category, kecamatan or priority, per
day, with the ratings) read every case of the period and of the one before: about 830,000
``stats_cases`` rows for a month at 10M cases, 450 ms of database time. Counted per local day
and per combination of those columns they are about 130,000 rows, with the day already worked
out (the call figures read hourly rollups the same way).

- ``stats_case_days``: one row per (local day of ``created_at``, agency, category, kecamatan,
  priority, status) with the number of cases, the sum of each rating count and, per SLA stage,
  the cases that reached it in time (``_met``) and late (``_late``): settled once reached. A
  combination whose cases all moved on keeps a row of zeros (the figures skip it).
- ``ix_stats_cases_open_deadlines``: the open cases' deadlines and moments by creation time, for
  the one SLA part that depends on the clock (an open case past a deadline it has not reached is
  missed, before it pending): an index-only scan of the open cases of the period.
- ``stats_settings``: the city's time zone the days are counted in (one row).
  :func:`api.db.stats.use_city_timezone` changes it, and recounts, when the city's setting
  differs; until then the statistics count from ``stats_cases`` (slower, never wrong).
- Statement-level triggers with transition tables on ``stats_cases`` (every write of the
  statistics goes through it, so the counts follow whatever wrote the cases): each statement's
  old rows count -1, its new rows +1, per combination; what cancels out (a timeline event
  that changed no counted column) writes nothing. Combinations are written in key order, so
  two statements wait for each other instead of deadlocking.
- ``stats_case_days_rebuild()`` recounts from ``stats_cases`` (run here for existing data).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_stats_case_days"
down_revision: str | None = "0022_auth_changes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The embedded default of ``TANGGAP_CITY_TIMEZONE`` (api/config.py): Kendari's.
DEFAULT_TIMEZONE = "Asia/Makassar"
KEY = "day, agency_id, category_id, area_id, priority, status"
RATINGS = ["rating_1", "rating_2", "rating_3", "rating_4", "rating_5"]
#: Per SLA stage: its moment and deadline on ``stats_cases``.
STAGES = {
    "accept": ("accepted_at", "accept_by"),
    "arrive": ("arrived_at", "arrive_by"),
    "resolve": ("resolved_at", "resolve_by"),
}
#: Each stage reached in time (``_met``) or late (``_late``): settled once the stage is reached.
OUTCOMES = {
    f"{stage}_{outcome}": f"{moment} {op} {deadline}"
    for stage, (moment, deadline) in STAGES.items()
    for outcome, op in (("met", "<="), ("late", ">"))
}
COUNTS = ["cases", *RATINGS, *OUTCOMES]
#: What the SLA figures read of an open case that has not reached a stage yet: its deadline
#: against the clock at query time, so not countable ahead.
OPEN_INCLUDE = [
    "agency_id",
    "category_id",
    "area_id",
    "priority",
    *(column for pair in STAGES.values() for column in pair),
]
OPEN = ["accepted", "dispatched", "en_route", "new", "on_scene", "reopened", "returned"]


def _counted(rows: str, sign: str) -> str:
    """A transition table's rows as (key, ±1 case, ±its ratings, ±its SLA outcomes), days in
    the stored zone."""
    ratings = ", ".join(f"{sign}{r} AS {r}" for r in RATINGS)
    outcomes = ", ".join(f"{sign}({rule})::int AS {name}" for name, rule in OUTCOMES.items())
    return (
        f"SELECT (created_at AT TIME ZONE z.timezone)::date AS day, agency_id, category_id, "  # noqa: S608 - constant SQL
        f"area_id, priority, status, {sign}1 AS cases, {ratings}, {outcomes} "
        f"FROM {rows}, stats_settings z"
    )


def _apply(delta: str) -> str:
    # A stage not reached compares NULL: it counts as neither (coalesce).
    sums = ", ".join(f"coalesce(sum({c}), 0)" for c in COUNTS)
    nonzero = " OR ".join(f"coalesce(sum({c}), 0) <> 0" for c in COUNTS)
    updates = ", ".join(f"{c} = d.{c} + EXCLUDED.{c}" for c in COUNTS)
    return f"""
        INSERT INTO stats_case_days AS d ({KEY}, {", ".join(COUNTS)})
        SELECT {KEY}, {sums}
        FROM ({delta}) x
        GROUP BY {KEY}
        HAVING {nonzero}
        ORDER BY {KEY}
        ON CONFLICT ({KEY}) DO UPDATE SET {updates};"""  # noqa: S608 - constant SQL


def upgrade() -> None:
    op.execute(
        "CREATE TABLE stats_settings ("
        " id boolean PRIMARY KEY DEFAULT true,"
        " timezone varchar(64) NOT NULL,"
        " CONSTRAINT ck_stats_settings_one_row CHECK (id))"
    )
    op.execute(
        sa.text("INSERT INTO stats_settings (timezone) VALUES (:tz)").bindparams(
            tz=DEFAULT_TIMEZONE
        )
    )
    count_columns = ",\n".join(f"{c} integer NOT NULL" for c in COUNTS)
    op.execute(
        f"""
        CREATE TABLE stats_case_days (
            day date NOT NULL,
            agency_id integer NOT NULL,
            category_id integer NOT NULL,
            area_id integer,
            priority varchar(2) NOT NULL,
            status varchar(16) NOT NULL,
            {count_columns}
        )"""
    )
    # The kecamatan may be unknown: one row for it too (NULLS NOT DISTINCT, PostgreSQL 15).
    op.execute(
        f"CREATE UNIQUE INDEX ux_stats_case_days ON stats_case_days ({KEY}) NULLS NOT DISTINCT"
    )
    op.create_index(
        "ix_stats_cases_open_deadlines",
        "stats_cases",
        ["created_at"],
        postgresql_include=OPEN_INCLUDE,
        postgresql_where=sa.text(
            "status IN (" + ", ".join(f"'{s}'" for s in OPEN) + ")"  # constant
        ),
    )
    op.execute(
        f"""
        CREATE FUNCTION stats_case_days_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                {_apply(_counted("new_rows", ""))}
            ELSIF TG_OP = 'DELETE' THEN
                {_apply(_counted("old_rows", "-"))}
            ELSE
                {_apply(_counted("new_rows", "") + " UNION ALL " + _counted("old_rows", "-"))}
            END IF;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION stats_case_days_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            TRUNCATE stats_case_days;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION stats_case_days_rebuild() RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            -- Writers of the statistics wait; readers go on.
            LOCK TABLE stats_cases IN SHARE MODE;
            TRUNCATE stats_case_days;
            {_apply(_counted("stats_cases", ""))}
            ANALYZE stats_case_days;
        END $$
        """
    )
    for op_name, tables in (
        ("INSERT", "NEW TABLE AS new_rows"),
        ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("DELETE", "OLD TABLE AS old_rows"),
    ):
        op.execute(
            f"CREATE TRIGGER stats_case_days_{op_name.lower()} AFTER {op_name} ON stats_cases "
            f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION stats_case_days_changed()"
        )
    op.execute(
        "CREATE TRIGGER stats_case_days_truncate AFTER TRUNCATE ON stats_cases "
        "FOR EACH STATEMENT EXECUTE FUNCTION stats_case_days_truncated()"
    )
    op.execute("SELECT stats_case_days_rebuild()")


def downgrade() -> None:
    for name in ("insert", "update", "delete", "truncate"):
        op.execute(f"DROP TRIGGER stats_case_days_{name} ON stats_cases")
    for fn in ("stats_case_days_rebuild", "stats_case_days_truncated", "stats_case_days_changed"):
        op.execute(f"DROP FUNCTION {fn}()")
    op.drop_index("ix_stats_cases_open_deadlines", table_name="stats_cases")
    op.drop_table("stats_case_days")
    op.drop_table("stats_settings")
