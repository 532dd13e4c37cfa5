"""``tanggap worker``: delivers Web Push from the outbox and runs the periodic jobs.

Jobs live in PostgreSQL (PgQueuer, migration 0003), so any number of workers share them and a
killed worker loses nothing: its jobs stop sending heartbeats and another worker (or the same
one, restarted) picks them up after ``worker_heartbeat_seconds``.

- ``push.deliver`` (queued in the transaction that wrote the outbox rows, up to 32 rows a job):
  one send per row; the jobs of one queue fetch are delivered as one batch (:class:`PushDelivery`:
  one read of their rows, sends at once, group-committed outcomes); a retry is the same job
  re-queued with the delay the rules ask for (Retry-After, backoff), or for a row of a larger
  job, a job of its own.
- ``sla.escalate`` every ``sla_check_seconds``: :func:`api.services.escalation.escalate_overdue`.
- ``push.sweep`` every minute: re-queues outbox rows whose job was lost.
- ``conversation.send`` (one per outbound WhatsApp or SMS conversation message):
  :class:`api.services.conversations.ConversationDelivery`, retried like ``sms.send``.
- ``sms.send`` (one per SMS outbox row): :class:`api.services.sms.SmsDelivery`; a retry is the
  job re-queued with the backoff delay.

The worker outlives its database: when PostgreSQL goes away (a crash, a restart) the queue stops,
the worker logs it and retries with a growing delay (1 s doubling to 10 s), and resumes where the
jobs left off once the database answers. While it works it writes a heartbeat (and the time of
each SLA scan) to ``worker_heartbeats``, on the pool the queue uses: readiness reads them, so a
stalled worker shows as "degraded" (api/domain/health.py, docs/operations.md).

Behind a transaction pooler (``database_pooled``) the queue's queries, the heartbeat and the
jobs' own sessions go through it; only PgQueuer's LISTEN uses a connection of its own to
``database_listen_url`` (:class:`QueueDriver`).

The worker takes a clock like the API does; tests pass their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from pgqueuer import PgQueuer
from pgqueuer.adapters.drivers.asyncpg import AsyncpgDriver, AsyncpgPoolDriver
from pgqueuer.errors import RetryRequested
from pgqueuer.models import Job, Schedule

from api.adapters import jobs
from api.adapters.keys import vapid_keys
from api.adapters.sms import HttpSmsGateway
from api.adapters.webpush import WebPushSender
from api.adapters.whatsapp import HttpWhatsApp
from api.config import Settings
from api.db import health as health_sql
from api.db.direct import no_reset, open_pool
from api.db.session import driver_options, make_engine, make_sessionmaker
from api.domain.health import heartbeat_interval
from api.pgconnect import CONNECT_ERRORS, connect_primary, libpq_dsn
from api.services.cap_incoming import poll_configured
from api.services.conversations import ConversationDelivery
from api.services.escalation import escalate_overdue
from api.services.push_delivery import PushDelivery
from api.services.sms import SmsDelivery

log = logging.getLogger("tanggap.worker")

# Waiting out a lost database: the first retry after 1 s, then twice as long, at most 10 s.
BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 10.0
# How long the queue may take to finish its jobs in flight when it stops.
DRAIN_S = 10.0


def utc_now() -> datetime:
    return datetime.now(UTC)


async def _close(conn: asyncpg.Pool | asyncpg.Connection | None) -> None:
    """Close politely within 5 s, else drop the sockets (the database may be gone)."""
    if conn is None:
        return
    try:
        await asyncio.wait_for(conn.close(), 5)
    except (TimeoutError, Exception):
        conn.terminate()


class QueueDriver(AsyncpgPoolDriver):
    """PgQueuer's queries on the pool, its LISTEN on a connection of its own.

    PgQueuer's pool driver would LISTEN on a connection taken from the pool it queries with; the
    worker's pool may be a transaction pooler (PgBouncer), where a LISTEN is lost as soon as its
    transaction ends. The queue's queries are single statements, so the pool serves them
    wherever it points; ``listener`` is a direct, session-level connection.
    """

    def __init__(self, pool: asyncpg.Pool, listener: asyncpg.Connection) -> None:
        super().__init__(pool)
        self._direct = AsyncpgDriver(listener)

    async def add_listener(self, channel: str, callback: Any) -> None:
        await self._direct.add_listener(channel, callback)

    async def remove_listener(self, channel: str, callback: Any) -> None:
        await self._direct.remove_listener(channel, callback)


def cron_every(seconds: int) -> str:
    """A cron expression firing every ``seconds`` (croniter's sixth field is seconds)."""
    if seconds < 60:
        return f"* * * * * */{max(1, seconds)}"
    return f"*/{max(1, seconds // 60)} * * * *"


class Worker:
    def __init__(
        self,
        settings: Settings,
        database_url: str,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.settings = settings
        self.database_url = database_url
        self.clock = clock
        self.stop = asyncio.Event()
        # Names this worker's heartbeat row; unique per process start.
        self.name = f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.started_at = datetime.now(UTC)
        self.outages = 0  # times the database was lost and the work resumed (or is retried)
        # The database URL may be a transaction pooler; LISTEN then goes to the direct URL.
        self.pooled = settings.database_pooled
        self.listen_url = settings.listen_url(database_url)
        self._beat_ok = False

    async def run(self) -> None:
        """Work until :attr:`stop` is set, waiting out database outages with backoff."""
        delay = BACKOFF_FIRST_S
        while not self.stop.is_set():
            self._beat_ok = False
            try:
                await self._work()
            except Exception as exc:
                if self.stop.is_set():
                    break
                self.outages += 1
                # Connection errors are the expected cause; anything else gets its traceback.
                expected = isinstance(exc, (*CONNECT_ERRORS, asyncpg.InterfaceError))
                log.warning(
                    "worker lost its database (%s: %s); retrying in %.1f s",
                    type(exc).__name__,
                    str(exc)[:200],
                    delay,
                    exc_info=None if expected else exc,
                )
            else:
                if self.stop.is_set():
                    break
                self.outages += 1
                log.warning("the job queue stopped by itself; restarting it in %.1f s", delay)
            if self._beat_ok:
                delay = BACKOFF_FIRST_S  # it worked for a while: a new outage starts afresh
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, BACKOFF_MAX_S)
        await self._forget()

    async def _forget(self) -> None:
        """A stopped worker removes its heartbeat row (best effort: the database may be gone)."""
        with contextlib.suppress(Exception):
            conn = await connect_primary(
                libpq_dsn(self.database_url), timeout=3, **driver_options(self.pooled)
            )
            try:
                await conn.execute(health_sql.FORGET_SQL, self.name)
            finally:
                await conn.close(timeout=3)

    async def _beat(self, pool: asyncpg.Pool) -> None:
        """Heartbeat until the database fails (raises) or the task is cancelled."""
        every = heartbeat_interval(self.settings.worker_stall_seconds)
        while True:
            await pool.execute(health_sql.BEAT_SQL, self.name, self.started_at, timeout=every * 4)
            self._beat_ok = True
            await asyncio.sleep(every)

    async def _work(self) -> None:
        """One run of the queue on fresh connections; returns or raises when it stops."""
        s = self.settings
        concurrency = max(2, s.worker_concurrency)
        # Deliveries need a few connections (a batch's read, the outcome writes); the periodic
        # jobs one each.
        engine = make_engine(self.database_url, concurrency + 2, 2, pooled=self.pooled)
        sessionmaker = make_sessionmaker(engine)
        pool: asyncpg.Pool | None = None
        # The push batches' reads and outcomes on asyncpg itself (not behind a pooler, where
        # they keep the engine: see api/db/direct.py).
        statements: asyncpg.Pool | None = None
        listener: asyncpg.Connection | None = None
        try:
            # connect_primary: the primary of a failover pair (api/pgconnect.py).
            pool = await asyncpg.create_pool(
                libpq_dsn(self.database_url),
                connect=connect_primary,
                min_size=1,
                max_size=6,
                timeout=5,
                # The queue's and the heartbeat's statements leave no session state behind, so
                # a connection goes back without asyncpg's reset, a round trip per release.
                reset=no_reset,
                **driver_options(self.pooled),
            )
            if not self.pooled:
                statements = await open_pool(self.database_url, 4)
            listener = await connect_primary(libpq_dsn(self.listen_url), timeout=5)
            await pool.execute(health_sql.BEAT_SQL, self.name, self.started_at, timeout=5)
            await pool.execute(health_sql.PURGE_SQL, timeout=5)
            if self.outages:
                log.warning("worker reconnected to its database; work resumes")
            async with WebPushSender(
                vapid_keys(s),
                s.vapid_subject,
                connections=concurrency,
                allow_http=s.push_allow_http,
                allowed_hosts=s.push_allowed_hosts,
            ) as sender:
                delivery = PushDelivery(sessionmaker, sender, self.clock, pool=statements)
                pgq = PgQueuer(QueueDriver(pool, listener))
                self._register(pgq, delivery, sessionmaker, pool, concurrency)
                try:
                    await self._run_queue(pgq, pool, concurrency)
                finally:
                    await delivery.aclose()
        finally:
            await _close(listener)
            await _close(statements)
            await _close(pool)
            await engine.dispose()

    def _register(
        self,
        pgq: PgQueuer,
        delivery: PushDelivery,
        sessionmaker: Any,
        pool: asyncpg.Pool,
        concurrency: int,
    ) -> None:
        s = self.settings

        # The jobs of one queue fetch arrive together and are delivered as one batch (one read
        # of their rows, group-committed outcomes); the sender keeps at most ``concurrency``
        # messages on the wire, and the queue at most four times that many jobs in hand.
        @pgq.entrypoint(jobs.DELIVER_PUSH)
        async def deliver(job: Job) -> None:
            ids = jobs.push_ids(job.payload)
            delays = await delivery.deliver_all(ids)
            if len(ids) == 1:  # the job itself comes back when its row is due again
                if (delay := delays[ids[0]]) is not None:
                    raise RetryRequested(delay=timedelta(seconds=delay), reason="push retry")
                return
            # A chunk's rows to try again later get jobs of their own, queued before the
            # chunk's job ends (a worker killed before that leaves them to the sweep).
            retries = [(nid, job.priority, d) for nid, d in delays.items() if d is not None]
            await jobs.retry_push(pgq.queries, retries)

        sms = SmsDelivery(sessionmaker, HttpSmsGateway.from_settings(s), s, self.clock)

        @pgq.entrypoint(jobs.SEND_SMS)
        async def send_sms(job: Job) -> None:
            delay = await sms.send(int(job.payload or b"0"))
            if delay is not None:
                raise RetryRequested(delay=timedelta(seconds=delay), reason="sms retry")

        conversations = ConversationDelivery(
            sessionmaker,
            HttpWhatsApp(s),
            HttpSmsGateway.from_settings(s),
            s,
            self.clock,
        )

        @pgq.entrypoint(jobs.SEND_CONVERSATION)
        async def send_conversation(job: Job) -> None:
            delay = await conversations.send(int(job.payload or b"0"))
            if delay is not None:
                raise RetryRequested(delay=timedelta(seconds=delay), reason="conversation retry")

        @pgq.schedule(jobs.ESCALATE_SLA, cron_every(s.sla_check_seconds))
        async def escalate(_: Schedule) -> None:
            count = await escalate_overdue(sessionmaker, self.clock())
            await pool.execute(health_sql.SLA_SCANNED_SQL, self.name)
            if count:
                log.info("escalated %d missed SLA deadline(s)", count)

        if s.cap_feed_url:

            @pgq.schedule(jobs.POLL_CAP_FEED, cron_every(s.cap_feed_poll_seconds))
            async def poll_cap(_: Schedule) -> None:
                count = await poll_configured(sessionmaker, s)
                if count:
                    log.info("stored %d new CAP alert(s)", count)

        @pgq.schedule(jobs.SWEEP_OUTBOX, cron_every(60))
        async def sweep(_: Schedule) -> None:
            count = await delivery.sweep()
            if count:
                log.warning("re-queued %d outbox row(s) that had lost their job", count)

    async def _run_queue(self, pgq: PgQueuer, pool: asyncpg.Pool, concurrency: int) -> None:
        """Run PgQueuer beside the heartbeat; the first of them to fail (or :attr:`stop`) ends
        both, and a failure is raised to :meth:`run`, which reconnects."""
        heartbeat = timedelta(seconds=max(1, self.settings.worker_heartbeat_seconds))
        queue = asyncio.create_task(
            pgq.run(
                # Fewer, larger fetches: each is a statement and a wake-up (docs/performance.md).
                # Up to two batches in hand, so the next is ready when the sender has room; what
                # waits for the sender waits in memory, its heartbeat kept.
                batch_size=concurrency * 2,
                max_concurrent_tasks=concurrency * 4,
                heartbeat_timeout=heartbeat,
                # New jobs wake the worker at once (LISTEN); the poll finds jobs of killed
                # workers whose heartbeat went stale.
                dequeue_timeout=min(heartbeat, timedelta(seconds=5)),
                # A dead LISTEN connection stops the queue, and run() starts it afresh.
                shutdown_on_listener_failure=True,
            )
        )
        beat = asyncio.create_task(self._beat(pool))
        stopped = asyncio.create_task(self.stop.wait())
        try:
            await asyncio.wait({queue, beat, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            pgq.shutdown.set()
            stopped.cancel()
            beat.cancel()
            await asyncio.wait({stopped, beat}, timeout=2)
            done, _ = await asyncio.wait({queue}, timeout=DRAIN_S)
            if not done:
                queue.cancel()
                await asyncio.wait({queue}, timeout=2)
        # Read both outcomes (so neither is logged as "never retrieved"); raise the first.
        failures = [
            exc
            for task in (beat, queue)
            if task.done() and not task.cancelled() and (exc := task.exception()) is not None
        ]
        if failures:
            raise failures[0]


@contextlib.asynccontextmanager
async def running(
    settings: Settings, database_url: str, *, clock: Callable[[], datetime] = utc_now
) -> AsyncIterator[Worker]:
    """Run a worker in this event loop for the duration of the block (``tanggap dev``, tests)."""
    worker = Worker(settings, database_url, clock=clock)
    task = asyncio.create_task(worker.run())
    try:
        yield worker
    finally:
        worker.stop.set()
        done, _ = await asyncio.wait({task}, timeout=15)
        if not done:
            log.warning("worker did not stop in 15 s; cancelling it")
            task.cancel()
            await asyncio.wait({task}, timeout=5)
        elif not task.cancelled() and task.exception() is not None:
            log.error("worker stopped with an error", exc_info=task.exception())
