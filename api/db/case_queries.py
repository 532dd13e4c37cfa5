"""The case aggregate's read models: the case list and its filters, one case with the names it
shows, its timeline, reporters and photos, similar cases, team suggestions and the map layer.

Each query answers with named results (:class:`CaseRow`, :class:`TimelineEntry`, ...), never
positional rows.
"""

from __future__ import annotations

import typing
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from geoalchemy2 import Geography, Geometry
from sqlalchemy import (
    DateTime,
    Float,
    Integer,
    Row,
    Select,
    String,
    and_,
    any_,
    bindparam,
    cast,
    func,
    literal,
    or_,
    text,
)
from sqlalchemy import select as sql_select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.cases import LAT, LON, OPEN_WORDS, overdue_clause, point, publicly_visible
from api.db.direct import OneStatement, Statement, in_transaction
from api.db.models import Agency, Area, Case, CaseEvent, CaseReporter, Category, Photo, Team, User
from api.domain.lifecycle import IN_FIELD, OPEN
from api.domain.routing import AreaRule


@dataclass(frozen=True)
class CaseFilter:
    statuses: Sequence[str] = ()
    agency_id: int | None = None
    team_id: int | None = None
    category_id: int | None = None
    priority: str | None = None
    overdue: bool | None = None
    text: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None
    mine: bool = False
    area_id: int | None = None


@dataclass(frozen=True)
class Scope:
    """Whose cases a query may return: one agency's (or all); for ``mine``, the caller's teams."""

    agency_id: int | None
    team_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class CaseRow:
    """A case with the names a list or a detail shows beside it."""

    case: Case
    lat: float
    lon: float
    category_code: str
    category_name_id: str
    category_name_en: str
    team_name: str | None
    area_name: str | None
    agency_code: str
    agency_name_id: str
    agency_name_en: str

    @classmethod
    def of(cls, row: Row[Any]) -> CaseRow:
        named = {name: getattr(row, name) for name in cls.__dataclass_fields__ if name != "case"}
        return cls(case=row.Case, **named)


def summary_select() -> Select[Any]:
    """A case and the names :class:`CaseRow` carries, labelled after its fields."""
    return (
        sql_select(
            Case,
            LAT.label("lat"),
            LON.label("lon"),
            Category.code.label("category_code"),
            Category.name_id.label("category_name_id"),
            Category.name_en.label("category_name_en"),
            Team.name.label("team_name"),
            Area.name.label("area_name"),
            Agency.code.label("agency_code"),
            Agency.name_id.label("agency_name_id"),
            Agency.name_en.label("agency_name_en"),
        )
        .join(Category, Category.id == Case.category_id)
        .join(Agency, Agency.id == Case.agency_id)
        .outerjoin(Team, Team.id == Case.team_id)
        .outerjoin(Area, Area.id == Case.area_id)
    )


def _rows(result: Any) -> list[CaseRow]:
    return [CaseRow.of(r) for r in result]


@dataclass(frozen=True)
class FilterShape:
    """Which of a filter's conditions a query has: its statement's form, compiled once per
    shape (a dozen are common), while the values go as parameters (:func:`filter_params`)."""

    agency_scope: bool
    mine: bool
    statuses: bool
    agency: bool
    team: bool
    category: bool
    priority: bool
    area: bool
    overdue: bool | None
    text: bool
    created_from: bool
    created_to: bool
    bbox: bool

    @classmethod
    def of(cls, f: CaseFilter, scope: Scope) -> FilterShape:
        return cls(
            agency_scope=scope.agency_id is not None,
            mine=f.mine,
            statuses=bool(f.statuses),
            agency=f.agency_id is not None,
            team=f.team_id is not None,
            category=f.category_id is not None,
            priority=f.priority is not None,
            area=f.area_id is not None,
            overdue=f.overdue,
            text=bool(f.text),
            created_from=f.created_from is not None,
            created_to=f.created_to is not None,
            bbox=f.bbox is not None,
        )


def _p(name: str, type_: Any) -> Any:
    return bindparam(name, type_=type_)


_NOW = _p("now", DateTime(timezone=True))

