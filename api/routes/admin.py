"""Admin API: agencies, categories, areas, teams (and membership), users and routing rules.
Admin only.

The handlers parse and answer; the use cases are in :mod:`api.services.admin` (catalogue),
:mod:`api.services.areas`, :mod:`api.services.teams` and :mod:`api.services.users`. Every write
validates references before touching anything, so bad input gives a 4xx problem-details answer
and changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

import msgspec
from litestar import Controller, delete, get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from api.auth import requires_roles
from api.db.admin import AreaRow, CategoryRow
from api.domain.vocabulary import Priority, Role
from api.routes.deps import SHOWN_ONCE, By, Cfg, Db, Lang, post_ok
from api.routes.params import Id, Lat, Lon, MembersIn
from api.services import admin, areas, teams, users
from api.services.admin import AgencyOut, RoutingRuleOut
from api.services.cases import RoutingPreview, routing_preview
from api.services.results import result
from api.services.teams import TeamOut
from api.services.users import PasswordShownOnce, UserCreated, UserOut

__all__ = ["CONTROLLERS", "AdminController"]

Code = Annotated[str, msgspec.Meta(pattern=r"^[A-Z][A-Z0-9_]{1,47}$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
ShortName = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Minutes = Annotated[int, msgspec.Meta(ge=1, le=525_600)]
Radius = Annotated[int, msgspec.Meta(ge=0, le=10_000)]
Username = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9._-]{2,63}$")]
Password = Annotated[str, msgspec.Meta(min_length=8, max_length=256)]
UNSET: Any = msgspec.UNSET


def fields(data: msgspec.Struct) -> dict[str, Any]:
    """A parsed body as plain data for a use case: only the fields sent (unset ones left out)."""
    return msgspec.to_builtins(data)  # type: ignore[no-any-return]


def patch_of(body: type[msgspec.Struct], name: str, skip: tuple[str, ...] = ()) -> Any:
    """The body of a change to what ``body`` creates: its fields (but ``skip``) with the same
    bounds, each optional and UNSET when not sent, so a change names only what it changes."""
    wanted = [f for f in msgspec.structs.fields(body) if f.name not in skip]
    return msgspec.defstruct(
        name,
        [(f.name, f.type, UNSET) for f in wanted],
        forbid_unknown_fields=True,
        module=__name__,
    )


class AdminController(Controller):
    """The admin console's resources: tagged ``admin``, for admins only."""

    tags = ["admin"]
    guards = [requires_roles("admin")]


# ---------------------------------------------------------------- agencies
class AgencyIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    name_id: Name
    name_en: Name
    kind: Literal["opd", "partner"] = "opd"
    notes: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    active: bool = True


class AgencyController(AdminController):
    path = "/api/admin/agencies"

    @get("/", summary="List agencies")
    async def list_agencies(self, db: Db) -> list[AgencyOut]:
        return await admin.list_agencies(db)

    @get("/{agency_id:int}", summary="One agency")
    async def get_agency(self, db: Db, agency_id: FromPath[int]) -> AgencyOut:
        return await admin.get_agency(db, agency_id)

    @post("/", summary="Create an agency")
    async def create_agency(self, db: Db, actor: By, data: JSONBody[AgencyIn]) -> AgencyOut:
        return await admin.create_agency(db, fields(data), actor)

    @patch("/{agency_id:int}", summary="Change an agency")
    async def update_agency(
        self, db: Db, actor: By, agency_id: FromPath[int], data: JSONBody[AgencyPatch]
    ) -> AgencyOut:
        return await admin.update_agency(db, agency_id, fields(data), actor)

    @delete("/{agency_id:int}", summary="Delete an agency that nothing refers to")
    async def delete_agency(self, db: Db, actor: By, agency_id: FromPath[int]) -> None:
        await admin.delete_agency(db, agency_id, actor)


# -------------------------------------------------------------- categories
Words = Annotated[str, msgspec.Meta(max_length=2000)]


