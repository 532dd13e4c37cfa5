"""Reads off the primary: a read-only session on the read replica when one is configured and
healthy, on the primary otherwise.

Every read session is opened ``READ ONLY`` per transaction (``BEGIN READ ONLY``, sent by asyncpg,
no session-level ``SET``, so a transaction pooler in front changes nothing), on the primary too,
so a route switched to reads that tries to write fails loudly in every test.

On the replica the session's first statement is :data:`_LAG_SQL`, one round trip that proves the
connection works (a replica that went away since the pooled connection was opened is found here,
not in the route's own query) and says how far behind it replays. When the replica does not
answer, or lags past ``max_lag_s``, the request reads from the primary instead; an unreachable
replica is then left alone for :data:`RETRY_SECONDS` (no request waits on its connect timeout
meanwhile), logged once per outage. docs/operations.md, "Reads off the primary".

A replica found recent is trusted for :data:`VERDICT_SECONDS` without the probe (a read then costs
its own query only), as long as the lag it reported plus that time stays within ``max_lag_s``: the
lag grows by at most a second a second, so the bound still holds. A pooled connection the server
closed meanwhile is refused at checkout (no round trip: the driver saw the socket close), and one
that fails in use ends the trust (the next read probes again). A read that must see a given
event (``after_event``) is always probed.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, exc, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from api.db.session import make_sessionmaker

log = logging.getLogger("tanggap.replica")

#: How long an unreachable replica is left alone before a request tries it again.
RETRY_SECONDS = 5.0

#: How long a replica found recent enough is read from without probing it again. One second
#: turns a probe per read into at most one per second per process (a surge of map reloads costs
#: one query each), and is short beside the lag threshold (5 s by default), which it respects.
VERDICT_SECONDS = 1.0

# How far the standby's data is behind, in seconds, on the standby's clock. Nothing left to
# replay while the WAL receiver streams means current (0), however long ago the last commit
# was. (A restarted receiver reports the start of its WAL segment as received, before the
# replay position: hence ``<=``.) Without a WAL receiver (cut off from the primary) the data is
# as old as its last replay.
_LAG = """
    CASE
        WHEN NOT pg_is_in_recovery() THEN 0
        WHEN EXISTS (SELECT 1 FROM pg_stat_wal_receiver)
             AND pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0
        ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 1e6)
    END::float8 AS lag_s
