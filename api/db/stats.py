"""Statistics SQL: every figure of the dashboards, read from the rollups of migration 0004.

``stats_call_hours`` (calls per UTC hour and class) and ``stats_cases`` (one row per case with its
timeline moments and ratings) are kept exact by triggers, so no figure joins the timeline or the
ratings at query time. Two figures read partial indexes of the raw tables instead: repeated prank
numbers (``calls``) and "overdue now" (the open ``cases``). Each call query can also run on the
raw ``calls`` table (``rollup=False``): the service does when the city's zone is not a whole
number of hours from UTC, and the tests use it to prove both paths give the same numbers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    Date,
    Float,
    Integer,
    Numeric,
    Select,
    and_,
    cast,
    extract,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    true,
    tuple_,
    type_coerce,
)
from sqlalchemy import case as sql_case
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from api.db.models import Agency, Area, Call, Case, Category, StatsCallHour, StatsCase, Team
from api.domain.lifecycle import VOID
from api.domain.sla import OPEN_STATUSES
from api.domain.stats import METRIC_EVENT, METRICS, UNCLASSIFIED

Dimension = Literal["agency", "category", "area", "priority"]
DIMENSION_COLUMN = {
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
assert set(METRIC_COLUMN) == set(METRICS) == set(METRIC_EVENT)
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
    priority: str | None = None

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


async def _all(db: AsyncSession, q: Any) -> Sequence[Any]:
    """Rows of a Core statement on the session's connection (no ORM result machinery)."""
    conn = await db.connection()
    return (await conn.execute(q)).all()


def _narrow(f: CaseFilter) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if f.agency_id is not None:
        out.append(StatsCase.agency_id == f.agency_id)
    if f.category_id is not None:
        out.append(StatsCase.category_id == f.category_id)
    if f.area_id is not None:
        out.append(StatsCase.area_id == f.area_id)
    if f.priority is not None:
        out.append(StatsCase.priority == f.priority)
    return out


def _in_period(f: CaseFilter) -> list[ColumnElement[bool]]:
    return [StatsCase.created_at >= f.start, StatsCase.created_at < f.end, *_narrow(f)]


def _local(tz: str, at: Any) -> ColumnElement[Any]:
    return func.timezone(tz, at)


def _local_day(tz: str, offset: int | None, at: Any) -> ColumnElement[Any]:
    """The local date of ``at``: epoch arithmetic when the offset is constant (several times
    cheaper per row than a time zone lookup), else the zone's rules."""
    if offset is None:
        return cast(_local(tz, at), Date)
    days = cast(func.floor((func.date_part("epoch", at) + offset) / 86400), Integer)
    return type_coerce(literal_column("DATE '1970-01-01'") + days, Date)


def _local_hour(tz: str, offset: int | None, at: Any) -> ColumnElement[Any]:
    if offset is None:
        return cast(extract("hour", _local(tz, at)), Integer)
    hours = cast(func.floor((func.date_part("epoch", at) + offset) / 3600), BigInteger)
    return cast(hours % 24, Integer)


