"""Case use cases: intake, routing, the lifecycle, dispatch, merge, duplicates and queries.

Every change runs under a row lock (``SELECT ... FOR UPDATE``) and checks the client's
``version``: of two concurrent changes exactly one wins, the other gets 409 and changes nothing.
Every change appends a ``CaseEvent`` and bumps ``version``.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from geoalchemy2 import Geography, Geometry
from sqlalchemy import (
    ColumnElement,
    Numeric,
    Select,
    String,
    Text,
    and_,
    cast,
    func,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy import case as sqla_case
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from api.auth import Principal
from api.config import Settings
from api.db.models import (
    Agency,
    Area,
    Call,
    Case,
    CaseEvent,
    CaseReporter,
    Category,
    Photo,
    RoutingRule,
    Team,
    User,
    category_supporting_agencies,
    team_members,
)
from api.domain import dispatch, routing, sla
from api.domain.disclosure import public_description
from api.domain.lifecycle import IN_FIELD, OPEN, STATUSES, VOID, public_status
from api.domain.phone import InvalidPhone, normalise_phone
from api.domain.places import in_service_area, valid_coordinates
from api.domain.references import new_reference
from api.domain.transitions import Action, Actor, CaseFacts, Decision, TransitionRefused, decide
from api.errors import AppError, BadRequest, Conflict, NotFound, Unprocessable
from api.security import new_refresh_token, token_digest
from api.services import notify
from api.services import photos as photo_service
from api.services.access import visible_case


def point(lon: float, lat: float) -> Any:
    """A typed geography point (asyncpg needs the cast; see GeoAlchemy2 issue 497)."""
    return cast(func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326), Geography)


def ewkt(lon: float, lat: float) -> str:
    return f"SRID=4326;POINT({lon} {lat})"


LAT = func.ST_Y(cast(Case.location, Geometry))
LON = func.ST_X(cast(Case.location, Geometry))


def refused(exc: TransitionRefused) -> AppError:
    return AppError(exc.code, exc.status, **exc.params)


async def team_ids_of(db: AsyncSession, user_id: int) -> frozenset[int]:
    rows = await db.execute(select(team_members.c.team_id).where(team_members.c.user_id == user_id))
    return frozenset(rows.scalars())


async def actor_of(db: AsyncSession, principal: Principal) -> Actor:
    return Actor(
        kind="user",
        role=principal.role,
        agency_id=principal.agency_id,
        team_ids=await team_ids_of(db, principal.user_id),
    )


def check_coordinates(settings: Settings, lat: float, lon: float, allow_outside: bool) -> bool:
    """Raises on impossible coordinates; returns whether the point is outside the service area."""
    if not valid_coordinates(lat, lon):
        raise BadRequest("invalid_coordinates")
    outside = not in_service_area(lat, lon, settings.city_bbox)
    if outside and not allow_outside:
        raise Unprocessable("out_of_service_area", city=settings.city_name)
    return outside


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


async def _route(db: AsyncSession, category: Category, area_id: int | None) -> routing.Route:
    support = list(
        (
            await db.execute(
                select(category_supporting_agencies.c.agency_id).where(
                    category_supporting_agencies.c.category_id == category.id
                )
            )
        ).scalars()
    )
    rules: list[routing.AreaRule] = []
    if area_id is not None:
        rows = await db.execute(
            select(RoutingRule, Team.agency_id)
            .outerjoin(Team, Team.id == RoutingRule.team_id)
            .where(RoutingRule.area_id == area_id)
        )
        rules = [
            routing.AreaRule(r.area_id, r.category_id, r.agency_id, r.team_id, team_agency)
            for r, team_agency in rows.all()
        ]
    return routing.route(category.id, category.agency_id, support, area_id, rules)


async def record_event(
    db: AsyncSession,
    case: Case,
    kind: str,
    *,
    now: datetime,
    from_status: str | None = None,
    to_status: str | None = None,
    actor_id: int | None = None,
    actor_kind: str = "user",
    note: str = "",
    data: dict[str, Any] | None = None,
    lat: float | None = None,
    lon: float | None = None,
    accuracy_m: float | None = None,
    public: bool = True,
) -> CaseEvent:
    event = CaseEvent(
        case_id=case.id,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        actor_id=actor_id,
        actor_kind=actor_kind,
        at=now,
        note=note,
        data=data or {},
        location=ewkt(lon, lat) if lat is not None and lon is not None else None,
        accuracy_m=accuracy_m,
        public=public,
    )
    db.add(event)
    await db.flush()
    await _announce(db, case, event, from_status)
    return event


async def _announce(
    db: AsyncSession, case: Case, event: CaseEvent, previous_status: str | None
) -> None:
    """Outbox rows and live events for this change, in the same transaction."""
    await notify.on_case_event(db, case, event, previous_status=previous_status)


# ------------------------------------------------------------------- intake
@dataclass(frozen=True)
class NewCase:
    category_id: int
    lat: float
    lon: float
    description: str
    address: str = ""
    landmark: str = ""
    priority: str | None = None
    channel: str = "phone"
    call_id: int | None = None
    reporter_name: str | None = None
    reporter_phone: str | None = None
    reporter_language: str = "id"
    allow_out_of_area: bool = False
    issue_tracking_token: bool = False
    # Marked sensitive by the operator (a case in a sensitive category always is).
    sensitive: bool = False


@dataclass(frozen=True)
class Created:
    case: Case
    tracking_token: str | None
    reporter_id: int | None


async def create_case(
    db: AsyncSession,
    settings: Settings,
    new: NewCase,
    *,
    now: datetime,
    actor_id: int | None,
    actor_kind: str = "user",
) -> Created:
    category = await db.get(Category, new.category_id)
    if category is None or not category.active:
        raise Unprocessable("unknown_category")
    outside = check_coordinates(settings, new.lat, new.lon, new.allow_out_of_area)
    phone = None
    if new.reporter_phone:
        try:
            phone = normalise_phone(new.reporter_phone)
        except InvalidPhone:
            raise BadRequest("invalid_phone") from None
    call = None
    if new.call_id is not None:
        call = await db.get(Call, new.call_id, with_for_update=True)
        if call is None:
            raise Unprocessable("unknown_reference", field="call_id")
        phone = phone or call.number
    area_id = await area_at(db, new.lon, new.lat)
    route = await _route(db, category, area_id)
    d = sla.deadlines(
        now,
        sla.SlaTargets(category.sla_accept_min, category.sla_arrive_min, category.sla_resolve_min),
    )
    case = Case(
        id=uuid.uuid4(),
        category_id=category.id,
        agency_id=route.agency_id,
        team_id=None,
        priority=new.priority or category.priority,
        status="new",
        location=ewkt(new.lon, new.lat),
        address=new.address.strip(),
        landmark=new.landmark.strip(),
        area_id=area_id,
        description=new.description.strip(),
        public_description=public_description(new.channel, new.description.strip()),
        sensitive=new.sensitive or category.sensitive,
        channel=new.channel,
        call_id=new.call_id,
        out_of_area=outside,
        accept_by=d.accept_by,
        arrive_by=d.arrive_by,
        resolve_by=d.resolve_by,
        escalated_stages=[],
        created_by_id=actor_id,
        version=1,
        created_at=now,
        updated_at=now,
    )
    # References are random; on the rare collision, draw again.
    for attempt in range(5):
        case.reference = new_reference(
            settings.city_code, now, settings.tz, length=4 if attempt < 3 else 6
        )
        try:
            async with db.begin_nested():
                db.add(case)
                await db.flush()
            break
        except IntegrityError:
            if attempt == 4:
                raise
    token = None
    reporter_id = None
    if phone or new.reporter_name or new.issue_tracking_token or call is not None:
        token = new_refresh_token() if new.issue_tracking_token else None
        reporter = CaseReporter(
            case_id=case.id,
            original_case_id=case.id,
            call_id=new.call_id,
            name=(new.reporter_name or "").strip() or None,
            phone=phone,
            channel=new.channel,
            tracking_token_hash=token_digest(token) if token else None,
            language=new.reporter_language,
            created_at=now,
        )
        db.add(reporter)
        await db.flush()
        reporter_id = reporter.id
    if call is not None and call.call_class is None:
        call.call_class = "valid"
    await record_event(
        db,
        case,
        "created",
        now=now,
        to_status="new",
        actor_id=actor_id,
        actor_kind=actor_kind,
        data={
            "channel": new.channel,
            "call_id": new.call_id,
            "agency_id": route.agency_id,
            "supporting_agency_ids": list(route.supporting_agency_ids),
            "preferred_team_id": route.preferred_team_id,
            "out_of_area": outside,
        },
    )
    return Created(case, token, reporter_id)


# ---------------------------------------------------------------- lifecycle
def _check_version(case: Case, version: int | None) -> None:
    if version is not None and version != case.version:
        raise Conflict("version_conflict", extra={"current_version": case.version})


async def _facts(db: AsyncSession, case: Case, action: str) -> CaseFacts:
    photo_required = False
    photos = 0
    if action == "resolve":
        category = await db.get(Category, case.category_id)
        photo_required = bool(category and category.photo_required)
        if photo_required:
            photos = await photo_service.team_photo_count(db, case.id)
    return CaseFacts(case.status, case.agency_id, case.team_id, photo_required, photos)


def _apply(case: Case, decision: Decision, now: datetime) -> None:
    """The bookkeeping each outcome implies, besides the status."""
    to = decision.to_status
    if decision.clears_team:
        case.team_id = None
    if to == "dispatched" and case.dispatched_at is None:
        case.dispatched_at = now
    if to in {"dispatched", "returned", "new", "reopened"}:
        # Whoever takes the case now must accept and arrive again.
        case.accepted_at = None
        case.arrived_at = None
    if to == "accepted":
        case.accepted_at = now
    if to == "on_scene":
        case.arrived_at = now
        case.accepted_at = case.accepted_at or now
    if to == "resolved":
        case.resolved_at = now
    if to == "closed":
        case.closed_at = now
    if to == "reopened":
        case.resolved_at = None
        case.closed_at = None
    case.status = to
    case.version += 1
    case.updated_at = now


@dataclass(frozen=True)
class Move:
    action: Action
    version: int | None = None
    note: str = ""
    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None
    team_id: int | None = None
    agency_id: int | None = None


async def act(
    db: AsyncSession, principal: Principal, case_id: uuid.UUID, move: Move, now: datetime
) -> Case:
    """A staff member moves a case along its lifecycle (everything but merge)."""
    case = await visible_case(db, principal, case_id, for_update=True)
    _check_version(case, move.version)
    actor = await actor_of(db, principal)
    target_team_agency = None
    if move.action == "assign":
        if move.team_id is None:
            raise Unprocessable("team_required")
        team = await db.get(Team, move.team_id)
        if team is None:
            raise Unprocessable("unknown_reference", field="team_id")
        target_team_agency = team.agency_id
        if move.team_id == case.team_id and case.status == "dispatched":
            raise Conflict("already_assigned")
    if move.action == "transfer" and move.agency_id is not None:
        agency = await db.get(Agency, move.agency_id)
        if agency is None or not agency.active:
            raise Unprocessable("unknown_reference", field="agency_id")
    try:
        decision = decide(
            move.action,
            actor,
            await _facts(db, case, move.action),
            note=move.note,
            target_agency_id=move.agency_id,
            target_team_agency_id=target_team_agency,
        )
    except TransitionRefused as exc:
        raise refused(exc) from None
    previous_status, previous_team, previous_agency = case.status, case.team_id, case.agency_id
    _apply(case, decision, now)
    data: dict[str, Any] = {}
    if move.action == "assign":
        case.team_id = move.team_id
        data = {"team_id": move.team_id, "previous_team_id": previous_team}
    elif move.action == "transfer":
        case.agency_id = move.agency_id  # type: ignore[assignment]
        data = {
            "from_agency_id": previous_agency,
            "to_agency_id": move.agency_id,
            "previous_team_id": previous_team,
        }
    elif decision.clears_team and previous_team is not None:
        data = {"previous_team_id": previous_team}
    await db.flush()
    await record_event(
        db,
        case,
        decision.event_kind,
        now=now,
        from_status=previous_status,
        to_status=decision.to_status,
        actor_id=principal.user_id,
        note=move.note.strip(),
        data=data,
        lat=move.lat,
        lon=move.lon,
        accuracy_m=move.accuracy_m,
    )
    return case


async def reopen_by_citizen(
    db: AsyncSession, case: Case, reporter_id: int, note: str, now: datetime
) -> Case:
    """A citizen disputes the resolution: the case reopens and its agency is told."""
    try:
        decision = decide(
            "reopen",
            Actor(kind="citizen"),
            CaseFacts(case.status, case.agency_id, case.team_id),
            note=note,
        )
    except TransitionRefused as exc:
        raise refused(exc) from None
    previous = case.status
    _apply(case, decision, now)
    await db.flush()
    await record_event(
        db,
        case,
        "reopened",
        now=now,
        from_status=previous,
        to_status="reopened",
        actor_kind="citizen",
        note=note.strip(),
        data={"reporter_id": reporter_id},
        public=True,
    )
    return case


async def merge(
    db: AsyncSession,
    principal: Principal,
    case_id: uuid.UUID,
    parent_id: uuid.UUID,
    version: int | None,
    note: str,
    now: datetime,
) -> Case:
    """Mark ``case_id`` a duplicate of ``parent_id``; its reporters follow the parent."""
    if case_id == parent_id:
        raise Unprocessable("merge_into_itself")
    # Lock both rows in a fixed order so two opposite merges cannot deadlock.
    first, second = sorted([case_id, parent_id], key=str)
    locked = {
        first: await visible_case(db, principal, first, for_update=True),
        second: await visible_case(db, principal, second, for_update=True),
    }
    child, parent = locked[case_id], locked[parent_id]
    _check_version(child, version)
    if parent.status in VOID:
        raise Unprocessable("merge_target_closed")
    try:
        decision = decide(
            "merge",
            await actor_of(db, principal),
            CaseFacts(child.status, child.agency_id, child.team_id),
            note=note,
        )
    except TransitionRefused as exc:
        raise refused(exc) from None
    previous = child.status
    _apply(child, decision, now)
    child.duplicate_of_id = parent.id
    child.team_id = None
    moved = await db.execute(
        update(CaseReporter)
        .where(CaseReporter.case_id == child.id)
        .values(case_id=parent.id)
        .returning(CaseReporter.id)
    )
    reporter_ids = list(moved.scalars())
    parent.version += 1
    parent.updated_at = now
    await db.flush()
    await record_event(
        db,
        child,
        "duplicate",
        now=now,
        from_status=previous,
        to_status="duplicate",
        actor_id=principal.user_id,
        note=note.strip(),
        data={"parent_id": str(parent.id), "parent_reference": parent.reference},
    )
    await record_event(
        db,
        parent,
        "merged",
        now=now,
        actor_id=principal.user_id,
        note=note.strip(),
        data={
            "child_id": str(child.id),
            "child_reference": child.reference,
            "reporter_ids": reporter_ids,
        },
    )
    return child


# ----------------------------------------------------------------- queries
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


async def similar_cases(
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
) -> list[tuple[Case, float]]:
    """Open or recently finished cases of the same category within its dedupe radius
    (for the public: only the cases the public may see)."""
    pt = point(lon, lat)
    radius = max(category.dedupe_radius_m, 1)
    dist = func.ST_Distance(Case.location, pt).label("distance_m")
    recent = and_(
        Case.status.in_(["resolved", "closed"]),
        Case.updated_at >= now - timedelta(days=recent_days),
    )
    q = (
        select(Case, dist)
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
    return [(c, float(d)) for c, d in (await db.execute(q)).all()]


async def team_suggestions(
    db: AsyncSession, settings: Settings, case: Case, now: datetime
) -> list[dispatch.Suggestion]:
    """On-duty teams of the responsible agency, fresh positions first, nearest first (KNN).

    One query: the distance, the age of the fix and the open workload of each team.
    """
    fresh_since = now - timedelta(minutes=settings.position_fresh_minutes)
    case_pt = select(Case.location).where(Case.id == case.id).scalar_subquery()
    workload = (
        select(func.count())
        .where(Case.team_id == Team.id, Case.status.in_(IN_FIELD))
        .correlate(Team)
        .scalar_subquery()
    )
    rows = (
        await db.execute(
            select(
                Team.id,
                Team.name,
                func.ST_Distance(Team.last_position, case_pt),
                Team.last_position_at,
                workload,
            )
            .where(Team.agency_id == case.agency_id, Team.on_duty)
            .order_by(
                func.coalesce(Team.last_position_at >= fresh_since, False).desc(),
                Team.last_position.op("<->")(case_pt),
            )
            .limit(40)
        )
    ).all()
    preferred = await _preferred_team(db, case)
    candidates = [
        dispatch.Candidate(
            tid, name, float(dist) if dist is not None else None, at, int(n), preferred == tid
        )
        for tid, name, dist, at, n in rows
    ]
    return dispatch.suggest_teams(
        candidates, now, timedelta(minutes=settings.position_fresh_minutes)
    )


async def _preferred_team(db: AsyncSession, case: Case) -> int | None:
    """The team an area rule names for this case's place and category, if any."""
    if case.area_id is None:
        return None
    rows = await db.execute(
        select(RoutingRule, Team.agency_id)
        .join(Team, Team.id == RoutingRule.team_id)
        .where(RoutingRule.area_id == case.area_id)
    )
    rules = [
        routing.AreaRule(r.area_id, r.category_id, r.agency_id, r.team_id, team_agency)
        for r, team_agency in rows.all()
    ]
    if not rules:
        return None
    return routing.route(
        case.category_id, case.agency_id, [], case.area_id, rules
    ).preferred_team_id


