"""Statistics SQL: the case figures of the dashboards, read from the rollups of migration 0004.

``stats_cases`` (one row per case with its timeline moments and ratings) is kept exact by
triggers, so no figure joins the timeline or the ratings at query time; "overdue now" reads a
partial index of the open ``cases`` instead. The case counts and the settled SLA outcomes read
``stats_case_days`` (cases per local day and combination of the filtered columns, migration
0023) when they can. The call figures are in :mod:`api.db.stats_calls`, the SLA tallies in
:mod:`api.db.stats_sla`, the export rows in :mod:`api.db.exports`; they use the filters and
helpers defined here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    Float,
    Integer,
    Select,
    cast,
    func,
    literal,
    literal_column,
    select,
    text,
    true,
    tuple_,
    type_coerce,
    update,
)
from sqlalchemy import case as sql_case
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from api.db.models import Agency, Area, Case, Category, StatsCase, stats_case_days, stats_settings
from api.domain.stats import METRIC_EVENT, METRICS
from api.domain.vocabulary import OPEN, PRIORITIES, Priority

Dimension = Literal["agency", "category", "area", "priority"]
DIMENSION_COLUMN: dict[Dimension, Any] = {
    "agency": StatsCase.agency_id,
    "category": StatsCase.category_id,
    "area": StatsCase.area_id,
    "priority": StatsCase.priority,
}
STAGE_COLUMNS = {
    "accept": (StatsCase.accepted_at, StatsCase.accept_by),
    "arrive": (StatsCase.arrived_at, StatsCase.arrive_by),
    "resolve": (StatsCase.resolved_at, StatsCase.resolve_by),
}
METRIC_COLUMN = {
    "dispatch": StatsCase.dispatched_at,
    "accept": StatsCase.accepted_at,
    "arrive": StatsCase.arrived_at,
    "resolve": StatsCase.resolved_at,
}
#: Seconds from the "created" event to each metric's first event, stored on the row.
DURATION_COLUMN = {
    "dispatch": StatsCase.dispatch_s,
    "accept": StatsCase.accept_s,
    "arrive": StatsCase.arrive_s,
    "resolve": StatsCase.resolve_s,
}
assert set(METRIC_COLUMN) == set(DURATION_COLUMN) == set(METRICS) == set(METRIC_EVENT)
RATING_COLUMNS = (
    StatsCase.rating_1,
    StatsCase.rating_2,
    StatsCase.rating_3,
    StatsCase.rating_4,
    StatsCase.rating_5,
)


@dataclass(frozen=True, slots=True)
class CaseFilter:
    """Which cases a figure counts: created in [start, end), narrowed by the other fields."""

    start: datetime
    end: datetime
    agency_id: int | None = None
    category_id: int | None = None
    area_id: int | None = None
    priority: Priority | None = None

    def between(self, start: datetime, end: datetime) -> CaseFilter:
        return CaseFilter(start, end, self.agency_id, self.category_id, self.area_id, self.priority)


async def tune_for_statistics(db: AsyncSession) -> None:
    """For this transaction: percentiles sort in memory, and no parallel workers (on a few
    cores their start-up costs more than the month of rows a statistic reads)."""
    await db.execute(
        text(
            "SELECT set_config('work_mem', '64MB', true), "
            "set_config('max_parallel_workers_per_gather', '0', true)"
        )
    )


@asynccontextmanager
async def side_session(db: AsyncSession) -> AsyncIterator[AsyncSession]:
    """A second read session on the node ``db`` reads from (its engine: same pool, read-only),
    tuned like it: for independent statements run at the same time as ``db``'s on the other
    core. Both run in read committed, so each statement sees the latest commit, as in one
    session."""
    async with AsyncSession(db.bind, expire_on_commit=False) as side:
        await tune_for_statistics(side)
        yield side


async def all_rows(db: AsyncSession, q: Any) -> Sequence[Any]:
    """Rows of a Core statement on the session's connection (no ORM result machinery)."""
    conn = await db.connection()
    return (await conn.execute(q)).all()


