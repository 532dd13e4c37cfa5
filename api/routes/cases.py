"""Cases: intake, the timeline, lifecycle moves, dispatch, merge, duplicates, map layer."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal, requires_login, requires_roles
from api.config import Settings
from api.db import direct
from api.domain.transitions import FIELD_ACTIONS
from api.domain.vocabulary import (
    DISPATCH_ROLES,
    INTAKE_ROLES,
    OVERSIGHT_ROLES,
)
from api.errors import BadRequest, NotFound, Unprocessable
from api.routes.case_answers import (
    CallerTracking,
    CaseDetail,
    CaseOut,
    CasePage,
    EventOut,
    IntakeOut,
    ReporterOut,
    SimilarOut,
    SuggestionOut,
    case_out,
    event_out,
    photo_ref,
)
from api.routes.case_bodies import (
    AssignIn,
    CaseIn,
    MergeIn,
    NoteIn,
    ReporterIn,
    TransferIn,
    TransitionIn,
)
from api.routes.deps import Cfg, CurrentUser, Db, Lang, LiveReadDb, Now, OneStatement, post_ok
from api.services import case_views as views
from api.services import cases as svc
from api.services import conversations, neighbours, pluscodes
from api.services import sms as sms_service
from api.services.case_views import CaseFilter, CaseRow, TimelineEntry
from api.services.citizen import caller_tracking, new_caller_tracking
from api.services.idempotency import idempotent

# ---------------------------------------------------------------- shared by the routes
T = TypeVar("T")
#: A change to a case: answered 200 with the case as it is now.
change_route = post_ok
#: Who may see the teams to offer for a case: dispatchers and the agency's coordinator.
SUGGESTION_ROLES = (*sorted(DISPATCH_ROLES | OVERSIGHT_ROLES), "coordinator")


def _version(if_match: str | None, body_version: int | None) -> int | None:
    if if_match:
        raw = if_match.strip().removeprefix("W/").strip('"')
        try:
            return int(raw)
        except ValueError:
            raise BadRequest("invalid_if_match") from None
    return body_version


def list_filter(
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
) -> CaseFilter:
    """The case list's filters, checked."""
    return views.checked_filter(
        status,
        priority,
        created_from,
        created_to,
        agency_id=agency_id,
        team_id=team_id,
        category_id=category_id,
        overdue=overdue,
        text=(q or "").strip()[:100] or None,
        bbox=bbox,
        mine=mine,
        area_id=area_id,
    )


def map_filter(
    bbox: FromQuery[str],
    status: FromQuery[str | None] = None,
    agency_id: FromQuery[int | None] = None,
    category_id: FromQuery[int | None] = None,
    priority: FromQuery[str | None] = None,
    overdue: FromQuery[bool | None] = None,
) -> CaseFilter:
    """The map layer's filters, checked: a bounding box is required."""
    return views.checked_filter(
        status,
        priority,
        agency_id=agency_id,
        category_id=category_id,
        overdue=overdue,
        bbox=bbox,
    )


CaseFilterDep = NamedDependency[CaseFilter]


@dataclass(frozen=True)
class Caller:
    """Who calls a case route and what every answer needs: the session, the caller, the time,
    the language and the request (for its Idempotency-Key)."""

    db: AsyncSession
    principal: Principal
    now: datetime
    lang: str
    request: Request[Any, Any, Any]

    async def case(self, case_id: uuid.UUID) -> CaseOut:
        """The case as the caller sees it now."""
        return case_out(await views.case_row(self.db, self.principal, case_id), self.now, self.lang)

    async def once(self, out_type: type[T], run: Callable[[], Awaitable[T]], **kw: Any) -> T:
        """``run`` applied once per Idempotency-Key (see :func:`idempotent`)."""
        return await idempotent(self.request, self.db, self.principal.user_id, out_type, run, **kw)

    async def change(
        self,
        case_id: uuid.UUID,
        run: Callable[[], Awaitable[object]],
        view: Callable[[uuid.UUID], Awaitable[CaseRow]] | None = None,
    ) -> CaseOut:
        """A change to a case, applied once per Idempotency-Key; the answer is the case as seen
        now (through ``view``, if given)."""

        async def once() -> CaseOut:
            await run()
            if view is None:
                return await self.case(case_id)
            return case_out(await view(case_id), self.now, self.lang)

        return await self.once(CaseOut, once)

    async def move(
        self,
        case_id: uuid.UUID,
        move: svc.Move,
        view: Callable[[uuid.UUID], Awaitable[CaseRow]] | None = None,
    ) -> CaseOut:
        """One lifecycle move, applied once; a WhatsApp or SMS caller hears of it."""

        async def run() -> None:
            case = await svc.act(self.db, self.principal, case_id, move, self.now)
            await conversations.on_case_status(self.db, self.request.app.state.settings, case)

        return await self.change(case_id, run, view)


