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
from api.domain.stats import MAX_EXPORT_DAYS, MAX_PERIOD_DAYS
from api.domain.vocabulary import CALL_STATS_ROLES, STATS_ROLES, Priority
from api.routes.deps import Cfg, CurrentUser, Lang, Now, ReadDb
from api.services import stats as svc
from api.services import stats_cases, stats_monthly

GroupBy = svc.Dimension
# A filter id, bounded like ``api.routes.params.Id`` but as a ``QueryParameter``: Litestar checks
# these bounds before it opens the database session the scope needs, msgspec's only after.
FilterId = Annotated[int | None, QueryParameter(ge=1, le=2_147_483_647)]


def scope_dependency(max_days: int) -> dict[str, Provide]:
    """The ``stats_scope`` dependency: the request's period (at most ``max_days`` days) and case
    filters, checked and scoped to the user (:func:`api.services.stats.open_scope`)."""

    async def provide_stats_scope(
        read_db: ReadDb,
        principal: CurrentUser,
        settings: Cfg,
        now: Now,
        lang: Lang,
        month: FromQuery[str | None] = None,
        week: FromQuery[str | None] = None,
        day: FromQuery[date | None] = None,
        first: Annotated[date | None, QueryParameter(name="from")] = None,
        to: FromQuery[date | None] = None,
        agency_id: FilterId = None,
        category_id: FilterId = None,
        area_id: FilterId = None,
        priority: FromQuery[Priority | None] = None,
    ) -> svc.StatsScope:
        period = svc.PeriodQuery(month, week, day, first, to)
        ask = svc.ScopeQuery(period, agency_id, category_id, area_id, priority)
        return await svc.open_scope(
            read_db, principal, ask, zone=settings.tz, now=now, lang=lang, max_days=max_days
        )

    return {"stats_scope": Provide(provide_stats_scope)}


StatsScopeDep = NamedDependency[svc.StatsScope]
#: Statistics read every case of their period: at most 31 days (``MAX_PERIOD_DAYS``).
STATS_DEPENDENCIES = scope_dependency(MAX_PERIOD_DAYS)
#: Exports stream, so their period may run to 366 days (``MAX_EXPORT_DAYS``).
EXPORT_DEPENDENCIES = scope_dependency(MAX_EXPORT_DAYS)


class StatsReader(Controller):
    """What every statistics, export and report controller shares: who may read them."""

    guards = [requires_roles(*STATS_ROLES)]
    dependencies = STATS_DEPENDENCIES


class StatsController(StatsReader):
    path = "/api/stats"
    tags = ["stats"]

    @get(
        "/calls",
        summary="Calls: by class, valid ratio, prank and ghost calls, per day and hour",
        guards=[requires_roles(*CALL_STATS_ROLES)],
    )
    async def calls(self, read_db: ReadDb, stats_scope: StatsScopeDep) -> svc.CallStats:
        """Calls received in the period by class (valid, informasi, curhat, prank, ghost,
        wrong_number, unclassified), the valid ratio next to the previous period's, calls per
        day and per hour of day in city time, and the numbers with repeated prank calls."""
        return await svc.call_stats(read_db, stats_scope)

    @get("/cases", summary="Cases: finished / in process / not yet acted on, per agency")
    async def cases(
        self, read_db: ReadDb, stats_scope: StatsScopeDep, group_by: FromQuery[GroupBy] = "agency"
    ) -> stats_cases.CaseStats:
        """Cases created in the period by the citizen's three status words (as of now), the
        finished ratio, cases overdue right now and citizens' ratings: overall, per day and per
        agency (or category, area, priority)."""
        return await stats_cases.case_stats(read_db, stats_scope, group_by)

    @get("/response-times", summary="Median and p90 time to dispatch, accept, arrive, resolve")
    async def response_times(
        self,
        read_db: ReadDb,
        stats_scope: StatsScopeDep,
        settings: Cfg,
        group_by: FromQuery[GroupBy] = "agency",
    ) -> svc.ResponseTimes:
        """Measured on each case's timeline from its "created" event to the first
        "dispatched", "accepted", "on_scene" and "resolved" events, for the cases created in the
        period; seconds. Over a large period (``TANGGAP_STATS_ESTIMATE_ABOVE`` cases) the
        percentiles are estimated from a sample of one case in 32 (``estimated``); the counts
        are always exact."""
        return await svc.response_times(
            read_db, stats_scope, group_by, estimate_above=settings.stats_estimate_above
        )

    @get("/sla", summary="SLA compliance per stage, per agency (or category, area, priority)")
    async def sla(
        self, read_db: ReadDb, stats_scope: StatsScopeDep, group_by: FromQuery[GroupBy] = "agency"
    ) -> svc.SlaStats:
        """For the cases created in the period: stages met, missed (late, or overdue now) and
        still pending; compliance = met / (met + missed)."""
        return await svc.sla_stats(read_db, stats_scope, group_by)

    @get(
        "/hotspots",
        summary="Cases on a grid or per kecamatan, as GeoJSON for a heat map",
        media_type="application/geo+json",
    )
    async def hotspots(
        self,
        read_db: ReadDb,
        settings: Cfg,
        stats_scope: StatsScopeDep,
        by: FromQuery[Literal["grid", "area"]] = "grid",
        cell_m: Annotated[int, QueryParameter(ge=100, le=10_000)] = 500,
        open_only: FromQuery[bool] = False,
    ) -> stats_cases.FeatureCollection:
        """One weighted point per grid cell of ``cell_m`` metres (its centre; the cell's bounds
        in ``cell``) or per kecamatan (its centre point), with ``count`` in the properties."""
        bbox = settings.city_bbox
        return await stats_cases.hotspots(
            read_db,
            stats_scope,
            by=by,
            cell_m=cell_m,
            centre_lat=(bbox[1] + bbox[3]) / 2,
            open_only=open_only,
        )

    @get("/monthly", summary="The monthly figures as the city publishes them")
    async def monthly(
        self, read_db: ReadDb, settings: Cfg, principal: CurrentUser, stats_scope: StatsScopeDep
    ) -> stats_monthly.MonthlyReport:
        """Calls received, valid calls and their ratio, prank and ghost calls, and tickets per
        agency finished / in process / not yet acted on (``month=YYYY-MM``, this month by
        default). Coordinators get their agency's tickets and no call figures."""
        return await stats_monthly.monthly_report(
            read_db, stats_scope, settings.city_name, with_calls=svc.sees_calls(principal)
        )