class AttributeValue(msgspec.Struct, forbid_unknown_fields=True):
    """One answer of a list question: its key and its name in both languages (``name``, as
    Open311 spells it, is taken for both)."""

    key: Words = ""
    name_id: Words = ""
    name_en: Words = ""
    name: Words = ""


class Attribute(msgspec.Struct, forbid_unknown_fields=True):
    """An Open311 attribute: an extra question asked when reporting this category. Checked by
    the use case (:mod:`api.domain.questions`), so every fault is named beside its field
    (``attributes[2].code``); ``description``, as Open311 spells it, is taken for both
    languages."""

    code: Words = ""
    datatype: Literal[
        "string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"
    ] = "string"
    required: bool = False
    description_id: Words = ""
    description_en: Words = ""
    description: Words = ""
    values: list[AttributeValue] = []


class CategoryIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    name_id: Name
    name_en: Name
    group: Annotated[str, msgspec.Meta(pattern=r"^[a-z_]{2,32}$")]
    agency_id: Id
    priority: Priority
    sla_accept_min: Minutes
    sla_arrive_min: Minutes
    sla_resolve_min: Minutes
    dedupe_radius_m: Radius = 100
    photo_required: bool = False
    supporting_agency_ids: list[Id] = []
    attributes: list[Attribute] = []
    active: bool = True
    # About a person rather than a place: its cases appear on no public surface.
    sensitive: bool = False


class CategoryOut(CategoryRow):
    @classmethod
    def of(cls, row: CategoryRow) -> CategoryOut:
        return result(cls, row)


class CategoryController(AdminController):
    path = "/api/admin/categories"

    @get("/", summary="List categories")
    async def list_categories(self, db: Db) -> list[CategoryOut]:
        return [CategoryOut.of(row) for row in await admin.list_categories(db)]

    @get("/{category_id:int}", summary="One category")
    async def get_category(self, db: Db, category_id: FromPath[int]) -> CategoryOut:
        return CategoryOut.of(await admin.get_category(db, category_id))

    @post("/", summary="Create a category")
    async def create_category(self, db: Db, actor: By, data: JSONBody[CategoryIn]) -> CategoryOut:
        return CategoryOut.of(await admin.create_category(db, fields(data), actor))

    @patch("/{category_id:int}", summary="Change a category")
    async def update_category(
        self, db: Db, actor: By, category_id: FromPath[int], data: JSONBody[CategoryPatch]
    ) -> CategoryOut:
        changed = await admin.update_category(db, category_id, fields(data), actor)
        return CategoryOut.of(changed)

    @delete("/{category_id:int}", summary="Retire a category (kept for history)")
    async def delete_category(self, db: Db, actor: By, category_id: FromPath[int]) -> None:
        await admin.retire_category(db, category_id, actor)


# ------------------------------------------------------------------- areas
class Point(msgspec.Struct, forbid_unknown_fields=True):
    lat: Lat
    lon: Lon


class AreaIn(msgspec.Struct, forbid_unknown_fields=True):
    name: ShortName
    center: Point
    # GeoJSON Polygon or MultiPolygon geometry (RFC 7946, lon/lat).
    boundary: dict[str, Any] | None = None
    kind: Literal["kecamatan", "kelurahan"] = "kecamatan"


class AreaOut(msgspec.Struct):
    id: int
    name: str
    kind: str
    center: Point
    boundary: dict[str, Any] | None

    @classmethod
    def of(cls, row: AreaRow) -> AreaOut:
        boundary = msgspec.json.decode(row.boundary) if row.boundary else None
        return cls(row.id, row.name, row.kind, Point(lat=row.lat, lon=row.lon), boundary)


# A district's boundary (GeoJSON) can outgrow the default body limit; admins only.
AREA_BODY_LIMIT = 4 * 1024 * 1024


