"""Export use cases: ``cases.csv`` and ``calls.csv`` (streamed), the monthly report as CSV and as
a printable page (HTML).

The two row exports stream from a server-side cursor ``chunk`` rows at a time, so memory stays
flat however large the period; each stream owns its own connection, because the request's
session is closed before a streamed body is sent. Exports hold no personal data: no reporter's
name or phone number, no caller number, and no free text (descriptions, addresses, notes), which
may hold either.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api.db import exports as x
from api.db import stats as q
from api.domain.stats import PUBLIC_STATUS_OF, csv_safe
from api.services.stats import StatsScope
from api.services.stats_monthly import MonthlyReport, monthly_report
from api.templates import monthly_csv, render_monthly_report


def csv_stream(
    engine: AsyncEngine,
    header: Sequence[str],
    query: Select[Any],
    row: Callable[[Any], Sequence[Any]],
    chunk: int,
) -> AsyncIterator[bytes]:
    """CSV bytes: the header, then one piece per ``chunk`` rows of a server-side cursor.

    The generator owns its connection; leaving early, e.g. when the client goes away, closes the
    cursor and returns it.
    """

    async def generate() -> AsyncIterator[bytes]:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(header)
        yield buf.getvalue().encode()
        async with engine.connect() as conn:
            async for rows in x.stream_rows(conn, query, chunk):
                buf.seek(0)
                buf.truncate()
                writer.writerows(row(r) for r in rows)
                yield buf.getvalue().encode()

    return generate()


async def cases_csv(
    db: AsyncSession, engine: AsyncEngine, scope: StatsScope, chunk: int
) -> AsyncIterator[bytes]:
    """One line per case created in the period (city time): agency, category, status and the
    citizen's word for it, area, team, coordinates, timeline moments, minutes to each stage, SLA
    outcome per stage, ratings. No reporter data and no free text."""
    agencies = await q.labels(db, "agency")
    categories = await q.labels(db, "category")
    areas = await q.labels(db, "area")
    teams = await x.team_names(db)

    def code(labels: dict[Any, q.Label], key: Any) -> Any:
        return csv_safe(labels[key].code) if key in labels else key

    def row(r: Any) -> Sequence[Any]:
        area = areas.get(r.area_id)
        m = r._mapping
        return (
            r.reference,
            r.created_at,
            code(agencies, r.agency_id),
            code(categories, r.category_id),
            r.priority,
            r.status,
            PUBLIC_STATUS_OF.get(r.status, ""),
            csv_safe(area.code) if area else "",
            csv_safe(teams.get(r.team_id, "")) if r.team_id is not None else "",
            *[m[name] for name in x.CASE_EXPORT_AS_IS],
        )

    query = x.cases_export_query(scope.tz, scope.cases, scope.now)
    return csv_stream(engine, x.CASE_EXPORT_COLUMNS, query, row, chunk)


def calls_csv(engine: AsyncEngine, scope: StatsScope, chunk: int) -> AsyncIterator[bytes]:
    """One line per call in the period (city time): start, end, duration, class, channel,
    operator id and the references of the cases it opened. Never the caller's number."""
    query = x.calls_export_query(scope.tz, scope.period.start, scope.period.end)
    return csv_stream(engine, x.CALL_EXPORT_COLUMNS, query, tuple, chunk)


async def monthly_report_csv(
    db: AsyncSession, scope: StatsScope, city: str, lang: str, *, with_calls: bool
) -> tuple[MonthlyReport, str]:
    """The monthly report as CSV, one figure per line."""
    report = await monthly_report(db, scope, city, with_calls=with_calls)
    return report, monthly_csv(report, lang)


async def monthly_report_page(
    db: AsyncSession, scope: StatsScope, city: str, lang: str, *, with_calls: bool
) -> str:
    """The monthly report laid out as the press publishes it (HTML), in ``lang``, ready to
    print; headed with the agency's name when the scope is one agency."""
    report = await monthly_report(db, scope, city, with_calls=with_calls)
    agency_name = None
    if scope.cases.agency_id is not None:
        label = (await q.labels(db, "agency")).get(scope.cases.agency_id)
        agency_name = label.name_in(lang) if label else None
    return render_monthly_report(report, lang, scope.zone, agency_name)
