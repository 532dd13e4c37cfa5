"""Web Push end to end: subscriptions, the outbox, the worker and a real (local) push service.

Every delivery is decrypted by :class:`tests.support.push_service.PushService` with keys only the
"browser" holds, and its VAPID JWT is checked against the app's public key.
"""

from __future__ import annotations

import collections
import os
import signal
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api import worker
from api.adapters.keys import vapid_keys
from api.config import Settings
from api.db.models import Notification, PushSubscription
from tests.conftest import Clock, login
from tests.factories import agency_by_code, make_case, make_category, make_team, make_user
from tests.factories import user_by_name as user_named
from tests.support import push_fixtures
from tests.support.push_fixtures import (
    add_device,
    add_reporter,
    count,
    eventually,
    record_event,
    start_worker,
    stop_worker,
    subprocess_env,
)
from tests.support.push_service import PushService

Client = AsyncTestClient[Litestar]

# Fixtures from tests/support/push_fixtures.py (the local push service, push-friendly app).
app = push_fixtures.app
push = push_fixtures.push
push_settings = push_fixtures.push_settings


async def _dlhk_case(db: AsyncSession, **kw: object):  # type: ignore[no-untyped-def]
    dlhk = await agency_by_code(db, "DLHK")
    category = await make_category(db, agency_id=dlhk.id, priority=kw.pop("priority", "P2"))
    return await make_case(db, category=category, address="Jl. Malaka", **kw)  # type: ignore[arg-type]


# ------------------------------------------------------------ subscriptions
async def test_public_key_is_the_apps_vapid_key(client: Client, push_settings: Settings) -> None:
    r = await client.get("/api/push/public-key")
    assert r.status_code == 200
    assert r.json() == {"public_key": vapid_keys(push_settings).public_key}


async def test_staff_register_many_devices_and_remove_them(
    client: Client, db: AsyncSession, push: PushService
) -> None:
    headers = await login(client, "petugas.dlhk")
    phone, tablet = push.subscribe(), push.subscribe()
    for device in (phone, tablet):
        r = await client.post("/api/push/subscriptions", json=device, headers=headers)
        assert r.status_code == 201, r.text
        assert r.json()["owner"] == "user"
    # Registering the same endpoint again updates the row instead of adding one.
    r = await client.post(
        "/api/push/subscriptions", json={**phone, "language": "en"}, headers=headers
    )
    assert r.status_code == 201 and r.json()["language"] == "en"
    officer = await user_named(db, "petugas.dlhk")
    assert await count(db, PushSubscription, PushSubscription.user_id == officer.id) == 2

    other = await login(client, "petugas2.dlhk")
    r = await client.request(
        "DELETE", "/api/push/subscriptions", json={"endpoint": phone["endpoint"]}, headers=other
    )
    assert r.status_code == 404  # not theirs: nothing to say about it
    r = await client.request(
        "DELETE", "/api/push/subscriptions", json={"endpoint": phone["endpoint"]}, headers=headers
    )
    assert r.status_code == 204
    assert await count(db, PushSubscription, PushSubscription.user_id == officer.id) == 1


async def test_bad_subscriptions_are_refused(client: Client, push: PushService) -> None:
    device = push.subscribe()
    assert (await client.post("/api/push/subscriptions", json=device)).status_code == 401
    headers = await login(client, "petugas.dlhk")
    bad_key = {**device, "keys": {**device["keys"], "p256dh": "A" * 87}}
    r = await client.post("/api/push/subscriptions", json=bad_key, headers=headers)
    assert r.status_code == 422 and r.json()["code"] == "push_subscription_invalid"
    ftp = {**device, "endpoint": "ftp://127.0.0.1/push/x"}
    r = await client.post("/api/push/subscriptions", json=ftp, headers=headers)
    assert r.status_code == 422


async def test_plain_http_endpoints_are_refused_by_default(make_app, push: PushService) -> None:  # type: ignore[no-untyped-def]
    async with AsyncTestClient(app=make_app(), base_url="http://127.0.0.1") as c:
        headers = await login(c, "petugas.dlhk")
        r = await c.post("/api/push/subscriptions", json=push.subscribe(), headers=headers)
        assert r.status_code == 422
        assert r.json()["detail"].startswith("Langganan notifikasi tidak valid")