class AreaController(AdminController):
    path = "/api/admin/areas"
    request_max_body_size = AREA_BODY_LIMIT

    @get("/", summary="List areas (kecamatan)")
    async def list_areas(self, db: Db) -> list[AreaOut]:
        return [AreaOut.of(row) for row in await areas.list_areas(db)]

    @get("/{area_id:int}", summary="One area")
    async def get_area(self, db: Db, area_id: FromPath[int]) -> AreaOut:
        return AreaOut.of(await areas.get_area(db, area_id))

    @post("/", summary="Create an area, optionally with its boundary as GeoJSON")
    async def create_area(
        self, db: Db, settings: Cfg, actor: By, data: JSONBody[AreaIn]
    ) -> AreaOut:
        created = await areas.create_area(db, fields(data), actor, settings.city_bbox)
        return AreaOut.of(created)

    @patch("/{area_id:int}", summary="Change an area")
    async def update_area(
        self, db: Db, settings: Cfg, actor: By, area_id: FromPath[int], data: JSONBody[AreaPatch]
    ) -> AreaOut:
        changed = await areas.update_area(db, area_id, fields(data), actor, settings.city_bbox)
        return AreaOut.of(changed)

    @delete("/{area_id:int}", summary="Delete an area")
    async def delete_area(self, db: Db, actor: By, area_id: FromPath[int]) -> None:
        await areas.delete_area(db, area_id, actor)


# ------------------------------------------------------------------- teams
class TeamIn(msgspec.Struct, forbid_unknown_fields=True):
    agency_id: Id
    name: ShortName
    on_duty: bool = False
    member_ids: list[Id] = []


class TeamController(AdminController):
    path = "/api/admin/teams"

    @get("/", summary="List teams")
    async def list_teams(self, db: Db, agency_id: FromQuery[int | None] = None) -> list[TeamOut]:
        return await teams.list_teams(db, agency_id)

    @get("/{team_id:int}", summary="One team")
    async def get_team(self, db: Db, team_id: FromPath[int]) -> TeamOut:
        return await teams.get_team(db, team_id)

    @post("/", summary="Create a team")
    async def create_team(self, db: Db, actor: By, data: JSONBody[TeamIn]) -> TeamOut:
        return await teams.create_team(db, fields(data), actor)

    @patch("/{team_id:int}", summary="Rename a team or set it on/off duty")
    async def update_team(
        self, db: Db, actor: By, team_id: FromPath[int], data: JSONBody[TeamPatch]
    ) -> TeamOut:
        return await teams.update_team(db, team_id, fields(data), actor)

    @put("/{team_id:int}/members", summary="Replace a team's members")
    async def set_members(
        self, db: Db, actor: By, team_id: FromPath[int], data: JSONBody[MembersIn]
    ) -> TeamOut:
        return await teams.replace_members(db, team_id, data.user_ids, actor)

    @delete("/{team_id:int}", summary="Delete a team")
    async def delete_team(self, db: Db, actor: By, team_id: FromPath[int]) -> None:
        await teams.delete_team(db, team_id, actor)


# ------------------------------------------------------------------- users
class UserIn(msgspec.Struct, forbid_unknown_fields=True):
    username: Username
    full_name: Name
    role: Role
    # Left out: a random one is made and answered once (``UserCreated.password``).
    password: Password | None = None
    agency_id: Id | None = None
    phone: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    language: Literal["id", "en"] = "id"
    active: bool = True


