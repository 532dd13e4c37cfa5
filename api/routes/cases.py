"""Cases: intake, the timeline, lifecycle moves, dispatch, merge, duplicates, map layer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter

from api.auth import Principal, requires_login, requires_roles
from api.db.models import Case, Category, Photo
from api.domain import sla
from api.domain.lifecycle import STATUSES, public_status
from api.domain.transitions import FIELD_ACTIONS, CaseFacts, available_actions
from api.errors import BadRequest, NotFound, Unprocessable
from api.routes.deps import Cfg, CurrentUser, Db, Lang, Now
from api.routes.params import Lat, Lon
from api.services import cases as svc
from api.services.access import visible_case
from api.services.citizen import caller_tracking
from api.services.idempotency import idempotent

Accuracy = Annotated[float, msgspec.Meta(ge=0, le=100_000)]
Note = Annotated[str, msgspec.Meta(max_length=2000)]
Version = Annotated[int, msgspec.Meta(ge=1)]
INTAKE_ROLES = ("operator", "dispatcher", "admin")
CONTROL_ROOM_READERS = frozenset({"operator", "dispatcher", "supervisor", "admin"})


# ----------------------------------------------------------------- bodies
class ReporterIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    phone: Annotated[str, msgspec.Meta(max_length=32)] | None = None


class CaseIn(msgspec.Struct, forbid_unknown_fields=True):
    category_id: Annotated[int, msgspec.Meta(ge=1)]
    lat: Lat
    lon: Lon
    description: Annotated[str, msgspec.Meta(min_length=3, max_length=4000)]
    address: Annotated[str, msgspec.Meta(max_length=500)] = ""
    landmark: Annotated[str, msgspec.Meta(max_length=500)] = ""
    priority: Literal["P1", "P2", "P3"] | None = None
    channel: Literal["phone", "walk_in", "social", "app"] = "phone"
    call_id: Annotated[int, msgspec.Meta(ge=1)] | None = None
    reporter: ReporterIn | None = None
    # About a person (a victim, a patient...): never on a public surface. A case in a
    # sensitive category always is.
    sensitive: bool = False
    # The operator confirms a place outside the city's service area on purpose.
    allow_out_of_area: bool = False


class TransitionIn(msgspec.Struct, forbid_unknown_fields=True):
    action: Literal[
        "accept",
        "en_route",
        "on_scene",
        "resolve",
        "return",
        "close",
        "cancel",
        "invalid",
        "reopen",
    ]
    version: Version | None = None
    note: Note = ""
    lat: Lat | None = None
    lon: Lon | None = None
    accuracy_m: Accuracy | None = None


class AssignIn(msgspec.Struct, forbid_unknown_fields=True):
    team_id: Annotated[int, msgspec.Meta(ge=1)]
    version: Version
    note: Note = ""


class TransferIn(msgspec.Struct, forbid_unknown_fields=True):
    agency_id: Annotated[int, msgspec.Meta(ge=1)]
    version: Version
    note: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class MergeIn(msgspec.Struct, forbid_unknown_fields=True):
    parent_id: uuid.UUID
    version: Version
    note: Note = ""


class NoteIn(msgspec.Struct, forbid_unknown_fields=True):
    note: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    public: bool = False


# ---------------------------------------------------------------- answers
class CategoryRef(msgspec.Struct):
    id: int
    code: str
    name: str


class CaseOut(msgspec.Struct):
    id: uuid.UUID
    reference: str
    category: CategoryRef
    agency_id: int
    agency_name: str
    team_id: int | None
    team_name: str | None
    priority: str
    status: str
    public_status: str
    lat: float
    lon: float
    address: str
    landmark: str
    area_id: int | None
    area_name: str | None
    description: str
    channel: str
    out_of_area: bool
    duplicate_of_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    accept_by: datetime
    arrive_by: datetime
    resolve_by: datetime
    overdue: bool
    overdue_stages: list[str]
    version: int
    sensitive: bool = False  # never on a public surface (its category's or the operator's)


class CallerTracking(msgspec.Struct):
    """Read back to a caller: with their phone number, ``code`` and ``pin`` open the case on
    the tracking page (Lacak)."""

    code: str
    pin: str
    phone: str


class IntakeOut(CaseOut):
    """The new case, and for a caller with a number, the code and PIN to read back."""

    caller_tracking: CallerTracking | None = None


class EventOut(msgspec.Struct):
    id: int
    kind: str
    from_status: str | None
    to_status: str | None
    at: datetime
    actor_id: int | None
    actor_name: str | None
    actor_kind: str
    note: str
    data: dict[str, Any]
    lat: float | None
    lon: float | None
    public: bool


class PhotoRef(msgspec.Struct):
    id: uuid.UUID
    source: str
    caption: str
    created_at: datetime
    thumb_url: str
    display_url: str


class ReporterOut(msgspec.Struct):
    id: int
    name: str | None
    phone: str | None
    channel: str
    call_id: int | None
    original_case_id: uuid.UUID
    created_at: datetime


class CaseDetail(msgspec.Struct):
    case: CaseOut
    timeline: list[EventOut]
    photos: list[PhotoRef]
    reporters: list[ReporterOut]
    actions: list[str]


class CasePage(msgspec.Struct):
    items: list[CaseOut]
    next_cursor: str | None


class SimilarOut(msgspec.Struct):
    case: CaseOut
    distance_m: float


class SuggestionOut(msgspec.Struct):
    team_id: int
    name: str
    distance_m: float | None
    position_age_s: int | None
    fresh: bool
    open_cases: int
    preferred: bool


def case_out(row: Any, now: datetime, lang: str) -> CaseOut:
    c: Case = row[0]
    progress = sla.Progress(c.status, c.accepted_at, c.arrived_at, c.resolved_at)
    stages = sla.overdue_stages(
        progress, sla.Deadlines(c.accept_by, c.arrive_by, c.resolve_by), now
    )
    en = lang == "en"
    return CaseOut(
        id=c.id,
        reference=c.reference,
        category=CategoryRef(c.category_id, row[3], row[5] if en else row[4]),
        agency_id=c.agency_id,
        agency_name=row[10] if en else row[9],
        team_id=c.team_id,
        team_name=row[6],
        priority=c.priority,
        status=c.status,
        public_status=public_status(c.status),
        lat=float(row[1]),
        lon=float(row[2]),
        address=c.address,
        landmark=c.landmark,
        area_id=c.area_id,
        area_name=row[7],
        description=c.description,
        channel=c.channel,
        out_of_area=c.out_of_area,
        duplicate_of_id=c.duplicate_of_id,
        created_at=c.created_at,
        updated_at=c.updated_at,
        accept_by=c.accept_by,
        arrive_by=c.arrive_by,
        resolve_by=c.resolve_by,
        overdue=bool(stages),
        overdue_stages=stages,
        version=c.version,
        sensitive=c.sensitive,
    )


def photo_ref(p: Photo) -> PhotoRef:
    base = f"/api/photos/{p.id}?variant="
    return PhotoRef(p.id, p.source, p.caption, p.created_at, base + "thumb", base + "display")


def _version(if_match: str | None, body_version: int | None) -> int | None:
    if if_match:
        raw = if_match.strip().removeprefix("W/").strip('"')
        try:
            return int(raw)
        except ValueError:
            raise BadRequest("invalid_if_match") from None
    return body_version


def _bbox(raw: str | None) -> tuple[float, float, float, float] | None:
    if raw is None:
        return None
    try:
        parts = [float(p) for p in raw.split(",")]
    except ValueError:
        raise BadRequest("invalid_bbox") from None
    if len(parts) != 4:
        raise BadRequest("invalid_bbox")
    min_lon, min_lat, max_lon, max_lat = parts
    if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
        raise BadRequest("invalid_bbox")
    return (min_lon, min_lat, max_lon, max_lat)


def _filter(
    status: str | None,
    agency_id: int | None,
    team_id: int | None,
    category_id: int | None,
    priority: str | None,
    overdue: bool | None,
    q: str | None,
    created_from: datetime | None,
    created_to: datetime | None,
    bbox: str | None,
    mine: bool,
    area_id: int | None = None,
) -> svc.CaseFilter:
    statuses = tuple(s for s in (status or "").split(",") if s)
    if any(s not in STATUSES for s in statuses):
        raise BadRequest("invalid_status_filter")
    if priority is not None and priority not in {"P1", "P2", "P3"}:
        raise BadRequest("invalid_priority_filter")
    if created_from and created_to and created_from > created_to:
        raise BadRequest("invalid_time_range")
    return svc.CaseFilter(
        statuses,
        agency_id,
        team_id,
        category_id,
        priority,
        overdue,
        (q or "").strip()[:100] or None,
        created_from,
        created_to,
        _bbox(bbox),
        mine,
        area_id,
    )


async def detail(
    db: Any, principal: Principal, case_id: uuid.UUID, now: datetime, lang: str
) -> CaseDetail:
    row = await svc.get_case_row(db, principal, case_id)
    c: Case = row[0]
    events = [
        EventOut(
            e.id,
            e.kind,
            e.from_status,
            e.to_status,
            e.at,
            e.actor_id,
            name,
            e.actor_kind,
            e.note,
            e.data,
            lat,
            lon,
            e.public,
        )
        for e, name, lat, lon in await svc.timeline(db, case_id)
    ]
    reporters: list[ReporterOut] = []
    # Reporter contact is private: the control room and the agency working the case only.
    if principal.role in CONTROL_ROOM_READERS or principal.agency_id == c.agency_id:
        reporters = [
            ReporterOut(
                r.id, r.name, r.phone, r.channel, r.call_id, r.original_case_id, r.created_at
            )
            for r in await svc.reporters(db, case_id)
        ]
    actor = await svc.actor_of(db, principal)
    actions = available_actions(actor, CaseFacts(c.status, c.agency_id, c.team_id))
    return CaseDetail(
        case_out(row, now, lang),
        events,
        [photo_ref(p) for p in await svc.photos_of(db, case_id)],
        reporters,
        list(actions),
    )


async def summary(
    db: Any, principal: Principal, case_id: uuid.UUID, now: datetime, lang: str
) -> CaseOut:
    return case_out(await svc.get_case_row(db, principal, case_id), now, lang)


async def _act_once(
    request: Request[Any, Any, Any],
    db: Any,
    principal: Principal,
    case_id: uuid.UUID,
    move: svc.Move,
    now: datetime,
    lang: str,
) -> CaseOut:
    """One lifecycle move, applied once per Idempotency-Key; the answer is the case as seen now."""

    async def run() -> CaseOut:
        await svc.act(db, principal, case_id, move, now)
        return await summary(db, principal, case_id, now, lang)

    return await idempotent(request, db, principal.user_id, CaseOut, run)


class CaseController(Controller):
    path = "/api/cases"
    tags = ["cases"]
    guards = [requires_login]

    @get("/", summary="List cases (filters, cursor pagination), scoped to the caller's agency")
    async def list_cases(
        self,
        db: Db,
        principal: CurrentUser,
        now: Now,
        lang: Lang,
        status: FromQuery[str | None] = None,
        agency_id: FromQuery[int | None] = None,
        team_id: FromQuery[int | None] = None,
        category_id: FromQuery[int | None] = None,
        priority: FromQuery[str | None] = None,
        overdue: FromQuery[bool | None] = None,
        q: FromQuery[str | None] = None,
        created_from: FromQuery[datetime | None] = None,
        created_to: FromQuery[datetime | None] = None,
        bbox: FromQuery[str | None] = None,
        mine: FromQuery[bool] = False,
        area_id: FromQuery[int | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> CasePage:
        f = _filter(
            status,
            agency_id,
            team_id,
            category_id,
            priority,
            overdue,
            q,
            created_from,
            created_to,
            bbox,
            mine,
            area_id,
        )
        rows, next_cursor = await svc.list_cases(db, principal, f, now, cursor=cursor, limit=limit)
        return CasePage([case_out(r, now, lang) for r in rows], next_cursor)

    @post(
        "/",
        summary="Create a case from a call or directly",
        status_code=201,
        guards=[requires_roles(*INTAKE_ROLES)],
    )
    async def create_case(
        self,
        db: Db,
        settings: Cfg,
        principal: CurrentUser,
        now: Now,
        lang: Lang,
        data: JSONBody[CaseIn],
        request: Request[Any, Any, Any],
    ) -> IntakeOut:
        secret: str = request.app.state.pin_key
        phone = data.reporter.phone if data.reporter else None

        async def answer(case_id: uuid.UUID) -> IntakeOut:
            out = await summary(db, principal, case_id, now, lang)
            found = await caller_tracking(db, secret, case_id)
            tracking = CallerTracking(*found) if found else None
            return IntakeOut(**msgspec.structs.asdict(out), caller_tracking=tracking)

        async def run() -> IntakeOut:
            created = await svc.create_case(
                db,
                settings,
                svc.NewCase(
                    category_id=data.category_id,
                    lat=data.lat,
                    lon=data.lon,
                    description=data.description,
                    address=data.address,
                    landmark=data.landmark,
                    priority=data.priority,
                    channel=data.channel,
                    call_id=data.call_id,
                    reporter_name=data.reporter.name if data.reporter else None,
                    reporter_phone=phone,
                    allow_out_of_area=data.allow_out_of_area,
                    # A caller with a number can follow their case with code + PIN.
                    issue_tracking_token=bool(phone) or data.call_id is not None,
                    sensitive=data.sensitive,
                ),
                now=now,
                actor_id=principal.user_id,
            )
            return await answer(created.case.id)

        # The PIN is not stored with the replayable answer; a replay derives it again.
        return await idempotent(
            request,
            db,
            principal.user_id,
            IntakeOut,
            run,
            redact=lambda a: msgspec.structs.replace(a, caller_tracking=None),
            restore=lambda stored: answer(stored.id),
        )

    @get("/similar", summary="Open or recent cases of a category near a point, nearest first")
    async def similar(
        self,
        db: Db,
        principal: CurrentUser,
        now: Now,
        lang: Lang,
        category: FromQuery[str],
        lat: Annotated[float, QueryParameter(ge=-90, le=90)],
        lon: Annotated[float, QueryParameter(ge=-180, le=180)],
    ) -> list[SimilarOut]:
        cat = await _category(db, category)
        found = await svc.similar_cases(db, cat, lat, lon, now, agency_scope=principal.agency_scope)
        out = []
        for c, dist in found:
            row = await svc.get_case_row(db, principal, c.id)
            out.append(SimilarOut(case_out(row, now, lang), round(dist, 1)))
        return out

    @get("/{case_id:uuid}", summary="A case with its timeline, photos and the caller's actions")
    async def get_case(
        self, db: Db, principal: CurrentUser, now: Now, lang: Lang, case_id: FromPath[uuid.UUID]
    ) -> CaseDetail:
        return await detail(db, principal, case_id, now, lang)

    @post(
        "/{case_id:uuid}/transitions",
        status_code=200,
        summary="Move a case: accept, en_route, on_scene, resolve, return, close, cancel, "
        "invalid, reopen. Honours Idempotency-Key and If-Match.",
    )
    async def transition(
        self,
        db: Db,
        principal: CurrentUser,
        now: Now,
        lang: Lang,
        case_id: FromPath[uuid.UUID],
        data: JSONBody[TransitionIn],
        request: Request[Any, Any, Any],
        if_match: Annotated[str | None, HeaderParameter(name="If-Match")] = None,
    ) -> CaseOut:
        version = _version(if_match, data.version)
        if version is None and data.action not in FIELD_ACTIONS:
            raise Unprocessable("version_required")

        move = svc.Move(
            action=data.action,
            version=version,
            note=data.note,
            lat=data.lat,
            lon=data.lon,
            accuracy_m=data.accuracy_m,
        )
        return await _act_once(request, db, principal, case_id, move, now, lang)

    @post(
        "/{case_id:uuid}/assign",
        status_code=200,
        summary="Assign or reassign a team (notifies the team)",
    )
    async def assign(
        self,
        db: Db,
        principal: CurrentUser,
        now: Now,
        lang: Lang,
        case_id: FromPath[uuid.UUID],
        data: JSONBody[AssignIn],
        request: Request[Any, Any, Any],
    ) -> CaseOut:
        move = svc.Move(action="assign", version=data.version, note=data.note, team_id=data.team_id)
        return await _act_once(request, db, principal, case_id, move, now, lang)

    @post(
        "/{case_id:uuid}/transfer",
        status_code=200,
        summary="Transfer to another agency (bukan wewenang); needs a reason",
    )
    async def transfer(
        self,
        db: Db,
        principal: CurrentUser,
        now: Now,
        lang: Lang,
        case_id: FromPath[uuid.UUID],
        data: JSONBody[TransferIn],
        request: Request[Any, Any, Any],
    ) -> CaseOut:
        async def run() -> CaseOut:
            await svc.act(
                db,
                principal,
                case_id,
                svc.Move(
                    action="transfer",
                    version=data.version,
                    note=data.note,
                    agency_id=data.agency_id,
                ),
                now,
            )
            # The case may now be outside a coordinator's agency: answer from the control view.
            row = (await db.execute(svc.summary_select().where(Case.id == case_id))).one()
            return case_out(row, now, lang)

        return await idempotent(request, db, principal.user_id, CaseOut, run)

    @post(
        "/{case_id:uuid}/merge",
        status_code=200,
        summary="Merge this case into a parent: it becomes a duplicate, reporters follow",
    )
    async def merge(
        self,
        db: Db,
        principal: CurrentUser,
        now: Now,
        lang: Lang,
        case_id: FromPath[uuid.UUID],
        data: JSONBody[MergeIn],
        request: Request[Any, Any, Any],
    ) -> CaseOut:
        async def run() -> CaseOut:
            await svc.merge(db, principal, case_id, data.parent_id, data.version, data.note, now)
            return await summary(db, principal, case_id, now, lang)

        return await idempotent(request, db, principal.user_id, CaseOut, run)

    @post("/{case_id:uuid}/notes", status_code=201, summary="Add a note to the timeline")
    async def add_note(
        self,
        db: Db,
        principal: CurrentUser,
        now: Now,
        case_id: FromPath[uuid.UUID],
        data: JSONBody[NoteIn],
    ) -> EventOut:
        case = await visible_case(db, principal, case_id, for_update=True)
        event = await svc.record_event(
            db,
            case,
            "note",
            now=now,
            actor_id=principal.user_id,
            note=data.note.strip(),
            public=data.public,
        )
        return EventOut(
            event.id,
            event.kind,
            None,
            None,
            event.at,
            principal.user_id,
            principal.username,
            "user",
            event.note,
            {},
            None,
            None,
            event.public,
        )

    @get(
        "/{case_id:uuid}/team-suggestions",
        summary="Available on-duty teams of the responsible agency, nearest fresh first",
        guards=[requires_roles("operator", "dispatcher", "admin", "supervisor", "coordinator")],
    )
    async def suggestions(
        self, db: Db, settings: Cfg, principal: CurrentUser, now: Now, case_id: FromPath[uuid.UUID]
    ) -> list[SuggestionOut]:
        case = await visible_case(db, principal, case_id)
        return [
            SuggestionOut(
                s.team_id,
                s.name,
                round(s.distance_m, 1) if s.distance_m is not None else None,
                s.position_age_s,
                s.fresh,
                s.open_cases,
                s.preferred,
            )
            for s in await svc.team_suggestions(db, settings, case, now)
        ]


async def _category(db: Any, raw: str) -> Category:
    from sqlalchemy import select

    q = select(Category).where(Category.code == raw.upper())
    if raw.isdigit():
        q = select(Category).where(Category.id == int(raw))
    cat = (await db.execute(q)).scalar_one_or_none()
    if cat is None:
        raise NotFound("unknown_category")
    return cat


class GeoJsonFeatureCollection(msgspec.Struct):
    type: str
    features: list[dict[str, Any]]


@get(
    "/api/cases.geojson",
    guards=[requires_login],
    tags=["cases"],
    media_type="application/geo+json",
    summary="Cases in a bounding box as an RFC 7946 FeatureCollection (lon, lat)",
)
async def cases_geojson(
    db: Db,
    principal: CurrentUser,
    now: Now,
    bbox: FromQuery[str],
    status: FromQuery[str | None] = None,
    agency_id: FromQuery[int | None] = None,
    category_id: FromQuery[int | None] = None,
    priority: FromQuery[str | None] = None,
    overdue: FromQuery[bool | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=10_000)] = 5000,
) -> Response[GeoJsonFeatureCollection]:
    f = _filter(
        status, agency_id, None, category_id, priority, overdue, None, None, None, bbox, False
    )
    body = await svc.geojson_collection(db, principal, f, now, limit)
    # Already JSON, written by PostGIS; the annotation documents its shape in OpenAPI.
    return Response(body, media_type="application/geo+json")  # type: ignore[arg-type]
