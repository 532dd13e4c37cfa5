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
import functools
import re
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Litestar, Request, get, post
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency
from litestar.params import FromQuery, HeaderParameter
from litestar.response import Stream

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
# Past this many waiting messages, a stream drops team positions (see ``receive``).
SHED_POSITIONS_AT = MAX_BACKLOG // 2
KEEPALIVE_S = 15.0
RETRY_MS = 3000
# At most this many waiting messages go out in one write.
BATCH = 200
_LINE_BREAK = re.compile(r"\r\n|\r|\n")

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


@functools.lru_cache(maxsize=4096)
def _published(raw: bytes) -> tuple[dict[str, Any], str]:
    """A published message, decoded once per process, and its text as streamed. Every open
    stream of this process receives the same bytes, so a dispatcher room of many streams pays
    one decode per message, not one per stream (the surge bench: 133 position pings a second
    reach each of 60 dispatchers' streams). The message is shared: read it, never change it."""
    return _decode(raw), raw.decode()


def _frame(event: str, data: str, event_id: int | None = None, retry: int | None = None) -> str:
    """One SSE event (``text/event-stream``); a line break in ``data`` starts a new data line."""
    head = f"id: {event_id}\r\n" if event_id is not None else ""
    if "\n" in data or "\r" in data:  # never in compact JSON, but a frame must stay whole
        data = "\r\ndata: ".join(_LINE_BREAK.split(data))
    lines = f"data: {data}"
    tail = f"retry: {retry}\r\n" if retry is not None else ""
    return f"{head}event: {event}\r\n{lines}\r\n{tail}\r\n"


KEEPALIVE = b": keep-alive\r\n\r\n"


def _case_frame(message: dict[str, Any], text: str | None = None) -> str:
    return _frame("case", text if text is not None else _encode(message).decode(), message["id"])


def _kind_frame(message: dict[str, Any], text: str | None = None) -> str:
    """A ``position``, ``duty``, ``call``, ``conversation``, ``queue`` or ``warning`` message,
    named by its kind (no SSE id: only case events are replayed); ``text``: as published."""
    return _frame(message["t"], text if text is not None else _encode(message).decode())


def _hello_frame(event: str, hello: dict[str, Any], last_id: int | None) -> str:
    """The stream's first message (``hello``, or ``resync``: reload your lists), with the retry
    interval; ``last_id`` when the stream continues from there rather than from a replay."""
    return _frame(event, _encode(hello).decode(), last_id, RETRY_MS)


def _forwarded(principal: Principal, raw: bytes, replayed: set[int]) -> str | None:
    """What this stream sends of one published message (``None``: nothing), or ``reset`` as
    ``""``: the process's listener reconnected, so events may be missing (replay them)."""
    message, text = _published(raw)
    kind = message.get("t")
    if kind == "reset":
        return ""
    if kind in ("call", "conversation"):
        # A call opened or located, a conversation's messages changed: staff who may see calls
        # only (no agency scope).
        return _kind_frame(message, text) if principal.role in CALL_LOG_ROLES else None
    if kind == "warning":
        # An area warning was published: public news, for every signed-in screen.
        return _kind_frame(message, text)
    if not _visible(principal, message):
        return None
    if kind == "case":
        return None if message["id"] in replayed else _case_frame(message, text)
    if kind in ("position", "duty") or (kind == "queue" and principal.role in CALL_STATS_ROLES):
        return _kind_frame(message, text)
    return None


async def _stream(
    app: Litestar,
    channels: ChannelsPlugin,
    principal: Principal,
    after: int | None,
    lifetime_s: float,
) -> AsyncGenerator[bytes, None]:
    inbox: asyncio.Queue[bytes] = asyncio.Queue(maxsize=MAX_BACKLOG)
    overflowed = asyncio.Event()

    async def receive(raw: bytes) -> None:
        # A stream falling behind sheds team positions first: each is superseded by the team's
        # next ping (and kept in the database), whereas ending the stream would make the client
        # reconnect and reload every on-duty team's position at once, more of the same load.
        # Case events are never shed: when they no longer fit, the stream ends and the client
        # replays them from its last id.
        if inbox.qsize() >= SHED_POSITIONS_AT and _published(raw)[0].get("t") == "position":
            return
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
        opening: list[str] = []
        if after is None:
            opening.append(_hello_frame("hello", hello, await live.latest_event_id(sessions)))
        else:
            missed = await live.missed_events(sessions, principal, after, MAX_REPLAY + 1)
            if len(missed) > MAX_REPLAY:
                # Too much to replay: the client reloads its lists and continues from here.
                latest = await live.latest_event_id(sessions)
                opening.append(_hello_frame("resync", hello, latest))
            else:
                opening.append(_hello_frame("hello", {**hello, "replayed": len(missed)}, None))
                for message in missed:
                    replayed.add(message["id"])
                    opening.append(_case_frame(message))
        opening += [_kind_frame(p) for p in await live.team_positions(sessions, principal)]
        yield "".join(opening).encode()

        while not overflowed.is_set():
            timeout = min(KEEPALIVE_S, deadline - loop.time())
            if timeout <= 0:
                return  # one access-token lifetime: the client reopens with a new ticket
            try:
                raws = [await asyncio.wait_for(inbox.get(), timeout)]
            except TimeoutError:
                yield KEEPALIVE
                continue
            # What else is already waiting goes out in the same write: under a flood of
            # positions, one send per batch instead of one per message.
            while len(raws) < BATCH and not inbox.empty():
                raws.append(inbox.get_nowait())
            frames = []
            for raw in raws:
                frame = _forwarded(principal, raw, replayed)
                if frame == "":
                    break  # reset: end after what came before it; the client replays the rest
                if frame is not None:
                    frames.append(frame)
            else:
                if frames:
                    yield "".join(frames).encode()
                continue
            if frames:
                yield "".join(frames).encode()
            return


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
) -> Stream:
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
    return Stream(
        _stream(request.app, channels, principal, start, lifetime),
        media_type="text/event-stream",
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
