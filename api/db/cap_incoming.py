"""Incoming CAP alert SQL: store each message once, retire the ones a ``Cancel`` names, and
list the active ones that touch the city's service area (GeoJSON area).

Queries return ORM entities or named rows, never positional rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import IncomingCapAlert

Bbox = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class AlertRow:
    alert: IncomingCapAlert
    area: dict[str, Any] | None


async def store(db: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert one message unless it is already stored; True when it was new."""
    stmt = (
        insert(IncomingCapAlert)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["identifier", "sender", "sent"])
        .returning(IncomingCapAlert.id)
    )
    return (await db.execute(stmt)).scalar_one_or_none() is not None


async def cancel(db: AsyncSession, refs: list[tuple[str, str]]) -> int:
    """Retire every stored message of the named (sender, identifier) pairs."""
    if not refs:
        return 0
    named = or_(
        *(and_(IncomingCapAlert.sender == s, IncomingCapAlert.identifier == i) for s, i in refs)
    )
    result = await db.execute(update(IncomingCapAlert).where(named).values(cancelled=True))
    return int(getattr(result, "rowcount", 0) or 0)


def _envelope(bbox: Bbox) -> Any:
    return func.ST_MakeEnvelope(*bbox, 4326)


_AREA = func.ST_AsGeoJSON(IncomingCapAlert.area, 6).label("geojson")


def _active(now: datetime, bbox: Bbox) -> Any:
    # Updates and cancellations of a chain are not shown themselves: an update replaces what
    # it references only when it is stored, so the list shows every message still in force.
    return and_(
        IncomingCapAlert.cancelled.is_(False),
        IncomingCapAlert.msg_type.in_(("Alert", "Update")),
        or_(IncomingCapAlert.expires_at.is_(None), IncomingCapAlert.expires_at > now),
        IncomingCapAlert.area.is_not(None),
        func.ST_Intersects(func.geometry(IncomingCapAlert.area), _envelope(bbox)),
    )


async def active(db: AsyncSession, now: datetime, bbox: Bbox) -> list[AlertRow]:
    rows = await db.execute(
        select(IncomingCapAlert, _AREA)
        .where(_active(now, bbox))
        .order_by(IncomingCapAlert.sent.desc(), IncomingCapAlert.id.desc())
    )
    return [AlertRow(r.IncomingCapAlert, json.loads(r.geojson)) for r in rows]


# A sender's polygon may cross itself: made valid before it is cut.
_CLIPPED_SQL = text(
    """
    SELECT ST_AsGeoJSON(ST_Multi(ST_CollectionExtract(ST_Intersection(
               ST_MakeValid(area::geometry), ST_MakeEnvelope(:w, :s, :e, :n, 4326)), 3)), 6)
           AS geojson
    FROM cap_incoming WHERE id = :id
    """
)


async def get_active(
    db: AsyncSession, alert_id: int, now: datetime, bbox: Bbox
) -> IncomingCapAlert | None:
    found = await db.execute(
        select(IncomingCapAlert).where(IncomingCapAlert.id == alert_id, _active(now, bbox))
    )
    return found.scalar_one_or_none()


async def exists(db: AsyncSession, alert_id: int) -> bool:
    return (await db.get(IncomingCapAlert, alert_id)) is not None


async def clipped_area(db: AsyncSession, alert_id: int, bbox: Bbox) -> dict[str, Any] | None:
    """The alert's area cut to the city's service area, as a GeoJSON MultiPolygon."""
    w, s, e, n = bbox
    row = (await db.execute(_CLIPPED_SQL, {"id": alert_id, "w": w, "s": s, "e": e, "n": n})).one()
    return json.loads(row.geojson) if row.geojson else None
