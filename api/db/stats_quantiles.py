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
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Float,
    and_,
    bindparam,
    func,
    or_,
    select,
    text,
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
    duration_figures,
    durations_of,
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


@dataclass(frozen=True, slots=True)
class Sample:
    """A large period's sample: its overall row and rows per key (sampled counts and
    percentiles), and per stage the keys whose figures it estimates."""

    overall: Any
    by_key: dict[Any, Any]
    estimated: dict[str, set[Any]]

    def estimates_all_of(self, key: Any) -> bool:
        return all(key in self.estimated[m] for m in METRICS)


async def read_sample(
    db: AsyncSession, f: CaseFilter, dim: Dimension | None, *, above: int
) -> Sample | None:
    """The period's sample per ``dim`` value and overall, or ``None`` when the period has
    ``above`` cases or fewer (about: counted from the sample) or the sample holds too few
    durations of an overall figure: every figure is then computed exactly."""
    key = DIMENSION_COLUMN[dim] if dim else None
    aggs = [func.count().label("cases"), *duration_figures(DURATION_COLUMN)]
    rows = await all_rows(db, overall_and_per_key(key, aggs, [*in_period(f), _SAMPLED]))
    overall = next(r for r in rows if key_and_overall(r)[1])
    if overall.cases * SAMPLE_SHARE <= above or not all(
        estimable(overall._mapping[f"{m}_n"]) for m in METRICS
    ):
        return None
    by_key = {r.key: r for r in rows if r.g == 0}
    estimated = {
        m: {k for k, r in by_key.items() if estimable(r._mapping[f"{m}_n"])} for m in METRICS
    }
    return Sample(overall, by_key, estimated)


async def count_durations(db: AsyncSession, f: CaseFilter, dim: Dimension | None) -> list[Any]:
    """Per ``dim`` value (one row without), the durations of each stage in the period: one scan,
    hashed by key, nothing sorted."""
    counts = [func.count(DURATION_COLUMN[m]).label(f"{m}_n") for m in METRICS]
    if dim is None:
        return list(await all_rows(db, select(*counts).where(*in_period(f))))
    key = DIMENSION_COLUMN[dim]
    return list(
        await all_rows(db, select(key.label("key"), *counts).where(*in_period(f)).group_by(key))
    )


async def sorted_apart(
    db: AsyncSession, f: CaseFilter, dim: Dimension, sample: Sample
) -> dict[Any, Any]:
    """The exact figures, by key, of every key the sample does not estimate for each stage
    (those it holds too few of, or none): only their durations are read and sorted (an
    ordered-set aggregate sorts its rows by key first, so reading every key would sort the
    whole period)."""
    key = DIMENSION_COLUMN[dim]
    whole = [k for k in sample.by_key if sample.estimates_all_of(k)]
    named = [k for k in whole if k is not None]
    apart = key.not_in(named) if named else key.is_not(None)
    if not sample.estimates_all_of(None):
        apart = or_(apart, key.is_(None))
    aggs = duration_figures(DURATION_COLUMN)
    q = select(key.label("key"), *aggs).where(*in_period(f), apart).group_by(key)
    return {r.key: r for r in await all_rows(db, q)}


def estimates(
    sample: Sample, counted: list[Any], apart: dict[Any, Any], dim: Dimension | None
) -> list[ResponseTimeRow]:
    """The rows per key (with a ``dim``) and the overall row, last: the counts exact, each
    percentile the sample's where it estimates that key's stage, else the exact one."""
    rows = []
    for r in counted if dim else ():
        metrics = {}
        for m in METRICS:
            n = int(r._mapping[f"{m}_n"])
            if r.key in sample.estimated[m]:
                est = durations_of(sample.by_key[r.key], m)
                metrics[m] = Durations(n, est.median, est.p90, True)
            elif r.key in apart:
                metrics[m] = durations_of(apart[r.key], m)
            else:  # its first case committed between the two statements: no figure yet
                metrics[m] = Durations(n, None, None)
        rows.append(ResponseTimeRow(r.key, False, metrics))
    whole = {}
    for m in METRICS:
        est = durations_of(sample.overall, m)
        n = sum(int(r._mapping[f"{m}_n"]) for r in counted)
        whole[m] = Durations(n, est.median, est.p90, True)
    return [*rows, ResponseTimeRow(None, True, whole)]


async def estimated_response_times(
    db: AsyncSession, f: CaseFilter, dim: Dimension | None, *, above: int
) -> list[ResponseTimeRow] | None:
    """:func:`estimates` of the period read in turn on one session (the dashboard spreads the
    same statements over two); ``None`` where :func:`read_sample` finds the period too small."""
    sample = await read_sample(db, f, dim, above=above)
    if sample is None:
        return None
    counted = await count_durations(db, f, dim)
    apart = await sorted_apart(db, f, dim, sample) if dim else {}
    return estimates(sample, counted, apart, dim)
