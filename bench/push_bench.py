"""Push benchmark: one worker's delivery rate, and the time from a case change to the push.

``uv run python -m bench.push_bench`` starts a throwaway PostGIS cluster, the local push service
(``tests/support/push_service.py``, which decrypts every message and checks its VAPID JWT) and
one ``tanggap worker`` process, each in its own process. It measures, in the same run:

- throughput: one case event for a team with ``--devices`` devices; messages accepted (decrypted)
  per second, from the start of the change (its transaction writes every outbox row) to the
  last one; the baseline is the same number of raw
  ``pywebpush.webpush_async`` sends (same concurrency, one reused session) with no outbox,
  queue or database;
- latency: ``--changes`` case changes one after another, each for one device: an assignment
  through the API's own use case (``api.services.cases.act``, as the ``assign`` route calls
  it, with a seeded dispatcher), then its commit; the time from the start of the change's
  transaction (which writes the outbox row and its job) to the decrypted push at the push
  service, and from the change's commit (the worker's part: wake-up, queue read, outbox read,
  encryption, send) (p50, p95); the baseline is one raw send's time from the start of the
  call to the decrypted push.

Bounded: a fixed number of messages, and every wait has a deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from pywebpush import webpush_async
from sqlalchemy.ext.asyncio import AsyncSession

ROOT = Path(__file__).resolve().parents[1]
DEADLINE_S = 240.0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class PushServiceProcess:
    def __init__(self, vapid_public_key: str) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.support.push_service",
                "--vapid-public-key",
                vapid_public_key,
            ],
            stdout=subprocess.PIPE,
            cwd=ROOT,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode().strip()
        if not line.startswith("READY "):
            raise RuntimeError(f"push service did not start: {line!r}")
        self.url = line.split(" ", 1)[1]
        self.http = httpx.AsyncClient(base_url=self.url, timeout=10)

    async def subscribe(self) -> dict[str, Any]:
        return dict((await self.http.post("/_control/subscribe")).json())

    async def received(self, since: int = 0) -> dict[str, Any]:
        return dict((await self.http.get("/_control/received", params={"since": since})).json())

    async def wait_count(self, n: int) -> float:
        """Wait until ``n`` messages have arrived; the push service answers when they have
        (no polling: a poll every few ms took CPU from the worker being measured)."""
        deadline = time.monotonic() + DEADLINE_S
        params = {"since": 10**9, "count": n, "wait": 5}
        while (await self.http.get("/_control/received", params=params)).json()["count"] < n:
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {(await self.received(10**9))['count']} of {n}")
        return time.time()

    async def close(self) -> None:
        await self.http.aclose()
        self.proc.terminate()
        self.proc.wait(10)


def worker_env(database_url: str, data_dir: Path, concurrency: int = 32) -> dict[str, str]:
    """A ``tanggap worker`` process's environment: this cluster, these keys, the local push
    service (plain http on 127.0.0.1, allowed explicitly)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANGGAP_")}
    env.update(
        {
            "TANGGAP_DATABASE_URL": database_url,
            "TANGGAP_DATA_DIR": str(data_dir),
            "TANGGAP_LOG_LEVEL": "WARNING",
            "TANGGAP_WORKER_CONCURRENCY": str(concurrency),
            "TANGGAP_PUSH_ALLOW_HTTP": "1",
            "TANGGAP_PUSH_ALLOWED_HOSTS": "127.0.0.1",
        }
    )
    return env


def stop_worker(worker: subprocess.Popen[bytes] | None) -> None:
    if worker is None:
        return
    worker.terminate()
    try:
        worker.wait(15)
    except subprocess.TimeoutExpired:
        worker.kill()


