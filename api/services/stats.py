"""Statistics use cases: the scope of a request, the call figures, response times and SLA.

Each function reads :mod:`api.db.stats` and folds the rows into a response shaped for a dashboard:
headline numbers next to the previous period's, per-day series, one row per agency (or category,
area, priority) and, on every row, the ``GET /api/cases`` filters that list the cases behind it.
The case figures and hot spots are in :mod:`api.services.stats_cases`, the monthly report and
the exports in :mod:`api.services.reports`. Every use case here only reads, inside the request's
one transaction (:func:`open_scope` tunes it for statistics); the response times also read the
previous period on a second read session at the same time (:func:`api.db.stats.side_session`).
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.db import stats as q
from api.db import stats_calls, stats_quantiles, stats_sla
from api.domain.stats import (
    CALL_CLASSES_REPORTED,
    METRIC_EVENT,
    METRICS,
    SLA_STAGES,
    Period,
    PeriodError,
    SlaTally,
    compliance,
    constant_offset,
    hour_aligned,
    percent,
    previous_period,
    ratio,
    resolve_period,
    seconds,
)
from api.domain.vocabulary import CALL_STATS_ROLES, Priority
from api.errors import BadRequest, Forbidden

Dimension = q.Dimension


@dataclass(frozen=True, slots=True)
class StatsScope:
    """A statistics request, validated and scoped to what the user may see."""

    period: Period
    previous: Period
    zone: ZoneInfo
    cases: q.CaseFilter
    now: datetime
    lang: str

    @property
    def tz(self) -> str:
        return self.zone.key

    @property
    def offset(self) -> int | None:
        """The zone's UTC offset (s) if constant over both periods: local days by arithmetic."""
        return constant_offset(self.zone, self.previous.start, self.period.end)

    @property
    def rollup_exact(self) -> bool:
        """Whether the hourly UTC call buckets give exact figures for both periods: only where
        local days start on a whole UTC hour."""
        return hour_aligned(self.zone, self.period.start, self.period.end) and hour_aligned(
            self.zone, self.previous.start, self.previous.end
        )

    @property
    def previous_cases(self) -> q.CaseFilter:
        return self.cases.between(self.previous.start, self.previous.end)


@dataclass(frozen=True, slots=True)
class PeriodQuery:
    """The period a request asks for: one of ``month``, ``week``, ``day`` or ``first``/``last``
    (this month if none); the keywords of :func:`api.domain.stats.resolve_period`."""

    month: str | None = None
    week: str | None = None
    day: date | None = None
    first: date | None = None
    last: date | None = None


@dataclass(frozen=True, slots=True)
class ScopeQuery:
    """What a statistics request asks for: a period and the case filters."""

    period: PeriodQuery
    agency_id: int | None = None
    category_id: int | None = None
    area_id: int | None = None
    priority: Priority | None = None


async def open_scope(
    db: AsyncSession,
    principal: Principal,
    ask: ScopeQuery,
    *,
    zone: ZoneInfo,
    now: datetime,
    lang: str,
    max_days: int,
) -> StatsScope:
    """The period and filters of a statistics request, checked and scoped to the user:
    coordinators see their own agency only. Tunes the request's transaction for statistics."""
    try:
        today = now.astimezone(zone).date()
        period = resolve_period(tz=zone, today=today, max_days=max_days, **asdict(ask.period))
    except PeriodError as e:
        raise BadRequest(e.code, **e.params) from None
    agency_id = ask.agency_id
    scope = principal.agency_scope
    if scope is not None:
        if agency_id is not None and agency_id != scope:
            raise Forbidden()
        agency_id = scope
    missing = await q.missing_references(db, agency_id, ask.category_id, ask.area_id)
    if missing:
        raise BadRequest("unknown_reference", field=missing[0])
    await q.tune_for_statistics(db)
    return StatsScope(
        period=period,
        previous=previous_period(period, zone),
        zone=zone,
        cases=q.CaseFilter(
            period.start, period.end, agency_id, ask.category_id, ask.area_id, ask.priority
        ),
        now=now,
        lang=lang,
    )


def sees_calls(principal: Principal) -> bool:
    """Call figures belong to the control room, not to one agency."""
    return principal.role in CALL_STATS_ROLES


def require_month(scope: StatsScope) -> None:
    """The monthly report covers one calendar month (``month=YYYY-MM``)."""
    if scope.period.kind != "month":
        raise BadRequest("stats_month_required")


# ------------------------------------------------------------------ shapes
class PeriodOut(msgspec.Struct):
    kind: str
    label: str
    first_day: date = msgspec.field(name="from")
    last_day: date = msgspec.field(name="to")
    start: datetime
    end: datetime
    days: int
    timezone: str

    @classmethod
    def of(cls, p: Period, tz: str) -> PeriodOut:
        return cls(p.kind, p.label, p.first_day, p.last_day, p.start, p.end, p.days, tz)


