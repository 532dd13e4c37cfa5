"""Geography SQL: the city's areas as map features, and the gazetteer (named places).

Real boundaries come from ``areas.boundary`` (imported by an admin). A kecamatan without one gets
an approximate cell: the Voronoi cell of its centre among all kecamatan centres, clipped to the
service area and kept clear of every real boundary, so imported polygons always win.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Area, Place

# One statement: real polygons as they are; the rest as Voronoi cells of the kecamatan centres
# (ST_VoronoiPolygons with the service area as the extent), minus the real polygons.
_AREAS_SQL = text(
    """
    WITH service AS (
        SELECT ST_MakeEnvelope(:min_lon, :min_lat, :max_lon, :max_lat, 4326) AS g
    ),
    centres AS (
        SELECT id, center::geometry AS c FROM areas WHERE kind = 'kecamatan'
    ),
    real AS (
        SELECT ST_Union(boundary::geometry) AS g FROM areas WHERE boundary IS NOT NULL
    ),
    cells AS (
        SELECT (ST_Dump(ST_VoronoiPolygons(ST_Collect(c), 0.0, (SELECT g FROM service)))).geom
            AS cell
        FROM centres
    ),
    derived AS (
        SELECT DISTINCT ON (centres.id) centres.id, cells.cell
        FROM centres JOIN cells ON ST_Intersects(cells.cell, centres.c)
        ORDER BY centres.id
    )
    SELECT a.id, a.name, a.kind, a.boundary IS NULL AS approximate,
           ST_AsGeoJSON(shape, 6) AS geometry,
           ST_X(label) AS label_lon, ST_Y(label) AS label_lat
    FROM areas a
    LEFT JOIN derived d ON d.id = a.id
    CROSS JOIN service
    CROSS JOIN LATERAL (
        SELECT CASE
            WHEN a.boundary IS NOT NULL THEN a.boundary::geometry
            ELSE ST_Multi(ST_CollectionExtract(ST_Difference(
                ST_Intersection(d.cell, service.g),
                COALESCE((SELECT g FROM real), 'SRID=4326;POLYGON EMPTY'::geometry)
            ), 3))
        END AS shape
    ) s
    CROSS JOIN LATERAL (
        SELECT CASE
            WHEN ST_Intersects(shape, a.center::geometry) THEN a.center::geometry
            ELSE ST_PointOnSurface(shape)
        END AS label
    ) l
    WHERE shape IS NOT NULL AND NOT ST_IsEmpty(shape)
    ORDER BY a.kind, a.name
    """
)


@dataclass(frozen=True, slots=True)
class AreaShape:
    id: int
    name: str
    kind: str
    approximate: bool
    geometry: str  # GeoJSON text
    label_lat: float
    label_lon: float


async def area_shapes(db: AsyncSession, bbox: tuple[float, float, float, float]) -> list[AreaShape]:
    """Every area with a shape: real boundaries, else approximate cells (kecamatan only)."""
    min_lon, min_lat, max_lon, max_lat = bbox
    rows = await db.execute(
        _AREAS_SQL,
        {"min_lon": min_lon, "min_lat": min_lat, "max_lon": max_lon, "max_lat": max_lat},
    )
    return [
        AreaShape(
            r.id, r.name, r.kind, r.approximate, r.geometry, float(r.label_lat), float(r.label_lon)
        )
        for r in rows
    ]


# ------------------------------------------------------------------ gazetteer
@dataclass(frozen=True, slots=True)
class PlaceRow:
    id: int
    name: str
    kind: str
    lat: float
    lon: float
    area_id: int | None
    active: bool


def _place_columns() -> Sequence[Any]:
    return (
        Place.id,
        Place.name,
        Place.kind,
        func.ST_Y(func.ST_GeomFromWKB(Place.point)).label("lat"),
        func.ST_X(func.ST_GeomFromWKB(Place.point)).label("lon"),
        Place.area_id,
        Place.active,
    )


def _row(r: Any) -> PlaceRow:
    return PlaceRow(r.id, r.name, r.kind, r.lat, r.lon, r.area_id, r.active)


async def search_places(db: AsyncSession, query: str, limit: int) -> list[PlaceRow]:
    """Active places whose name starts with, contains or resembles ``query`` (pg_trgm), best
    first: a prefix match, then a substring, then by trigram similarity."""
    pattern = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    prefix = Place.name.ilike(f"{pattern}%", escape="\\")
    contains = Place.name.ilike(f"%{pattern}%", escape="\\")
    similar = Place.name.op("%", return_type=Boolean)(query)
    stmt = (
        select(*_place_columns())
        .where(Place.active, contains | similar)
        .order_by(
            prefix.desc(),
            contains.desc(),
            func.similarity(Place.name, query).desc(),
            Place.name,
        )
        .limit(limit)
    )
    return [_row(r) for r in await db.execute(stmt)]


async def list_places(db: AsyncSession) -> list[PlaceRow]:
    """Every place, retired ones too, for the admin console."""
    stmt = select(*_place_columns()).order_by(Place.kind, Place.name)
    return [_row(r) for r in await db.execute(stmt)]


async def get_place(db: AsyncSession, place_id: int) -> PlaceRow | None:
    row = (await db.execute(select(*_place_columns()).where(Place.id == place_id))).first()
    return _row(row) if row else None


async def place_exists(db: AsyncSession, name: str, kind: str) -> bool:
    stmt = select(Place.id).where(func.lower(Place.name) == name.lower(), Place.kind == kind)
    return (await db.execute(stmt)).first() is not None


async def area_exists(db: AsyncSession, area_id: int) -> bool:
    return (await db.execute(select(Area.id).where(Area.id == area_id))).first() is not None


async def insert_place(
    db: AsyncSession, name: str, kind: str, lat: float, lon: float, area_id: int | None
) -> int:
    place = Place(
        name=name, kind=kind, point=f"SRID=4326;POINT({lon} {lat})", area_id=area_id, active=True
    )
    db.add(place)
    await db.flush()
    return place.id


async def place_centres_of_kecamatan(db: AsyncSession) -> int:
    """Add each kecamatan centre missing from the gazetteer; how many were added."""
    done = await db.execute(
        text(
            "INSERT INTO places (name, kind, point, area_id) "
            "SELECT name, 'kecamatan', center, id FROM areas WHERE kind = 'kecamatan' "
            "ON CONFLICT DO NOTHING"
        )
    )
    return int(getattr(done, "rowcount", 0) or 0)


async def retire_place(db: AsyncSession, place_id: int) -> bool:
    done = await db.execute(
        update(Place).where(Place.id == place_id).values(active=False).returning(Place.id)
    )
    return done.first() is not None
