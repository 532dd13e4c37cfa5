"""Tickets for the live-event stream: ``EventSource`` cannot send an ``Authorization`` header,
and an access token in a URL would end up in proxy logs and browser history.

A signed-in user asks for a ticket (``POST /api/events/tickets``, bearer token) and opens
``GET /api/events?ticket=...`` with it within :data:`TICKET_SECONDS`. The ticket is random, only
its SHA-256 is stored, and redeeming deletes it: it opens one stream, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth import Principal
from api.db import live as q
from api.security import new_refresh_token, token_digest

TICKET_SECONDS = 30


@dataclass(frozen=True)
class Ticket:
    ticket: str
    expires_in: int


async def issue(db: AsyncSession, principal: Principal, now: datetime) -> Ticket:
    """A fresh ticket for this user's session; expired tickets are cleared on the way."""
    raw = new_refresh_token()
    expires_at = now + timedelta(seconds=TICKET_SECONDS)
    await q.add_ticket(db, token_digest(raw), principal.session_id, now, expires_at)
    return Ticket(raw, TICKET_SECONDS)


async def redeem(db: AsyncSession, ticket: str, now: datetime) -> Principal | None:
    """The user behind a valid, unused ticket (used up now), with a live session; else ``None``."""
    session_id = await q.take_ticket(db, token_digest(ticket), now)
    if session_id is None:
        return None
    # The same checks as the auth middleware: a live, unrevoked session of an active user.
    user = await q.session_user(db, session_id)
    if user is None:
        return None
    return Principal(user.id, user.username, user.role, user.agency_id, user.language, session_id)


async def open_stream(
    sessions: async_sessionmaker[AsyncSession], ticket: str, now: datetime
) -> Principal | None:
    """Redeem ``ticket`` in a unit of work of its own (the stream it opens outlives the
    request): the user behind it, or ``None``."""
    async with sessions() as db, db.begin():
        return await redeem(db, ticket, now)