def overdue_clause(now: datetime) -> Any:
    """SQL twin of :func:`api.domain.sla.overdue_stages` (tested against it)."""
    return and_(
        Case.status.in_(sla.OPEN_STATUSES),
        or_(
            and_(Case.accepted_at.is_(None), Case.accept_by <= now),
            and_(Case.arrived_at.is_(None), Case.arrive_by <= now),
            and_(Case.resolved_at.is_(None), Case.resolve_by <= now),
        ),
    )


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


def encode_cursor(created_at: datetime, case_id: uuid.UUID) -> str:
    raw = f"{created_at.isoformat()}|{case_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, cid = raw.partition("|")
        return datetime.fromisoformat(at), uuid.UUID(cid)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("invalid_cursor") from None


async def apply_filter(
    db: AsyncSession, q: Select[Any], f: CaseFilter, principal: Principal, now: datetime
) -> Select[Any]:
    scope = principal.agency_scope
    if scope is not None:
        q = q.where(Case.agency_id == scope)
    if f.mine:
        teams = await team_ids_of(db, principal.user_id)
        q = q.where(Case.team_id.in_(teams or {-1}), Case.status.in_(OPEN))
    if f.statuses:
        q = q.where(Case.status.in_(list(f.statuses)))
    if f.agency_id is not None:
        q = q.where(Case.agency_id == f.agency_id)
    if f.team_id is not None:
        q = q.where(Case.team_id == f.team_id)
    if f.category_id is not None:
        q = q.where(Case.category_id == f.category_id)
    if f.priority is not None:
        q = q.where(Case.priority == f.priority)
    if f.area_id is not None:
        q = q.where(Case.area_id == f.area_id)
    if f.overdue is True:
        q = q.where(overdue_clause(now))
    elif f.overdue is False:
        q = q.where(~overdue_clause(now))
    if f.text:
        like = f"%{f.text.replace('%', '').replace('_', '')}%"
        q = q.where(
            or_(
                Case.reference.ilike(like),
                Case.description.ilike(like),
                Case.address.ilike(like),
                Case.landmark.ilike(like),
            )
        )
    if f.created_from is not None:
        q = q.where(Case.created_at >= f.created_from)
    if f.created_to is not None:
        q = q.where(Case.created_at < f.created_to)
    if f.bbox is not None:
        min_lon, min_lat, max_lon, max_lat = f.bbox
        envelope = cast(func.ST_MakeEnvelope(min_lon, min_lat, max_lon, max_lat, 4326), Geography)
        q = q.where(func.ST_Intersects(Case.location, envelope))
    return q


