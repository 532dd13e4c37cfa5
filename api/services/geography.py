"""The city's own geography for every map, and the gazetteer an operator searches to place a pin.

``city_geography`` answers one GeoJSON FeatureCollection: the service area's outline and every
area with a shape (real imported boundaries, else approximate cells derived from the kecamatan
centres, marked ``approximate``). The bytes carry an ETag so maps revalidate cheaply.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from api.config import Settings
from api.db import geography as q
from api.db.geography import PlaceRow
from api.domain.places import in_service_area, valid_coordinates
from api.errors import BadRequest, Conflict, NotFound, Unprocessable
from api.services.audit import Actor, record

PlaceKind = Literal["kecamatan", "kelurahan", "landmark"]


@dataclass(frozen=True, slots=True)
class Geography:
    body: bytes  # GeoJSON FeatureCollection
    etag: str


def _service_area_feature(bbox: tuple[float, float, float, float]) -> dict[str, object]:
    w, s, e, n = bbox
    ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {"kind": "service_area", "approximate": False},
    }


async def city_geography(db: AsyncSession, settings: Settings) -> Geography:
    """The service area and the areas (kecamatan, kelurahan) as GeoJSON, with a content ETag."""
    features: list[dict[str, object]] = [_service_area_feature(settings.city_bbox)]
    for a in await q.area_shapes(db, settings.city_bbox):
        features.append(
            {
                "type": "Feature",
                "id": a.id,
                "geometry": json.loads(a.geometry),
                "properties": {
                    "kind": a.kind,
                    "name": a.name,
                    "approximate": a.approximate,
                    "label": [a.label_lat, a.label_lon],
                },
            }
        )
    body = json.dumps(
        {"type": "FeatureCollection", "features": features},
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    return Geography(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')


# ------------------------------------------------------------------ gazetteer
async def search_places(db: AsyncSession, query: str, limit: int) -> list[PlaceRow]:
    """Active places matching ``query`` by prefix, substring or trigram similarity."""
    query = " ".join(query.split())
    if len(query) < 2:
        raise BadRequest("query_too_short")
    return await q.search_places(db, query, limit)


async def list_places(db: AsyncSession) -> list[PlaceRow]:
    """The whole gazetteer for the admin console, retired places included."""
    return await q.list_places(db)


async def add_place(
    db: AsyncSession,
    settings: Settings,
    *,
    name: str,
    kind: PlaceKind,
    lat: float,
    lon: float,
    area_id: int | None,
    by: Actor,
) -> PlaceRow:
    """Add a place to the gazetteer; it must lie in the service area and be new for its kind."""
    name = " ".join(name.split())
    if not name:
        raise BadRequest("validation_failed")
    if not valid_coordinates(lat, lon):
        raise BadRequest("invalid_coordinates")
    if not in_service_area(lat, lon, settings.city_bbox):
        raise Unprocessable("out_of_service_area", city=settings.city_name)
    if area_id is not None and not await q.area_exists(db, area_id):
        raise Unprocessable("unknown_reference", field="area_id")
    if await q.place_exists(db, name, kind):
        raise Conflict("place_exists")
    place_id = await q.insert_place(db, name, kind, lat, lon, area_id)
    place = await q.get_place(db, place_id)
    assert place is not None
    await record(db, by, "create", "place", place_id, after=place)
    return place


async def retire_place(db: AsyncSession, place_id: int, by: Actor) -> None:
    """Take a place out of the search; it stays for the record."""
    before = await q.get_place(db, place_id)
    if before is None or not await q.retire_place(db, place_id):
        raise NotFound()
    after = await q.get_place(db, place_id)
    await record(db, by, "deactivate", "place", place_id, before=before, after=after)
