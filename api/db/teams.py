"""SQL for teams: listing, membership, and the position history kept for a while."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import cast, delete, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Team, TeamPosition, User, team_members


async def teams(
    db: AsyncSession, *, agency_ids: tuple[int | None, ...] = (), for_update: bool = False
) -> list[Team]:
    """Teams by agency and name, limited to each agency id given (None limits nothing)."""
    q = select(Team).order_by(Team.agency_id, Team.name)
    for agency_id in agency_ids:
        if agency_id is not None:
            q = q.where(Team.agency_id == agency_id)
    return list((await db.execute(q)).scalars())


@dataclass(frozen=True, slots=True)
class TeamRow:
    """A team as the admin console lists it: its members' ids and its last reported position
    (the members' pings keep it on the team; None until one comes)."""

    id: int
    agency_id: int
    name: str
    on_duty: bool
    member_ids: list[int]
    lat: float | None
    lon: float | None
    last_position_at: datetime | None


async def team_rows(
    db: AsyncSession, *, agency_id: int | None = None, team_id: int | None = None
) -> list[TeamRow]:
    """Teams by agency and name (of one agency, or one team), with members and last position,
    in one query."""
    uid = team_members.c.user_id
    members = (
        select(func.array_agg(aggregate_order_by(uid, uid)))
        .where(team_members.c.team_id == Team.id)
        .scalar_subquery()
    )
    point = cast(Team.last_position, Geometry)
    q = select(
        Team.id,
        Team.agency_id,
        Team.name,
        Team.on_duty,
        members.label("member_ids"),
        func.ST_Y(point).label("lat"),
        func.ST_X(point).label("lon"),
        Team.last_position_at,
    ).order_by(Team.agency_id, Team.name)
    if agency_id is not None:
        q = q.where(Team.agency_id == agency_id)
    if team_id is not None:
        q = q.where(Team.id == team_id)
    rows = (await db.execute(q)).mappings()
    return [TeamRow(**{**r, "member_ids": r["member_ids"] or []}) for r in rows]


async def team_name_taken(db: AsyncSession, agency_id: int, name: str) -> bool:
    q = select(Team.id).where(Team.agency_id == agency_id, Team.name == name).limit(1)
    return (await db.execute(q)).first() is not None


@dataclass(frozen=True, slots=True)
class MemberRow:
    team_id: int
    id: int
    full_name: str
    role: str


async def members(db: AsyncSession, team_ids: list[int]) -> list[MemberRow]:
    """The members of these teams, by name."""
    if not team_ids:
        return []
    rows = await db.execute(
        select(team_members.c.team_id, User.id, User.full_name, User.role)
        .join(User, User.id == team_members.c.user_id)
        .where(team_members.c.team_id.in_(team_ids))
        .order_by(User.full_name)
    )
    return [MemberRow(**row) for row in rows.mappings()]


async def team_ids_of(db: AsyncSession, user_id: int) -> list[int]:
    """The teams a user is in, by id."""
    q = select(team_members.c.team_id).where(team_members.c.user_id == user_id)
    return sorted((await db.execute(q)).scalars())


async def replace_members(db: AsyncSession, team_id: int, user_ids: list[int]) -> None:
    await db.execute(team_members.delete().where(team_members.c.team_id == team_id))
    for uid in sorted(set(user_ids)):
        await db.execute(team_members.insert().values(team_id=team_id, user_id=uid))


async def prune_positions(db: AsyncSession, before: datetime) -> int:
    """Drop position history older than ``before``; answers how many rows went."""
    result = await db.execute(delete(TeamPosition).where(TeamPosition.at < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