def narrow(f: CaseFilter, columns: Mapping[Dimension, Any]) -> list[ColumnElement[bool]]:
    """The filter's narrowing fields on ``columns`` (the per-case rows', the day counts' or the
    cases' own)."""
    given: tuple[tuple[Dimension, Any], ...] = (
        ("agency", f.agency_id),
        ("category", f.category_id),
        ("area", f.area_id),
        ("priority", f.priority),
    )
    return [columns[dim] == value for dim, value in given if value is not None]


def in_period(f: CaseFilter) -> list[ColumnElement[bool]]:
    return [
        StatsCase.created_at >= f.start,
        StatsCase.created_at < f.end,
        *narrow(f, DIMENSION_COLUMN),
    ]


def local_time(tz: str, at: Any) -> ColumnElement[Any]:
    return func.timezone(tz, at)


def local_day(tz: str, offset: int | None, at: Any) -> ColumnElement[Any]:
    """The local date of ``at``: epoch arithmetic when the offset is constant (several times
    cheaper per row than a time zone lookup), else the zone's rules."""
    if offset is None:
        return cast(local_time(tz, at), Date)
    days = cast(func.floor((func.date_part("epoch", at) + offset) / 86400), Integer)
    return type_coerce(literal_column("DATE '1970-01-01'") + days, Date)


# -------------------------------------------------------------------- cases
@dataclass(frozen=True, slots=True)
class CaseCountRow:
    """Cases created in the period (``current``) or the previous one, by status, either per
    dimension value (``key``) or, for the current period, per local day (``day``)."""

    current: bool
    key: Any
    day: date | None
    status: str
    cases: int
    ratings: tuple[int, int, int, int, int]


async def case_counts(
    db: AsyncSession,
    tz: str,
    f: CaseFilter,
    previous_start: datetime,
    dim: Dimension,
    offset: int | None = None,
    *,
    by_day: bool = True,
) -> list[CaseCountRow]:
    """Counts and ratings by (period, key, status) and by (local day, status), in two levels:
    one hash pass by (period, key, day, status) (the day left out for the previous period),
    then grouping sets over those few thousand groups. (Grouping sets over the cases
    themselves would hash every case twice.)

    The first level reads the day counts (``stats_case_days``: about a sixth of the rows, the
    day already worked out) when they are counted in ``tz`` and both periods are whole local
    days, as the dashboards' are; else every case of both periods."""
    days = await counted_days(db, tz, (previous_start, f.start, f.end))
    source = _rows_source(tz, offset, f, previous_start) if days is None else _days_source(f, *days)
    key = source.dims[dim]
    n = source.cases.label("n")
    sums = [total.label(f"r{i}") for i, total in enumerate(source.ratings, start=1)]
    if not by_day:
        flat = (
            select(source.current.label("cur"), key.label("key"), source.status, n, *sums)
            .where(*source.where)
            .group_by(source.current, key, source.status)
        )
        return [
            CaseCountRow(bool(r.cur), r.key, None, r.status, int(r.n), _ratings(r))
            for r in await all_rows(db, flat)
            if r.n  # a combination of day counts whose cases all moved on
        ]
    day = sql_case((source.current, source.day), else_=None)
    inner = (
        select(
            source.current.label("cur"),
            key.label("key"),
            day.label("day"),
            source.status.label("status"),
            n,
            *sums,
        )
        .where(*source.where)
        .group_by(source.current, key, day, source.status)
        .subquery()
    )
    c = inner.c
    q = select(
        c.cur,
        c.key,
        c.day,
        c.status,
        func.sum(c.n).label("n"),
        *[func.sum(c[f"r{i}"]).label(f"r{i}") for i in range(1, 6)],
        func.grouping(c.day).label("g"),
    ).group_by(func.grouping_sets(tuple_(c.cur, c.key, c.status), tuple_(c.cur, c.day, c.status)))
    out = []
    for r in await all_rows(db, q):
        if r.g == 0 and (r.day is None or not r.cur):
            continue  # the previous period has no day series
        if not r.n:
            continue  # a combination of day counts whose cases all moved on
        out.append(
            CaseCountRow(
                bool(r.cur),
                r.key if r.g == 1 else None,
                r.day if r.g == 0 else None,
                r.status,
                int(r.n),
                _ratings(r),
            )
        )
    return out


