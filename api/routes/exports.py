"""Exports (CSV) and the printable monthly report (HTML).

``cases.csv`` and ``calls.csv`` stream from a server-side cursor a few thousand rows at a time, so
memory stays flat however large the period (:mod:`api.services.exports`). Exports hold no
personal data: no reporter's name or phone number, no caller number, and no free text
(descriptions, addresses, notes), which may hold either. Coordinators export their own agency's
cases only; call exports belong to the control room.
"""

from __future__ import annotations

from litestar import Response, get
from litestar.response import Stream

from api.auth import requires_roles
from api.domain.vocabulary import CALL_STATS_ROLES
from api.routes.deps import Cfg, CurrentUser, ReadDb, engine_of
from api.routes.stats import EXPORT_DEPENDENCIES, StatsController, StatsReader, StatsScopeDep
from api.services import exports as svc
from api.services.stats import sees_calls

# Rows per chunk sent to the client (and fetched per round trip from the cursor).
EXPORT_CHUNK_ROWS = 2000
CSV = "text/csv"  # Litestar adds "; charset=utf-8"


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}


class ExportController(StatsReader):
    """``/api/exports/*`` (a period of up to a year) and the printable ``/api/reports/monthly``."""

    path = "/api"
    tags = ["exports"]

    @get(
        "/exports/cases.csv",
        summary="Cases of the period as CSV (streamed, no personal data)",
        media_type=CSV,
        dependencies=EXPORT_DEPENDENCIES,
    )
    async def cases_csv(self, read_db: ReadDb, stats_scope: StatsScopeDep) -> Stream:
        """One line per case created in the period (city time): agency, category, status and
        the citizen's word for it, area, team, coordinates, timeline moments, minutes to each
        stage, SLA outcome per stage, ratings. No reporter data and no free text."""
        body = await svc.cases_csv(read_db, engine_of(read_db), stats_scope, EXPORT_CHUNK_ROWS)
        name = f"tanggap112-cases-{stats_scope.period.label}.csv"
        return Stream(body, media_type=CSV, headers=_attachment(name))

    @get(
        "/exports/calls.csv",
        summary="Calls of the period as CSV (streamed, without caller numbers)",
        guards=[requires_roles(*CALL_STATS_ROLES)],
        media_type=CSV,
        dependencies=EXPORT_DEPENDENCIES,
    )
    async def calls_csv(self, read_db: ReadDb, stats_scope: StatsScopeDep) -> Stream:
        """One line per call in the period (city time): start, end, duration, class, channel,
        operator id and the references of the cases it opened. Never the caller's number."""
        body = svc.calls_csv(engine_of(read_db), stats_scope, EXPORT_CHUNK_ROWS)
        name = f"tanggap112-calls-{stats_scope.period.label}.csv"
        return Stream(body, media_type=CSV, headers=_attachment(name))

    @get(
        "/exports/monthly.csv",
        summary="The monthly report as CSV, one figure per line",
        media_type=CSV,
        dependencies=EXPORT_DEPENDENCIES,
    )
    async def monthly_csv(
        self, read_db: ReadDb, settings: Cfg, principal: CurrentUser, stats_scope: StatsScopeDep
    ) -> Response[str]:
        lang = stats_scope.lang
        report, text = await svc.monthly_report_csv(
            read_db, stats_scope, settings.city_name, lang, with_calls=sees_calls(principal)
        )
        return Response(
            text, media_type=CSV, headers=_attachment(f"tanggap112-monthly-{report.month}.csv")
        )

    @get(
        "/reports/monthly",
        summary="The monthly report as a printable page (HTML)",
        media_type="text/html",
    )
    async def monthly(
        self, read_db: ReadDb, settings: Cfg, principal: CurrentUser, stats_scope: StatsScopeDep
    ) -> Response[str]:
        """``month=YYYY-MM``: the city's monthly figures laid out as the press publishes them,
        in Indonesian (default) or English (``Accept-Language: en``), ready to print."""
        lang = stats_scope.lang
        html = await svc.monthly_report_page(
            read_db, stats_scope, settings.city_name, lang, with_calls=sees_calls(principal)
        )
        return Response(
            html,
            media_type="text/html",
            headers={"Content-Language": lang, "Cache-Control": "no-store"},
        )


# Everything of the statistics feature, registered in ``create_app`` in one line.
STATS_HANDLERS = [StatsController, ExportController]
