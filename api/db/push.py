"""Push subscription SQL: a device's row by endpoint, an owner's device count, the upsert.

Queries return ORM entities or plain values, never positional rows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import PushSubscription


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
