"""Reference data every signed-in user reads: agencies, categories, teams (agency-scoped)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, get
from litestar.params import FromPath, FromQuery
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import requires_login
from api.db.models import Agency, Category, Team, User, category_supporting_agencies, team_members
from api.errors import NotFound
from api.routes.deps import CurrentUser, Db, Lang


class AgencyItem(msgspec.Struct):
    id: int
    code: str
    name: str
    kind: str
    # Both names, so a client can switch language without asking again.
    name_id: str
    name_en: str


class CategoryItem(msgspec.Struct):
    id: int
    code: str
    name: str
    name_id: str
    name_en: str
    group: str
    agency_id: int
    supporting_agency_ids: list[int]
    priority: str
    dedupe_radius_m: int
    sla_accept_min: int
    sla_arrive_min: int
    sla_resolve_min: int
    photo_required: bool
    attributes: list[dict[str, Any]]
    sensitive: bool = False  # its cases never appear on a public surface


class TeamMember(msgspec.Struct):
    id: int
    full_name: str
    role: str


class TeamItem(msgspec.Struct):
    id: int
    agency_id: int
    name: str
    on_duty: bool
    members: list[TeamMember]


async def teams_out(db: AsyncSession, teams: list[Team]) -> list[TeamItem]:
    ids = [t.id for t in teams]
    members: dict[int, list[TeamMember]] = {i: [] for i in ids}
    if ids:
        rows = await db.execute(
            select(team_members.c.team_id, User.id, User.full_name, User.role)
            .join(User, User.id == team_members.c.user_id)
            .where(team_members.c.team_id.in_(ids))
            .order_by(User.full_name)
        )
        for tid, uid, name, role in rows:
            members[tid].append(TeamMember(uid, name, role))
    return [TeamItem(t.id, t.agency_id, t.name, t.on_duty, members[t.id]) for t in teams]


class ReferenceController(Controller):
    path = "/api"
    tags = ["reference"]
    guards = [requires_login]

    @get("/agencies", summary="Active agencies, names in the caller's language")
    async def agencies(self, db: Db, lang: Lang) -> list[AgencyItem]:
        rows = (
            await db.execute(select(Agency).where(Agency.active).order_by(Agency.code))
        ).scalars()
        return [
            AgencyItem(
                a.id, a.code, a.name_en if lang == "en" else a.name_id, a.kind, a.name_id, a.name_en
            )
            for a in rows
        ]

    @get("/categories", summary="Active categories with routing, priority and SLA targets")
    async def categories(self, db: Db, lang: Lang) -> list[CategoryItem]:
        rows = (
            await db.execute(select(Category).where(Category.active).order_by(Category.code))
        ).scalars()
        support: dict[int, list[int]] = {}
        for cid, aid in await db.execute(select(category_supporting_agencies)):
            support.setdefault(cid, []).append(aid)
        return [
            CategoryItem(
                c.id,
                c.code,
                c.name_en if lang == "en" else c.name_id,
                c.name_id,
                c.name_en,
                c.group,
                c.agency_id,
                sorted(support.get(c.id, [])),
                c.priority,
                c.dedupe_radius_m,
                c.sla_accept_min,
                c.sla_arrive_min,
                c.sla_resolve_min,
                c.photo_required,
                list(c.attributes or []),
                c.sensitive,
            )
            for c in rows
        ]

    @get("/teams", summary="Teams; coordinators and field officers see their own agency only")
    async def teams(
        self, db: Db, principal: CurrentUser, agency_id: FromQuery[int | None] = None
    ) -> list[TeamItem]:
        q = select(Team).order_by(Team.agency_id, Team.name)
        scope = principal.agency_scope
        if scope is not None:
            q = q.where(Team.agency_id == scope)
        if agency_id is not None:
            q = q.where(Team.agency_id == agency_id)
        return await teams_out(db, list((await db.execute(q)).scalars()))

    @get("/teams/{team_id:int}", summary="One team (404 outside the caller's agency)")
    async def team(self, db: Db, principal: CurrentUser, team_id: FromPath[int]) -> TeamItem:
        team = await db.get(Team, team_id)
        if team is None or not principal.may_see_agency(team.agency_id):
            raise NotFound()
        return (await teams_out(db, [team]))[0]