# The equality conditions: (the shape's flag, the column, the parameter).
_EQUAL = (
    ("agency", Case.agency_id, _p("agency_id", Integer)),
    ("team", Case.team_id, _p("team_id", Integer)),
    ("category", Case.category_id, _p("category_id", Integer)),
    ("priority", Case.priority, _p("priority", String)),
    ("area", Case.area_id, _p("area_id", Integer)),
)


def apply_filter(q: Select[Any], shape: FilterShape) -> Select[Any]:
    """``q`` narrowed by the filter's conditions, with the values as named parameters
    (:func:`filter_params`); ``now`` is the parameter the overdue rule reads."""
    if shape.agency_scope:
        q = q.where(Case.agency_id == _p("scope_agency_id", Integer))
    if shape.mine:
        q = q.where(
            Case.team_id == any_(_p("mine_team_ids", ARRAY(Integer))),
            Case.status.in_(OPEN_WORDS),
        )
    if shape.statuses:
        q = q.where(Case.status == any_(_p("statuses", ARRAY(String))))
    q = q.where(*[column == param for flag, column, param in _EQUAL if getattr(shape, flag)])
    if shape.overdue is True:
        q = q.where(overdue_clause(_NOW))
    elif shape.overdue is False:
        q = q.where(~overdue_clause(_NOW))
    if shape.text:
        like = _p("text_like", String)
        q = q.where(
            or_(
                Case.reference.ilike(like),
                Case.description.ilike(like),
                Case.address.ilike(like),
                Case.landmark.ilike(like),
            )
        )
    if shape.created_from:
        q = q.where(Case.created_at >= _p("created_from", DateTime(timezone=True)))
    if shape.created_to:
        q = q.where(Case.created_at < _p("created_to", DateTime(timezone=True)))
    if shape.bbox:
        corners = [_p(n, Float) for n in ("min_lon", "min_lat", "max_lon", "max_lat")]
        envelope = cast(func.ST_MakeEnvelope(*corners, 4326), Geography)
        q = q.where(func.ST_Intersects(Case.location, envelope))
    return q


def filter_params(f: CaseFilter, scope: Scope, now: datetime) -> dict[str, Any]:
    """The values :func:`apply_filter`'s statement binds for ``f`` (and ``now``)."""
    params: dict[str, Any] = {
        "now": now,
        "scope_agency_id": scope.agency_id,
        "mine_team_ids": sorted(scope.team_ids) or [-1],
        "statuses": list(f.statuses),
        "agency_id": f.agency_id,
        "team_id": f.team_id,
        "category_id": f.category_id,
        "priority": f.priority,
        "area_id": f.area_id,
        "text_like": f"%{(f.text or '').replace('%', '').replace('_', '')}%",
        "created_from": f.created_from,
        "created_to": f.created_to,
    }
    if f.bbox is not None:
        params.update(zip(("min_lon", "min_lat", "max_lon", "max_lat"), f.bbox, strict=True))
    return params


