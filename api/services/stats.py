"""Statistics use cases: the figures of the supervisor dashboards and the monthly report.

Each function reads :mod:`api.db.stats` and folds the rows into a response shaped for a dashboard:
headline numbers next to the previous period's, per-day series, one row per agency (or category,
area, priority) and, on every row, the ``GET /api/cases`` filters that list the cases behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import stats as q
from api.domain.lifecycle import VOID
from api.domain.stats import (
    CALL_CLASSES_REPORTED,
    METRIC_EVENT,
    METRICS,
    PUBLIC_STATUS_OF,
    PUBLIC_STATUSES,
    SLA_STAGES,
    Period,
    compliance,
    constant_offset,
    grid_steps,
    hour_aligned,
    percent,
    ratio,
    round_half_up,
    seconds,
    statuses_with_public,
)

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
    def previous_cases(self) -> q.CaseFilter:
        return self.cases.between(self.previous.start, self.previous.end)


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


def _filter(
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


def _overdue_filter(
    scope: StatsScope, dim: Dimension | None = None, key: Any = None
) -> dict[str, Any]:
    """Cases overdue right now (whenever created): the case list's ``overdue=true``."""
    out = _filter(scope, dim, key, overdue=True)
    del out["created_from"], out["created_to"]
    return out


# ``status`` values of GET /api/cases (comma-separated) for each of the citizen's words.
STATUS_FILTERS: dict[str, str] = {
    word: ",".join(statuses_with_public(word)) for word in PUBLIC_STATUSES
}


class GroupKey(msgspec.Struct):
    id: int | str | None
    code: str
    name: str


def _key(labels: dict[Any, q.Label], dim: Dimension, key: Any, lang: str) -> GroupKey:
    lab = labels.get(key)
    if lab is None:
        return GroupKey(key, "" if key is None else str(key), "-" if key is None else str(key))
    return GroupKey(
        key if dim != "priority" else lab.code,
        lab.code,
        lab.name_en if lang == "en" else lab.name_id,
    )


# -------------------------------------------------------------------- calls
class CallCounts(msgspec.Struct, kw_only=True):
    total: int = 0
    valid: int = 0
    informasi: int = 0
    curhat: int = 0
    prank: int = 0
    ghost: int = 0
    wrong_number: int = 0
    unclassified: int = 0

    def add(self, call_class: str, n: int) -> None:
        if call_class in CALL_CLASSES_REPORTED:
            setattr(self, call_class, getattr(self, call_class) + n)
        self.total += n


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


def _counts(totals: dict[str, int]) -> CallCounts:
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
    if rollup is None:
        # Hourly UTC buckets are exact only where local days start on a whole UTC hour.
        rollup = hour_aligned(scope.zone, p.start, p.end) and hour_aligned(
            scope.zone, prev.start, prev.end
        )
    use_rollup = rollup
    rows = await q.call_counts(db, tz, p.start, p.end, rollup=use_rollup, offset=scope.offset)
    prev_totals = await q.call_totals(db, prev.start, prev.end, rollup=use_rollup)
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
    pranks = await q.repeated_prank_numbers(db, p.start, p.end)
    return CallStats(
        period=PeriodOut.of(p, tz),
        previous_period=PeriodOut.of(prev, tz),
        headline=call_headline(by_class, _counts(prev_totals)),
        by_class=by_class,
        by_day=list(days.values()),
        by_hour=hours,
        repeated_prank_numbers=[
            PrankNumberOut(x.number, x.calls, x.first_at, x.last_at) for x in pranks
        ],
        source="rollup" if use_rollup else "raw",
    )


# -------------------------------------------------------------------- cases
class StatusCounts(msgspec.Struct, kw_only=True):
    """Cases created, by the citizen's three words (``void``: duplicate, invalid or cancelled,
    which citizens also see as finished)."""

    created: int = 0
    belum_ditindaklanjuti: int = 0
    dalam_proses: int = 0
    selesai: int = 0
    void: int = 0

    def add(self, status: str, n: int) -> None:
        word = PUBLIC_STATUS_OF.get(status, "belum_ditindaklanjuti")
        setattr(self, word, getattr(self, word) + n)
        if status in VOID:
            self.void += n
        self.created += n


