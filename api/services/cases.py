"""Case use cases: intake and the lifecycle (every move, merge, a citizen's dispute, notes).

Each use case loads through :mod:`api.db.cases`, asks :mod:`api.domain.transitions` for the effects
of the move, and persists them; the request's session commits once when the use case is done.
Every change runs under a row lock (``SELECT ... FOR UPDATE``) and checks the client's
``version``: of two concurrent changes exactly one wins, the other gets 409 and changes nothing.
Every change appends a ``CaseEvent`` and bumps ``version``. The read use cases are in
:mod:`api.services.case_views`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.config import Settings
from api.db import case_queries
from api.db import cases as case_db
from api.db import intake as intake_db
from api.db.case_queries import CaseRow
from api.db.cases import ewkt, publicly_visible, team_ids_of
from api.db.direct import OneStatement
from api.db.models import Case, CaseEvent, CaseReporter, Category
from api.domain import routing, sla
from api.domain.conversations import CONVERSATION_CHANNELS
from api.domain.disclosure import public_description
from api.domain.phone import InvalidPhone, normalise_phone
from api.domain.places import in_service_area, valid_coordinates
from api.domain.references import new_reference
from api.domain.transitions import (
    Action,
    Actor,
    Ask,
    CaseFacts,
    CaseRef,
    Effects,
    TransitionRefused,
    merge_refusal,
    plan,
    plan_dispute,
    plan_merge,
)
from api.errors import AppError, BadRequest, Conflict, NotFound, Unprocessable
from api.security import new_refresh_token, token_digest
from api.services import notify
from api.services import photos as photo_service
from api.services.access import visible_case

# Other services take these from here: the tracking and the public lists.
__all__ = ["ewkt", "publicly_visible", "team_ids_of"]


def refused(exc: TransitionRefused) -> AppError:
    return AppError(exc.code, exc.status, **exc.params)


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


async def place_and_route(
    db: AsyncSession, category: Category, lat: float, lon: float
) -> tuple[int | None, routing.Route]:
    """The area a case at the point falls in, and where a case of ``category`` there goes:
    the intake's routing (one query, :func:`api.db.intake.place`), which the admin console's
    preview asks too."""
    found = await intake_db.place(db, category.id, lon, lat)
    if found is None:  # the category went in between: route by what the caller holds
        return None, routing.route(category.id, category.agency_id, [], None, [])
    return found.area_id, found.route


class RoutingPreview(msgspec.Struct):
    """Where a new case of a category at a point would go: the agency, the team suggested
    first, the area it falls in, and the routing rule that decided (None: the category's own
    agency). ``out_of_area``: the point is outside the service area (intake asks to confirm)."""

    agency_id: int
    agency_name: str
    team_id: int | None
    team_name: str | None
    area_id: int | None
    area_name: str | None
    rule_id: int | None
    out_of_area: bool


async def routing_preview(
    db: AsyncSession, settings: Settings, category_id: int, lat: float, lon: float, lang: str
) -> RoutingPreview:
    """The admin console's routing preview: intake's own routing, nothing written."""
    category = await db.get(Category, category_id)
    if category is None:
        raise Unprocessable("unknown_reference", field="category_id")
    area_id, route = await place_and_route(db, category, lat, lon)
    names = await case_db.routing_names(db, route.agency_id, route.preferred_team_id, area_id)
    return RoutingPreview(
        agency_id=route.agency_id,
        agency_name=names.agency_en if lang == "en" else names.agency_id,
        team_id=route.preferred_team_id,
        team_name=names.team,
        area_id=area_id,
        area_name=names.area,
        rule_id=route.rule_id,
        out_of_area=not in_service_area(lat, lon, settings.city_bbox),
    )


def new_event(
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
    """A timeline event of the case, not stored yet."""
    return CaseEvent(
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


async def record_event(
    db: AsyncSession,
    case: Case,
    kind: str,
    *,
    category_names: tuple[str, str] | None = None,
    moved: Mapping[str, Any] | None = None,
    **what: Any,
) -> CaseEvent:
    """Append an event to the case's timeline (``what``: as :func:`new_event` takes it); its
    outbox rows and live events follow in the same transaction. The event is stored with its
    live NOTIFY in one statement and is not added to the session (its id is set);
    ``category_names`` (Indonesian, English), when the caller has them, spare the notifications
    a category lookup. ``moved``: a lifecycle move's changes to the case (column → value), set
    on it and stored by the event's statement (one round trip, no flush)."""
    event = new_event(case, kind, **what)
    from_status = event.from_status
    where = intake_db.lon_lat(case.location)
    if where is None:  # a point the ORM holds in another form: store, then re-read
        for name, value in (moved or {}).items():
            setattr(case, name, value)
        await case_db.insert(db, event)
        await notify.on_case_event(db, case, event, previous_status=from_status)
        return event
    # Whatever the session holds first, as the re-reading path did (with ``moved``, that is
    # seldom anything: the case's changes go with the event's statement).
    await case_db.flush(db)
    if moved:
        case_db.stored(case, moved)
    await notify.record_case_event(
        db,
        case,
        event,
        previous_status=from_status,
        lon=where[0],
        lat=where[1],
        category_names=category_names,
        case_changes=moved,
    )
    return event


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
    # The new case with the names its answer shows, from what intake holds (no re-read).
    row: CaseRow | None = None
    reporter_phone: str | None = None


