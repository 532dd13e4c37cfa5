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
from typing import Any

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
    queries = await _queries(db)
    await queries.enqueue(
        [DELIVER_PUSH] * len(chunks),
        [_push_payload(ids) for ids, _ in chunks],
        [priority for _, priority in chunks],
        dedupe_key=[
            push_dedupe_key(ids[0]) if len(ids) == 1 else push_chunk_dedupe_key(ids[0])
            for ids, _ in chunks
        ],
        on_conflict="skip",
    )


async def retry_push(queries: Any, retries: list[tuple[int, int, float]]) -> None:
    """Single-row jobs for the rows of a chunk that must be tried again: ``(notification id,
    priority, seconds from now)``, on the worker's own queue connection."""
    if not retries:
        return
    await queries.enqueue(
        [DELIVER_PUSH] * len(retries),
        [_push_payload([nid]) for nid, _, _ in retries],
        [priority for _, priority, _ in retries],
        execute_after=[timedelta(seconds=delay) for _, _, delay in retries],
        dedupe_key=[push_dedupe_key(nid) for nid, _, _ in retries],
        on_conflict="skip",
    )


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
    """One ``entrypoint`` job per ``(row id, priority)``; a row with a live job is skipped."""
    if not rows:
        return
    queries = await _queries(db)
    await queries.enqueue(
        [entrypoint] * len(rows),
        [str(rid).encode() for rid, _ in rows],
        [priority for _, priority in rows],
        dedupe_key=[dedupe_key(rid) for rid, _ in rows],
        on_conflict="skip",
    )