class DayCases(StatusCounts, kw_only=True):
    date: date


class Ratings(msgspec.Struct):
    count: int
    average: float | None
    distribution: dict[str, int]

    @classmethod
    def of(cls, dist: list[int]) -> Ratings:
        n = sum(dist)
        total = sum(i * k for i, k in enumerate(dist, start=1))
        avg = ratio(total, n, 2)
        return cls(n, avg, {str(i): k for i, k in enumerate(dist, start=1)})


class CaseRow(StatusCounts, kw_only=True):
    key: GroupKey
    previous_created: int
    finished_ratio: float | None
    finished_percent: int | None
    overdue_now: int
    ratings: Ratings
    cases_filter: dict[str, Any]


class CaseHeadline(msgspec.Struct):
    created: Count
    belum_ditindaklanjuti: Count
    dalam_proses: Count
    selesai: Count
    finished_ratio: Share
    finished_percent: Share
    rating_average: Share
    ratings: Count
    overdue_now: int


class CaseStats(msgspec.Struct):
    period: PeriodOut
    previous_period: PeriodOut
    group_by: str
    as_of: datetime
    headline: CaseHeadline
    by_status: dict[str, int]
    by_day: list[DayCases]
    rows: list[CaseRow]
    ratings: Ratings
    cases_filter: dict[str, Any]
    overdue_filter: dict[str, Any]
    status_filters: dict[str, str]


def _add_ratings(acc: list[int], r: tuple[int, ...]) -> None:
    for i, k in enumerate(r):
        acc[i] += k


async def case_stats(
    db: AsyncSession, scope: StatsScope, dim: Dimension, *, by_day: bool = True
) -> CaseStats:
    """Cases created in the period by the citizen's status words as of now, the finished ratio,
    overdue cases right now and citizens' ratings, overall, per day and per ``dim`` value."""
    rows = await q.case_counts(
        db, scope.tz, scope.cases, scope.previous.start, dim, offset=scope.offset, by_day=by_day
    )
    overdue = await q.overdue_now(db, scope.cases, scope.now, dim)
    labels = await q.labels(db, dim)
    cur, prev = StatusCounts(), StatusCounts()
    by_status = {s: 0 for s in PUBLIC_STATUS_OF}
    days = {d: DayCases(date=d) for d in scope.period.day_list()}
    per_key: dict[Any, StatusCounts] = {}
    prev_key: dict[Any, int] = {}
    ratings_key: dict[Any, list[int]] = {}
    ratings_cur, ratings_prev = [0] * 5, [0] * 5
    for r in rows:
        if r.day is not None:
            if r.day in days:
                days[r.day].add(r.status, r.cases)
            continue
        if not r.current:
            prev.add(r.status, r.cases)
            prev_key[r.key] = prev_key.get(r.key, 0) + r.cases
            _add_ratings(ratings_prev, r.ratings)
            continue
        cur.add(r.status, r.cases)
        by_status[r.status] = by_status.get(r.status, 0) + r.cases
        per_key.setdefault(r.key, StatusCounts()).add(r.status, r.cases)
        _add_ratings(ratings_cur, r.ratings)
        _add_ratings(ratings_key.setdefault(r.key, [0] * 5), r.ratings)
    keys = set(per_key) | {k for k, n in overdue.items() if n}
    out_rows = []
    for k in keys:
        c = per_key.get(k, StatusCounts())
        out_rows.append(
            CaseRow(
                key=_key(labels, dim, k, scope.lang),
                created=c.created,
                belum_ditindaklanjuti=c.belum_ditindaklanjuti,
                dalam_proses=c.dalam_proses,
                selesai=c.selesai,
                void=c.void,
                previous_created=prev_key.get(k, 0),
                finished_ratio=ratio(c.selesai, c.created),
                finished_percent=percent(c.selesai, c.created),
                overdue_now=overdue.get(k, 0),
                ratings=Ratings.of(ratings_key.get(k, [0] * 5)),
                cases_filter=_filter(scope, dim, k),
            )
        )
    out_rows.sort(key=lambda r: (-r.created, -r.overdue_now, r.key.code))
    rc, rp = Ratings.of(ratings_cur), Ratings.of(ratings_prev)
    overdue_filter = _overdue_filter(scope)
    return CaseStats(
        period=PeriodOut.of(scope.period, scope.tz),
        previous_period=PeriodOut.of(scope.previous, scope.tz),
        group_by=dim,
        as_of=scope.now,
        headline=CaseHeadline(
            created=Count(cur.created, prev.created),
            belum_ditindaklanjuti=Count(cur.belum_ditindaklanjuti, prev.belum_ditindaklanjuti),
            dalam_proses=Count(cur.dalam_proses, prev.dalam_proses),
            selesai=Count(cur.selesai, prev.selesai),
            finished_ratio=Share(
                ratio(cur.selesai, cur.created), ratio(prev.selesai, prev.created)
            ),
            finished_percent=Share(
                percent(cur.selesai, cur.created), percent(prev.selesai, prev.created)
            ),
            rating_average=Share(rc.average, rp.average),
            ratings=Count(rc.count, rp.count),
            overdue_now=sum(overdue.values()),
        ),
        by_status=by_status,
        by_day=list(days.values()),
        rows=out_rows,
        ratings=rc,
        cases_filter=_filter(scope),
        overdue_filter=overdue_filter,
        status_filters=STATUS_FILTERS,
    )


