"""The city's geography for every map (GeoJSON, cacheable) and the gazetteer search.

Both are public: the citizen report map draws the same kecamatan layer as the control room, and
the citizen may search the same named places. Neither holds personal data.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get
from litestar.openapi import ResponseSpec
from litestar.params import Parameter

from api.db.geography import PlaceRow
from api.domain.photos import etag_matches
from api.routes.cases import GeoJsonFeatureCollection
from api.routes.deps import Cfg, ReadDb
from api.services import geography

# Shared caches may keep the layer for five minutes; after that a 304 costs one small request.
GEOGRAPHY_CACHE = "public, max-age=300, must-revalidate"


class PlaceHit(msgspec.Struct):
    id: int
    name: str
    kind: str
    lat: float
    lon: float

    @classmethod
    def of(cls, p: PlaceRow) -> PlaceHit:
        return cls(p.id, p.name, p.kind, p.lat, p.lon)


@get(
    "/api/geography",
    summary="The city's areas and service area as GeoJSON (approximate cells are marked)",
    description=(
        "A FeatureCollection: one `service_area` polygon, then every kecamatan (and kelurahan) "
        "with `name`, `kind`, `label` [lat, lon] and `approximate` (true for a cell derived from "
        "the kecamatan centres while no real boundary is imported). Answers 304 to a matching "
        "`If-None-Match`."
    ),
    tags=["geography"],
    security=[],
    media_type="application/geo+json",
    responses={304: ResponseSpec(None, description="Not modified: the layer has the same ETag")},
)
async def city_geography(
    read_db: ReadDb, settings: Cfg, request: Request[Any, Any, Any]
) -> Response[GeoJsonFeatureCollection]:
    geo = await geography.city_geography(read_db, settings)
    headers = {"ETag": geo.etag, "Cache-Control": GEOGRAPHY_CACHE}
    if etag_matches(request.headers.get("if-none-match"), geo.etag):
        return Response(b"", status_code=304, headers=headers)  # type: ignore[arg-type]
    # Already JSON; the annotation documents its shape in OpenAPI.
    return Response(geo.body, media_type="application/geo+json", headers=headers)  # type: ignore[arg-type]


@get(
    "/api/places",
    summary="Search the gazetteer: kecamatan, kelurahan and landmarks by name",
    tags=["geography"],
    security=[],
)
async def search_places(
    read_db: ReadDb,
    q: Annotated[str, Parameter(min_length=1, max_length=100)],
    limit: Annotated[int, Parameter(ge=1, le=50)] = 10,
) -> list[PlaceHit]:
    return [PlaceHit.of(p) for p in await geography.search_places(read_db, q, limit)]