def _alone(caller: Caller, settings: Settings, data: CaseIn, phone: str | None) -> bool:
    """Whether an intake's own statements may each commit alone (autocommit): nothing else the
    request does must share the case's transaction. Not for a call's case (the call is locked
    and changed with it), nor with an Idempotency-Key (its record joins it), nor when the
    caller's number gets its code by SMS at once, nor for a caller who does not see every
    agency (the answer's check could refuse after the case is stored), nor behind a
    transaction pooler (there every statement runs in a transaction); a P1 case is kept in one
    transaction by :func:`api.services.cases.create_case`."""
    return not (
        data.call_id is not None
        or "idempotency-key" in caller.request.headers
        or (phone and sms_service.sends_after_intake(settings))
        or caller.principal.agency_scope is not None
        or settings.database_pooled
    )


async def provide_caller(
    db: Db, principal: CurrentUser, now: Now, lang: Lang, request: Request[Any, Any, Any]
) -> Caller:
    return Caller(db, principal, now, lang, request)


CallerDep = NamedDependency[Caller]


class CaseController(Controller):
    path = "/api/cases"
    tags = ["cases"]
    guards = [requires_login]
    dependencies = {
        "caller": Provide(provide_caller),
        "f": Provide(list_filter, sync_to_thread=False),
    }

    @get("/", summary="List cases (filters, cursor pagination), scoped to the caller's agency")
    async def list_cases(
        self,
        caller: CallerDep,
        f: CaseFilterDep,
        cursor: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> CasePage:
        rows, next_cursor = await views.list_cases(
            caller.db, caller.principal, f, caller.now, cursor=cursor, limit=limit
        )
        return CasePage([case_out(r, caller.now, caller.lang) for r in rows], next_cursor)

    @post(
        "/",
        summary="Create a case from a call or directly",
        status_code=201,
        guards=[requires_roles(*INTAKE_ROLES)],
    )
    async def create_case(
        self, caller: CallerDep, settings: Cfg, data: JSONBody[CaseIn]
    ) -> IntakeOut:
        secret: str = caller.request.app.state.pin_key
        given = msgspec.structs.asdict(data)
        reporter: ReporterIn | None = given.pop("reporter")
        phone = reporter.phone if reporter else None
        given["lat"], given["lon"] = pluscodes.located(
            settings, data.lat, data.lon, given.pop("plus_code")
        )
        new = svc.NewCase(
            **given,
            reporter_name=reporter.name if reporter else None,
            reporter_phone=phone,
            # A caller with a number can follow their case with code + PIN.
            issue_tracking_token=bool(phone) or data.call_id is not None,
        )

        async def answer(case_id: uuid.UUID) -> IntakeOut:
            out = await caller.case(case_id)
            found = await caller_tracking(caller.db, secret, case_id)
            tracking = CallerTracking(*found) if found else None
            return IntakeOut(**msgspec.structs.asdict(out), caller_tracking=tracking)

        async def run(alone: direct.OneStatement | None = None) -> IntakeOut:
            created = await svc.create_case(
                caller.db,
                settings,
                new,
                now=caller.now,
                actor_id=caller.principal.user_id,
                alone=alone,
            )
            # The answer from what intake holds: nothing re-read.
            assert created.row is not None
            if not caller.principal.may_see_agency(created.case.agency_id):
                raise NotFound("case_not_found")
            found = new_caller_tracking(secret, created)
            if found is not None:  # the city may send the caller the code unasked
                reference, _, phone = found
                await sms_service.send_after_intake(
                    caller.db,
                    settings,
                    created.case.id,
                    reference,
                    phone,
                    caller.principal.user_id,
                    caller.now,
                )
            if data.call_id is not None:  # a WhatsApp caller's photos join the case
                store, case_id, now = caller.request.app.state.storage, created.case.id, caller.now
                await conversations.attach_photos(
                    caller.db, store, settings, data.call_id, case_id=case_id, now=now
                )
            return IntakeOut(
                **msgspec.structs.asdict(case_out(created.row, caller.now, caller.lang)),
                caller_tracking=CallerTracking(*found) if found else None,
            )

        if _alone(caller, settings, data, phone):  # a plain intake: no BEGIN and COMMIT
            state = caller.request.app.state
            async with direct.connection(state.direct, state.engine) as conn:
                return await run(conn)
        # The PIN is not stored with the replayable answer; a replay derives it again.
        return await caller.once(
            IntakeOut,
            run,
            redact=lambda a: msgspec.structs.replace(a, caller_tracking=None),
            restore=lambda stored: answer(stored.id),
        )

    @get("/similar", summary="Open or recent cases of a category near a point, nearest first")
    async def similar(
        self,
        caller: CallerDep,
        category: FromQuery[str],
        lat: Annotated[float, QueryParameter(ge=-90, le=90)],
        lon: Annotated[float, QueryParameter(ge=-180, le=180)],
    ) -> list[SimilarOut]:
        found = await views.similar(caller.db, caller.principal, category, lat, lon, caller.now)
        return [
            SimilarOut(case_out(s.row, caller.now, caller.lang), round(s.distance_m, 1))
            for s in found
        ]

    @get("/{case_id:uuid}", summary="A case with its timeline, photos and the caller's actions")
    async def get_case(
        self, caller: CallerDep, settings: Cfg, case_id: FromPath[uuid.UUID]
    ) -> CaseDetail:
        seen = await views.case_view(caller.db, caller.principal, case_id)
        where = (seen.row.lat, seen.row.lon)
        return CaseDetail(
            case_out(seen.row, caller.now, caller.lang),
            [event_out(t) for t in seen.timeline],
            [photo_ref(p) for p in seen.photos],
            [
                ReporterOut(
                    r.id, r.name, r.phone, r.channel, r.call_id, r.original_case_id, r.created_at
                )
                for r in seen.reporters
            ],
            list(seen.actions),
            await neighbours.outside(caller.db, settings, *where, caller.lang),
        )

    @change_route(
        "/{case_id:uuid}/transitions",
        summary="Move a case: accept, en_route, on_scene, resolve, return, close, cancel, "
        "invalid, reopen. Honours Idempotency-Key and If-Match.",
    )
    async def transition(
        self,
        caller: CallerDep,
        case_id: FromPath[uuid.UUID],
        data: JSONBody[TransitionIn],
        if_match: Annotated[str | None, HeaderParameter(name="If-Match")] = None,
    ) -> CaseOut:
        version = _version(if_match, data.version)
        if version is None and data.action not in FIELD_ACTIONS:
            raise Unprocessable("version_required")
        move = svc.Move(**msgspec.structs.asdict(data) | {"version": version})
        return await caller.move(case_id, move)

    @change_route("/{case_id:uuid}/assign", summary="Assign or reassign a team (notifies the team)")
    async def assign(
        self, caller: CallerDep, case_id: FromPath[uuid.UUID], data: JSONBody[AssignIn]
    ) -> CaseOut:
        move = svc.Move(action="assign", **msgspec.structs.asdict(data))
        return await caller.move(case_id, move)

    @change_route(
        "/{case_id:uuid}/transfer",
        summary="Transfer to another agency (bukan wewenang); needs a reason",
    )
    async def transfer(
        self, caller: CallerDep, case_id: FromPath[uuid.UUID], data: JSONBody[TransferIn]
    ) -> CaseOut:
        move = svc.Move(action="transfer", **msgspec.structs.asdict(data))
        # The case may now be outside a coordinator's agency: answer from the control view.
        return await caller.move(case_id, move, lambda cid: views.control_view(caller.db, cid))

    @change_route(
        "/{case_id:uuid}/merge",
        summary="Merge this case into a parent: it becomes a duplicate, reporters follow",
    )
    async def merge(
        self, caller: CallerDep, case_id: FromPath[uuid.UUID], data: JSONBody[MergeIn]
    ) -> CaseOut:
        def run() -> Awaitable[object]:
            p, d = caller.principal, data
            return svc.merge(caller.db, p, case_id, d.parent_id, d.version, d.note, caller.now)

        return await caller.change(case_id, run)

    @post("/{case_id:uuid}/notes", status_code=201, summary="Add a note to the timeline")
    async def add_note(
        self, caller: CallerDep, case_id: FromPath[uuid.UUID], data: JSONBody[NoteIn]
    ) -> EventOut:
        p = caller.principal
        event = await svc.add_note(caller.db, p, case_id, data.note, data.public, caller.now)
        return event_out(TimelineEntry(event, p.username, None, None))

    @get(
        "/{case_id:uuid}/team-suggestions",
        summary="Available on-duty teams of the responsible agency, nearest fresh first",
        guards=[requires_roles(*SUGGESTION_ROLES)],
    )
    async def suggestions(
        self,
        one_statement: OneStatement,
        principal: CurrentUser,
        now: Now,
        settings: Cfg,
        case_id: FromPath[uuid.UUID],
    ) -> list[SuggestionOut]:
        found = await views.team_suggestions(one_statement, settings, principal, case_id, now)
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
            for s in found
        ]


class GeoJsonFeatureCollection(msgspec.Struct):
    type: str
    features: list[dict[str, Any]]


@get(
    "/api/cases.geojson",
    guards=[requires_login],
    tags=["cases"],
    media_type="application/geo+json",
    summary="Cases in a bounding box as an RFC 7946 FeatureCollection (lon, lat)",
    dependencies={"f": Provide(map_filter, sync_to_thread=False)},
)
async def cases_geojson(
    live_read_db: LiveReadDb,
    principal: CurrentUser,
    now: Now,
    f: CaseFilterDep,
    limit: Annotated[int, QueryParameter(ge=1, le=10_000)] = 5000,
) -> Response[GeoJsonFeatureCollection]:
    body = await views.geojson(live_read_db, principal, f, now, limit)
    # Already JSON (encoded by the service); the annotation documents its shape in OpenAPI.
    return Response(body, media_type="application/geo+json")  # type: ignore[arg-type]
