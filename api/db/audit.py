"""SQL for the admin audit record: append an entry, read a page of entries (newest first).

The table refuses UPDATE and DELETE (a trigger); nothing here offers either."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import AdminAudit, User
from api.domain.audit import AuditAction, AuditEntity


async def append(
    db: AsyncSession,
    *,
    at: datetime,
    actor_id: int | None,
    action: str,
    entity: str,
    entity_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """Add one entry, in the caller's transaction (with the change it records)."""
    db.add(
        AdminAudit(
            at=at,
            actor_id=actor_id,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=before,
            after=after,
        )
    )
    await db.flush()


class AuditEntry(msgspec.Struct):
    """One entry with the actor's full name (None for the system or a removed account)."""

    id: int
    at: datetime
    actor_id: int | None
    actor_name: str | None
    action: AuditAction
    entity: AuditEntity
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


async def entries(
    db: AsyncSession,
    *,
    entity: str | None,
    entity_id: str | None,
    actor_id: int | None,
    before_id: int | None,
    limit: int,
) -> list[AuditEntry]:
    """Entries newest first, below ``before_id`` when given, of one entity/record/actor."""
    q = (
        select(
            AdminAudit.id,
            AdminAudit.at,
            AdminAudit.actor_id,
            User.full_name.label("actor_name"),
            AdminAudit.action,
            AdminAudit.entity,
            AdminAudit.entity_id,
            AdminAudit.before,
            AdminAudit.after,
        )
        .outerjoin(User, User.id == AdminAudit.actor_id)
        .order_by(AdminAudit.id.desc())
        .limit(limit)
    )
    if entity is not None:
        q = q.where(AdminAudit.entity == entity)
    if entity_id is not None:
        q = q.where(AdminAudit.entity_id == entity_id)
    if actor_id is not None:
        q = q.where(AdminAudit.actor_id == actor_id)
    if before_id is not None:
        q = q.where(AdminAudit.id < before_id)
    return [AuditEntry(**row) for row in (await db.execute(q)).mappings()]