class Count(msgspec.Struct):
    """A headline count and the same count in the previous period."""

    value: int
    previous: int


class Share(msgspec.Struct):
    """A headline ratio (0..1) or percentage and the previous period's."""

    value: float | None
    previous: float | None


def case_list_filter(
    scope: StatsScope, dim: Dimension | None = None, key: Any = None, **extra: Any
) -> dict[str, Any]:
    """Query parameters of ``GET /api/cases`` listing the cases behind a figure."""
    out: dict[str, Any] = {
        "created_from": scope.period.start.isoformat(),
        "created_to": scope.period.end.isoformat(),
    }
    f = scope.cases
    for name, value in (
        ("agency_id", f.agency_id),
        ("category_id", f.category_id),
        ("area_id", f.area_id),
        ("priority", f.priority),
    ):
        if value is not None:
            out[name] = value
    if dim is not None and key is not None:
        out["priority" if dim == "priority" else f"{dim}_id"] = key
    out.update(extra)
    return out


def overdue_list_filter(
    scope: StatsScope, dim: Dimension | None = None, key: Any = None
) -> dict[str, Any]:
    """Cases overdue right now (whenever created): the case list's ``overdue=true``."""
    out = case_list_filter(scope, dim, key, overdue=True)
    del out["created_from"], out["created_to"]
    return out


class Tally(msgspec.Struct, kw_only=True):
    """Counters of a response: :meth:`add` adds ``n`` to each counter that ``kind`` counts in."""

    def counters(self, kind: str) -> tuple[str, ...]:
        raise NotImplementedError

    def add(self, kind: str, n: int) -> None:
        for name in self.counters(kind):
            setattr(self, name, getattr(self, name) + n)


# GeoJSON of the hot spots (:mod:`api.services.stats_cases`). Defined here: the OpenAPI schema
# names this ``Point`` after its module (``services_stats_Point``), beside other ``Point`` types.
class Point(msgspec.Struct):
    coordinates: tuple[float, float]
    type: str = "Point"


class Feature(msgspec.Struct):
    geometry: Point | None
    properties: dict[str, Any]
    type: str = "Feature"


class FeatureCollection(msgspec.Struct):
    """GeoJSON (RFC 7946); ``meta`` is a foreign member with the period and the grid."""

    features: list[Feature]
    meta: dict[str, Any]
    type: str = "FeatureCollection"


class GroupKey(msgspec.Struct):
    id: int | str | None
    code: str
    name: str


def group_key(labels: dict[Any, q.Label], dim: Dimension, key: Any, lang: str) -> GroupKey:
    lab = labels.get(key)
    if lab is None:
        return GroupKey(key, "" if key is None else str(key), "-" if key is None else str(key))
    return GroupKey(
        key if dim != "priority" else lab.code,
        lab.code,
        lab.name_in(lang),
    )


# -------------------------------------------------------------------- calls
class CallCounts(Tally, kw_only=True):
    total: int = 0
    valid: int = 0
    informasi: int = 0
    curhat: int = 0
    prank: int = 0
    ghost: int = 0
    wrong_number: int = 0
    unclassified: int = 0

    def counters(self, kind: str) -> tuple[str, ...]:
        """Every call counts in ``total``, and in its class if it is one the report shows."""
        return ("total", kind) if kind in CALL_CLASSES_REPORTED else ("total",)


class DayCalls(CallCounts, kw_only=True):
    date: date


class HourCalls(CallCounts, kw_only=True):
    hour: int


class PrankNumberOut(msgspec.Struct):
    number: str
    calls: int
    first_at: datetime
    last_at: datetime


class CallHeadline(msgspec.Struct):
    total: Count
    valid: Count
    valid_ratio: Share
    valid_percent: Share
    prank: Count
    ghost: Count
    prank_or_ghost: Count


class CallStats(msgspec.Struct):
    period: PeriodOut
    previous_period: PeriodOut
    headline: CallHeadline
    by_class: CallCounts
    by_day: list[DayCalls]
    by_hour: list[HourCalls]
    repeated_prank_numbers: list[PrankNumberOut]
    source: Literal["rollup", "raw"]


def tally_calls(totals: dict[str, int]) -> CallCounts:
    c = CallCounts()
    for k, n in totals.items():
        c.add(k, n)
    return c


def call_headline(cur: CallCounts, prev: CallCounts) -> CallHeadline:
    return CallHeadline(
        total=Count(cur.total, prev.total),
        valid=Count(cur.valid, prev.valid),
        valid_ratio=Share(ratio(cur.valid, cur.total), ratio(prev.valid, prev.total)),
        valid_percent=Share(percent(cur.valid, cur.total), percent(prev.valid, prev.total)),
        prank=Count(cur.prank, prev.prank),
        ghost=Count(cur.ghost, prev.ghost),
        prank_or_ghost=Count(cur.prank + cur.ghost, prev.prank + prev.ghost),
    )


