"""Plus Codes read by the API, for clients that carry no Plus Code library of their own (the PWA's
pin entry reads codes itself, in a lazily loaded chunk): a typed code answered as a place."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import get
from litestar.params import Parameter

from api.domain import pluscode
from api.routes.deps import Cfg
from api.services import pluscodes


class PlusCodeOut(msgspec.Struct):
    code: str  # the full code, upper case
    short: str  # shortened near the city centre when that recovers to it, else the full code
    lat: float  # the centre of the code's area
    lon: float
    bbox: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat


@get(
    "/api/pluscodes",
    summary="Read a Plus Code as a place (a short code is read near the city centre)",
    description=(
        "`code` is a full Plus Code (`6Q842G9C+X4`) or a short one, optionally followed by the "
        "city (`2G9C+X4 Kendari`); URL-encode the `+` as `%2B`. Answers the full code, its "
        "centre and its area; an unreadable code is a 400 `invalid_plus_code`."
    ),
    tags=["geography"],
    security=[],
)
async def read_plus_code(
    settings: Cfg, code: Annotated[str, Parameter(min_length=2, max_length=100)]
) -> PlusCodeOut:
    area = pluscodes.read(settings, code)
    full = pluscode.encode(area.lat, area.lon, area.length)
    return PlusCodeOut(
        full,
        pluscode.shorten(full, *settings.city_center) if area.length >= 8 else full,
        area.lat,
        area.lon,
        (area.west, area.south, area.east, area.north),
    )