class UserController(AdminController):
    path = "/api/admin/users"

    @get("/", summary="List users: by role, agency, active, and username or full name (q)")
    async def list_users(
        self,
        db: Db,
        role: FromQuery[str | None] = None,
        agency_id: FromQuery[int | None] = None,
        q: Annotated[str | None, QueryParameter(max_length=100)] = None,
        active: FromQuery[bool | None] = None,
    ) -> list[UserOut]:
        return await users.list_users(db, role, agency_id, text=q, active=active)

    @get("/{user_id:int}", summary="One user")
    async def get_user(self, db: Db, user_id: FromPath[int]) -> UserOut:
        return await users.get_user(db, user_id)

    @post(
        "/",
        summary="Create a user; without a password one is made and shown once",
        cache_control=SHOWN_ONCE,
    )
    async def create_user(self, db: Db, actor: By, data: JSONBody[UserIn]) -> UserCreated:
        return await users.create_user(db, fields(data), actor)

    @patch("/{user_id:int}", summary="Change a user; a new password or deactivation signs them out")
    async def update_user(
        self, db: Db, actor: By, user_id: FromPath[int], data: JSONBody[UserPatch]
    ) -> UserOut:
        return await users.update_user(db, user_id, fields(data), actor)

    @delete("/{user_id:int}", summary="Deactivate a user and revoke their sessions")
    async def deactivate_user(self, db: Db, actor: By, user_id: FromPath[int]) -> None:
        await users.deactivate_user(db, user_id, actor)

    @post_ok("/{user_id:int}/reactivate", summary="Let a deactivated user sign in again")
    async def reactivate_user(self, db: Db, actor: By, user_id: FromPath[int]) -> UserOut:
        return await users.reactivate_user(db, user_id, actor)

    @post_ok(
        "/{user_id:int}/reset-password",
        summary="A new random password, shown once; every session of the user is revoked",
        cache_control=SHOWN_ONCE,
    )
    async def reset_password(self, db: Db, actor: By, user_id: FromPath[int]) -> PasswordShownOnce:
        return await users.reset_password(db, user_id, actor)


# ----------------------------------------------------------- routing rules
class RoutingRuleIn(msgspec.Struct, forbid_unknown_fields=True):
    area_id: Id
    category_id: Id | None = None
    agency_id: Id | None = None
    team_id: Id | None = None
    note: Annotated[str, msgspec.Meta(max_length=500)] = ""


class RoutingPreviewIn(msgspec.Struct, forbid_unknown_fields=True):
    category_id: Id
    lat: Lat
    lon: Lon


class RoutingRuleController(AdminController):
    """Area rules: in a kecamatan, send a category (or all) elsewhere, or suggest a team first."""

    path = "/api/admin/routing-rules"

    @get("/", summary="List routing rules")
    async def list_rules(self, db: Db) -> list[RoutingRuleOut]:
        return await admin.list_rules(db)

    @post("/", summary="Create a routing rule")
    async def create_rule(self, db: Db, actor: By, data: JSONBody[RoutingRuleIn]) -> RoutingRuleOut:
        return await admin.create_rule(db, fields(data), actor)

    @post_ok(
        "/preview",
        summary="Where a case of this category at this point would go (the intake's own routing)",
    )
    async def preview(
        self, db: Db, settings: Cfg, lang: Lang, data: JSONBody[RoutingPreviewIn]
    ) -> RoutingPreview:
        return await routing_preview(db, settings, data.category_id, data.lat, data.lon, lang)

    @delete("/{rule_id:int}", summary="Delete a routing rule")
    async def delete_rule(self, db: Db, actor: By, rule_id: FromPath[int]) -> None:
        await admin.delete_rule(db, rule_id, actor)


# ------------------------------------------------------- bodies of changes
if TYPE_CHECKING:  # made at run time below; the type checker sees the structs they are
    AgencyPatch: TypeAlias = msgspec.Struct
    CategoryPatch: TypeAlias = msgspec.Struct
    AreaPatch: TypeAlias = msgspec.Struct
    TeamPatch: TypeAlias = msgspec.Struct
    UserPatch: TypeAlias = msgspec.Struct
else:
    AgencyPatch = patch_of(AgencyIn, "AgencyPatch")
    CategoryPatch = patch_of(CategoryIn, "CategoryPatch")
    AreaPatch = patch_of(AreaIn, "AreaPatch")
    TeamPatch = patch_of(TeamIn, "TeamPatch", skip=("agency_id", "member_ids"))
    UserPatch = patch_of(UserIn, "UserPatch", skip=("username",))


CONTROLLERS = [
    AgencyController,
    CategoryController,
    AreaController,
    TeamController,
    UserController,
    RoutingRuleController,
]