# -------------------------------------------------------------------- calls
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
    day = _local_day(tz, offset, src.c.at).label("day")
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
    rows = await _all(db, q)
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
            select(h.call_class, func.sum(h.calls))
            .where(h.bucket >= start, h.bucket < end)
            .group_by(h.call_class)
        )
    else:
        cls = func.coalesce(Call.call_class, UNCLASSIFIED)
        q = (
            select(cls, func.count())
            .where(Call.started_at >= start, Call.started_at < end)
            .group_by(cls)
        )
    return {k: int(n) for k, n in await _all(db, q)}


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
        select(Call.number, n, func.min(Call.started_at), func.max(Call.started_at))
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
    return [PrankNumber(str(r[0]), int(r[1]), r[2], r[3]) for r in await _all(db, q)]


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
    one hash pass over the cases by (period, key, day, status) (the day left out for the
    previous period), then grouping sets over those few thousand groups. (Grouping sets over the
    cases themselves would hash every case twice.)"""
    current = StatsCase.created_at >= f.start
    key = DIMENSION_COLUMN[dim]
    sums = [func.sum(col).label(f"r{i}") for i, col in enumerate(RATING_COLUMNS, start=1)]
    where = [StatsCase.created_at >= previous_start, StatsCase.created_at < f.end, *_narrow(f)]
    if not by_day:
        flat = (
            select(current, key, StatsCase.status, func.count(), *sums)
            .where(*where)
            .group_by(current, key, StatsCase.status)
        )
        return [
            CaseCountRow(bool(cur), k, None, status, int(n), (r1, r2, r3, r4, r5))
            for cur, k, status, n, r1, r2, r3, r4, r5 in await _all(db, flat)
        ]
    day = sql_case((current, _local_day(tz, offset, StatsCase.created_at)), else_=None)
    inner = (
        select(
            current.label("cur"),
            key.label("key"),
            day.label("day"),
            StatsCase.status,
            func.count().label("n"),
            *sums,
        )
        .where(*where)
        .group_by(current, key, day, StatsCase.status)
        .subquery()
    )
    c = inner.c
    q = select(
        c.cur,
        c.key,
        c.day,
        c.status,
        func.sum(c.n),
        *[func.sum(c[f"r{i}"]) for i in range(1, 6)],
        func.grouping(c.day),
    ).group_by(func.grouping_sets(tuple_(c.cur, c.key, c.status), tuple_(c.cur, c.day, c.status)))
    out = []
    for cur, k, d, status, n, r1, r2, r3, r4, r5, g in await _all(db, q):
        if g == 0 and (d is None or not cur):
            continue  # the previous period has no day series
        out.append(
            CaseCountRow(
                bool(cur),
                k if g == 1 else None,
                d if g == 0 else None,
                status,
                int(n),
                (int(r1), int(r2), int(r3), int(r4), int(r5)),
            )
        )
    return out


CASE_DIMENSION_COLUMN = {
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
    narrow = []
    for col, value in (
        (Case.agency_id, f.agency_id),
        (Case.category_id, f.category_id),
        (Case.area_id, f.area_id),
        (Case.priority, f.priority),
    ):
        if value is not None:
            narrow.append(col == value)
    q = select(key, func.count()).where(overdue_clause(now), *narrow).group_by(key)
    return {k: int(n) for k, n in await _all(db, q)}


@dataclass(frozen=True, slots=True)
class Durations:
    """Seconds from the "created" event to the first event of each stage."""

    n: int
    median: float | None
    p90: float | None


@dataclass(frozen=True, slots=True)
class ResponseTimeRow:
    key: Any  # None on the overall row
    overall: bool
    metrics: dict[str, Durations]


async def response_times(
    db: AsyncSession, f: CaseFilter, dim: Dimension | None
) -> list[ResponseTimeRow]:
    """Median and 90th percentile of each response time, overall and per dimension value."""
    # date_part gives a double directly (extract() computes in numeric, far slower).
    cols = [
        func.date_part("epoch", METRIC_COLUMN[m] - StatsCase.opened_at).label(m) for m in METRICS
    ]
    key = DIMENSION_COLUMN[dim] if dim else literal(None)
    inner = select(key.label("key"), *cols).where(*_in_period(f)).subquery()
    c = inner.c
    aggs = []
    for m in METRICS:
        quantiles = func.percentile_cont(literal_column("ARRAY[0.5, 0.9]")).within_group(c[m])
        aggs += [
            func.count(c[m]).label(f"{m}_n"),
            type_coerce(quantiles, ARRAY(Float)).label(f"{m}_q"),
        ]
    if dim:
        q = select(c.key, func.grouping(c.key).label("g"), *aggs).group_by(
            func.grouping_sets(tuple_(), tuple_(c.key))
        )
    else:
        q = select(literal(None).label("key"), literal(1).label("g"), *aggs)
    out = []
    for r in await _all(db, q):
        metrics = {}
        for m in METRICS:
            qs = r._mapping[f"{m}_q"]
            metrics[m] = Durations(
                int(r._mapping[f"{m}_n"]),
                float(qs[0]) if qs and qs[0] is not None else None,
                float(qs[1]) if qs and qs[1] is not None else None,
            )
        out.append(ResponseTimeRow(r.key if r.g == 0 else None, r.g == 1, metrics))
    return out


@dataclass(frozen=True, slots=True)
class SlaCounts:
    met: int
    missed: int
    pending: int


@dataclass(frozen=True, slots=True)
class SlaRow:
    key: Any
    overall: bool
    stages: dict[str, SlaCounts]


async def sla_counts(
    db: AsyncSession, f: CaseFilter, now: datetime, dim: Dimension | None
) -> list[SlaRow]:
    """Met / missed / pending per SLA stage (rules of :func:`api.domain.stats.sla_outcome`)."""
    is_open = StatsCase.status.in_(sorted(OPEN_STATUSES))
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
    where = [*_in_period(f), StatsCase.status.not_in(sorted(VOID))]
    if dim:
        key = DIMENSION_COLUMN[dim]
        q = (
            select(key.label("key"), func.grouping(key).label("g"), *aggs)
            .where(*where)
            .group_by(func.grouping_sets(tuple_(), tuple_(key)))
        )
    else:
        q = select(literal(None).label("key"), literal(1).label("g"), *aggs).where(*where)
    out = []
    for r in await _all(db, q):
        m = r._mapping
        stages = {
            s: SlaCounts(int(m[f"{s}_met"]), int(m[f"{s}_missed"]), int(m[f"{s}_pending"]))
            for s in STAGE_COLUMNS
        }
        out.append(SlaRow(r.key if r.g == 0 else None, r.g == 1, stages))
    return out


# ---------------------------------------------------------------- hot spots
async def hotspot_grid(
    db: AsyncSession, f: CaseFilter, dlon: float, dlat: float, *, open_only: bool = False
) -> list[tuple[int, int, int]]:
    """Cases per grid cell: (column, row, count), cell = floor(lon / dlon), floor(lat / dlat)."""
    inner = (
        select(
            cast(func.floor(StatsCase.lon / dlon), Integer).label("gx"),
            cast(func.floor(StatsCase.lat / dlat), Integer).label("gy"),
        )
        .where(
            *_in_period(f),
            StatsCase.lon.is_not(None),
            StatsCase.status.in_(sorted(OPEN_STATUSES)) if open_only else true(),
        )
        .subquery()
    )
    q = select(inner.c.gx, inner.c.gy, func.count()).group_by(inner.c.gx, inner.c.gy)
    return [(int(x), int(y), int(n)) for x, y, n in await _all(db, q)]


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
            *_in_period(f),
            StatsCase.status.in_(sorted(OPEN_STATUSES)) if open_only else true(),
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
    return [AreaCount(r.area_id, r.name, r.lon, r.lat, int(r.n)) for r in await _all(db, q)]


# ---------------------------------------------------------------- reference
@dataclass(frozen=True, slots=True)
class Label:
    id: int | None
    code: str
    name_id: str
    name_en: str


async def labels(db: AsyncSession, dim: Dimension) -> dict[Any, Label]:
    """Display names of a dimension's values."""
    if dim == "agency":
        rows = await db.execute(select(Agency.id, Agency.code, Agency.name_id, Agency.name_en))
        return {r[0]: Label(r[0], r[1], r[2], r[3]) for r in rows}
    if dim == "category":
        rows = await db.execute(
            select(Category.id, Category.code, Category.name_id, Category.name_en)
        )
        return {r[0]: Label(r[0], r[1], r[2], r[3]) for r in rows}
    if dim == "area":
        rows = await db.execute(select(Area.id, Area.name))
        return {r[0]: Label(r[0], r[1], r[1], r[1]) for r in rows}
    return {p: Label(None, p, p, p) for p in ("P1", "P2", "P3")}


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


