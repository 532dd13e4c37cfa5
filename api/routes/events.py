"""``GET /api/events``: the control room's live stream (Server-Sent Events).

Case timeline events and team positions, as they are committed in any API process, filtered by
what the caller may see (coordinators and field officers: their agency only). Only on-duty teams'
positions are streamed: off duty, a team's last position is private; a ``duty`` event (no
position) tells the map to drop or expect a team when it goes off or on duty. Each case event
carries its timeline id as the SSE ``id``: a browser that lost the network reconnects with
``Last-Event-ID`` and first gets every event it missed, replayed from ``case_events``.

``EventSource`` cannot send an ``Authorization`` header, and an access token must never sit in a
URL (proxy logs, browser history): the client first asks ``POST /api/events/tickets`` (bearer
token) for a ticket, single-use and valid for 30 seconds, and opens ``?ticket=...`` with it
(:mod:`api.services.event_tickets`). A request with an ``Authorization`` header needs none. The
stream ends after one access-token lifetime, so a revoked session stops receiving soon; the
client reopens it with a new ticket and ``?after=<last id>``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Litestar, Request, get, post
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency
from litestar.params import FromQuery, HeaderParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage
from sqlalchemy import text

from api.auth import Principal, requires_login
from api.errors import Unauthorized
from api.routes.deps import CurrentUser, Db, Now
from api.security import decode_access_token
from api.services import event_tickets
from api.services.notify import LIVE_CHANNEL, LIVE_EVENT_SQL, case_event_message

# More missed events than this and the client is told to reload its lists instead.
MAX_REPLAY = 500
# A client whose stream falls this many events behind is cut off (it reconnects and replays).
MAX_BACKLOG = 2000
KEEPALIVE_S = 15.0
RETRY_MS = 3000

_decode = msgspec.json.Decoder().decode
_encode = msgspec.json.Encoder().encode


def _visible(principal: Principal, message: dict[str, Any]) -> bool:
    scope = principal.agency_scope
    if scope is None or message.get("agency_id") == scope:
        return True
    # The agency a case was transferred away from sees it leave.
    data = message.get("data") or {}
    return message.get("kind") == "transferred" and data.get("from_agency_id") == scope


async def _authenticate(
    request: Request[Any, Any, Any], ticket: str | None
) -> tuple[Principal, float]:
    """The caller (from the ``Authorization`` header, or a ticket) and the stream's lifetime."""
    app = request.app
    now: datetime = app.state.clock()
    user = request.scope.get("user")
    if isinstance(user, Principal):  # a header token, already checked by the middleware
        token = request.headers.get("authorization", "").partition(" ")[2].strip()
        claims = decode_access_token(app.state.token_key, token, now) or {}
        return user, float(claims.get("exp", now.timestamp())) - now.timestamp()
    if not (ticket or "").strip():
        raise Unauthorized()
    async with app.state.sessionmaker() as db, db.begin():
        principal = await event_tickets.redeem(db, (ticket or "").strip(), now)
    if principal is None:
        raise Unauthorized("event_ticket_invalid")
    return principal, float(app.state.settings.access_token_minutes * 60)


def _scope_sql(principal: Principal) -> tuple[str, dict[str, Any]]:
    if principal.agency_scope is None:
        return "", {}
    return (
        " AND (c.agency_id = :scope OR (e.kind = 'transferred' "
        "AND (e.data->>'from_agency_id')::int = :scope))",
        {"scope": principal.agency_scope},
    )


async def _replay(app: Litestar, principal: Principal, after: int) -> list[dict[str, Any]]:
    where, params = _scope_sql(principal)
    sql = LIVE_EVENT_SQL + " WHERE e.id > :after" + where + " ORDER BY e.id LIMIT :limit"
    async with app.state.sessionmaker() as db:
        rows = await db.execute(text(sql), {"after": after, "limit": MAX_REPLAY + 1, **params})
        return [case_event_message(r) for r in rows]


async def _latest_id(app: Litestar) -> int:
    async with app.state.sessionmaker() as db:
        latest = await db.execute(text("SELECT coalesce(max(id), 0) FROM case_events"))
        return int(latest.scalar_one())


async def _positions(app: Litestar, principal: Principal) -> list[dict[str, Any]]:
    sql = (
        "SELECT id AS team_id, agency_id, ST_X(last_position::geometry) AS lon, "
        "ST_Y(last_position::geometry) AS lat, last_accuracy_m AS accuracy_m, "
        "last_position_at AS at FROM teams WHERE last_position IS NOT NULL AND on_duty "
        "AND (CAST(:scope AS int) IS NULL OR agency_id = :scope)"
    )
    async with app.state.sessionmaker() as db:
        rows = (await db.execute(text(sql), {"scope": principal.agency_scope})).mappings()
        return [
            {"t": "position", **dict(r), "at": r["at"].isoformat() if r["at"] else None}
            for r in rows
        ]


