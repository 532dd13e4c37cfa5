"""Warning fan-out benchmark: one area warning to many subscribed citizens, against raw sends.

``uv run python -m bench.warning_bench`` starts a throwaway PostGIS cluster, the local push
service (``tests/support/push_service.py``, decrypting every message) and one ``tanggap worker``
process. ``--subscribers`` devices ask for Mandonga's warnings; a supervisor drafts a warning for
Mandonga and a second one approves it (the real use cases). Measured: each device's delay from
the approval's commit to its decrypted push (p50, p95, last), and the same for ``--subscribers``
raw ``pywebpush`` sends started at once (same concurrency, no outbox, queue or database); the
ratio is warning / raw. Bounded: every wait has a deadline.
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
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bench.push_bench import (
    DEADLINE_S,
    ROOT,
    PushServiceProcess,
    migrate_and_seed,
    pct,
    stop_worker,
    worker_env,
)

CONCURRENCY = 32


async def _devices(push: PushServiceProcess, n: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for start in range(0, n, 200):
        out += await asyncio.gather(*(push.subscribe() for _ in range(min(200, n - start))))
    return out


async def _arrange(url: str, push: PushServiceProcess, n: int) -> tuple[Any, int, Any, Any]:
    """The subscribers, and two supervisors (the drafter and the approver)."""
    from sqlalchemy import insert, select

    from api.auth import Principal
    from api.db.models import Area, PushSubscription, User
    from api.db.session import make_engine, make_sessionmaker

    engine = make_engine(url, 4, 0)
    factory = make_sessionmaker(engine)
    async with factory() as db, db.begin():
        area_id = (await db.execute(select(Area.id).where(Area.name == "Mandonga"))).scalar_one()
        rows = [
            {
                "endpoint": d["endpoint"],
                "p256dh": d["keys"]["p256dh"],
                "auth": d["keys"]["auth"],
                "language": "id" if i % 2 else "en",
                "warning_area_id": area_id,
            }
            for i, d in enumerate(await _devices(push, n))
        ]
        for start in range(0, len(rows), 1000):
            await db.execute(insert(PushSubscription), rows[start : start + 1000])
        users = []
        for name in ("bench-drafter", "bench-approver"):
            u = User(username=name, full_name=name, role="supervisor", password_hash="x")
            db.add(u)
            users.append(u)
        await db.flush()
        drafter, approver = (
            Principal(u.id, u.username, "supervisor", None, "id", uuid.uuid4()) for u in users
        )
    return factory, area_id, drafter, approver


async def _publish(factory: Any, area_id: int, drafter: Any, approver: Any) -> float:
    """Draft and approve a warning as the API does; the time of the approval's commit."""
    from api.config import Settings
    from api.services import warnings

    settings = Settings()
    now = datetime.now(UTC)
    draft = warnings.Draft(
        "Met", {"id": "Banjir", "en": "Flood"}, "Severe", "Immediate", "Likely",
        {"id": "Banjir di Mandonga", "en": "Flooding in Mandonga"},
        {"id": "Jauhi sungai.", "en": "Keep away from the river."},
        now + timedelta(hours=6), [area_id], None,
    )  # fmt: skip
    async with factory() as db, db.begin():
        w = await warnings.draft(db, settings, drafter, draft, now)
    async with factory() as db, db.begin():
        await warnings.approve(db, settings, approver, w.id, datetime.now(UTC))
    return time.time()


async def _worker_up(factory: Any) -> None:
    from sqlalchemy import func, select

    from api.db.models import WorkerHeartbeat

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        async with factory() as db:
            if (await db.execute(select(func.count()).select_from(WorkerHeartbeat))).scalar():
                await asyncio.sleep(0.5)  # past its first queue read
                return
        await asyncio.sleep(0.1)
    raise TimeoutError("the worker did not start")


async def _raw_delays(push: PushServiceProcess, keys: Any, subject: str, n: int) -> list[float]:
    """Baseline: n raw sends started at once (``CONCURRENCY`` on the wire), each one's delay."""
    from py_vapid import Vapid
    from pywebpush import webpush_async

    vapid = Vapid.from_string(private_key=keys.private_key)
    subs = await _devices(push, n)
    count = (await push.received(10**9))["count"]
    payload = '{"title":"Peringatan: Banjir di Mandonga","body":"Jauhi sungai.","kind":"warning"}'
    sem = asyncio.Semaphore(CONCURRENCY)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY)) as s:

        async def one(sub: dict[str, Any]) -> None:
            async with sem:
                await webpush_async(
                    sub, data=payload, vapid_private_key=vapid, vapid_claims={"sub": subject},
                    ttl=3600, headers={"Urgency": "high"}, aiohttp_session=s,
                )  # fmt: skip

        t0 = time.time()
        await asyncio.gather(*(one(sub) for sub in subs))
        await push.wait_count(count + n)
    return [m["at"] - t0 for m in (await push.received(count))["messages"]]


async def run(subscribers: int) -> int:
    from api.adapters.keys import vapid_keys
    from api.adapters.pgcluster import EmbeddedPostgres
    from api.config import Settings

    tmp = Path(tempfile.mkdtemp(prefix="tanggap-warning-bench-"))
    cluster = EmbeddedPostgres(tmp / "pg", durable=False, database="bench")
    cluster.start()
    settings = replace(Settings(), data_dir=tmp / "data")
    keys = vapid_keys(settings)
    push = PushServiceProcess(keys.public_key)
    worker: subprocess.Popen[bytes] | None = None
    try:
        await migrate_and_seed(cluster.url)
        os.environ["TANGGAP_DATA_DIR"] = str(settings.data_dir)  # the same VAPID keys
        factory, area_id, drafter, approver = await _arrange(cluster.url, push, subscribers)
        env = worker_env(cluster.url, settings.data_dir, CONCURRENCY)
        worker = subprocess.Popen(  # noqa: ASYNC220 - started once, not awaited on
            [sys.executable, "-m", "api.cli", "worker"], env=env, cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        await _worker_up(factory)  # the worker's start-up is not the warning's delay
        count = (await push.received(10**9))["count"]
        committed = await _publish(factory, area_id, drafter, approver)
        await push.wait_count(count + subscribers)
        delays = [m["at"] - committed for m in (await push.received(count))["messages"]]
        raw = await _raw_delays(push, keys, settings.vapid_subject, subscribers)
    finally:
        stop_worker(worker)
        await push.close()
        cluster.stop("immediate")
        shutil.rmtree(tmp, ignore_errors=True)  # its cluster and keys

    ms = 1000.0
    print(f"\nArea warning fan-out: {subscribers} subscribers, one worker (same run)")
    print(f"{'measure':44} {'value':>12} {'baseline':>12} {'ratio':>7}")
    for name, a, b in (
        ("warning -> decrypted push, p50 ms", statistics.median(delays), statistics.median(raw)),
        ("warning -> decrypted push, p95 ms", pct(delays, 0.95), pct(raw, 0.95)),
        ("warning -> last decrypted push, ms", max(delays), max(raw)),
    ):
        print(f"{name:44} {a * ms:12.1f} {b * ms:12.1f} {a / b:7.2f}")
    print("(baseline: the same number of raw pywebpush sends, no outbox, queue or database)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    args = parser.parse_args()
    return asyncio.run(asyncio.wait_for(run(args.subscribers), DEADLINE_S * 2))


if __name__ == "__main__":
    sys.exit(main())
