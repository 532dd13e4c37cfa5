"""Live-stream SQL: the control room's events as committed, for a reconnect's replay, the
on-duty teams' last positions for a stream's first picture of the map, and the single-use
tickets that open a stream (:mod:`api.services.event_tickets`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import AuthSession, EventTicket, User

# A timeline event with the case fields the live map needs (the NOTIFY and the replay agree).
LIVE_EVENT_SQL = """
SELECT e.id, e.case_id, e.kind, e.from_status, e.to_status, e.at, e.data,
       c.reference, c.status, c.priority, c.agency_id, c.team_id, c.category_id,
       ST_X(c.location::geometry) AS lon, ST_Y(c.location::geometry) AS lat
FROM case_events e JOIN cases c ON c.id = e.case_id
"""


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """A row of :data:`LIVE_EVENT_SQL`."""

    id: int
    case_id: uuid.UUID
    kind: str
    from_status: str | None
    to_status: str | None
    at: datetime
    data: dict[str, Any] | None
    reference: str
    status: str
    priority: str
    agency_id: int | None
    team_id: int | None
    category_id: int | None
    lon: float | None
    lat: float | None


@dataclass(frozen=True, slots=True)
class TeamPosition:
    """An on-duty team's last position (the columns ``position_message`` reads)."""

    id: int
    agency_id: int
    lon: float
    lat: float
    last_accuracy_m: float | None
    last_position_at: datetime | None


async def events_after(
    db: AsyncSession, after: int, agency_scope: int | None, limit: int
) -> list[LiveEvent]:
    """Timeline events with an id above ``after``, oldest first, at most ``limit``; with an
    agency scope, that agency's cases and the cases transferred away from it."""
    where = ""
    params: dict[str, Any] = {"after": after, "limit": limit}
    if agency_scope is not None:
        where = (
            " AND (c.agency_id = :scope OR (e.kind = 'transferred' "
            "AND (e.data->>'from_agency_id')::int = :scope))"
        )
        params["scope"] = agency_scope
    sql = LIVE_EVENT_SQL + " WHERE e.id > :after" + where + " ORDER BY e.id LIMIT :limit"
    rows = (await db.execute(text(sql), params)).mappings()
    return [LiveEvent(**r) for r in rows]


async def latest_event_id(db: AsyncSession) -> int:
    """The newest timeline id (0 when there is none)."""
    latest = await db.execute(text("SELECT coalesce(max(id), 0) FROM case_events"))
    return int(latest.scalar_one())


async def on_duty_positions(db: AsyncSession, agency_scope: int | None) -> list[TeamPosition]:
    """The last position of every on-duty team that has one (of one agency, if scoped)."""
    sql = (
        "SELECT id, agency_id, ST_X(last_position::geometry) AS lon, "
        "ST_Y(last_position::geometry) AS lat, last_accuracy_m, last_position_at "
        "FROM teams WHERE last_position IS NOT NULL AND on_duty "
        "AND (CAST(:scope AS int) IS NULL OR agency_id = :scope)"
    )
    rows = (await db.execute(text(sql), {"scope": agency_scope})).mappings()
    return [TeamPosition(**r) for r in rows]


# ------------------------------------------------------------------ tickets
@dataclass(frozen=True, slots=True)
class SessionUser:
    """The active user of a live, unrevoked session."""

    id: int
    username: str
    role: str
    agency_id: int | None
    language: str


async def add_ticket(
    db: AsyncSession, digest: str, session_id: uuid.UUID, now: datetime, expires_at: datetime
) -> None:
    """Store a ticket's digest for its session; expired tickets are cleared on the way."""
    await db.execute(delete(EventTicket).where(EventTicket.expires_at <= now))
    db.add(EventTicket(digest=digest, session_id=session_id, expires_at=expires_at))
    await db.flush()


async def take_ticket(db: AsyncSession, digest: str, now: datetime) -> uuid.UUID | None:
    """Delete an unexpired ticket and return its session (``None``: no such ticket)."""
    return await db.scalar(
        delete(EventTicket)
        .where(EventTicket.digest == digest, EventTicket.expires_at > now)
        .returning(EventTicket.session_id)
    )


async def session_user(db: AsyncSession, session_id: uuid.UUID) -> SessionUser | None:
    """The user of a live, unrevoked session, if active (the auth middleware's checks)."""
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
    return SessionUser(row.id, row.username, row.role, row.agency_id, row.language)
