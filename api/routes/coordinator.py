"""Team membership for an agency's coordinator: who is in which of the agency's teams.

The admin API (``/api/admin/teams``) manages every agency's teams; a coordinator runs only their
own agency's, so these routes check that the team and every member belong to it.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get, put
from litestar.params import FromPath, JSONBody
from sqlalchemy import select

from api.auth import Principal, requires_roles
from api.db.models import Team, User
from api.errors import Forbidden, NotFound
from api.routes.admin import _set_members
from api.routes.deps import CurrentUser, Db
from api.routes.params import Id
from api.routes.reference import TeamItem, TeamMember, teams_out


class MembersIn(msgspec.Struct, forbid_unknown_fields=True):
    user_ids: Annotated[list[Id], msgspec.Meta(max_length=200)]


async def _own_team(db: Db, principal: Principal, team_id: int) -> Team:
    """The team, if the caller is an admin or the coordinator of its agency."""
    team = await db.get(Team, team_id)
    if team is None or not principal.may_see_agency(team.agency_id):
        raise NotFound()
    if principal.role != "admin" and principal.agency_id != team.agency_id:
        raise Forbidden()
    return team


class CoordinatorTeamController(Controller):
    path = "/api/teams"
    tags = ["teams"]
    guards = [requires_roles("coordinator", "admin")]

    @get("/{team_id:int}/candidates", summary="The agency's active staff who may join the team")
    async def candidates(
        self, db: Db, principal: CurrentUser, team_id: FromPath[int]
    ) -> list[TeamMember]:
        team = await _own_team(db, principal, team_id)
        rows = await db.execute(
            select(User.id, User.full_name, User.role)
            .where(
                User.agency_id == team.agency_id,
                User.active,
                User.role.in_(("field_officer", "coordinator")),
            )
            .order_by(User.full_name)
        )
        return [TeamMember(uid, name, role) for uid, name, role in rows]

    @put("/{team_id:int}/members", summary="Set a team's members (staff of the team's agency)")
    async def set_members(
        self, db: Db, principal: CurrentUser, team_id: FromPath[int], data: JSONBody[MembersIn]
    ) -> TeamItem:
        team = await _own_team(db, principal, team_id)
        await _set_members(db, team, data.user_ids)
        await db.flush()
        return (await teams_out(db, [team]))[0]
