"""Call-answer clock SQL: the period's totals, the busy hours of the week, the figures per
operator, and the calls ringing now.

The figures read ``stats_call_clock_hours`` (PBX calls per UTC hour of ringing and operator,
kept exact by triggers; migration 0015), or the raw ``calls`` table with ``rollup=False``: the
service does when the city's zone is not a whole number of hours from UTC, and the tests use it
to prove both paths give the same numbers. A call counts once it was answered or ended, in the
hour it began to ring.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    not_,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from api.db.models import Call, StatsCallClockHour, User
from api.db.stats import all_rows, local_time

#: The rollup's counts and sums, in the order of its columns (after its key).
FIGURES: tuple[str, ...] = tuple(
    c.name for c in StatsCallClockHour.__table__.columns if not c.primary_key
)


def _ms(interval: Any) -> ColumnElement[Any]:
    """Whole milliseconds of a non-negative interval, as the triggers round them."""
    epoch = extract("epoch", func.greatest(interval, literal(timedelta(0))))
    return func.coalesce(cast(epoch * 1000, BigInteger), 0)


def _one(cond: ColumnElement[bool]) -> ColumnElement[Any]:
    return case((cond, 1), else_=0)


def _raw_rows(start: datetime, end: datetime) -> Any:
    """Per call, what the triggers add to the rollup (migration 0015), from ``calls``."""
    c = Call
    answered = c.answered_at.is_not(None)
    talked = and_(answered, c.ended_at.is_not(None))
    wrapped = and_(talked, c.wrapped_at.is_not(None))
    queue = c.answered_at - c.started_at
    return select(
        c.started_at.label("at"),
        func.coalesce(c.operator_id, 0).label("operator_id"),
        literal(1).label("offered"),
        _one(answered).label("answered"),
        _one(and_(answered, queue <= timedelta(seconds=15))).label("within_15"),
        _one(and_(answered, queue <= timedelta(seconds=20))).label("within_20"),
        _one(not_(answered)).label("abandoned"),
        _one(c.transferred_at.is_not(None)).label("transferred"),
        _ms(queue).label("queue_ms"),
        _one(talked).label("talk_n"),
        case((talked, _ms(c.ended_at - c.answered_at)), else_=0).label("talk_ms"),
        _one(wrapped).label("wrapup_n"),
        case((wrapped, _ms(c.wrapped_at - c.ended_at)), else_=0).label("wrapup_ms"),
    ).where(
        c.pbx_call_id.is_not(None),
        or_(answered, c.ended_at.is_not(None)),
        c.started_at >= start,
        c.started_at < end,
    )


def _rows(start: datetime, end: datetime, rollup: bool) -> Any:
    if not rollup:
        return _raw_rows(start, end).subquery()
    h = StatsCallClockHour
    cols = [getattr(h, f).label(f) for f in FIGURES]
    q = select(h.bucket.label("at"), h.operator_id.label("operator_id"), *cols)
    return q.where(h.bucket >= start, h.bucket < end).subquery()


def _sums(src: Any) -> list[ColumnElement[Any]]:
    return [func.coalesce(func.sum(src.c[f]), 0).label(f) for f in FIGURES]


@dataclass(frozen=True, slots=True)
class ClockFigures:
    """Counts and millisecond sums of a set of calls (see :data:`FIGURES`)."""

    offered: int = 0
    answered: int = 0
    within_15: int = 0
    within_20: int = 0
    abandoned: int = 0
    transferred: int = 0
    queue_ms: int = 0
    talk_n: int = 0
    talk_ms: int = 0
    wrapup_n: int = 0
    wrapup_ms: int = 0

    @classmethod
    def of(cls, row: Any) -> ClockFigures:
        return cls(**{f: int(getattr(row, f)) for f in FIGURES})


async def totals(
    db: AsyncSession, start: datetime, end: datetime, *, rollup: bool = True
) -> ClockFigures:
    """The figures of the calls that began to ring in [start, end)."""
    src = _rows(start, end, rollup)
    row = (await all_rows(db, select(*_sums(src))))[0]
    return ClockFigures.of(row)


@dataclass(frozen=True, slots=True)
class BusyHourRow:
    weekday: int  # ISO: 1 Monday .. 7 Sunday, city time
    hour: int
    offered: int
    abandoned: int


def _week_hour(tz: str, offset: int | None, at: Any) -> tuple[Any, Any]:
    """(ISO weekday, hour) of ``at`` in city time: arithmetic when the offset is constant."""
    if offset is None:
        local = local_time(tz, at)
        return cast(extract("isodow", local), Integer), cast(extract("hour", local), Integer)
    hours = cast(func.floor((func.date_part("epoch", at) + offset) / 3600), BigInteger)
    # 1970-01-01 (day 0) was a Thursday, ISO weekday 4.
    weekday = (hours // 24 + 3) % 7 + 1
    return cast(weekday, Integer), cast(hours % 24, Integer)


async def busy_hours(
    db: AsyncSession, start: datetime, end: datetime, *, tz: str, offset: int | None, rollup: bool
) -> list[BusyHourRow]:
    """Calls offered and abandoned per hour of the week (only the hours that had calls)."""
    src = _rows(start, end, rollup)
    weekday, hour = _week_hour(tz, offset, src.c.at)
    inner = select(
        weekday.label("weekday"), hour.label("hour"), src.c.offered, src.c.abandoned
    ).subquery()
    q = select(
        inner.c.weekday,
        inner.c.hour,
        func.sum(inner.c.offered).label("offered"),
        func.sum(inner.c.abandoned).label("abandoned"),
    ).group_by(inner.c.weekday, inner.c.hour)
    return [
        BusyHourRow(int(r.weekday), int(r.hour), int(r.offered), int(r.abandoned))
        for r in await all_rows(db, q)
    ]


@dataclass(frozen=True, slots=True)
class OperatorRow:
    operator_id: int
    name: str | None
    figures: ClockFigures


async def per_operator(
    db: AsyncSession, start: datetime, end: datetime, *, rollup: bool = True
) -> list[OperatorRow]:
    """The figures of the calls each operator took (answered), most calls first."""
    src = _rows(start, end, rollup)
    inner = (
        select(src.c.operator_id, *_sums(src))
        .where(src.c.operator_id != 0)
        .group_by(src.c.operator_id)
        .subquery()
    )
    q = (
        select(inner, User.full_name.label("name"))
        .outerjoin(User, User.id == inner.c.operator_id)
        .where(inner.c.answered > 0)
        .order_by(inner.c.answered.desc(), inner.c.operator_id)
    )
    return [
        OperatorRow(int(r.operator_id), r.name, ClockFigures.of(r)) for r in await all_rows(db, q)
    ]


@dataclass(frozen=True, slots=True)
class RingingCall:
    id: int
    started_at: datetime


async def ringing_now(db: AsyncSession, since: datetime, limit: int) -> list[RingingCall]:
    """PBX calls ringing now (not answered, not ended) that began after ``since``, the
    longest waiting first; read from a partial index."""
    c = Call
    q = (
        select(c.id, c.started_at)
        .where(
            c.pbx_call_id.is_not(None),
            c.answered_at.is_(None),
            c.ended_at.is_(None),
            c.started_at >= since,
        )
        .order_by(c.started_at, c.id)
        .limit(limit)
    )
    return [RingingCall(int(r.id), r.started_at) for r in await all_rows(db, q)]
