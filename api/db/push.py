"""Web Push SQL: devices (by endpoint, per owner, per audience), the upsert, and the outbox
rows the delivery works through.

Queries return ORM entities or plain values, never positional rows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

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
    """Delete the row once neither a user nor a citizen owns it."""
    if sub.user_id is None and sub.reporter_id is None:
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


async def add_notifications(db: AsyncSession, rows: list[dict[str, Any]]) -> list[int]:
    """Outbox rows; a device already told of the same event is skipped. The new rows' ids."""
    stmt = (
        insert(Notification)
        .values(rows)
        .on_conflict_do_nothing(constraint="uq_notifications_event_sub")
        .returning(Notification.id)
    )
    return list((await db.execute(stmt)).scalars())


@dataclass(frozen=True)
class Pending:
    notification: Notification
    subscription: PushSubscription | None  # None once the device is gone


async def pending_for_delivery(db: AsyncSession, notification_id: int) -> Pending | None:
    """A pending outbox row with its device, locked (skipped when another worker has it)."""
    found = (
        await db.execute(
            select(Notification, PushSubscription)
            .outerjoin(PushSubscription, PushSubscription.id == Notification.subscription_id)
            .where(Notification.id == notification_id, Notification.status == "pending")
            .with_for_update(of=Notification, skip_locked=True)
        )
    ).first()
    return None if found is None else Pending(found.Notification, found.PushSubscription)


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


async def overdue_pending(db: AsyncSession, cutoff: datetime, limit: int) -> list[Orphan]:
    """Pending rows whose next attempt is older than ``cutoff``, oldest first."""
    rows = await db.execute(
        select(Notification.id, Notification.urgency)
        .where(Notification.status == "pending", Notification.next_attempt_at < cutoff)
        .order_by(Notification.next_attempt_at)
        .limit(limit)
    )
    return [Orphan(r.id, r.urgency) for r in rows]
