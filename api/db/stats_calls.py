"""Call statistics SQL: calls per class, per local day and per local hour, and repeated prank
numbers.

The figures read ``stats_call_hours`` (calls per UTC hour and class, kept exact by triggers;
migration 0004), or the raw ``calls`` table with ``rollup=False``: the service does when the
city's zone is not a whole number of hours from UTC, and the tests use it to prove both paths
give the same numbers. Repeated prank numbers read a partial index of ``calls``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, cast, extract, func, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from api.db.models import Call, StatsCallHour
from api.db.stats import all_rows, local_day, local_time
from api.domain.stats import UNCLASSIFIED


def _local_hour(tz: str, offset: int | None, at: Any) -> ColumnElement[Any]:
    if offset is None:
        return cast(extract("hour", local_time(tz, at)), Integer)
    hours = cast(func.floor((func.date_part("epoch", at) + offset) / 3600), BigInteger)
    return cast(hours % 24, Integer)


@dataclass(frozen=True, slots=True)
class CallCountRow:
    """Calls of one class on one local day (``hour`` is None) or at one local hour of the day
    over the whole period (``day`` is None)."""

    day: date | None
    hour: int | None
    call_class: str
    calls: int


def _call_rows(start: datetime, end: datetime, rollup: bool) -> Any:
    """Per-row source for the call figures: (UTC time, class, number of calls)."""
    if rollup:
        h = StatsCallHour
        q = select(h.bucket.label("at"), h.call_class.label("cls"), h.calls.label("n"))
        return q.where(h.bucket >= start, h.bucket < end)
    return select(
        Call.started_at.label("at"),
        func.coalesce(Call.call_class, UNCLASSIFIED).label("cls"),
        literal(1).label("n"),
    ).where(Call.started_at >= start, Call.started_at < end)


async def call_counts(
    db: AsyncSession,
    tz: str,
    start: datetime,
    end: datetime,
    *,
    rollup: bool = True,
    offset: int | None = None,
) -> list[CallCountRow]:
    """Calls per (local day, class) and per (local hour of day, class), in one pass."""
    src = _call_rows(start, end, rollup).subquery()
    day = local_day(tz, offset, src.c.at).label("day")
    hour = _local_hour(tz, offset, src.c.at).label("hour")
    inner = select(day, hour, src.c.cls, src.c.n).subquery()
    q = select(
        inner.c.day,
        inner.c.hour,
        inner.c.cls,
        func.sum(inner.c.n).label("calls"),
        func.grouping(inner.c.day).label("g"),
    ).group_by(
        func.grouping_sets(tuple_(inner.c.day, inner.c.cls), tuple_(inner.c.hour, inner.c.cls))
    )
    rows = await all_rows(db, q)
    return [
        CallCountRow(r.day if r.g == 0 else None, r.hour if r.g == 1 else None, r.cls, int(r.calls))
        for r in rows
    ]


async def call_totals(
    db: AsyncSession, start: datetime, end: datetime, *, rollup: bool = True
) -> dict[str, int]:
    """Calls per class in [start, end)."""
    if rollup:
        h = StatsCallHour
        q = (
            select(h.call_class.label("cls"), func.sum(h.calls).label("n"))
            .where(h.bucket >= start, h.bucket < end)
            .group_by(h.call_class)
        )
    else:
        cls = func.coalesce(Call.call_class, UNCLASSIFIED)
        q = (
            select(cls.label("cls"), func.count().label("n"))
            .where(Call.started_at >= start, Call.started_at < end)
            .group_by(cls)
        )
    return {r.cls: int(r.n) for r in await all_rows(db, q)}


@dataclass(frozen=True, slots=True)
class PrankNumber:
    number: str
    calls: int
    first_at: datetime
    last_at: datetime


async def repeated_prank_numbers(
    db: AsyncSession, start: datetime, end: datetime, *, min_calls: int = 2, limit: int = 20
) -> list[PrankNumber]:
    """Numbers with at least ``min_calls`` prank calls in the period, most first."""
    n = func.count().label("n")
    q = (
        select(
            Call.number,
            n,
            func.min(Call.started_at).label("first_at"),
            func.max(Call.started_at).label("last_at"),
        )
        .where(
            Call.call_class == "prank",
            Call.started_at >= start,
            Call.started_at < end,
            Call.number.is_not(None),
        )
        .group_by(Call.number)
        .having(func.count() >= min_calls)
        .order_by(n.desc(), func.max(Call.started_at).desc(), Call.number)
        .limit(limit)
    )
    return [
        PrankNumber(str(r.number), int(r.n), r.first_at, r.last_at) for r in await all_rows(db, q)
    ]
