"""Export SQL: the rows of ``cases.csv`` and ``calls.csv``, read through a server-side cursor.

Rows carry no personal data: no reporter, no caller number, no free text (descriptions,
addresses, notes), which may hold either. Each column is labelled with its CSV header, so the
export service reads every value by name.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Numeric,
    Row,
    Select,
    and_,
    cast,
    extract,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy import case as sql_case
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from api.db.models import Call, Case, StatsCase, Team
from api.db.stats import (
    METRIC_COLUMN,
    RATING_COLUMNS,
    STAGE_COLUMNS,
    CaseFilter,
    in_period,
    local_time,
)
from api.domain.stats import METRICS, UNCLASSIFIED
from api.domain.vocabulary import OPEN, VOID

CASE_EXPORT_COLUMNS = (
    "reference",
    "created_at",
    "agency",
    "category",
    "priority",
    "status",
    "public_status",
    "area",
    "team",
    "lon",
    "lat",
    "dispatched_at",
    "accepted_at",
    "arrived_at",
    "resolved_at",
    "closed_at",
    "minutes_to_dispatch",
    "minutes_to_accept",
    "minutes_to_arrive",
    "minutes_to_resolve",
    "sla_accept",
    "sla_arrive",
    "sla_resolve",
    "ratings",
    "rating_average",
)


def _fmt_local(tz: str, at: Any) -> ColumnElement[str]:
    return func.to_char(local_time(tz, at), "YYYY-MM-DD HH24:MI:SS")


def _minutes(moment: Any) -> ColumnElement[Any]:
    return func.round(
        cast(extract("epoch", moment - StatsCase.opened_at) / 60, Numeric),
        1,
    )


def _sla_text(stage: str, now: datetime) -> ColumnElement[Any]:
    moment, deadline = STAGE_COLUMNS[stage]
    is_open = StatsCase.status.in_(sorted(OPEN))
    return sql_case(
        (StatsCase.status.in_(sorted(VOID)), literal("")),
        (moment <= deadline, literal("met")),
        (moment > deadline, literal("missed")),
        (and_(is_open, deadline <= now), literal("missed")),
        (is_open, literal("pending")),
        else_=literal(""),
    )


#: The columns of ``cases.csv`` read as the query gives them (from ``lon`` on); the ones before
#: are ids and codes the export service turns into names.
CASE_EXPORT_AS_IS = CASE_EXPORT_COLUMNS[CASE_EXPORT_COLUMNS.index("lon") :]


def cases_export_query(tz: str, f: CaseFilter, now: datetime) -> Select[Any]:
    """Rows of ``cases.csv``: no reporter, no free text (they may hold personal data)."""
    rating_n = sum((col for col in RATING_COLUMNS), start=literal(0))
    rating_sum = sum((col * i for i, col in enumerate(RATING_COLUMNS, start=1)), start=literal(0))
    return (
        select(
            Case.reference,
            _fmt_local(tz, StatsCase.created_at).label("created_at"),
            StatsCase.agency_id,
            StatsCase.category_id,
            StatsCase.priority,
            StatsCase.status,
            StatsCase.area_id,
            Case.team_id,
            func.round(cast(StatsCase.lon, Numeric), 6).label("lon"),
            func.round(cast(StatsCase.lat, Numeric), 6).label("lat"),
            _fmt_local(tz, StatsCase.dispatched_at).label("dispatched_at"),
            _fmt_local(tz, StatsCase.accepted_at).label("accepted_at"),
            _fmt_local(tz, StatsCase.arrived_at).label("arrived_at"),
            _fmt_local(tz, StatsCase.resolved_at).label("resolved_at"),
            _fmt_local(tz, Case.closed_at).label("closed_at"),
            *[_minutes(METRIC_COLUMN[m]).label(f"minutes_to_{m}") for m in METRICS],
            *[_sla_text(s, now).label(f"sla_{s}") for s in STAGE_COLUMNS],
            rating_n.label("ratings"),
            sql_case(
                (rating_n > 0, func.round(cast(rating_sum, Numeric) / rating_n, 2)),
                else_=None,
            ).label("rating_average"),
        )
        .join(Case, Case.id == StatsCase.case_id)
        .where(*in_period(f))
        .order_by(StatsCase.created_at, Case.reference)
    )


CALL_EXPORT_COLUMNS = (
    "id",
    "started_at",
    "ended_at",
    "duration_s",
    "class",
    "channel",
    "operator_id",
    "case_references",
)


def calls_export_query(tz: str, start: datetime, end: datetime) -> Select[Any]:
    """Rows of ``calls.csv``: never the caller's number, name or the operator's notes."""
    refs = (
        select(func.string_agg(Case.reference, literal_column("' '")))
        .where(Case.call_id == Call.id)
        .scalar_subquery()
    )
    return (
        select(
            Call.id,
            _fmt_local(tz, Call.started_at).label("started_at"),
            _fmt_local(tz, Call.ended_at).label("ended_at"),
            Call.duration_s,
            func.coalesce(Call.call_class, UNCLASSIFIED).label("class"),
            Call.channel,
            Call.operator_id,
            refs.label("case_references"),
        )
        .where(Call.started_at >= start, Call.started_at < end)
        .order_by(Call.started_at, Call.id)
    )


async def stream_rows(
    conn: AsyncConnection, query: Select[Any], chunk: int
) -> AsyncIterator[Sequence[Row[Any]]]:
    """Rows through a server-side cursor, ``chunk`` at a time: memory stays flat. Every column
    is labelled with its CSV header: read them by name (``row.reference``)."""
    result = await conn.stream(query.execution_options(yield_per=chunk))
    async for part in result.partitions(chunk):
        yield part


async def team_names(db: AsyncSession) -> dict[int, str]:
    """Team id -> name, for the ``team`` column of ``cases.csv``."""
    rows = await db.execute(select(Team.id, Team.name))
    return {r.id: r.name for r in rows}