async def call_stats(
    db: AsyncSession, scope: StatsScope, *, rollup: bool | None = None
) -> CallStats:
    """Calls received: by class, per day and per hour of day (city time), the valid ratio next
    to the previous period's, and the numbers that made repeated prank calls."""
    p, prev, tz = scope.period, scope.previous, scope.tz
    use_rollup = scope.rollup_exact if rollup is None else rollup
    rows = await stats_calls.call_counts(
        db, tz, p.start, p.end, rollup=use_rollup, offset=scope.offset
    )
    prev_totals = await stats_calls.call_totals(db, prev.start, prev.end, rollup=use_rollup)
    days = {d: DayCalls(date=d) for d in p.day_list()}
    hours = [HourCalls(hour=h) for h in range(24)]
    by_class = CallCounts()
    for r in rows:
        if r.day is not None:
            if r.day in days:
                days[r.day].add(r.call_class, r.calls)
            by_class.add(r.call_class, r.calls)
        elif r.hour is not None:
            hours[r.hour].add(r.call_class, r.calls)
    pranks = await stats_calls.repeated_prank_numbers(db, p.start, p.end)
    return CallStats(
        period=PeriodOut.of(p, tz),
        previous_period=PeriodOut.of(prev, tz),
        headline=call_headline(by_class, tally_calls(prev_totals)),
        by_class=by_class,
        by_day=list(days.values()),
        by_hour=hours,
        repeated_prank_numbers=[
            PrankNumberOut(x.number, x.calls, x.first_at, x.last_at) for x in pranks
        ],
        source="rollup" if use_rollup else "raw",
    )


# ----------------------------------------------------------- response times
class Timing(msgspec.Struct):
    """Seconds from the case's "created" event to the first event of the stage: ``n`` cases
    reached it (exact); the median and 90th percentile are exact unless ``estimated`` (from a
    sample of one case in 32, for a large period's dashboard; see docs/stats.md)."""

    n: int
    median_s: float | None
    p90_s: float | None
    estimated: bool

    @classmethod
    def of(cls, d: q.Durations) -> Timing:
        return cls(d.n, seconds(d.median), seconds(d.p90), d.estimated)


class TimingHeadline(Timing):
    previous_n: int
    previous_median_s: float | None
    previous_p90_s: float | None
    previous_estimated: bool


class TimingRow(msgspec.Struct):
    key: GroupKey
    dispatch: Timing
    accept: Timing
    arrive: Timing
    resolve: Timing
    cases_filter: dict[str, Any]


class ResponseTimes(msgspec.Struct):
    period: PeriodOut
    previous_period: PeriodOut
    group_by: str
    headline: dict[str, TimingHeadline]
    rows: list[TimingRow]
    stage_events: dict[str, str]


async def _overall(db: AsyncSession, f: q.CaseFilter, estimate_above: int) -> q.ResponseTimeRow:
    """A period's overall response times: estimated from the sample when it is large, else
    exact."""
    estimated = await stats_quantiles.estimated_response_times(db, f, None, above=estimate_above)
    if estimated is not None:
        return estimated[-1]
    return await stats_quantiles.overall_response_times(db, f)


Sampled = stats_quantiles.Sample | None


async def _side_figures(
    side: AsyncSession,
    scope: StatsScope,
    dim: Dimension,
    above: int,
    sampled: asyncio.Future[Sampled],
) -> tuple[q.ResponseTimeRow | None, q.ResponseTimeRow, list[Any]]:
    """On the second session: the previous period's overall figures; then, once the first
    session has read the period's sample (``sampled``), the durations per key to go with its
    estimates, or the period's exact overall figures when it is too small to estimate."""
    before = await _overall(side, scope.previous_cases, above)
    if await sampled is None:
        return await stats_quantiles.overall_response_times(side, scope.cases), before, []
    return None, before, await stats_quantiles.count_durations(side, scope.cases, dim)


