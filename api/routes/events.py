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
import contextlib
import re
from collections import deque
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
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
from api.errors import Unauthorized, Unavailable
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
# How long a woken stream waits for more before it writes (a live map needs no less).
COALESCE_S = 0.05
# While only team positions wait, a stream writes at most this often: a map moves a marker no
# faster than every half second, and a surge's pings (133 a second at its base mix, to each
# dispatcher) become two writes a second per stream instead of twenty. Anything else (a case
# event, a call) cuts the wait short.
POSITIONS_S = 0.5
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


def _entitled(principal: Principal, message: dict[str, Any]) -> bool:
    """Whether a stream of ``principal`` is sent this published message."""
    kind = message.get("t")
    if kind in ("call", "conversation"):
        # A call opened or located, a conversation's messages changed: staff who may see calls
        # only (no agency scope).
        return principal.role in CALL_LOG_ROLES
    if kind == "warning":
        # An area warning was published: public news, for every signed-in screen.
        return True
    if kind == "queue":
        return principal.role in CALL_STATS_ROLES and _visible(principal, message)
    return kind in ("case", "position", "duty") and _visible(principal, message)


def _framed(message: dict[str, Any], text: str) -> tuple[str, int | None]:
    """A published message as streamed, with its timeline id for a case event (a stream that
    replayed that event skips it)."""
    if message.get("t") == "case":
        return _case_frame(message, text), message["id"]
    return _kind_frame(message, text), None


@dataclass(eq=False)
class _Listener:
    """One open stream's share of its process's live messages: the frames it may send, queued
    by the hub, and whether it must end (its backlog overflowed, or the listener reconnected
    and events may be missing: the client then replays them from its last id)."""

    principal: Principal
    frames: deque[tuple[str, int | None]] = field(default_factory=deque)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    # Set with anything but a position, or once a full write (``BATCH``) is waiting: the
    # stream writes without the positions' longer wait.
    rush: asyncio.Event = field(default_factory=asyncio.Event)
    ended: bool = False

    def end(self) -> None:
        self.ended = True
        self.wake.set()
        self.rush.set()

    async def settle(self) -> None:
        """A moment for more to arrive before a write, so that one write carries many messages:
        up to ``POSITIONS_S`` while only positions wait, then ``COALESCE_S``."""
        if not self.rush.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.rush.wait(), POSITIONS_S)
        await asyncio.sleep(COALESCE_S)


class LiveHub:
    """The process's one subscription to the live channel, fanned out to its open streams.

    Each published message is decoded and framed once, and judged once per stream here; only the
    streams entitled to it are woken. (With one Litestar subscription per stream, every message woke
    every stream's own task and queue: 300 streams at 133 positions a second were some 40,000
    wake-ups a second, most for messages a field officer may not see.) A stream falling behind
    sheds team positions first: each is superseded by the team's next ping and kept in the
    database, whereas ending the stream would make the client reconnect and reload every
    on-duty team's position at once, more of the same load. Case events are never shed: when
    they no longer fit, the stream ends and the client replays them from its last id.
    """

    def __init__(self, channels: ChannelsPlugin) -> None:
        self._channels = channels
        self._listeners: set[_Listener] = set()
        self._task: asyncio.Task[None] | None = None
        self._running = asyncio.Event()

    async def join(self, principal: Principal) -> _Listener | None:
        """A new stream's share, heard from now on (start the subscription on first use);
        ``None`` when the subscription could not start."""
        if self._task is None or self._task.done():
            self._running.clear()
            self._task = asyncio.get_running_loop().create_task(self._run())
        running = asyncio.ensure_future(self._running.wait())
        await asyncio.wait({running, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if not running.done():  # the subscription failed before it started: no stream
            running.cancel()
            return None
        listener = _Listener(principal)
        self._listeners.add(listener)
        return listener

    def leave(self, listener: _Listener) -> None:
        self._listeners.discard(listener)

    async def _run(self) -> None:
        subscriber = await self._channels.subscribe([LIVE_CHANNEL])
        self._running.set()
        try:
            async for raw in subscriber.iter_events():
                self._fan_out(raw)
        finally:
            for listener in self._listeners:  # deaf from here: every stream ends and replays
                listener.end()
            with contextlib.suppress(Exception):
                await self._channels.unsubscribe(subscriber)

    def _fan_out(self, raw: bytes) -> None:
        message, text = _decode(raw), raw.decode()
        if message.get("t") == "reset":
            for listener in self._listeners:
                listener.end()
            return
        position = message.get("t") == "position"
        out: tuple[str, int | None] | None = None  # framed once, for every stream it goes to
        for listener in self._listeners:
            if listener.ended or not _entitled(listener.principal, message):
                continue
            if out is None:
                out = _framed(message, text)
            waiting = len(listener.frames)
            if position and waiting >= SHED_POSITIONS_AT:
                continue
            if waiting >= MAX_BACKLOG:
                listener.end()
                continue
            listener.frames.append(out)
            listener.wake.set()
            if not position or waiting + 1 >= BATCH:  # news, or a full write is waiting
                listener.rush.set()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def live_hub(app: Litestar, channels: ChannelsPlugin) -> LiveHub:
    hub: LiveHub | None = getattr(app.state, "live_hub", None)
    if hub is None:
        hub = app.state.live_hub = LiveHub(channels)
    return hub


@asynccontextmanager
async def live_hub_lifespan(app: Litestar) -> AsyncGenerator[None, None]:
    """Stop the process's live subscription (if a stream started it) when the app stops."""
    try:
        yield
    finally:
        hub: LiveHub | None = getattr(app.state, "live_hub", None)
        if hub is not None:
            await hub.close()


async def _stream(
    app: Litestar,
    channels: ChannelsPlugin,
    principal: Principal,
    after: int | None,
    lifetime_s: float,
) -> AsyncGenerator[bytes, None]:
    hub = live_hub(app, channels)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + lifetime_s
    # Listen first, then read the past: nothing committed in between can fall in a gap.
    listener = await hub.join(principal)
    if listener is None or app.state.listen.listening is None:
        # This process cannot listen now (or is between a reset and its LISTEN): a replay now
        # could miss what commits before the LISTEN. The browser reconnects after its retry.
        if listener is not None:
            hub.leave(listener)
        return
    try:
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

        frames = listener.frames
        while True:
            if not frames and not listener.ended:
                timeout = min(KEEPALIVE_S, deadline - loop.time())
                if timeout <= 0:
                    return  # one access-token lifetime: the client reopens with a new ticket
                listener.wake.clear()
                try:
                    await asyncio.wait_for(listener.wake.wait(), timeout)
                except TimeoutError:
                    yield KEEPALIVE
                    continue
                await listener.settle()
            listener.rush.clear()  # what comes after this drain is news again
            out: list[str] = []
            while frames and len(out) < BATCH:
                frame, case_id = frames.popleft()
                if case_id is None or case_id not in replayed:
                    out.append(frame)
            if out:
                yield "".join(out).encode()
            if listener.ended and not frames:
                return
    finally:
        hub.leave(listener)


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

    503 with ``Retry-After`` while this process cannot LISTEN (its connection is being
    re-established): a stream opened then would miss what commits before it listens again.
    """
    if request.app.state.listen.listening is None:
        # Deaf until the LISTEN connection is back (it then resets every stream): say so,
        # before the single-use ticket is spent.
        raise Unavailable()
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
