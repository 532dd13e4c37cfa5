"""Tickets for the live-event stream: ``EventSource`` cannot send an ``Authorization`` header,
and an access token in a URL would end up in proxy logs and browser history.

A signed-in user asks for a ticket (``POST /api/events/tickets``, bearer token) and opens
``GET /api/events?ticket=...`` with it within :data:`TICKET_SECONDS`. The ticket is random, only
its SHA-256 is stored, and redeeming deletes it: it opens one stream, once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth import Principal
from api.db.models import AuthSession, EventTicket, User
from api.security import new_refresh_token, token_digest

TICKET_SECONDS = 30


@dataclass(frozen=True)
class Ticket:
    ticket: str
    expires_in: int


async def issue(db: AsyncSession, principal: Principal, now: datetime) -> Ticket:
    """A fresh ticket for this user's session; expired tickets are cleared on the way."""
    await db.execute(delete(EventTicket).where(EventTicket.expires_at <= now))
    raw = new_refresh_token()
    db.add(
        EventTicket(
            digest=token_digest(raw),
            session_id=principal.session_id,
            expires_at=now + timedelta(seconds=TICKET_SECONDS),
        )
    )
    await db.flush()
    return Ticket(raw, TICKET_SECONDS)


async def redeem(db: AsyncSession, ticket: str, now: datetime) -> Principal | None:
    """The user behind a valid, unused ticket (used up now), with a live session; else ``None``."""
    session_id: uuid.UUID | None = await db.scalar(
        delete(EventTicket)
        .where(EventTicket.digest == token_digest(ticket), EventTicket.expires_at > now)
        .returning(EventTicket.session_id)
    )
    if session_id is None:
        return None
    # The same checks as the auth middleware: a live, unrevoked session of an active user.
    row = (
        await db.execute(
            select(User.id, User.username, User.role, User.agency_id, User.language)
            .join(AuthSession, AuthSession.user_id == User.id)
            .where(
                AuthSession.id == session_id,
                AuthSession.revoked_at.is_(None),
                AuthSession.expires_at > text("now()"),
                User.active,
            )
        )
    ).first()
    if row is None:
        return None
    return Principal(row.id, row.username, row.role, row.agency_id, row.language, session_id)


async def open_stream(
    sessions: async_sessionmaker[AsyncSession], ticket: str, now: datetime
) -> Principal | None:
    """Redeem ``ticket`` in a unit of work of its own (the stream it opens outlives the
    request): the user behind it, or ``None``."""
    async with sessions() as db, db.begin():
        return await redeem(db, ticket, now)
