"""The durable job queue: PgQueuer on the application's own PostgreSQL (schema in migration 0003).

Jobs are enqueued on the caller's connection, inside its transaction: a job exists if and only
if the change that caused it was committed (PgQueuer's table trigger wakes the workers at commit).

A push delivery job carries the outbox rows its transaction wrote, up to :data:`PUSH_CHUNK` of
them (a team's devices, a warning's thousands in chunks): the queue's work per job (its dequeue,
dispatch, heartbeat and log) was a seventh of the worker's CPU when every row had a job of its
own. A row that must be tried again later gets a job of its own (:func:`retry_push`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession

# Entrypoints (job kinds) and schedules.
DELIVER_PUSH = "push.deliver"
SWEEP_OUTBOX = "push.sweep"
ESCALATE_SLA = "sla.escalate"
SEND_SMS = "sms.send"
SEND_CONVERSATION = "conversation.send"
POLL_CAP_FEED = "cap.poll"

# PgQueuer takes higher priorities first.
PRIORITY_P1 = 10
PRIORITY_DEFAULT = 0


# Outbox rows per delivery job (the worker's sender keeps its own bound on what is on the wire).
PUSH_CHUNK = 32


def push_dedupe_key(notification_id: int) -> str:
    """At most one live (queued or running) single-row delivery job per outbox row."""
    return f"push:{notification_id}"


def push_chunk_dedupe_key(first_id: int) -> str:
    """A chunk's key: its first row's id (ids are never reused, so chunks never collide). Not
    the single-row key, so a chunk's row can be given its retry while the chunk runs."""
    return f"pushes:{first_id}"


def push_ids(payload: bytes | None) -> list[int]:
    """The outbox rows of a delivery job: ids separated by commas."""
    return [int(part) for part in (payload or b"").split(b",") if part.strip()]


def _push_payload(ids: list[int]) -> bytes:
    return ",".join(str(i) for i in ids).encode()


def sms_dedupe_key(message_id: int) -> str:
    """At most one live send job per SMS outbox row."""
    return f"sms:{message_id}"


async def _queries(db: AsyncSession) -> Any:
    """PgQueuer's queries on the session's asyncpg connection, inside its transaction."""
    # Imported here: PgQueuer brings its CLI along, which API processes need not load at start.
    from pgqueuer.queries import Queries

    conn = await db.connection()
    raw = await conn.get_raw_connection()
    return Queries.from_asyncpg_connection(raw.driver_connection)


async def enqueue_push(db: AsyncSession, notifications: list[tuple[int, bool]]) -> None:
    """Queue delivery jobs for ``(notification id, is P1)`` rows, in ``db``'s transaction: the P1
    rows and the others in chunks of at most :data:`PUSH_CHUNK`, in the order given."""
    chunks: list[tuple[list[int], int]] = []
    for p1 in (True, False):
        ids = [nid for nid, is_p1 in notifications if is_p1 is p1]
        priority = PRIORITY_P1 if p1 else PRIORITY_DEFAULT
        chunks += [(ids[i : i + PUSH_CHUNK], priority) for i in range(0, len(ids), PUSH_CHUNK)]
    if not chunks:
        return
    jobs = [
        _Job(
            _push_payload(ids),
            p,
            push_dedupe_key(ids[0]) if len(ids) == 1 else push_chunk_dedupe_key(ids[0]),
        )
        for ids, p in chunks
    ]
    await _put(await _queries(db), DELIVER_PUSH, jobs)


async def retry_push(queries: Any, retries: list[tuple[int, int, float]]) -> None:
    """Single-row jobs for the rows of a chunk that must be tried again: ``(notification id,
    priority, seconds from now)``, on the worker's own queue connection."""
    jobs = [_Job(_push_payload([nid]), p, push_dedupe_key(nid), after) for nid, p, after in retries]
    await _put(queries, DELIVER_PUSH, jobs)


async def enqueue_sms(db: AsyncSession, message_id: int) -> None:
    """Queue the send job of one SMS outbox row, in ``db``'s transaction."""
    await _enqueue(db, SEND_SMS, [(message_id, PRIORITY_DEFAULT)], sms_dedupe_key)


def conversation_dedupe_key(message_id: int) -> str:
    """At most one live send job per outbound WhatsApp or SMS conversation message."""
    return f"conversation:{message_id}"


async def enqueue_conversation(db: AsyncSession, message_id: int) -> None:
    """Queue the send job of one outbound conversation message, in ``db``'s transaction."""
    await _enqueue(db, SEND_CONVERSATION, [(message_id, PRIORITY_DEFAULT)], conversation_dedupe_key)


async def _enqueue(
    db: AsyncSession,
    entrypoint: str,
    rows: list[tuple[int, int]],
    dedupe_key: Callable[[int], str],
) -> None:
    """One ``entrypoint`` job per ``(row id, priority)``, in ``db``'s transaction."""
    if rows:
        jobs = [_Job(str(rid).encode(), p, dedupe_key(rid)) for rid, p in rows]
        await _put(await _queries(db), entrypoint, jobs)


class _Job(NamedTuple):
    payload: bytes
    priority: int
    dedupe_key: str
    after_s: float = 0.0  # seconds from now before it may run


async def _put(queries: Any, entrypoint: str, jobs: list[_Job]) -> None:
    """Queue ``jobs``; one whose dedupe key a live (queued or running) job holds is skipped."""
    if not jobs:
        return
    await queries.enqueue(
        [entrypoint] * len(jobs),
        [j.payload for j in jobs],
        [j.priority for j in jobs],
        execute_after=[timedelta(seconds=j.after_s) for j in jobs],
        dedupe_key=[j.dedupe_key for j in jobs],
        on_conflict="skip",
    )
