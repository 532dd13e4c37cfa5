"""What the PWA needs before sign-in: the city, the map tiles and the Web Push public key."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, get

from api.adapters import keys
from api.routes.deps import Cfg


class CityOut(msgspec.Struct):
    code: str
    name: str
    timezone: str
    center: tuple[float, float]  # lat, lon
    bbox: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat


class MapOut(msgspec.Struct):
    tile_url: str
    attribution: str
    max_zoom: int


class PushOut(msgspec.Struct):
    public_key: str


class ConfigOut(msgspec.Struct):
    city: CityOut
    map: MapOut
    push: PushOut


@get(
    "/api/config",
    summary="Public settings for the app: city, map tiles, Web Push public key",
    tags=["config"],
    security=[],
    cache_control=None,
)
async def app_config(settings: Cfg, request: Request[Any, Any, Any]) -> ConfigOut:
    tile = settings.map_tile_url
    attribution = "© OpenStreetMap contributors" if "openstreetmap" in tile else ""
    return ConfigOut(
        city=CityOut(
            settings.city_code,
            settings.city_name,
            settings.city_timezone,
            settings.city_center,
            settings.city_bbox,
        ),
        map=MapOut(tile, attribution, 19),
        push=PushOut(
            getattr(request.app.state, "vapid_public_key", None)
            or keys.vapid_keys(settings).public_key
        ),
    )
