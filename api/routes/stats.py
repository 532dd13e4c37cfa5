"""Statistics API for the supervisor dashboards.

Supervisors, admins and dispatchers see the whole city; coordinators see their own agency only
(and no call figures, which belong to the control room). Every endpoint takes one period (``month``,
``week``, ``day`` or ``from``/``to``, whole days in the city's time zone, at most 31 days; this
month by default) and the case filters ``agency_id``, ``category_id``, ``area_id``, ``priority``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, QueryParameter

from api.auth import requires_roles
from api.db import stats as q
from api.domain.stats import (
    MAX_EXPORT_DAYS,
    MAX_PERIOD_DAYS,
    PeriodError,
    previous_period,
    resolve_period,
)
from api.errors import BadRequest, Forbidden
from api.routes.deps import Cfg, CurrentUser, Db, Lang, Now
from api.services import stats as svc

STATS_ROLES = ("admin", "supervisor", "dispatcher", "coordinator")
# Call figures belong to the control room, not to one agency.
CALL_STATS_ROLES = ("admin", "supervisor", "dispatcher")
MAX_ID = 2_147_483_647

Id = Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)]
GroupBy = Literal["agency", "category", "area", "priority"]


async def _stats_scope(
    db: Db,
    principal: CurrentUser,
    settings: Cfg,
    now: Now,
    lang: Lang,
    max_days: int,
    month: str | None,
    week: str | None,
    day: date | None,
    first: date | None,
    to: date | None,
    agency_id: int | None,
    category_id: int | None,
    area_id: int | None,
    priority: str | None,
) -> svc.StatsScope:
    """The period and filters of a statistics request, checked and scoped to the user."""
    zone = settings.tz
    try:
        period = resolve_period(
            tz=zone,
            today=now.astimezone(zone).date(),
            month=month,
            week=week,
            day=day,
            first=first,
            last=to,
            max_days=max_days,
        )
    except PeriodError as e:
        raise BadRequest(e.code, **e.params) from None
    scope = principal.agency_scope
    if scope is not None:
        if agency_id is not None and agency_id != scope:
            raise Forbidden()
        agency_id = scope
    missing = await q.missing_references(db, agency_id, category_id, area_id)
    if missing:
        raise BadRequest("unknown_reference", field=missing[0])
    await q.tune_for_statistics(db)
    return svc.StatsScope(
        period=period,
        previous=previous_period(period, zone),
        zone=zone,
        cases=q.CaseFilter(period.start, period.end, agency_id, category_id, area_id, priority),
        now=now,
        lang=lang,
    )


async def provide_stats_scope(
    db: Db,
    principal: CurrentUser,
    settings: Cfg,
    now: Now,
    lang: Lang,
    month: FromQuery[str | None] = None,
    week: FromQuery[str | None] = None,
    day: FromQuery[date | None] = None,
    first: Annotated[date | None, QueryParameter(name="from")] = None,
    to: FromQuery[date | None] = None,
    agency_id: Id = None,
    category_id: Id = None,
    area_id: Id = None,
    priority: FromQuery[Literal["P1", "P2", "P3"] | None] = None,
) -> svc.StatsScope:
    """Statistics: one period of at most 31 days (``MAX_PERIOD_DAYS``)."""
    return await _stats_scope(
        db,
        principal,
        settings,
        now,
        lang,
        MAX_PERIOD_DAYS,
        month,
        week,
        day,
        first,
        to,
        agency_id,
        category_id,
        area_id,
        priority,
    )


async def provide_export_scope(
    db: Db,
    principal: CurrentUser,
    settings: Cfg,
    now: Now,
    lang: Lang,
    month: FromQuery[str | None] = None,
    week: FromQuery[str | None] = None,
    day: FromQuery[date | None] = None,
    first: Annotated[date | None, QueryParameter(name="from")] = None,
    to: FromQuery[date | None] = None,
    agency_id: Id = None,
    category_id: Id = None,
    area_id: Id = None,
    priority: FromQuery[Literal["P1", "P2", "P3"] | None] = None,
) -> svc.StatsScope:
    """Exports stream, so their period may run to 366 days (``MAX_EXPORT_DAYS``)."""
    return await _stats_scope(
        db,
        principal,
        settings,
        now,
        lang,
        MAX_EXPORT_DAYS,
        month,
        week,
        day,
        first,
        to,
        agency_id,
        category_id,
        area_id,
        priority,
    )


StatsScopeDep = NamedDependency[svc.StatsScope]
STATS_DEPENDENCIES = {"stats_scope": Provide(provide_stats_scope)}
EXPORT_DEPENDENCIES = {"stats_scope": Provide(provide_export_scope)}


class StatsController(Controller):
    path = "/api/stats"
    tags = ["stats"]
    guards = [requires_roles(*STATS_ROLES)]
    dependencies = STATS_DEPENDENCIES

    @get(
        "/calls",
        summary="Calls: by class, valid ratio, prank and ghost calls, per day and hour",
        guards=[requires_roles(*CALL_STATS_ROLES)],
    )
    async def calls(self, db: Db, stats_scope: StatsScopeDep) -> svc.CallStats:
        """Calls received in the period by class (valid, informasi, curhat, prank, ghost,
        wrong_number, unclassified), the valid ratio next to the previous period's, calls per
        day and per hour of day in city time, and the numbers with repeated prank calls."""
        return await svc.call_stats(db, stats_scope)

    @get("/cases", summary="Cases: finished / in process / not yet acted on, per agency")
    async def cases(
        self, db: Db, stats_scope: StatsScopeDep, group_by: FromQuery[GroupBy] = "agency"
    ) -> svc.CaseStats:
        """Cases created in the period by the citizen's three status words (as of now), the
        finished ratio, cases overdue right now and citizens' ratings: overall, per day and per
        agency (or category, area, priority)."""
        return await svc.case_stats(db, stats_scope, group_by)

    @get("/response-times", summary="Median and p90 time to dispatch, accept, arrive, resolve")
    async def response_times(
        self, db: Db, stats_scope: StatsScopeDep, group_by: FromQuery[GroupBy] = "agency"
    ) -> svc.ResponseTimes:
        """Measured on each case's timeline from its "created" event to the first
        "dispatched", "accepted", "on_scene" and "resolved" events, for the cases created in the
        period; seconds."""
        return await svc.response_times(db, stats_scope, group_by)

    @get("/sla", summary="SLA compliance per stage, per agency (or category, area, priority)")
    async def sla(
        self, db: Db, stats_scope: StatsScopeDep, group_by: FromQuery[GroupBy] = "agency"
    ) -> svc.SlaStats:
        """For the cases created in the period: stages met, missed (late, or overdue now) and
        still pending; compliance = met / (met + missed)."""
        return await svc.sla_stats(db, stats_scope, group_by)

    @get(
        "/hotspots",
        summary="Cases on a grid or per kecamatan, as GeoJSON for a heat map",
        media_type="application/geo+json",
    )
    async def hotspots(
        self,
        db: Db,
        settings: Cfg,
        stats_scope: StatsScopeDep,
        by: FromQuery[Literal["grid", "area"]] = "grid",
        cell_m: Annotated[int, QueryParameter(ge=100, le=10_000)] = 500,
        open_only: FromQuery[bool] = False,
    ) -> svc.FeatureCollection:
        """One weighted point per grid cell of ``cell_m`` metres (its centre; the cell's bounds
        in ``cell``) or per kecamatan (its centre point), with ``count`` in the properties."""
        bbox = settings.city_bbox
        return await svc.hotspots(
            db,
            stats_scope,
            by=by,
            cell_m=cell_m,
            centre_lat=(bbox[1] + bbox[3]) / 2,
            open_only=open_only,
        )

    @get("/monthly", summary="The monthly figures as the city publishes them")
    async def monthly(
        self, db: Db, settings: Cfg, principal: CurrentUser, stats_scope: StatsScopeDep
    ) -> svc.MonthlyReport:
        """Calls received, valid calls and their ratio, prank and ghost calls, and tickets per
        agency finished / in process / not yet acted on (``month=YYYY-MM``, this month by
        default). Coordinators get their agency's tickets and no call figures."""
        require_month(stats_scope)
        return await svc.monthly_report(
            db,
            stats_scope,
            settings.city_name,
            with_calls=principal.role in CALL_STATS_ROLES,
        )


def require_month(scope: svc.StatsScope) -> None:
    if scope.period.kind != "month":
        raise BadRequest("stats_month_required")