@dataclass(frozen=True)
class _CountSource:
    """Where :func:`case_counts` counts: its columns, aggregates and filter."""

    current: ColumnElement[bool]
    day: ColumnElement[Any]
    dims: Mapping[Dimension, Any]
    status: Any
    cases: ColumnElement[Any]
    ratings: Sequence[ColumnElement[Any]]
    where: Sequence[ColumnElement[bool]]


def _rows_source(
    tz: str, offset: int | None, f: CaseFilter, previous_start: datetime
) -> _CountSource:
    """Every case of both periods (``stats_cases``)."""
    return _CountSource(
        current=StatsCase.created_at >= f.start,
        day=local_day(tz, offset, StatsCase.created_at),
        dims=DIMENSION_COLUMN,
        status=StatsCase.status,
        cases=func.count(),
        ratings=[func.sum(col) for col in RATING_COLUMNS],
        where=[
            StatsCase.created_at >= previous_start,
            StatsCase.created_at < f.end,
            *narrow(f, DIMENSION_COLUMN),
        ],
    )


DAY = stats_case_days.c
DAY_DIMENSION_COLUMN: dict[Dimension, ColumnElement[Any]] = {
    "agency": DAY.agency_id,
    "category": DAY.category_id,
    "area": DAY.area_id,
    "priority": DAY.priority,
}


def _days_source(f: CaseFilter, previous_first: date, first: date, end: date) -> _CountSource:
    """The day counts of both periods' local days, [``previous_first``, ``end``)."""
    return _CountSource(
        current=DAY.day >= first,
        day=DAY.day,
        dims=DAY_DIMENSION_COLUMN,
        status=DAY.status,
        cases=func.sum(DAY.cases),
        ratings=[func.sum(DAY[f"rating_{i}"]) for i in range(1, 6)],
        where=[DAY.day >= previous_first, DAY.day < end, *narrow(f, DAY_DIMENSION_COLUMN)],
    )


async def counted_days(
    db: AsyncSession, tz: str, instants: Sequence[datetime]
) -> tuple[date, ...] | None:
    """The local dates of ``instants`` if each is a local midnight in ``tz`` and the day counts
    are counted in ``tz`` (:func:`use_city_timezone`); else None."""
    zone = ZoneInfo(tz)
    local = [at.astimezone(zone) for at in instants]
    if any(at.time() != time(0) for at in local):
        return None
    counted_in = (await db.execute(select(stats_settings.c.timezone))).scalar()
    return tuple(at.date() for at in local) if counted_in == tz else None


async def use_city_timezone(db: AsyncSession, tz: str) -> bool:
    """Count the day counts in ``tz`` (an IANA zone name), recounting them from ``stats_cases``
    if they were counted in another zone (in the caller's transaction); whether it recounted.
    ``tanggap dev``, ``tanggap seed`` and ``tanggap db upgrade`` call it with the city's
    ``TANGGAP_CITY_TIMEZONE``."""
    ZoneInfo(tz)  # an unknown zone is refused here, not stored
    moved = await db.execute(
        update(stats_settings).where(stats_settings.c.timezone != tz).values(timezone=tz)
    )
    if not moved.rowcount:  # type: ignore[attr-defined]
        return False
    await db.execute(text("SELECT stats_case_days_rebuild()"))
    return True


def _ratings(r: Any) -> tuple[int, int, int, int, int]:
    """The five rating counts of a row with columns ``r1`` .. ``r5``."""
    return (int(r.r1), int(r.r2), int(r.r3), int(r.r4), int(r.r5))


CASE_DIMENSION_COLUMN: dict[Dimension, Any] = {
    "agency": Case.agency_id,
    "category": Case.category_id,
    "area": Case.area_id,
    "priority": Case.priority,
}


