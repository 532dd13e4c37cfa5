"""Reference data every signed-in user reads: agencies, categories, teams (agency-scoped)."""

from __future__ import annotations

from litestar import Controller, get
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery

from api.auth import requires_login
from api.routes.deps import CurrentUser, Db, Lang, ReadDb, read_fresh
from api.services import reference, teams
from api.services.reference import AgencyItem, CategoryItem
from api.services.teams import TeamItem, TeamMember, teams_out

# routes/coordinator.py answers with the same team shapes.
__all__ = [
    "AgencyItem",
    "CategoryItem",
    "ReferenceController",
    "TeamItem",
    "TeamMember",
    "teams_out",
]


class ReferenceController(Controller):
    path = "/api"
    tags = ["reference"]
    guards = [requires_login]

    @get("/agencies", summary="Active agencies, names in the caller's language")
    async def agencies(self, db: Db, lang: Lang) -> list[AgencyItem]:
        return await reference.agencies(db, lang)

    @get("/categories", summary="Active categories with routing, priority and SLA targets")
    async def categories(self, db: Db, lang: Lang) -> list[CategoryItem]:
        return await reference.categories(db, lang)

    @get("/teams", summary="Teams; coordinators and field officers see their own agency only")
    async def teams(
        self, read_db: ReadDb, principal: CurrentUser, agency_id: FromQuery[int | None] = None
    ) -> list[TeamItem]:
        # The dispatch map's team snapshot (live positions follow through the event stream).
        return await teams.visible_teams(read_db, principal, agency_id)

    @get("/teams/{team_id:int}", summary="One team (404 outside the caller's agency)")
    async def team(
        self, state: State, read_db: ReadDb, principal: CurrentUser, team_id: FromPath[int]
    ) -> TeamItem:
        return await read_fresh(
            state, read_db, lambda db: teams.visible_team(db, principal, team_id)
        )
