"""Area warning SQL: the shape of an area (picked kecamatan or a drawn polygon), who is in it
(subscribed citizens' devices, the devices of on-duty teams in or near it), and the warnings
as screens and CAP read them.

Queries return ORM entities or named rows, never positional rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import AreaWarning, PushSubscription, User
from api.db.push import Device


@dataclass(frozen=True, slots=True)
class Shape:
    """A warning's area: EWKT MultiPolygon, the kecamatan it covers and their names."""

    ewkt: str
    area_ids: list[int]
    names: list[str]


# Picked kecamatan: their boundaries, or a circle around the centre of one without a boundary.
_PICKED_SQL = text(
    """
    SELECT ST_AsEWKT(ST_Multi(ST_Union(COALESCE(boundary::geometry,
               ST_Buffer(center, CAST(:radius AS float8))::geometry)))) AS ewkt,
           array_agg(id ORDER BY name) AS ids, array_agg(name ORDER BY name) AS names
    FROM areas WHERE id = ANY(CAST(:ids AS int[])) AND kind = 'kecamatan'
    """
)
# A drawn area (already checked, EWKT): the kecamatan it touches.
_TOUCHED_SQL = text(
    """
    SELECT coalesce(array_agg(id ORDER BY name), '{}') AS ids,
           coalesce(array_agg(name ORDER BY name), '{}') AS names
    FROM areas
    WHERE kind = 'kecamatan' AND ST_Intersects(
        COALESCE(boundary, ST_Buffer(center, CAST(:radius AS float8))), ST_GeogFromText(:ewkt))
    """
)


async def picked_shape(db: AsyncSession, area_ids: list[int], radius_m: int) -> Shape | None:
    """The union of the picked kecamatan; None unless every id is a kecamatan."""
    row = (await db.execute(_PICKED_SQL, {"ids": area_ids, "radius": radius_m})).one()
    if row.ewkt is None or len(row.ids) != len(set(area_ids)):
        return None
    return Shape(row.ewkt, list(row.ids), list(row.names))


async def drawn_shape(db: AsyncSession, ewkt: str, radius_m: int) -> Shape:
    row = (await db.execute(_TOUCHED_SQL, {"ewkt": ewkt, "radius": radius_m})).one()
    return Shape(ewkt, list(row.ids), list(row.names))


async def get(db: AsyncSession, warning_id: int, *, lock: bool = False) -> AreaWarning | None:
    q = select(AreaWarning).where(AreaWarning.id == warning_id)
    return (await db.execute(q.with_for_update() if lock else q)).scalar_one_or_none()


async def area_ewkt(db: AsyncSession, warning_id: int) -> str:
    """A warning's area as EWKT, for a cancellation that covers the same area."""
    sql = text("SELECT ST_AsEWKT(area) FROM area_warnings WHERE id = :id")
    return str((await db.execute(sql, {"id": warning_id})).scalar_one())


async def chain_before(db: AsyncSession, warning: AreaWarning) -> list[AreaWarning]:
    """The published messages this one follows, oldest first (its references)."""
    out: list[AreaWarning] = []
    at = warning.references_id
    while at is not None:
        earlier = await get(db, at)
        if earlier is None:
            break
        out.append(earlier)
        at = earlier.references_id
    return out[::-1]


async def set_status(db: AsyncSession, warning_id: int, status: str) -> None:
    await db.execute(update(AreaWarning).where(AreaWarning.id == warning_id).values(status=status))


# ------------------------------------------------------------------ recipients
async def citizen_devices(db: AsyncSession, area_ids: list[int]) -> list[Device]:
    """The devices that asked for warnings of these kecamatan."""
    s = PushSubscription
    rows = await db.execute(
        select(s.id, s.language).where(s.warning_area_id.in_(area_ids)).order_by(s.id)
    )
    return [Device(r.id, r.language, None) for r in rows]


_TEAM_DEVICES_SQL = text(
    """
    SELECT DISTINCT s.id, s.language, s.user_id
    FROM teams t
    JOIN team_members m ON m.team_id = t.id
    JOIN users u ON u.id = m.user_id AND u.active
    JOIN push_subscriptions s ON s.user_id = u.id
    WHERE t.on_duty AND t.last_position IS NOT NULL
      AND ST_DWithin(t.last_position, (SELECT area FROM area_warnings WHERE id = :wid),
                     CAST(:near AS float8))
    ORDER BY s.id
    """
)


async def team_devices(db: AsyncSession, warning_id: int, near_m: int) -> list[Device]:
    """The devices of the members of every on-duty team whose last position is in the
    warning's area or within ``near_m`` metres of it."""
    rows = await db.execute(_TEAM_DEVICES_SQL, {"wid": warning_id, "near": near_m})
    return [Device(r.id, r.language, r.user_id) for r in rows]


# ------------------------------------------------------------------ reading
@dataclass(frozen=True, slots=True)
class WarningRow:
    warning: AreaWarning
    area: dict[str, Any]  # GeoJSON


_GEOJSON_SQL = text(
    "SELECT id, ST_AsGeoJSON(area::geometry, 6) AS g FROM area_warnings "
    "WHERE id = ANY(CAST(:ids AS int[]))"
)


async def with_areas(db: AsyncSession, warnings: list[AreaWarning]) -> list[WarningRow]:
    if not warnings:
        return []
    rows = await db.execute(_GEOJSON_SQL, {"ids": [w.id for w in warnings]})
    shapes = {r.id: json.loads(r.g) for r in rows}
    return [WarningRow(w, shapes[w.id]) for w in warnings]


async def listed(
    db: AsyncSession, statuses: tuple[str, ...], *, now: datetime | None = None, limit: int = 100
) -> list[AreaWarning]:
    """Warnings in these statuses, newest first; with ``now``, only those not expired. A
    published cancellation is a message, not a warning in force: it is left out."""
    q = select(AreaWarning).where(
        AreaWarning.status.in_(statuses),
        ~((AreaWarning.status == "published") & (AreaWarning.msg_type == "Cancel")),
    )
    if now is not None:
        q = q.where(AreaWarning.expires_at > now)
    q = q.order_by(AreaWarning.id.desc()).limit(limit)
    return list((await db.execute(q)).scalars())


async def published_messages(db: AsyncSession, limit: int = 100) -> list[AreaWarning]:
    """Every message ever published (alerts, updates, cancellations), newest first."""
    q = (
        select(AreaWarning)
        .where(AreaWarning.published_at.is_not(None))
        .order_by(AreaWarning.published_at.desc())
        .limit(limit)
    )
    return list((await db.execute(q)).scalars())


async def staff_names(db: AsyncSession, user_ids: set[int]) -> dict[int, str]:
    """The full names of the staff who drafted or approved warnings (for the staff screens)."""
    if not user_ids:
        return {}
    rows = await db.execute(select(User.id, User.full_name).where(User.id.in_(user_ids)))
    return {r.id: r.full_name for r in rows}
