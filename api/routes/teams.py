"""Field teams on the move: position pings and the on-duty switch."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Controller, post, put
from litestar.params import FromPath, JSONBody

from api.auth import requires_login
from api.routes.deps import Cfg, CurrentUser, Db, Now, OneStatement
from api.routes.params import Lat, Lon
from api.services import positions
from api.services.results import result


class PositionIn(msgspec.Struct, forbid_unknown_fields=True):
    lat: Lat
    lon: Lon
    accuracy_m: Annotated[float, msgspec.Meta(ge=0, le=100_000)]
    at: datetime | None = None


class DutyIn(msgspec.Struct, forbid_unknown_fields=True):
    on_duty: bool


class TeamState(msgspec.Struct):
    team_id: int
    on_duty: bool
    last_position_at: datetime | None
    last_accuracy_m: float | None


class TeamFieldController(Controller):
    path = "/api/teams"
    tags = ["teams"]
    guards = [requires_login]

    @post(
        "/{team_id:int}/positions",
        status_code=202,
        summary="A position ping from an on-duty member of the team",
    )
    async def ping(
        self,
        one_statement: OneStatement,
        settings: Cfg,
        principal: CurrentUser,
        now: Now,
        team_id: FromPath[int],
        data: JSONBody[PositionIn],
    ) -> TeamState:
        fields = msgspec.structs.asdict(data)
        team = await positions.ping(one_statement, settings, principal, team_id, **fields, now=now)
        return result(TeamState, team, team_id=team.id)

    @put("/{team_id:int}/duty", summary="Put a team on or off duty")
    async def duty(
        self, db: Db, principal: CurrentUser, team_id: FromPath[int], data: JSONBody[DutyIn]
    ) -> TeamState:
        team = await positions.set_duty(db, principal, team_id, data.on_duty)
        return result(TeamState, team, team_id=team.id)
