"""The call-answer clock for the supervisor: the period's figures (a statistics endpoint) and the
live queue board, polled cheaply with an ETag. See docs/call-clock.md."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import ResponseSpec

from api.auth import requires_roles
from api.domain.vocabulary import CALL_STATS_ROLES
from api.routes.conditional import conditional
from api.routes.deps import Db, Now, ReadDb
from api.routes.stats import StatsReader, StatsScopeDep
from api.services import call_clock as svc

#: Staff only, and every poll revalidates: the browser sends If-None-Match, an unchanged queue
#: answers 304 without a body.
QUEUE_CACHE = "private, no-cache"


class CallClockController(StatsReader):
    path = "/api/stats"
    tags = ["stats"]
    guards = [requires_roles(*CALL_STATS_ROLES)]

    @get(
        "/call-clock",
        summary="Call-answer clock: answered within 15 s / 20 s (NENA STA-020.1), abandoned "
        "rate, busy hours of the week, handling time per operator",
    )
    async def call_clock(self, read_db: ReadDb, stats_scope: StatsScopeDep) -> svc.CallClockStats:
        """PBX calls that began to ring in the period, once answered or ended (abandoned: ended
        without an answer), next to the previous period's; times in seconds."""
        return await svc.call_clock_stats(read_db, stats_scope)


@get(
    "/api/calls/queue",
    tags=["calls"],
    summary="Live queue board: the PBX calls ringing now, the longest waiting first",
    guards=[requires_roles(*CALL_STATS_ROLES)],
    responses={304: ResponseSpec(None, description="Not modified: the queue has the same ETag")},
)
async def call_queue(db: Db, now: Now, request: Request[Any, Any, Any]) -> Response[svc.QueueBoard]:
    """Read on the primary (a replica may lag); answers 304 to a matching ``If-None-Match``."""
    board = await svc.queue_board(db, now)
    body = msgspec.json.encode(board)
    return conditional(request, body, "application/json", QUEUE_CACHE)  # type: ignore[return-value]


HANDLERS: list[type[Controller] | HTTPRouteHandler] = [CallClockController, call_queue]
