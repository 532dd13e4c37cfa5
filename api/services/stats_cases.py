"""Case figures of the dashboards: cases by the citizen's status words, overdue cases and
ratings (``GET /api/stats/cases``), and where cases happen (``GET /api/stats/hotspots``).

Reads :mod:`api.db.stats` inside the request's one transaction, like :mod:`api.services.stats`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import stats as q
from api.domain.stats import (
    PUBLIC_STATUS_OF,
    PUBLIC_STATUSES,
    grid_steps,
    percent,
    ratio,
    statuses_with_public,
)
from api.domain.vocabulary import VOID
from api.services.stats import (
    Count,
    Dimension,
    Feature,
    FeatureCollection,
    GroupKey,
    PeriodOut,
    Point,
    Share,
    StatsScope,
    Tally,
    case_list_filter,
    group_key,
    overdue_list_filter,
)

# ``status`` values of GET /api/cases (comma-separated) for each of the citizen's words.
STATUS_FILTERS: dict[str, str] = {
    word: ",".join(statuses_with_public(word)) for word in PUBLIC_STATUSES
}


class StatusCounts(Tally, kw_only=True):
    """Cases created, by the citizen's three words (``void``: duplicate, invalid or cancelled,
    which citizens also see as finished)."""

    created: int = 0
    belum_ditindaklanjuti: int = 0
    dalam_proses: int = 0
    selesai: int = 0
    void: int = 0

    def counters(self, kind: str) -> tuple[str, ...]:
        """A case counts in ``created`` and under its citizen's word (a status: ``kind``)."""
        word = PUBLIC_STATUS_OF.get(kind, "belum_ditindaklanjuti")
        return ("created", word, "void") if kind in VOID else ("created", word)


class DayCases(StatusCounts, kw_only=True):
    date: date


class Ratings(msgspec.Struct):
    count: int
    average: float | None
    distribution: dict[str, int]

    @classmethod
    def of(cls, dist: list[int]) -> Ratings:
        n = sum(dist)
        total = sum(i * k for i, k in enumerate(dist, start=1))
        avg = ratio(total, n, 2)
        return cls(n, avg, {str(i): k for i, k in enumerate(dist, start=1)})


class CaseRow(StatusCounts, kw_only=True):
    key: GroupKey
    previous_created: int
    finished_ratio: float | None
    finished_percent: int | None
    overdue_now: int
    ratings: Ratings
    cases_filter: dict[str, Any]


class CaseHeadline(msgspec.Struct):
    created: Count
    belum_ditindaklanjuti: Count
    dalam_proses: Count
    selesai: Count
    finished_ratio: Share
    finished_percent: Share
    rating_average: Share
    ratings: Count
    overdue_now: int


class CaseStats(msgspec.Struct):
    period: PeriodOut
    previous_period: PeriodOut
    group_by: str
    as_of: datetime
    headline: CaseHeadline
    by_status: dict[str, int]
    by_day: list[DayCases]
    rows: list[CaseRow]
    ratings: Ratings
    cases_filter: dict[str, Any]
    overdue_filter: dict[str, Any]
    status_filters: dict[str, str]


def _add_ratings(acc: list[int], r: tuple[int, ...]) -> None:
    for i, k in enumerate(r):
        acc[i] += k


