"""Push endpoints reach only push services: refused endpoint kinds, keys, the device cap, the
subscribe rate limit, redirects, and sends that keep failing (a real local push service).

The local push service listens on 127.0.0.1 over plain http; the fixtures allow exactly that
address (``push_allowed_hosts``), as a deployment would allow nothing but public push services.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api import worker
from api.adapters.keys import vapid_keys
from api.adapters.webpush import WebPushSender
from api.config import Settings
from api.db.models import Notification, PushSubscription
from api.db.session import make_engine, make_sessionmaker
from api.domain.notifications import MAX_ATTEMPTS
from api.services.push_delivery import PushDelivery
from tests.conftest import Clock, login
from tests.factories import agency_by_code, make_case, make_category, make_team
from tests.factories import user_by_name as user_named
from tests.support import push_fixtures
from tests.support.push_fixtures import add_device, add_reporter, count, eventually, record_event
from tests.support.push_service import PushService, b64url

Client = AsyncTestClient[Litestar]

app = push_fixtures.app
push = push_fixtures.push
push_settings = push_fixtures.push_settings

REFUSED = {
    "loopback": "https://127.0.0.1:9/x",
    "RFC 1918 (10/8)": "https://10.0.0.1/x",
    "RFC 1918 (172.16/12)": "https://172.16.5.4/x",
    "RFC 1918 (192.168/16)": "https://192.168.1.10/x",
    "link-local metadata": "https://169.254.169.254/latest/meta-data/",
    "IPv6 loopback": "https://[::1]:5432/x",
    "IPv6 unique local": "https://[fd12:3456::1]/x",
    "IPv6 link-local": "https://[fe80::1]/x",
    "IPv4-mapped IPv6": "https://[::ffff:127.0.0.1]/x",
    "decimal-encoded IP": "https://2130706433/x",
    "hex-encoded IP": "https://0x7f000001/x",
    "a name for loopback": "https://localhost/x",
    "not a push service": "https://example.com/push/x",
    "credentials in the URL": "https://user:pw@fcm.googleapis.com/fcm/send/x",
}


async def _case_for(db: AsyncSession):  # type: ignore[no-untyped-def]
    dlhk = await agency_by_code(db, "DLHK")
    category = await make_category(db, agency_id=dlhk.id, priority="P2")
    return await make_case(db, category=category, address="Jl. Malaka")


@pytest.mark.parametrize("endpoint", list(REFUSED.values()), ids=list(REFUSED))
async def test_endpoints_that_are_not_push_services_are_refused(
    make_app: Callable[..., Litestar], db: AsyncSession, push: PushService, endpoint: str
) -> None:
    # The production default (public push services only), even with plain http allowed.
    app = make_app(push_allow_http=True)
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as c:
        headers = await login(c, "petugas.dlhk")
        device = {**push.subscribe(), "endpoint": endpoint}
        r = await c.post(
            "/api/push/subscriptions", json=device, headers={**headers, "Accept-Language": "en"}
        )
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "push_subscription_invalid"
    assert "not an allowed push service" in r.json()["detail"]
    assert await count(db, PushSubscription) == 0


async def test_a_name_in_the_allow_list_is_still_refused_when_it_resolves_inward(
    make_app: Callable[..., Litestar], db: AsyncSession, push: PushService
) -> None:
    overrides = {**push_fixtures.TEST_OVERRIDES, "push_allowed_hosts": ("127.0.0.1", "localhost")}
    async with AsyncTestClient(app=make_app(**overrides), base_url="http://127.0.0.1") as c:
        headers = await login(c, "petugas.dlhk")
        device = push.subscribe()
        r = await c.post("/api/push/subscriptions", json=device, headers=headers)
        assert r.status_code == 201  # the address written in the list
        by_name = {
            **push.subscribe(),
            "endpoint": device["endpoint"].replace("127.0.0.1", "localhost"),
        }
        r = await c.post("/api/push/subscriptions", json=by_name, headers=headers)
        assert r.status_code == 422 and r.json()["code"] == "push_subscription_invalid"
    assert await count(db, PushSubscription) == 1


async def test_keys_that_no_send_could_use_are_refused(client: Client, push: PushService) -> None:
    headers = await login(client, "petugas.dlhk")
    device = push.subscribe()
    not_on_curve = b64url(b"\x04" + secrets.token_bytes(64))
    for keys in (
        {**device["keys"], "p256dh": not_on_curve},
        {**device["keys"], "auth": b64url(secrets.token_bytes(15))},
        {**device["keys"], "auth": b64url(secrets.token_bytes(17))},
        {**device["keys"], "p256dh": b64url(b"\x02" + secrets.token_bytes(64))},
    ):
        r = await client.post(
            "/api/push/subscriptions",
            json={**device, "keys": keys},
            headers={**headers, "Accept-Language": "en"},
        )
        assert r.status_code == 422, keys
        assert "encryption keys are not valid" in r.json()["detail"]


async def test_a_tracking_token_and_a_user_each_get_at_most_five_devices(
    client: Client, db: AsyncSession, push: PushService
) -> None:
    case = await _case_for(db)
    await add_reporter(db, case, "rahasia-warga-555")
    await db.commit()
    devices = [push.subscribe() for _ in range(6)]
    for d in devices[:5]:
        r = await client.post(
            "/api/push/subscriptions", json={**d, "tracking_token": "rahasia-warga-555"}
        )
        assert r.status_code == 201, r.text
    r = await client.post(
        "/api/push/subscriptions",
        json={**devices[5], "tracking_token": "rahasia-warga-555"},
        headers={"Accept-Language": "en"},
    )
    assert r.status_code == 409 and r.json()["code"] == "push_subscriptions_full"
    assert "5 devices" in r.json()["detail"]
    # Registering one of its own devices again is an update, not a sixth.
    r = await client.post(
        "/api/push/subscriptions", json={**devices[0], "tracking_token": "rahasia-warga-555"}
    )
    assert r.status_code == 201
    headers = await login(client, "petugas.dlhk")
    for d in devices[:5]:
        assert (
            await client.post("/api/push/subscriptions", json=d, headers=headers)
        ).status_code == 201
    r = await client.post("/api/push/subscriptions", json=devices[5], headers=headers)
    assert r.status_code == 409


async def test_subscribing_is_rate_limited_per_address(
    make_app: Callable[..., Litestar], push: PushService
) -> None:
    app = make_app(**push_fixtures.TEST_OVERRIDES, push_subscribes_per_ip=3)
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as c:
        for _ in range(3):
            r = await c.post(
                "/api/push/subscriptions",
                json={**push.subscribe(), "tracking_token": "tidak-ada-123"},
            )
            assert r.status_code == 404  # refused, and still counted
        r = await c.post(
            "/api/push/subscriptions", json={**push.subscribe(), "tracking_token": "tidak-ada-123"}
        )
        assert r.status_code == 429 and r.json()["code"] == "push_rate_limited"
        assert int(r.headers["Retry-After"]) >= 1


async def _deliver_all(
    db: AsyncSession, settings: Settings, database_url: str, clock: Clock
) -> None:
    """Run a worker until every notification has left ``pending``."""

    async def settled() -> bool:
        db.expire_all()
        rows = (await db.execute(select(Notification.status))).scalars().all()
        return bool(rows) and "pending" not in rows

    async with worker.running(settings, database_url, clock=clock):
        await eventually(settled, what="every notification settled")


async def _one_notification(db: AsyncSession, sub_user: str = "petugas.dlhk") -> None:
    putra = await user_named(db, sub_user)
    team = await make_team(db, members=[putra], agency_id=putra.agency_id)
    case = await _case_for(db)
    await record_event(db, case, "dispatched", to_status="dispatched", data={"team_id": team.id})


async def test_a_redirect_from_an_allowed_push_service_is_not_followed(
    db: AsyncSession, push: PushService, push_settings: Settings, database_url: str, clock: Clock
) -> None:
    putra = await user_named(db, "petugas.dlhk")
    device = await add_device(db, push, user=putra, label="redirecting")
    elsewhere = push.subscribe("elsewhere")  # not subscribed to anything in the app
    push.respond(device.endpoint, (307, {"Location": elsewhere["endpoint"]}))
    device_id = device.id
    await _one_notification(db)
    await db.commit()

    await _deliver_all(db, push_settings, database_url, clock)
    assert push.received == []
    assert [a.status for a in push.attempts] == [307]  # one request, the redirect not followed
    row = (await db.execute(select(Notification))).scalar_one()
    assert row.status == "failed" and row.attempts == 1 and row.last_error.startswith("307")
    assert await db.get(PushSubscription, device_id) is None


async def test_a_device_that_resolves_inward_is_refused_at_send_and_removed(
    db: AsyncSession, push: PushService, push_settings: Settings, database_url: str, clock: Clock
) -> None:
    # Stored before the rules (or by hand): the worker checks again at every send.
    putra = await user_named(db, "petugas.dlhk")
    device = await add_device(db, push, user=putra)
    device.endpoint = device.endpoint.replace("127.0.0.1", "localhost")
    device_id = device.id
    await _one_notification(db)
    await db.commit()
    settings = replace(push_settings, push_allowed_hosts=("127.0.0.1", "localhost"))

    await _deliver_all(db, settings, database_url, clock)
    assert push.attempts == []  # nothing ever connected
    row = (await db.execute(select(Notification))).scalar_one()
    assert row.status == "failed" and row.attempts == 1
    assert "endpoint refused" in row.last_error
    assert await db.get(PushSubscription, device_id) is None


async def test_a_poisoned_subscription_ends_failed_and_is_removed(
    db: AsyncSession, push: PushService, push_settings: Settings, database_url: str, clock: Clock
) -> None:
    putra = await user_named(db, "petugas.dlhk")
    poisoned = await add_device(db, push, user=putra, label="poisoned")
    poisoned.p256dh = b64url(b"\x04" + b"\x01" * 64)  # not a point on P-256
    healthy = await add_device(db, push, user=putra, label="healthy")
    poisoned_id, healthy_id = poisoned.id, healthy.id
    await _one_notification(db)
    await db.commit()

    await _deliver_all(db, push_settings, database_url, clock)
    assert [r.label for r in push.received] == ["healthy"]
    rows = dict((await db.execute(select(Notification.status, Notification.attempts))).all())
    assert rows == {"sent": 1, "failed": 1}
    assert await db.get(PushSubscription, poisoned_id) is None
    assert await db.get(PushSubscription, healthy_id) is not None


@contextlib.asynccontextmanager
async def _delivery(
    settings: Settings, engine: AsyncEngine, clock: Clock
) -> AsyncIterator[PushDelivery]:
    """The worker's delivery, on ``engine``, to the local push service."""
    async with WebPushSender(
        vapid_keys(settings),
        settings.vapid_subject,
        allow_http=True,
        allowed_hosts=settings.push_allowed_hosts,
    ) as sender:
        yield PushDelivery(make_sessionmaker(engine), sender, clock)


