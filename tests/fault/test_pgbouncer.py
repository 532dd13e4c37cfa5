"""Drill: the API and the worker behind PgBouncer in transaction pooling mode.

Real processes on 127.0.0.1: PgBouncer 1.18 (transaction mode, 4 server connections for the
test's database) in front of the test PostgreSQL, ``tanggap serve`` and ``tanggap worker`` with
``TANGGAP_DATABASE_URL`` on PgBouncer, ``TANGGAP_DATABASE_POOLED=1`` and the direct URL as
``TANGGAP_DATABASE_LISTEN_URL``, and the local push service. Eight flows at once (twice the
server connections): a logged call becomes a case that is assigned, accepted, driven to and
resolved; a citizen reports and follows the report on a device. Asserted: every answer is the
flow's own (no 5xx, no prepared-statement error), the dispatcher's live stream hears every
timeline event and replays the missed ones after ``Last-Event-ID``, every push is delivered, the
work really went through PgBouncer (its transaction count; more clients than server
connections, never more server connections than the pool), no named prepared statement is left
on its server connections, and the LISTEN connections are direct ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from api.adapters.events import libpq_dsn
from api.adapters.keys import vapid_keys
from api.config import Settings
from tests.conftest import Server
from tests.support.pgbouncer import PgBouncer, pgbouncer
from tests.support.processes import (
    ROOT,
    SERVE_PASSWORD,
    api_process,
    prepare_keys,
    retire_demo_passwords,
)
from tests.support.push_service import PushService
from tests.support.sse import SSEEvent, SSEStream

pytestmark = [pytest.mark.fault]

POOL = 4  # server connections PgBouncer may open to the test database
LANES = 8  # flows at once
CATEGORY = "KEMACETAN"  # Dishub, P2, no photo needed to resolve
TEAM = "Tim LPJU Dishub"  # petugas.dishub's team
OFFICER = "petugas.dishub"
# Apart enough that no flow's place is another's (Kendari, inside the service area).
PLACES = [(-3.99 + 0.004 * k, 122.50 + 0.004 * k) for k in range(LANES)]
STEPS = ["accept", "en_route", "on_scene", "resolve"]
KINDS = {"created", "dispatched", "accepted", "en_route", "on_scene", "resolved"}
CITIZEN_KINDS = {"created", "note", "dispatched"}  # the note holds the report's intake details


@dataclass
class Peaks:
    """The most client and server connections SHOW POOLS reported for the database."""

    clients: int = 0
    servers: int = 0
    waiting: int = 0  # clients queued for a server connection
    max_wait_ms: float = 0.0  # the longest a client has waited for one
    samples: int = 0
    stop: asyncio.Event = field(default_factory=asyncio.Event)


@contextlib.asynccontextmanager
async def _watching_pools(bouncer: PgBouncer, database: str) -> AsyncIterator[Peaks]:
    """Sample ``SHOW POOLS`` every 50 ms while the block runs."""
    peaks = Peaks()

    async def watch() -> None:
        while not peaks.stop.is_set():
            row = await asyncio.to_thread(bouncer.row, "POOLS", database)
            peaks.clients = max(peaks.clients, int(row["cl_active"]) + int(row["cl_waiting"]))
            servers = sum(int(row[k]) for k in ("sv_active", "sv_idle", "sv_used", "sv_tested"))
            peaks.servers = max(peaks.servers, servers + int(row["sv_login"]))
            peaks.waiting = max(peaks.waiting, int(row["cl_waiting"]))
            wait_ms = int(row["maxwait"]) * 1000 + int(row["maxwait_us"]) / 1000
            peaks.max_wait_ms = max(peaks.max_wait_ms, wait_ms)
            peaks.samples += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(peaks.stop.wait(), 0.05)

    task = asyncio.create_task(watch())
    try:
        yield peaks
    finally:
        peaks.stop.set()
        await asyncio.wait_for(task, 15)


@contextlib.contextmanager
def _worker(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "worker"],
            env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True,
        )  # fmt: skip
    try:
        yield proc
    finally:
        proc.terminate()  # the worker drains its jobs in flight (at most 10 s), then exits
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(20)
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


@contextlib.asynccontextmanager
async def _http(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        yield http


async def _sign_in(http: httpx.AsyncClient, username: str) -> dict[str, str]:
    r = await http.post("/api/auth/login", json={"username": username, "password": SERVE_PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def _stream(http: httpx.AsyncClient, auth: dict[str, str], **headers: str) -> SSEStream:
    r = await http.post("/api/events/tickets", headers=auth)
    assert r.status_code == 201, r.text
    url = str(http.base_url.join("/api/events"))
    return await SSEStream(url, params={"ticket": r.json()["ticket"]}, headers=headers).open()


async def _subscribe(
    http: httpx.AsyncClient,
    push: PushService,
    label: str,
    *,
    headers: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
) -> str:
    """A device registered at the local push service and with the API: its endpoint."""
    info = push.subscribe(label)
    r = await http.post(
        "/api/push/subscriptions",
        json={"endpoint": info["endpoint"], "keys": info["keys"], **(body or {})},
        headers=headers or {},
    )
    assert r.status_code == 201, r.text
    return str(info["endpoint"])


async def _staff_flow(
    http: httpx.AsyncClient, k: int, who: dict[str, dict[str, str]], ids: dict[str, int]
) -> str:
    """A call logged, its case created, assigned and worked to resolved; the case reference."""
    r = await http.post("/api/calls", headers=who["operator"], json={"number": f"08123456{k:04d}"})
    assert r.status_code == 201, r.text
    lat, lon = PLACES[k]
    body = {
        "category_id": ids["category"], "lat": lat, "lon": lon, "call_id": r.json()["id"],
        "description": f"Kemacetan panjang, latihan PgBouncer {k}", "address": "Jl. Ahmad Yani",
    }  # fmt: skip
    r = await http.post("/api/cases", headers=who["operator"], json=body)
    assert r.status_code == 201, r.text
    case = r.json()
    r = await http.post(
        f"/api/cases/{case['id']}/assign",
        headers=who["dispatcher"],
        json={"team_id": ids["team"], "version": case["version"]},
    )
    assert r.status_code == 200, r.text
    version = r.json()["version"]
    for action in STEPS:
        note = {"note": "Lalu lintas lancar kembali"} if action == "resolve" else {}
        r = await http.post(
            f"/api/cases/{case['id']}/transitions",
            headers=who["officer"],
            json={"action": action, "version": version, **note},
        )
        assert r.status_code == 200, (action, r.text)
        version = r.json()["version"]
    assert r.json()["status"] == "resolved"
    return str(case["reference"])


async def _citizen_flow(
    http: httpx.AsyncClient,
    push: PushService,
    k: int,
    who: dict[str, dict[str, str]],
    ids: dict[str, int],
) -> tuple[str, str]:
    """A citizen's report, the device that follows it, and the dispatcher sending the team (the
    citizen is told that the case is in process): (reference, device endpoint)."""
    lat, lon = PLACES[k]
    r = await http.post(
        "/api/public/reports",
        json={"category": CATEGORY, "description": f"Macet total {k}", "lat": lat + 0.001,
              "lon": lon, "language": "en"},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    report = r.json()
    body = {"tracking_token": report["tracking_token"], "language": "en"}
    device = await _subscribe(http, push, f"citizen-{k}", body=body)
    r = await http.get("/api/cases", headers=who["dispatcher"], params={"q": report["reference"]})
    assert r.status_code == 200, r.text
    (case,) = [c for c in r.json()["items"] if c["reference"] == report["reference"]]
    r = await http.post(
        f"/api/cases/{case['id']}/assign",
        headers=who["dispatcher"],
        json={"team_id": ids["team"], "version": case["version"]},
    )
    assert r.status_code == 200, r.text
    return str(report["reference"]), device


async def _ids(dsn: str) -> dict[str, int]:
    conn = await asyncpg.connect(dsn)
    try:
        category = await conn.fetchval("SELECT id FROM categories WHERE code = $1", CATEGORY)
        team = await conn.fetchval("SELECT id FROM teams WHERE name = $1", TEAM)
        return {"category": int(category), "team": int(team)}
    finally:
        await conn.close()


async def _prepared_statements_per_server(bouncer: PgBouncer, database: str) -> dict[int, int]:
    """Named prepared statements on each of PgBouncer's server connections: ``POOL`` clients
    hold a transaction each at once, so each has a server connection of its own."""
    all_in = asyncio.Barrier(POOL)

    async def one() -> tuple[int, int]:
        conn = await asyncpg.connect(libpq_dsn(bouncer.url(database)), statement_cache_size=0)
        try:
            async with conn.transaction():
                row = await conn.fetchrow(
                    "SELECT pg_backend_pid() AS pid, "
                    "(SELECT count(*) FROM pg_prepared_statements) AS named"
                )
                assert row is not None
                await asyncio.wait_for(all_in.wait(), 10)
            return int(row["pid"]), int(row["named"])
        finally:
            await conn.close()

    return dict(await asyncio.gather(*(one() for _ in range(POOL))))


async def _listening(dsn: str, database: str) -> list[tuple[str, int]]:
    """(channel query, client port) of the sessions that LISTEN on the test database."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT query, client_port FROM pg_stat_activity "
            "WHERE datname = $1 AND query ILIKE 'LISTEN %'",
            database,
        )
        return [(r["query"], int(r["client_port"])) for r in rows]
    finally:
        await conn.close()


