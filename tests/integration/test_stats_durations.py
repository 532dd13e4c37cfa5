"""The response times read stored durations through a covering index (migration 0021)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import stats as q
from api.db.session import make_engine, make_sessionmaker
from api.domain.stats import METRICS, percentile
from tests.support.stats_data import CaseSpec, dsn, insert_cases, wita

STAGE_EVENT = {"dispatch": "dispatched", "accept": "accepted", "arrive": "on_scene"}


async def test_response_times_are_the_raw_percentiles_from_an_index_only_scan(
    database_url: str,
) -> None:
    pg = await asyncpg.connect(dsn(database_url))
    try:
        await _check(pg, database_url)
    finally:
        await pg.close()


async def _check(pg: asyncpg.Connection, database_url: str) -> None:
    t0 = wita(2025, 11, 3, 8)
    specs = []
    for i in range(40):
        created = t0 + timedelta(minutes=53 * i, microseconds=7919 * i)
        events = [("created", created)]
        for k, stage in enumerate(("dispatched", "accepted", "on_scene", "resolved")):
            if i % 5 > k:
                events.append((stage, created + timedelta(seconds=97 * (k + 1) * (i % 7 + 1))))
        specs.append(CaseSpec(["DLHK", "BPBD"][i % 2], created, "dispatched", events))
    ids = await insert_cases(pg, specs)
    # A first moment that arrives late and is earlier than the one stored: the duration follows.
    await pg.execute(
        "INSERT INTO case_events (case_id, kind, at, actor_kind, note, data, public) "
        "SELECT id, 'dispatched', created_at + interval '1.5 seconds', 'user', '', '{}', true "
        "FROM cases WHERE id = ANY($1::uuid[])",
        ids[:6],
    )
    # Durations from the timeline itself, in Python.
    rows = await pg.fetch(
        "SELECT c.id, c.agency_id, e.kind, min(e.at) AS at FROM cases c "
        "JOIN case_events e ON e.case_id = c.id GROUP BY c.id, c.agency_id, e.kind"
    )
    first: dict[Any, dict[str, Any]] = {}
    agency: dict[Any, int] = {}
    for r in rows:
        first.setdefault(r["id"], {})[r["kind"]] = r["at"]
        agency[r["id"]] = r["agency_id"]

    def seconds(m: str, key: int | None) -> list[float]:
        out = []
        for cid, moments in first.items():
            if key is not None and agency[cid] != key:
                continue
            if STAGE_EVENT.get(m, "resolved") in moments and "created" in moments:
                d = moments[STAGE_EVENT.get(m, "resolved")] - moments["created"]
                out.append(d.total_seconds())
        return out

    await pg.execute("VACUUM ANALYZE stats_cases")  # as autovacuum would: pages all-visible
    engine = make_engine(database_url, 1, 0)
    statements: list[tuple[str, Any]] = []

    def capture(_c: Any, _cur: Any, statement: str, params: Any, *_: Any) -> None:
        statements.append((statement, params))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    db: AsyncSession
    f = q.CaseFilter(t0, t0 + timedelta(days=3))
    async with make_sessionmaker(engine)() as db:
        got = [*await q.response_times(db, f, None), *await q.response_times(db, f, "agency")]
        ((sql, params), _) = statements
        # However the planner would rate it on a small table: the statement is answerable from
        # the covering index alone (it reads no column the index does not hold).
        conn = await db.connection()
        for kind in ("seqscan", "bitmapscan"):
            await conn.exec_driver_sql(f"SET LOCAL enable_{kind} = off")
        plan = "\n".join(r[0] for r in await conn.exec_driver_sql("EXPLAIN " + sql, params))
    await engine.dispose()
    assert "Index Only Scan using ix_stats_cases_created_at_durations" in plan, plan

    assert len(got) == 3  # overall and two agencies
    for row in got:
        for m in METRICS:
            values = seconds(m, None if row.overall else row.key)
            d = row.metrics[m]
            assert d.n == len(values), (row.key, m)
            for mine, theirs in ((d.median, 0.5), (d.p90, 0.9)):
                want = percentile(values, theirs)
                assert (mine is None) == (want is None), (row.key, m)
                if want is not None:
                    assert abs(mine - want) < 1e-6, (row.key, m, mine, want)  # type: ignore[operator]
