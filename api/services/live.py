"""Read use cases of the live stream (``GET /api/events``): the events a reconnecting client
missed, where the stream starts, and the on-duty teams on the map.

A stream outlives its request's session, so each read here opens its own short session.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth import Principal
from api.db import live as q
from api.services.notify import case_event_message, position_message

Sessions = async_sessionmaker[AsyncSession]


async def missed_events(
    sessions: Sessions, principal: Principal, after: int, limit: int
) -> list[dict[str, Any]]:
    """The case events after timeline id ``after`` the caller may see, as live messages, at most
    ``limit``."""
    async with sessions() as db:
        rows = await q.events_after(db, after, principal.agency_scope, limit)
    return [case_event_message(r) for r in rows]


async def latest_event_id(sessions: Sessions) -> int:
    """The timeline id a fresh stream starts after."""
    async with sessions() as db:
        return await q.latest_event_id(db)


async def team_positions(sessions: Sessions, principal: Principal) -> list[dict[str, Any]]:
    """The on-duty teams' last positions the caller may see, as live messages."""
    async with sessions() as db:
        rows = await q.on_duty_positions(db, principal.agency_scope)
    return [position_message(r) for r in rows]
