"""Push delivery jobs carry the rows of their transaction in chunks; a chunk's row that must be
tried again gets a job of its own; the sweep re-queues only rows no live job carries.

Against the real queue tables and the local push service (which decrypts every message).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import asyncpg
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api import worker
from api.adapters import jobs
from api.adapters.keys import vapid_keys
from api.adapters.webpush import WebPushSender
from api.config import Settings
from api.db.models import Notification
from api.db.session import make_engine, make_sessionmaker
from api.pgconnect import libpq_dsn
from api.services.push_delivery import PushDelivery
from tests.conftest import Clock
from tests.factories import agency_by_code, make_case, make_category, make_team
from tests.factories import user_by_name as user_named
from tests.support import push_fixtures
from tests.support.push_fixtures import add_device, eventually, record_event
from tests.support.push_service import PushService

app = push_fixtures.app
push = push_fixtures.push
push_settings = push_fixtures.push_settings


async def _push_jobs(database_url: str) -> list[Any]:
    conn = await asyncpg.connect(libpq_dsn(database_url))
    try:
        return list(
            await conn.fetch(
                "SELECT priority, convert_from(payload, 'UTF8') AS ids, dedupe_key,"
                " execute_after - now() AS wait FROM pgqueuer"
                " WHERE entrypoint = $1 ORDER BY id",
                jobs.DELIVER_PUSH,
            )
        )
    finally:
        await conn.close()


async def _clear_jobs(database_url: str) -> None:
    conn = await asyncpg.connect(libpq_dsn(database_url))
    try:
        await conn.execute("DELETE FROM pgqueuer")
    finally:
        await conn.close()


async def _team_of_devices(db: AsyncSession, push: PushService, n: int):  # type: ignore[no-untyped-def]
    putra = await user_named(db, "petugas.dlhk")
    devices = [await add_device(db, push, user=putra, label=f"hp-{i}") for i in range(n)]
    team = await make_team(db, members=[putra], agency_id=putra.agency_id)
    dlhk = await agency_by_code(db, "DLHK")
    category = await make_category(db, agency_id=dlhk.id, priority="P1")
    case = await make_case(db, category=category, address="Jl. Malaka")
    return devices, team, case


async def test_a_transactions_rows_are_queued_in_chunks_p1_first(
    db: AsyncSession, database_url: str
) -> None:
    rows = [(nid, nid % 10 == 0) for nid in range(1, 101)]  # ids 10, 20 ... 100 are P1
    await jobs.enqueue_push(db, rows)
    await jobs.enqueue_push(db, [(500, False)])
    await db.commit()
    queued = await _push_jobs(database_url)
    carried = [[int(i) for i in q["ids"].split(",")] for q in queued]
    assert [len(ids) for ids in carried] == [10, 32, 32, 26, 1]
    assert [q["priority"] for q in queued] == [jobs.PRIORITY_P1] + [jobs.PRIORITY_DEFAULT] * 4
    assert carried[0] == list(range(10, 101, 10))
    assert sorted(i for ids in carried[:4] for i in ids) == list(range(1, 101))
    assert [q["dedupe_key"] for q in queued] == [
        "pushes:10",
        "pushes:1",
        "pushes:36",
        "pushes:72",
        "push:500",  # a job of one row has the row's own key, as its retries and the sweep do
    ]
    # Queued again in another transaction (a retried request): nothing doubles.
    await jobs.enqueue_push(db, rows)
    await db.commit()
    assert len(await _push_jobs(database_url)) == 5


async def test_a_chunks_rate_limited_row_is_retried_by_a_job_of_its_own(
    db: AsyncSession, push: PushService, push_settings: Settings, database_url: str, clock: Clock
) -> None:
    devices, team, case = await _team_of_devices(db, push, 3)
    limited = devices[1].endpoint
    push.respond(limited, (429, {"Retry-After": "1"}))
    await record_event(db, case, "dispatched", to_status="dispatched", data={"team_id": team.id})
    await db.commit()
    queued = await _push_jobs(database_url)
    assert len(queued) == 1 and len(queued[0]["ids"].split(",")) == 3  # one job, three rows

    async with worker.running(push_settings, database_url, clock=clock):
        await push.wait_for(lambda: len(push.received) == 3, what="three deliveries")

    tries = [a for a in push.attempts if limited.endswith("/" + a.device)]
    assert [a.status for a in tries] == [429, 201]
    assert tries[1].at - tries[0].at >= 1.0  # not before the push service said
    db.expire_all()
    rows = (await db.execute(select(Notification).order_by(Notification.id))).scalars().all()
    assert [r.status for r in rows] == ["sent"] * 3
    assert sorted(r.attempts for r in rows) == [1, 1, 2]


async def test_the_sweep_requeues_only_rows_no_live_job_carries(
    db: AsyncSession, push: PushService, push_settings: Settings, database_url: str, clock: Clock
) -> None:
    _, team, case = await _team_of_devices(db, push, 3)
    await record_event(db, case, "dispatched", to_status="dispatched", data={"team_id": team.id})
    await db.commit()
    ids = list((await db.execute(select(Notification.id).order_by(Notification.id))).scalars())
    # Every row is long overdue; the chunk's job is lost, then one row is queued again alone.
    await db.execute(update(Notification).values(next_attempt_at=clock() - timedelta(minutes=10)))
    await db.commit()
    await _clear_jobs(database_url)
    await jobs.enqueue_push(db, [(ids[0], True)])
    await db.commit()

    engine = make_engine(database_url, 2, 0)
    try:
        async with WebPushSender(
            vapid_keys(push_settings), push_settings.vapid_subject, allow_http=True
        ) as sender:
            delivery = PushDelivery(make_sessionmaker(engine), sender, clock)
            assert await delivery.sweep() == 2  # the two rows no job carries
            assert await delivery.sweep() == 0  # now every row has its job
    finally:
        await engine.dispose()
    queued = await _push_jobs(database_url)
    carried = sorted(int(i) for q in queued for i in q["ids"].split(","))
    assert carried == sorted(ids)  # each row in exactly one job
    assert {q["priority"] for q in queued} == {jobs.PRIORITY_P1}  # the case is P1

    async with worker.running(push_settings, database_url, clock=clock):
        await eventually(lambda: _all_sent(db), what="every swept row delivered")
    assert len(push.received) == 3


async def _all_sent(db: AsyncSession) -> bool:
    db.expire_all()
    statuses = (await db.execute(select(Notification.status))).scalars().all()
    return list(statuses) == ["sent"] * 3
