"""The overall response times from the sample's bounds (api/db/stats_quantiles.py) are exactly
``percentile_cont``'s, read the sample index, and sort everything when a rank falls outside."""

from __future__ import annotations

import math
import random
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from api.db import stats as q
from api.db import stats_quantiles
from api.db.session import make_engine, make_sessionmaker
from api.domain import stats as rules
from tests.support.stats_data import CaseSpec, dsn, insert_cases, wita

T0 = wita(2025, 11, 3, 8)
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
        specs.append(CaseSpec(["DLHK", "BPBD", "DISHUB"][i % 3], created, "dispatched", events))
    pg = await asyncpg.connect(dsn(database_url))
    try:
        await insert_cases(pg, specs)
        await pg.execute("VACUUM ANALYZE stats_cases")  # as autovacuum would: pages all-visible
    finally:
        await pg.close()
    e = make_engine(database_url, 1, 0)
    yield e
    await e.dispose()


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
        q.CaseFilter(T0, T0 + timedelta(days=3)),
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
    f = q.CaseFilter(T0, T0 + timedelta(days=3))
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
    f = q.CaseFilter(T0, T0 + timedelta(days=3))
    async with make_sessionmaker(engine)() as db:
        got = await stats_quantiles.overall_response_times(db, f)
        (want,) = await q.response_times(db, f, None)
    assert got == want
    assert ["percentile_cont" in s for s in seen] == [False, True, True]
