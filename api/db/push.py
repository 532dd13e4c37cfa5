"""Web Push SQL: devices (by endpoint, per owner, per audience), the upsert, and the outbox
rows the delivery works through.

Queries return ORM entities or plain values, never positional rows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, text
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from api.db.direct import OneStatement, Statement
from api.db.models import CaseReporter, Notification, PushSubscription, User, team_members


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


async def citizen_devices(db: AsyncSession, case_id: uuid.UUID) -> list[Device]:
    """The devices of the case's reporters (followers included)."""
    s = PushSubscription
    q = select(s.id, s.language, s.user_id).where(
        s.reporter_id.in_(select(CaseReporter.id).where(CaseReporter.case_id == case_id))
    )
    return await _devices(db, q)


def _staff() -> Select[int, str, int | None]:
    s = PushSubscription
    return select(s.id, s.language, s.user_id).join(User, User.id == s.user_id).where(User.active)


async def team_devices(db: AsyncSession, team_id: int | None) -> list[Device]:
    """The devices of a team's active members (none without a team)."""
    q = _staff().join(team_members, team_members.c.user_id == User.id)
    return await _devices(db, q.where(team_members.c.team_id == team_id))


async def role_devices(db: AsyncSession, role: str, agency_id: int | None = None) -> list[Device]:
    """The devices of the active users of a role (in one agency, when given)."""
    q = _staff().where(User.role == role)
    if agency_id is not None:
        q = q.where(User.agency_id == agency_id)
    return await _devices(db, q)


async def _devices(db: AsyncSession, q: Select[int, str, int | None]) -> list[Device]:
    rows = await db.execute(q.order_by(PushSubscription.id))
    return [Device(r.id, r.language, r.user_id) for r in rows]


# A statement carries at most 32,767 bind parameters (the wire protocol's limit); a warning to
# a whole kecamatan's subscribers is tens of thousands of rows of 14 columns each.
NOTIFICATION_BATCH = 2000


async def add_notifications(db: AsyncSession, rows: list[dict[str, Any]]) -> list[int]:
    """Outbox rows; a device already told of the same event is skipped. The new rows' ids."""
    ids: list[int] = []
    for start in range(0, len(rows), NOTIFICATION_BATCH):
        stmt = (
            insert(Notification)
            .values(rows[start : start + NOTIFICATION_BATCH])
            .on_conflict_do_nothing(constraint="uq_notifications_event_sub")
            .returning(Notification.id)
        )
        ids.extend((await db.execute(stmt)).scalars())
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
