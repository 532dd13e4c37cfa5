"""The city's neighbours: the admin console's neighbour areas (a polygon, names, whether it is
approximate, the neighbour control room's contacts), and the "outside the city" flag a call or
case located beyond the city's areas carries, with the neighbour it falls in.

A neighbour's polygon is checked in PostGIS as an area's is (readable, not crossing itself),
anywhere on the globe; every admin change is audited."""

from __future__ import annotations

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import Settings
from api.db import neighbours as q
from api.db.models import NeighbourArea
from api.db.neighbours import NeighbourOut
from api.domain.places import in_service_area, valid_coordinates
from api.errors import NotFound
from api.i18n import t
from api.services.admin import Fields, add, delete_row, ensure_unique, get_or_404
from api.services.areas import boundary_ewkt
from api.services.audit import Actor, record

#: A neighbour lies outside the city: its polygon is checked against the whole globe.
WORLD = (-180.0, -90.0, 180.0, 90.0)
FIELDS = (
    "name_id",
    "name_en",
    "approximate",
    "contact_112",
    "contact_phone",
    "contact_email",
    "contact_radio",
)


class NeighbourRef(msgspec.Struct):
    """The neighbour a point falls in (``name`` in the caller's language, both names for a
    screen that switches language), and how to reach its control room (empty: unknown)."""

    id: int
    name: str
    name_id: str
    name_en: str
    approximate: bool
    contact_112: str
    contact_phone: str
    contact_email: str
    contact_radio: str


class OutsideFlag(msgspec.Struct):
    """A call or case located outside the city's service area: the city's name, the neighbour
    it falls in (None: in no known neighbour), and the flag in words, in the caller's language
    ("Di luar Kendari: lokasi ini di Kabupaten Konawe.")."""

    city: str
    neighbour: NeighbourRef | None
    message: str


async def _saved(db: AsyncSession, area: NeighbourArea, changes: Fields) -> NeighbourOut:
    await ensure_unique(
        db, NeighbourArea.name_id, changes.get("name_id"), "neighbour_area", area.id
    )
    if "boundary" in changes:
        area.boundary = await boundary_ewkt(db, changes["boundary"], WORLD)
    for field in FIELDS:
        if field in changes:
            setattr(area, field, changes[field])
    if area.id is None:
        await add(db, area)
    await db.flush()
    return (await q.neighbour_rows(db, area.id))[0]


async def list_neighbours(db: AsyncSession) -> list[NeighbourOut]:
    return await q.neighbour_rows(db)


async def get_neighbour(db: AsyncSession, neighbour_id: int) -> NeighbourOut:
    await get_or_404(db, NeighbourArea, neighbour_id)
    return (await q.neighbour_rows(db, neighbour_id))[0]


async def create_neighbour(db: AsyncSession, fields: Fields, by: Actor) -> NeighbourOut:
    """A new neighbour; its polygon (GeoJSON Polygon or MultiPolygon) is required."""
    out = await _saved(db, NeighbourArea(), fields)
    await record(db, by, "create", "neighbour_area", out.id, after=out)
    return out


async def update_neighbour(
    db: AsyncSession, neighbour_id: int, changes: Fields, by: Actor
) -> NeighbourOut:
    area = await get_or_404(db, NeighbourArea, neighbour_id)
    before = await get_neighbour(db, neighbour_id)
    out = await _saved(db, area, changes)
    await record(db, by, "update", "neighbour_area", neighbour_id, before=before, after=out)
    return out


async def delete_neighbour(db: AsyncSession, neighbour_id: int, by: Actor) -> None:
    before = await get_neighbour(db, neighbour_id)
    await delete_row(db, NeighbourArea, neighbour_id)
    await record(db, by, "delete", "neighbour_area", neighbour_id, before=before)


def neighbour_ref(row: NeighbourOut, lang: str) -> NeighbourRef:
    return NeighbourRef(
        row.id,
        row.name_en if lang == "en" else row.name_id,
        row.name_id,
        row.name_en,
        row.approximate,
        row.contact_112,
        row.contact_phone,
        row.contact_email,
        row.contact_radio,
    )


async def outside(
    db: AsyncSession, settings: Settings, lat: float | None, lon: float | None, lang: str
) -> OutsideFlag | None:
    """The flag for a point outside the city, with the neighbour it falls in; None inside the
    city, or with no usable point.

    Outside is beyond the service area (the city's bounding box, as intake's ``out_of_area``
    has it) or inside a neighbour's polygon: the box is a rectangle that takes in some of the
    neighbours' land, and an imported official boundary knows better."""
    if lat is None or lon is None or not valid_coordinates(lat, lon):
        return None
    found = await q.neighbour_at(db, lon, lat)
    if found is None and in_service_area(lat, lon, settings.city_bbox):
        return None
    city = settings.city_name
    if found is None:
        return OutsideFlag(city, None, t("outside_city", lang, city=city))
    ref = neighbour_ref(found, lang)
    said = t("outside_city_in_neighbour", lang, city=city, neighbour=ref.name)
    return OutsideFlag(city, ref, said)


async def call_outside(
    db: AsyncSession, settings: Settings, call_id: int, lang: str
) -> OutsideFlag | None:
    """The flag for a call whose location is outside the city (404: no such call)."""
    point = await q.call_point(db, call_id)
    if not point.found:
        raise NotFound("not_found")
    return await outside(db, settings, point.lat, point.lon, lang)
