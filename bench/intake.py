"""Intake: ``POST /api/cases`` under load, against the raw database doing the same writes.

- **API**: ``tanggap serve`` (production settings, fsync on), an operator's token, ``wrk`` with
  ``bench/intake.lua`` varying the category (by weight), the point and the reporter.
- **Baseline A, raw asyncpg**: the same transaction shape with no framework and no ORM: read the
  category, find the kecamatan (KNN on the centres), insert the case, the reporter and the
  ``created`` event, write the outbox rows and queue their push jobs for P1 cases (one per
  dispatcher device, as the real path does), ``pg_notify`` the live event, commit. As many
  transactions in flight as wrk keeps requests, from as many processes as the API has workers.
- **Baseline B, minimal Litestar**: one endpoint doing baseline A's transaction behind Litestar and
  msgspec, served by uvicorn with the same workers: what the framework and server alone cost.
- **Baseline B0, hello**: the same minimal app answering ``GET /ping``: the HTTP ceiling.

``python -m bench.intake --raw ...`` is baseline A's load process (prints one JSON line).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import asyncpg

from bench.harness import (
    Figure,
    LoadResult,
    Proc,
    cpu_seconds,
    free_port,
    run_wrk,
    spawn,
    wait_http,
    write_data,
)

if TYPE_CHECKING:
    from bench.__main__ import Context

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LIVE_CHANNEL = "tanggap_live"
# The bodies' points: inside the city's service area.
BODY_BBOX = (122.45, -4.08, 122.64, -3.94)


# -------------------------------------------------------- the raw transaction
@dataclass(frozen=True)
class CategoryRow:
    id: int
    agency_id: int
    priority: str
    accept_min: int
    arrive_min: int
    resolve_min: int
    name_id: str
    name_en: str


async def categories(conn: asyncpg.Connection) -> dict[int, CategoryRow]:
    rows = await conn.fetch(
        "SELECT id, agency_id, priority, sla_accept_min, sla_arrive_min, sla_resolve_min, "
        "name_id, name_en FROM categories WHERE active"
    )
    return {r[0]: CategoryRow(*r) for r in rows}


def weighted_category_ids(cats: list[tuple[int, str]]) -> list[int]:
    """Category ids repeated by weight (the generator's weights), for drawing bodies."""
    from bench.generate import CATEGORY_WEIGHTS, DEFAULT_CATEGORY_WEIGHT

    out: list[int] = []
    for cid, code in cats:
        out += [cid] * max(1, round(2 * CATEGORY_WEIGHTS.get(code, DEFAULT_CATEGORY_WEIGHT)))
    return out


CATEGORY_SQL = (
    "SELECT id, agency_id, priority, sla_accept_min, sla_arrive_min, sla_resolve_min, "
    "name_id, name_en, active FROM categories WHERE id = $1"
)
AREA_SQL = (
    "SELECT id FROM areas ORDER BY center <-> "
    "ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography LIMIT 1"
)
CASE_SQL = """
INSERT INTO cases (id, reference, category_id, agency_id, priority, status, location, address,
                   landmark, area_id, description, channel, out_of_area, accept_by, arrive_by,
                   resolve_by, escalated_stages, created_by_id, version, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, 'new', ST_SetSRID(ST_MakePoint($6, $7), 4326)::geography, $8, $9,
        $10, $11, 'phone', false, $12, $13, $14, '{}', $15, 1, $16, $16)
"""
REPORTER_SQL = """
INSERT INTO case_reporters (case_id, original_case_id, name, phone, channel, language, created_at)
VALUES ($1, $1, $2, $3, 'phone', 'id', $4)
"""
EVENT_SQL = """
INSERT INTO case_events (case_id, kind, to_status, actor_id, actor_kind, at, note, data, public)
VALUES ($1, 'created', 'new', $2, 'user', $3, '', $4::jsonb, true) RETURNING id
"""
OUTBOX_SQL = """
INSERT INTO notifications (event_key, kind, subscription_id, user_id, case_id, payload, urgency,
                           topic, ttl_s, status, attempts, next_attempt_at, last_error,
                           created_at)
SELECT $1, 'new_p1', s.id, s.user_id, $2, $3::jsonb, 'high', $4, 3600, 'pending', 0, $5, '', $5
FROM push_subscriptions s JOIN users u ON u.id = s.user_id
WHERE u.active AND u.role = 'dispatcher'
ON CONFLICT ON CONSTRAINT uq_notifications_event_sub DO NOTHING
RETURNING id
"""


def reference(now: datetime) -> str:
    local = now + timedelta(hours=8)
    return f"KDI-{local:%y%m%d}-" + "".join(secrets.choice(ALPHABET) for _ in range(6))


async def insert_case_raw(
    conn: asyncpg.Connection,
    body: dict[str, Any],
    actor_id: int,
) -> tuple[uuid.UUID, str]:
    """Baseline A's transaction: what intake must write, as plain SQL."""
    from pgqueuer.queries import Queries

    now = datetime.now(UTC)
    async with conn.transaction():
        c = await conn.fetchrow(CATEGORY_SQL, body["category_id"])
        if c is None or not c["active"]:
            raise LookupError("unknown category")
        lon, lat = body["lon"], body["lat"]
        area_id = await conn.fetchval(AREA_SQL, lon, lat)
        cid = uuid.uuid4()
        ref = reference(now)
        await conn.execute(
            CASE_SQL,
            cid,
            ref,
            c["id"],
            c["agency_id"],
            c["priority"],
            lon,
            lat,
            body.get("address", ""),
            body.get("landmark", ""),
            area_id,
            body["description"],
            now + timedelta(minutes=c["sla_accept_min"]),
            now + timedelta(minutes=c["sla_arrive_min"]),
            now + timedelta(minutes=c["sla_resolve_min"]),
            actor_id,
            now,
        )
        reporter = body.get("reporter") or {}
        await conn.execute(REPORTER_SQL, cid, reporter.get("name"), reporter.get("phone"), now)
        data = {"channel": "phone", "agency_id": c["agency_id"], "out_of_area": False}
        event_id = await conn.fetchval(EVENT_SQL, cid, actor_id, now, json.dumps(data))
        if c["priority"] == "P1":
            payload = {
                "title": "Kasus P1 baru",
                "body": f"{ref} · {c['name_id']}",
                "url": f"/cases/{cid}",
                "tag": f"case-{cid}",
            }
            ids = [
                r[0]
                for r in await conn.fetch(
                    OUTBOX_SQL,
                    f"case-event:{event_id}",
                    cid,
                    json.dumps(payload),
                    "p1" + cid.hex[:22],
                    now,
                )
            ]
            if ids:
                await Queries.from_asyncpg_connection(conn).enqueue(
                    ["push.deliver"] * len(ids),
                    [str(i).encode() for i in ids],
                    [10] * len(ids),
                    dedupe_key=[f"push:{i}" for i in ids],
                    on_conflict="skip",
                )
        live = {
            "t": "case",
            "id": event_id,
            "case_id": str(cid),
            "reference": ref,
            "kind": "created",
            "from_status": None,
            "to_status": "new",
            "at": now.isoformat(),
            "status": "new",
            "priority": c["priority"],
            "agency_id": c["agency_id"],
            "team_id": None,
            "category_id": c["id"],
            "lon": lon,
            "lat": lat,
            "data": data,
        }
        await conn.execute("SELECT pg_notify($1, $2)", LIVE_CHANNEL, json.dumps(live))
    return cid, ref


def random_body(rng: random.Random, cat_ids: list[int], n: int) -> dict[str, Any]:
    min_lon, min_lat, max_lon, max_lat = BODY_BBOX
    return {
        "category_id": rng.choice(cat_ids),
        "lat": round(rng.uniform(min_lat, max_lat), 6),
        "lon": round(rng.uniform(min_lon, max_lon), 6),
        "description": f"Laporan warga {n}: mohon segera ditangani",
        "address": f"Jl. Bench No. {n % 250}",
        "landmark": f"dekat pos {n % 40}",
        "reporter": {"name": f"Warga {n}", "phone": f"+62812{rng.randrange(10**8):08d}"},
    }


async def raw_load(dsn: str, concurrency: int, seconds: float, seed: int) -> dict[str, Any]:
    """Baseline A's load: ``concurrency`` connections, each committing back to back."""
    pool = await asyncpg.create_pool(dsn, min_size=concurrency, max_size=concurrency)
    assert pool is not None
    try:
        async with pool.acquire() as conn:
            cats = await conn.fetch("SELECT id, code FROM categories WHERE active")
            actor = int(await conn.fetchval("SELECT id FROM users WHERE username = 'operator'"))
        cat_ids = weighted_category_ids([(r[0], r[1]) for r in cats])
        latencies: list[float] = []
        errors = 0
        deadline = time.perf_counter() + seconds

        async def loop(k: int) -> None:
            nonlocal errors
            rng = random.Random(seed * 1000 + k)
            n = 0
            async with pool.acquire() as conn:
                while time.perf_counter() < deadline:
                    n += 1
                    t0 = time.perf_counter()
                    try:
                        await insert_case_raw(conn, random_body(rng, cat_ids, n), actor)
                    except (asyncpg.PostgresError, LookupError):
                        errors += 1
                        continue
                    latencies.append(time.perf_counter() - t0)

        started = time.perf_counter()
        await asyncio.gather(*(loop(k) for k in range(concurrency)))
        elapsed = time.perf_counter() - started
    finally:
        await pool.close()
    return {"latencies": latencies, "seconds": elapsed, "errors": errors}


def run_raw(dsn: str, *, concurrency: int, seconds: float, processes: int) -> LoadResult:
    """Baseline A over ``processes`` OS processes (as many as the API has workers)."""
    import subprocess

    per = max(1, concurrency // processes)
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.intake",
                "--raw",
                "--dsn",
                dsn,
                "--concurrency",
                str(per),
                "--seconds",
                str(seconds),
                "--seed",
                str(i + 1),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(processes)
    ]
    latencies: list[float] = []
    errors = 0
    elapsed = 0.0
    for p in procs:
        out, _ = p.communicate(timeout=seconds + 120)
        if p.returncode != 0:
            raise RuntimeError(f"raw intake load failed ({p.returncode})")
        d = json.loads(out.strip().splitlines()[-1])
        latencies += d["latencies"]
        errors += d["errors"]
        elapsed = max(elapsed, d["seconds"])
    return LoadResult.from_latencies(
        latencies,
        elapsed,
        len(latencies),
        statuses={"committed": len(latencies)},
        errors={"failed": errors} if errors else {},
    )


# -------------------------------------------------------------- the bench
def start_minimal(ctx: Context, workers: int) -> Proc:
    import os

    port = free_port()
    env = {**os.environ, "BENCH_DSN": ctx.dataset.dsn}
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "bench.intake_minimal:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    proc = spawn(f"minimal-{workers}", cmd, env, ctx.logs / f"minimal-{workers}.log")
    proc.base_url = f"http://127.0.0.1:{port}"
    try:
        wait_http(proc, "/ping")
    except BaseException:
        proc.stop()
        raise
    return proc


async def _intake_inputs(dsn: str) -> list[int]:
    conn = await asyncpg.connect(dsn)
    try:
        cats = await conn.fetch("SELECT id, code FROM categories WHERE active ORDER BY id")
    finally:
        await conn.close()
    return weighted_category_ids([(r[0], r[1]) for r in cats])


def intake_data(ctx: Context, token: str) -> Any:
    cat_ids = asyncio.run(_intake_inputs(ctx.dataset.dsn))
    return write_data(
        ctx.work / "intake.txt",
        [[token], cat_ids, list(BODY_BBOX)],
    )


def measure(ctx: Context, proc: Proc, token: str, seconds: float) -> LoadResult:
    """Intake load on a server; also the CPU its processes spent per request."""
    data = intake_data(ctx, token)
    run_wrk(proc.base_url, "intake.lua", data, connections=ctx.connections, seconds=2)
    pids = proc.python_processes()
    before = cpu_seconds(pids)
    result = run_wrk(
        proc.base_url, "intake.lua", data, connections=ctx.connections, seconds=seconds
    )
    if result.requests:
        result.cpu_ms = (cpu_seconds(pids) - before) * 1000 / result.requests
    return result


def run(ctx: Context) -> list[Figure]:
    from bench.harness import login

    s = ctx.seconds
    token = login(ctx.api.base_url, "operator")
    api = measure(ctx, ctx.api, token, s)
    ctx.log(f"  intake, API:           {api.summary()}")
    raw = run_raw(
        ctx.dataset.dsn, concurrency=ctx.connections, seconds=s, processes=ctx.api_workers
    )
    ctx.log(f"  intake, raw asyncpg:   {raw.summary()}")
    minimal = start_minimal(ctx, ctx.api_workers)
    try:
        lite = measure(ctx, minimal, "unused", s)
        ctx.log(f"  intake, minimal app:   {lite.summary()}")
        ping_data = write_data(ctx.work / "ping.txt", [["/ping"]])
        hello = run_wrk(
            minimal.base_url, "get.lua", ping_data, connections=ctx.connections, seconds=s / 2
        )
        ctx.log(f"  hello, minimal app:    {hello.summary()}")
    finally:
        minimal.stop()

    created = api.ok("201")
    bad = api.requests - created
    ctx.record["intake"] = {
        "api": api.__dict__,
        "raw": {k: v for k, v in raw.__dict__.items()},
        "minimal": lite.__dict__,
        "hello": hello.__dict__,
    }
    group = "Intake: POST /api/cases"
    note = f"{created} created, {bad} not 201" if bad else f"all {created} answered 201"
    return [
        Figure(
            group,
            "throughput vs raw asyncpg (A)",
            api.rate,
            "req/s",
            raw.rate,
            "raw asyncpg, same transaction",
            target=">= 0.50",
            met=api.rate >= 0.5 * raw.rate,
            note=note,
        ),
        Figure(
            group,
            "throughput vs minimal Litestar (B)",
            api.rate,
            "req/s",
            lite.rate,
            "minimal Litestar + raw SQL",
        ),
        Figure(group, "p50 latency", api.p50_ms, "ms", raw.p50_ms, "raw asyncpg", "lower"),
        Figure(group, "p99 latency", api.p99_ms, "ms", raw.p99_ms, "raw asyncpg", "lower"),
        Figure(
            group,
            "p99 latency vs minimal Litestar (B)",
            api.p99_ms,
            "ms",
            lite.p99_ms,
            "minimal Litestar + raw SQL",
            "lower",
        ),
        Figure(
            group,
            "server CPU per request vs minimal Litestar (B)",
            api.cpu_ms or 0.0,
            "ms",
            lite.cpu_ms,
            "minimal Litestar + raw SQL",
            "lower",
            target="<= 3.0x",
            met=api.cpu_ms is not None and api.cpu_ms <= 3 * lite.cpu_ms,
            note="user + system time of the server processes / requests: "
            "independent of other load on the machine",
        ),
        Figure(
            group,
            "HTTP ceiling: minimal app GET /ping",
            hello.rate,
            "req/s",
            note="same server and workers, no database",
        ),
    ]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--raw", action="store_true", help="run baseline A's load and print JSON")
    p.add_argument("--dsn", required=True)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    if not args.raw:
        p.error("only --raw is runnable on its own; `python -m bench` runs the whole bench")
    result = asyncio.run(raw_load(args.dsn, args.concurrency, args.seconds, args.seed))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
