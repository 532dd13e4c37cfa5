"""SQL for teams: listing, membership, and the position history kept for a while."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import cast, delete, func, select, text
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.direct import OneStatement, Statement
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


# A ping in one statement: lock the team, check the membership, append the fix to the history
# and move the team (only a newer, precise enough fix), NOTIFY the live map of the move, and
# answer what the caller needs. ``allowed`` repeats every refusal of the service, so a refused
# ping writes nothing; the service raises the refusal from the answered facts.
_PING = Statement(
    text(
        """
WITH team AS (
    SELECT id, agency_id, on_duty, last_position_at, last_accuracy_m
    FROM teams WHERE id = :team_id FOR UPDATE
), checked AS (
    SELECT team.*, EXISTS (
        SELECT 1 FROM team_members m WHERE m.team_id = team.id AND m.user_id = :user_id
    ) AS member
    FROM team
), allowed AS (
    SELECT id FROM checked
    WHERE member AND on_duty AND CAST(:valid AS boolean)
      AND (CAST(:scope AS int) IS NULL OR agency_id = :scope)
), appended AS (
    INSERT INTO team_positions (team_id, user_id, at, location, accuracy_m)
    SELECT id, :user_id, :at, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography, :accuracy
    FROM allowed
    RETURNING id
), moved AS (
    UPDATE teams t
    SET last_position = ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography,
        last_position_at = :at, last_accuracy_m = :accuracy
    FROM allowed a
    WHERE t.id = a.id AND CAST(:precise AS boolean)
      AND (t.last_position_at IS NULL OR t.last_position_at <= :at)
    RETURNING t.agency_id, t.last_position_at, t.last_accuracy_m
), told AS (
    SELECT pg_notify(:channel, CAST(:head AS text) || moved.agency_id || CAST(:tail AS text))
    FROM moved
)
SELECT c.id, c.agency_id, c.on_duty, c.member,
       coalesce(m.last_position_at, c.last_position_at) AS last_position_at,
       coalesce(m.last_accuracy_m, c.last_accuracy_m) AS last_accuracy_m,
       (SELECT count(*) FROM appended) AS appended,
       (SELECT count(*) FROM told) AS told
FROM checked c LEFT JOIN moved m ON true
"""
    )
)


@dataclass(frozen=True, slots=True)
class Pinged:
    """A ping's outcome: the team's facts the refusals need (``member``: the caller is in it),
    its last position's time and accuracy after the ping, and whether the ping was stored and
    announced."""

    id: int
    agency_id: int
    on_duty: bool
    member: bool
    last_position_at: datetime | None
    last_accuracy_m: float | None
    appended: int
    told: int


async def ping(
    db: OneStatement,
    *,
    team_id: int,
    user_id: int,
    scope: int | None,
    valid: bool,
    lon: float,
    lat: float,
    accuracy_m: float,
    at: datetime,
    precise: bool,
    channel: str,
    announce: tuple[str, str],
) -> Pinged | None:
    """One ping, one round trip (see ``_PING``): stored only when the caller is a member of
    the on-duty team within ``scope`` and ``valid``; the team moves when the fix is
    ``precise`` and not older than its last one, and then ``announce`` (the NOTIFY payload
    around the team's agency id) goes to ``channel``. None: no such team."""
    params = {
        "team_id": team_id,
        "user_id": user_id,
        "scope": scope,
        "valid": valid,
        "lon": lon,
        "lat": lat,
        "accuracy": accuracy_m,
        "at": at,
        "precise": precise,
        "channel": channel,
        "head": announce[0],
        "tail": announce[1],
    }
    row = await db.row(_PING, params)
    return Pinged(**row) if row is not None else None


async def prune_positions(db: AsyncSession, before: datetime) -> int:
    """Drop position history older than ``before``; answers how many rows went."""
    result = await db.execute(delete(TeamPosition).where(TeamPosition.at < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