def summary_select() -> Select[Any]:
    return (
        select(
            Case,
            LAT.label("lat"),
            LON.label("lon"),
            Category.code,
            Category.name_id,
            Category.name_en,
            Team.name,
            Area.name,
            Agency.code,
            Agency.name_id,
            Agency.name_en,
        )
        .join(Category, Category.id == Case.category_id)
        .join(Agency, Agency.id == Case.agency_id)
        .outerjoin(Team, Team.id == Case.team_id)
        .outerjoin(Area, Area.id == Case.area_id)
    )


async def list_cases(
    db: AsyncSession,
    principal: Principal,
    f: CaseFilter,
    now: datetime,
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[Any], str | None]:
    q = await apply_filter(db, summary_select(), f, principal, now)
    if cursor:
        at, cid = decode_cursor(cursor)
        q = q.where(or_(Case.created_at < at, and_(Case.created_at == at, Case.id < cid)))
    q = q.order_by(Case.created_at.desc(), Case.id.desc()).limit(limit + 1)
    rows = list((await db.execute(q)).all())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1][0]
        next_cursor = encode_cursor(last.created_at, last.id)
    return rows, next_cursor


def public_status_sql() -> Any:
    """SQL twin of :func:`api.domain.lifecycle.public_status`, generated from it."""
    groups: dict[str, list[str]] = {}
    for status in STATUSES:
        groups.setdefault(public_status(status), []).append(status)
    *whens, (last, _) = [(word, statuses) for word, statuses in groups.items()]
    return sqla_case(*[(Case.status.in_(sts), word) for word, sts in whens], else_=last)


