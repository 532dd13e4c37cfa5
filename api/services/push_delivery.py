"""Delivering outbox rows: send them, record what the push service said, decide what next.

Run by the worker's ``push.deliver`` jobs, each carrying the rows one transaction wrote (up to
:data:`api.adapters.jobs.PUSH_CHUNK`). The jobs of one queue fetch are served together: their
rows are read in one statement, sent at once over the sender's pooled
connections, and each outcome is committed as soon as its push service answers, in one
statement with the other answers that arrive while a write is running (a group commit). A row
belongs to the worker holding its job: there is at most one live job per row (the dedupe keys,
and the sweep, which skips the rows of live jobs),
and a killed worker's jobs come back only once their heartbeat is stale, so two workers do not
send the same row at once. Only a worker killed between the push service's ``201`` and that
commit (or stalled past the heartbeat timeout) can cause a second send; the ``Topic`` header and
the payload's ``tag`` and ``nid`` let the push service and the service worker show it once.

Every failed send counts as an attempt, whatever went wrong (no answer, an error status, a
refused endpoint, unusable keys, an exception anywhere in the delivery), so a poisoned row ends
as ``failed`` after its attempts instead of coming back forever. A device that is not a push
service we may reach, or that failed every attempt of a message and has taken none since, is
removed: it stops costing sends.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.adapters import jobs
from api.adapters.webpush import PushResult, Subscription, WebPushSender
from api.db import direct
from api.db import push as db_push
from api.domain.notifications import (
    MAX_ATTEMPTS,
    outcome_of,
    parse_retry_after,
    remaining_ttl,
    retry_delay,
    should_give_up,
)

log = logging.getLogger("tanggap.push")

_encode = msgspec.json.Encoder().encode

# A pending row whose next attempt is this late has lost its job (see :meth:`sweep`).
ORPHAN_GRACE = timedelta(seconds=60)
# How long a stopping worker waits for the sends and outcome writes it started.
CLOSE_S = 5.0
# While other messages are on the wire, an outcome waits this long for their answers so that
# one statement records them all (no wait once OUTCOME_BATCH are in hand). The message is
# already delivered: only its row waits. Each statement costs the worker a round trip: the
# outcome statements were a tenth of its CPU at full speed.
OUTCOME_LINGER_S = 0.005
OUTCOME_BATCH = 64


class PushDelivery:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        sender: WebPushSender,
        clock: Callable[[], datetime],
        rand: Callable[[], float] = random.random,
        *,
        pool: Any = None,
    ) -> None:
        """``pool``: an asyncpg pool of :func:`api.db.direct.open_pool` for the batches' reads
        and outcomes (none behind a transaction pooler: they then run on the engine)."""
        self._sessionmaker = sessionmaker
        self._engine: AsyncEngine = sessionmaker.kw["bind"]
        self._pool = pool
        self._sender = sender
        self._clock = clock
        self._rand = rand
        # Rows asked for in this turn of the event loop, read together (see deliver_all()).
        self._gathering: list[tuple[int, asyncio.Future[Awaitable[float | None]]]] = []
        self._outcomes: list[tuple[db_push.Finished, asyncio.Future[None]]] = []
        self._tasks: set[asyncio.Future[Any]] = set()
        self._writing: asyncio.Task[None] | None = None
        self._sending = 0  # attempts in the sender: waiting for the wire, or for an answer

    def _ask(self, notification_id: int) -> asyncio.Future[Awaitable[float | None]]:
        """Add the row to the read being gathered; the future gives its attempt once read."""
        future: asyncio.Future[Awaitable[float | None]] = asyncio.get_running_loop().create_future()
        self._gathering.append((notification_id, future))
        if len(self._gathering) == 1:
            self._spawn(self._read_gathered())
        return future

    async def deliver_all(self, ids: list[int]) -> dict[int, float | None]:
        """Try each of a job's outbox rows once. Per row: the seconds to wait before trying
        again, or ``None`` when there is nothing more to do (sent, gone, failed, or already
        finished).

        Rows asked for at the same time (the jobs of one queue fetch) are read in one
        statement; a row's answer comes once its outcome is committed, which a few rows
        answered at once share. A row whose delivery itself broke (e.g. the database answered
        an error) still counts an attempt (:meth:`count_failure`), so it is neither lost nor
        retried forever."""
        # All asked for in this turn of the loop, so all read at once; their attempts run as
        # tasks of their own, so awaiting them in turn waits no longer than the slowest.
        asked = [(nid, self._ask(nid)) for nid in ids]
        delays: dict[int, float | None] = {}
        for nid, future in asked:
            try:
                delays[nid] = await (await future)
            except Exception as exc:
                log.warning("push %s: delivery error %s", nid, type(exc).__name__)
                delays[nid] = await self.count_failure(nid, type(exc).__name__)
        return delays

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _read_gathered(self) -> None:
        # Let the rest of the batch arrive: wait until a turn of the loop adds no row.
        seen = 0
        while seen != len(self._gathering):
            seen = len(self._gathering)
            await asyncio.sleep(0)
        batch, self._gathering = self._gathering, []
        try:
            attempts = await self.deliver_many([nid for nid, _ in batch])
        except Exception as exc:
            _settle(batch, exc)
        else:
            _settle(batch, attempts.__getitem__)

    async def deliver_many(self, ids: list[int]) -> dict[int, Awaitable[float | None]]:
        """Read the pending rows among ``ids`` in one statement and send them all at once
        (the sender bounds how many are on the wire). Each id's awaitable gives what
        :meth:`deliver_all` gives for it."""
        async with direct.connection(self._pool, self._engine) as conn:
            rows = await db_push.pending_many(conn, ids)
        nothing: asyncio.Future[float | None] = asyncio.get_running_loop().create_future()
        nothing.set_result(None)
        attempts: dict[int, Awaitable[float | None]] = dict.fromkeys(ids, nothing)
        for row in rows:
            attempts[row.id] = self._spawn(self._attempt(row))
        return attempts

    async def _attempt(self, row: db_push.Due) -> float | None:
        now = self._clock()
        if row.sub_id is None:
            done = _finished(row, "gone", row.attempts, "subscription removed")
            delay = None
        elif should_give_up(row.attempts, row.created_at, row.ttl_s, now):
            done, delay = _finished(row, "failed", row.attempts, row.last_error), None
        else:
            self._sending += 1
            try:
                result = await self._sender.send(
                    Subscription(row.endpoint, row.p256dh, row.auth),
                    _encode({**row.payload, "nid": row.id}),
                    ttl=remaining_ttl(row.created_at, row.ttl_s, now),
                    urgency=row.urgency,
                    topic=row.topic,
                )
            except Exception as exc:  # whatever failed, it was an attempt
                result = PushResult(None, None, f"{type(exc).__name__}: {exc}"[:300])
            finally:
                self._sending -= 1
            done, delay = self._judge(row, result)
        await self._record(done)
        return delay

    def _judge(self, row: db_push.Due, result: PushResult) -> tuple[db_push.Finished, float | None]:
        """What the push service's answer leaves in the row, and the delay before a retry."""
        now = self._clock()
        attempts = row.attempts + 1
        if result.refused:
            # Not a push service we may reach, or keys no send can use: give up on the device.
            log.warning("push subscription %s removed: %s", row.sub_id, result.error)
            return _finished(row, "failed", attempts, result.error[:1000], drop_sub=True), None
        outcome = outcome_of(result.status)
        if outcome == "sent":
            sent = replace(_finished(row, "sent", attempts, ""), sent_at=now, sub_took_it=True)
            return sent, None
        error = f"{result.status or 'no answer'}: {result.error}"[:1000]
        if outcome == "gone":
            # The browser unsubscribed or the subscription expired: forget the device. Its
            # other pending rows lose their subscription and end as "gone" too.
            log.info("push subscription %s is gone (%s)", row.sub_id, result.status)
            return _finished(row, "gone", attempts, error, drop_sub=True), None
        if outcome == "failed" or should_give_up(attempts, row.created_at, row.ttl_s, now):
            log.warning("push %s failed for good: %s", row.id, error)
            exhausted = outcome == "failed" or attempts >= MAX_ATTEMPTS
            silent = row.last_success_at is None or row.last_success_at < row.created_at
            if exhausted and silent:
                # Every attempt failed and nothing got through since: the device is dead.
                log.warning("push subscription %s removed after failing", row.sub_id)
            dead = exhausted and silent
            return _finished(row, "failed", attempts, error, drop_sub=dead), None
        delay = retry_delay(attempts, parse_retry_after(result.retry_after, now), self._rand())
        retry = replace(
            _finished(row, "pending", attempts, error),
            next_attempt_at=now + timedelta(seconds=delay),
        )
        return retry, delay

    async def _record(self, done: db_push.Finished) -> None:
        """Commit an outcome together with the others that arrive while a write is running
        (a group commit): one statement for many answers, and no answer waits for a batch."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._outcomes.append((done, future))
        if self._writing is None or self._writing.done():
            self._writing = self._spawn(self._write_outcomes())
        await future

    async def _write_outcomes(self) -> None:
        while self._outcomes:
            if self._sending and len(self._outcomes) < OUTCOME_BATCH:
                await asyncio.sleep(OUTCOME_LINGER_S)  # more answers are coming
            batch, self._outcomes = self._outcomes, []
            rows = [done for done, _ in batch]
            try:
                if db_push.dropping_devices(rows):
                    async with self._engine.begin() as conn:
                        await db_push.finish_many_dropping(conn, rows)
                else:  # one statement: atomic without a transaction round trip
                    async with direct.connection(self._pool, self._engine) as one:
                        await db_push.finish_many(one, rows)
            except Exception as exc:
                _settle(batch, exc)
            else:
                _settle(batch, lambda _: None)

    async def aclose(self) -> None:
        """Wait (at most :data:`CLOSE_S`) for the reads, sends and outcome writes running."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=CLOSE_S)

    async def count_failure(self, notification_id: int, error: str) -> float | None:
        """The delivery itself broke (e.g. the database answered an error): still an attempt.
        Returns the seconds before the next one, or ``None`` once the row has given up."""
        async with self._sessionmaker() as db, db.begin():
            n = await db_push.pending_notification(db, notification_id)
            if n is None:
                return None
            now = self._clock()
            n.attempts += 1
            n.last_error = f"delivery error: {error}"[:1000]
            if should_give_up(n.attempts, n.created_at, n.ttl_s, now):
                n.status = "failed"
                return None
            delay = retry_delay(n.attempts, None, self._rand())
            n.next_attempt_at = now + timedelta(seconds=delay)
            return delay

    async def sweep(self, limit: int = 1000) -> int:
        """Queue a job again for pending rows whose job is gone (e.g. deleted by hand).

        Rows that a queued or running job carries are skipped, so this never doubles work.
        """
        cutoff = self._clock() - ORPHAN_GRACE
        async with self._sessionmaker() as db, db.begin():
            rows = await db_push.overdue_pending(db, cutoff, limit, entrypoint=jobs.DELIVER_PUSH)
            await jobs.enqueue_push(db, [(r.id, r.urgency == "high") for r in rows])
        return len(rows)


def _settle(
    waiting: Sequence[tuple[Any, asyncio.Future[Any]]],
    answer: Callable[[Any], Any] | BaseException,
) -> None:
    """Answer each future of a batch still waiting: ``answer(key)``, or the batch's error."""
    for key, future in waiting:
        if future.done():
            continue
        if isinstance(answer, BaseException):
            future.set_exception(answer)
        else:
            future.set_result(answer(key))


def _finished(
    row: db_push.Due, status: str, attempts: int, error: str, *, drop_sub: bool = False
) -> db_push.Finished:
    return db_push.Finished(
        row.id,
        status,
        attempts,
        error,
        row.next_attempt_at,
        row.sent_at,
        row.sub_id,
        drop_sub=drop_sub,
    )