async def response_times(
    db: AsyncSession, scope: StatsScope, dim: Dimension, *, estimate_above: int
) -> ResponseTimes:
    """Median and 90th percentile of time to dispatch, accept, arrive and resolve, measured on
    the timeline from the "created" event to the first event of each stage, for the cases
    created in the period. Over more than ``estimate_above`` cases the percentiles are
    estimated from the sample where it holds enough of a figure's durations (the counts stay
    exact)."""
    # Two sessions at once, on two cores. Exact figures sort every duration they cover: the
    # rows per key here, the previous and this period's overall figures on the second one (10M
    # cases: 255 against 2 x 136 ms). Estimates: the sample and the keys it cannot estimate
    # here, the previous period and the counts per key there (docs/performance.md).
    sampled: asyncio.Future[Sampled] = asyncio.get_running_loop().create_future()
    async with q.side_session(db) as side, asyncio.TaskGroup() as tg:
        figures = tg.create_task(_side_figures(side, scope, dim, estimate_above, sampled))
        sample = await stats_quantiles.read_sample(db, scope.cases, dim, above=estimate_above)
        sampled.set_result(sample)
        if sample is None:
            exact = await q.response_times(db, scope.cases, dim)
        else:
            apart = await stats_quantiles.sorted_apart(db, scope.cases, dim, sample)
        labels = await q.labels(db, dim)
    now, prev, counted = figures.result()
    if sample is None:
        assert now is not None  # the second session computed it: the sample was None
        rows, overall = exact, now
    else:
        *rows, overall = stats_quantiles.estimates(sample, counted, apart, dim)
    headline = {}
    for m in METRICS:
        c, p = overall.metrics[m], prev.metrics[m]
        headline[m] = TimingHeadline(
            n=c.n,
            median_s=seconds(c.median),
            p90_s=seconds(c.p90),
            estimated=c.estimated,
            previous_n=p.n,
            previous_median_s=seconds(p.median),
            previous_p90_s=seconds(p.p90),
            previous_estimated=p.estimated,
        )
    out = [
        TimingRow(
            key=group_key(labels, dim, r.key, scope.lang),
            dispatch=Timing.of(r.metrics["dispatch"]),
            accept=Timing.of(r.metrics["accept"]),
            arrive=Timing.of(r.metrics["arrive"]),
            resolve=Timing.of(r.metrics["resolve"]),
            cases_filter=case_list_filter(scope, dim, r.key),
        )
        for r in rows
    ]
    out.sort(key=lambda r: (-r.dispatch.n, r.key.code))
    return ResponseTimes(
        period=PeriodOut.of(scope.period, scope.tz),
        previous_period=PeriodOut.of(scope.previous, scope.tz),
        group_by=dim,
        headline=headline,
        rows=out,
        stage_events={"created": "created", **METRIC_EVENT},
    )


# ---------------------------------------------------------------------- SLA
class SlaStage(msgspec.Struct):
    met: int
    missed: int
    pending: int
    compliance: float | None
    compliance_percent: int | None

    @classmethod
    def of(cls, t: SlaTally) -> SlaStage:
        return cls(
            t.met, t.missed, t.pending, compliance(t.met, t.missed), percent(t.met, t.decided)
        )


class SlaRowOut(msgspec.Struct):
    key: GroupKey | None
    accept: SlaStage
    arrive: SlaStage
    resolve: SlaStage
    all: SlaStage
    overdue_now: int
    cases_filter: dict[str, Any]
    overdue_filter: dict[str, Any]


class SlaStats(msgspec.Struct):
    period: PeriodOut
    group_by: str
    as_of: datetime
    overall: SlaRowOut
    rows: list[SlaRowOut]


def _sla_row(
    scope: StatsScope, dim: Dimension, row: stats_sla.SlaRow, key: GroupKey | None, overdue: int
) -> SlaRowOut:
    st = {s: SlaStage.of(c) for s, c in row.stages.items()}
    k = None if row.overall else row.key
    overdue_filter = overdue_list_filter(scope, dim, k)
    return SlaRowOut(
        key=key,
        accept=st["accept"],
        arrive=st["arrive"],
        resolve=st["resolve"],
        all=SlaStage.of(sum(row.stages.values(), SlaTally())),
        overdue_now=overdue,
        cases_filter=case_list_filter(scope, dim, k),
        overdue_filter=overdue_filter,
    )


async def sla_stats(db: AsyncSession, scope: StatsScope, dim: Dimension) -> SlaStats:
    """SLA compliance of the cases created in the period, per stage, overall and per ``dim``."""
    rows = await stats_sla.sla_counts(db, scope.cases, scope.now, dim, scope.tz)
    overdue = await q.overdue_now(db, scope.cases, scope.now, dim)
    labels = await q.labels(db, dim)
    overall = next(r for r in rows if r.overall)
    out = [
        _sla_row(scope, dim, r, group_key(labels, dim, r.key, scope.lang), overdue.get(r.key, 0))
        for r in rows
        if not r.overall
    ]
    # Worst first; equal compliance by code, whatever order the database answered in.
    out.sort(
        key=lambda r: (
            r.all.compliance if r.all.compliance is not None else 2.0,
            r.key.code if r.key else "",
        )
    )
    assert tuple(q.STAGE_COLUMNS) == SLA_STAGES
    return SlaStats(
        period=PeriodOut.of(scope.period, scope.tz),
        group_by=dim,
        as_of=scope.now,
        overall=_sla_row(scope, dim, overall, None, sum(overdue.values())),
        rows=out,
    )
