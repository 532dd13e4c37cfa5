"""The teams that work an agency's cases, as its coordinator runs them: which team is theirs to
change, and which of the agency's staff may join it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.db import cases as case_db
from api.db.cases import StaffMember
from api.db.models import Team
from api.domain.vocabulary import AGENCY_ROLES
from api.errors import Forbidden, NotFound


async def own_team(db: AsyncSession, principal: Principal, team_id: int) -> Team:
    """The team, if the caller is an admin or the coordinator of its agency."""
    team = await case_db.team(db, team_id)
    if team is None or not principal.may_see_agency(team.agency_id):
        raise NotFound()
    if principal.role != "admin" and principal.agency_id != team.agency_id:
        raise Forbidden()
    return team


async def candidates(db: AsyncSession, principal: Principal, team_id: int) -> list[StaffMember]:
    """The agency's active staff who may join the team (its agency's own roles), by name."""
    team = await own_team(db, principal, team_id)
    return await case_db.agency_staff(db, team.agency_id, AGENCY_ROLES)