async def geojson_collection(
    db: AsyncSession, principal: Principal, f: CaseFilter, now: datetime, limit: int
) -> bytes:
    """An RFC 7946 FeatureCollection (lon, lat), built by PostgreSQL in one query.

    Building 2,000 features in Python costs more than the query itself; the database writes
    the JSON and the API passes the bytes on.
    """
    feature = func.json_build_object(
        "type", "Feature",
        "id", cast(Case.id, String),
        "geometry", func.json_build_object(
            "type", "Point",
            "coordinates", func.json_build_array(
                func.round(cast(LON, Numeric), 6), func.round(cast(LAT, Numeric), 6)
            ),
        ),
        "properties", func.json_build_object(
            "reference", Case.reference,
            "status", Case.status,
            "public_status", public_status_sql(),
            "priority", Case.priority,
            "agency_id", Case.agency_id,
            "team_id", Case.team_id,
            "category", Category.code,
            "overdue", overdue_clause(now),
        ),
    )  # fmt: skip
    q = select(feature.label("f")).select_from(Case).join(Category, Category.id == Case.category_id)
    q = await apply_filter(db, q, f, principal, now)
    rows = q.order_by(Case.created_at.desc()).limit(limit).subquery()
    collection = func.json_build_object(
        "type", "FeatureCollection",
        "features", func.coalesce(func.json_agg(rows.c.f), literal_column("'[]'::json")),
    )  # fmt: skip
    text_out = (await db.execute(select(cast(collection, Text)))).scalar_one()
    return str(text_out).encode()


