"""Connecting through a failover pair's URL when the first host is silent (a powered-off
machine, a cut network: no refusal, no answer), refused, or not the primary."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Iterator
from dataclasses import replace

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from api.db.session import make_engine
from api.pgconnect import connect_primary, dsn_hosts, libpq_dsn
from tests.conftest import Server
from tests.support.pgbouncer import pgbouncer
from tests.support.processes import TcpProxy, free_port


@contextlib.contextmanager
def silent_host() -> Iterator[int]:
    """A port whose connections are accepted by the kernel and then never answered."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    try:
        yield int(s.getsockname()[1])
    finally:
        s.close()


def pair_url(database_url: str, first_port: int, attrs: str = "read-write") -> str:
    """The test database's URL as a failover pair: ``first_port`` first, the server second."""
    u = make_url(database_url)
    auth = u.username + (f":{u.password}" if u.password else "")
    return (
        f"postgresql+asyncpg://{auth}@/{u.database}?host=127.0.0.1:{first_port}"
        f"&host={u.host}:{u.port}&target_session_attrs={attrs}"
    )


def test_hosts_of_a_libpq_url() -> None:
    assert dsn_hosts("postgresql://u:p@a:5433,b/db?x=1") == [("a", 5433), ("b", 5432)]
    assert dsn_hosts("postgresql://[::1]:5434,h:1/db") == [("::1", 5434), ("h", 1)]
    assert dsn_hosts("postgresql://u@h/db") == [("h", 5432)]


async def test_a_silent_first_host_uses_up_asyncpgs_timeout_but_not_connect_primarys(
    database_url: str,
) -> None:
    with silent_host() as port:
        dsn = libpq_dsn(pair_url(database_url, port))
        # asyncpg's timeout covers every host: the silent one takes all of it.
        with pytest.raises(TimeoutError):
            await asyncpg.connect(dsn, timeout=1.5)
        began = time.monotonic()
        conn = await connect_primary(dsn, timeout=1.0)
        try:
            assert await conn.fetchval("SELECT NOT pg_is_in_recovery()")
        finally:
            await conn.close()
        assert time.monotonic() - began < 2.5
        # The app's engine connects the same way, its codecs and all.
        engine = make_engine(pair_url(database_url, port), 1, 0)
        try:
            async with engine.connect() as c:
                assert (await c.execute(text("SELECT '{\"a\": 1}'::jsonb"))).scalar_one() == {
                    "a": 1
                }
        finally:
            await engine.dispose()


async def test_a_refused_first_host_is_skipped_and_no_primary_is_an_error(
    database_url: str,
) -> None:
    dsn = libpq_dsn(pair_url(database_url, free_port()))
    conn = await connect_primary(dsn, timeout=2)
    await conn.close()
    # Only standbys will do, and the server is a primary: no host matches.
    with silent_host() as port:
        standby_only = libpq_dsn(pair_url(database_url, port, attrs="standby"))
        with pytest.raises(asyncpg.TargetServerAttributeNotMatched):
            await connect_primary(standby_only, timeout=1)


async def test_the_live_events_listener_keeps_trying_while_no_host_is_a_primary(
    database_url: str,
) -> None:
    """Mid-failover no host is a primary yet (``TargetServerAttributeNotMatched``, neither an
    OSError nor a PostgresError): the listener serves on and keeps retrying, never gives up."""
    from api.adapters.events import ListenBackend

    backend = ListenBackend(libpq_dsn(pair_url(database_url, free_port(), attrs="standby")))
    await backend.on_startup()
    try:
        task = backend._reconnect_task
        assert task is not None
        # Each attempt fails at once (a refused host, then a primary where only a standby
        # will do); watched over several attempts and backoffs, the task never ends.
        watch_until = time.monotonic() + 1.5
        while time.monotonic() < watch_until:
            assert not task.done(), task
            await asyncio.sleep(0.05)
    finally:
        await backend.on_shutdown()


async def test_a_pgbouncer_whose_server_is_gone_is_skipped_without_hanging(
    pg_server: Server, database_url: str
) -> None:
    """A failover pair over PgBouncers, when a PgBouncer outlives its PostgreSQL: it still
    accepts a login at once, from its cached startup report (``in_hot_standby=off``), and would
    hold the first query until its ``query_wait_timeout``. connect_primary asks each host
    whether it takes writes, within its timeout, and so moves on to the other host."""
    u = make_url(database_url)
    proxy = TcpProxy((str(u.host), int(u.port or 5432)))
    try:
        behind_proxy = replace(pg_server, host="127.0.0.1", port=proxy.port)
        with pgbouncer(behind_proxy, [str(u.database)], pool_size=2) as bouncer:
            dsn = libpq_dsn(pair_url(database_url, bouncer.port))
            conn = await connect_primary(dsn, timeout=2, statement_cache_size=0)
            assert conn._addr[1] == bouncer.port  # its server up: the PgBouncer is first
            await conn.close()
            proxy.cut()  # PostgreSQL gone behind the PgBouncer
            stale = await asyncpg.connect(libpq_dsn(bouncer.url(str(u.database))), timeout=2)
            assert stale.get_settings().in_hot_standby == "off"  # logged in all the same
            stale.terminate()
            for _ in range(2):  # the first waits out the question; later ones fail at once
                began = time.monotonic()
                conn = await connect_primary(dsn, timeout=2, statement_cache_size=0)
                try:
                    assert conn._addr[1] == u.port
                    assert await conn.fetchval("SELECT NOT pg_is_in_recovery()")
                finally:
                    await conn.close()
                assert time.monotonic() - began < 3.5
    finally:
        proxy.close()
