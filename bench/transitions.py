"""Case transitions: ``POST /api/cases/{id}/assign`` and ``/transitions`` req/s, against the raw
transaction.

Each of 16 connections walks its own cases, one team each (the field officers of the positions
bench): the control room assigns the case to the team, the team's officer accepts, sets off
(en route) and returns it with a note, and the next case follows. The baseline does what each
move must, with asyncpg and the same concurrency: lock the case and check its version, check
the mover's team, set the status and bump the version, append the timeline event, look up the
team's devices for an assignment (none here, as in the API run), ``pg_notify`` the live map,
commit.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import asyncpg

from bench.harness import Figure, LoadResult, login, run_wrk, write_data
from bench.positions import against_raw, officers, timed_loops

if TYPE_CHECKING:
    from bench.__main__ import Context

CONNECTIONS = 16
CASES_PER_TEAM = 8
# (action, status reached, event kind, status it starts from)
CYCLE = [
    ("assign", "dispatched", "dispatched", "returned"),
    ("accept", "accepted", "accepted", "dispatched"),
    ("en_route", "en_route", "en_route", "accepted"),
    ("return", "returned", "returned", "en_route"),
]
RAW_SQL = {
    "lock": "SELECT id, version, status, agency_id, team_id, reference, priority, category_id, "
    "ST_X(location::geometry) AS lon, ST_Y(location::geometry) AS lat "
    "FROM cases WHERE id = $1 FOR UPDATE",
    "member": "SELECT 1 FROM team_members WHERE team_id = $1 AND user_id = $2",
    "team": "SELECT agency_id FROM teams WHERE id = $1",
    "move": "UPDATE cases SET status = $2, team_id = $3, version = version + 1, updated_at = $4, "
    "dispatched_at = coalesce(dispatched_at, $4) WHERE id = $1 RETURNING version",
    "event": "INSERT INTO case_events (case_id, kind, from_status, to_status, actor_id, "
    "actor_kind, at, note, data, public) VALUES ($1, $2, $3, $4, $5, 'user', $6, $7, $8, true) "
    "RETURNING id",
    "devices": "SELECT s.id, s.language, s.user_id FROM push_subscriptions s "
    "JOIN users u ON u.id = s.user_id JOIN team_members m ON m.user_id = u.id "
    "WHERE u.active AND m.team_id = $1 ORDER BY s.id",
}


async def cases_for(dsn: str, teams: list[int], per_team: int) -> list[tuple[str, int, int]]:
    """``per_team`` cases of each team's agency, made assignable (``returned``, no team):
    ``(case id, team id, version)``, the cases of one team next to each other."""
    conn = await asyncpg.connect(dsn)
    try:
        out: list[tuple[str, int, int]] = []
        taken: list[str] = []
        async with conn.transaction():
            for team_id in teams:
                rows = await conn.fetch(
                    "SELECT c.id, c.version FROM cases c JOIN teams t ON t.agency_id = c.agency_id "
                    "WHERE t.id = $1 AND c.duplicate_of_id IS NULL AND NOT c.sensitive "
                    "AND NOT (c.id = ANY($3::uuid[])) ORDER BY c.created_at DESC LIMIT $2",
                    team_id,
                    per_team,
                    taken,
                )
                for r in rows:
                    taken.append(r["id"])
                    out.append((str(r["id"]), team_id, r["version"]))
            await conn.execute(
                "UPDATE cases SET status = 'returned', team_id = NULL WHERE id = ANY($1::uuid[])",
                taken,
            )
    finally:
        await conn.close()
    return out


async def raw_load(
    dsn: str,
    work: list[list[tuple[str, int, int]]],
    members: dict[int, int],
    seconds: float,
) -> LoadResult:
    """One connection per team (``work``: each team's cases), walking them as the API run."""
    concurrency = len(work)
    pool = await asyncpg.create_pool(dsn, min_size=concurrency, max_size=concurrency)
    assert pool is not None
    dispatcher_id = await pool.fetchval("SELECT id FROM users WHERE username = 'dispatcher'")
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def move(conn: asyncpg.Connection, case_id: str, team_id: int, step: int) -> None:
        action, to, kind, source = CYCLE[step]
        now = datetime.now(UTC)
        actor = dispatcher_id if action == "assign" else members[team_id]
        async with conn.transaction():
            case = await conn.fetchrow(RAW_SQL["lock"], case_id)
            assert case is not None and case["status"] == source
            if action == "assign":
                assert await conn.fetchval(RAW_SQL["team"], team_id) == case["agency_id"]
            else:
                assert await conn.fetchval(RAW_SQL["member"], team_id, actor)
            team = None if action == "return" else team_id
            await conn.fetchval(RAW_SQL["move"], case_id, to, team, now)
            data = {"team_id": team_id, "previous_team_id": None} if action == "assign" else {}
            note = "bench" if action == "return" else ""
            event_id = await conn.fetchval(
                RAW_SQL["event"], case_id, kind, source, to, actor, now, note, json.dumps(data)
            )
            if action == "assign":
                await conn.fetch(RAW_SQL["devices"], team_id)
            live = {
                "t": "case",
                "id": event_id,
                "case_id": case_id,
                "reference": case["reference"],
                "kind": kind,
                "from_status": source,
                "to_status": to,
                "at": now.isoformat(),
                "status": to,
                "priority": case["priority"],
                "agency_id": case["agency_id"],
                "team_id": team,
                "category_id": case["category_id"],
                "lon": case["lon"],
                "lat": case["lat"],
                "data": data,
            }
            await conn.execute("SELECT pg_notify('tanggap_live', $1)", json.dumps(live))

    async def loop(k: int) -> None:
        mine = work[k]
        i = step = 0
        async with pool.acquire() as conn:
            while time.perf_counter() < deadline:
                case_id, team_id, _ = mine[i]
                t0 = time.perf_counter()
                await move(conn, case_id, team_id, step)
                latencies.append(time.perf_counter() - t0)
                step = (step + 1) % len(CYCLE)
                if step == 0:
                    i = (i + 1) % len(mine)
            # Leave every case ready for the next cycle (assignable).
            while step != 0:
                await move(conn, mine[i][0], mine[i][1], step)
                step = (step + 1) % len(CYCLE)

    return await timed_loops(pool, loop, concurrency, latencies)


def _by_team(work: list[tuple[str, int, int]]) -> list[list[tuple[str, int, int]]]:
    """The cases of each team that has all of its ``CASES_PER_TEAM``."""
    teams: dict[int, list[tuple[str, int, int]]] = {}
    for row in work:
        teams.setdefault(row[1], []).append(row)
    return [rows for rows in teams.values() if len(rows) == CASES_PER_TEAM]


def run(ctx: Context) -> list[Figure]:
    s, dsn = ctx.seconds, ctx.dataset.dsn
    members = asyncio.run(officers(dsn))[:CONNECTIONS]
    officer_of = {team_id: user_id for team_id, _, user_id in members}
    tokens = {team_id: login(ctx.api.base_url, name) for team_id, name, _ in members}
    dispatcher = login(ctx.api.base_url, "dispatcher")
    # Separate cases for the API and the raw run, each from the same state.
    work = asyncio.run(cases_for(dsn, list(tokens), 2 * CASES_PER_TEAM))
    api_work = [row for i, row in enumerate(work) if i % (2 * CASES_PER_TEAM) < CASES_PER_TEAM]
    raw_work = [row for i, row in enumerate(work) if i % (2 * CASES_PER_TEAM) >= CASES_PER_TEAM]
    # Each connection (one per wrk thread) takes the cases of one team: line i goes to thread
    # i % n + 1, so the lines go rank by rank, team by team.
    by_team = _by_team(api_work)
    if not by_team:
        raise RuntimeError(f"no bench team has {CASES_PER_TEAM} cases of its agency")
    lines = [
        [case_id, team_id, version, dispatcher, tokens[team_id]]
        for rank in range(CASES_PER_TEAM)
        for rows in by_team
        for case_id, team_id, version in [rows[rank]]
    ]
    data = write_data(ctx.work / "transitions.txt", lines)
    n = len(by_team)
    api = run_wrk(
        ctx.api.base_url,
        "transitions.lua",
        data,
        connections=n,
        threads=n,
        seconds=s,
        extra_args=[str(n)],
    )
    ctx.log(f"  transitions, API:      {api.summary()}")
    raw = asyncio.run(raw_load(dsn, _by_team(raw_work), officer_of, s))
    note = f"{n} teams, {n} in flight, assign/accept/en route/return in turn"
    group = "Transitions: POST /api/cases/{id}/assign and /transitions"
    return against_raw(ctx, "transitions", group, api, raw, "200", note, "same moves")