async def test_a_device_that_keeps_failing_ends_failed_after_its_attempts_and_is_removed(
    db: AsyncSession, push: PushService, push_settings: Settings, database_url: str, clock: Clock
) -> None:
    putra = await user_named(db, "petugas.dlhk")
    device = await add_device(db, push, user=putra)
    push.respond(device.endpoint, *([500] * MAX_ATTEMPTS))
    device_id = device.id
    await _one_notification(db)
    await db.commit()
    nid = (await db.execute(select(Notification.id))).scalar_one()
    engine = make_engine(database_url, 2, 0)
    try:
        async with _delivery(push_settings, engine, clock) as delivery:
            delays = [(await delivery.deliver_all([nid]))[nid] for _ in range(MAX_ATTEMPTS)]
    finally:
        await engine.dispose()
    assert all(d is not None for d in delays[:-1]) and delays[-1] is None
    assert [a.status for a in push.attempts] == [500] * MAX_ATTEMPTS
    db.expire_all()
    row = (await db.execute(select(Notification))).scalar_one()
    assert row.status == "failed" and row.attempts == MAX_ATTEMPTS
    assert await db.get(PushSubscription, device_id) is None


async def test_the_jobs_of_one_fetch_read_their_rows_in_one_statement_and_keep_every_outcome(
    db: AsyncSession, push: PushService, push_settings: Settings, database_url: str, clock: Clock
) -> None:
    """Rows asked for at once are read together; each still gets its own outcome."""
    putra = await user_named(db, "petugas.dlhk")
    devices = [await add_device(db, push, user=putra, label=f"hp-{i}") for i in range(6)]
    push.respond(devices[0].endpoint, 410)
    push.respond(devices[1].endpoint, (429, {"Retry-After": "7"}))
    gone_id = devices[0].id
    await _one_notification(db)
    await db.commit()
    rows = (await db.execute(select(Notification.subscription_id, Notification.id))).all()
    by_sub = {r.subscription_id: r.id for r in rows}
    nids = [by_sub[d.id] for d in devices]
    engine = make_engine(database_url, 4, 0)
    statements: list[str] = []

    def seen(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with _delivery(push_settings, engine, clock) as delivery:
            # One job per row, all of one fetch.
            jobs = await asyncio.gather(*(delivery.deliver_all([nid]) for nid in nids))
            delays = [job[nid] for job, nid in zip(jobs, nids, strict=True)]
    finally:
        await engine.dispose()
    reads = [s for s in statements if "FROM notifications" in s]
    assert len(reads) == 1, statements
    writes = [s for s in statements if "UPDATE notifications" in s]
    assert 1 <= len(writes) <= len(nids)
    assert delays[0] is None and delays[1] == 7.0 and delays[2:] == [None] * 4
    db.expire_all()
    found = {r.id: r for r in (await db.execute(select(Notification))).scalars().all()}
    assert [found[n].status for n in nids] == ["gone", "pending"] + ["sent"] * 4
    assert found[nids[1]].attempts == 1 and "429" in found[nids[1]].last_error
    assert all(found[n].sent_at is not None for n in nids[2:])
    assert await db.get(PushSubscription, gone_id) is None
    assert len(push.received) == 4
