"""An area's boundary as an admin uploads it (GeoJSON): what is wrong with it, in plain words.

PostGIS checks the geometry (``ST_IsValid``/``ST_IsValidReason``); these rules turn its answer
into one stable code the console shows beside the boundary field. A ring wound the wrong way is
not an error: it is normalised (exterior counter-clockwise, as RFC 7946 says). No I/O here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

BoundaryFault = Literal[
    "area_geojson_invalid", "area_self_intersecting", "area_outside_service_area"
]
SHAPES = frozenset({"Polygon", "MultiPolygon"})
_WHERE = re.compile(r"\[\s*(-?[0-9.eE+-]+)\s+(-?[0-9.eE+-]+)\s*\]")


def is_polygon(geojson: Any) -> bool:
    """A GeoJSON Polygon or MultiPolygon geometry object (its coordinates not yet checked)."""
    return isinstance(geojson, dict) and geojson.get("type") in SHAPES


@dataclass(frozen=True, slots=True)
class Verdict:
    """PostGIS's reading of a boundary: valid (or why not), in lon/lat range, and inside the
    service area."""

    valid: bool
    reason: str
    in_range: bool
    inside_service_area: bool


def fault(verdict: Verdict | None) -> BoundaryFault | None:
    """What is wrong with the boundary (None: nothing); ``None`` verdict: PostGIS could not read
    it as GeoJSON."""
    if verdict is None or not verdict.in_range:
        return "area_geojson_invalid"
    if not verdict.valid:
        reason = verdict.reason.lower()
        if "self-intersection" in reason or "self intersection" in reason:
            return "area_self_intersecting"
        return "area_geojson_invalid"
    if not verdict.inside_service_area:
        return "area_outside_service_area"
    return None


def where(reason: str) -> str:
    """The place PostGIS names in its reason (``Self-intersection[122.5 -4]``) as "lat, lon", or
    an empty string when it names none."""
    found = _WHERE.search(reason)
    if not found:
        return ""
    lon, lat = found.groups()
    return f"{float(lat):.5f}, {float(lon):.5f}"