# ----------------------------------------------------------- response times
class Timing(msgspec.Struct):
    """Seconds from the case's "created" event to the first event of the stage."""

    n: int
    median_s: float | None
    p90_s: float | None

    @classmethod
    def of(cls, d: q.Durations) -> Timing:
        return cls(d.n, seconds(d.median), seconds(d.p90))


class TimingHeadline(Timing):
    previous_n: int
    previous_median_s: float | None
    previous_p90_s: float | None


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


async def response_times(db: AsyncSession, scope: StatsScope, dim: Dimension) -> ResponseTimes:
    """Median and 90th percentile of time to dispatch, accept, arrive and resolve, measured on
    the timeline from the "created" event to the first event of each stage, for the cases
    created in the period."""
    rows = await q.response_times(db, scope.cases, dim)
    prev = (await q.response_times(db, scope.previous_cases, None))[0]
    labels = await q.labels(db, dim)
    overall = next(r for r in rows if r.overall)
    headline = {}
    for m in METRICS:
        c, p = overall.metrics[m], prev.metrics[m]
        headline[m] = TimingHeadline(
            c.n, seconds(c.median), seconds(c.p90), p.n, seconds(p.median), seconds(p.p90)
        )
    out = [
        TimingRow(
            key=_key(labels, dim, r.key, scope.lang),
            dispatch=Timing.of(r.metrics["dispatch"]),
            accept=Timing.of(r.metrics["accept"]),
            arrive=Timing.of(r.metrics["arrive"]),
            resolve=Timing.of(r.metrics["resolve"]),
            cases_filter=_filter(scope, dim, r.key),
        )
        for r in rows
        if not r.overall
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
    def of(cls, met: int, missed: int, pending: int) -> SlaStage:
        return cls(met, missed, pending, compliance(met, missed), percent(met, met + missed))


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
    scope: StatsScope, dim: Dimension, row: q.SlaRow, key: GroupKey | None, overdue: int
) -> SlaRowOut:
    st = {s: SlaStage.of(c.met, c.missed, c.pending) for s, c in row.stages.items()}
    met = sum(c.met for c in row.stages.values())
    missed = sum(c.missed for c in row.stages.values())
    pending = sum(c.pending for c in row.stages.values())
    k = None if row.overall else row.key
    overdue_filter = _overdue_filter(scope, dim, k)
    return SlaRowOut(
        key=key,
        accept=st["accept"],
        arrive=st["arrive"],
        resolve=st["resolve"],
        all=SlaStage.of(met, missed, pending),
        overdue_now=overdue,
        cases_filter=_filter(scope, dim, k),
        overdue_filter=overdue_filter,
    )


