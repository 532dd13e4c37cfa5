"""Web Push SQL: devices (by endpoint, per owner, per audience), the upsert, and the outbox
rows the delivery works through.

Queries return ORM entities or plain values, never positional rows.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, func, select, text
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from api.db.direct import OneStatement, Statement, in_transaction
from api.db.models import Notification, PushSubscription


def owned_by_reporter(reporter_id: int) -> ColumnElement[bool]:
    return PushSubscription.reporter_id == reporter_id


def owned_by_user(user_id: int) -> ColumnElement[bool]:
    return PushSubscription.user_id == user_id


async def devices_besides(db: AsyncSession, owner: ColumnElement[bool], endpoint: str) -> int:
    """How many devices the owner has other than ``endpoint``."""
    return int(
        (
            await db.execute(
                select(func.count())
                .select_from(PushSubscription)
                .where(owner, PushSubscription.endpoint != endpoint)
            )
        ).scalar_one()
    )


async def upsert(db: AsyncSession, values: dict[str, Any]) -> int:
    """Insert the device, or update the row of its endpoint; its id."""
    update = {k: v for k, v in values.items() if k != "endpoint"}
    stmt = (
        insert(PushSubscription)
        .values(values)
        .on_conflict_do_update(index_elements=[PushSubscription.endpoint], set_=update)
        .returning(PushSubscription.id)
    )
    return int((await db.execute(stmt)).scalar_one())


async def by_endpoint(db: AsyncSession, endpoint: str) -> PushSubscription | None:
    """The device's row, locked."""
    return (
        await db.execute(
            select(PushSubscription).where(PushSubscription.endpoint == endpoint).with_for_update()
        )
    ).scalar_one_or_none()


async def forget_if_unowned(db: AsyncSession, sub: PushSubscription) -> None:
    """Delete the row once no user, followed case or warning opt-in owns it."""
    if sub.user_id is None and sub.reporter_id is None and sub.warning_area_id is None:
        await db.delete(sub)
    await db.flush()


# ------------------------------------------------------------------- outbox
@dataclass(frozen=True)
class Device:
    subscription_id: int
    language: str
    user_id: int | None


# The devices of every audience of one case event, in one round trip: a branch per audience,
# each labelled with its rank (its message's place in the plan). Staff devices count while
# their user is active; a citizen's, while its reporter follows the case.
_BRANCHES = {
    "team": """
    SELECT CAST(:team AS int) AS rank, s.id, s.language, s.user_id
      FROM push_subscriptions AS s
      JOIN users AS u ON u.id = s.user_id
      JOIN team_members AS tm ON tm.user_id = u.id
     WHERE u.active AND tm.team_id = :team_id""",
    "dispatchers": """
    SELECT CAST(:dispatchers AS int) AS rank, s.id, s.language, s.user_id
      FROM push_subscriptions AS s JOIN users AS u ON u.id = s.user_id
     WHERE u.active AND u.role = 'dispatcher'""",
    "coordinators": """
    SELECT CAST(:coordinators AS int) AS rank, s.id, s.language, s.user_id
      FROM push_subscriptions AS s JOIN users AS u ON u.id = s.user_id
     WHERE u.active AND u.role = 'coordinator' AND u.agency_id = :agency_id""",
    "citizens": """
    SELECT CAST(:citizens AS int) AS rank, s.id, s.language, s.user_id
      FROM push_subscriptions AS s
     WHERE s.reporter_id IN (SELECT r.id FROM case_reporters AS r WHERE r.case_id = :case_id)""",
}
AUDIENCES = tuple(_BRANCHES)


@functools.lru_cache(maxsize=2 ** len(AUDIENCES))
def _audiences(names: frozenset[str]) -> Statement:
    """The statement for one set of audiences, compiled once. Not one statement for all with
    a guard per branch: PostgreSQL then planned it afresh at every execution (a generic plan
    keeps every branch, so it never looked cheaper than a custom one), 0.45 ms against 0.16."""
    branches = [_BRANCHES[name] for name in AUDIENCES if name in names]
    return Statement(text("\n    UNION ALL".join(branches) + "\n    ORDER BY rank, id"))


