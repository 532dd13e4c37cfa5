"""The admin audit record: every admin use case records its change here, in the same
transaction as the change, with the changed record before and after (secrets left out, see
:mod:`api.domain.audit`). The record is read a page at a time and never changed."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import audit as q
from api.db.audit import AuditEntry
from api.domain.audit import AuditAction, AuditEntity, page_size, snapshot

__all__ = ["Actor", "AuditEntry", "AuditPage", "page", "plain", "record"]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who makes an admin change, and when (the route's signed-in admin and clock)."""

    user_id: int | None
    now: datetime


def plain(record: object | None) -> dict[str, Any] | None:
    """A record as the admin API answers it (a struct, a dataclass row or a dict), as JSON-ready
    data without its secrets."""
    if record is None:
        return None
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        record = {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    data = msgspec.to_builtins(record)
    return snapshot(data if isinstance(data, dict) else {"value": data})


async def record(
    db: AsyncSession,
    by: Actor,
    action: AuditAction,
    entity: AuditEntity,
    entity_id: object,
    *,
    before: object | None = None,
    after: object | None = None,
) -> None:
    """Append the change to the audit record, in the caller's transaction."""
    await q.append(
        db,
        at=by.now,
        actor_id=by.user_id,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=plain(before),
        after=plain(after),
    )


class AuditPage(msgspec.Struct):
    """Entries newest first; ``next_before`` is the ``before`` of the next page (None: no more)."""

    items: list[AuditEntry]
    next_before: int | None


async def page(
    db: AsyncSession,
    *,
    entity: str | None,
    entity_id: str | None,
    actor_id: int | None,
    before: int | None,
    limit: int,
) -> AuditPage:
    size = page_size(limit)
    rows = await q.entries(
        db,
        entity=entity,
        entity_id=entity_id,
        actor_id=actor_id,
        before_id=before,
        limit=size + 1,
    )
    items = rows[:size]
    return AuditPage(items, items[-1].id if len(rows) > size else None)
