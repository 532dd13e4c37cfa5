"""SQL for readiness, the worker's heartbeat and ``/metrics``: the queue seen from PostgreSQL.

Every age is computed with the database's ``now()``, the clock PgQueuer schedules jobs with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api.domain.health import QueueFacts

# One round trip: PostGIS answers, and the queue's age, the freshest heartbeat and SLA scan.
_READINESS_SQL = text(
    """
    SELECT postgis_lib_version() AS postgis,
           q.due,
           extract(epoch FROM now() - q.oldest)::float8 AS oldest_due_age_s,
           extract(epoch FROM now() - w.beat)::float8 AS heartbeat_age_s,
           w.sla_scan_at,
           extract(epoch FROM now() - coalesce(w.sla_scan_at, w.started))::float8
               AS sla_scan_age_s
    FROM (SELECT count(*) AS due, min(execute_after) AS oldest
          FROM pgqueuer WHERE status = 'queued' AND execute_after <= now()) AS q,
         (SELECT max(beat_at) AS beat, max(sla_scan_at) AS sla_scan_at,
                 max(started_at) AS started
          FROM worker_heartbeats) AS w
    """
)


@dataclass(frozen=True, slots=True)
class Readiness:
    postgis: str
    queue: QueueFacts
    sla_scan_at: Any  # datetime | None


async def readiness(conn: AsyncConnection) -> Readiness:
    row = (await conn.execute(_READINESS_SQL)).one()
    return Readiness(
        postgis=str(row.postgis),
        queue=QueueFacts(
            due_jobs=int(row.due),
            oldest_due_age_s=row.oldest_due_age_s,
            heartbeat_age_s=row.heartbeat_age_s,
            sla_scan_age_s=row.sla_scan_age_s,
        ),
        sla_scan_at=row.sla_scan_at,
    )


async def readiness_of(engine: AsyncEngine) -> Readiness:
    """:func:`readiness` on a connection of its own, outside any transaction: a probe must not
    wait on a request's session, and reads only."""
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        return await readiness(conn)


# ---------------------------------------------------------------- the worker's own rows
# Plain SQL for asyncpg: the worker writes them on the pool its job queue uses, so a heartbeat
# proves that connection works.
BEAT_SQL = """
INSERT INTO worker_heartbeats (worker, started_at, beat_at) VALUES ($1, $2, now())
ON CONFLICT (worker) DO UPDATE SET beat_at = now()
"""
SLA_SCANNED_SQL = "UPDATE worker_heartbeats SET sla_scan_at = now() WHERE worker = $1"
FORGET_SQL = "DELETE FROM worker_heartbeats WHERE worker = $1"
# Rows of killed workers, kept a day for the curious, then purged by any live worker.
PURGE_SQL = "DELETE FROM worker_heartbeats WHERE beat_at < now() - interval '1 day'"


# ---------------------------------------------------------------- /metrics
_METRICS_SQL = text(
    """
    SELECT 'queue' AS kind, status::text AS label, count(*) AS n FROM pgqueuer GROUP BY status
    UNION ALL
    SELECT 'push', status, count(*) FROM notifications GROUP BY status
    UNION ALL
    SELECT 'sla', 'escalated', count(*) FROM case_events WHERE kind = 'escalated'
    """
)


@dataclass(frozen=True, slots=True)
class Figures:
    """Counts for ``/metrics``, read at scrape time so any process (API or worker) is seen."""

    queue_jobs: dict[str, int]  # PgQueuer jobs by status
    push: dict[str, int]  # outbox rows by outcome: pending, sent, gone, failed
    sla_breaches: int  # ``escalated`` timeline events (one per missed SLA stage)


async def figures(conn: AsyncConnection) -> Figures:
    queue: dict[str, int] = {}
    push: dict[str, int] = {}
    breaches = 0
    for kind, label, n in (await conn.execute(_METRICS_SQL)).all():
        if kind == "queue":
            queue[label] = int(n)
        elif kind == "push":
            push[label] = int(n)
        else:
            breaches = int(n)
    return Figures(queue, push, breaches)