async def audience_devices(
    db: AsyncSession,
    ranks: dict[str, int],
    *,
    case_id: uuid.UUID,
    team_id: int | None,
    agency_id: int,
) -> list[tuple[int, Device]]:
    """``(rank, device)`` for every device of the audiences in ``ranks`` (one of
    :data:`AUDIENCES` → its rank), by rank, then device: a team's active members (none without
    a team), the active dispatchers, the active coordinators of ``agency_id``, the devices of
    the case's reporters (followers included). A device of two audiences comes once per
    audience."""
    unknown = set(ranks) - set(AUDIENCES)
    if unknown:
        raise ValueError(f"unknown audiences: {sorted(unknown)}")
    if not ranks:
        return []
    params = {**ranks, "case_id": case_id, "team_id": team_id, "agency_id": agency_id}
    rows = await (await in_transaction(db)).rows(_audiences(frozenset(ranks)), params)
    return [(r["rank"], Device(r["id"], r["language"], r["user_id"])) for r in rows]


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One outbox row to write: a message for one device."""

    subscription_id: int
    user_id: int | None
    kind: str
    payload: dict[str, Any]
    urgency: str
    topic: str | None
    ttl_s: int


# Rows a statement writes at once: a warning to a whole kecamatan is tens of thousands of rows,
# and one batch's arrays stay under a megabyte or so.
NOTIFICATION_BATCH = 2000

# The rows of one cause as arrays: one statement, compiled once, whatever their number (a row
# per VALUES tuple was compiled afresh for every count).
_ADD = Statement(
    text(
        """
    INSERT INTO notifications (event_key, kind, subscription_id, user_id, case_id, payload,
                               urgency, topic, ttl_s, status, attempts, next_attempt_at,
                               last_error, created_at)
    SELECT :event_key, r.kind, r.subscription_id, r.user_id, CAST(:case_id AS uuid),
           CAST(r.payload AS jsonb), r.urgency, r.topic, r.ttl_s, 'pending', 0,
           CAST(:now AS timestamptz), '', CAST(:now AS timestamptz)
      FROM unnest(CAST(:kinds AS text[]), CAST(:subscription_ids AS bigint[]),
                  CAST(:user_ids AS bigint[]), CAST(:payloads AS text[]),
                  CAST(:urgencies AS text[]), CAST(:topics AS text[]), CAST(:ttls AS int[]))
           AS r(kind, subscription_id, user_id, payload, urgency, topic, ttl_s)
    ON CONFLICT ON CONSTRAINT uq_notifications_event_sub DO NOTHING
    RETURNING id
    """
    )
)

_json = msgspec.json.Encoder()


async def add_notifications(
    db: AsyncSession,
    event_key: str,
    case_id: uuid.UUID | None,
    now: datetime,
    rows: list[Outgoing],
) -> list[int]:
    """Pending outbox rows of one cause (``event_key``), due ``now``; a device already told of
    the same cause is skipped. The new rows' ids."""
    conn = await in_transaction(db)
    # Rows share their payload objects (one per message and language): each is encoded once.
    encoded: dict[int, str] = {}

    def text_of(payload: dict[str, Any]) -> str:
        found = encoded.get(id(payload))
        if found is None:
            found = encoded[id(payload)] = _json.encode(payload).decode()
        return found

    ids: list[int] = []
    for start in range(0, len(rows), NOTIFICATION_BATCH):
        batch = rows[start : start + NOTIFICATION_BATCH]
        params = {
            "event_key": event_key,
            "case_id": case_id,
            "now": now,
            "kinds": [r.kind for r in batch],
            "subscription_ids": [r.subscription_id for r in batch],
            "user_ids": [r.user_id for r in batch],
            "payloads": [text_of(r.payload) for r in batch],
            "urgencies": [r.urgency for r in batch],
            "topics": [r.topic for r in batch],
            "ttls": [r.ttl_s for r in batch],
        }
        ids.extend(r["id"] for r in await conn.rows(_ADD, params))
    return ids


# ------------------------------------------------------- the worker's batches
# The worker runs these on asyncpg itself (:mod:`api.db.direct`), or on the engine behind a
# transaction pooler: through SQLAlchemy each statement's checkout, greenlet and result wrapping
# were about a tenth of the worker's CPU per message (docs/performance.md).
#
# Many outbox rows with their devices in one round trip. No row lock: a row belongs to the
# worker holding the delivery job that carries it (one live job per row: the dedupe keys of
# ``api.adapters.jobs``, and the sweep's ``_ORPHANS_SQL`` skips the rows of live jobs).
_CLAIM = Statement(
    text(
        """
    SELECT n.id, n.payload, n.urgency, n.topic, n.ttl_s, n.attempts, n.created_at,
           n.next_attempt_at, n.last_error, n.sent_at,
           s.id AS sub_id, s.endpoint, s.p256dh, s.auth, s.last_success_at
    FROM notifications AS n LEFT JOIN push_subscriptions AS s ON s.id = n.subscription_id
    WHERE n.id = ANY(CAST(:ids AS bigint[])) AND n.status = 'pending'
    """
    ).columns(payload=JSONB)
)


@dataclass(frozen=True, slots=True)
class Due:
    """A pending outbox row as the worker sends it, with its device (``sub_id`` None: gone)."""

    id: int
    payload: dict[str, Any]
    urgency: str
    topic: str | None
    ttl_s: int
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    last_error: str
    sent_at: datetime | None
    sub_id: int | None
    endpoint: str
    p256dh: str
    auth: str
    last_success_at: datetime | None


async def pending_many(conn: OneStatement, ids: list[int]) -> list[Due]:
    """The pending rows among ``ids`` (rows already finished are left out), one statement."""
    return [Due(**r) for r in await conn.rows(_CLAIM, {"ids": ids})]