async def case_stats(
    db: AsyncSession, scope: StatsScope, dim: Dimension, *, by_day: bool = True
) -> CaseStats:
    """Cases created in the period by the citizen's status words as of now, the finished ratio,
    overdue cases right now and citizens' ratings, overall, per day and per ``dim`` value."""
    rows = await q.case_counts(
        db, scope.tz, scope.cases, scope.previous.start, dim, offset=scope.offset, by_day=by_day
    )
    overdue = await q.overdue_now(db, scope.cases, scope.now, dim)
    labels = await q.labels(db, dim)
    cur, prev = StatusCounts(), StatusCounts()
    by_status = {s: 0 for s in PUBLIC_STATUS_OF}
    days = {d: DayCases(date=d) for d in scope.period.day_list()}
    per_key: dict[Any, StatusCounts] = {}
    prev_key: dict[Any, int] = {}
    ratings_key: dict[Any, list[int]] = {}
    ratings_cur, ratings_prev = [0] * 5, [0] * 5
    for r in rows:
        if r.day is not None:
            if r.day in days:
                days[r.day].add(r.status, r.cases)
            continue
        if not r.current:
            prev.add(r.status, r.cases)
            prev_key[r.key] = prev_key.get(r.key, 0) + r.cases
            _add_ratings(ratings_prev, r.ratings)
            continue
        cur.add(r.status, r.cases)
        by_status[r.status] = by_status.get(r.status, 0) + r.cases
        per_key.setdefault(r.key, StatusCounts()).add(r.status, r.cases)
        _add_ratings(ratings_cur, r.ratings)
        _add_ratings(ratings_key.setdefault(r.key, [0] * 5), r.ratings)
    keys = set(per_key) | {k for k, n in overdue.items() if n}
    out_rows = []
    for k in keys:
        c = per_key.get(k, StatusCounts())
        out_rows.append(
            CaseRow(
                key=group_key(labels, dim, k, scope.lang),
                created=c.created,
                belum_ditindaklanjuti=c.belum_ditindaklanjuti,
                dalam_proses=c.dalam_proses,
                selesai=c.selesai,
                void=c.void,
                previous_created=prev_key.get(k, 0),
                finished_ratio=ratio(c.selesai, c.created),
                finished_percent=percent(c.selesai, c.created),
                overdue_now=overdue.get(k, 0),
                ratings=Ratings.of(ratings_key.get(k, [0] * 5)),
                cases_filter=case_list_filter(scope, dim, k),
            )
        )
    out_rows.sort(key=lambda r: (-r.created, -r.overdue_now, r.key.code))
    rc, rp = Ratings.of(ratings_cur), Ratings.of(ratings_prev)
    overdue_filter = overdue_list_filter(scope)
    return CaseStats(
        period=PeriodOut.of(scope.period, scope.tz),
        previous_period=PeriodOut.of(scope.previous, scope.tz),
        group_by=dim,
        as_of=scope.now,
        headline=CaseHeadline(
            created=Count(cur.created, prev.created),
            belum_ditindaklanjuti=Count(cur.belum_ditindaklanjuti, prev.belum_ditindaklanjuti),
            dalam_proses=Count(cur.dalam_proses, prev.dalam_proses),
            selesai=Count(cur.selesai, prev.selesai),
            finished_ratio=Share(
                ratio(cur.selesai, cur.created), ratio(prev.selesai, prev.created)
            ),
            finished_percent=Share(
                percent(cur.selesai, cur.created), percent(prev.selesai, prev.created)
            ),
            rating_average=Share(rc.average, rp.average),
            ratings=Count(rc.count, rp.count),
            overdue_now=sum(overdue.values()),
        ),
        by_status=by_status,
        by_day=list(days.values()),
        rows=out_rows,
        ratings=rc,
        cases_filter=case_list_filter(scope),
        overdue_filter=overdue_filter,
        status_filters=STATUS_FILTERS,
    )


# ---------------------------------------------------------------- hot spots
async def hotspots(
    db: AsyncSession,
    scope: StatsScope,
    *,
    by: Literal["grid", "area"],
    cell_m: int,
    centre_lat: float,
    open_only: bool,
) -> FeatureCollection:
    """Cases as weighted points for a heat map: one per grid cell (its centre) or per kecamatan
    (its centre point), ``count`` in the properties."""
    meta: dict[str, Any] = {
        "period": msgspec.to_builtins(PeriodOut.of(scope.period, scope.tz)),
        "by": by,
        "open_only": open_only,
        "cases_filter": case_list_filter(scope),
    }
    features = []
    if by == "grid":
        dlon, dlat = grid_steps(cell_m, centre_lat)
        for cell in await q.hotspot_grid(db, scope.cases, dlon, dlat, open_only=open_only):
            west, south = cell.gx * dlon, cell.gy * dlat
            features.append(
                Feature(
                    Point((round(west + dlon / 2, 6), round(south + dlat / 2, 6))),
                    {
                        "count": cell.cases,
                        "cell": [
                            round(west, 6),
                            round(south, 6),
                            round(west + dlon, 6),
                            round(south + dlat, 6),
                        ],
                    },
                )
            )
        meta.update(cell_m=cell_m, cell_deg=[round(dlon, 8), round(dlat, 8)])
    else:
        for a in await q.hotspot_areas(db, scope.cases, open_only=open_only):
            geom = (
                Point((round(a.lon, 6), round(a.lat, 6)))
                if a.lon is not None and a.lat is not None
                else None
            )
            features.append(
                Feature(
                    geom,
                    {
                        "count": a.cases,
                        "area_id": a.area_id,
                        "name": a.name,
                        "cases_filter": case_list_filter(scope, "area", a.area_id),
                    },
                )
            )
    features.sort(key=lambda f: -int(f.properties["count"]))
    meta["total"] = sum(int(f.properties["count"]) for f in features)
    return FeatureCollection(features, meta)
