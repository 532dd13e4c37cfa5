"""Statistics SQL: the SLA tallies (met, missed, pending per stage), overall and per dimension
value. The settled outcomes come from the day counts of :mod:`api.db.stats` when they can."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import StatsCase
from api.db.stats import (
    DAY,
    DAY_DIMENSION_COLUMN,
    DIMENSION_COLUMN,
    STAGE_COLUMNS,
    CaseFilter,
    Dimension,
    all_rows,
    counted_days,
    in_period,
    key_and_overall,
    narrow,
    overall_and_per_key,
)
from api.domain.stats import SlaTally
from api.domain.vocabulary import OPEN, VOID


@dataclass(frozen=True, slots=True)
class SlaRow:
    key: Any
    overall: bool
    stages: dict[str, SlaTally]


async def sla_counts(
    db: AsyncSession, f: CaseFilter, now: datetime, dim: Dimension | None, tz: str | None = None
) -> list[SlaRow]:
    """Met / missed / pending per SLA stage (rules of :func:`api.domain.stats.sla_outcome`).

    With ``tz`` and a period of whole local days counted in it, the settled outcomes (a stage
    reached in time or late) are the day counts' sums, and only the open cases that have not
    reached a stage are read, for their deadline against ``now``; else every case of the
    period."""
    days = None if tz is None else await counted_days(db, tz, (f.start, f.end))
    if days is None:
        return await _sla_from_cases(db, f, now, dim)
    first, end = days
    not_void = DAY.status.not_in(sorted(VOID))
    settled = [func.sum(DAY.cases).label("cases")]
    for stage in STAGE_COLUMNS:
        settled += [
            func.sum(DAY[f"{stage}_met"]).label(f"{stage}_met"),
            func.sum(DAY[f"{stage}_late"]).label(f"{stage}_missed"),
        ]
    where = [DAY.day >= first, DAY.day < end, not_void, *narrow(f, DAY_DIMENSION_COLUMN)]
    day_key = DAY_DIMENSION_COLUMN[dim] if dim else None
    out: dict[tuple[bool, Any], dict[str, int]] = {}
    for r in await all_rows(db, overall_and_per_key(day_key, settled, where)):
        key, overall = key_and_overall(r)
        if overall or r.cases:  # a combination whose cases all moved on is no row
            m = r._mapping
            out[(overall, key)] = {
                name: int(m[name] or 0)
                for stage in STAGE_COLUMNS
                for name in (f"{stage}_met", f"{stage}_missed")
            }
    is_open = StatsCase.status.in_(sorted(OPEN))
    waiting = []
    for stage, (moment, deadline) in STAGE_COLUMNS.items():
        waiting += [
            func.count().filter(moment.is_(None), deadline <= now).label(f"{stage}_missed"),
            func.count().filter(moment.is_(None), deadline > now).label(f"{stage}_pending"),
        ]
    open_key = DIMENSION_COLUMN[dim] if dim else None
    for r in await all_rows(db, overall_and_per_key(open_key, waiting, [*in_period(f), is_open])):
        key, overall = key_and_overall(r)
        counts = out.setdefault((overall, key), {})
        for stage in STAGE_COLUMNS:
            missed = f"{stage}_missed"
            counts[missed] = counts.get(missed, 0) + int(r._mapping[missed])
            counts[f"{stage}_pending"] = int(r._mapping[f"{stage}_pending"])
    return [
        SlaRow(
            key,
            overall,
            {
                s: SlaTally(m.get(f"{s}_met", 0), m.get(f"{s}_missed", 0), m.get(f"{s}_pending", 0))
                for s in STAGE_COLUMNS
            },
        )
        for (overall, key), m in out.items()
    ]


async def _sla_from_cases(
    db: AsyncSession, f: CaseFilter, now: datetime, dim: Dimension | None
) -> list[SlaRow]:
    """:func:`sla_counts` from every case of the period."""
    is_open = StatsCase.status.in_(sorted(OPEN))
    aggs = []
    for stage, (moment, deadline) in STAGE_COLUMNS.items():
        aggs += [
            func.count().filter(moment <= deadline).label(f"{stage}_met"),
            func.count()
            .filter(or_(moment > deadline, and_(moment.is_(None), is_open, deadline <= now)))
            .label(f"{stage}_missed"),
            func.count()
            .filter(and_(moment.is_(None), is_open, deadline > now))
            .label(f"{stage}_pending"),
        ]
    where = [*in_period(f), StatsCase.status.not_in(sorted(VOID))]
    key = DIMENSION_COLUMN[dim] if dim else None
    out = []
    for r in await all_rows(db, overall_and_per_key(key, aggs, where)):
        m = r._mapping
        stages = {
            s: SlaTally(int(m[f"{s}_met"]), int(m[f"{s}_missed"]), int(m[f"{s}_pending"]))
            for s in STAGE_COLUMNS
        }
        out.append(SlaRow(*key_and_overall(r), stages))
    return out
