"""Failover drill: a primary, a synchronous hot standby and pg_auto_failover's monitor on
127.0.0.1, a PgBouncer (transaction mode) in front of each node as in production; the real API
(``tanggap serve``) and ``tanggap worker`` with their transactions on a multi-host URL over the
two PgBouncers and their LISTEN on one over the nodes (both ``target_session_attrs=read-write``,
``TANGGAP_DATABASE_POOLED=1``); intake load and an SSE listener running. Then the primary's
host dies: kill -9 of its keeper, its postmaster and its PgBouncer together.

Checked: every case acknowledged before the kill is already on the standby, read there before
it is promoted (synchronous replication); writes resume on the new primary within 30 s; every
201's case is read back; the SSE client, cut off by the listener's reset, reconnects with
``Last-Event-ID`` and gets every created case; the API answers only 201 or 503 with
Retry-After; a push queued after the failover reaches the local push service; the work went
through A's PgBouncer before the kill and B's after.

Bounded: every wait has a deadline; the drill takes about a minute (docs/operations.md has the
figures it measured). Run it alone: ``uv run pytest tests/fault/test_failover.py -s``.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path

import asyncpg
import httpx
import pytest

from api.adapters.keys import vapid_keys
from api.config import Settings
from tests.fault.test_embedded_dev_drill import _create_case
from tests.fault.test_fault_drills import _category_id, _missing, _token
from tests.support.autofailover import (
    DRILL_MONITOR_SETTINGS,
    PG_AUTOCTL,
    Formation,
    formation,
    tail,
    worker_process,
)
from tests.support.load import IntakeLoad
from tests.support.pgbouncer import PgBouncer, pgbouncer
from tests.support.processes import api_process, retire_demo_passwords
from tests.support.push_service import PushService
from tests.support.sse import SSEStream

pytestmark = [
    pytest.mark.fault,
    pytest.mark.ha,
    pytest.mark.skipif(not Path(PG_AUTOCTL).exists(), reason="pg_auto_failover not installed"),
]

POOL = 4  # server connections each PgBouncer opens to its node


@dataclass
class LiveListener:
    """A control-room screen: keeps ``GET /api/events`` open, and whenever the stream ends
    (the API's listener lost its connection and reset it) reopens it with ``Last-Event-ID``."""

    base_url: str
    token: str
    created: set[str] = field(default_factory=set)  # case ids of ``created`` events
    last_id: str | None = None
    opens: list[tuple[float, int, str | None]] = field(default_factory=list)
    resyncs: int = 0  # ``resync`` events: too much missed to replay, lists reloaded

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            headers = {"Authorization": f"Bearer {self.token}"}
            if self.last_id is not None:
                headers["Last-Event-ID"] = self.last_id
            stream = SSEStream(self.base_url + "/api/events", params={}, headers=headers)
            try:
                with contextlib.suppress(TimeoutError, httpx.HTTPError):
                    await stream.open()
                self.opens.append((time.monotonic(), stream.status, self.last_id))
                if stream.status == 200:
                    await self._read(stream, stop)
            finally:
                await stream.close()
            await asyncio.sleep(0.2)  # the browser's retry (shorter than RETRY_MS)

    async def _read(self, stream: SSEStream, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                event = await stream.next(timeout=0.5)
            except (AssertionError, TimeoutError):
                if stream._task is not None and stream._task.done() and stream.events.empty():
                    return  # the server ended the stream
                continue
            if event.id is not None:
                self.last_id = event.id
            if event.event == "case" and event.json["kind"] == "created":
                self.created.add(event.json["case_id"])
            elif event.event == "resync":
                await self._reload()

    async def _reload(self) -> None:
        """``resync``: more was missed than the server replays, so the screen reloads its
        lists (as the PWA does) and continues live from the id the event carried."""
        self.resyncs += 1
        cursor: str | None = None
        async with httpx.AsyncClient(base_url=self.base_url, timeout=10) as http:
            while True:
                params: dict[str, str | int] = {"limit": 200}
                if cursor:
                    params["cursor"] = cursor
                r = await http.get(
                    "/api/cases", params=params, headers={"Authorization": f"Bearer {self.token}"}
                )
                r.raise_for_status()
                page = r.json()
                self.created.update(item["id"] for item in page["items"])
                if not (cursor := page["next_cursor"]):
                    return


async def _on_standby_before_promotion(dsn: str, case_ids: list[str]) -> tuple[list[str], bool]:
    """The acknowledged cases missing from the standby once it has replayed all the WAL it
    received, and whether it was still a standby (not yet promoted) when read."""
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        # Replay until it stops moving: the primary is dead, nothing more arrives. (The
        # received position may end inside a record the dead primary never finished, so
        # replay need not reach it.)
        deadline, replayed, still = time.monotonic() + 5, None, 0
        while still < 3:
            assert time.monotonic() < deadline, "the standby's replay never settled"
            now = await conn.fetchval("SELECT pg_last_wal_replay_lsn()")
            still, replayed = (still + 1 if now == replayed else 0), now
            await asyncio.sleep(0.05)
        ids = [uuid.UUID(i) for i in case_ids]
        async with conn.transaction():
            found = {
                str(r["id"])
                for r in await conn.fetch("SELECT id FROM cases WHERE id = ANY($1)", ids)
            }
            standby = bool(await conn.fetchval("SELECT pg_is_in_recovery()"))
    finally:
        await conn.close()
    return [i for i in case_ids if i not in found], standby


async def _pushed_at(push: PushService, endpoint: str, case_id: str, timeout: float) -> float:
    """When the push service accepted the push about this case (``time.time()``)."""
    deadline = time.monotonic() + timeout
    while True:
        for message in push.for_device(endpoint):
            if message.payload.get("case_id") == case_id:
                return message.at
        assert time.monotonic() < deadline, f"no push about {case_id} within {timeout} s"
        await asyncio.sleep(0.05)


async def _transactions(bouncer: PgBouncer | None, database: str, at_least: int) -> int:
    """Transactions ``bouncer`` has passed on, once they are ``at_least`` (its statistics
    lag by up to a second); the count seen."""
    assert bouncer is not None
    deadline = time.monotonic() + 5
    while (seen := await asyncio.to_thread(bouncer.transactions, database)) < at_least:
        assert time.monotonic() < deadline, f"{seen} transactions through {bouncer.port}"
        await asyncio.sleep(0.2)
    return seen


async def _primary_settings(dsn: str) -> dict[str, str]:
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        rows = await conn.fetch(
            "SELECT name, setting FROM pg_settings "
            "WHERE name IN ('synchronous_standby_names', 'synchronous_commit')"
        )
        rows += await conn.fetch(
            "SELECT 'sync_state' AS name, sync_state AS setting FROM pg_stat_replication"
        )
    finally:
        await conn.close()
    return {r["name"]: r["setting"] for r in rows}


async def test_killing_the_primary_host_fails_over_losing_no_acknowledged_write() -> None:
    # Not pytest's tmp_path: concurrent pytest runs prune each other's numbered folders.
    data = Path(tempfile.mkdtemp(prefix="tanggap-ha-data-"))
    try:
        with formation() as f, contextlib.ExitStack() as bouncers:
            try:
                await _drill(f, data, bouncers)
            except BaseException:
                print(f.logs())
                print("--- worker\n" + tail(data / "worker.log"))
                print("--- api\n" + tail(data / "api.log"))
                raise
    finally:
        shutil.rmtree(data, ignore_errors=True)


async def _prepare(f: Formation) -> None:
    """Monitor, primary (migrated and seeded), then the standby cloned from it."""
    from api.db import migrate
    from api.db.session import make_engine, make_sessionmaker
    from api.seed import seed_demo_users, seed_reference

    await asyncio.to_thread(f.create_monitor)
    await f.wait_accepting(f.monitor)
    await f.tune_monitor(DRILL_MONITOR_SETTINGS)
    first = await asyncio.to_thread(f.add_node, "node_a")
    await f.wait_states({"node_a": "single"}, 60)
    await f.wait_accepting(first)
    url = f.url()
    await asyncio.to_thread(migrate.upgrade, url)
    engine = make_engine(url, 1, 0)
    async with make_sessionmaker(engine)() as db, db.begin():
        await seed_reference(db)
        await seed_demo_users(db)
    await engine.dispose()
    # The standby's base backup starts with a checkpoint; spread (the default), one after
    # the whole seed would take minutes. Written now, it has little left to do.
    conn = await asyncpg.connect(first.dsn(), timeout=5)
    try:
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()
    await asyncio.to_thread(f.add_node, "node_b")
    await f.wait_states({"node_a": "primary", "node_b": "secondary"}, 60)
    assert first is f.nodes["node_a"]


async def _drill(f: Formation, data: Path, bouncers: contextlib.ExitStack) -> None:
    began = time.monotonic()
    await _prepare(f)
    old, new = f.nodes["node_a"], f.nodes["node_b"]
    # Production's topology: a PgBouncer on each node's host, in front of its PostgreSQL.
    for node in (old, new):
        node.pgbouncer = bouncers.enter_context(
            pgbouncer(node.server(), [f.database], pool_size=POOL)
        )
    prepared = time.monotonic()
    sync = await _primary_settings(old.dsn())
    # pg_auto_failover's synchronous replication: a commit waits for the standby's flush.
    assert sync["synchronous_standby_names"] == "ANY 1 (pgautofailover_standby_2)", sync
    assert sync["synchronous_commit"] == "on" and sync["sync_state"] == "quorum", sync

    # Requests and the queue through the PgBouncers, LISTEN straight to the nodes; both
    # multi-host with target_session_attrs=read-write.
    direct, pooled = f.url(), f.pooled_url()
    app_settings = {
        "push_allow_http": "1",
        "push_allowed_hosts": "127.0.0.1",
        "database_pooled": "1",
        "database_listen_url": direct,
    }
    category = await _category_id(old.dsn())
    fire = await _category_id(old.dsn(), "KEBAKARAN_BANGUNAN")  # P1: dispatchers get a push
    retire_demo_passwords(direct)
    with api_process(pooled, data, retire_demo=False, db_pool_size=6, **app_settings) as api:
        worker_process(f, data, pooled, worker_stall_seconds=5, **app_settings)
        settings = replace(Settings(), data_dir=data)
        async with PushService(vapid_keys(settings).public_key) as push:
            dispatcher = await _token(api.base_url, "dispatcher")
            device = await push.subscribe_through_api(api.base_url, dispatcher, "dispatcher")
            operator = await _token(api.base_url, "operator")
            live, stop_live = LiveListener(api.base_url, dispatcher), asyncio.Event()
            listening = asyncio.create_task(live.run(stop_live))
            async with IntakeLoad(api.base_url, operator, category, concurrency=4) as load:
                await load.wait_for(lambda: len(load.created) >= 20, 30, "20 acknowledged cases")
                await load.wait_for(lambda: bool(live.created), 10, "a live event")
                through_a = await _transactions(old.pgbouncer, f.database, 20)
                await asyncio.to_thread(f.kill_host, old)
                killed = time.monotonic()
                acked_at_kill = list(load.created)
                missing_on_standby, still_standby = await _on_standby_before_promotion(
                    new.dsn(), acked_at_kill
                )
                checked = time.monotonic()
                promoted = await f.wait_states({"node_b": "wait_primary"}, 30)
                await load.wait_for(
                    lambda: any(a.status != 201 for a in load.since(killed)),
                    30,
                    "the API noticing the dead primary",
                )
                first_failure = min(a.at for a in load.since(killed) if a.status != 201)
                await load.wait_for(
                    lambda: any(a.status == 201 for a in load.since(first_failure)),
                    30,
                    "a created case on the new primary",
                )
                resumed = min(a.at for a in load.since(first_failure) if a.status == 201)
                # A push queued after the failover is delivered by the reconnected worker.
                queued = time.time()
                p1_case = await _create_case(api.base_url, operator, fire)
                delivered = await _pushed_at(push, device["endpoint"], p1_case, 30)
                after = len(load.created)
                await load.wait_for(lambda: len(load.created) >= after + 10, 20, "steady intake")
            acknowledged = load.created
            deadline = time.monotonic() + 20
            while not set(acknowledged) <= live.created:
                assert time.monotonic() < deadline, (
                    f"{len(set(acknowledged) - live.created)} created cases never reached the "
                    f"live stream; opens: {live.opens}, resyncs: {live.resyncs}, last id: "
                    f"{live.last_id}, stopped: {listening.done() and listening.exception()!r}"
                )
                await asyncio.sleep(0.1)
            stop_live.set()
            await asyncio.wait_for(listening, 15)
            after_kill = sum(a.status == 201 for a in load.since(killed))
            through_b = await _transactions(new.pgbouncer, f.database, after_kill)
    missing = await _missing(new.dsn(), acknowledged)
    states = await f.states()

    statuses = {a.status for a in load.answers}
    answers_503 = [a for a in load.answers if a.status == 503]
    reopened = [o for o in live.opens if o[0] > killed and o[1] == 200]
    # Intake with every commit waiting for the standby (4 operators, before the kill).
    start = load.answers[0].at
    sync_rate = sum(a.status == 201 for a in load.answers if a.at <= killed) / (killed - start)
    figures = {
        "formation_ready_s": round(prepared - began, 1),
        "standby_read_after_kill_s": round(checked - killed, 2),
        "promoted_s": round(promoted - killed, 2),
        "writes_resumed_s": round(resumed - killed, 2),
        "push_delivered_after_queued_s": round(delivered - queued, 2),
        "acknowledged": len(acknowledged),
        "pgbouncer_a_transactions_before_kill": through_a,
        "pgbouncer_b_transactions": through_b,
        "acknowledged_at_kill": len(acked_at_kill),
        "answers_503": len(answers_503),
        "refused_or_reset": sum(a.status == 0 for a in load.answers),
        "sse_reopened": len(reopened),
        "sse_resyncs": live.resyncs,
        "intake_per_s_synchronous": round(sync_rate, 1),
        "drill_s": round(time.monotonic() - began, 1),
    }
    print("DRILL", figures, states)
    assert missing_on_standby == [] and still_standby, (missing_on_standby, still_standby)
    assert statuses <= {201, 503}, f"unexpected answers: {statuses}"
    assert all(a.retry_after and int(a.retry_after) > 0 for a in answers_503)
    assert missing == {"case": [], "created event": [], "reporter": []}
    assert resumed - killed <= 30.0, figures
    assert states["node_b"][0] in ("wait_primary", "primary"), states
    # The stream was reopened after the kill with the last id seen, and replayed from there.
    assert reopened and all(o[2] is not None for o in reopened), live.opens
