"""Plus Codes at the edge of the API: a typed code read as a point (short codes near the city
centre) for intake, citizen reports and ``GET /api/pluscodes``. The algorithm is
:mod:`api.domain.pluscode`.
"""

from __future__ import annotations

from api.config import Settings
from api.domain import pluscode
from api.errors import BadRequest


def read(settings: Settings, text: str) -> pluscode.CodeArea:
    """The area of a typed Plus Code, full or short (read near the city centre), or a 400."""
    try:
        return pluscode.resolve(text, *settings.city_center)
    except pluscode.InvalidPlusCode:
        raise BadRequest("invalid_plus_code") from None


def located(
    settings: Settings, lat: float | None, lon: float | None, plus_code: str | None
) -> tuple[float, float]:
    """Where a new case is: its coordinates, or the centre of its Plus Code; exactly one."""
    if plus_code is None:
        if lat is None or lon is None:
            raise BadRequest("location_required")
        return lat, lon
    if lat is not None or lon is not None:
        raise BadRequest("location_given_twice")
    area = read(settings, plus_code)
    return area.lat, area.lon