@dataclass(frozen=True, slots=True)
class Finished:
    """What one attempt leaves in the outbox row and its device."""

    id: int
    status: str
    attempts: int
    last_error: str
    next_attempt_at: datetime
    sent_at: datetime | None
    sub_id: int | None
    # The device took the message (its ``last_success_at`` becomes ``sent_at``) ...
    sub_took_it: bool = False
    # ... or is removed (gone, refused, or dead after every attempt failed).
    drop_sub: bool = False


# Every outcome of a batch in one statement; a row finished meanwhile is left alone.
_FINISH = Statement(
    text(
        """
    WITH o AS (
        SELECT * FROM unnest(CAST(:ids AS bigint[]), CAST(:statuses AS text[]),
                             CAST(:attempts AS int[]), CAST(:errors AS text[]),
                             CAST(:next_at AS timestamptz[]), CAST(:sent_at AS timestamptz[]))
            AS o(id, status, attempts, last_error, next_attempt_at, sent_at)
    ), done AS (
        UPDATE notifications AS n
        SET status = o.status, attempts = o.attempts, last_error = o.last_error,
            next_attempt_at = o.next_attempt_at, sent_at = o.sent_at
        FROM o WHERE n.id = o.id AND n.status = 'pending'
        RETURNING n.id
    )
    UPDATE push_subscriptions AS s SET last_success_at = x.at
    FROM unnest(CAST(:ok_subs AS bigint[]), CAST(:ok_at AS timestamptz[])) AS x(id, at)
    WHERE s.id = x.id
    """
    )
)
_DROP_SUBS_SQL = text("DELETE FROM push_subscriptions WHERE id = ANY(CAST(:ids AS bigint[]))")


def _finish_params(done: list[Finished]) -> dict[str, Any]:
    took: dict[int, datetime] = {}
    for f in done:
        if f.sub_took_it and f.sub_id is not None and f.sent_at is not None:
            took[f.sub_id] = max(f.sent_at, took.get(f.sub_id, f.sent_at))
    return {
        "ids": [f.id for f in done],
        "statuses": [f.status for f in done],
        "attempts": [f.attempts for f in done],
        "errors": [f.last_error for f in done],
        "next_at": [f.next_attempt_at for f in done],
        "sent_at": [f.sent_at for f in done],
        "ok_subs": list(took),
        "ok_at": list(took.values()),
    }


def dropping_devices(done: list[Finished]) -> list[int]:
    """The devices a batch's outcomes remove."""
    return sorted({f.sub_id for f in done if f.drop_sub and f.sub_id is not None})


async def finish_many(conn: OneStatement, done: list[Finished]) -> None:
    """Record a batch's outcomes that remove no device: one statement, whole by itself."""
    await conn.run(_FINISH, _finish_params(done))


async def finish_many_dropping(conn: AsyncConnection, done: list[Finished]) -> None:
    """Record a batch's outcomes and remove the devices they give up on, in the caller's
    transaction: a device is never removed without the outcome that removed it."""
    await conn.execute(_FINISH.clause, _finish_params(done))
    await conn.execute(_DROP_SUBS_SQL, {"ids": dropping_devices(done)})


async def pending_notification(db: AsyncSession, notification_id: int) -> Notification | None:
    """A pending outbox row, locked (skipped when another worker has it)."""
    return (
        await db.execute(
            select(Notification)
            .where(Notification.id == notification_id, Notification.status == "pending")
            .with_for_update(skip_locked=True)
        )
    ).scalar_one_or_none()


@dataclass(frozen=True)
class Orphan:
    id: int
    urgency: str


# Pending rows long overdue whose job is gone: no queued or running delivery job names them
# (a job's payload lists its rows' ids, api.adapters.jobs.push_ids).
_ORPHANS_SQL = text(
    """
    WITH queued AS (
        SELECT CAST(unnest(string_to_array(convert_from(payload, 'UTF8'), ',')) AS bigint) AS id
        FROM pgqueuer
        WHERE entrypoint = :entrypoint AND status IN ('queued', 'picked')
    )
    SELECT n.id, n.urgency FROM notifications AS n
    WHERE n.status = 'pending' AND n.next_attempt_at < :cutoff
      AND NOT EXISTS (SELECT 1 FROM queued WHERE queued.id = n.id)
    ORDER BY n.next_attempt_at
    LIMIT :limit
    """
)


async def overdue_pending(
    db: AsyncSession, cutoff: datetime, limit: int, *, entrypoint: str
) -> list[Orphan]:
    """Pending rows whose next attempt is older than ``cutoff`` and that no live ``entrypoint``
    job carries, oldest first."""
    params = {"cutoff": cutoff, "limit": limit, "entrypoint": entrypoint}
    rows = await db.execute(_ORPHANS_SQL, params)
    return [Orphan(r.id, r.urgency) for r in rows]
