"""Teams: the admin console's team management, membership, and the team lists every signed-in
user reads (coordinators and field officers see their own agency's only)."""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.db import teams as q
from api.db import users as user_q
from api.db.models import Team
from api.domain.vocabulary import Role
from api.errors import Conflict, NotFound, Unprocessable
from api.services.admin import (
    Fields,
    add,
    apply_changes,
    delete_row,
    ensure_agencies,
    get_or_404,
    result,
)
from api.services.audit import Actor, record


class TeamMember(msgspec.Struct):
    id: int
    full_name: str
    role: Role


class TeamItem(msgspec.Struct):
    id: int
    agency_id: int
    name: str
    on_duty: bool
    members: list[TeamMember]


class TeamRecord(msgspec.Struct):
    """A team as the audit records it: never where it is."""

    id: int
    agency_id: int
    name: str
    on_duty: bool
    member_ids: list[int]


class LastPosition(msgspec.Struct):
    """Where the team's members last reported it, and when."""

    lat: float
    lon: float
    at: datetime


class TeamOut(TeamRecord):
    """A team as the admin API answers it: with its last reported position (None: none yet)."""

    last_position: LastPosition | None = None

    @classmethod
    def of(cls, row: q.TeamRow) -> TeamOut:
        at, lat, lon = row.last_position_at, row.lat, row.lon
        where = LastPosition(lat, lon, at) if at and lat is not None and lon is not None else None
        return result(cls, row, last_position=where)


async def teams_out(db: AsyncSession, teams: list[Team]) -> list[TeamItem]:
    """The teams with their members, by name."""
    members: dict[int, list[TeamMember]] = {t.id: [] for t in teams}
    for m in await q.members(db, list(members)):
        members[m.team_id].append(result(TeamMember, m))
    return [result(TeamItem, t, members=members[t.id]) for t in teams]


async def visible_teams(
    db: AsyncSession, principal: Principal, agency_id: int | None
) -> list[TeamItem]:
    """Teams by agency and name, within the caller's agency scope."""
    return await teams_out(db, await q.teams(db, agency_ids=(principal.agency_scope, agency_id)))


async def visible_team(db: AsyncSession, principal: Principal, team_id: int) -> TeamItem:
    """One team; 404 outside the caller's agency."""
    team = await db.get(Team, team_id)
    if team is None or not principal.may_see_agency(team.agency_id):
        raise NotFound()
    return (await teams_out(db, [team]))[0]


async def set_members(db: AsyncSession, team: Team, user_ids: list[int]) -> None:
    """Replace the team's members; every one must exist and belong to the team's agency."""
    ids = sorted(set(user_ids))
    if ids:
        users = await user_q.users_by_ids(db, ids)
        if len(users) != len(ids):
            raise Unprocessable("unknown_reference", field="user_ids")
        if any(u.agency_id != team.agency_id for u in users):
            raise Unprocessable("team_member_wrong_agency")
    await q.replace_members(db, team.id, ids)


# ------------------------------------------------------------ admin console
async def _team_out(db: AsyncSession, team: Team) -> TeamOut:
    return TeamOut.of((await q.team_rows(db, team_id=team.id))[0])


def _audited(team: TeamOut) -> TeamRecord:
    return result(TeamRecord, team)


async def _ensure_new_name(db: AsyncSession, agency_id: int, name: str | None) -> None:
    if name is not None and await q.team_name_taken(db, agency_id, name):
        raise Conflict("already_exists", what="team")


async def list_teams(db: AsyncSession, agency_id: int | None) -> list[TeamOut]:
    """Every team (of one agency) with members and last position, in one query."""
    return [TeamOut.of(row) for row in await q.team_rows(db, agency_id=agency_id)]


async def get_team(db: AsyncSession, team_id: int) -> TeamOut:
    return await _team_out(db, await get_or_404(db, Team, team_id))


async def create_team(db: AsyncSession, fields: Fields, by: Actor) -> TeamOut:
    """A new team of one agency, with a name new in that agency and members from it."""
    member_ids = fields.pop("member_ids", [])
    await ensure_agencies(db, [fields["agency_id"]], "agency_id")
    await _ensure_new_name(db, fields["agency_id"], fields["name"])
    team = await add(db, Team(**fields))
    await set_members(db, team, member_ids)
    out = await _team_out(db, team)
    await record(db, by, "create", "team", team.id, after=_audited(out))
    return out


async def update_team(db: AsyncSession, team_id: int, changes: Fields, by: Actor) -> TeamOut:
    """Rename a team or set it on or off duty."""
    team = await get_or_404(db, Team, team_id)
    if changes.get("name", team.name) != team.name:
        await _ensure_new_name(db, team.agency_id, changes["name"])
    before = await _team_out(db, team)
    apply_changes(team, changes)
    await db.flush()
    out = await _team_out(db, team)
    await record(db, by, "update", "team", team_id, before=_audited(before), after=_audited(out))
    return out


async def replace_members(
    db: AsyncSession, team_id: int, user_ids: list[int], by: Actor
) -> TeamOut:
    team = await get_or_404(db, Team, team_id)
    before = await _team_out(db, team)
    await set_members(db, team, user_ids)
    out = await _team_out(db, team)
    await record(
        db, by, "set_members", "team", team_id, before=_audited(before), after=_audited(out)
    )
    return out


async def delete_team(db: AsyncSession, team_id: int, by: Actor) -> None:
    before = _audited(await _team_out(db, await get_or_404(db, Team, team_id)))
    await delete_row(db, Team, team_id)
    await record(db, by, "delete", "team", team_id, before=before)
