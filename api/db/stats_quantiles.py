"""The overall response times of a period: exact percentiles without sorting every duration.

``percentile_cont`` sorts every duration of the period, four times (one per stage): at 10M cases
a month is 408,000 durations per stage, 142 ms of sorts after a 41 ms scan. Here:

1. the period's sample (``ix_stats_cases_sample``, one case in 32, an index-only scan of a
   thirty-second of the rows) gives, per stage and percentile, bounds that hold the percentile
   with near certainty (:func:`api.domain.stats.quantile_bracket`);
2. one scan of the period counts, per stage, the durations, those under each lower bound, and
   keeps those between the bounds (a few percent of them);
3. the percentile is picked from those (:func:`api.domain.stats.quantile_from_bracket`): the
   same float ``percentile_cont`` gives, since it reads the same ranks and interpolates alike.

When a rank falls outside its bounds, the answer is still exact: it sorts everything, as before;
so does a period too small for the sample to save anything (:data:`SORT_BELOW`).
"""

from __future__ import annotations

import logging
from bisect import bisect_left, bisect_right
from typing import Any

from sqlalchemy import Float, and_, bindparam, func, or_, select, text
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models.stats import SAMPLE_PREDICATE
from api.db.stats import (
    DURATION_COLUMN,
    CaseFilter,
    Durations,
    ResponseTimeRow,
    all_rows,
    in_period,
    response_times,
)
from api.domain.stats import METRICS, OutsideBracket, quantile_bracket, quantile_from_bracket

log = logging.getLogger("tanggap.stats")

FRACTIONS = (0.5, 0.9)  # the median and the 90th percentile, as the dashboards show them
#: Below this many sampled durations (about 64,000 in all) sorting them all is as quick: at 10M
#: cases, one agency's month (27,000 cases) took 47 ms sorted and 51 ms bounded.
SORT_BELOW = 2000
_SAMPLED = text(SAMPLE_PREDICATE)


async def overall_response_times(db: AsyncSession, f: CaseFilter) -> ResponseTimeRow:
    """The median and 90th percentile of each response time of all the cases ``f`` counts,
    exactly as ``percentile_cont`` gives them."""
    samples = await _sample(db, f)
    if max(len(s) for s in samples.values()) < SORT_BELOW:
        (overall,) = await response_times(db, f, None)
        return overall
    bounds = {m: [quantile_bracket(samples[m], q) for q in FRACTIONS] for m in METRICS}
    counted = await _count_and_keep(db, f, bounds)
    try:
        metrics = {m: _pick(*counted[m], bounds[m]) for m in METRICS}
    except OutsideBracket:
        log.info("a percentile fell outside its sample's bounds; sorting every duration")
        (overall,) = await response_times(db, f, None)
        return overall
    return ResponseTimeRow(None, True, metrics)


async def _sample(db: AsyncSession, f: CaseFilter) -> dict[str, list[float]]:
    """Each stage's sampled durations in the period, sorted."""
    cols = []
    for m in METRICS:
        c = DURATION_COLUMN[m]
        cols.append(func.array_agg(aggregate_order_by(c, c)).filter(c.is_not(None)).label(m))
    (row,) = await all_rows(db, select(*cols).where(*in_period(f), _SAMPLED))
    return {m: row._mapping[m] or [] for m in METRICS}


async def _count_and_keep(
    db: AsyncSession, f: CaseFilter, bounds: dict[str, list[tuple[float, float]]]
) -> dict[str, tuple[int, list[int], list[float]]]:
    """Per stage: how many durations, how many under each lower bound, and the durations
    between any pair of bounds; one scan of the period."""
    cols: list[Any] = []
    for m in METRICS:
        c = DURATION_COLUMN[m]
        los = [bindparam(f"{m}_lo{i}", lo, type_=Float) for i, (lo, _) in enumerate(bounds[m])]
        his = [bindparam(f"{m}_hi{i}", hi, type_=Float) for i, (_, hi) in enumerate(bounds[m])]
        cols.append(func.count(c).label(f"{m}_n"))
        cols += [func.count().filter(c < lo).label(f"{m}_below{i}") for i, lo in enumerate(los)]
        kept = or_(*(and_(c >= lo, c <= hi) for lo, hi in zip(los, his, strict=True)))
        cols.append(func.array_agg(c).filter(kept).label(f"{m}_kept"))
    (row,) = await all_rows(db, select(*cols).where(*in_period(f)))
    r = row._mapping
    return {
        m: (
            int(r[f"{m}_n"]),
            [int(r[f"{m}_below{i}"]) for i in range(len(FRACTIONS))],
            sorted(r[f"{m}_kept"] or []),
        )
        for m in METRICS
    }


def _pick(
    n: int, below: list[int], kept: list[float], bounds: list[tuple[float, float]]
) -> Durations:
    median, p90 = (
        quantile_from_bracket(n, under, kept[bisect_left(kept, lo) : bisect_right(kept, hi)], q)
        for q, under, (lo, hi) in zip(FRACTIONS, below, bounds, strict=True)
    )
    return Durations(n, median, p90)
