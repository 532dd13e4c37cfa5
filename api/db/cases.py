"""The case aggregate's SQL on the write side: loading a case and what its rules need (category,
team, agency, area, routing rules, team membership), and storing cases, reporters and events.

The SQL twins of domain rules live here too (:func:`overdue_clause`, :func:`publicly_visible`),
so every query that filters by them, the statistics included, takes them from the database
layer. The read models (lists, detail, map layer) are in
:mod:`api.db.case_queries`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from geoalchemy2 import Geography, Geometry
from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    bindparam,
    cast,
    func,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from api.db.models import (
    Agency,
    Area,
    Call,
    Case,
    CaseEvent,
    CaseReporter,
    Category,
    RoutingRule,
    Team,
    User,
    category_supporting_agencies,
    team_members,
)
from api.domain import routing, sla
from api.domain.vocabulary import Role


def point(lon: float, lat: float) -> Any:
    """A typed geography point (asyncpg needs the cast; see GeoAlchemy2 issue 497)."""
    return cast(func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326), Geography)


def ewkt(lon: float, lat: float) -> str:
    return f"SRID=4326;POINT({lon} {lat})"


LAT = func.ST_Y(cast(Case.location, Geometry))
LON = func.ST_X(cast(Case.location, Geometry))


# ------------------------------------------------------------ SQL twins of rules
_WORD = re.compile(r"[a-z_]+")


def words(values: Iterable[str]) -> list[Any]:
    """Domain words (statuses) written into the statement as literals, in order: a constant
    list, so a partial index on them is provable under a generic plan too, and a statement
    compiled once for the driver (:class:`api.db.direct.Statement`) binds nothing for it."""
    listed = sorted(values)
    if not all(_WORD.fullmatch(v) for v in listed):
        raise ValueError(f"not domain words: {listed}")
    return [literal_column(f"'{v}'", String) for v in listed]


#: The open statuses (:data:`api.domain.sla.OPEN_STATUSES`) as :func:`words`, built once.
OPEN_WORDS = words(sla.OPEN_STATUSES)


def overdue_clause(now: Any) -> Any:
    """SQL twin of :func:`api.domain.sla.overdue_stages` (tested against it). ``now`` is a
    moment, or a bound parameter standing for one."""
    return and_(
        Case.status.in_(OPEN_WORDS),
        or_(
            and_(Case.accepted_at.is_(None), Case.accept_by <= now),
            and_(Case.arrived_at.is_(None), Case.arrive_by <= now),
            and_(Case.resolved_at.is_(None), Case.resolve_by <= now),
        ),
    )


def publicly_visible() -> ColumnElement[bool]:
    """The SQL side of :func:`api.domain.disclosure.is_sensitive`: neither the case nor its
    category is sensitive. Every public list filters with it before paging."""
    category = aliased(Category)  # never correlated with a Category the caller joined
    sensitive_category = (
        select(category.id)
        .where(category.id == Case.category_id, category.sensitive.is_(True))
        .correlate(Case)
        .exists()
    )
    return and_(Case.sensitive.is_(False), ~sensitive_category)


# ------------------------------------------------------------ loading
async def get_case(
    db: AsyncSession, case_id: uuid.UUID, *, for_update: bool = False
) -> Case | None:
    return await db.get(Case, case_id, with_for_update=for_update)


# A move's facts in one statement: the case (locked) with its category (then in the session,
# where the notifications find it), the mover's teams, and what the move names: the team's
# agency (an assignment), the agency's standing (a transfer). Built once; the parameters vary.
_MOVE_FACTS = (
    select(
        Case,
        Category,
        select(func.array_agg(team_members.c.team_id))
        .where(team_members.c.user_id == bindparam("user_id"))
        .scalar_subquery()
        .label("team_ids"),
        select(Team.agency_id)
        .where(Team.id == bindparam("team_id"))
        .scalar_subquery()
        .label("team_agency_id"),
        select(Agency.active)
        .where(Agency.id == bindparam("agency_id"))
        .scalar_subquery()
        .label("agency_active"),
    )
    .join(Category, Category.id == Case.category_id)
    .where(Case.id == bindparam("case_id"))
    .with_for_update(of=Case)
    .execution_options(populate_existing=True)
)


@dataclass(frozen=True, slots=True)
class MoveFacts:
    """A case about to move, locked, and what its rules ask: the mover's teams, the named
    team's agency (None: no such team, or none named), whether the named agency is active."""

    case: Case
    category: Category
    team_ids: frozenset[int]
    team_agency_id: int | None
    agency_active: bool


async def case_for_move(
    db: AsyncSession,
    case_id: uuid.UUID,
    *,
    user_id: int,
    team_id: int | None = None,
    agency_id: int | None = None,
) -> MoveFacts | None:
    """The case to move, locked, with what the move's rules need, in one round trip."""
    params = {"case_id": case_id, "user_id": user_id, "team_id": team_id, "agency_id": agency_id}
    row = (await db.execute(_MOVE_FACTS, params)).first()
    if row is None:
        return None
    return MoveFacts(
        row.Case,
        row.Category,
        frozenset(row.team_ids or ()),
        row.team_agency_id,
        bool(row.agency_active),
    )