async def timeline(db: AsyncSession, case_id: uuid.UUID) -> list[Any]:
    q = (
        select(
            CaseEvent,
            User.full_name,
            func.ST_Y(cast(CaseEvent.location, Geometry)),
            func.ST_X(cast(CaseEvent.location, Geometry)),
        )
        .outerjoin(User, User.id == CaseEvent.actor_id)
        .where(CaseEvent.case_id == case_id)
        .order_by(CaseEvent.id)
    )
    return list((await db.execute(q)).all())


async def reporters(db: AsyncSession, case_id: uuid.UUID) -> list[CaseReporter]:
    q = select(CaseReporter).where(CaseReporter.case_id == case_id).order_by(CaseReporter.id)
    return list((await db.execute(q)).scalars())


async def photos_of(db: AsyncSession, case_id: uuid.UUID) -> list[Photo]:
    q = (
        select(Photo)
        .where(Photo.case_id == case_id, Photo.deleted_at.is_(None))
        .order_by(Photo.created_at)
    )
    return list((await db.execute(q)).scalars())


async def get_case_row(db: AsyncSession, principal: Principal, case_id: uuid.UUID) -> Any:
    await visible_case(db, principal, case_id)
    row = (await db.execute(summary_select().where(Case.id == case_id))).first()
    if row is None:
        raise NotFound("case_not_found")
    return row
