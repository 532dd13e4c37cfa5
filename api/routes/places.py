"""Admin API for the gazetteer: add kelurahan and landmarks, list them, retire them. Admin only."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import delete, get, post
from litestar.params import FromPath, JSONBody

from api.db.geography import PlaceRow
from api.routes.admin import AdminController
from api.routes.deps import By, Cfg, Db
from api.routes.params import Id, Lat, Lon
from api.services import geography
from api.services.geography import PlaceKind

PlaceName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class PlaceIn(msgspec.Struct, forbid_unknown_fields=True):
    name: PlaceName
    kind: PlaceKind
    lat: Lat
    lon: Lon
    area_id: Id | None = None


class PlaceController(AdminController):
    path = "/api/admin/places"

    @get("/", summary="List the gazetteer, retired places included")
    async def list_places(self, db: Db) -> list[PlaceRow]:
        return await geography.list_places(db)

    @post("/", summary="Add a kelurahan or a landmark (a point inside the service area)")
    async def create_place(
        self, db: Db, settings: Cfg, actor: By, data: JSONBody[PlaceIn]
    ) -> PlaceRow:
        return await geography.add_place(db, settings, **msgspec.structs.asdict(data), by=actor)

    @delete("/{place_id:int}", summary="Retire a place: it leaves the search, kept for history")
    async def retire_place(self, db: Db, actor: By, place_id: FromPath[int]) -> None:
        await geography.retire_place(db, place_id, actor)
