"""Team membership for an agency's coordinator: who is in which of the agency's teams.

The admin API (``/api/admin/teams``) manages every agency's teams; a coordinator runs only their
own agency's, so these routes check that the team and every member belong to it.
"""

from __future__ import annotations

from litestar import Controller, get, put
from litestar.params import FromPath, JSONBody

from api.auth import requires_roles
from api.routes.deps import CurrentUser, Db
from api.routes.params import MembersIn
from api.routes.reference import TeamItem, TeamMember, teams_out
from api.services import case_teams
from api.services.teams import set_members as set_team_members


class CoordinatorTeamController(Controller):
    path = "/api/teams"
    tags = ["teams"]
    guards = [requires_roles("coordinator", "admin")]

    @get("/{team_id:int}/candidates", summary="The agency's active staff who may join the team")
    async def candidates(
        self, db: Db, principal: CurrentUser, team_id: FromPath[int]
    ) -> list[TeamMember]:
        staff = await case_teams.candidates(db, principal, team_id)
        return [TeamMember(s.id, s.full_name, s.role) for s in staff]

    @put("/{team_id:int}/members", summary="Set a team's members (staff of the team's agency)")
    async def set_members(
        self, db: Db, principal: CurrentUser, team_id: FromPath[int], data: JSONBody[MembersIn]
    ) -> TeamItem:
        team = await case_teams.own_team(db, principal, team_id)
        await set_team_members(db, team, data.user_ids)
        [item] = await teams_out(db, [team])
        return item
