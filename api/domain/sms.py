"""Outbound SMS to a caller: what a message may say, and what to do after each send.

The caller of a case created from a call may get its tracking code by SMS. One message per
(case, purpose), sent by the worker through an SMS gateway (:mod:`api.adapters.sms`); these
rules decide, from the gateway's answer, whether the message is sent, tried again later (with a
growing delay) or given up and shown as failed to staff. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: The only purpose so far: the tracking code of a case created from the caller's call.
PURPOSE_TRACKING = "tracking_code"
PURPOSES = (PURPOSE_TRACKING,)
#: pending (queued or between tries) -> sent | failed (given up; staff may send it again)
STATUSES = ("pending", "sent", "failed")
LANGUAGES = ("id", "en")

# Tries after the first are spaced first_delay, 2x, 4x... and never more than an hour apart.
MAX_DELAY_S = 3600

Next = Literal["sent", "retry", "failed"]


@dataclass(frozen=True, slots=True)
class SendResult:
    """What the gateway answered: its HTTP status, or ``None`` when it never answered (refused
    connection, timeout: the message may or may not have gone out)."""

    status: int | None
    error: str = ""


def next_step(result: SendResult, attempts: int, max_attempts: int) -> Next:
    """After send number ``attempts``: ``sent`` on a 2xx; ``failed`` when the gateway refused
    the message for good (a 4xx other than 408 and 429) or the tries are used up; else
    ``retry``. An unknown outcome is retried with the same idempotency key, so a gateway that
    did take the message the first time does not deliver it twice."""
    status = result.status
    if status is not None and 200 <= status < 300:
        return "sent"
    permanent = status is not None and 400 <= status < 500 and status not in (408, 429)
    if permanent or attempts >= max_attempts:
        return "failed"
    return "retry"


def retry_delay(attempts: int, first_delay_s: int) -> int:
    """Seconds to wait before the next try after ``attempts`` tries: doubling, capped."""
    return min(MAX_DELAY_S, max(1, first_delay_s) * 2 ** max(0, attempts - 1))


def tracking_url(public_url: str, tracking_path: str) -> str:
    """The page a caller follows their case on: the public address plus the case's path."""
    return public_url.rstrip("/") + tracking_path


def error_text(result: SendResult) -> str:
    """What staff see of a failed try: the status or the kind of error, never the request
    (which holds the number)."""
    if result.status is not None:
        return f"HTTP {result.status}"
    return result.error[:120] or "no answer"