async def overdue_now(
    db: AsyncSession, f: CaseFilter, now: datetime, dim: Dimension
) -> dict[Any, int]:
    """Open cases past a deadline right now, whenever they were created, per dimension value.

    This is the live state the case list shows (``GET /api/cases?overdue=true``), so it uses
    the case service's own rule on the case's current-cycle moments, not the timeline's first
    ones (a returned case must be accepted again in time)."""
    from api.db.cases import overdue_clause

    key = CASE_DIMENSION_COLUMN[dim]
    q = (
        select(key.label("key"), func.count().label("n"))
        .where(overdue_clause(now), *narrow(f, CASE_DIMENSION_COLUMN))
        .group_by(key)
    )
    return {r.key: int(r.n) for r in await all_rows(db, q)}


def overall_and_per_key(key: Any, aggs: list[Any], where: Sequence[Any] = ()) -> Select[Any]:
    """``aggs`` over all the rows (``g`` = 1) and, with a ``key``, per key value (``g`` = 0)."""
    if key is None:
        return select(literal(None).label("key"), literal(1).label("g"), *aggs).where(*where)
    return (
        select(key.label("key"), func.grouping(key).label("g"), *aggs)
        .where(*where)
        .group_by(func.grouping_sets(tuple_(), tuple_(key)))
    )


def key_and_overall(r: Any) -> tuple[Any, bool]:
    """A row of :func:`overall_and_per_key`: its key value (None on the overall row) and
    whether it is the overall row."""
    return (None, True) if r.g == 1 else (r.key, False)


@dataclass(frozen=True, slots=True)
class Durations:
    """Seconds from the "created" event to the first event of each stage: ``n`` durations
    counted, their median and 90th percentile, exact unless ``estimated`` (from the sample,
    :func:`api.db.stats_quantiles.estimated_response_times`)."""

    n: int
    median: float | None
    p90: float | None
    estimated: bool = False


@dataclass(frozen=True, slots=True)
class ResponseTimeRow:
    key: Any  # None on the overall row
    overall: bool
    metrics: dict[str, Durations]


async def response_times(
    db: AsyncSession, f: CaseFilter, dim: Dimension | None
) -> list[ResponseTimeRow]:
    """Median and 90th percentile of each response time per dimension value; with no
    dimension, the one overall row.

    Not both in one statement: grouping sets sort the period's rows by the key and then sort
    every duration twice (per key and overall), 448 ms for a month at 10M cases, where the
    rows per key take 255 ms and the overall row 169 ms as separate statements, which a caller
    can run at the same time on two sessions (docs/performance.md). The overall row sorts every
    duration: :func:`api.db.stats_quantiles.overall_response_times` gives the same figures
    without."""
    # The stored durations (migration 0021): an index-only scan of the period, no row visits.
    cols = [DURATION_COLUMN[m].label(m) for m in METRICS]
    keys = [DIMENSION_COLUMN[dim].label("key")] if dim else []
    inner = select(*keys, *cols).where(*in_period(f)).subquery()
    c = inner.c
    aggs = duration_figures({m: c[m] for m in METRICS})
    grouped: Any = select(c.key, *aggs).group_by(c.key) if dim else None
    return [
        ResponseTimeRow(
            r.key if dim else None, dim is None, {m: durations_of(r, m) for m in METRICS}
        )
        for r in await all_rows(db, grouped if dim else select(*aggs))
    ]


def duration_figures(columns: Mapping[str, Any]) -> list[Any]:
    """Per stage of ``columns`` (durations), the aggregates :func:`durations_of` reads: how many
    (``{stage}_n``), and their median and 90th percentile (``{stage}_q``, a sort of them)."""
    aggs: list[Any] = []
    for m, col in columns.items():
        quantiles = func.percentile_cont(literal_column("ARRAY[0.5, 0.9]")).within_group(col)
        aggs += [
            func.count(col).label(f"{m}_n"),
            type_coerce(quantiles, ARRAY(Float)).label(f"{m}_q"),
        ]
    return aggs