async def sla_stats(db: AsyncSession, scope: StatsScope, dim: Dimension) -> SlaStats:
    """SLA compliance of the cases created in the period, per stage, overall and per ``dim``."""
    rows = await q.sla_counts(db, scope.cases, scope.now, dim)
    overdue = await q.overdue_now(db, scope.cases, scope.now, dim)
    labels = await q.labels(db, dim)
    overall = next(r for r in rows if r.overall)
    out = [
        _sla_row(scope, dim, r, _key(labels, dim, r.key, scope.lang), overdue.get(r.key, 0))
        for r in rows
        if not r.overall
    ]
    out.sort(key=lambda r: r.all.compliance if r.all.compliance is not None else 2.0)
    assert tuple(q.STAGE_COLUMNS) == SLA_STAGES
    return SlaStats(
        period=PeriodOut.of(scope.period, scope.tz),
        group_by=dim,
        as_of=scope.now,
        overall=_sla_row(scope, dim, overall, None, sum(overdue.values())),
        rows=out,
    )


# ---------------------------------------------------------------- hot spots
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


async def hotspots(
    db: AsyncSession,
    scope: StatsScope,
    *,
    by: Literal["grid", "area"],
    cell_m: int,
    centre_lat: float,
    open_only: bool,
) -> FeatureCollection:
    """Cases as weighted points for a heat map: one per grid cell (its centre) or per kecamatan
    (its centre point), ``count`` in the properties."""
    meta: dict[str, Any] = {
        "period": msgspec.to_builtins(PeriodOut.of(scope.period, scope.tz)),
        "by": by,
        "open_only": open_only,
        "cases_filter": _filter(scope),
    }
    features = []
    if by == "grid":
        dlon, dlat = grid_steps(cell_m, centre_lat)
        for gx, gy, n in await q.hotspot_grid(db, scope.cases, dlon, dlat, open_only=open_only):
            west, south = gx * dlon, gy * dlat
            features.append(
                Feature(
                    Point((round(west + dlon / 2, 6), round(south + dlat / 2, 6))),
                    {
                        "count": n,
                        "cell": [
                            round(west, 6),
                            round(south, 6),
                            round(west + dlon, 6),
                            round(south + dlat, 6),
                        ],
                    },
                )
            )
        meta.update(cell_m=cell_m, cell_deg=[round(dlon, 8), round(dlat, 8)])
    else:
        for a in await q.hotspot_areas(db, scope.cases, open_only=open_only):
            geom = (
                Point((round(a.lon, 6), round(a.lat, 6)))
                if a.lon is not None and a.lat is not None
                else None
            )
            features.append(
                Feature(
                    geom,
                    {
                        "count": a.cases,
                        "area_id": a.area_id,
                        "name": a.name,
                        "cases_filter": _filter(scope, "area", a.area_id),
                    },
                )
            )
    features.sort(key=lambda f: -int(f.properties["count"]))
    meta["total"] = sum(int(f.properties["count"]) for f in features)
    return FeatureCollection(features, meta)


# ------------------------------------------------------------------ monthly
class MonthlyCalls(msgspec.Struct):
    received: int
    valid: int
    valid_ratio: float | None
    valid_percent: int | None
    prank: int
    ghost: int
    prank_or_ghost: int
    informasi: int
    curhat: int
    wrong_number: int
    unclassified: int
    previous_received: int
    previous_valid: int
    previous_valid_percent: int | None


