"""``tanggap worker``: delivers Web Push from the outbox and runs the periodic jobs.

Jobs live in PostgreSQL (PgQueuer, migration 0003), so any number of workers share them and a
killed worker loses nothing: its jobs stop sending heartbeats and another worker (or the same
one, restarted) picks them up after ``worker_heartbeat_seconds``.

- ``push.deliver`` (one per outbox row, queued in the transaction that wrote the row): one send;
  a retry is the same job re-queued with the delay the rules ask for (Retry-After, backoff).
- ``sla.escalate`` every ``sla_check_seconds``: :func:`api.services.escalation.escalate_overdue`.
- ``push.sweep`` every minute: re-queues outbox rows whose job was lost.

The worker takes a clock like the API does; tests pass their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
from pgqueuer import PgQueuer
from pgqueuer.errors import RetryRequested
from pgqueuer.models import Job, Schedule

from api.adapters import jobs
from api.adapters.events import libpq_dsn
from api.adapters.keys import vapid_keys
from api.adapters.webpush import WebPushSender
from api.config import Settings
from api.db.session import make_engine, make_sessionmaker
from api.services.escalation import escalate_overdue
from api.services.push_delivery import PushDelivery

log = logging.getLogger("tanggap.worker")


def utc_now() -> datetime:
    return datetime.now(UTC)


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

    async def run(self) -> None:
        """Work until :attr:`stop` is set."""
        s = self.settings
        concurrency = max(2, s.worker_concurrency)
        # One database connection per message on the wire, plus the periodic jobs.
        engine = make_engine(self.database_url, concurrency + 2, 2)
        sessionmaker = make_sessionmaker(engine)
        pool = await asyncpg.create_pool(libpq_dsn(self.database_url), min_size=1, max_size=6)
        try:
            async with WebPushSender(
                vapid_keys(s),
                s.vapid_subject,
                connections=concurrency,
                allow_http=s.push_allow_http,
                allowed_hosts=s.push_allowed_hosts,
            ) as sender:
                delivery = PushDelivery(sessionmaker, sender, self.clock)
                pgq = PgQueuer.from_asyncpg_pool(pool)

                # At most this many messages on the wire (and database connections in use).
                on_the_wire = asyncio.Semaphore(concurrency)

                @pgq.entrypoint(jobs.DELIVER_PUSH)
                async def deliver(job: Job) -> None:
                    async with on_the_wire:
                        nid = int(job.payload or b"0")
                        try:
                            delay = await delivery.deliver(nid)
                        except Exception as exc:  # counted, never re-queued forever
                            log.warning("push %s: delivery error %s", nid, type(exc).__name__)
                            delay = await delivery.count_failure(nid, type(exc).__name__)
                    if delay is not None:
                        raise RetryRequested(delay=timedelta(seconds=delay), reason="push retry")

                @pgq.schedule(jobs.ESCALATE_SLA, cron_every(s.sla_check_seconds))
                async def escalate(_: Schedule) -> None:
                    count = await escalate_overdue(sessionmaker, self.clock())
                    if count:
                        log.info("escalated %d missed SLA deadline(s)", count)

                @pgq.schedule(jobs.SWEEP_OUTBOX, cron_every(60))
                async def sweep(_: Schedule) -> None:
                    count = await delivery.sweep()
                    if count:
                        log.warning("re-queued %d outbox row(s) that had lost their job", count)

                async def stop_on_signal() -> None:
                    await self.stop.wait()
                    pgq.shutdown.set()

                stopper = asyncio.create_task(stop_on_signal())
                try:
                    heartbeat = timedelta(seconds=max(1, s.worker_heartbeat_seconds))
                    await pgq.run(
                        batch_size=max(1, concurrency // 2),
                        # Up to two batches waiting for a slot, so the next is ready at once.
                        max_concurrent_tasks=concurrency * 2,
                        heartbeat_timeout=heartbeat,
                        # New jobs wake the worker at once (LISTEN); the poll finds jobs of
                        # killed workers whose heartbeat went stale.
                        dequeue_timeout=min(heartbeat, timedelta(seconds=5)),
                    )
                finally:
                    stopper.cancel()
        finally:
            await pool.close()
            await engine.dispose()


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
