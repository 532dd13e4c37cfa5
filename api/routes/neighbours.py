"""Hand-off to the neighbours: the admin console's neighbour areas, the "outside the city" flag
of a point or a call, "transfer to neighbour" on a case, and the hand-off document (its
versioned JSON Schema, a case's export, and the import of an incoming one). Staff only, but for
the document's JSON Schema, which a neighbour builds to; no case is on a public surface here.

The use cases are in :mod:`api.services.neighbours` and :mod:`api.services.handoff`."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromPath, JSONBody
from litestar.types import ControllerRouterHandler

from api.auth import requires_login, requires_roles
from api.domain import handoff as doc
from api.domain.vocabulary import CALL_LOG_ROLES, HANDOFF_ROLES, INTAKE_ROLES
from api.routes.admin import AREA_BODY_LIMIT, AdminController, fields, patch_of
from api.routes.deps import By, Cfg, CurrentUser, Db, Lang, Now, post_ok
from api.routes.params import Id, Lat, Lon
from api.services import handoff, neighbours
from api.services.handoff import HandoffOut, ImportedOut
from api.services.idempotency import idempotent
from api.services.neighbours import NeighbourOut, OutsideFlag

__all__ = ["HANDLERS"]

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Contact = Annotated[str, msgspec.Meta(max_length=32)]
Note = Annotated[str, msgspec.Meta(max_length=4000)]


class NeighbourIn(msgspec.Struct, forbid_unknown_fields=True):
    name_id: Name
    name_en: Name
    # GeoJSON Polygon or MultiPolygon geometry (RFC 7946, lon/lat).
    boundary: dict[str, Any]
    approximate: bool = False
    # The neighbour control room's contacts: each optional, empty when unknown.
    contact_112: Contact = ""
    contact_phone: Contact = ""
    contact_email: Annotated[str, msgspec.Meta(max_length=200)] = ""
    contact_radio: Annotated[str, msgspec.Meta(max_length=100)] = ""


if TYPE_CHECKING:  # made at run time below; the type checker sees the struct it is
    NeighbourPatch: TypeAlias = msgspec.Struct
else:
    NeighbourPatch = patch_of(NeighbourIn, "NeighbourPatch")


class NeighbourController(AdminController):
    """The regions next to the city, for hand-offs; admins only."""

    path = "/api/admin/neighbours"
    request_max_body_size = AREA_BODY_LIMIT

    @get("/", summary="List neighbouring regions")
    async def list_neighbours(self, db: Db) -> list[NeighbourOut]:
        return await neighbours.list_neighbours(db)

    @get("/{neighbour_id:int}", summary="One neighbouring region")
    async def get_neighbour(self, db: Db, neighbour_id: FromPath[int]) -> NeighbourOut:
        return await neighbours.get_neighbour(db, neighbour_id)

    @post("/", summary="Import a neighbouring region: its polygon as GeoJSON and its contacts")
    async def create_neighbour(
        self, db: Db, actor: By, data: JSONBody[NeighbourIn]
    ) -> NeighbourOut:
        return await neighbours.create_neighbour(db, fields(data), actor)

    @patch("/{neighbour_id:int}", summary="Change a neighbouring region")
    async def update_neighbour(
        self, db: Db, actor: By, neighbour_id: FromPath[int], data: JSONBody[NeighbourPatch]
    ) -> NeighbourOut:
        return await neighbours.update_neighbour(db, neighbour_id, fields(data), actor)

    @delete("/{neighbour_id:int}", summary="Delete a neighbouring region")
    async def delete_neighbour(self, db: Db, actor: By, neighbour_id: FromPath[int]) -> None:
        await neighbours.delete_neighbour(db, neighbour_id, actor)


class OutsideOut(msgspec.Struct):
    """Whether a point is outside the city's service area; ``flag`` says where, when it is."""

    outside: bool
    flag: OutsideFlag | None


class HandoffIn(msgspec.Struct, forbid_unknown_fields=True):
    neighbour_id: Id
    note: Note = ""


class HandoffController(Controller):
    """The hand-off document and the outside flag, for staff."""

    path = "/api"
    tags = ["handoff"]
    guards = [requires_login]

    @get(
        "/neighbours/outside",
        summary="Whether a point is outside the city, and the neighbour it falls in",
        guards=[requires_roles(*CALL_LOG_ROLES)],
    )
    async def outside_at(self, db: Db, settings: Cfg, lang: Lang, lat: Lat, lon: Lon) -> OutsideOut:
        flag = await neighbours.outside(db, settings, lat, lon, lang)
        return OutsideOut(flag is not None, flag)

    @get(
        "/calls/{call_id:int}/outside",
        summary="Whether a call's location is outside the city, and the neighbour it falls in",
        guards=[requires_roles(*CALL_LOG_ROLES)],
    )
    async def call_outside(
        self, db: Db, settings: Cfg, lang: Lang, call_id: FromPath[int]
    ) -> OutsideOut:
        flag = await neighbours.call_outside(db, settings, call_id, lang)
        return OutsideOut(flag is not None, flag)

    @get(
        "/cases/{case_id:uuid}/handoff-document",
        summary="The case as a hand-off document (version 1), nothing recorded",
        guards=[requires_roles(*HANDOFF_ROLES)],
    )
    async def export(
        self, db: Db, settings: Cfg, principal: CurrentUser, case_id: FromPath[uuid.UUID]
    ) -> dict[str, Any]:
        return await handoff.document(db, settings, principal, case_id)

    @post_ok(
        "/cases/{case_id:uuid}/handoff",
        summary="Transfer a case to a neighbouring region: recorded, and answered with the "
        "hand-off document to send",
        description="Honours Idempotency-Key: a retried request gets the first answer.",
        guards=[requires_roles(*HANDOFF_ROLES)],
    )
    async def transfer(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        settings: Cfg,
        principal: CurrentUser,
        now: Now,
        case_id: FromPath[uuid.UUID],
        data: JSONBody[HandoffIn],
    ) -> HandoffOut:
        async def run() -> HandoffOut:
            note = data.note.strip()
            return await handoff.transfer(
                db, settings, principal, case_id, data.neighbour_id, note, now
            )

        # A retried request (same Idempotency-Key) gets the first answer, not a second hand-off.
        return await idempotent(request, db, principal.user_id, HandoffOut, run)

    @post(
        "/handoff/import",
        summary="Import a neighbour's hand-off document (version 1) as a case",
        status_code=201,
        guards=[requires_roles(*INTAKE_ROLES)],
    )
    async def import_document(
        self, db: Db, settings: Cfg, principal: CurrentUser, now: Now, data: JSONBody[Any]
    ) -> ImportedOut:
        return await handoff.import_document(db, settings, principal, data, now)


@get(
    doc.SCHEMA_PATH,
    summary="The hand-off document's JSON Schema, version 1 (public: a neighbour builds to it)",
    tags=["handoff"],
    security=[],
    media_type="application/schema+json",
)
async def handoff_schema_v1() -> dict[str, Any]:
    return doc.SCHEMA_V1


HANDLERS: list[ControllerRouterHandler] = [
    NeighbourController,
    HandoffController,
    handoff_schema_v1,
]