async def create_case(
    db: AsyncSession,
    settings: Settings,
    new: NewCase,
    *,
    now: datetime,
    actor_id: int | None,
    actor_kind: str = "user",
    alone: OneStatement | None = None,
) -> Created:
    """A new case, routed, with its SLA, reporter and ``created`` event: one query for the
    category, the area and the route, one statement for the case (with its agency's names), the
    reporter and the event with its live NOTIFY, then the outbox rows if any.

    ``alone``: a connection in autocommit (:func:`api.db.direct.connection`), given when nothing
    else the request does must share the case's transaction (no idempotency record, no SMS,
    nothing after it that may refuse). A case without a call and with no one to tell by Web Push
    (not P1) then runs both statements on it: no BEGIN and COMMIT round trips (``db`` is not
    used)."""
    if new.call_id is not None:
        alone = None  # the call is locked and changed in the case's transaction
    located = valid_coordinates(new.lat, new.lon)
    # Impossible coordinates are refused below, after an unknown category (as always).
    where = (new.lon if located else 0.0, new.lat if located else 0.0)
    found = await intake_db.place(db if alone is None else alone, new.category_id, *where)
    if found is None or not found.active:
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
        call = await case_db.call_for_update(db, new.call_id)
        if call is None:
            raise Unprocessable("unknown_reference", field="call_id")
        phone = phone or call.number
        if call.channel in CONVERSATION_CHANNELS and new.channel == "phone":
            new = replace(new, channel=call.channel)  # the case came the way the call did
    area_id, route = found.area_id, found.route
    d = sla.deadlines(
        now, sla.SlaTargets(found.sla_accept_min, found.sla_arrive_min, found.sla_resolve_min)
    )
    case = Case(
        id=uuid.uuid4(),
        category_id=found.category_id,
        agency_id=route.agency_id,
        team_id=None,
        priority=new.priority or found.priority,
        status="new",
        location=ewkt(new.lon, new.lat),
        address=new.address.strip(),
        landmark=new.landmark.strip(),
        area_id=area_id,
        description=new.description.strip(),
        public_description=public_description(new.channel, new.description.strip()),
        sensitive=new.sensitive or found.sensitive,
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
        duplicate_of_id=None,
    )
    token = None
    reporter = None
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
    if call is not None and call.call_class is None:
        call.call_class = "valid"
    data = {
        "channel": new.channel,
        "call_id": new.call_id,
        "agency_id": route.agency_id,
        "supporting_agency_ids": list(route.supporting_agency_ids),
        "preferred_team_id": route.preferred_team_id,
        "out_of_area": outside,
    }
    event = new_event(
        case,
        "created",
        now=now,
        to_status="new",
        actor_id=actor_id,
        actor_kind=actor_kind,
        data=data,
    )
    category_names = (found.category_name_id, found.category_name_en)
    lon_lat = (float(new.lon), float(new.lat))
    if alone is not None and not notify.tells_anyone(case, event, category_names):
        # The statement is the whole write: it commits alone.
        stored = await _insert_case(alone, settings, case, reporter, event, lon_lat)
    else:
        stored = await _insert_case(db, settings, case, reporter, event, lon_lat)
        await notify.write_outbox(db, case, event, None, category_names)
    # The answer's row (CaseRow's fields in order), from what intake holds.
    names = (found.category_code, found.category_name_id, found.category_name_en)
    row = CaseRow(case, new.lat, new.lon, *names, None, found.area_name, *stored.agency.names())
    return Created(case, token, stored.reporter_id, row, phone)