def durations_of(r: Any, m: str) -> Durations:
    """One stage's :class:`Durations` from a row of :func:`duration_figures`."""
    median, p90 = r._mapping[f"{m}_q"] or (None, None)
    return Durations(int(r._mapping[f"{m}_n"]), _float(median), _float(p90))


def _float(x: Any) -> float | None:
    return None if x is None else float(x)


# ---------------------------------------------------------------- hot spots
@dataclass(frozen=True, slots=True)
class GridCount:
    """Cases in one grid cell: column ``gx`` = floor(lon / dlon), row ``gy`` = floor(lat / dlat)."""

    gx: int
    gy: int
    cases: int


async def hotspot_grid(
    db: AsyncSession, f: CaseFilter, dlon: float, dlat: float, *, open_only: bool = False
) -> list[GridCount]:
    """Cases per grid cell."""
    inner = (
        select(
            cast(func.floor(StatsCase.lon / dlon), Integer).label("gx"),
            cast(func.floor(StatsCase.lat / dlat), Integer).label("gy"),
        )
        .where(
            *in_period(f),
            StatsCase.lon.is_not(None),
            StatsCase.status.in_(sorted(OPEN)) if open_only else true(),
        )
        .subquery()
    )
    q = select(inner.c.gx, inner.c.gy, func.count().label("n")).group_by(inner.c.gx, inner.c.gy)
    return [GridCount(int(r.gx), int(r.gy), int(r.n)) for r in await all_rows(db, q)]


@dataclass(frozen=True, slots=True)
class AreaCount:
    area_id: int | None
    name: str | None
    lon: float | None
    lat: float | None
    cases: int


async def hotspot_areas(
    db: AsyncSession, f: CaseFilter, *, open_only: bool = False
) -> list[AreaCount]:
    """Cases per kecamatan, with the kecamatan's centre point."""
    counts = (
        select(StatsCase.area_id, func.count().label("n"))
        .where(
            *in_period(f),
            StatsCase.status.in_(sorted(OPEN)) if open_only else true(),
        )
        .group_by(StatsCase.area_id)
        .subquery()
    )
    q = (
        select(
            counts.c.area_id,
            Area.name,
            func.ST_X(func.geometry(Area.center)).label("lon"),
            func.ST_Y(func.geometry(Area.center)).label("lat"),
            counts.c.n,
        )
        .select_from(counts)
        .outerjoin(Area, Area.id == counts.c.area_id)
        .order_by(counts.c.n.desc())
    )
    return [AreaCount(r.area_id, r.name, r.lon, r.lat, int(r.n)) for r in await all_rows(db, q)]


# ---------------------------------------------------------------- reference
@dataclass(frozen=True, slots=True)
class Label:
    id: int | None
    code: str
    name_id: str
    name_en: str

    def name_in(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_id


async def labels(db: AsyncSession, dim: Dimension) -> dict[Any, Label]:
    """Display names of a dimension's values."""
    if dim in ("agency", "category"):
        model = Agency if dim == "agency" else Category
        q = select(model.id, model.code, model.name_id, model.name_en)
        return {r.id: Label(r.id, r.code, r.name_id, r.name_en) for r in await all_rows(db, q)}
    if dim == "area":
        rows = await all_rows(db, select(Area.id, Area.name))
        return {r.id: Label(r.id, r.name, r.name, r.name) for r in rows}
    return {p: Label(None, p, p, p) for p in PRIORITIES}


async def missing_references(
    db: AsyncSession, agency_id: int | None, category_id: int | None, area_id: int | None
) -> list[str]:
    """The filter fields that name something that does not exist."""
    checks = [
        ("agency_id", Agency, agency_id),
        ("category_id", Category, category_id),
        ("area_id", Area, area_id),
    ]
    wanted = [(field, model, ident) for field, model, ident in checks if ident is not None]
    if not wanted:
        return []
    q = select(
        *[
            select(model.id).where(model.id == ident).exists().label(field)  # type: ignore[attr-defined]
            for field, model, ident in wanted
        ]
    )
    row = (await db.execute(q)).one()
    return [field for field, _, _ in wanted if not row._mapping[field]]