# ------------------------------------------------------------------ exports
CASE_EXPORT_COLUMNS = (
    "reference",
    "created_at",
    "agency",
    "category",
    "priority",
    "status",
    "public_status",
    "area",
    "team",
    "lon",
    "lat",
    "dispatched_at",
    "accepted_at",
    "arrived_at",
    "resolved_at",
    "closed_at",
    "minutes_to_dispatch",
    "minutes_to_accept",
    "minutes_to_arrive",
    "minutes_to_resolve",
    "sla_accept",
    "sla_arrive",
    "sla_resolve",
    "ratings",
    "rating_average",
)


def _fmt_local(tz: str, at: Any) -> ColumnElement[str]:
    return func.to_char(_local(tz, at), "YYYY-MM-DD HH24:MI:SS")


def _minutes(moment: Any) -> ColumnElement[Any]:
    return func.round(
        cast(extract("epoch", moment - StatsCase.opened_at) / 60, Numeric),
        1,
    )


def _sla_text(stage: str, now: datetime) -> ColumnElement[Any]:
    moment, deadline = STAGE_COLUMNS[stage]
    is_open = StatsCase.status.in_(sorted(OPEN_STATUSES))
    return sql_case(
        (StatsCase.status.in_(sorted(VOID)), literal("")),
        (moment <= deadline, literal("met")),
        (moment > deadline, literal("missed")),
        (and_(is_open, deadline <= now), literal("missed")),
        (is_open, literal("pending")),
        else_=literal(""),
    )