async def _insert_case(
    db: AsyncSession | OneStatement,
    settings: Settings,
    case: Case,
    reporter: CaseReporter | None,
    event: CaseEvent,
    lon_lat: tuple[float, float],
) -> intake_db.Stored:
    """Store a new case, its reporter and its ``created`` event (with its live message) under a
    random reference, in one statement; on the rare collision, draw again (longer after three
    tries)."""
    now = case.created_at
    for attempt in range(5):
        case.reference = new_reference(
            settings.city_code, now, settings.tz, length=4 if attempt < 3 else 6
        )
        live = notify.live_parts(case, event, *lon_lat)  # the message names the reference
        stored = await intake_db.insert_intake(db, case, reporter, event, live)
        if stored is not None:
            return stored
    raise RuntimeError("no free case reference after 5 draws")


# ---------------------------------------------------------------- lifecycle
def _check_version(case: Case, version: int | None) -> None:
    if version is not None and version != case.version:
        raise Conflict("version_conflict", extra={"current_version": case.version})


def facts_of(case: Case, photo_required: bool = False, team_photos: int = 0) -> CaseFacts:
    return CaseFacts(
        case.status,
        case.agency_id,
        case.team_id,
        photo_required,
        team_photos,
        dispatched_at=case.dispatched_at,
        accepted_at=case.accepted_at,
    )


async def _facts(db: AsyncSession, case: Case, action: str) -> CaseFacts:
    """The case as the rules see it; for ``resolve``, with the photo rule's counts."""
    if action != "resolve":
        return facts_of(case)
    category = await case_db.category(db, case.category_id)
    if not (category and category.photo_required):
        return facts_of(case)
    return facts_of(case, True, await photo_service.team_photo_count(db, case.id))


def _changes(case: Case, effects: Effects, now: datetime) -> dict[str, Any]:
    """What the move changes on the case, its version bump included."""
    return {**effects.changes, "version": case.version + 1, "updated_at": now}


def _set(case: Case, effects: Effects, now: datetime) -> None:
    """Set what the move changes (a merge's cases, stored by a flush)."""
    for name, value in _changes(case, effects, now).items():
        setattr(case, name, value)


async def _record(
    db: AsyncSession,
    case: Case,
    effects: Effects,
    now: datetime,
    moved: Mapping[str, Any] | None = None,
    **who_where: Any,
) -> None:
    """Append the move's event (``who_where``: the actor and the place, as
    :func:`record_event` takes them; ``moved``: as it takes it)."""
    e = effects.event
    await record_event(
        db,
        case,
        e.kind,
        now=now,
        from_status=e.from_status,
        to_status=e.to_status,
        note=e.note,
        data=dict(e.data),
        public=e.public,
        moved=moved,
        **who_where,
    )


async def _persist(
    db: AsyncSession, case: Case, effects: Effects, now: datetime, **who_where: Any
) -> None:
    """The move's changes, its version bump and its event: one statement."""
    await _record(db, case, effects, now, _changes(case, effects, now), **who_where)


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


