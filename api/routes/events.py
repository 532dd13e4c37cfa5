"""``GET /api/events``: the control room's live stream (Server-Sent Events).

Case timeline events and team positions, as they are committed in any API process, filtered by
what the caller may see (coordinators and field officers: their agency only). Only on-duty teams'
positions are streamed: off duty, a team's last position is private; a ``duty`` event (no
position) tells the map to drop or expect a team when it goes off or on duty. Each case event
carries its timeline id as the SSE ``id``: a browser that lost the network reconnects with
``Last-Event-ID`` and first gets every event it missed, replayed from ``case_events``.

``EventSource`` cannot send an ``Authorization`` header, so this route, and only this one, also
takes the access token as ``?access_token=`` (the access log records paths, never query strings).
The stream ends when the token expires; the client reopens it with a fresh token and
``?after=<last id>``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Litestar, Request, get
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency
from litestar.params import FromQuery, HeaderParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage
from sqlalchemy import select, text

from api.auth import Principal
from api.db.models import AuthSession, User
from api.errors import Unauthorized
from api.security import decode_access_token
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
    request: Request[Any, Any, Any], query_token: str | None
) -> tuple[Principal, float]:
    """The caller and the seconds its access token has left."""
    app = request.app
    header = request.headers.get("authorization", "")
    token = header.partition(" ")[2].strip() if header else (query_token or "")
    if not token:
        raise Unauthorized()
    now: datetime = app.state.clock()
    claims = decode_access_token(app.state.jwt_secret, token, now)
    if claims is None:
        raise Unauthorized("token_invalid")
    lifetime = float(claims["exp"]) - now.timestamp()
    user = request.scope.get("user")
    if isinstance(user, Principal):  # a header token, already checked by the middleware
        return user, lifetime
    try:
        sid = uuid.UUID(str(claims.get("sid")))
        uid = int(claims["sub"])
    except (ValueError, TypeError, KeyError):
        raise Unauthorized("token_invalid") from None
    # The same checks as the auth middleware: a live, unrevoked session of an active user.
    q = (
        select(User.id, User.username, User.role, User.agency_id, User.language)
        .join(AuthSession, AuthSession.user_id == User.id)
        .where(
            AuthSession.id == sid,
            AuthSession.user_id == uid,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > text("now()"),
            User.active,
        )
    )
    async with app.state.engine.connect() as conn:
        row = (await conn.execute(q)).first()
    if row is None:
        raise Unauthorized("token_invalid")
    return Principal(row.id, row.username, row.role, row.agency_id, row.language, sid), lifetime


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
                return  # the access token ran out
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
    access_token: FromQuery[str | None] = None,
    last_event_id: Annotated[str | None, HeaderParameter(name="Last-Event-ID")] = None,
    after: FromQuery[int | None] = None,
) -> ServerSentEvent:
    """Stream ``case`` events (SSE id = timeline id), on-duty teams' ``position`` events and
    ``duty`` changes the caller may see.

    ``Last-Event-ID`` (sent by the browser on reconnect) or ``?after=`` replays the case events
    committed since; ``access_token`` stands in for the ``Authorization`` header.
    """
    principal, lifetime = await _authenticate(request, access_token)
    start = after
    if last_event_id and last_event_id.strip().isdigit():
        start = int(last_event_id.strip())
    return ServerSentEvent(
        _stream(request.app, channels, principal, start, lifetime),
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