def cases_export_query(tz: str, f: CaseFilter, now: datetime) -> Select[Any]:
    """Rows of ``cases.csv``: no reporter, no free text (they may hold personal data)."""
    rating_n = sum((col for col in RATING_COLUMNS), start=literal(0))
    rating_sum = sum((col * i for i, col in enumerate(RATING_COLUMNS, start=1)), start=literal(0))
    return (
        select(
            Case.reference,
            _fmt_local(tz, StatsCase.created_at),
            StatsCase.agency_id,
            StatsCase.category_id,
            StatsCase.priority,
            StatsCase.status,
            StatsCase.area_id,
            Case.team_id,
            func.round(cast(StatsCase.lon, Numeric), 6),
            func.round(cast(StatsCase.lat, Numeric), 6),
            _fmt_local(tz, StatsCase.dispatched_at),
            _fmt_local(tz, StatsCase.accepted_at),
            _fmt_local(tz, StatsCase.arrived_at),
            _fmt_local(tz, StatsCase.resolved_at),
            _fmt_local(tz, Case.closed_at),
            *[_minutes(METRIC_COLUMN[m]) for m in METRICS],
            *[_sla_text(s, now) for s in STAGE_COLUMNS],
            rating_n,
            sql_case(
                (rating_n > 0, func.round(cast(rating_sum, Numeric) / rating_n, 2)),
                else_=None,
            ),
        )
        .join(Case, Case.id == StatsCase.case_id)
        .where(*_in_period(f))
        .order_by(StatsCase.created_at, Case.reference)
    )


CALL_EXPORT_COLUMNS = (
    "id",
    "started_at",
    "ended_at",
    "duration_s",
    "class",
    "channel",
    "operator_id",
    "case_references",
)


def calls_export_query(tz: str, start: datetime, end: datetime) -> Select[Any]:
    """Rows of ``calls.csv``: never the caller's number, name or the operator's notes."""
    refs = (
        select(func.string_agg(Case.reference, literal_column("' '")))
        .where(Case.call_id == Call.id)
        .scalar_subquery()
    )
    return (
        select(
            Call.id,
            _fmt_local(tz, Call.started_at),
            _fmt_local(tz, Call.ended_at),
            Call.duration_s,
            func.coalesce(Call.call_class, UNCLASSIFIED),
            Call.channel,
            Call.operator_id,
            refs,
        )
        .where(Call.started_at >= start, Call.started_at < end)
        .order_by(Call.started_at, Call.id)
    )


async def stream_rows(
    conn: AsyncConnection, query: Select[Any], chunk: int
) -> AsyncIterator[Sequence[Any]]:
    """Rows through a server-side cursor, ``chunk`` at a time: memory stays flat."""
    result = await conn.stream(query.execution_options(yield_per=chunk))
    async for part in result.partitions(chunk):
        yield part


async def team_names(db: AsyncSession) -> dict[int, str]:
    return {i: n for i, n in (await db.execute(select(Team.id, Team.name))).all()}