async def test_intake_transitions_live_events_and_push_work_through_pgbouncer_in_transaction_mode(
    pg_server: Server, database_url: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    database = str(make_url(database_url).database)
    direct = libpq_dsn(database_url)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    prepare_keys(data_dir)
    retire_demo_passwords(database_url)
    ids = await _ids(direct)
    vapid = vapid_keys(replace(Settings(), data_dir=data_dir)).public_key
    with pgbouncer(pg_server, [database], pool_size=POOL) as bouncer:
        pooled = bouncer.url(database)
        settings = {
            "database_pooled": "1",
            "database_listen_url": database_url,
            "push_allow_http": "1",
            "push_allowed_hosts": "127.0.0.1",
            "worker_concurrency": "4",
            "worker_heartbeat_seconds": "2",
        }
        env = {k: v for k, v in os.environ.items() if not k.startswith("TANGGAP_")}
        env |= {f"TANGGAP_{k.upper()}": v for k, v in settings.items()}
        env |= {"TANGGAP_DATABASE_URL": pooled, "TANGGAP_DATA_DIR": str(data_dir)}
        before = bouncer.transactions(database)
        async with PushService(vapid) as push:
            with (
                api_process(pooled, data_dir, retire_demo=False, **settings) as api,
                _worker(env, tmp_path / "worker.log"),
            ):
                async with _http(api.base_url) as http:
                    who = {
                        "operator": await _sign_in(http, "operator"),
                        "dispatcher": await _sign_in(http, "dispatcher"),
                        "officer": await _sign_in(http, OFFICER),
                    }
                    officer_device = await _subscribe(http, push, "officer", headers=who["officer"])
                    live = await _stream(http, who["dispatcher"])
                    try:
                        assert (await live.next(event="hello")).json["user"] == "dispatcher"
                        flows_started = time.monotonic()
                        async with _watching_pools(bouncer, database) as peaks:
                            staff, citizens = await asyncio.gather(
                                asyncio.gather(
                                    *(_staff_flow(http, k, who, ids) for k in range(LANES))
                                ),
                                asyncio.gather(
                                    *(_citizen_flow(http, push, k, who, ids) for k in range(LANES))
                                ),
                            )
                        flows_s = time.monotonic() - flows_started

                        # Live: every timeline event of every flow, heard through the direct
                        # LISTEN although each NOTIFY was sent in a pooled transaction.
                        want = {(ref, kind) for ref in staff for kind in KINDS}
                        want |= {(ref, k) for ref, _ in citizens for k in CITIZEN_KINDS}
                        heard: list[SSEEvent] = []
                        while not want <= {(e.json["reference"], e.json["kind"]) for e in heard}:
                            heard.append(await live.next(20, event="case"))
                        assert len(heard) == len(want)  # each once, and nothing else
                    finally:
                        await live.close()

                    # Replay: reconnect after the first event heard; the rest come back.
                    first = min(int(str(e.id)) for e in heard)
                    later = sorted(int(str(e.id)) for e in heard if int(str(e.id)) > first)
                    back = await _stream(http, who["dispatcher"], **{"Last-Event-ID": str(first)})
                    try:
                        assert (await back.next(event="hello")).json["replayed"] == len(later)
                        replayed = [int(str((await back.next(event="case")).id)) for _ in later]
                        assert replayed == later
                    finally:
                        await back.close()

                # Push: a job per device and event, queued in the request's pooled transaction
                # and delivered by the worker through PgBouncer.
                await push.wait_for(
                    lambda: (
                        {r.payload["reference"] for r in push.for_device(officer_device)}
                        == set(staff) | {ref for ref, _ in citizens}
                    ),
                    timeout=30,
                    what="a push to the team's device for every assigned case",
                )
                for reference, device in citizens:
                    await push.wait_for(
                        lambda d=device: len(push.for_device(d)) >= 1,  # type: ignore[misc]
                        timeout=30,
                        what=f"the citizen's push for {reference}",
                    )
                    assert {r.payload["reference"] for r in push.for_device(device)} == {reference}

                listeners = await _listening(direct, database)
                server_ports = {int(r["local_port"]) for r in bouncer.show("SERVERS")}
                statements = await _prepared_statements_per_server(bouncer, database)

        after = bouncer.transactions(database)
    requests = LANES * (3 + len(STEPS)) + LANES * 4
    transactions = after - before
    print(
        f"\nPgBouncer drill: {LANES} flows at once, {requests} requests in {flows_s:.1f} s; "
        f"{transactions} transactions through PgBouncer; peak {peaks.clients} client and "
        f"{peaks.servers} server connections, up to {peaks.waiting} clients waiting (at most "
        f"{peaks.max_wait_ms:.0f} ms; {peaks.samples} samples); {len(heard)} live "
        f"events; whole drill {time.monotonic() - started:.1f} s"
    )
    # It went through PgBouncer, sharing its few server connections among more clients.
    assert transactions >= requests
    assert peaks.clients > POOL and 0 < peaks.servers <= POOL
    # No named prepared statement left behind on any server connection.
    assert len(statements) == POOL and set(statements.values()) == {0}, statements
    # The API's live channel and the worker's queue LISTEN on direct connections, none of them
    # PgBouncer's.
    channels = " ".join(q for q, _ in listeners)
    assert "tanggap_live" in channels and "pgqueuer" in channels, listeners
    assert not {port for _, port in listeners} & server_ports