async def _for_move(
    db: AsyncSession, principal: Principal, case_id: uuid.UUID, **named: int | None
) -> case_db.MoveFacts:
    """The case the caller may see, locked, with what a move needs (404 otherwise, as
    :func:`api.services.access.visible_case`)."""
    found = await case_db.case_for_move(db, case_id, user_id=principal.user_id, **named)
    if found is None or not principal.may_see_agency(found.case.agency_id):
        raise NotFound("case_not_found")
    return found


async def act(
    db: AsyncSession, principal: Principal, case_id: uuid.UUID, move: Move, now: datetime
) -> Case:
    """A staff member moves a case along its lifecycle (everything but merge). The case, the
    mover's teams and what the move names come in one statement
    (:func:`api.db.cases.case_for_move`)."""
    found = await _for_move(
        db,
        principal,
        case_id,
        team_id=move.team_id if move.action == "assign" else None,
        agency_id=move.agency_id if move.action == "transfer" else None,
    )
    case = found.case
    _check_version(case, move.version)
    actor = Actor("user", principal.role, principal.agency_id, found.team_ids)
    ask = Ask(move.note, move.team_id, found.team_agency_id, move.agency_id, found.agency_active)
    try:
        effects = plan(move.action, actor, await _facts(db, case, move.action), ask, now)
    except TransitionRefused as exc:
        raise refused(exc) from None
    place = {"lat": move.lat, "lon": move.lon, "accuracy_m": move.accuracy_m}
    await _persist(db, case, effects, now, actor_id=principal.user_id, **place)
    return case


async def reopen_by_citizen(
    db: AsyncSession, case: Case, reporter_id: int, note: str, now: datetime
) -> Case:
    """A citizen disputes the resolution: the case reopens and its agency is told."""
    try:
        effects = plan_dispute(facts_of(case), reporter_id, note, now)
    except TransitionRefused as exc:
        raise refused(exc) from None
    await _persist(db, case, effects, now, actor_kind="citizen")
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
    try:
        merge_refusal(case_id, parent_id)
    except TransitionRefused as exc:
        raise refused(exc) from None
    # Lock both rows in a fixed order so two opposite merges cannot deadlock.
    first, second = sorted([case_id, parent_id], key=str)
    locked = {
        first: await visible_case(db, principal, first, for_update=True),
        second: await visible_case(db, principal, second, for_update=True),
    }
    child, parent = locked[case_id], locked[parent_id]
    _check_version(child, version)
    try:
        planned = plan_merge(
            await actor_of(db, principal),
            facts_of(child),
            CaseRef(parent.id, parent.reference, parent.status),
            note,
            now,
        )
    except TransitionRefused as exc:
        raise refused(exc) from None
    _set(child, planned.child, now)
    reporter_ids = await case_db.move_reporters(db, child.id, parent.id)
    parent_effects = planned.parent(CaseRef(child.id, child.reference, child.status), reporter_ids)
    _set(parent, parent_effects, now)
    await case_db.flush(db)
    await _record(db, child, planned.child, now, actor_id=principal.user_id)
    await _record(db, parent, parent_effects, now, actor_id=principal.user_id)
    return child


async def similar_cases(
    db: AsyncSession,
    category: Category,
    lat: float,
    lon: float,
    now: datetime,
    *,
    public_only: bool = False,
) -> list[tuple[Case, float]]:
    """Open or recently finished cases of the same category within its dedupe radius, nearest
    first (for the public: only the cases the public may see)."""
    found = await case_queries.similar(db, category, lat, lon, now, public_only=public_only)
    return [(s.row.case, s.distance_m) for s in found]


async def add_note(
    db: AsyncSession,
    principal: Principal,
    case_id: uuid.UUID,
    note: str,
    public: bool,
    now: datetime,
) -> CaseEvent:
    """A staff member's note on the timeline (public or internal)."""
    case = (await _for_move(db, principal, case_id)).case
    return await record_event(
        db, case, "note", now=now, actor_id=principal.user_id, note=note.strip(), public=public
    )
