"""The overall response times from the sample's bounds (api/db/stats_quantiles.py) are exactly
``percentile_cont``'s, read the sample index, and sort everything when a rank falls outside; the
dashboard's estimates of a large period are the sample's own percentiles, with exact counts, and
exact figures wherever the sample holds too few durations."""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import event, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.db import stats as q
from api.db import stats_quantiles
from api.db.models import StatsCase
from api.db.models.stats import SAMPLE_PREDICATE
from api.db.session import make_engine, make_sessionmaker
from api.domain import stats as rules
from tests.conftest import login
from tests.support.stats_data import CaseSpec, dsn, insert_cases, wita

T0 = wita(2025, 11, 3, 8)
#: The three days the fixture's cases were created in.
DAYS = q.CaseFilter(T0, T0 + timedelta(days=3))
STAGES = ("dispatched", "accepted", "on_scene", "resolved")


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """3,000 cases over three days, their stages reached after random, long-tailed delays."""
    rng = random.Random(112)
    specs = []
    for i in range(3000):
        created = T0 + timedelta(seconds=rng.uniform(0, 3 * 86_400))
        events = [("created", created)]
        at = created
        for stage in STAGES[: rng.randint(0, 4)]:
            at += timedelta(seconds=rng.lognormvariate(5, 1.3))
            events.append((stage, at))
        # Ids from the seeded generator: which cases the sample holds is the same every run.
        case_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        agency = ["DLHK", "BPBD", "DISHUB"][i % 3]
        specs.append(CaseSpec(agency, created, "dispatched", events, id=case_id))
    pg = await asyncpg.connect(dsn(database_url))
    try:
        await insert_cases(pg, specs)
        await pg.execute("VACUUM ANALYZE stats_cases")  # as autovacuum would: pages all-visible
    finally:
        await pg.close()
    e = make_engine(database_url, 1, 0)
    yield e
    await e.dispose()


@pytest.fixture
def thin_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    """Estimate from 12 sampled durations: 3,000 cases sample about 94, so dispatch (reached by
    4 cases in 5) is estimated per agency and resolve (1 in 5) is not."""
    monkeypatch.setattr(rules, "MIN_ESTIMATE_SAMPLE", 12)


def _capture(engine: AsyncEngine) -> list[str]:
    seen: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