async def category(db: AsyncSession, category_id: int) -> Category | None:
    return await db.get(Category, category_id)


async def category_by_ref(db: AsyncSession, raw: str) -> Category | None:
    """A category by its id (all digits) or its code (any case)."""
    q = select(Category).where(Category.code == raw.upper())
    if raw.isdigit():
        q = select(Category).where(Category.id == int(raw))
    return (await db.execute(q)).scalar_one_or_none()


async def team(db: AsyncSession, team_id: int) -> Team | None:
    return await db.get(Team, team_id)


async def agency(db: AsyncSession, agency_id: int) -> Agency | None:
    return await db.get(Agency, agency_id)


async def call_for_update(db: AsyncSession, call_id: int) -> Call | None:
    return await db.get(Call, call_id, with_for_update=True)


async def team_ids_of(db: AsyncSession, user_id: int) -> frozenset[int]:
    rows = await db.execute(select(team_members.c.team_id).where(team_members.c.user_id == user_id))
    return frozenset(rows.scalars())


async def area_at(db: AsyncSession, lon: float, lat: float) -> int | None:
    """The kecamatan containing the point; the one with the nearest centre without polygons."""
    pt = point(lon, lat)
    covering = func.coalesce(func.ST_Covers(Area.boundary, pt), False)
    found = (
        await db.execute(
            select(Area.id).order_by(covering.desc(), Area.center.distance_centroid(pt)).limit(1)
        )
    ).scalar()
    return int(found) if found is not None else None


async def supporting_agencies(db: AsyncSession, category_id: int) -> list[int]:
    rows = await db.execute(
        select(category_supporting_agencies.c.agency_id).where(
            category_supporting_agencies.c.category_id == category_id
        )
    )
    return list(rows.scalars())


async def area_rules(
    db: AsyncSession, area_id: int, *, naming_a_team: bool = False
) -> list[routing.AreaRule]:
    """The routing rules of a kecamatan (only those naming a team, if asked)."""
    q = select(RoutingRule, Team.agency_id.label("team_agency_id"))
    if naming_a_team:
        q = q.join(Team, Team.id == RoutingRule.team_id)
    else:
        q = q.outerjoin(Team, Team.id == RoutingRule.team_id)
    rows = await db.execute(q.where(RoutingRule.area_id == area_id))
    return [
        routing.AreaRule(
            row.RoutingRule.area_id,
            row.RoutingRule.category_id,
            row.RoutingRule.agency_id,
            row.RoutingRule.team_id,
            row.team_agency_id,
            row.RoutingRule.id,
        )
        for row in rows
    ]


@dataclass(frozen=True, slots=True)
class RoutingNames:
    agency_id: str  # the agency's name in Indonesian
    agency_en: str
    team: str | None
    area: str | None


async def routing_names(
    db: AsyncSession, agency_id: int, team_id: int | None, area_id: int | None
) -> RoutingNames:
    """The names of a route's agency (both languages), team and area."""
    agency = await db.get(Agency, agency_id)
    team = await db.get(Team, team_id) if team_id is not None else None
    area = await db.get(Area, area_id) if area_id is not None else None
    return RoutingNames(
        agency.name_id if agency else "",
        agency.name_en if agency else "",
        team.name if team else None,
        area.name if area else None,
    )


@dataclass(frozen=True)
class StaffMember:
    id: int
    full_name: str
    role: Role


async def agency_staff(
    db: AsyncSession, agency_id: int, roles: Collection[Role]
) -> list[StaffMember]:
    """The agency's active staff in these roles, by name."""
    rows = await db.execute(
        select(User.id, User.full_name, User.role)
        .where(User.agency_id == agency_id, User.active, User.role.in_(sorted(roles)))
        .order_by(User.full_name)
    )
    return [StaffMember(r.id, r.full_name, r.role) for r in rows]


# ------------------------------------------------------------ storing
async def insert_case(db: AsyncSession, case: Case, draw_reference: Callable[[int], str]) -> None:
    """Store a new case. References are random; on the rare collision, draw again
    (``draw_reference(attempt)``)."""
    for attempt in range(5):
        case.reference = draw_reference(attempt)
        try:
            async with db.begin_nested():
                db.add(case)
                await db.flush()
            return
        except IntegrityError:
            if attempt == 4:
                raise


async def insert(db: AsyncSession, row: CaseReporter | CaseEvent) -> None:
    """Store a reporter or an event; its id is set on return."""
    db.add(row)
    await db.flush()


async def move_reporters(db: AsyncSession, from_case: uuid.UUID, to_case: uuid.UUID) -> list[int]:
    """Every reporter of ``from_case`` now follows ``to_case``; returns their ids."""
    moved = await db.execute(
        update(CaseReporter)
        .where(CaseReporter.case_id == from_case)
        .values(case_id=to_case)
        .returning(CaseReporter.id)
    )
    return list(moved.scalars())


async def flush(db: AsyncSession) -> None:
    await db.flush()


def stored(case: Case, changes: Mapping[str, Any]) -> None:
    """Set ``changes`` on the ORM's case as already stored (a statement of
    :mod:`api.db.intake` wrote them): no flush writes them again."""
    for name, value in changes.items():
        set_committed_value(case, name, value)