class MonthlyAgency(msgspec.Struct):
    agency_id: int | None
    code: str
    name: str
    created: int
    selesai: int
    dalam_proses: int
    belum_ditindaklanjuti: int
    finished_percent: int | None
    cases_filter: dict[str, Any]


class MonthlyTickets(msgspec.Struct):
    created: int
    selesai: int
    dalam_proses: int
    belum_ditindaklanjuti: int
    finished_percent: int | None
    previous_created: int
    overdue_now: int


class MonthlyReport(msgspec.Struct):
    """The month as the city publishes it: calls received, valid and their ratio, prank and
    ghost calls, tickets per agency finished / in process / not yet acted on."""

    month: str
    city: str
    period: PeriodOut
    as_of: datetime
    calls: MonthlyCalls | None
    tickets: MonthlyTickets
    agencies: list[MonthlyAgency]
    median_minutes: dict[str, float | None]
    sla_compliance_percent: int | None
    rating_average: float | None


async def monthly_report(
    db: AsyncSession, scope: StatsScope, city: str, *, with_calls: bool
) -> MonthlyReport:
    """Only what the report shows: call totals, tickets per agency, overall medians and SLA."""
    calls = None
    if with_calls:
        p, prev = scope.period, scope.previous
        rollup = hour_aligned(scope.zone, p.start, p.end) and hour_aligned(
            scope.zone, prev.start, prev.end
        )
        cur_c = _counts(await q.call_totals(db, p.start, p.end, rollup=rollup))
        prev_c = _counts(await q.call_totals(db, prev.start, prev.end, rollup=rollup))
        ch = call_headline(cur_c, prev_c)
        calls = MonthlyCalls(
            received=cur_c.total,
            valid=cur_c.valid,
            valid_ratio=ch.valid_ratio.value,
            valid_percent=percent(cur_c.valid, cur_c.total),
            prank=cur_c.prank,
            ghost=cur_c.ghost,
            prank_or_ghost=cur_c.prank + cur_c.ghost,
            informasi=cur_c.informasi,
            curhat=cur_c.curhat,
            wrong_number=cur_c.wrong_number,
            unclassified=cur_c.unclassified,
            previous_received=prev_c.total,
            previous_valid=prev_c.valid,
            previous_valid_percent=percent(prev_c.valid, prev_c.total),
        )
    cs = await case_stats(db, scope, "agency", by_day=False)
    times = (await q.response_times(db, scope.cases, None))[0]
    sla = next(r for r in await q.sla_counts(db, scope.cases, scope.now, None) if r.overall)
    met = sum(c.met for c in sla.stages.values())
    missed = sum(c.missed for c in sla.stages.values())
    agencies = [
        MonthlyAgency(
            agency_id=r.key.id if isinstance(r.key.id, int) else None,
            code=r.key.code,
            name=r.key.name,
            created=r.created,
            selesai=r.selesai,
            dalam_proses=r.dalam_proses,
            belum_ditindaklanjuti=r.belum_ditindaklanjuti,
            finished_percent=r.finished_percent,
            cases_filter=r.cases_filter,
        )
        for r in cs.rows
        if r.created
    ]
    h = cs.headline
    return MonthlyReport(
        month=scope.period.label,
        city=city,
        period=cs.period,
        as_of=scope.now,
        calls=calls,
        tickets=MonthlyTickets(
            created=h.created.value,
            selesai=h.selesai.value,
            dalam_proses=h.dalam_proses.value,
            belum_ditindaklanjuti=h.belum_ditindaklanjuti.value,
            finished_percent=percent(h.selesai.value, h.created.value),
            previous_created=h.created.previous,
            overdue_now=h.overdue_now,
        ),
        agencies=agencies,
        median_minutes={
            m: None if d.median is None else float(round_half_up(d.median / 60, 1))
            for m, d in times.metrics.items()
        },
        sla_compliance_percent=percent(met, met + missed),
        rating_average=cs.ratings.average,
    )
