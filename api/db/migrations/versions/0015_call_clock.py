"""call clock: answered, transferred and wrap-up times on calls, and their hourly rollup

Revision ID: 0015
Revises: 0014_caller_locations
Create Date: 2026-12-05 05:40:00.000000

- ``calls.answered_at``, ``calls.transferred_at``, ``calls.wrapped_at``: the PBX's answered and
  transferred events, and the end of the operator's wrap-up (``started_at`` is when the call
  began to ring). A PBX call that ended without an answer was abandoned.
- ``ix_calls_ringing_started_at``: the calls ringing now, for the live queue board.
- ``stats_call_clock_hours``: per UTC hour (of ringing) and operator, the PBX calls answered or
  ended: offered, answered, answered within 15 s and 20 s (NENA STA-020.1), abandoned,
  transferred, and sums of queue, talk and wrap-up milliseconds. Statement-level triggers with
  transition tables keep it exact in the same transaction; ``call_clock_rebuild()`` recomputes it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014_caller_locations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = (
    "offered",
    "answered",
    "within_15",
    "within_20",
    "abandoned",
    "transferred",
    "queue_ms",
    "talk_n",
    "talk_ms",
    "wrapup_n",
    "wrapup_ms",
)


def _ms(interval: str) -> str:
    return f"coalesce((extract(epoch FROM greatest({interval}, interval '0')) * 1000)::bigint, 0)"


def _rows(table: str, sign: int) -> str:
    """Each PBX call's contribution to its hour and operator, times ``sign`` (+1 or -1)."""
    answered = "(answered_at IS NOT NULL)"
    talked = f"({answered} AND ended_at IS NOT NULL)"
    wrapped = f"({talked} AND wrapped_at IS NOT NULL)"
    return f"""
        SELECT date_trunc('hour', started_at, 'UTC') AS bucket,
               coalesce(operator_id, 0) AS operator_id,
               {sign} AS offered,
               {sign} * {answered}::int AS answered,
               {sign} * ({answered} AND answered_at - started_at <= interval '15 s')::int
                   AS within_15,
               {sign} * ({answered} AND answered_at - started_at <= interval '20 s')::int
                   AS within_20,
               {sign} * (NOT {answered})::int AS abandoned,
               {sign} * (transferred_at IS NOT NULL)::int AS transferred,
               {sign} * {_ms("answered_at - started_at")} AS queue_ms,
               {sign} * {talked}::int AS talk_n,
               {sign} * CASE WHEN {talked} THEN {_ms("ended_at - answered_at")} ELSE 0 END
                   AS talk_ms,
               {sign} * {wrapped}::int AS wrapup_n,
               {sign} * CASE WHEN {wrapped} THEN {_ms("wrapped_at - ended_at")} ELSE 0 END
                   AS wrapup_ms
        FROM {table}
        WHERE pbx_call_id IS NOT NULL AND (answered_at IS NOT NULL OR ended_at IS NOT NULL)"""  # noqa: S608 - constant SQL


def _apply(delta: str) -> str:
    """Add a delta (rows of the shape of :func:`_rows`) to the rollup; drop emptied rows."""
    cols = ", ".join(COUNTS)
    sums = ", ".join(f"sum({c})" for c in COUNTS)
    nonzero = " OR ".join(f"sum({c}) <> 0" for c in COUNTS)
    sets = ", ".join(f"{c} = h.{c} + EXCLUDED.{c}" for c in COUNTS)
    return f"""
        INSERT INTO stats_call_clock_hours AS h (bucket, operator_id, {cols})
        SELECT bucket, operator_id, {sums} FROM ({delta}) d
        GROUP BY bucket, operator_id HAVING {nonzero} ORDER BY bucket, operator_id
        ON CONFLICT (bucket, operator_id) DO UPDATE SET {sets};"""  # noqa: S608 - constant SQL


FUNCTIONS = [
    f"""
    CREATE FUNCTION call_clock_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            {_apply(_rows("new_rows", 1))}
            RETURN NULL;
        ELSIF TG_OP = 'DELETE' THEN
            {_apply(_rows("old_rows", -1))}
        ELSE
            {_apply(_rows("old_rows", -1) + " UNION ALL " + _rows("new_rows", 1))}
        END IF;
        DELETE FROM stats_call_clock_hours WHERE offered = 0;
        RETURN NULL;
    END $$
    """,  # noqa: S608 - constant SQL
    """
    CREATE FUNCTION call_clock_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        TRUNCATE stats_call_clock_hours;
        RETURN NULL;
    END $$
    """,
    f"""
    CREATE FUNCTION call_clock_rebuild() RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        -- Writers wait; readers go on.
        LOCK TABLE calls IN SHARE MODE;
        TRUNCATE stats_call_clock_hours;
        {_apply(_rows("calls", 1))}
        ANALYZE stats_call_clock_hours;
    END $$
    """,
]

TRIGGERS = [
    "CREATE TRIGGER call_clock_insert AFTER INSERT ON calls REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION call_clock_changed()",
    "CREATE TRIGGER call_clock_update AFTER UPDATE ON calls "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION call_clock_changed()",
    "CREATE TRIGGER call_clock_delete AFTER DELETE ON calls REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION call_clock_changed()",
    "CREATE TRIGGER call_clock_truncate AFTER TRUNCATE ON calls "
    "FOR EACH STATEMENT EXECUTE FUNCTION call_clock_truncated()",
]
DROP_TRIGGERS = [
    "call_clock_insert",
    "call_clock_update",
    "call_clock_delete",
    "call_clock_truncate",
]
DROP_FUNCTIONS = ["call_clock_rebuild()", "call_clock_truncated()", "call_clock_changed()"]


def upgrade() -> None:
    for name in ("answered_at", "transferred_at", "wrapped_at"):
        op.add_column("calls", sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_calls_ringing_started_at",
        "calls",
        ["started_at"],
        unique=False,
        postgresql_where=sa.text(
            "pbx_call_id IS NOT NULL AND answered_at IS NULL AND ended_at IS NULL"
        ),
    )
    op.create_table(
        "stats_call_clock_hours",
        sa.Column("bucket", sa.DateTime(timezone=True), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        *[
            sa.Column(c, sa.BigInteger() if c.endswith("_ms") else sa.Integer(), nullable=False)
            for c in COUNTS
        ],
        sa.PrimaryKeyConstraint("bucket", "operator_id", name=op.f("pk_stats_call_clock_hours")),
    )
    for sql in FUNCTIONS:
        op.execute(sql)
    for sql in TRIGGERS:
        op.execute(sql)
    op.execute("SELECT call_clock_rebuild()")


def downgrade() -> None:
    for name in DROP_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON calls")
    for fn in DROP_FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    op.drop_table("stats_call_clock_hours")
    op.drop_index("ix_calls_ringing_started_at", table_name="calls")
    for name in ("wrapped_at", "transferred_at", "answered_at"):
        op.drop_column("calls", name)
