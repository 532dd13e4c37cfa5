"""Admin API: agencies, categories, areas, teams (and membership) and users. Admin only.

Every write validates references before touching anything, so bad input gives a 4xx
problem-details answer and changes nothing.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from litestar import Controller, delete, get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import exists, func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import requires_roles
from api.db.models import (
    Agency,
    Area,
    AuthSession,
    Category,
    RoutingRule,
    Team,
    User,
    category_supporting_agencies,
    team_members,
)
from api.domain.phone import InvalidPhone, normalise_phone
from api.errors import BadRequest, Conflict, NotFound, Unprocessable
from api.routes.deps import CurrentUser, Db, Now
from api.routes.params import Id, Lat, Lon
from api.security import hash_password

M = TypeVar("M")

Code = Annotated[str, msgspec.Meta(pattern=r"^[A-Z][A-Z0-9_]{1,47}$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
ShortName = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Priority = Literal["P1", "P2", "P3"]
Role = Literal["admin", "supervisor", "operator", "dispatcher", "coordinator", "field_officer"]
Minutes = Annotated[int, msgspec.Meta(ge=1, le=525_600)]
Radius = Annotated[int, msgspec.Meta(ge=0, le=10_000)]
Username = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9._-]{2,63}$")]
Password = Annotated[str, msgspec.Meta(min_length=8, max_length=256)]
UNSET: Any = msgspec.UNSET


async def get_or_404(db: AsyncSession, model: type[M], ident: int) -> M:
    obj = await db.get(model, ident)
    if obj is None:
        raise NotFound()
    return obj


def apply_patch(obj: object, data: msgspec.Struct, skip: tuple[str, ...] = ()) -> None:
    for field in data.__struct_fields__:
        value = getattr(data, field)
        if value is not msgspec.UNSET and field not in skip:
            setattr(obj, field, value)


async def ensure_unique(
    db: AsyncSession,
    column: Any,
    value: object,
    what: str,
    exclude_id: FromQuery[int | None] = None,
) -> None:
    model = column.class_
    q = select(exists().where(column == value))
    if exclude_id is not None:
        q = select(exists().where(column == value, model.id != exclude_id))
    if (await db.execute(q)).scalar():
        raise Conflict("already_exists", what=what)


async def ensure_agencies(db: AsyncSession, ids: list[int], field: str) -> None:
    if not ids:
        return
    found = set((await db.execute(select(Agency.id).where(Agency.id.in_(ids)))).scalars())
    if set(ids) - found:
        raise Unprocessable("unknown_reference", field=field)


# ---------------------------------------------------------------- agencies
class AgencyIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    name_id: Name
    name_en: Name
    kind: Literal["opd", "partner"] = "opd"
    notes: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    active: bool = True


class AgencyPatch(msgspec.Struct, forbid_unknown_fields=True):
    code: Code = UNSET
    name_id: Name = UNSET
    name_en: Name = UNSET
    kind: Literal["opd", "partner"] = UNSET
    notes: Annotated[str, msgspec.Meta(max_length=2000)] = UNSET
    active: bool = UNSET


class AgencyOut(msgspec.Struct):
    id: int
    code: str
    name_id: str
    name_en: str
    kind: str
    notes: str
    active: bool

    @classmethod
    def of(cls, a: Agency) -> AgencyOut:
        return cls(a.id, a.code, a.name_id, a.name_en, a.kind, a.notes, a.active)


class AgencyController(Controller):
    path = "/api/admin/agencies"
    tags = ["admin"]
    guards = [requires_roles("admin")]

    @get("/", summary="List agencies")
    async def list_agencies(self, db: Db) -> list[AgencyOut]:
        rows = (await db.execute(select(Agency).order_by(Agency.code))).scalars()
        return [AgencyOut.of(a) for a in rows]

    @get("/{agency_id:int}", summary="One agency")
    async def get_agency(self, db: Db, agency_id: FromPath[int]) -> AgencyOut:
        return AgencyOut.of(await get_or_404(db, Agency, agency_id))

    @post("/", summary="Create an agency")
    async def create_agency(self, db: Db, data: JSONBody[AgencyIn]) -> AgencyOut:
        await ensure_unique(db, Agency.code, data.code, "agency")
        agency = Agency(**msgspec.structs.asdict(data))
        db.add(agency)
        await db.flush()
        return AgencyOut.of(agency)

    @patch("/{agency_id:int}", summary="Change an agency")
    async def update_agency(
        self, db: Db, agency_id: FromPath[int], data: JSONBody[AgencyPatch]
    ) -> AgencyOut:
        agency = await get_or_404(db, Agency, agency_id)
        if data.code is not UNSET:
            await ensure_unique(db, Agency.code, data.code, "agency", agency_id)
        apply_patch(agency, data)
        await db.flush()
        return AgencyOut.of(agency)

    @delete("/{agency_id:int}", summary="Delete an agency that nothing refers to")
    async def delete_agency(self, db: Db, agency_id: FromPath[int]) -> None:
        agency = await get_or_404(db, Agency, agency_id)
        used = (
            await db.execute(
                select(
                    exists().where(Category.agency_id == agency_id)
                    | exists().where(Team.agency_id == agency_id)
                    | exists().where(User.agency_id == agency_id)
                    | exists().where(category_supporting_agencies.c.agency_id == agency_id)
                )
            )
        ).scalar()
        if used:
            raise Conflict("in_use", what="agency")
        await db.delete(agency)


# -------------------------------------------------------------- categories
class Attribute(msgspec.Struct, forbid_unknown_fields=True):
    """An Open311 attribute: an extra question asked when reporting this category."""

    code: Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,47}$")]
    description: Name
    datatype: Literal[
        "string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"
    ] = "string"
    required: bool = False
    values: list[dict[str, str]] = []


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


class CategoryPatch(msgspec.Struct, forbid_unknown_fields=True):
    code: Code = UNSET
    name_id: Name = UNSET
    name_en: Name = UNSET
    group: Annotated[str, msgspec.Meta(pattern=r"^[a-z_]{2,32}$")] = UNSET
    agency_id: Id = UNSET
    priority: Priority = UNSET
    sla_accept_min: Minutes = UNSET
    sla_arrive_min: Minutes = UNSET
    sla_resolve_min: Minutes = UNSET
    dedupe_radius_m: Radius = UNSET
    photo_required: bool = UNSET
    supporting_agency_ids: list[Id] = UNSET
    attributes: list[Attribute] = UNSET
    active: bool = UNSET
    sensitive: bool = UNSET


class CategoryOut(msgspec.Struct):
    id: int
    code: str
    name_id: str
    name_en: str
    group: str
    agency_id: int
    priority: str
    sla_accept_min: int
    sla_arrive_min: int
    sla_resolve_min: int
    dedupe_radius_m: int
    photo_required: bool
    supporting_agency_ids: list[int]
    attributes: list[dict[str, Any]]
    active: bool
    sensitive: bool


def _category_out(c: Category, support: list[int]) -> CategoryOut:
    return CategoryOut(
        c.id,
        c.code,
        c.name_id,
        c.name_en,
        c.group,
        c.agency_id,
        c.priority,
        c.sla_accept_min,
        c.sla_arrive_min,
        c.sla_resolve_min,
        c.dedupe_radius_m,
        c.photo_required,
        sorted(support),
        list(c.attributes or []),
        c.active,
        c.sensitive,
    )


async def _supporting(db: AsyncSession, category_id: int | None = None) -> dict[int, list[int]]:
    q = select(category_supporting_agencies)
    if category_id is not None:
        q = q.where(category_supporting_agencies.c.category_id == category_id)
    out: dict[int, list[int]] = {}
    for cid, aid in await db.execute(q):
        out.setdefault(cid, []).append(aid)
    return out


async def _one_category_out(db: AsyncSession, c: Category) -> CategoryOut:
    return _category_out(c, (await _supporting(db, c.id)).get(c.id, []))


def _check_sla(accept: int, arrive: int, resolve: int) -> None:
    if not accept <= arrive <= resolve:
        raise Unprocessable("sla_order")


async def _set_support(db: AsyncSession, category_id: int, ids: list[int]) -> None:
    await db.execute(
        category_supporting_agencies.delete().where(
            category_supporting_agencies.c.category_id == category_id
        )
    )
    for aid in sorted(set(ids)):
        await db.execute(
            category_supporting_agencies.insert().values(category_id=category_id, agency_id=aid)
        )


class CategoryController(Controller):
    path = "/api/admin/categories"
    tags = ["admin"]
    guards = [requires_roles("admin")]

    @get("/", summary="List categories")
    async def list_categories(self, db: Db) -> list[CategoryOut]:
        rows = (await db.execute(select(Category).order_by(Category.code))).scalars()
        support = await _supporting(db)
        return [_category_out(c, support.get(c.id, [])) for c in rows]

    @get("/{category_id:int}", summary="One category")
    async def get_category(self, db: Db, category_id: FromPath[int]) -> CategoryOut:
        return await _one_category_out(db, await get_or_404(db, Category, category_id))

    @post("/", summary="Create a category")
    async def create_category(self, db: Db, data: JSONBody[CategoryIn]) -> CategoryOut:
        _check_sla(data.sla_accept_min, data.sla_arrive_min, data.sla_resolve_min)
        await ensure_unique(db, Category.code, data.code, "category")
        await ensure_agencies(db, [data.agency_id], "agency_id")
        await ensure_agencies(db, data.supporting_agency_ids, "supporting_agency_ids")
        fields = msgspec.structs.asdict(data)
        fields.pop("supporting_agency_ids")
        fields["attributes"] = msgspec.to_builtins(data.attributes)
        category = Category(**fields)
        db.add(category)
        await db.flush()
        await _set_support(db, category.id, data.supporting_agency_ids)
        return await _one_category_out(db, category)

    @patch("/{category_id:int}", summary="Change a category")
    async def update_category(
        self, db: Db, category_id: FromPath[int], data: JSONBody[CategoryPatch]
    ) -> CategoryOut:
        category = await get_or_404(db, Category, category_id)
        if data.code is not UNSET:
            await ensure_unique(db, Category.code, data.code, "category", category_id)
        if data.agency_id is not UNSET:
            await ensure_agencies(db, [data.agency_id], "agency_id")
        if data.supporting_agency_ids is not UNSET:
            await ensure_agencies(db, data.supporting_agency_ids, "supporting_agency_ids")
        _check_sla(
            category.sla_accept_min if data.sla_accept_min is UNSET else data.sla_accept_min,
            category.sla_arrive_min if data.sla_arrive_min is UNSET else data.sla_arrive_min,
            category.sla_resolve_min if data.sla_resolve_min is UNSET else data.sla_resolve_min,
        )
        apply_patch(category, data, skip=("supporting_agency_ids", "attributes"))
        if data.attributes is not UNSET:
            category.attributes = msgspec.to_builtins(data.attributes)
        if data.supporting_agency_ids is not UNSET:
            await _set_support(db, category.id, data.supporting_agency_ids)
        await db.flush()
        return await _one_category_out(db, category)

    @delete("/{category_id:int}", summary="Retire a category (kept for history)")
    async def delete_category(self, db: Db, category_id: FromPath[int]) -> None:
        category = await get_or_404(db, Category, category_id)
        category.active = False


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


class AreaPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: ShortName = UNSET
    center: Point = UNSET
    boundary: dict[str, Any] | None = UNSET
    kind: Literal["kecamatan", "kelurahan"] = UNSET


class AreaOut(msgspec.Struct):
    id: int
    name: str
    kind: str
    center: Point
    boundary: dict[str, Any] | None


def _point_wkt(p: Point) -> str:
    return f"SRID=4326;POINT({p.lon} {p.lat})"


async def _boundary_ewkt(db: AsyncSession, geojson: dict[str, Any] | None) -> str | None:
    """Validate a GeoJSON polygon in PostGIS and return it as EWKT MultiPolygon."""
    if geojson is None:
        return None
    if geojson.get("type") not in {"Polygon", "MultiPolygon"}:
        raise BadRequest("invalid_geometry", detail="type must be Polygon or MultiPolygon")
    try:
        async with db.begin_nested():
            row = (
                await db.execute(
                    text(
                        "SELECT ST_IsValid(g), ST_IsValidReason(g), "
                        "ST_XMin(g) >= -180 AND ST_XMax(g) <= 180 AND ST_YMin(g) >= -90 "
                        "AND ST_YMax(g) <= 90, ST_AsEWKT(ST_Multi(g)) "
                        "FROM (SELECT ST_SetSRID(ST_GeomFromGeoJSON(:g), 4326) AS g) s"
                    ),
                    {"g": json.dumps(geojson)},
                )
            ).one()
    except DBAPIError:
        raise BadRequest("invalid_geometry", detail="not readable GeoJSON") from None
    if not row[0]:
        raise BadRequest("invalid_geometry", detail=str(row[1]))
    if not row[2]:
        raise BadRequest("invalid_geometry", detail="coordinates out of range")
    return str(row[3])


async def _area_out(db: AsyncSession, area_id: int) -> AreaOut:
    row = (
        await db.execute(
            select(
                Area.id,
                Area.name,
                Area.kind,
                func.ST_Y(func.ST_GeomFromWKB(Area.center)),
                func.ST_X(func.ST_GeomFromWKB(Area.center)),
                func.ST_AsGeoJSON(Area.boundary),
            ).where(Area.id == area_id)
        )
    ).one()
    return AreaOut(
        row[0],
        row[1],
        row[2],
        Point(lat=row[3], lon=row[4]),
        json.loads(row[5]) if row[5] else None,
    )


# A district's boundary (GeoJSON) can outgrow the default body limit; admins only.
AREA_BODY_LIMIT = 4 * 1024 * 1024


class AreaController(Controller):
    path = "/api/admin/areas"
    tags = ["admin"]
    guards = [requires_roles("admin")]
    request_max_body_size = AREA_BODY_LIMIT

    @get("/", summary="List areas (kecamatan)")
    async def list_areas(self, db: Db) -> list[AreaOut]:
        ids = (await db.execute(select(Area.id).order_by(Area.name))).scalars()
        return [await _area_out(db, i) for i in ids]

    @get("/{area_id:int}", summary="One area")
    async def get_area(self, db: Db, area_id: FromPath[int]) -> AreaOut:
        await get_or_404(db, Area, area_id)
        return await _area_out(db, area_id)

    @post("/", summary="Create an area, optionally with its boundary as GeoJSON")
    async def create_area(self, db: Db, data: JSONBody[AreaIn]) -> AreaOut:
        await ensure_unique(db, Area.name, data.name, "area")
        boundary = await _boundary_ewkt(db, data.boundary)
        area = Area(
            name=data.name, kind=data.kind, center=_point_wkt(data.center), boundary=boundary
        )
        db.add(area)
        await db.flush()
        return await _area_out(db, area.id)

    @patch("/{area_id:int}", summary="Change an area")
    async def update_area(
        self, db: Db, area_id: FromPath[int], data: JSONBody[AreaPatch]
    ) -> AreaOut:
        area = await get_or_404(db, Area, area_id)
        if data.name is not UNSET:
            await ensure_unique(db, Area.name, data.name, "area", area_id)
            area.name = data.name
        if data.kind is not UNSET:
            area.kind = data.kind
        if data.center is not UNSET:
            area.center = _point_wkt(data.center)
        if data.boundary is not UNSET:
            area.boundary = await _boundary_ewkt(db, data.boundary)
        await db.flush()
        return await _area_out(db, area_id)

    @delete("/{area_id:int}", summary="Delete an area")
    async def delete_area(self, db: Db, area_id: FromPath[int]) -> None:
        await db.delete(await get_or_404(db, Area, area_id))


# ------------------------------------------------------------------- teams
class TeamIn(msgspec.Struct, forbid_unknown_fields=True):
    agency_id: Id
    name: ShortName
    on_duty: bool = False
    member_ids: list[Id] = []


class TeamPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: ShortName = UNSET
    on_duty: bool = UNSET


class MembersIn(msgspec.Struct, forbid_unknown_fields=True):
    user_ids: list[Id]


class TeamOut(msgspec.Struct):
    id: int
    agency_id: int
    name: str
    on_duty: bool
    member_ids: list[int]


async def _team_out(db: AsyncSession, team: Team) -> TeamOut:
    members = sorted(
        (
            await db.execute(
                select(team_members.c.user_id).where(team_members.c.team_id == team.id)
            )
        ).scalars()
    )
    return TeamOut(team.id, team.agency_id, team.name, team.on_duty, members)


async def _set_members(db: AsyncSession, team: Team, user_ids: list[int]) -> None:
    ids = sorted(set(user_ids))
    if ids:
        users = list((await db.execute(select(User).where(User.id.in_(ids)))).scalars())
        if len(users) != len(ids):
            raise Unprocessable("unknown_reference", field="user_ids")
        if any(u.agency_id != team.agency_id for u in users):
            raise Unprocessable("team_member_wrong_agency")
    await db.execute(team_members.delete().where(team_members.c.team_id == team.id))
    for uid in ids:
        await db.execute(team_members.insert().values(team_id=team.id, user_id=uid))


class TeamController(Controller):
    path = "/api/admin/teams"
    tags = ["admin"]
    guards = [requires_roles("admin")]

    @get("/", summary="List teams")
    async def list_teams(self, db: Db, agency_id: FromQuery[int | None] = None) -> list[TeamOut]:
        q = select(Team).order_by(Team.agency_id, Team.name)
        if agency_id is not None:
            q = q.where(Team.agency_id == agency_id)
        return [await _team_out(db, t) for t in (await db.execute(q)).scalars()]

    @get("/{team_id:int}", summary="One team")
    async def get_team(self, db: Db, team_id: FromPath[int]) -> TeamOut:
        return await _team_out(db, await get_or_404(db, Team, team_id))

    @post("/", summary="Create a team")
    async def create_team(self, db: Db, data: JSONBody[TeamIn]) -> TeamOut:
        await ensure_agencies(db, [data.agency_id], "agency_id")
        taken = (
            await db.execute(
                select(exists().where(Team.agency_id == data.agency_id, Team.name == data.name))
            )
        ).scalar()
        if taken:
            raise Conflict("already_exists", what="team")
        team = Team(agency_id=data.agency_id, name=data.name, on_duty=data.on_duty)
        db.add(team)
        await db.flush()
        await _set_members(db, team, data.member_ids)
        return await _team_out(db, team)

    @patch("/{team_id:int}", summary="Rename a team or set it on/off duty")
    async def update_team(
        self, db: Db, team_id: FromPath[int], data: JSONBody[TeamPatch]
    ) -> TeamOut:
        team = await get_or_404(db, Team, team_id)
        if data.name is not UNSET and data.name != team.name:
            taken = (
                await db.execute(
                    select(exists().where(Team.agency_id == team.agency_id, Team.name == data.name))
                )
            ).scalar()
            if taken:
                raise Conflict("already_exists", what="team")
        apply_patch(team, data)
        await db.flush()
        return await _team_out(db, team)

    @put("/{team_id:int}/members", summary="Replace a team's members")
    async def set_members(
        self, db: Db, team_id: FromPath[int], data: JSONBody[MembersIn]
    ) -> TeamOut:
        team = await get_or_404(db, Team, team_id)
        await _set_members(db, team, data.user_ids)
        return await _team_out(db, team)

    @delete("/{team_id:int}", summary="Delete a team")
    async def delete_team(self, db: Db, team_id: FromPath[int]) -> None:
        await db.delete(await get_or_404(db, Team, team_id))


# ------------------------------------------------------------------- users
class UserIn(msgspec.Struct, forbid_unknown_fields=True):
    username: Username
    full_name: Name
    role: Role
    password: Password
    agency_id: Id | None = None
    phone: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    language: Literal["id", "en"] = "id"
    active: bool = True


class UserPatch(msgspec.Struct, forbid_unknown_fields=True):
    full_name: Name = UNSET
    role: Role = UNSET
    password: Password = UNSET
    agency_id: Id | None = UNSET
    phone: Annotated[str, msgspec.Meta(max_length=32)] | None = UNSET
    language: Literal["id", "en"] = UNSET
    active: bool = UNSET


class UserOut(msgspec.Struct):
    id: int
    username: str
    full_name: str
    role: str
    agency_id: int | None
    phone: str | None
    language: str
    active: bool
    created_at: datetime

    @classmethod
    def of(cls, u: User) -> UserOut:
        return cls(
            u.id,
            u.username,
            u.full_name,
            u.role,
            u.agency_id,
            u.phone,
            u.language,
            u.active,
            u.created_at,
        )


def _phone(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    try:
        return normalise_phone(raw)
    except InvalidPhone:
        raise BadRequest("invalid_phone") from None


def _check_agency_role(role: str, agency_id: int | None) -> None:
    if role in {"coordinator", "field_officer"} and agency_id is None:
        raise Unprocessable("agency_required")


class UserController(Controller):
    path = "/api/admin/users"
    tags = ["admin"]
    guards = [requires_roles("admin")]

    @get("/", summary="List users")
    async def list_users(
        self, db: Db, role: FromQuery[str | None] = None, agency_id: FromQuery[int | None] = None
    ) -> list[UserOut]:
        q = select(User).order_by(User.username)
        if role:
            q = q.where(User.role == role)
        if agency_id is not None:
            q = q.where(User.agency_id == agency_id)
        return [UserOut.of(u) for u in (await db.execute(q)).scalars()]

    @get("/{user_id:int}", summary="One user")
    async def get_user(self, db: Db, user_id: FromPath[int]) -> UserOut:
        return UserOut.of(await get_or_404(db, User, user_id))

    @post("/", summary="Create a user (the password is stored as an argon2id hash)")
    async def create_user(self, db: Db, data: JSONBody[UserIn]) -> UserOut:
        _check_agency_role(data.role, data.agency_id)
        phone = _phone(data.phone)
        if data.agency_id is not None:
            await ensure_agencies(db, [data.agency_id], "agency_id")
        await ensure_unique(db, User.username, data.username, "user")
        user = User(
            username=data.username,
            full_name=data.full_name,
            role=data.role,
            agency_id=data.agency_id,
            phone=phone,
            language=data.language,
            active=data.active,
            password_hash=hash_password(data.password),
        )
        db.add(user)
        await db.flush()
        await db.refresh(user)
        return UserOut.of(user)

    @patch("/{user_id:int}", summary="Change a user; a new password or deactivation signs them out")
    async def update_user(
        self,
        db: Db,
        user_id: FromPath[int],
        data: JSONBody[UserPatch],
        principal: CurrentUser,
        now: Now,
    ) -> UserOut:
        user = await get_or_404(db, User, user_id)
        role = user.role if data.role is UNSET else data.role
        agency_id = user.agency_id if data.agency_id is UNSET else data.agency_id
        _check_agency_role(role, agency_id)
        if data.agency_id not in (UNSET, None):
            await ensure_agencies(db, [data.agency_id], "agency_id")
        if user.id == principal.user_id and (
            data.active is False or (data.role is not UNSET and data.role != "admin")
        ):
            raise Unprocessable("cannot_delete_self")
        phone = _phone(data.phone) if data.phone is not UNSET else user.phone
        apply_patch(user, data, skip=("password", "phone"))
        user.phone = phone
        if data.password is not UNSET:
            user.password_hash = hash_password(data.password)
        if data.password is not UNSET or data.active is False:
            await db.execute(
                update(AuthSession)
                .where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
                .values(revoked_at=now)
            )
        await db.flush()
        return UserOut.of(user)

    @delete("/{user_id:int}", summary="Deactivate a user and revoke their sessions")
    async def deactivate_user(
        self, db: Db, user_id: FromPath[int], principal: CurrentUser, now: Now
    ) -> None:
        user = await get_or_404(db, User, user_id)
        if user.id == principal.user_id:
            raise Unprocessable("cannot_delete_self")
        user.active = False
        await db.execute(
            update(AuthSession)
            .where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )


# ----------------------------------------------------------- routing rules
class RoutingRuleIn(msgspec.Struct, forbid_unknown_fields=True):
    area_id: Id
    category_id: Id | None = None
    agency_id: Id | None = None
    team_id: Id | None = None
    note: Annotated[str, msgspec.Meta(max_length=500)] = ""


class RoutingRuleOut(msgspec.Struct):
    id: int
    area_id: int
    category_id: int | None
    agency_id: int | None
    team_id: int | None
    note: str

    @classmethod
    def of(cls, r: RoutingRule) -> RoutingRuleOut:
        return cls(r.id, r.area_id, r.category_id, r.agency_id, r.team_id, r.note)


async def get_ref(db: AsyncSession, model: type[M], ident: int, field: str) -> M:
    """Like :func:`get_or_404` for a reference inside a body: 422, not 404."""
    obj = await db.get(model, ident)
    if obj is None:
        raise Unprocessable("unknown_reference", field=field)
    return obj


class RoutingRuleController(Controller):
    """Area rules: in a kecamatan, send a category (or all) elsewhere, or suggest a team first."""

    path = "/api/admin/routing-rules"
    tags = ["admin"]
    guards = [requires_roles("admin")]

    @get("/", summary="List routing rules")
    async def list_rules(self, db: Db) -> list[RoutingRuleOut]:
        rows = (await db.execute(select(RoutingRule).order_by(RoutingRule.id))).scalars()
        return [RoutingRuleOut.of(r) for r in rows]

    @post("/", summary="Create a routing rule")
    async def create_rule(self, db: Db, data: JSONBody[RoutingRuleIn]) -> RoutingRuleOut:
        if data.agency_id is None and data.team_id is None:
            raise Unprocessable("routing_rule_empty")
        await get_ref(db, Area, data.area_id, "area_id")
        if data.category_id is not None:
            await get_ref(db, Category, data.category_id, "category_id")
        if data.agency_id is not None:
            await ensure_agencies(db, [data.agency_id], "agency_id")
        if data.team_id is not None:
            team = await get_ref(db, Team, data.team_id, "team_id")
            if data.agency_id is not None and team.agency_id != data.agency_id:
                raise Unprocessable("team_wrong_agency")
        rule = RoutingRule(**msgspec.structs.asdict(data))
        db.add(rule)
        await db.flush()
        return RoutingRuleOut.of(rule)

    @delete("/{rule_id:int}", summary="Delete a routing rule")
    async def delete_rule(self, db: Db, rule_id: FromPath[int]) -> None:
        await db.delete(await get_or_404(db, RoutingRule, rule_id))


CONTROLLERS = [
    AgencyController,
    CategoryController,
    AreaController,
    TeamController,
    UserController,
    RoutingRuleController,
]
