"""Position pings: ``POST /api/teams/{id}/positions`` req/s, against the raw transaction.

32 field officers, each the member of a different on-duty team, ping from their phones (wrk
keeps 16 requests in flight). The baseline does what a ping must, with asyncpg and the same
concurrency: lock the team row, check the membership, append the ping to the history, move the
team's last position, ``pg_notify`` the live map, commit.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import asyncpg

from bench.harness import Figure, LoadResult, cpu_seconds, login, run_wrk, write_data
from tests.support.processes import SERVE_PASSWORD

if TYPE_CHECKING:
    from bench.__main__ import Context

OFFICERS = 32
CONCURRENCY = 16
PING_SQL = [
    "SELECT id, agency_id, on_duty, last_position_at FROM teams WHERE id = $1 FOR UPDATE",
    "SELECT 1 FROM team_members WHERE team_id = $1 AND user_id = $2",
    "INSERT INTO team_positions (team_id, user_id, at, location, accuracy_m) "
    "VALUES ($1, $2, $3, ST_SetSRID(ST_MakePoint($4, $5), 4326)::geography, $6)",
    "UPDATE teams SET last_position = ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography, "
    "last_position_at = $4, last_accuracy_m = $5 WHERE id = $1",
]


async def officers(dsn: str, n: int = OFFICERS) -> list[tuple[int, str, int]]:
    """``n`` field officers (created once), each in a different on-duty team:
    ``(team id, username, user id)``."""
    from api.security import hash_password

    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT t.id AS team_id, u.username, u.id AS user_id FROM users u "
            "JOIN team_members m ON m.user_id = u.id JOIN teams t ON t.id = m.team_id "
            "WHERE u.username LIKE 'bench.petugas.%' ORDER BY u.username"
        )
        if len(rows) >= n:
            return [(r[0], r[1], r[2]) for r in rows[:n]]
        teams = await conn.fetch(
            "SELECT id, agency_id FROM teams WHERE on_duty AND name LIKE '% Regu %' "
            "ORDER BY id LIMIT $1",
            n,
        )
        password = hash_password(SERVE_PASSWORD)
        async with conn.transaction():
            for i, t in enumerate(teams):
                uid = await conn.fetchval(
                    "INSERT INTO users (username, full_name, role, agency_id, password_hash, "
                    "language, active) VALUES ($1, $2, 'field_officer', $3, $4, 'id', true) "
                    "RETURNING id",
                    f"bench.petugas.{i:03d}",
                    f"Petugas Bench {i}",
                    t["agency_id"],
                    password,
                )
                await conn.execute(
                    "INSERT INTO team_members (team_id, user_id) VALUES ($1, $2)", t["id"], uid
                )
    finally:
        await conn.close()
    return await officers(dsn, n)


async def raw_load(
    dsn: str, members: list[tuple[int, str, int]], seconds: float, concurrency: int
) -> LoadResult:
    pool = await asyncpg.create_pool(dsn, min_size=concurrency, max_size=concurrency)
    assert pool is not None
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def loop(k: int) -> None:
        rng = random.Random(k)
        i = k * 17
        async with pool.acquire() as conn:
            while time.perf_counter() < deadline:
                i += 1
                team_id, _, user_id = members[i % len(members)]
                lat, lon = -4.10 + rng.random() * 0.17, 122.43 + rng.random() * 0.23
                acc = 5 + rng.random() * 40
                t0 = time.perf_counter()
                now = datetime.now(UTC)
                async with conn.transaction():
                    team = await conn.fetchrow(PING_SQL[0], team_id)
                    assert team is not None and team["on_duty"]
                    assert await conn.fetchval(PING_SQL[1], team_id, user_id)
                    await conn.execute(PING_SQL[2], team_id, user_id, now, lon, lat, acc)
                    await conn.execute(PING_SQL[3], team_id, lon, lat, now, acc)
                    live = {
                        "t": "position",
                        "team_id": team_id,
                        "agency_id": team["agency_id"],
                        "lon": lon,
                        "lat": lat,
                        "accuracy_m": acc,
                        "at": now.isoformat(),
                    }
                    await conn.execute("SELECT pg_notify('tanggap_live', $1)", json.dumps(live))
                latencies.append(time.perf_counter() - t0)

    return await timed_loops(pool, loop, concurrency, latencies)


async def timed_loops(
    pool: asyncpg.Pool,
    loop: Callable[[int], Awaitable[None]],
    concurrency: int,
    latencies: list[float],
) -> LoadResult:
    """``loop(0)`` .. ``loop(concurrency - 1)`` at once (each appends to ``latencies``), then
    the pool closes: the raw baseline's rate and latencies."""
    try:
        started = time.perf_counter()
        await asyncio.gather(*(loop(k) for k in range(concurrency)))
        elapsed = time.perf_counter() - started
    finally:
        await pool.close()
    return LoadResult.from_latencies(latencies, elapsed, len(latencies))


def run(ctx: Context) -> list[Figure]:
    s = ctx.seconds
    members = asyncio.run(officers(ctx.dataset.dsn))
    rows = [[team_id, login(ctx.api.base_url, username)] for team_id, username, _ in members]
    data = write_data(ctx.work / "positions.txt", rows)
    run_wrk(ctx.api.base_url, "positions.lua", data, connections=CONCURRENCY, seconds=2)
    pids = ctx.api.python_processes()
    before = cpu_seconds(pids)
    api = run_wrk(ctx.api.base_url, "positions.lua", data, connections=CONCURRENCY, seconds=s)
    if api.requests:
        api.cpu_ms = (cpu_seconds(pids) - before) * 1000 / api.requests
    ctx.log(f"  positions, API:        {api.summary()}")
    raw = asyncio.run(raw_load(ctx.dataset.dsn, members, s, CONCURRENCY))
    note = f"{len(members)} officers, {CONCURRENCY} in flight"
    group = "Position pings: POST /api/teams/{id}/positions"
    figures = against_raw(ctx, "positions", group, api, raw, "202", note, "same transaction")
    # Issue #20: pings at half the raw rate or better.
    figures[0].target, figures[0].met = ">= 0.50", api.rate >= 0.5 * raw.rate
    figures.append(
        Figure(
            group,
            "server CPU per ping",
            api.cpu_ms or 0.0,
            "ms",
            better="lower",
            note="user + system time of the API processes / requests (no raw counterpart: "
            "the raw run has no server)",
        )
    )
    return figures


def against_raw(
    ctx: Context,
    key: str,
    group: str,
    api: LoadResult,
    raw: LoadResult,
    status: str,
    note: str,
    same: str,
) -> list[Figure]:
    """Log and record the raw run; the API's throughput and p99 against it (``same``: what the
    raw run repeats), the note telling how many answers were not ``status``."""
    ctx.log(f"  {key}, raw:".ljust(25) + raw.summary())
    ctx.record[key] = {"api": api.__dict__, "raw": raw.__dict__}
    if api.ok(status) != api.requests:
        note += f"; {api.requests - api.ok(status)} answers not {status}"
    return [
        Figure(group, "throughput", api.rate, "req/s", raw.rate, f"raw asyncpg, {same}", note=note),
        Figure(group, "p99 latency", api.p99_ms, "ms", raw.p99_ms, "raw asyncpg", "lower"),
    ]
