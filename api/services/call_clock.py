"""The call-answer clock's figures for the supervisor: answered within 15 s and 20 s against
NENA STA-020.1's targets, the abandoned rate, the busy hours of the week, handling time per
operator, and the live queue board. See docs/call-clock.md.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import call_clock as q
from api.domain.call_clock import ANSWER_TARGETS, QUEUE_STALE_S
from api.domain.stats import ratio
from api.services.stats import Count, PeriodOut, Share, StatsScope

#: The queue board lists at most this many ringing calls (the count says if there are more).
QUEUE_LIMIT = 200


class AnswerTarget(msgspec.Struct):
    """The share of calls answered within ``within_s`` seconds, and NENA's target for it."""

    within_s: int
    target: float
    calls: int  # answered within the time
    share: Share
    met: bool | None  # None when no call was offered


def _avg_s(total_ms: int, n: int) -> float | None:
    return round(total_ms / n / 1000, 1) if n else None


class ClockTimes(msgspec.Struct):
    """Average seconds: ringing to answer, talk, wrap-up, and handling (talk + wrap-up)."""

    queue_s: float | None
    talk_s: float | None
    wrapup_s: float | None
    handling_s: float | None

    @classmethod
    def of(cls, f: q.ClockFigures) -> ClockTimes:
        queue, talk, wrap = (
            _avg_s(f.queue_ms, f.answered),
            _avg_s(f.talk_ms, f.talk_n),
            _avg_s(f.wrapup_ms, f.wrapup_n),
        )
        handling = round(talk + (wrap or 0.0), 1) if talk is not None else None
        return cls(queue, talk, wrap, handling)


class ClockHeadline(msgspec.Struct):
    offered: Count
    answered: Count
    abandoned: Count
    abandoned_rate: Share
    transferred: Count
    averages: ClockTimes


class BusyHour(msgspec.Struct):
    weekday: int  # ISO: 1 Monday .. 7 Sunday, city time
    hour: int
    calls: int
    abandoned: int


class OperatorClock(msgspec.Struct):
    operator_id: int
    name: str | None
    answered: int
    within_15: int
    averages: ClockTimes


class CallClockStats(msgspec.Struct):
    period: PeriodOut
    previous_period: PeriodOut
    answer_targets: list[AnswerTarget]
    headline: ClockHeadline
    busy_hours: list[BusyHour]  # all 168 hours of the week, Monday 0:00 first
    operators: list[OperatorClock]
    source: Literal["rollup", "raw"]


def answer_targets(cur: q.ClockFigures, prev: q.ClockFigures) -> list[AnswerTarget]:
    out = []
    for seconds, target in ANSWER_TARGETS:
        n, before = getattr(cur, f"within_{seconds}"), getattr(prev, f"within_{seconds}")
        value = ratio(n, cur.offered)
        met = None if value is None else value >= target
        out.append(AnswerTarget(seconds, target, n, Share(value, ratio(before, prev.offered)), met))
    return out


async def call_clock_stats(
    db: AsyncSession, scope: StatsScope, *, rollup: bool | None = None
) -> CallClockStats:
    """The period's call-answer clock next to the previous period's."""
    p, prev = scope.period, scope.previous
    use_rollup = scope.rollup_exact if rollup is None else rollup
    cur = await q.totals(db, p.start, p.end, rollup=use_rollup)
    before = await q.totals(db, prev.start, prev.end, rollup=use_rollup)
    hours = await q.busy_hours(
        db, p.start, p.end, tz=scope.tz, offset=scope.offset, rollup=use_rollup
    )
    week = {(h.weekday, h.hour): h for h in hours}
    busy = []
    for d in range(1, 8):
        for h in range(24):
            row = week.get((d, h))
            busy.append(BusyHour(d, h, row.offered if row else 0, row.abandoned if row else 0))
    operators = [
        OperatorClock(
            o.operator_id, o.name, o.figures.answered, o.figures.within_15, ClockTimes.of(o.figures)
        )
        for o in await q.per_operator(db, p.start, p.end, rollup=use_rollup)
    ]
    headline = ClockHeadline(
        offered=Count(cur.offered, before.offered),
        answered=Count(cur.answered, before.answered),
        abandoned=Count(cur.abandoned, before.abandoned),
        abandoned_rate=Share(
            ratio(cur.abandoned, cur.offered), ratio(before.abandoned, before.offered)
        ),
        transferred=Count(cur.transferred, before.transferred),
        averages=ClockTimes.of(cur),
    )
    return CallClockStats(
        period=PeriodOut.of(p, scope.tz),
        previous_period=PeriodOut.of(prev, scope.tz),
        answer_targets=answer_targets(cur, before),
        headline=headline,
        busy_hours=busy,
        operators=operators,
        source="rollup" if use_rollup else "raw",
    )


class QueuedCall(msgspec.Struct):
    id: int
    ringing_since: datetime


class QueueBoard(msgspec.Struct):
    """The calls ringing now, the longest waiting first. Nothing in it changes with the clock
    (the screen counts the waits itself), so an unchanged queue keeps its ETag."""

    ringing: int
    longest_since: datetime | None
    calls: list[QueuedCall]


async def queue_board(db: AsyncSession, now: datetime) -> QueueBoard:
    since = now - timedelta(seconds=QUEUE_STALE_S)
    calls = [QueuedCall(c.id, c.started_at) for c in await q.ringing_now(db, since, QUEUE_LIMIT)]
    return QueueBoard(len(calls), calls[0].ringing_since if calls else None, calls)
