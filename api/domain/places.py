"""Where a case is: coordinate checks against the city's service area."""

from __future__ import annotations

import math


def valid_coordinates(lat: float, lon: float) -> bool:
    return (
        math.isfinite(lat)
        and math.isfinite(lon)
        and -90 <= lat <= 90
        and -180 <= lon <= 180
        # (0, 0) is the classic "GPS not ready" value, never a real report here.
        and not (lat == 0 and lon == 0)
    )


def in_service_area(lat: float, lon: float, bbox: tuple[float, float, float, float]) -> bool:
    """``bbox`` is (min lon, min lat, max lon, max lat)."""
    min_lon, min_lat, max_lon, max_lat = bbox
    return min_lon <= lon <= max_lon and min_lat <= lat <= max_lat
