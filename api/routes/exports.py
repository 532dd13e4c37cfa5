"""Exports (CSV) and the printable monthly report (HTML).

``cases.csv`` and ``calls.csv`` stream from a server-side cursor a few thousand rows at a time, so
memory stays flat however large the period. Exports hold no personal data: no reporter's name or
phone number, no caller number, and no free text (descriptions, addresses, notes), which may hold
either. Coordinators export their own agency's cases only; call exports belong to the control room.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.response import Stream
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncEngine

from api.auth import requires_roles
from api.db import stats as q
from api.domain.stats import PUBLIC_STATUS_OF, csv_safe
from api.routes.deps import Cfg, CurrentUser, Db, Lang
from api.routes.stats import (
    CALL_STATS_ROLES,
    EXPORT_DEPENDENCIES,
    STATS_DEPENDENCIES,
    STATS_ROLES,
    StatsController,
    StatsScopeDep,
    require_month,
)
from api.services import stats as svc
from api.templates import monthly_csv, render_monthly_report

# Rows per chunk sent to the client (and fetched per round trip from the cursor).
EXPORT_CHUNK_ROWS = 2000
CSV = "text/csv"  # Litestar adds "; charset=utf-8"


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}


def csv_stream(
    engine: AsyncEngine,
    header: Sequence[str],
    query: Select[Any],
    row: Callable[[Any], Sequence[Any]],
    chunk: int,
) -> AsyncIterator[bytes]:
    """CSV bytes: the header, then one piece per ``chunk`` rows of a server-side cursor.

    The generator owns its connection (the request's session is closed before a streamed body
    is sent); leaving early, e.g. when the client goes away, closes the cursor and returns it.
    """

    async def generate() -> AsyncIterator[bytes]:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(header)
        yield buf.getvalue().encode()
        async with engine.connect() as conn:
            async for rows in q.stream_rows(conn, query, chunk):
                buf.seek(0)
                buf.truncate()
                writer.writerows(row(r) for r in rows)
                yield buf.getvalue().encode()

    return generate()


class ExportController(Controller):
    path = "/api/exports"
    tags = ["exports"]
    guards = [requires_roles(*STATS_ROLES)]
    dependencies = EXPORT_DEPENDENCIES

    @get(
        "/cases.csv",
        summary="Cases of the period as CSV (streamed, no personal data)",
        media_type=CSV,
    )
    async def cases_csv(
        self, request: Request[Any, Any, Any], db: Db, stats_scope: StatsScopeDep
    ) -> Stream:
        """One line per case created in the period (city time): agency, category, status and
        the citizen's word for it, area, team, coordinates, timeline moments, minutes to each
        stage, SLA outcome per stage, ratings. No reporter data and no free text."""
        s = stats_scope
        agencies = await q.labels(db, "agency")
        categories = await q.labels(db, "category")
        areas = await q.labels(db, "area")
        teams = await q.team_names(db)

        def row(r: Any) -> Sequence[Any]:
            area = areas.get(r[6])
            return (
                r[0],
                r[1],
                csv_safe(agencies[r[2]].code) if r[2] in agencies else r[2],
                csv_safe(categories[r[3]].code) if r[3] in categories else r[3],
                r[4],
                r[5],
                PUBLIC_STATUS_OF.get(r[5], ""),
                csv_safe(area.code) if area else "",
                csv_safe(teams.get(r[7], "")) if r[7] is not None else "",
                *r[8:],
            )

        header = list(q.CASE_EXPORT_COLUMNS)
        return Stream(
            csv_stream(
                request.app.state.engine,
                header,
                q.cases_export_query(s.tz, s.cases, s.now),
                row,
                EXPORT_CHUNK_ROWS,
            ),
            media_type=CSV,
            headers=_attachment(f"tanggap112-cases-{s.period.label}.csv"),
        )

    @get(
        "/calls.csv",
        summary="Calls of the period as CSV (streamed, without caller numbers)",
        guards=[requires_roles(*CALL_STATS_ROLES)],
        media_type=CSV,
    )
    async def calls_csv(
        self, request: Request[Any, Any, Any], stats_scope: StatsScopeDep
    ) -> Stream:
        """One line per call in the period (city time): start, end, duration, class, channel,
        operator id and the references of the cases it opened. Never the caller's number."""
        s = stats_scope
        return Stream(
            csv_stream(
                request.app.state.engine,
                q.CALL_EXPORT_COLUMNS,
                q.calls_export_query(s.tz, s.period.start, s.period.end),
                tuple,
                EXPORT_CHUNK_ROWS,
            ),
            media_type=CSV,
            headers=_attachment(f"tanggap112-calls-{s.period.label}.csv"),
        )

    @get("/monthly.csv", summary="The monthly report as CSV, one figure per line", media_type=CSV)
    async def monthly_csv(
        self, db: Db, settings: Cfg, principal: CurrentUser, lang: Lang, stats_scope: StatsScopeDep
    ) -> Response[str]:
        require_month(stats_scope)
        report = await svc.monthly_report(
            db, stats_scope, settings.city_name, with_calls=principal.role in CALL_STATS_ROLES
        )
        return Response(
            monthly_csv(report, lang),
            media_type=CSV,
            headers=_attachment(f"tanggap112-monthly-{report.month}.csv"),
        )


class ReportController(Controller):
    path = "/api/reports"
    tags = ["exports"]
    guards = [requires_roles(*STATS_ROLES)]
    dependencies = STATS_DEPENDENCIES

    @get(
        "/monthly",
        summary="The monthly report as a printable page (HTML)",
        media_type="text/html",
    )
    async def monthly(
        self, db: Db, settings: Cfg, principal: CurrentUser, lang: Lang, stats_scope: StatsScopeDep
    ) -> Response[str]:
        """``month=YYYY-MM``: the city's monthly figures laid out as the press publishes them,
        in Indonesian (default) or English (``Accept-Language: en``), ready to print."""
        require_month(stats_scope)
        report = await svc.monthly_report(
            db, stats_scope, settings.city_name, with_calls=principal.role in CALL_STATS_ROLES
        )
        agency_name = None
        if stats_scope.cases.agency_id is not None:
            lab = (await q.labels(db, "agency")).get(stats_scope.cases.agency_id)
            agency_name = (lab.name_en if lang == "en" else lab.name_id) if lab else None
        html = render_monthly_report(report, lang, settings.tz, agency_name)
        return Response(
            html,
            media_type="text/html",
            headers={"Content-Language": lang, "Cache-Control": "no-store"},
        )


# Everything of the statistics feature, registered in ``create_app`` in one line.
STATS_HANDLERS = [StatsController, ExportController, ReportController]
