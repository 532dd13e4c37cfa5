"""stats: rollups for the supervisor dashboards, kept exact by triggers

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 13:00:00.000000

Two tables the statistics read instead of the raw ones:

- ``stats_call_hours``: calls per UTC hour and class. Statement-level triggers with transition
  tables on ``calls`` apply every INSERT, UPDATE, DELETE (and TRUNCATE) in the same transaction,
  so bulk loads (COPY) cost one aggregate per statement.
- ``stats_cases``: one row per case: the filters (agency, category, area, priority, status,
  coordinates), the SLA deadlines, the first time the timeline (``case_events``) reached each
  stage, and the citizens' ratings. Triggers on ``cases``, ``case_events`` and ``case_ratings``.

``SELECT stats_rebuild()`` recomputes both from the raw tables (run here for existing data).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rating_update(delta: str) -> str:
    """Add a delta of ratings (rows of case_id, score, n) to the per-case counts."""
    return f"""
            UPDATE stats_cases s SET
                rating_1 = s.rating_1 + d.r1, rating_2 = s.rating_2 + d.r2,
                rating_3 = s.rating_3 + d.r3, rating_4 = s.rating_4 + d.r4,
                rating_5 = s.rating_5 + d.r5
            FROM (
                SELECT case_id,
                       coalesce(sum(n) FILTER (WHERE score = 1), 0) AS r1,
                       coalesce(sum(n) FILTER (WHERE score = 2), 0) AS r2,
                       coalesce(sum(n) FILTER (WHERE score = 3), 0) AS r3,
                       coalesce(sum(n) FILTER (WHERE score = 4), 0) AS r4,
                       coalesce(sum(n) FILTER (WHERE score = 5), 0) AS r5
                FROM ({delta}) x GROUP BY case_id
            ) d
            WHERE s.case_id = d.case_id
              AND (d.r1 <> 0 OR d.r2 <> 0 OR d.r3 <> 0 OR d.r4 <> 0 OR d.r5 <> 0);"""  # noqa: S608 - constant SQL


FUNCTIONS = [
    # ------------------------------------------------------------------ calls
    """
    CREATE FUNCTION stats_calls_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO stats_call_hours AS h (bucket, class, calls)
            SELECT date_trunc('hour', started_at, 'UTC'), coalesce(class, 'unclassified'), count(*)
            FROM new_rows GROUP BY 1, 2 ORDER BY 1, 2
            ON CONFLICT (bucket, class) DO UPDATE SET calls = h.calls + EXCLUDED.calls;
            RETURN NULL;
        END IF;
        IF TG_OP = 'DELETE' THEN
            INSERT INTO stats_call_hours AS h (bucket, class, calls)
            SELECT date_trunc('hour', started_at, 'UTC'), coalesce(class, 'unclassified'), -count(*)
            FROM old_rows GROUP BY 1, 2 ORDER BY 1, 2
            ON CONFLICT (bucket, class) DO UPDATE SET calls = h.calls + EXCLUDED.calls;
        ELSE
            INSERT INTO stats_call_hours AS h (bucket, class, calls)
            SELECT b, k, sum(n) FROM (
                SELECT date_trunc('hour', started_at, 'UTC') AS b,
                       coalesce(class, 'unclassified') AS k, -1 AS n FROM old_rows
                UNION ALL
                SELECT date_trunc('hour', started_at, 'UTC'), coalesce(class, 'unclassified'), 1
                FROM new_rows
            ) d GROUP BY b, k HAVING sum(n) <> 0 ORDER BY b, k
            ON CONFLICT (bucket, class) DO UPDATE SET calls = h.calls + EXCLUDED.calls;
        END IF;
        DELETE FROM stats_call_hours h USING old_rows o
        WHERE h.calls = 0 AND h.bucket = date_trunc('hour', o.started_at, 'UTC')
          AND h.class = coalesce(o.class, 'unclassified');
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION stats_calls_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        TRUNCATE stats_call_hours;
        RETURN NULL;
    END $$
    """,
    # ------------------------------------------------------------------ cases
    """
    CREATE FUNCTION stats_cases_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO stats_cases (case_id, created_at, agency_id, category_id, area_id, priority,
                                 status, lon, lat, accept_by, arrive_by, resolve_by)
        SELECT id, created_at, agency_id, category_id, area_id, priority, status,
               ST_X(location::geometry), ST_Y(location::geometry), accept_by, arrive_by, resolve_by
        FROM new_rows;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION stats_cases_updated() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE stats_cases SET
            created_at = NEW.created_at, agency_id = NEW.agency_id,
            category_id = NEW.category_id, area_id = NEW.area_id, priority = NEW.priority,
            status = NEW.status, lon = ST_X(NEW.location::geometry),
            lat = ST_Y(NEW.location::geometry), accept_by = NEW.accept_by,
            arrive_by = NEW.arrive_by, resolve_by = NEW.resolve_by
        WHERE case_id = NEW.id;
        RETURN NULL;
    END $$
    """,
    # The first moment each stage appears on the timeline (events are append-only).
    """
    CREATE FUNCTION stats_case_events_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE stats_cases s SET
            opened_at = least(s.opened_at, e.opened),
            dispatched_at = least(s.dispatched_at, e.dispatched),
            accepted_at = least(s.accepted_at, e.accepted),
            arrived_at = least(s.arrived_at, e.arrived),
            resolved_at = least(s.resolved_at, e.resolved)
        FROM (
            SELECT case_id,
                   min(at) FILTER (WHERE kind = 'created') AS opened,
                   min(at) FILTER (WHERE kind = 'dispatched') AS dispatched,
                   min(at) FILTER (WHERE kind = 'accepted') AS accepted,
                   min(at) FILTER (WHERE kind = 'on_scene') AS arrived,
                   min(at) FILTER (WHERE kind = 'resolved') AS resolved
            FROM new_rows
            WHERE kind IN ('created', 'dispatched', 'accepted', 'on_scene', 'resolved')
            GROUP BY case_id
        ) e
        WHERE s.case_id = e.case_id AND (
            least(s.opened_at, e.opened) IS DISTINCT FROM s.opened_at
            OR least(s.dispatched_at, e.dispatched) IS DISTINCT FROM s.dispatched_at
            OR least(s.accepted_at, e.accepted) IS DISTINCT FROM s.accepted_at
            OR least(s.arrived_at, e.arrived) IS DISTINCT FROM s.arrived_at
            OR least(s.resolved_at, e.resolved) IS DISTINCT FROM s.resolved_at);
        RETURN NULL;
    END $$
    """,
    # ---------------------------------------------------------------- ratings
    f"""
    CREATE FUNCTION stats_ratings_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            {_rating_update("SELECT case_id, score, 1 AS n FROM new_rows")}
        ELSIF TG_OP = 'DELETE' THEN
            {_rating_update("SELECT case_id, score, -1 AS n FROM old_rows")}
        ELSE
            {
        _rating_update(
            "SELECT case_id, score, -1 AS n FROM old_rows "
            "UNION ALL SELECT case_id, score, 1 FROM new_rows"
        )
    }
        END IF;
        RETURN NULL;
    END $$
    """,  # noqa: S608 - constant SQL
    # ------------------------------------------------------------------ repair
    """
    CREATE FUNCTION stats_rebuild() RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        -- Writers wait; readers go on. Each statement below sees every committed row.
        LOCK TABLE calls, cases, case_events, case_ratings IN SHARE MODE;
        TRUNCATE stats_call_hours, stats_cases;
        INSERT INTO stats_call_hours (bucket, class, calls)
        SELECT date_trunc('hour', started_at, 'UTC'), coalesce(class, 'unclassified'), count(*)
        FROM calls GROUP BY 1, 2;
        INSERT INTO stats_cases (case_id, created_at, agency_id, category_id, area_id, priority,
                                 status, lon, lat, accept_by, arrive_by, resolve_by, opened_at,
                                 dispatched_at, accepted_at, arrived_at, resolved_at,
                                 rating_1, rating_2, rating_3, rating_4, rating_5)
        SELECT c.id, c.created_at, c.agency_id, c.category_id, c.area_id, c.priority, c.status,
               ST_X(c.location::geometry), ST_Y(c.location::geometry),
               c.accept_by, c.arrive_by, c.resolve_by,
               e.opened, e.dispatched, e.accepted, e.arrived, e.resolved,
               coalesce(r.r1, 0), coalesce(r.r2, 0), coalesce(r.r3, 0), coalesce(r.r4, 0),
               coalesce(r.r5, 0)
        FROM cases c
        LEFT JOIN (
            SELECT case_id,
                   min(at) FILTER (WHERE kind = 'created') AS opened,
                   min(at) FILTER (WHERE kind = 'dispatched') AS dispatched,
                   min(at) FILTER (WHERE kind = 'accepted') AS accepted,
                   min(at) FILTER (WHERE kind = 'on_scene') AS arrived,
                   min(at) FILTER (WHERE kind = 'resolved') AS resolved
            FROM case_events
            WHERE kind IN ('created', 'dispatched', 'accepted', 'on_scene', 'resolved')
            GROUP BY case_id
        ) e ON e.case_id = c.id
        LEFT JOIN (
            SELECT case_id,
                   count(*) FILTER (WHERE score = 1) AS r1, count(*) FILTER (WHERE score = 2) AS r2,
                   count(*) FILTER (WHERE score = 3) AS r3, count(*) FILTER (WHERE score = 4) AS r4,
                   count(*) FILTER (WHERE score = 5) AS r5
            FROM case_ratings GROUP BY case_id
        ) r ON r.case_id = c.id
        ORDER BY c.created_at;
        ANALYZE stats_call_hours;
        ANALYZE stats_cases;
    END $$
    """,
]

TRIGGERS = [
    "CREATE TRIGGER stats_calls_insert AFTER INSERT ON calls REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION stats_calls_changed()",
    "CREATE TRIGGER stats_calls_update AFTER UPDATE ON calls "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION stats_calls_changed()",
    "CREATE TRIGGER stats_calls_delete AFTER DELETE ON calls REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION stats_calls_changed()",
    "CREATE TRIGGER stats_calls_truncate AFTER TRUNCATE ON calls "
    "FOR EACH STATEMENT EXECUTE FUNCTION stats_calls_truncated()",
    "CREATE TRIGGER stats_cases_insert AFTER INSERT ON cases REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION stats_cases_inserted()",
    # Row level, and only when a column the statistics read changes.
    """
    CREATE TRIGGER stats_cases_update AFTER UPDATE OF created_at, agency_id, category_id,
        area_id, priority, status, location, accept_by, arrive_by, resolve_by ON cases
    FOR EACH ROW WHEN (
        OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.agency_id IS DISTINCT FROM
        NEW.agency_id OR OLD.category_id IS DISTINCT FROM NEW.category_id
        OR OLD.area_id IS DISTINCT FROM NEW.area_id OR OLD.priority IS DISTINCT FROM NEW.priority
        OR OLD.status IS DISTINCT FROM NEW.status
        OR ST_AsBinary(OLD.location) IS DISTINCT FROM ST_AsBinary(NEW.location)
        OR OLD.accept_by IS DISTINCT FROM NEW.accept_by
        OR OLD.arrive_by IS DISTINCT FROM NEW.arrive_by
        OR OLD.resolve_by IS DISTINCT FROM NEW.resolve_by)
    EXECUTE FUNCTION stats_cases_updated()
    """,
    "CREATE TRIGGER stats_case_events_insert AFTER INSERT ON case_events "
    "REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION stats_case_events_inserted()",
    "CREATE TRIGGER stats_ratings_insert AFTER INSERT ON case_ratings "
    "REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION stats_ratings_changed()",
    "CREATE TRIGGER stats_ratings_update AFTER UPDATE ON case_ratings "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION stats_ratings_changed()",
    "CREATE TRIGGER stats_ratings_delete AFTER DELETE ON case_ratings "
    "REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION stats_ratings_changed()",
]

DROP_TRIGGERS = [
    ("stats_calls_insert", "calls"),
    ("stats_calls_update", "calls"),
    ("stats_calls_delete", "calls"),
    ("stats_calls_truncate", "calls"),
    ("stats_cases_insert", "cases"),
    ("stats_cases_update", "cases"),
    ("stats_case_events_insert", "case_events"),
    ("stats_ratings_insert", "case_ratings"),
    ("stats_ratings_update", "case_ratings"),
    ("stats_ratings_delete", "case_ratings"),
]
DROP_FUNCTIONS = [
    "stats_rebuild()",
    "stats_ratings_changed()",
    "stats_case_events_inserted()",
    "stats_cases_updated()",
    "stats_cases_inserted()",
    "stats_calls_truncated()",
    "stats_calls_changed()",
]


def upgrade() -> None:
    op.create_table(
        "stats_call_hours",
        sa.Column("bucket", sa.DateTime(timezone=True), nullable=False),
        sa.Column("class", sa.String(length=16), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "class", name=op.f("pk_stats_call_hours")),
    )
    op.create_table(
        "stats_cases",
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("priority", sa.String(length=2), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("lon", sa.Double(), nullable=True),
        sa.Column("lat", sa.Double(), nullable=True),
        sa.Column("accept_by", sa.DateTime(timezone=True), nullable=False),
        sa.Column("arrive_by", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolve_by", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rating_1", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rating_2", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rating_3", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rating_4", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rating_5", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_stats_cases_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_stats_cases")),
    )
    op.create_index("ix_stats_cases_created_at", "stats_cases", ["created_at"], unique=False)
    op.create_index(
        "ix_stats_cases_agency_id_created_at",
        "stats_cases",
        ["agency_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_stats_cases_category_id_created_at",
        "stats_cases",
        ["category_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_stats_cases_area_id_created_at", "stats_cases", ["area_id", "created_at"], unique=False
    )
    op.create_index(
        "ix_calls_prank_started_at",
        "calls",
        ["started_at"],
        unique=False,
        postgresql_include=["number"],
        postgresql_where=sa.text("class = 'prank'"),
    )
    op.create_index(
        "ix_cases_open_deadlines",
        "cases",
        ["agency_id"],
        unique=False,
        postgresql_include=[
            "category_id",
            "area_id",
            "priority",
            "accept_by",
            "arrive_by",
            "resolve_by",
            "accepted_at",
            "arrived_at",
            "resolved_at",
        ],
        postgresql_where=sa.text(
            "status IN ('new', 'dispatched', 'accepted', 'en_route', 'on_scene', 'returned', "
            "'reopened')"
        ),
    )
    # Room on each page: the timeline updates a case's row a few times, in place (HOT).
    op.execute("ALTER TABLE stats_cases SET (fillfactor = 70)")
    for sql in FUNCTIONS:
        op.execute(sql)
    for sql in TRIGGERS:
        op.execute(sql)
    op.execute("SELECT stats_rebuild()")


def downgrade() -> None:
    for name, table in DROP_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    for fn in DROP_FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    op.drop_index("ix_cases_open_deadlines", table_name="cases")
    op.drop_index("ix_calls_prank_started_at", table_name="calls")
    op.drop_index("ix_stats_cases_area_id_created_at", table_name="stats_cases")
    op.drop_index("ix_stats_cases_category_id_created_at", table_name="stats_cases")
    op.drop_index("ix_stats_cases_agency_id_created_at", table_name="stats_cases")
    op.drop_index("ix_stats_cases_created_at", table_name="stats_cases")
    op.drop_table("stats_cases")
    op.drop_table("stats_call_hours")
