"""Parameter types shared by the route modules.

Each carries its bounds in its msgspec metadata, so a value out of range is refused with a 400
before any handler runs, and the OpenAPI schema shows the same bounds to clients.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

#: A database identifier: positive and within PostgreSQL's ``integer``.
Id = Annotated[int, msgspec.Meta(ge=1, le=2_147_483_647)]
#: WGS84 latitude in degrees.
Lat = Annotated[float, msgspec.Meta(ge=-90, le=90)]
#: WGS84 longitude in degrees.
Lon = Annotated[float, msgspec.Meta(ge=-180, le=180)]
#: A typed Plus Code, full or short with the city ("2G9C+X4 Kendari"), read by the API.
PlusCodeText = Annotated[str, msgspec.Meta(min_length=2, max_length=100)]


class MembersIn(msgspec.Struct, forbid_unknown_fields=True):
    """A team's members, set whole (by an admin for any team, by a coordinator for their own)."""

    user_ids: Annotated[list[Id], msgspec.Meta(max_length=200)]
