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

The dashboard's response times over a large period (:func:`estimated_response_times`) take the
percentiles from the sample itself where it holds enough durations of a figure
(:func:`api.domain.stats.estimable`), marked as estimated; the counts stay exact, and so does
every figure the sample holds too few of. The monthly report uses only the exact figures.
"""

from __future__ import annotations

import logging
from bisect import bisect_left, bisect_right
from typing import Any

from sqlalchemy import (
    ARRAY,
    Float,
    and_,
    bindparam,
    false,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models.stats import SAMPLE_PREDICATE, SAMPLE_SHARE
from api.db.stats import (
    DIMENSION_COLUMN,
    DURATION_COLUMN,
    CaseFilter,
    Dimension,
    Durations,
    ResponseTimeRow,
    all_rows,
    in_period,
    key_and_overall,
    overall_and_per_key,
    response_times,
)
from api.domain.stats import (
    METRICS,
    OutsideBracket,
    estimable,
    quantile_bracket,
    quantile_from_bracket,
)

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


# ----------------------------------------------------- the dashboard's estimates
_QUANTILES: Any = literal_column("ARRAY[0.5, 0.9]")


def _percentiles(c: Any) -> Any:
    return func.percentile_cont(_QUANTILES).within_group(c)


def _durations(r: Any, m: str) -> Durations:
    median, p90 = r._mapping[f"{m}_q"] or (None, None)
    return Durations(int(r._mapping[f"{m}_n"]), median, p90)


async def estimated_response_times(
    db: AsyncSession, f: CaseFilter, dim: Dimension | None, *, above: int
) -> list[ResponseTimeRow] | None:
    """The rows per ``dim`` value and the overall row (last), with each percentile estimated
    from the sample where it holds enough of that figure's durations and exact elsewhere; the
    counts are exact. ``None`` when the period has ``above`` cases or fewer (about: counted
    from the sample), or the sample holds too few of an overall figure: the caller computes
    every figure exactly then."""
    key = DIMENSION_COLUMN[dim] if dim else None
    aggs: list[Any] = [func.count().label("cases")]
    for m in METRICS:
        c = DURATION_COLUMN[m]
        aggs += [
            func.count(c).label(f"{m}_n"),
            type_coerce(_percentiles(c), ARRAY(Float)).label(f"{m}_q"),
        ]
    sample = await all_rows(db, overall_and_per_key(key, aggs, [*in_period(f), _SAMPLED]))
    overall = next(r for r in sample if key_and_overall(r)[1])
    if overall.cases * SAMPLE_SHARE <= above or not all(
        estimable(overall._mapping[f"{m}_n"]) for m in METRICS
    ):
        return None
    # Which keys' figures the sample estimates, per stage; the others are sorted exactly.
    estimated = {
        m: {r.key for r in sample if r.g == 0 and estimable(r._mapping[f"{m}_n"])} for m in METRICS
    }
    counted = await _count_or_sort(db, f, dim, estimated)
    by_key = {r.key: r for r in sample if r.g == 0}
    rows = []
    for r in counted if dim else ():
        metrics = {}
        for m in METRICS:
            n = int(r._mapping[f"{m}_n"])
            if r.key in estimated[m]:
                est = _durations(by_key[r.key], m)
                metrics[m] = Durations(n, est.median, est.p90, True)
            else:
                metrics[m] = _durations(r, m)
        rows.append(ResponseTimeRow(r.key, False, metrics))
    whole = {}
    for m in METRICS:
        est = _durations(overall, m)
        n = sum(int(r._mapping[f"{m}_n"]) for r in counted)
        whole[m] = Durations(n, est.median, est.p90, True)
    return [*rows, ResponseTimeRow(None, True, whole)]


async def _count_or_sort(
    db: AsyncSession, f: CaseFilter, dim: Dimension | None, estimated: dict[str, set[Any]]
) -> list[Any]:
    """One scan of the period: per ``dim`` value (one row without), the durations counted, and
    the exact percentiles of the values whose figures are not ``estimated``."""
    if dim is None:
        counts = [func.count(DURATION_COLUMN[m]).label(f"{m}_n") for m in METRICS]
        return list(await all_rows(db, select(*counts).where(*in_period(f))))
    key = DIMENSION_COLUMN[dim]
    aggs: list[Any] = []
    for m in METRICS:
        c = DURATION_COLUMN[m]
        keys = [k for k in estimated[m] if k is not None]
        sorted_here = or_(
            and_(key.is_(None), false() if None in estimated[m] else true()),
            and_(key.is_not(None), key.not_in(keys)),
        )
        aggs += [
            func.count(c).label(f"{m}_n"),
            type_coerce(_percentiles(c).filter(sorted_here), ARRAY(Float)).label(f"{m}_q"),
        ]
    return list(
        await all_rows(db, select(key.label("key"), *aggs).where(*in_period(f)).group_by(key))
    )