async def case_page(
    db: AsyncSession,
    f: CaseFilter,
    scope: Scope,
    now: datetime,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[CaseRow]:
    """Up to ``limit`` cases, newest first, after the (created_at, id) cursor position."""
    q = apply_filter(summary_select(), FilterShape.of(f, scope))
    if after is not None:
        at, cid = after
        q = q.where(or_(Case.created_at < at, and_(Case.created_at == at, Case.id < cid)))
    q = q.order_by(Case.created_at.desc(), Case.id.desc()).limit(limit)
    return _rows(await db.execute(q, filter_params(f, scope, now)))


async def case_row(db: AsyncSession, case_id: uuid.UUID) -> CaseRow | None:
    row = (await db.execute(summary_select().where(Case.id == case_id))).first()
    return CaseRow.of(row) if row is not None else None


@dataclass(frozen=True)
class SimilarRow:
    row: CaseRow
    distance_m: float


async def similar(
    db: AsyncSession,
    category: Category,
    lat: float,
    lon: float,
    now: datetime,
    *,
    recent_days: int = 7,
    agency_scope: int | None = None,
    limit: int = 10,
    public_only: bool = False,
) -> list[SimilarRow]:
    """Open or recently finished cases of the same category within its dedupe radius, nearest
    first (for the public: only the cases the public may see), in one query."""
    pt = point(lon, lat)
    radius = max(category.dedupe_radius_m, 1)
    dist = func.ST_Distance(Case.location, pt).label("distance_m")
    recent = and_(
        Case.status.in_(["resolved", "closed"]),
        Case.updated_at >= now - timedelta(days=recent_days),
    )
    q = (
        summary_select()
        .add_columns(dist)
        .where(
            Case.category_id == category.id,
            func.ST_DWithin(Case.location, pt, radius),
            or_(Case.status.in_(OPEN), recent),
        )
        .order_by(dist)
        .limit(limit)
    )
    if agency_scope is not None:
        q = q.where(Case.agency_id == agency_scope)
    if public_only:
        q = q.where(publicly_visible())
    return [SimilarRow(CaseRow.of(r), float(r.distance_m)) for r in await db.execute(q)]


#: One case on the map layer, in this order: id (as text), reference, status, priority, agency_id,
#: team_id, category (its code), lon, lat (degrees, to 6 decimals) and overdue. The driver's
#: own records: the layer unpacks 2,000 of them per request.
MapPoint = Sequence[Any]


_MICRO = literal(1e6, Float)


def _degrees(coordinate: Any) -> Any:
    """A coordinate to 6 decimals (about 0.1 m), in double arithmetic: the nearest double to
    the rounded decimal, so JSON numbers come out as short as ``ST_AsGeoJSON(location, 6)``
    wrote them (through ``numeric`` it costs about 2 ms more per 2,000 rows)."""
    return func.round(coordinate * _MICRO, type_=Float) / _MICRO


@lru_cache(maxsize=64)
def _map_statement(shape: FilterShape) -> Statement:
    """The map layer's statement for one filter shape, compiled once."""
    q = sql_select(
        # As text: the layer writes it as a string, and a UUID object per row costs more to
        # build and to encode than the 36 characters.
        cast(Case.id, String).label("id"),
        Case.reference,
        Case.status,
        Case.priority,
        Case.agency_id,
        Case.team_id,
        Category.code.label("category"),
        _degrees(LON).label("lon"),
        _degrees(LAT).label("lat"),
        overdue_clause(_NOW).label("overdue"),
    ).select_from(Case)
    q = apply_filter(q.join(Category, Category.id == Case.category_id), shape)
    return Statement(q.order_by(Case.created_at.desc()).limit(_p("limit", Integer)))


async def map_points(
    db: AsyncSession, f: CaseFilter, scope: Scope, now: datetime, limit: int
) -> Sequence[MapPoint]:
    """The map layer's cases, newest first, as plain typed columns.

    PostgreSQL writing the FeatureCollection as JSON took about twice this query (620 KB of
    text against binary rows); the service encodes the features instead (docs/performance.md).
    Run on the read session's own asyncpg connection, inside its transaction: a statement
    compiled once per filter shape, and the driver's rows as they come (no statement built,
    no SQLAlchemy row per case).
    """
    params = filter_params(f, scope, now)
    params["limit"] = limit
    statement = _map_statement(FilterShape.of(f, scope))
    rows = await (await in_transaction(db)).rows(statement, params)
    # asyncpg records: indexed and unpacked like tuples (the Mapping type says by name too).
    return typing.cast("Sequence[MapPoint]", rows)


@dataclass(frozen=True)
class TimelineEntry:
    event: CaseEvent
    actor_name: str | None
    lat: float | None
    lon: float | None


async def timeline(db: AsyncSession, case_id: uuid.UUID) -> list[TimelineEntry]:
    q = (
        sql_select(
            CaseEvent,
            User.full_name.label("actor_name"),
            func.ST_Y(cast(CaseEvent.location, Geometry)).label("lat"),
            func.ST_X(cast(CaseEvent.location, Geometry)).label("lon"),
        )
        .outerjoin(User, User.id == CaseEvent.actor_id)
        .where(CaseEvent.case_id == case_id)
        .order_by(CaseEvent.id)
    )
    return [TimelineEntry(r.CaseEvent, r.actor_name, r.lat, r.lon) for r in await db.execute(q)]


async def reporters(db: AsyncSession, case_id: uuid.UUID) -> list[CaseReporter]:
    q = sql_select(CaseReporter).where(CaseReporter.case_id == case_id).order_by(CaseReporter.id)
    return list((await db.execute(q)).scalars())


@dataclass(frozen=True)
class PhotoItem:
    id: uuid.UUID
    source: str
    caption: str
    created_at: datetime


async def photos_of(db: AsyncSession, case_id: uuid.UUID) -> list[PhotoItem]:
    """The case's photos nobody deleted, oldest first."""
    q = (
        sql_select(Photo.id, Photo.source, Photo.caption, Photo.created_at)
        .where(Photo.case_id == case_id, Photo.deleted_at.is_(None))
        .order_by(Photo.created_at)
    )
    return [PhotoItem(r.id, r.source, r.caption, r.created_at) for r in await db.execute(q)]


@dataclass(frozen=True)
class TeamNearby:
    team_id: int
    name: str
    distance_m: float | None
    position_at: datetime | None
    open_cases: int


@dataclass(frozen=True)
class Suggestable:
    """What team suggestions need of a case: where it goes, the area rules naming a team in
    its kecamatan, and the nearby teams (see :func:`suggestable`)."""

    agency_id: int
    category_id: int
    area_id: int | None
    rules: list[AreaRule]
    teams: list[TeamNearby]


# The case once (MATERIALIZED: its rules are aggregated once, not per team row), then on-duty
# teams of its agency, fresh positions first, nearest first (KNN on the position index), each
# with its open workload. No row: no such case; one row without a team: no team on duty.
_SUGGESTABLE_SQL = Statement(
    text(
        """
    WITH c AS MATERIALIZED (
        SELECT c.agency_id, c.category_id, c.area_id, c.location,
               (SELECT json_agg(json_build_array(r.category_id, r.agency_id, r.team_id,
                                                 t.agency_id, r.id))
                FROM routing_rules r JOIN teams t ON t.id = r.team_id
                WHERE r.area_id = c.area_id) AS rules
        FROM cases c WHERE c.id = :case_id
    )
    SELECT c.agency_id, c.category_id, c.area_id, c.rules,
           n.team_id, n.name, n.distance_m, n.position_at, n.open_cases
    FROM c LEFT JOIN LATERAL (
        SELECT t.id AS team_id, t.name, t.last_position_at AS position_at,
               ST_Distance(t.last_position, c.location) AS distance_m,
               (SELECT count(*) FROM cases w
                WHERE w.team_id = t.id AND w.status = ANY(:in_field)) AS open_cases
        FROM teams t
        WHERE t.agency_id = c.agency_id AND t.on_duty
        ORDER BY coalesce(t.last_position_at >= :fresh_since, false) DESC,
                 t.last_position <-> c.location
        LIMIT :limit
    ) n ON true
    """
    )
)


async def suggestable(
    db: OneStatement,
    case_id: uuid.UUID,
    fresh_since: datetime,
    limit: int = 40,
) -> Suggestable | None:
    """The case's routing facts and its on-duty teams, fresh positions first, nearest first
    (KNN), with the distance, the age of the fix and the open workload of each team: one
    statement. None when there is no such case."""
    params = {
        "case_id": case_id,
        "in_field": list(IN_FIELD),
        "fresh_since": fresh_since,
        "limit": limit,
    }
    rows = await db.rows(_SUGGESTABLE_SQL, params)
    if not rows:
        return None
    first = rows[0]
    area_id = first["area_id"]
    rules = [
        AreaRule(area_id, category, agency, team, team_agency, rule_id)
        for category, agency, team, team_agency, rule_id in first["rules"] or ()
    ]
    teams = [
        TeamNearby(
            r["team_id"],
            r["name"],
            float(r["distance_m"]) if r["distance_m"] is not None else None,
            r["position_at"],
            int(r["open_cases"]),
        )
        for r in rows
        if r["team_id"] is not None
    ]
    return Suggestable(first["agency_id"], first["category_id"], area_id, rules, teams)
