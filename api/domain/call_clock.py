"""The call-answer clock: how PBX events move a call's moments, and NENA STA-020.1's targets.

Pure functions, no I/O. A call's clock is four moments: it began to ring (``started_at``), was
answered, ended, and the operator finished its wrap-up. Events may arrive late, twice or out of
order, so every moment only ever moves to the earliest time reported for it, and ringing moves
to the earliest moment of all: applying the same events in any order, any number of times,
gives the same clock. A PBX call that ended without an answer was abandoned.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

#: NENA STA-020.1: 90% of calls answered within 15 s, 95% within 20 s.
ANSWER_TARGETS: tuple[tuple[int, float], ...] = ((15, 0.90), (20, 0.95))

#: The PBX webhook's events (``call.location`` carries a position and moves no moment).
PbxEventKind = Literal[
    "call.started",
    "call.ringing",
    "call.answered",
    "call.transferred",
    "call.ended",
    "call.abandoned",
    "call.wrapup_ended",
    "call.location",
]

#: A call still "ringing" after this long lost its end event: the queue board leaves it out.
QUEUE_STALE_S = 3600


@dataclass(frozen=True, slots=True)
class Clock:
    started_at: datetime
    answered_at: datetime | None = None
    transferred_at: datetime | None = None
    ended_at: datetime | None = None
    wrapped_at: datetime | None = None


def _earliest(current: datetime | None, at: datetime) -> datetime:
    return at if current is None or at < current else current


def apply_event(clock: Clock, event: str, at: datetime) -> Clock:
    """The clock after one PBX event at ``at``: idempotent, and the same in any order."""
    c = replace(clock, started_at=min(clock.started_at, at))
    if event == "call.answered":
        c = replace(c, answered_at=_earliest(c.answered_at, at))
    elif event == "call.transferred":
        c = replace(c, transferred_at=_earliest(c.transferred_at, at))
    elif event in ("call.ended", "call.abandoned"):
        c = replace(c, ended_at=_earliest(c.ended_at, at))
    elif event == "call.wrapup_ended":
        c = replace(c, wrapped_at=_earliest(c.wrapped_at, at))
    return c


def span_s(a: datetime | None, b: datetime | None) -> float | None:
    """``b - a`` in seconds, never negative; None when either moment is missing."""
    if a is None or b is None:
        return None
    return max(0.0, (b - a).total_seconds())


def clock_times(c: Clock) -> tuple[float | None, float | None, float | None]:
    """(queue, talk, wrap-up) seconds of one call, as the statistics count them: queue until
    the answer, talk from the answer to the end, wrap-up from the end (answered calls only)."""
    talk = span_s(c.answered_at, c.ended_at)
    return (
        span_s(c.started_at, c.answered_at),
        talk,
        span_s(c.ended_at, c.wrapped_at) if (talk is not None) else None,
    )