async def _arrange(url: str, push: PushServiceProcess, devices: int) -> tuple[Any, Any, list[Any]]:
    from api.db.models import PushSubscription, Team, User, team_members
    from api.db.session import make_engine, make_sessionmaker
    from tests.factories import make_case, make_category

    engine = make_engine(url, 4, 0)
    db: AsyncSession = make_sessionmaker(engine)()
    category = await make_category(db, priority="P2")
    members = []
    for i in range(10):
        u = User(
            username=f"bench{i}",
            full_name=f"Bench {i}",
            role="field_officer",
            agency_id=category.agency_id,
            password_hash="x",
            language="id",
        )
        db.add(u)
        members.append(u)
    big = Team(agency_id=category.agency_id, name="Bench big", on_duty=True)
    small = Team(agency_id=category.agency_id, name="Bench small", on_duty=True)
    db.add_all([big, small])
    await db.flush()
    for u in members:
        await db.execute(team_members.insert().values(team_id=big.id, user_id=u.id))
    for i in range(devices):
        info = await push.subscribe()
        db.add(
            PushSubscription(
                user_id=members[i % len(members)].id,
                endpoint=info["endpoint"],
                p256dh=info["keys"]["p256dh"],
                auth=info["keys"]["auth"],
            )
        )
    # The latency device: the small team's only member, with one device.
    lone = User(
        username="bench-lone",
        full_name="Lone",
        role="field_officer",
        agency_id=category.agency_id,
        password_hash="x",
        language="en",
    )
    db.add(lone)
    await db.flush()
    await db.execute(team_members.insert().values(team_id=small.id, user_id=lone.id))
    info = await push.subscribe()
    db.add(
        PushSubscription(
            user_id=lone.id,
            endpoint=info["endpoint"],
            p256dh=info["keys"]["p256dh"],
            auth=info["keys"]["auth"],
        )
    )
    cases = [await make_case(db, category=category) for _ in range(200)]
    await db.commit()
    return db, (big, small), cases


async def _dispatch(db: AsyncSession, dispatcher: Any, case: Any, team: Any) -> float:
    """Assign the case to the team through the API's own use case (the ``assign`` route's
    service call, then its commit); the time of the commit."""
    from api.services import cases as svc

    move = svc.Move(action="assign", team_id=team.id)
    await svc.act(db, dispatcher, case.id, move, datetime.now(UTC))
    await db.commit()
    return time.time()


async def _dispatcher(db: AsyncSession) -> Any:
    """A seeded dispatcher, as the routes see a signed-in one."""
    import uuid

    from sqlalchemy import select

    from api.auth import Principal
    from api.db.models import User

    user = (await db.scalars(select(User).where(User.role == "dispatcher").limit(1))).one()
    return Principal(user.id, user.username, user.role, user.agency_id, "id", uuid.uuid4())


async def _raw_sends(push: PushServiceProcess, keys: Any, subject: str, n: int, conc: int) -> float:
    """Baseline: n raw pywebpush sends, ``conc`` at a time, one reused session."""
    from py_vapid import Vapid

    vapid = Vapid.from_string(private_key=keys.private_key)
    subs = [await push.subscribe() for _ in range(n)]
    start_count = (await push.received(10**9))["count"]
    payload = (
        '{"title":"Kasus baru untuk tim Anda","body":"KDI-000000-0000 · Sampah","url":"/cases/x"}'
    )
    sem = asyncio.Semaphore(conc)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=conc)) as session:

        async def one(sub: dict[str, Any]) -> None:
            async with sem:
                await webpush_async(
                    sub,
                    data=payload,
                    vapid_private_key=vapid,
                    vapid_claims={"sub": subject},
                    ttl=3600,
                    headers={"Urgency": "normal"},
                    aiohttp_session=session,
                )

        t0 = time.time()
        await asyncio.gather(*(one(s) for s in subs))
        t1 = await push.wait_count(start_count + n)
    return n / (t1 - t0)


async def _raw_latency(push: PushServiceProcess, keys: Any, subject: str, m: int) -> list[float]:
    from py_vapid import Vapid

    vapid = Vapid.from_string(private_key=keys.private_key)
    sub = await push.subscribe()
    out = []
    async with aiohttp.ClientSession() as session:
        for _ in range(m):
            count = (await push.received(10**9))["count"]
            t0 = time.time()
            await webpush_async(
                sub,
                data='{"title":"x"}',
                vapid_private_key=vapid,
                vapid_claims={"sub": subject},
                ttl=60,
                aiohttp_session=session,
            )
            got = await push.received(count)
            out.append(got["messages"][-1]["at"] - t0)
    return out


async def migrate_and_seed(url: str) -> None:
    """The schema and the demo city (with its demo users) on a throwaway cluster."""
    from api.db import migrate
    from api.db.session import make_engine, make_sessionmaker
    from api.seed import seed

    await asyncio.to_thread(migrate.upgrade, url)
    engine = make_engine(url, 1, 0)
    async with make_sessionmaker(engine)() as s, s.begin():
        await seed(s, demo_users=True)
    await engine.dispose()


