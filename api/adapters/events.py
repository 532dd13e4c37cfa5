"""Live events between API processes: Litestar Channels over PostgreSQL LISTEN/NOTIFY.

Writers do not publish through the plugin: :mod:`api.services.notify` sends ``NOTIFY`` on their
own transaction, so an event reaches listeners at commit and never for a rolled-back change.
Every API process LISTENs on one connection and fans events out to its SSE clients.

Litestar's asyncpg backend stops hearing anything once its connection drops. This one
reconnects with backoff and puts :data:`RESET` in every channel before it LISTENs again, so the
reset comes before anything heard on the new connection: a client that gets it reconnects with
``Last-Event-ID`` and replays what it missed from the timeline.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from typing import Any

import asyncpg
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.asyncpg import AsyncPgChannelsBackend

from api.pgconnect import CONNECT_ERRORS, connect_primary, libpq_dsn

log = logging.getLogger("tanggap.events")

RESET = b'{"t":"reset"}'

__all__ = ["RESET", "ListenBackend", "channels_plugin", "libpq_dsn"]


class ListenBackend(AsyncPgChannelsBackend):
    """LISTEN/NOTIFY backend that survives a lost or late database connection."""

    # Short: until it is back, every open stream hears nothing, so a dispatcher's map would
    # stand still for up to this long after the new primary takes connections.
    def __init__(self, dsn: str, *, max_backoff_s: float = 2.0) -> None:
        super().__init__(make_connection=lambda: connect_primary(dsn, timeout=5))
        self._max_backoff_s = max_backoff_s
        self._conn: asyncpg.Connection | None = None
        self._reconnect_task: asyncio.Task[None] | None = None
        self._closing = False
        # Bumped on every (re)connect: what was learnt before a gap in listening is stale.
        self._epoch = 0
        self._watchers: dict[str, Callable[[str], None]] = {}

    def watch(self, channel: str, heard: Callable[[str], None]) -> None:
        """Call ``heard(payload)`` for each notification on ``channel`` as soon as it arrives,
        beside the plugin's streams (from the next connection on: call before start-up)."""
        self._watchers[channel] = heard

    @property
    def listening(self) -> int | None:
        """The epoch of the LISTEN connection now up (one more each time it connects), or
        ``None`` while it is down: notifications sent meanwhile are lost."""
        conn = self._conn
        return self._epoch if conn is not None and not conn.is_closed() else None

    async def on_startup(self) -> None:
        self._listener_lock = asyncio.Lock()
        self._queue = asyncio.Queue()
        self._closing = False
        try:
            await self._open()
        except CONNECT_ERRORS as exc:
            # Serve anyway: requests that need the database answer 503 until it is back.
            log.warning("live events: cannot listen yet (%s); retrying", type(exc).__name__)
            self._schedule_reconnect()

    async def on_shutdown(self) -> None:
        self._closing = True
        if self._reconnect_task is not None:
            self._reconnect_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconnect_task
        async with self._listener_lock:
            if self._conn is not None and not self._conn.is_closed():
                await self._conn.close()
            self._conn = None
            self._subscribed_channels.clear()
            self._queue = None

    async def _open(self, *, after_gap: bool = False) -> None:
        conn = await self._connect()
        async with self._listener_lock:
            if after_gap and self._queue is not None:
                # Before anything heard on the new connection. A stream that got a newer event
                # first would move its last id past the gap and then replay from there, skipping
                # what was committed while nobody listened (the failover drill saw exactly that).
                for channel in self._subscribed_channels:
                    self._queue.put_nowait((channel, RESET))
            for channel in self._subscribed_channels:
                await conn.add_listener(channel, self._listener)  # type: ignore[arg-type]
            for channel, heard in self._watchers.items():
                await conn.add_listener(channel, _calling(heard))
            conn.add_termination_listener(self._on_lost)
            self._epoch += 1
            self._conn = conn
            self._listener_conn = conn

    def _on_lost(self, _conn: Any) -> None:
        if not self._closing:
            log.warning("live events: listener connection lost; reconnecting")
            self._conn = None
            self._schedule_reconnect()

    def _schedule_reconnect(self) -> None:
        if self._reconnect_task is None or self._reconnect_task.done():
            self._reconnect_task = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        delay = 0.2
        while not self._closing:
            try:
                await self._open(after_gap=True)
            except Exception as exc:
                # Never give up: a listener that stopped trying would leave this process deaf.
                if not isinstance(exc, CONNECT_ERRORS):
                    log.warning("live events: reconnecting failed", exc_info=exc)
                await asyncio.sleep(delay)
                delay = min(self._max_backoff_s, delay * 2)
                continue
            log.info("live events: listening again")
            return

    async def subscribe(self, channels: Iterable[str]) -> None:
        async with self._listener_lock:
            for channel in set(channels) - self._subscribed_channels:
                if self._conn is not None:
                    await self._conn.add_listener(channel, self._listener)  # type: ignore[arg-type]
                self._subscribed_channels.add(channel)

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        """Keep listening. The plugin asks for UNLISTEN when a channel's last stream closes, after
        it has let go of that stream; a stream opened in between (a dispatcher reloading the
        page) subscribes to a channel the backend still listens on, and the late UNLISTEN would
        then leave it deaf. One process has one live channel: listening on it for the process's
        whole life costs nothing, and events with no stream are dropped by the plugin."""


def _calling(heard: Callable[[str], None]) -> Callable[[Any, int, str, str], None]:
    def listener(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
        heard(payload)

    return listener


def channels_plugin(backend: ListenBackend, channels: list[str]) -> ChannelsPlugin:
    # One subscriber per process (api.routes.events.LiveHub) fans messages out to the SSE
    # streams' own bounded backlogs, which shed positions and cut off a client too far behind.
    return ChannelsPlugin(backend=backend, channels=channels)
