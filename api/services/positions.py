"""Team positions: pings from on-duty members, the team's last position, bounded history."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.config import Settings
from api.db import teams as team_q
from api.db.models import Team, TeamPosition
from api.domain.places import valid_coordinates
from api.errors import BadRequest, Conflict, Forbidden, NotFound
from api.services import notify
from api.services.cases import ewkt, team_ids_of


async def team_for_member(db: AsyncSession, principal: Principal, team_id: int) -> Team:
    team = await db.get(Team, team_id, with_for_update=True)
    if team is None or not principal.may_see_agency(team.agency_id):
        raise NotFound()
    return team


async def ping(
    db: AsyncSession,
    settings: Settings,
    principal: Principal,
    team_id: int,
    *,
    lat: float,
    lon: float,
    accuracy_m: float,
    at: datetime | None,
    now: datetime,
) -> Team:
    team = await team_for_member(db, principal, team_id)
    if team_id not in await team_ids_of(db, principal.user_id):
        raise Forbidden("not_team_member")
    if not team.on_duty:
        # Off duty, a phone's position is private.
        raise Conflict("team_off_duty")
    if not valid_coordinates(lat, lon):
        raise BadRequest("invalid_coordinates")
    # A fix from the phone's clock may be a little ahead; never trust the future.
    when = min(at, now) if at is not None else now
    if when < now - timedelta(hours=1):
        raise BadRequest("position_too_old")
    db.add(
        TeamPosition(
            team_id=team.id,
            user_id=principal.user_id,
            at=when,
            location=ewkt(lon, lat),
            accuracy_m=accuracy_m,
        )
    )
    newer = team.last_position_at is None or when >= team.last_position_at
    if newer and accuracy_m <= settings.position_max_accuracy_m:
        team.last_position = ewkt(lon, lat)
        team.last_position_at = when
        team.last_accuracy_m = accuracy_m
        await db.flush()
        await notify.on_team_position(db, team)
    await db.flush()
    return team


async def set_duty(db: AsyncSession, principal: Principal, team_id: int, on_duty: bool) -> Team:
    team = await team_for_member(db, principal, team_id)
    member = team_id in await team_ids_of(db, principal.user_id)
    allowed = (
        member
        or principal.role in {"dispatcher", "admin"}
        or (principal.role == "coordinator" and principal.agency_id == team.agency_id)
    )
    if not allowed:
        raise Forbidden()
    changed = team.on_duty != on_duty
    team.on_duty = on_duty
    await db.flush()
    if changed:
        await notify.on_team_duty(db, team)
    return team


async def prune(db: AsyncSession, settings: Settings, now: datetime) -> int:
    """Drop position history past the retention period; the last position stays on the team."""
    cutoff = now - timedelta(days=settings.position_retention_days)
    return await team_q.prune_positions(db, cutoff)