def _case_sse(message: dict[str, Any]) -> ServerSentEventMessage:
    return ServerSentEventMessage(data=_encode(message).decode(), event="case", id=message["id"])


def _position_sse(message: dict[str, Any]) -> ServerSentEventMessage:
    return ServerSentEventMessage(data=_encode(message).decode(), event="position")


def _duty_sse(message: dict[str, Any]) -> ServerSentEventMessage:
    return ServerSentEventMessage(data=_encode(message).decode(), event="duty")


async def _stream(
    app: Litestar,
    channels: ChannelsPlugin,
    principal: Principal,
    after: int | None,
    lifetime_s: float,
) -> AsyncGenerator[ServerSentEventMessage, None]:
    inbox: asyncio.Queue[bytes] = asyncio.Queue(maxsize=MAX_BACKLOG)
    overflowed = asyncio.Event()

    async def receive(raw: bytes) -> None:
        try:
            inbox.put_nowait(raw)
        except asyncio.QueueFull:
            overflowed.set()

    loop = asyncio.get_running_loop()
    deadline = loop.time() + lifetime_s
    # Listen first, then read the past: nothing committed in between can fall in a gap.
    async with (
        channels.start_subscription([LIVE_CHANNEL]) as subscriber,
        subscriber.run_in_background(receive),
    ):
        replayed: set[int] = set()
        hello: dict[str, Any] = {"user": principal.username, "agency_scope": principal.agency_scope}
        if after is None:
            yield ServerSentEventMessage(
                data=_encode(hello).decode(),
                event="hello",
                id=await _latest_id(app),
                retry=RETRY_MS,
            )
        else:
            missed = await _replay(app, principal, after)
            if len(missed) > MAX_REPLAY:
                # Too much to replay: the client reloads its lists and continues from here.
                yield ServerSentEventMessage(
                    data=_encode(hello).decode(),
                    event="resync",
                    id=await _latest_id(app),
                    retry=RETRY_MS,
                )
            else:
                yield ServerSentEventMessage(
                    data=_encode({**hello, "replayed": len(missed)}).decode(),
                    event="hello",
                    retry=RETRY_MS,
                )
                for message in missed:
                    replayed.add(message["id"])
                    yield _case_sse(message)
        for position in await _positions(app, principal):
            yield _position_sse(position)

        while not overflowed.is_set():
            timeout = min(KEEPALIVE_S, deadline - loop.time())
            if timeout <= 0:
                return  # one access-token lifetime: the client reopens with a new ticket
            try:
                raw = await asyncio.wait_for(inbox.get(), timeout)
            except TimeoutError:
                yield ServerSentEventMessage(comment="keep-alive")
                continue
            message = _decode(raw)
            kind = message.get("t")
            if kind == "reset":
                return  # the listener reconnected: events may be missing; replay them
            if not _visible(principal, message):
                continue
            if kind == "case":
                if message["id"] in replayed:
                    continue
                yield _case_sse(message)
            elif kind == "position":
                yield _position_sse(message)
            elif kind == "duty":
                yield _duty_sse(message)


@get(
    "/api/events",
    tags=["live"],
    summary="Live case events and team positions (Server-Sent Events)",
    media_type="text/event-stream",
    # gzip would hold events back until a buffer fills.
    opt={"skip_compression": True},
)
async def live_events(
    request: Request[Any, Any, Any],
    channels: NamedDependency[ChannelsPlugin],
    ticket: FromQuery[Annotated[str, msgspec.Meta(max_length=100)] | None] = None,
    last_event_id: Annotated[str | None, HeaderParameter(name="Last-Event-ID")] = None,
    after: FromQuery[int | None] = None,
) -> ServerSentEvent:
    """Stream ``case`` events (SSE id = timeline id), on-duty teams' ``position`` events and
    ``duty`` changes the caller may see.

    ``Last-Event-ID`` (sent by the browser on reconnect) or ``?after=`` replays the case events
    committed since; ``ticket`` (from ``POST /api/events/tickets``) stands in for the
    ``Authorization`` header.
    """
    principal, lifetime = await _authenticate(request, ticket)
    start = after
    if last_event_id and last_event_id.strip().isdigit():
        start = int(last_event_id.strip())
    return ServerSentEvent(
        _stream(request.app, channels, principal, start, lifetime),
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


class TicketOut(msgspec.Struct):
    ticket: str
    expires_in: int


@post(
    "/api/events/tickets",
    tags=["live"],
    summary="A single-use ticket (30 s) that opens the live stream: GET /api/events?ticket=...",
    guards=[requires_login],
    status_code=201,
)
async def event_ticket(db: Db, principal: CurrentUser, now: Now) -> TicketOut:
    issued = await event_tickets.issue(db, principal, now)
    return TicketOut(issued.ticket, issued.expires_in)
