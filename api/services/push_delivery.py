"""Delivering one outbox row: send it, record what the push service said, decide what next.

Run by the worker's ``push.deliver`` job. The row stays locked (``FOR UPDATE SKIP LOCKED``) while
its message is on the wire, so two workers never send the same row at once, and its outcome is
committed as soon as the push service answers. Only a worker killed between the push service's
``201`` and that commit can cause a second send; the ``Topic`` header and the payload's ``tag``
and ``nid`` let the push service and the service worker show it once.

Every failed send counts as an attempt, whatever went wrong (no answer, an error status, a
refused endpoint, unusable keys, an exception anywhere in the delivery), so a poisoned row ends
as ``failed`` after its attempts instead of coming back forever. A device that is not a push
service we may reach, or that failed every attempt of a message and has taken none since, is
removed: it stops costing sends.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.adapters import jobs
from api.adapters.webpush import PushResult, Subscription, WebPushSender
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


class PushDelivery:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        sender: WebPushSender,
        clock: Callable[[], datetime],
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._sender = sender
        self._clock = clock
        self._rand = rand

    async def deliver(self, notification_id: int) -> float | None:
        """Try one outbox row once. Returns the seconds to wait before trying again, or ``None``
        when there is nothing more to do (sent, gone, failed, or another worker has it)."""
        async with self._sessionmaker() as db, db.begin():
            row = await db_push.pending_for_delivery(db, notification_id)
            if row is None:
                return None
            n, sub = row.notification, row.subscription
            now = self._clock()
            if sub is None:
                n.status, n.last_error = "gone", "subscription removed"
                return None
            if should_give_up(n.attempts, n.created_at, n.ttl_s, now):
                n.status = "failed"
                return None
            try:
                result = await self._sender.send(
                    Subscription(sub.endpoint, sub.p256dh, sub.auth),
                    _encode({**n.payload, "nid": n.id}),
                    ttl=remaining_ttl(n.created_at, n.ttl_s, now),
                    urgency=n.urgency,
                    topic=n.topic,
                )
            except Exception as exc:  # whatever failed, it was an attempt
                result = PushResult(None, None, f"{type(exc).__name__}: {exc}"[:300])
            now = self._clock()
            n.attempts += 1
            if result.refused:
                # Not a push service we may reach, or keys no send can use: give up on the device.
                n.status, n.last_error = "failed", result.error[:1000]
                await db.delete(sub)
                log.warning("push subscription %s removed: %s", sub.id, result.error)
                return None
            outcome = outcome_of(result.status)
            if outcome == "sent":
                n.status, n.sent_at, n.last_error = "sent", now, ""
                sub.last_success_at = now
                return None
            n.last_error = f"{result.status or 'no answer'}: {result.error}"[:1000]
            if outcome == "gone":
                # The browser unsubscribed or the subscription expired: forget the device. Its
                # other pending rows lose their subscription and end as "gone" too.
                n.status = "gone"
                await db.delete(sub)
                log.info("push subscription %s is gone (%s)", sub.id, result.status)
                return None
            if outcome == "failed" or should_give_up(n.attempts, n.created_at, n.ttl_s, now):
                n.status = "failed"
                log.warning("push %s failed for good: %s", n.id, n.last_error)
                exhausted = outcome == "failed" or n.attempts >= MAX_ATTEMPTS
                silent = sub.last_success_at is None or sub.last_success_at < n.created_at
                if exhausted and silent:
                    # Every attempt failed and nothing got through since: the device is dead.
                    await db.delete(sub)
                    log.warning("push subscription %s removed after failing", sub.id)
                return None
            delay = retry_delay(
                n.attempts, parse_retry_after(result.retry_after, now), self._rand()
            )
            n.next_attempt_at = now + timedelta(seconds=delay)
            return delay

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

        The dedupe key skips rows whose job is still queued or running, so this never
        doubles work.
        """
        cutoff = self._clock() - ORPHAN_GRACE
        async with self._sessionmaker() as db, db.begin():
            rows = await db_push.overdue_pending(db, cutoff, limit)
            await jobs.enqueue_push(db, [(r.id, r.urgency == "high") for r in rows])
        return len(rows)