"""
_LAG_SQL = text("SELECT" + _LAG)
# The same, and whether the replica has replayed a timeline event (a live event's id): the
# event's row commits with the change it announces, so a replica that has the row has the change.
_LAG_AND_EVENT_SQL = text(  # constants only; the event id is a bound parameter
    "SELECT" + _LAG + ", EXISTS (SELECT 1 FROM case_events WHERE id = :event) AS seen"  # noqa: S608
)

#: Where a read session reads from (``session.info["node"]``).
REPLICA, PRIMARY = "replica", "primary"


@dataclass(frozen=True, slots=True)
class ReplicaFacts:
    """The replica as a probe found it: ``lag_s`` is None when it did not answer."""

    up: bool
    lag_s: float | None


async def replay_lag(conn: AsyncConnection) -> float:
    return float((await conn.execute(_LAG_SQL)).scalar_one())


async def replay_lag_and_event(conn: AsyncConnection, event: int) -> tuple[float, bool]:
    row = (await conn.execute(_LAG_AND_EVENT_SQL, {"event": event})).one()
    return float(row.lag_s), bool(row.seen)


async def replica_facts(engine: AsyncEngine) -> ReplicaFacts:
    """For readiness: on a connection of its own, outside any transaction."""
    try:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            return ReplicaFacts(True, await replay_lag(conn))
    except Exception:  # down, whatever the reason; the reads already fall back
        return ReplicaFacts(False, None)


class ReadRouter:
    """Opens the read sessions of one process: see the module's docstring.

    ``on_fallback(reason)`` is called for each read sent to the primary while a replica is
    configured (``unreachable``, ``lagging``, or ``behind`` an event the reader has seen): the
    Prometheus counter.
    """

    def __init__(
        self,
        primary: AsyncEngine,
        replica: AsyncEngine | None,
        *,
        max_lag_s: float,
        on_fallback: Callable[[str], None] = lambda reason: None,
    ) -> None:
        self.replica = replica
        self.max_lag_s = max_lag_s
        self._on_fallback = on_fallback
        self._primary = make_sessionmaker(primary.execution_options(postgresql_readonly=True))
        self._replica = (
            make_sessionmaker(replica.execution_options(postgresql_readonly=True))
            if replica is not None
            else None
        )
        self._retry_at = 0.0
        self._trusted_until = 0.0  # the last probe's verdict "recent enough" holds until then
        self._outage = False
        if replica is not None:
            event.listen(replica.sync_engine, "checkout", _refuse_closed)
            event.listen(replica.sync_engine, "handle_error", self._on_error)

    def primary(self) -> AsyncSession:
        """A read-only session on the primary (for a read that must see the latest commit)."""
        session = self._primary()
        session.info["node"] = PRIMARY
        return session

    async def open(self, after_event: int | None = None) -> AsyncSession:
        """A read-only session on the replica when it answers and is recent enough (and has
        replayed the timeline event ``after_event``, when given), else on the primary."""
        if self._replica is None:
            return self.primary()
        if time.monotonic() < self._retry_at:
            self._on_fallback("unreachable")
            return self.primary()
        session = self._replica()
        trusted = after_event is None and time.monotonic() < self._trusted_until
        try:
            conn = await session.connection()
            if trusted:
                session.info["node"] = REPLICA
                return session
            if after_event is None:
                lag, seen = await replay_lag(conn), True
            else:
                lag, seen = await replay_lag_and_event(conn, after_event)
        except Exception as failure:  # refused, reset, timed out, in shutdown: not usable now
            await _discard(session)
            await self._went_down(failure)
            return self.primary()
        if self._outage:
            self._outage = False
            log.warning("read replica answers again: reads go to it")
        if lag > self.max_lag_s or not seen:
            await _discard(session)
            self._on_fallback("lagging" if lag > self.max_lag_s else "behind")
            return self.primary()
        if lag + VERDICT_SECONDS <= self.max_lag_s:
            self._trusted_until = time.monotonic() + VERDICT_SECONDS
        session.info["node"] = REPLICA
        return session

    async def facts(self) -> ReplicaFacts:
        """For readiness: a replica found unreachable within the last :data:`RETRY_SECONDS` is
        reported down without waiting on another connect timeout."""
        if self.replica is None or time.monotonic() < self._retry_at:
            return ReplicaFacts(False, None)
        return await replica_facts(self.replica)

    def _on_error(self, context: ExceptionContext) -> None:
        """A replica connection that broke in use: no more reads on the verdict's trust."""
        if context.is_disconnect:
            self._trusted_until = 0.0

    async def _went_down(self, exc: Exception) -> None:
        self._trusted_until = 0.0
        self._retry_at = time.monotonic() + RETRY_SECONDS
        self._on_fallback("unreachable")
        # Its other pooled connections are as dead as this one: without this, each would be
        # found out by a request of its own after each retry pause.
        if self.replica is not None:
            await self.replica.dispose()
        if not self._outage:
            self._outage = True
            log.warning(
                "read replica unreachable (%s); reads go to the primary, retrying every %.0f s",
                type(exc).__name__,
                RETRY_SECONDS,
            )

    async def dispose(self) -> None:
        if self.replica is not None:
            await self.replica.dispose()


def _refuse_closed(dbapi_conn: Any, record: Any, proxy: Any) -> None:
    """Pool checkout on the replica: a connection whose socket the server closed (a stopped or
    restarted replica) is replaced, found without a round trip."""
    if dbapi_conn.driver_connection.is_closed():
        raise exc.DisconnectionError("the replica closed this connection")


async def _discard(session: AsyncSession) -> None:
    try:
        await session.close()
    except Exception:  # the connection is dead already; the pool replaces it
        with contextlib.suppress(Exception):
            await session.invalidate()


def on_primary(session: AsyncSession) -> bool:
    return session.info.get("node") != REPLICA
