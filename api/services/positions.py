"""Team positions: pings from on-duty members, the team's last position, bounded history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.config import Settings
from api.db import teams as team_q
from api.db.direct import OneStatement
from api.db.models import Team
from api.domain.places import valid_coordinates
from api.errors import BadRequest, Conflict, Forbidden, NotFound
from api.services import notify
from api.services.cases import team_ids_of

_encode = msgspec.json.Encoder().encode


async def team_for_member(db: AsyncSession, principal: Principal, team_id: int) -> Team:
    team = await db.get(Team, team_id, with_for_update=True)
    if team is None or not principal.may_see_agency(team.agency_id):
        raise NotFound()
    return team


def _announcement(
    team_id: int, lon: float, lat: float, accuracy_m: float, at: datetime
) -> tuple[str, str]:
    """The live map's ``position`` message (:func:`api.services.notify.position_message`) as
    the text before and after the team's agency id, which the database fills in."""
    head = _encode({"t": "position", "team_id": team_id})[:-1] + b',"agency_id":'
    tail = _encode({"lon": lon, "lat": lat, "accuracy_m": accuracy_m, "at": at.isoformat()})
    return head.decode(), "," + tail[1:].decode()


async def ping(
    db: OneStatement,
    settings: Settings,
    principal: Principal,
    team_id: int,
    *,
    lat: float,
    lon: float,
    accuracy_m: float,
    at: datetime | None,
    now: datetime,
) -> team_q.Pinged:
    """An on-duty member's position ping, in one statement (:func:`api.db.teams.ping`), whole on
    its own: the route runs it in autocommit (no BEGIN and COMMIT round trips). The
    refusals in their order of old: no such team (404), not a member (403), off duty (409),
    impossible or stale coordinates (400). A refused ping writes nothing."""
    # A fix from the phone's clock may be a little ahead; never trust the future.
    when = (min(at, now) if at is not None else now).astimezone(UTC)
    valid = valid_coordinates(lat, lon)
    fresh = when >= now - timedelta(hours=1)
    team = await team_q.ping(
        db,
        team_id=team_id,
        user_id=principal.user_id,
        scope=principal.agency_scope,
        valid=valid and fresh,
        lon=lon,
        lat=lat,
        accuracy_m=accuracy_m,
        at=when,
        precise=accuracy_m <= settings.position_max_accuracy_m,
        channel=notify.LIVE_CHANNEL,
        announce=_announcement(team_id, lon, lat, accuracy_m, when),
    )
    if team is None or not principal.may_see_agency(team.agency_id):
        raise NotFound()
    if not team.member:
        raise Forbidden("not_team_member")
    if not team.on_duty:
        # Off duty, a phone's position is private.
        raise Conflict("team_off_duty")
    if not valid:
        raise BadRequest("invalid_coordinates")
    if not fresh:
        raise BadRequest("position_too_old")
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