async def test_the_bounded_figures_are_exactly_the_sorted_ones(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Bound from a smaller sample than production does, so 3,000 cases take that path.
    monkeypatch.setattr(stats_quantiles, "SORT_BELOW", 20)
    monkeypatch.setattr(rules, "MIN_SAMPLE", 20)
    seen = _capture(engine)
    async with engine.connect() as conn:
        bpbd = (await conn.exec_driver_sql("SELECT id FROM agencies WHERE code = 'BPBD'")).scalar()
    filters = [
        DAYS,
        q.CaseFilter(T0, T0 + timedelta(days=3), agency_id=bpbd),
        q.CaseFilter(T0 + timedelta(hours=5), T0 + timedelta(days=2)),
    ]
    async with make_sessionmaker(engine)() as db:
        for f in filters:
            seen.clear()
            got = await stats_quantiles.overall_response_times(db, f)
            bounded = list(seen)
            (want,) = await q.response_times(db, f, None)
            assert got == want, f
            assert got.metrics["dispatch"].n > 500, got
        # The last figures came from the sample and one counting pass, not from sorts.
        sample_sql, counting_sql = bounded
        assert "uuid_send" in sample_sql and "percentile_cont" not in counting_sql
        # However the planner would rate it on a small table, the sample is the sample index.
        conn = await db.connection()
        for kind in ("seqscan", "bitmapscan"):
            await conn.exec_driver_sql(f"SET LOCAL enable_{kind} = off")
        f = filters[0]
        plan = "\n".join(
            r[0] for r in await conn.exec_driver_sql("EXPLAIN " + sample_sql, (f.start, f.end))
        )
    assert "Index Only Scan using ix_stats_cases_sample" in plan, plan


async def test_a_percentile_outside_its_bounds_is_sorted_exactly(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stats_quantiles, "SORT_BELOW", 20)

    def below_every_duration(sample: Any, q: float) -> tuple[float, float]:
        return -math.inf, -1.0  # no duration is kept: every rank is outside

    monkeypatch.setattr(stats_quantiles, "quantile_bracket", below_every_duration)
    seen = _capture(engine)
    f = DAYS
    async with make_sessionmaker(engine)() as db:
        got = await stats_quantiles.overall_response_times(db, f)
        (want,) = await q.response_times(db, f, None)
    assert got == want and got.metrics["resolve"].median is not None
    # Sample, counting pass, then the sort it fell back to (then the test's own).
    assert ["percentile_cont" in s for s in seen] == [False, False, True, True]


async def test_a_small_period_is_sorted_without_bounds(engine: AsyncEngine) -> None:
    # At the production threshold these 3,000 cases sample about 90 durations: sorting all of
    # them is as quick, so the sample is read and nothing else is bounded.
    seen = _capture(engine)
    f = DAYS
    async with make_sessionmaker(engine)() as db:
        got = await stats_quantiles.overall_response_times(db, f)
        (want,) = await q.response_times(db, f, None)
    assert got == want
    assert ["percentile_cont" in s for s in seen] == [False, True, True]


async def _sampled_durations(db: Any, f: q.CaseFilter) -> dict[tuple[Any, str], list[float]]:
    """Each (agency, stage)'s sampled durations, and (None, stage) for all of them."""
    durations = [q.DURATION_COLUMN[m] for m in rules.METRICS]
    rows = await q.all_rows(
        db,
        select(StatsCase.agency_id, *durations).where(
            StatsCase.created_at >= f.start, StatsCase.created_at < f.end, text(SAMPLE_PREDICATE)
        ),
    )
    out: dict[tuple[Any, str], list[float]] = {}
    for agency, *durations in rows:
        for m, d in zip(rules.METRICS, durations, strict=True):
            if d is not None:
                out.setdefault((agency, m), []).append(d)
                out.setdefault((None, m), []).append(d)
    return out


@pytest.mark.usefixtures("thin_sample")
async def test_a_large_period_is_estimated_from_the_sample_with_exact_counts(
    engine: AsyncEngine,
) -> None:
    f = DAYS
    async with make_sessionmaker(engine)() as db:
        got = await stats_quantiles.estimated_response_times(db, f, "agency", above=2000)
        exact = {r.key: r for r in await q.response_times(db, f, "agency")}
        (exact_overall,) = await q.response_times(db, f, None)
        sample = await _sampled_durations(db, f)
        # The same period under a threshold it does not pass is left to the exact path.
        assert await stats_quantiles.estimated_response_times(db, f, "agency", above=10_000) is None
    assert got is not None
    *rows, overall = got
    assert overall.overall and {r.key for r in rows} == set(exact)
    kinds = set()
    for r in [*rows, overall]:
        want = exact_overall if r.overall else exact[r.key]
        for m in rules.METRICS:
            d, w = r.metrics[m], want.metrics[m]
            assert d.n == w.n, (r.key, m)  # counts are always exact
            values = sorted(sample.get((r.key, m), []))
            kinds.add(d.estimated)
            if d.estimated:
                assert len(values) >= 12, (r.key, m)
                assert d.median == pytest.approx(rules.percentile(values, 0.5), rel=1e-12)
                assert d.p90 == pytest.approx(rules.percentile(values, 0.9), rel=1e-12)
            else:
                assert len(values) < 12 and not r.overall, (r.key, m)
                assert (d.median, d.p90) == (w.median, w.p90), (r.key, m)
    assert kinds == {True, False}


@pytest.mark.usefixtures("thin_sample")
async def test_the_previous_period_is_estimated_or_exact_alone(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = DAYS
    async with make_sessionmaker(engine)() as db:
        got = await stats_quantiles.estimated_response_times(db, f, None, above=2000)
        (exact,) = await q.response_times(db, f, None)
        sample = await _sampled_durations(db, f)
        # A stage the sample holds too few of makes the whole overall row exact.
        monkeypatch.setattr(rules, "MIN_ESTIMATE_SAMPLE", 10_000)
        assert await stats_quantiles.estimated_response_times(db, f, None, above=2000) is None
    assert got is not None and len(got) == 1
    for m in rules.METRICS:
        d = got[0].metrics[m]
        assert d.estimated and d.n == exact.metrics[m].n
        assert d.median == pytest.approx(rules.percentile(sorted(sample[(None, m)]), 0.5))


@pytest.mark.usefixtures("thin_sample")
async def test_the_dashboard_says_which_figures_are_estimated(
    engine: AsyncEngine, make_app: Callable[..., Litestar]
) -> None:
    params = {"from": "2025-11-03", "to": "2025-11-06"}
    f = DAYS
    async with make_sessionmaker(engine)() as db:
        exact = {r.key: r for r in await q.response_times(db, f, "agency")}
    bodies = []
    for above in (2000, 128_000):
        app = make_app(stats_estimate_above=above)
        async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as client:
            auth = await login(client, "supervisor")
            r = await client.get("/api/stats/response-times", params=params, headers=auth)
            assert r.status_code == 200, r.text
            bodies.append(r.json())
    estimated, default = bodies
    # Over the threshold: the headline is the sample's (its counts exact), the empty previous
    # period exact; the rows mix both, each marked.
    for m in rules.METRICS:
        h = estimated["headline"][m]
        assert h["estimated"] and not h["previous_estimated"], m
        assert h["n"] == default["headline"][m]["n"] == sum(r.metrics[m].n for r in exact.values())
        assert h["previous_n"] == 0
    marks = {row[m]["estimated"] for row in estimated["rows"] for m in rules.METRICS}
    assert marks == {True, False}
    for row in estimated["rows"]:
        want = exact[row["key"]["id"]]
        for m in rules.METRICS:
            assert row[m]["n"] == want.metrics[m].n
            if not row[m]["estimated"]:
                assert row[m]["median_s"] == rules.seconds(want.metrics[m].median), m
    # Under it (the default for 3,000 cases): every figure exact, as before.
    assert not any(h["estimated"] for h in default["headline"].values())
    assert not any(row[m]["estimated"] for row in default["rows"] for m in rules.METRICS)


@pytest.mark.usefixtures("thin_sample")
async def test_a_key_counted_after_the_sorts_has_its_count_and_no_figure(
    engine: AsyncEngine,
) -> None:
    # The counts are read on the second session, the unestimated keys' sorts on the first:
    # a key whose first case commits between the two is counted, with no figure, not a 500.
    f = DAYS
    async with make_sessionmaker(engine)() as db:
        sample = await stats_quantiles.read_sample(db, f, "agency", above=2000)
        assert sample is not None
        counted = await stats_quantiles.count_durations(db, f, "agency")
    *rows, _ = stats_quantiles.estimates(sample, counted, {}, "agency")
    missing = [r.metrics[m] for r in rows for m in rules.METRICS if not r.metrics[m].estimated]
    assert missing and all(d.n > 0 and d.median is None for d in missing)
