"""The durable job queue: PgQueuer on the application's own PostgreSQL (schema in migration 0003).

Jobs are enqueued on the caller's connection, inside its transaction: a job exists if and only
if the change that caused it was committed (PgQueuer's table trigger wakes the workers at commit).
"""

from __future__ import annotations

from collections.abc import Callable
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


def push_dedupe_key(notification_id: int) -> str:
    """At most one live (queued or running) delivery job per outbox row."""
    return f"push:{notification_id}"


def sms_dedupe_key(message_id: int) -> str:
    """At most one live send job per SMS outbox row."""
    return f"sms:{message_id}"


async def _driver_connection(db: AsyncSession) -> Any:
    conn = await db.connection()
    raw = await conn.get_raw_connection()
    return raw.driver_connection  # the asyncpg connection, inside the session's transaction


async def enqueue_push(db: AsyncSession, notifications: list[tuple[int, bool]]) -> None:
    """Queue one delivery job per ``(notification id, is P1)``, in ``db``'s transaction."""
    await _enqueue(
        db,
        DELIVER_PUSH,
        [(nid, PRIORITY_P1 if p1 else PRIORITY_DEFAULT) for nid, p1 in notifications],
        push_dedupe_key,
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
    # Imported here: PgQueuer brings its CLI along, which API processes need not load at start.
    from pgqueuer.queries import Queries

    queries = Queries.from_asyncpg_connection(await _driver_connection(db))
    await queries.enqueue(
        [entrypoint] * len(rows),
        [str(rid).encode() for rid, _ in rows],
        [priority for _, priority in rows],
        dedupe_key=[dedupe_key(rid) for rid, _ in rows],
        on_conflict="skip",
    )
