"""The live events' LISTEN connection (api/adapters/events.py) losing its connection while
events keep being committed, on the real database."""

from __future__ import annotations

import asyncio
import time

import asyncpg

from api.adapters.events import RESET, ListenBackend
from api.pgconnect import libpq_dsn

CHANNEL = "tanggap_live"


async def test_after_a_lost_connection_the_reset_comes_before_anything_heard_again(
    database_url: str,
) -> None:
    """A stream must be told to replay before it hears any event on the new connection: an
    event heard first would move its last id past the events committed while nobody listened,
    and its replay would then skip them (the failover drill lost cases that way)."""
    dsn = libpq_dsn(database_url)
    backend = ListenBackend(dsn, max_backoff_s=0.2)
    # As the app does (the session memory's channel): LISTENs that follow the live channel's,
    # each a round trip during which the live channel is already heard.
    for n in range(3):
        backend.watch(f"tanggap_test_{n}", lambda _payload: None)
    await backend.on_startup()
    await backend.subscribe([CHANNEL])
    heard: list[bytes] = []

    async def hear() -> None:
        async for _channel, payload in backend.stream_events():
            heard.append(payload)

    sent = 0
    stop = asyncio.Event()

    async def commit_events(conn: asyncpg.Connection) -> None:
        # Events committed without a pause, as intake does under load, each numbered.
        nonlocal sent
        while not stop.is_set():
            sent += 1
            await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, str(sent))

    writer_conn = await asyncpg.connect(dsn)
    admin = await asyncpg.connect(dsn)
    hearing = asyncio.create_task(hear())
    writing = asyncio.create_task(commit_events(writer_conn))
    try:
        while len(heard) < 20:
            await asyncio.sleep(0.01)
        epoch = backend.listening
        assert epoch is not None and backend._conn is not None
        await admin.execute("SELECT pg_terminate_backend($1)", backend._conn.get_server_pid())
        lost_after = sent  # anything numbered above this can only come on a new connection
        deadline = time.monotonic() + 10
        while not any(p != RESET and int(p) > lost_after + 50 for p in heard):
            assert time.monotonic() < deadline, "nothing heard after reconnecting"
            await asyncio.sleep(0.01)
        # The live channel is heard from its own LISTEN on, before the watched channels' LISTENs
        # (round trips) finish and the new connection counts as up.
        while backend.listening is None:
            assert time.monotonic() < deadline, "the new connection never counted as up"
            await asyncio.sleep(0.01)
        assert backend.listening == epoch + 1
    finally:
        stop.set()
        await writing
        hearing.cancel()
        await asyncio.gather(hearing, return_exceptions=True)
        await backend.on_shutdown()
        await writer_conn.close()
        await admin.close()
    reset_at = heard.index(RESET)
    early = [p for p in heard[:reset_at] if int(p) > lost_after]
    assert early == [], f"heard on the new connection before the reset: {early[:5]}"
    assert heard.count(RESET) == 1
