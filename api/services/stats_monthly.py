"""The monthly report as the city publishes it: calls received, valid calls and their ratio,
prank and ghost calls, tickets per agency finished / in process / not yet acted on.

One read use case (``GET /api/stats/monthly``), also behind the printable page and the CSV of
:mod:`api.services.exports`. Coordinators get their agency's tickets and no call figures.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import stats as q
from api.db import stats_calls, stats_quantiles
from api.db.stats_sla import sla_counts
from api.domain.stats import SlaTally, percent, round_half_up
from api.services.stats import (
    PeriodOut,
    StatsScope,
    call_headline,
    require_month,
    tally_calls,
)
from api.services.stats_cases import case_stats


class MonthlyCalls(msgspec.Struct):
    received: int
    valid: int
    valid_ratio: float | None
    valid_percent: int | None
    prank: int
    ghost: int
    prank_or_ghost: int
    informasi: int
    curhat: int
    wrong_number: int
    unclassified: int
    previous_received: int
    previous_valid: int
    previous_valid_percent: int | None


class MonthlyAgency(msgspec.Struct):
    agency_id: int | None
    code: str
    name: str
    created: int
    selesai: int
    dalam_proses: int
    belum_ditindaklanjuti: int
    finished_percent: int | None
    cases_filter: dict[str, Any]


class MonthlyTickets(msgspec.Struct):
    created: int
    selesai: int
    dalam_proses: int
    belum_ditindaklanjuti: int
    finished_percent: int | None
    previous_created: int
    overdue_now: int


class MonthlyReport(msgspec.Struct):
    """The month as the city publishes it: calls received, valid and their ratio, prank and
    ghost calls, tickets per agency finished / in process / not yet acted on."""

    month: str
    city: str
    period: PeriodOut
    as_of: datetime
    calls: MonthlyCalls | None
    tickets: MonthlyTickets
    agencies: list[MonthlyAgency]
    median_minutes: dict[str, float | None]
    sla_compliance_percent: int | None
    rating_average: float | None


async def _calls(db: AsyncSession, scope: StatsScope) -> MonthlyCalls:
    p, prev, rollup = scope.period, scope.previous, scope.rollup_exact
    cur_c = tally_calls(await stats_calls.call_totals(db, p.start, p.end, rollup=rollup))
    prev_c = tally_calls(await stats_calls.call_totals(db, prev.start, prev.end, rollup=rollup))
    ch = call_headline(cur_c, prev_c)
    return MonthlyCalls(
        received=cur_c.total,
        valid=cur_c.valid,
        valid_ratio=ch.valid_ratio.value,
        valid_percent=percent(cur_c.valid, cur_c.total),
        prank=cur_c.prank,
        ghost=cur_c.ghost,
        prank_or_ghost=cur_c.prank + cur_c.ghost,
        informasi=cur_c.informasi,
        curhat=cur_c.curhat,
        wrong_number=cur_c.wrong_number,
        unclassified=cur_c.unclassified,
        previous_received=prev_c.total,
        previous_valid=prev_c.valid,
        previous_valid_percent=percent(prev_c.valid, prev_c.total),
    )


async def monthly_report(
    db: AsyncSession, scope: StatsScope, city: str, *, with_calls: bool
) -> MonthlyReport:
    """Only what the report shows: call totals, tickets per agency, overall medians and SLA,
    for one calendar month (``month=YYYY-MM``)."""
    require_month(scope)
    # The response times (exact: sorts of the month's durations) on a second session while
    # this one reads the counts, "overdue now" and the SLA, about as long: on two cores the
    # report takes the longer half, not the sum (at 10M cases, 183 against 170 ms).
    async with q.side_session(db) as side, asyncio.TaskGroup() as tg:
        timing = tg.create_task(stats_quantiles.overall_response_times(side, scope.cases))
        calls = await _calls(db, scope) if with_calls else None
        cs = await case_stats(db, scope, "agency", by_day=False)
        sla_rows = await sla_counts(db, scope.cases, scope.now, None, scope.tz)
    times = timing.result()
    sla = next(r for r in sla_rows if r.overall)
    sla_all = sum(sla.stages.values(), SlaTally())
    agencies = [
        MonthlyAgency(
            agency_id=r.key.id if isinstance(r.key.id, int) else None,
            code=r.key.code,
            name=r.key.name,
            created=r.created,
            selesai=r.selesai,
            dalam_proses=r.dalam_proses,
            belum_ditindaklanjuti=r.belum_ditindaklanjuti,
            finished_percent=r.finished_percent,
            cases_filter=r.cases_filter,
        )
        for r in cs.rows
        if r.created
    ]
    h = cs.headline
    return MonthlyReport(
        month=scope.period.label,
        city=city,
        period=cs.period,
        as_of=scope.now,
        calls=calls,
        tickets=MonthlyTickets(
            created=h.created.value,
            selesai=h.selesai.value,
            dalam_proses=h.dalam_proses.value,
            belum_ditindaklanjuti=h.belum_ditindaklanjuti.value,
            finished_percent=percent(h.selesai.value, h.created.value),
            previous_created=h.created.previous,
            overdue_now=h.overdue_now,
        ),
        agencies=agencies,
        median_minutes={
            m: None if d.median is None else float(round_half_up(d.median / 60, 1))
            for m, d in times.metrics.items()
        },
        sla_compliance_percent=percent(sla_all.met, sla_all.decided),
        rating_average=cs.ratings.average,
    )
