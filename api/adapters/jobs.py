"""The durable job queue: PgQueuer on the application's own PostgreSQL (schema in migration 0003).

Jobs are enqueued on the caller's connection, inside its transaction: a job exists if and only
if the change that caused it was committed (PgQueuer's table trigger wakes the workers at commit).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

# Entrypoints (job kinds) and schedules.
DELIVER_PUSH = "push.deliver"
SWEEP_OUTBOX = "push.sweep"
ESCALATE_SLA = "sla.escalate"

# PgQueuer takes higher priorities first.
PRIORITY_P1 = 10
PRIORITY_DEFAULT = 0


def push_dedupe_key(notification_id: int) -> str:
    """At most one live (queued or running) delivery job per outbox row."""
    return f"push:{notification_id}"


async def _driver_connection(db: AsyncSession) -> Any:
    conn = await db.connection()
    raw = await conn.get_raw_connection()
    return raw.driver_connection  # the asyncpg connection, inside the session's transaction


async def enqueue_push(db: AsyncSession, notifications: list[tuple[int, bool]]) -> None:
    """Queue one delivery job per ``(notification id, is P1)``, in ``db``'s transaction."""
    if not notifications:
        return
    # Imported here: PgQueuer brings its CLI along, which API processes need not load at start.
    from pgqueuer.queries import Queries

    queries = Queries.from_asyncpg_connection(await _driver_connection(db))
    await queries.enqueue(
        [DELIVER_PUSH] * len(notifications),
        [str(nid).encode() for nid, _ in notifications],
        [PRIORITY_P1 if p1 else PRIORITY_DEFAULT for _, p1 in notifications],
        dedupe_key=[push_dedupe_key(nid) for nid, _ in notifications],
        on_conflict="skip",
    )