async def run(devices: int, changes: int, profile: str | None = None) -> int:
    from api.adapters.keys import vapid_keys
    from api.adapters.pgcluster import EmbeddedPostgres
    from api.config import Settings

    tmp = Path(tempfile.mkdtemp(prefix="tanggap-push-bench-"))
    cluster = EmbeddedPostgres(tmp / "pg", durable=False, database="bench")
    cluster.start()
    settings = replace(
        Settings(),
        data_dir=tmp / "data",
        push_allow_http=True,
        push_allowed_hosts=("127.0.0.1",),
    )
    keys = vapid_keys(settings)
    push = PushServiceProcess(keys.public_key)
    worker: subprocess.Popen[bytes] | None = None
    try:
        await migrate_and_seed(cluster.url)
        db, (big, small), cases = await _arrange(cluster.url, push, devices)
        dispatcher = await _dispatcher(db)
        env = worker_env(cluster.url, settings.data_dir)
        # --profile: the worker runs under cProfile, its stats written when it stops.
        prof = ["-m", "cProfile", "-o", profile] if profile else []
        worker = subprocess.Popen(  # noqa: ASYNC220 - started once, not awaited on
            [sys.executable, *prof, "-m", "api.cli", "worker"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )

        # Warm-up: the worker is up once a first push arrives.
        await _dispatch(db, dispatcher, cases.pop(), small)
        await push.wait_count(1)

        # Latency: one change at a time, one device, commit -> decrypted push.
        latencies, after_commit = [], []
        for _ in range(changes):
            count = (await push.received(10**9))["count"]
            t0 = time.time()
            committed = await _dispatch(db, dispatcher, cases.pop(), small)
            t1 = await push.wait_count(count + 1)
            got = await push.received(count)
            at = got["messages"][-1]["at"] if got["messages"] else t1
            latencies.append(at - t0)
            after_commit.append(at - committed)

        # Throughput: one event, every device of the big team.
        count = (await push.received(10**9))["count"]
        t0 = time.time()
        await _dispatch(db, dispatcher, cases.pop(), big)
        t1 = await push.wait_count(count + devices)
        queued_rate = devices / (t1 - t0)
        await db.close()

        raw_rate = await _raw_sends(push, keys, settings.vapid_subject, devices, 32)
        raw_lat = await _raw_latency(push, keys, settings.vapid_subject, changes)
    finally:
        stop_worker(worker)
        await push.close()
        cluster.stop("immediate")
        shutil.rmtree(tmp, ignore_errors=True)  # its cluster and keys: 120 MB a run

    ms = 1000.0
    print("\nWeb Push: one worker, local push service decrypting every message (same run)")
    print(f"{'measure':44} {'value':>12} {'baseline':>12} {'ratio':>7}")
    print(
        f"{'throughput, notifications/s':44} {queued_rate:12.0f} {raw_rate:12.0f} "
        f"{queued_rate / raw_rate:7.2f}"
    )
    p50, p95 = statistics.median(latencies) * ms, pct(latencies, 0.95) * ms
    r50, r95 = statistics.median(raw_lat) * ms, pct(raw_lat, 0.95) * ms
    print(f"{'case change -> decrypted push, p50 ms':44} {p50:12.1f} {r50:12.1f} {p50 / r50:7.2f}")
    print(f"{'case change -> decrypted push, p95 ms':44} {p95:12.1f} {r95:12.1f} {p95 / r95:7.2f}")
    # The same deliveries timed from the change's commit (the worker's part of the path).
    c50, c95 = statistics.median(after_commit) * ms, pct(after_commit, 0.95) * ms
    print(f"{'commit -> decrypted push, p50 ms':44} {c50:12.1f} {r50:12.1f} {c50 / r50:7.2f}")
    print(f"{'commit -> decrypted push, p95 ms':44} {c95:12.1f} {r95:12.1f} {c95 / r95:7.2f}")
    print(
        f"({devices} devices for throughput, {changes} sequential changes for latency; "
        "baseline: raw pywebpush sends, no outbox, queue or database)"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=40)
    parser.add_argument("--profile", help="write the worker's cProfile stats to this file")
    args = parser.parse_args()
    return asyncio.run(
        asyncio.wait_for(run(args.devices, args.changes, args.profile), DEADLINE_S * 2)
    )


if __name__ == "__main__":
    sys.exit(main())
