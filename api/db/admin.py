"""SQL for the admin console's catalogue: agencies, categories and their supporting agencies,
areas (PostGIS checks an imported boundary) and routing rules, and the uniqueness and reference
checks every admin write makes before it touches anything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec
from sqlalchemy import exists, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import (
    Area,
    Category,
    RoutingRule,
    Team,
    User,
    category_supporting_agencies,
)
from api.domain.boundaries import Verdict

M = TypeVar("M")


async def all_rows(db: AsyncSession, model: type[M], order_by: Any, *where: Any) -> list[M]:
    """The rows of ``model`` that match every condition, in the given order."""
    return list((await db.execute(select(model).where(*where).order_by(order_by))).scalars())


async def any_row(db: AsyncSession, *where: Any) -> bool:
    """Whether a row matches every condition (all on one table)."""
    return bool((await db.execute(select(exists().where(*where)))).scalar())


async def value_taken(
    db: AsyncSession, column: Any, value: object, exclude_id: int | None = None
) -> bool:
    """Whether another row than ``exclude_id`` already holds ``value`` in a unique column."""
    where = [column == value]
    if exclude_id is not None:
        where.append(column.class_.id != exclude_id)
    return await any_row(db, *where)


async def rule_taken(db: AsyncSession, area_id: int, category_id: int | None) -> bool:
    """Whether the area already has a rule for this category (or for every category: None)."""
    same = (
        RoutingRule.category_id.is_(None)
        if category_id is None
        else RoutingRule.category_id == category_id
    )
    return await any_row(db, RoutingRule.area_id == area_id, same)


async def known_ids(db: AsyncSession, id_column: Any, ids: list[int]) -> set[int]:
    """The ids of ``ids`` that exist in ``id_column``'s table."""
    return set((await db.execute(select(id_column).where(id_column.in_(ids)))).scalars())


async def agency_in_use(db: AsyncSession, agency_id: int) -> bool:
    """Whether a category (leading or supporting), team or user refers to the agency."""
    return bool(
        (
            await db.execute(
                select(
                    exists().where(Category.agency_id == agency_id)
                    | exists().where(Team.agency_id == agency_id)
                    | exists().where(User.agency_id == agency_id)
                    | exists().where(category_supporting_agencies.c.agency_id == agency_id)
                )
            )
        ).scalar()
    )


# ------------------------------------------------------------ categories
class CategoryRow(msgspec.Struct):
    """A category with the ids of its supporting agencies (the admin's answer extends it)."""

    id: int
    code: str
    name_id: str
    name_en: str
    group: str
    agency_id: int
    priority: str
    sla_accept_min: int
    sla_arrive_min: int
    sla_resolve_min: int
    dedupe_radius_m: int
    photo_required: bool
    supporting_agency_ids: list[int]
    attributes: list[dict[str, Any]]
    active: bool
    sensitive: bool


async def supporting_agencies(db: AsyncSession, category_ids: list[int]) -> dict[int, list[int]]:
    """Category id -> its supporting agencies' ids, sorted."""
    t = category_supporting_agencies
    q = select(t).where(t.c.category_id.in_(category_ids)).order_by(t.c.agency_id)
    out: dict[int, list[int]] = {}
    for row in (await db.execute(q)).mappings():
        out.setdefault(row["category_id"], []).append(row["agency_id"])
    return out


async def category_rows(db: AsyncSession, *where: Any) -> list[CategoryRow]:
    """The categories that match every condition, by code, with their supporting agencies."""
    categories = await all_rows(db, Category, Category.code, *where)
    support = await supporting_agencies(db, [c.id for c in categories])
    own = {"supporting_agency_ids", "attributes"}
    taken = [f for f in CategoryRow.__struct_fields__ if f not in own]
    return [
        CategoryRow(
            **{f: getattr(c, f) for f in taken},
            supporting_agency_ids=support.get(c.id, []),
            attributes=list(c.attributes or []),
        )
        for c in categories
    ]


async def replace_supporting_agencies(db: AsyncSession, category_id: int, ids: list[int]) -> None:
    t = category_supporting_agencies
    await db.execute(t.delete().where(t.c.category_id == category_id))
    for aid in sorted(set(ids)):
        await db.execute(t.insert().values(category_id=category_id, agency_id=aid))


# ------------------------------------------------------------------ areas
@dataclass(frozen=True, slots=True)
class BoundaryCheck:
    """What PostGIS says of a GeoJSON polygon: valid (or why not), in range, inside the service
    area, and its EWKT as a MultiPolygon with every exterior ring counter-clockwise."""

    verdict: Verdict
    ewkt: str


_BOUNDARY_SQL = text(
    "SELECT ST_IsValid(g) AS valid, ST_IsValidReason(g) AS reason, "
    "ST_XMin(g) >= -180 AND ST_XMax(g) <= 180 AND ST_YMin(g) >= -90 "
    "AND ST_YMax(g) <= 90 AS in_range, "
    # GEOS cannot answer for an invalid geometry: it is refused for that first.
    "ST_IsValid(g) AND ST_CoveredBy(g, ST_MakeEnvelope(:min_lon, :min_lat, :max_lon, :max_lat, "
    "4326)) AS inside, "
    "ST_AsEWKT(ST_ForcePolygonCCW(ST_Multi(g))) AS ewkt "
    "FROM (SELECT ST_SetSRID(ST_GeomFromGeoJSON(:g), 4326) AS g) s"
)


async def check_boundary(
    db: AsyncSession, geojson: dict[str, Any], service_area: tuple[float, float, float, float]
) -> BoundaryCheck | None:
    """PostGIS's view of a GeoJSON geometry as a MultiPolygon, against the service area (min
    lon, min lat, max lon, max lat); None when it cannot read it."""
    min_lon, min_lat, max_lon, max_lat = service_area
    params = {
        "g": json.dumps(geojson),
        "min_lon": min_lon,
        "min_lat": min_lat,
        "max_lon": max_lon,
        "max_lat": max_lat,
    }
    try:
        async with db.begin_nested():
            row = (await db.execute(_BOUNDARY_SQL, params)).one()
    except DBAPIError:
        return None
    verdict = Verdict(bool(row.valid), str(row.reason), bool(row.in_range), bool(row.inside))
    return BoundaryCheck(verdict, str(row.ewkt))


@dataclass(frozen=True, slots=True)
class AreaRow:
    id: int
    name: str
    kind: str
    lat: float
    lon: float
    boundary: str | None  # GeoJSON text


async def area_rows(db: AsyncSession, area_id: int | None = None) -> list[AreaRow]:
    """Areas by name with their centre's coordinates and boundary as GeoJSON; one, or all."""
    centre = func.ST_GeomFromWKB(Area.center)
    q = select(
        Area.id,
        Area.name,
        Area.kind,
        func.ST_Y(centre).label("lat"),
        func.ST_X(centre).label("lon"),
        func.ST_AsGeoJSON(Area.boundary).label("boundary"),
    ).order_by(Area.name)
    if area_id is not None:
        q = q.where(Area.id == area_id)
    return [AreaRow(**row) for row in (await db.execute(q)).mappings()]
