"""The caller hears back: their case's tracking code by SMS (issue #21, part 5).

On the intake screen's "created" step the operator may send the caller the tracking code and
the tracking page's address, in Indonesian or English. The request writes one outbox row per
(case, purpose) and queues its send job in the same transaction; the worker sends it through the
SMS gateway (:class:`SmsDelivery`), retries with a growing delay, and marks it sent or failed,
which staff see on the case. A repeated click, a retried request or a re-run job finds the row
and its idempotency key already there, so the caller gets one message.

The message holds the code and the address only, nothing about the case; the number is never
logged and never travels in a URL.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.adapters import jobs
from api.adapters.sms import SmsGateway
from api.auth import Principal
from api.config import Settings
from api.db import public as db_public
from api.db import sms as q
from api.db.models import SmsMessage
from api.domain.sms import PURPOSE_TRACKING, error_text, next_step, retry_delay, tracking_url
from api.errors import Conflict
from api.i18n import t
from api.services.access import visible_case
from api.services.citizen import tracking_path

log = logging.getLogger("tanggap.sms")


@dataclass(frozen=True)
class CallerSms:
    """What staff see: whether SMS can be sent at all, and the case's message if there is one."""

    available: bool
    message: SmsMessage | None


def tracking_text(settings: Settings, reference: str, language: str) -> str:
    """The SMS: the tracking code and the page to follow it on, nothing else."""
    url = tracking_url(settings.public_url, tracking_path(reference))
    return t("sms_tracking_text", language, reference=reference, url=url, city=settings.city_name)


async def caller_sms(
    db: AsyncSession, settings: Settings, principal: Principal, case_id: uuid.UUID
) -> CallerSms:
    """The tracking-code SMS of a case the caller may see (404 otherwise); it can be sent when
    a gateway is set up and the case has a caller with a number."""
    await visible_case(db, principal, case_id)
    message = await q.message_of(db, case_id, PURPOSE_TRACKING)
    available = settings.sms_enabled and (
        message is not None or await db_public.caller_tracking(db, case_id) is not None
    )
    return CallerSms(available, message)


async def send_tracking_code(
    db: AsyncSession,
    settings: Settings,
    principal: Principal,
    case_id: uuid.UUID,
    language: str,
    now: datetime,
) -> CallerSms:
    """Queue the tracking-code SMS to the case's caller, once. Already queued or sent: the
    message as it is (the first language stays). Failed: queued again, same idempotency key,
    in the language chosen now.
    409 when no gateway is configured or the case has no caller number."""
    await visible_case(db, principal, case_id)
    if not settings.sms_enabled:
        raise Conflict("sms_unavailable")
    caller = await db_public.caller_tracking(db, case_id)
    if caller is None:
        raise Conflict("sms_no_caller_number")
    message = await _queue(
        db, settings, case_id, caller.reference, caller.phone, language, now, principal.user_id
    )
    if message.status == "failed":
        # Locked only now: a pending row may be held by the worker for its send, and a click
        # then need not wait for it. A failed one is not being sent.
        locked = await q.message_of(db, case_id, PURPOSE_TRACKING, for_update=True)
        assert locked is not None
        message = locked
    if message.status == "failed":
        # Staff try again after a failure: the same row and key, so a message the gateway did
        # take before is still not delivered twice.
        message.status, message.attempts, message.last_error = "pending", 0, ""
        message.requested_by = principal.user_id
        message.language = language  # as the operator chose this time
        message.body = tracking_text(settings, caller.reference, language)
        await db.flush()
        await jobs.enqueue_sms(db, message.id)
    return CallerSms(True, message)


def sends_after_intake(settings: Settings) -> bool:
    """Whether a case created with a caller's number sends its code by SMS at once."""
    return settings.sms_tracking_auto and settings.sms_enabled


async def send_after_intake(
    db: AsyncSession,
    settings: Settings,
    case_id: uuid.UUID,
    reference: str,
    phone: str,
    user_id: int | None,
    now: datetime,
) -> None:
    """The city setting ``sms_tracking_auto``: a case just created from a call with a number
    sends its code at once, in Indonesian, in the intake's transaction."""
    if sends_after_intake(settings):
        await _queue(db, settings, case_id, reference, phone, "id", now, user_id)


async def _queue(
    db: AsyncSession,
    settings: Settings,
    case_id: uuid.UUID,
    reference: str,
    phone: str,
    language: str,
    now: datetime,
    user_id: int | None,
) -> SmsMessage:
    """The case's tracking-code message, added and its send job queued if it is new."""
    new_id = await q.add_message(
        db,
        {
            "case_id": case_id,
            "purpose": PURPOSE_TRACKING,
            "key": uuid.uuid4(),
            "phone": phone,
            "language": language,
            "body": tracking_text(settings, reference, language),
            "status": "pending",
            "attempts": 0,
            "last_error": "",
            "requested_by": user_id,
            "created_at": now,
        },
    )
    message = await q.message_of(db, case_id, PURPOSE_TRACKING)
    assert message is not None
    if new_id is not None:
        await jobs.enqueue_sms(db, new_id)
    return message


class SmsDelivery:
    """The worker's side: one send per job, its outcome written before the job ends."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        gateway: SmsGateway,
        settings: Settings,
        clock: Callable[[], datetime],
    ) -> None:
        self.sessionmaker = sessionmaker
        self.gateway = gateway
        self.settings = settings
        self.clock = clock

    async def send(self, message_id: int) -> int | None:
        """Send one outbox row if it still waits; the seconds until the next try, or ``None``
        when there is nothing more to do (sent, failed for good, or not pending any more).

        The row stays locked during the send, so a second run of the job waits for the first
        one's outcome. If the worker dies after the gateway took the message but before the
        outcome is written, the job runs again and sends with the same key: the gateway keeps
        the message it already has (docs/operations.md, "SMS gateway")."""
        s = self.settings
        async with self.sessionmaker() as db, db.begin():
            message = await q.message_to_send(db, message_id)
            if message is None:
                return None
            result = await self.gateway.send(
                to=message.phone, text=message.body, key=str(message.key)
            )
            message.attempts += 1
            step = next_step(result, message.attempts, s.sms_max_attempts)
            if step == "sent":
                message.status, message.sent_at, message.last_error = "sent", self.clock(), ""
                # Its copy of the number has served: the case's reporter row keeps the original.
                message.phone = ""
                return None
            message.last_error = error_text(result)
            # The id and the outcome only: the number and the text stay out of the log.
            log.warning(
                "sms %s: try %d failed (%s)", message.id, message.attempts, message.last_error
            )
            if step == "failed":
                message.status = "failed"
                return None
            return retry_delay(message.attempts, s.sms_retry_seconds)