async def test_citizens_subscribe_with_their_tracking_token(
    client: Client, db: AsyncSession, push: PushService
) -> None:
    case = await _dlhk_case(db)
    reporter = await add_reporter(db, case, "rahasia-warga-123")
    await db.commit()
    device = push.subscribe()
    r = await client.post(
        "/api/push/subscriptions",
        json={**device, "tracking_token": "rahasia-warga-123"},
        headers={"Accept-Language": "en"},
    )
    assert r.status_code == 201 and r.json() == {"id": r.json()["id"], "owner": "citizen",
                                                  "language": "en"}  # fmt: skip
    sub = await db.get(PushSubscription, r.json()["id"])
    assert sub is not None and sub.reporter_id == reporter.id and sub.user_id is None
    r = await client.post(
        "/api/push/subscriptions", json={**push.subscribe(), "tracking_token": "salah-salah-00"}
    )
    assert r.status_code == 404 and r.json()["code"] == "tracking_token_invalid"
    r = await client.request(
        "DELETE",
        "/api/push/subscriptions",
        json={"endpoint": device["endpoint"], "tracking_token": "rahasia-warga-123"},
    )
    assert r.status_code == 204
    sub_id = sub.id
    db.expire_all()
    assert await db.get(PushSubscription, sub_id) is None


# ----------------------------------------------------------------- delivery
async def test_assignment_reaches_every_team_members_devices_in_their_language(
    db: AsyncSession,
    push: PushService,
    push_settings: Settings,
    database_url: str,
    clock: Clock,
) -> None:
    dlhk = await agency_by_code(db, "DLHK")
    budi = await make_user(db, "field_officer", agency_id=dlhk.id, language="en")
    putra = await user_named(db, "petugas.dlhk")
    team = await make_team(db, members=[putra, budi], agency_id=dlhk.id)
    devices = {
        "putra-phone": await add_device(db, push, user=putra, language="id", label="putra-phone"),
        "putra-tablet": await add_device(db, push, user=putra, language="id", label="putra-tab"),
        "budi-phone": await add_device(db, push, user=budi, language="en", label="budi-phone"),
    }
    # Someone outside the team hears nothing of it.
    outsider = await user_named(db, "petugas2.dlhk")
    await add_device(db, push, user=outsider, label="outsider")
    case = await _dlhk_case(db, priority="P1", created_at=clock())
    citizen = await add_reporter(db, case, "token-warga-0001", language="en")
    await add_device(db, push, reporter=citizen, language="en", label="citizen")
    event = await record_event(
        db, case, "dispatched", to_status="dispatched", data={"team_id": team.id}, team=team
    )
    # The service may announce the same event twice (a retried request): nobody hears it twice.
    await record_event_again(db, case, event)
    await db.commit()

    async with worker.running(push_settings, database_url, clock=clock):
        await push.wait_for(lambda: len(push.received) >= 4, what="four deliveries")

    by_label = {r.label: r for r in push.received}
    assert sorted(by_label) == ["budi-phone", "citizen", "putra-phone", "putra-tab"]
    assert len(push.received) == 4
    assert by_label["putra-phone"].payload["title"] == "Kasus baru untuk tim Anda"
    assert by_label["budi-phone"].payload["title"] == "New case for your team"
    for label in ("putra-phone", "putra-tab", "budi-phone"):
        got = by_label[label]
        assert got.payload["url"] == f"/cases/{case.id}"
        assert got.payload["reference"] == case.reference and got.payload["priority"] == "P1"
        assert got.urgency == "high" and 3000 < got.ttl <= 4 * 3600 and got.topic
        assert got.claims["sub"] == push_settings.vapid_subject
    seen = by_label["citizen"].payload
    assert seen["url"] == f"/lacak/{case.reference}" and "case_id" not in seen
    assert seen["body"] == "Your report is now: In process."
    assert devices  # every team device above was reached
    db.expire_all()
    rows = (await db.execute(select(Notification))).scalars().all()
    assert len(rows) == 4 and {r.status for r in rows} == {"sent"}
    assert all(r.sent_at is not None and r.attempts == 1 for r in rows)


async def record_event_again(db: AsyncSession, case, event) -> None:  # type: ignore[no-untyped-def]
    from api.services.notify import on_case_event

    await on_case_event(db, case, event, previous_status="new")


@pytest.mark.parametrize("status", [404, 410])
async def test_a_gone_subscription_is_deleted(
    db: AsyncSession,
    push: PushService,
    push_settings: Settings,
    database_url: str,
    clock: Clock,
    status: int,
) -> None:
    putra = await user_named(db, "petugas.dlhk")
    team = await make_team(db, members=[putra], agency_id=putra.agency_id)
    dead = await add_device(db, push, user=putra, label="dead")
    alive = await add_device(db, push, user=putra, label="alive")
    push.respond(dead.endpoint, status)
    dead_id, alive_id = dead.id, alive.id
    case = await _dlhk_case(db)
    await record_event(db, case, "dispatched", to_status="dispatched", data={"team_id": team.id})
    await db.commit()

    async def settled() -> bool:
        db.expire_all()
        rows = (await db.execute(select(Notification.status))).scalars().all()
        return len(rows) == 2 and "pending" not in rows

    async with worker.running(push_settings, database_url, clock=clock):
        await eventually(settled, what="both notifications settled")
    assert [r.label for r in push.received] == ["alive"]
    assert await db.get(PushSubscription, dead_id) is None
    assert await db.get(PushSubscription, alive_id) is not None
    statuses = dict((await db.execute(select(Notification.id, Notification.status))).all())
    assert sorted(statuses.values()) == ["gone", "sent"]


