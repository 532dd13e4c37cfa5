"""``GET /api/events``: the control room's live stream (Server-Sent Events).

Case timeline events and team positions, as they are committed in any API process, filtered by
what the caller may see (coordinators and field officers: their agency only). ``call`` events (a
call the PBX opened, a call's new AML location; never the caller's number) and ``conversation``
events (a WhatsApp or SMS message came in, or one of ours changed state; only the call's id) go
to staff who may see calls only. Only on-duty teams'
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

from api.auth import Principal, requires_login
from api.domain.vocabulary import CALL_LOG_ROLES, CALL_STATS_ROLES
from api.errors import Unauthorized
from api.routes.deps import CurrentUser, Db, Now
from api.security import decode_access_token
from api.services import event_tickets, live
from api.services.notify import LIVE_CHANNEL

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
    principal = await event_tickets.open_stream(app.state.sessionmaker, (ticket or "").strip(), now)
    if principal is None:
        raise Unauthorized("event_ticket_invalid")
    return principal, float(app.state.settings.access_token_minutes * 60)


def _case_sse(message: dict[str, Any]) -> ServerSentEventMessage:
    return ServerSentEventMessage(data=_encode(message).decode(), event="case", id=message["id"])


def _sse(message: dict[str, Any]) -> ServerSentEventMessage:
    """A ``position``, ``duty``, ``call``, ``conversation``, ``queue`` or ``warning`` message,
    named by its kind (no SSE id: only case events are replayed)."""
    return ServerSentEventMessage(data=_encode(message).decode(), event=message["t"])


def _hello_sse(event: str, hello: dict[str, Any], last_id: int | None) -> ServerSentEventMessage:
    """The stream's first message (``hello``, or ``resync``: reload your lists), with the retry
    interval; ``last_id`` when the stream continues from there rather than from a replay."""
    return ServerSentEventMessage(
        data=_encode(hello).decode(), event=event, id=last_id, retry=RETRY_MS
    )


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
        sessions = app.state.sessionmaker
        if after is None:
            yield _hello_sse("hello", hello, await live.latest_event_id(sessions))
        else:
            missed = await live.missed_events(sessions, principal, after, MAX_REPLAY + 1)
            if len(missed) > MAX_REPLAY:
                # Too much to replay: the client reloads its lists and continues from here.
                yield _hello_sse("resync", hello, await live.latest_event_id(sessions))
            else:
                yield _hello_sse("hello", {**hello, "replayed": len(missed)}, None)
                for message in missed:
                    replayed.add(message["id"])
                    yield _case_sse(message)
        for position in await live.team_positions(sessions, principal):
            yield _sse(position)

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
            if kind in ("call", "conversation"):
                # A call opened or located, a conversation's messages changed: staff who may
                # see calls only (no agency scope).
                if principal.role in CALL_LOG_ROLES:
                    yield _sse(message)
                continue
            if kind == "warning":
                # An area warning was published: public news, for every signed-in screen.
                yield _sse(message)
                continue
            if not _visible(principal, message):
                continue
            if kind == "case":
                if message["id"] in replayed:
                    continue
                yield _case_sse(message)
            elif kind in ("position", "duty") or (
                kind == "queue" and principal.role in CALL_STATS_ROLES
            ):
                yield _sse(message)


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
    """Stream ``case`` events (SSE id = timeline id), on-duty teams' ``position`` events,
    ``duty`` changes the caller may see, ``call`` and ``conversation`` (a WhatsApp or SMS
    conversation's messages changed: reload ``GET /api/calls/{id}/messages``) events to staff who
    may see calls, and
    (call-statistics roles) ``queue``: the ringing calls changed, reload ``GET /api/calls/queue``.

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
