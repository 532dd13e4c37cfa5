"""The admin console's areas (kecamatan, kelurahan): a centre, and a boundary imported as GeoJSON
that PostGIS checks before it is stored (readable, not crossing itself, inside the service area;
rings wound the wrong way are turned, not refused). Each answers the area as stored
(:class:`AreaRow`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.db import admin as q
from api.db.admin import AreaRow
from api.db.models import Area
from api.domain import boundaries
from api.errors import field_error
from api.services.admin import Fields, add, delete_row, ensure_unique, get_or_404
from api.services.audit import Actor, record

Bbox = tuple[float, float, float, float]  # the service area: min lon, min lat, max lon, max lat


def _point_ewkt(p: dict[str, float]) -> str:
    return f"SRID=4326;POINT({p['lon']} {p['lat']})"


async def boundary_ewkt(
    db: AsyncSession, geojson: dict[str, Any] | None, service_area: Bbox
) -> str | None:
    """Check a GeoJSON polygon in PostGIS and return it as an EWKT MultiPolygon, its rings wound
    counter-clockwise; refused (422 naming the ``boundary`` field) in plain words when it is
    unreadable, crosses itself or leaves the service area."""
    if geojson is None:
        return None
    if not boundaries.is_polygon(geojson):
        raise field_error("area_geojson_invalid", "boundary")
    check = await q.check_boundary(db, geojson, service_area)
    fault = boundaries.fault(check.verdict if check else None)
    if fault is not None or check is None:
        where = boundaries.where(check.verdict.reason) if check else ""
        raise field_error(fault or "area_geojson_invalid", "boundary", where=where)
    return check.ewkt


async def _saved(db: AsyncSession, area: Area, changes: Fields, service_area: Bbox) -> AreaRow:
    """Apply a create's or change's fields to the area, and answer it as stored."""
    await ensure_unique(db, Area.name, changes.get("name"), "area", area.id)
    if "boundary" in changes:
        area.boundary = await boundary_ewkt(db, changes["boundary"], service_area)
    if "center" in changes:
        area.center = _point_ewkt(changes["center"])
    for field in ("name", "kind"):
        if field in changes:
            setattr(area, field, changes[field])
    if area.id is None:
        await add(db, area)
    await db.flush()
    return (await q.area_rows(db, area.id))[0]


async def list_areas(db: AsyncSession) -> list[AreaRow]:
    return await q.area_rows(db)


async def get_area(db: AsyncSession, area_id: int) -> AreaRow:
    await get_or_404(db, Area, area_id)
    return (await q.area_rows(db, area_id))[0]


async def create_area(db: AsyncSession, fields: Fields, by: Actor, service_area: Bbox) -> AreaRow:
    """A new area; its boundary (GeoJSON Polygon or MultiPolygon) is optional."""
    out = await _saved(db, Area(boundary=None), fields, service_area)
    await record(db, by, "create", "area", out.id, after=out)
    return out


async def update_area(
    db: AsyncSession, area_id: int, changes: Fields, by: Actor, service_area: Bbox
) -> AreaRow:
    area = await get_or_404(db, Area, area_id)
    before = (await q.area_rows(db, area_id))[0]
    out = await _saved(db, area, changes, service_area)
    await record(db, by, "update", "area", area_id, before=before, after=out)
    return out


async def delete_area(db: AsyncSession, area_id: int, by: Actor) -> None:
    before = (await q.area_rows(db, area_id))[0] if await db.get(Area, area_id) else None
    await delete_row(db, Area, area_id)
    await record(db, by, "delete", "area", area_id, before=before)
