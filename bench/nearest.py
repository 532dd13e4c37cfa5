"""Nearest teams: ``GET /api/cases/{id}/team-suggestions`` with 5,000 teams, against raw KNN.

The generated teams' positions are made fresh first (pinged within the last five minutes, as on
a working day). Cases are open ones of every agency. The API is asked by a dispatcher one
request at a time; the baseline is the KNN query alone (the case's point, on-duty teams of its
agency with a fresh position, ``ORDER BY last_position <-> point LIMIT 20``), one at a time.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import asyncpg

from bench.harness import Figure, LoadResult, login, run_wrk, write_data

if TYPE_CHECKING:
    from bench.__main__ import Context

KNN_SQL = """
SELECT t.id, t.name, ST_Distance(t.last_position, c.location) AS distance_m, t.last_position_at
FROM teams t, (SELECT location, agency_id FROM cases WHERE id = $1) c
WHERE t.agency_id = c.agency_id AND t.on_duty AND t.last_position_at >= $2
ORDER BY t.last_position <-> c.location
LIMIT 20
"""


async def prepare(dsn: str, n: int = 200) -> list[str]:
    """Fresh positions for the teams that had a recent one; ``n`` open cases of every agency."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "UPDATE teams SET last_position_at = now() - random() * interval '5 minutes' "
            "WHERE last_position_at > now() - interval '1 hour'"
        )
        await conn.execute("ANALYZE teams")
        rows = await conn.fetch(
            """
            SELECT id FROM (
                SELECT id, row_number() OVER (PARTITION BY agency_id ORDER BY random()) AS k
                FROM cases WHERE status IN ('new', 'returned', 'reopened')
            ) x WHERE k <= $1 ORDER BY random() LIMIT $2
            """,
            max(1, n // 10),
            n,
        )
    finally:
        await conn.close()
    return [str(r[0]) for r in rows]


async def raw_latencies(dsn: str, ids: list[str], seconds: float) -> LoadResult:
    import uuid

    conn = await asyncpg.connect(dsn)
    latencies: list[float] = []
    found = 0
    try:
        cases = [uuid.UUID(i) for i in ids]
        fresh = datetime.now(UTC) - timedelta(minutes=15)
        for cid in cases[:50]:  # warm-up
            await conn.fetch(KNN_SQL, cid, fresh)
        started = time.perf_counter()
        i = 0
        while time.perf_counter() - started < seconds:
            cid = cases[i % len(cases)]
            i += 1
            t0 = time.perf_counter()
            rows = await conn.fetch(KNN_SQL, cid, fresh)
            latencies.append(time.perf_counter() - t0)
            found += len(rows)
        elapsed = time.perf_counter() - started
    finally:
        await conn.close()
    result = LoadResult.from_latencies(latencies, elapsed, len(latencies))
    result.statuses = {"teams_per_query": round(found / max(1, len(latencies)), 1)}
    return result


def run(ctx: Context) -> list[Figure]:
    s = ctx.seconds
    ids = asyncio.run(prepare(ctx.dataset.dsn))
    token = login(ctx.api.base_url, "dispatcher")
    data = write_data(ctx.work / "nearest.txt", [[token]] + [[i] for i in ids])
    run_wrk(ctx.api.base_url, "nearest.lua", data, connections=1, seconds=2)  # warm-up
    api = run_wrk(ctx.api.base_url, "nearest.lua", data, connections=1, seconds=s)
    ctx.log(f"  nearest, API:          {api.summary()}")
    raw = asyncio.run(raw_latencies(ctx.dataset.dsn, ids, s))
    ctx.log(f"  nearest, raw KNN:      {raw.summary()}")
    ctx.record["nearest"] = {"cases": len(ids), "api": api.__dict__, "raw": raw.__dict__}
    group = f"Nearest teams: GET /api/cases/{{id}}/team-suggestions, {ctx.dataset.teams:,} teams"
    ok = api.ok("200")
    note = f"{len(ids)} open cases; {raw.statuses['teams_per_query']} fresh teams per answer"
    if ok != api.requests:
        note += f"; {api.requests - ok} answers not 200"
    return [
        Figure(group, "p50 latency", api.p50_ms, "ms", raw.p50_ms, "raw KNN query", "lower"),
        Figure(
            group,
            "p95 latency",
            api.p95_ms,
            "ms",
            raw.p95_ms,
            "raw KNN query",
            "lower",
            # Issue #20: within 3x the raw KNN (HTTP and authentication alone are about 1 ms).
            target="<= 3.0x raw",
            met=api.p95_ms <= 3 * raw.p95_ms,
            note=note,
        ),
    ]