async def test_rate_limited_push_is_retried_after_retry_after(
    db: AsyncSession, push: PushService, push_settings: Settings, database_url: str, clock: Clock
) -> None:
    putra = await user_named(db, "petugas.dlhk")
    team = await make_team(db, members=[putra], agency_id=putra.agency_id)
    device = await add_device(db, push, user=putra)
    push.respond(device.endpoint, (429, {"Retry-After": "1"}))
    case = await _dlhk_case(db)
    await record_event(db, case, "dispatched", to_status="dispatched", data={"team_id": team.id})
    await db.commit()

    async with worker.running(push_settings, database_url, clock=clock):
        await push.wait_for(lambda: len(push.received) == 1, what="the retried message")
    first, second = push.attempts[0], push.attempts[-1]
    assert (first.status, second.status) == (429, 201)
    assert second.at - first.at >= 1.0  # not before the push service said
    row = (await db.execute(select(Notification))).scalar_one()
    assert row.status == "sent" and row.attempts == 2


async def test_push_service_down_then_back_delivers(
    db: AsyncSession, push: PushService, push_settings: Settings, database_url: str, clock: Clock
) -> None:
    putra = await user_named(db, "petugas.dlhk")
    team = await make_team(db, members=[putra], agency_id=putra.agency_id)
    await add_device(db, push, user=putra)
    case = await _dlhk_case(db)
    await record_event(db, case, "dispatched", to_status="dispatched", data={"team_id": team.id})
    await db.commit()
    await push.down()

    async def failed_once() -> bool:
        db.expire_all()
        row = (await db.execute(select(Notification))).scalar_one()
        return row.attempts >= 1 and row.status == "pending"

    async with worker.running(push_settings, database_url, clock=clock):
        await eventually(failed_once, what="a failed attempt while the push service is down")
        row = (await db.execute(select(Notification))).scalar_one()
        assert "no answer" in row.last_error
        await push.up()
        await push.wait_for(lambda: len(push.received) == 1, what="delivery after the outage")
    db.expire_all()
    row = (await db.execute(select(Notification))).scalar_one()
    assert row.status == "sent" and row.attempts >= 2


@pytest.mark.fault
async def test_worker_killed_mid_batch_delivers_everything_once_after_restart(
    db: AsyncSession,
    push: PushService,
    push_settings: Settings,
    database_url: str,
    tmp_path: Path,
) -> None:
    """SIGKILL a worker process with messages on the wire; a new one finishes the job.

    The killed worker had 10 messages accepted (201) and more taken in but not answered. The
    restarted worker sends every other message once; nothing the push service accepted is sent
    again.
    """
    dlhk = await agency_by_code(db, "DLHK")
    members = [await make_user(db, "field_officer", agency_id=dlhk.id) for _ in range(3)]
    team = await make_team(db, members=members, agency_id=dlhk.id)
    for m in members:
        for i in range(10):
            await add_device(db, push, user=m, label=f"{m.username}-{i}")
    case = await _dlhk_case(db)
    await record_event(db, case, "dispatched", to_status="dispatched", data={"team_id": team.id})
    await db.commit()
    total = 30
    push.hold_after = 10
    env = subprocess_env(push_settings, database_url)
    log = tmp_path / "worker.log"
    first = start_worker(env, log)
    try:
        await push.wait_for(
            lambda: len(push.received) == 10 and push.holding > 0, 60, "a batch on the wire"
        )

        async def ten_recorded() -> bool:
            sent = await count(db, Notification, Notification.status == "sent")
            return sent == 10

        await eventually(ten_recorded, what="the 10 accepted messages recorded as sent")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
        await push.wait_for(lambda: push.held_open() == 0, what="the held senders to disconnect")
        abandoned = push.holding
        push.hold_after = None
        push.release()
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(10)
    assert abandoned > 0, "the worker was not killed mid-batch"

    second = start_worker(env, log)
    try:
        await push.wait_for(lambda: len(push.received) >= total, 60, "every message, once")

        async def all_sent() -> bool:
            return await count(db, Notification, Notification.status == "sent") == total

        await eventually(all_sent, what="every row recorded as sent")
    finally:
        stop_worker(second)
    nids = collections.Counter(r.payload["nid"] for r in push.received)
    assert len(nids) == total and max(nids.values()) == 1, nids
    assert len(push.received) == total
    assert [a for a in push.attempts if a.status == 0], "held requests were abandoned, not accepted"
