"""The caller hears back: the tracking code by SMS, through the real worker and a local gateway.

The acceptance of issue #21 part 5: the caller's code goes out through the gateway exactly once,
whether the operator's request is retried (same Idempotency-Key), clicked twice, or the worker
retries after a gateway timeout whose message had in fact gone out.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api import worker
from api.config import Settings
from api.db.models import SmsMessage
from tests.conftest import Clock, login
from tests.factories import category_by_code
from tests.support.push_fixtures import (
    TEST_OVERRIDES,
    start_worker,
    stop_worker,
    subprocess_env,
)
from tests.support.sms_gateway import SmsGateway

Client = AsyncTestClient[Litestar]
CALLER = "0812-3456-7890"
E164 = "+6281234567890"
PUBLIC = "https://112.kendari.example"


@pytest.fixture
def gateway() -> Iterator[SmsGateway]:
    with SmsGateway().running() as g:
        yield g


def sms_overrides(gateway: SmsGateway, **more: Any) -> dict[str, Any]:
    return (
        TEST_OVERRIDES
        | {
            "sms_gateway_url": gateway.url,
            "sms_gateway_token": gateway.token,
            "public_url": PUBLIC,
            "sms_timeout_ms": 500,
            "sms_retry_seconds": 1,
        }
        | more
    )


@pytest.fixture
def sms_settings(settings: Settings, gateway: SmsGateway) -> Settings:
    return settings.with_(**sms_overrides(gateway))


@pytest.fixture
def app(make_app: Callable[..., Litestar], gateway: SmsGateway) -> Litestar:
    return make_app(**sms_overrides(gateway))


async def new_call_case(client: Client, db: AsyncSession, headers: dict[str, str]) -> Any:
    tree = await category_by_code(db, "POHON_TUMBANG")
    r = await client.post(
        "/api/cases",
        headers=headers,
        json={
            "category_id": tree.id,
            "lat": -3.966,
            "lon": 122.508,
            "description": "Pohon tumbang menutup jalan di depan sekolah",
            "reporter": {"name": "Wa Ode", "phone": CALLER},
        },
    )
    assert r.status_code == 201, r.text
    return r.json()


@dataclass(frozen=True)
class CallCase:
    """A case an operator created from a call with a number, and its caller-SMS address."""

    op: dict[str, str]
    case: Any
    url: str


@pytest.fixture
async def call(client: Client, db: AsyncSession) -> CallCase:
    op = await login(client, "operator")
    case = await new_call_case(client, db, op)
    return CallCase(op, case, f"/api/cases/{case['id']}/caller-sms")


async def ask(client: Client, call: CallCase, **body: str) -> Any:
    r = await client.post(call.url, headers=call.op, json=body)
    assert r.status_code == 202, r.text
    return r.json()


Settle = Callable[..., Awaitable[SmsMessage]]


@pytest.fixture
def settle(db: AsyncSession, sms_settings: Settings, database_url: str, clock: Clock) -> Settle:
    """Run the real worker until a case's message is no longer pending (sent or failed)."""

    async def run(case_id: str, settings: Settings = sms_settings) -> SmsMessage:
        async with worker.running(settings, database_url, clock=clock):
            deadline = time.monotonic() + 20
            row = await sms_row(db, case_id)
            while row.status == "pending":
                assert time.monotonic() < deadline, f"still pending after {row.attempts} tries"
                await asyncio.sleep(0.05)
                row = await sms_row(db, case_id)
        return row

    return run


async def sms_row(db: AsyncSession, case_id: str) -> SmsMessage:
    db.expire_all()
    return (await db.execute(select(SmsMessage).where(SmsMessage.case_id == case_id))).scalar_one()


async def queued_jobs(db: AsyncSession) -> int:
    return int(
        await db.scalar(text("SELECT count(*) FROM pgqueuer WHERE entrypoint = 'sms.send'")) or 0
    )


async def test_the_code_goes_out_once_when_the_request_is_retried_and_clicked_twice(
    client: Client,
    db: AsyncSession,
    call: CallCase,
    gateway: SmsGateway,
    settle: Settle,
    clock: Clock,
) -> None:
    op, case, url = call.op, call.case, call.url
    before = (await client.get(url, headers=op)).json()
    assert before == {
        "available": True,
        "status": None,
        "language": None,
        "attempts": 0,
        "last_error": "",
        "requested_at": None,
        "sent_at": None,
    }
    # The phone lost the answer and sends the same request again; then a second click.
    retried = {**op, "Idempotency-Key": "sms-click-0001"}
    first = await client.post(url, headers=retried, json={})
    again = await client.post(url, headers=retried, json={})
    click = await client.post(url, headers=op, json={"language": "en"})
    for r in (first, again, click):
        assert r.status_code == 202, r.text
        assert r.json()["status"] == "pending" and r.json()["language"] == "id"
    assert await db.scalar(select(func.count()).select_from(SmsMessage)) == 1
    assert await queued_jobs(db) == 1

    row = await settle(case["id"])
    assert row.status == "sent"
    (sent,) = gateway.delivered
    code = case["reference"]
    assert sent.to == E164
    assert sent.text == (
        f"112 Kendari: laporan Anda tercatat dengan kode lacak {code}. "
        f"Ikuti perkembangannya di {PUBLIC}/lacak/{code}"
    )
    assert "Pohon" not in sent.text and case["caller_tracking"]["pin"] not in sent.text
    assert sent.key == str(row.key) and row.attempts == 1 and row.sent_at == clock()
    assert row.phone == ""  # the outbox keeps no copy of the number once it is sent
    assert [s.status for s in gateway.requests] == [200]
    # Staff see it sent; asking again sends nothing more.
    shown = (await client.get(url, headers=op)).json()
    assert shown["status"] == "sent" and shown["sent_at"] is not None
    assert (await ask(client, call))["status"] == "sent"
    assert await queued_jobs(db) == 0 and len(gateway.delivered) == 1


async def test_english_when_chosen(client: Client, db: AsyncSession, call: CallCase) -> None:
    assert (await ask(client, call, language="en"))["language"] == "en"
    code = call.case["reference"]
    assert (await sms_row(db, call.case["id"])).body == (
        f"112 Kendari: your report is recorded with tracking code {code}. "
        f"Follow it at {PUBLIC}/lacak/{code}"
    )


async def test_a_gateway_timeout_is_retried_with_the_same_key_and_the_caller_gets_one_sms(
    client: Client, call: CallCase, gateway: SmsGateway, settle: Settle
) -> None:
    # The gateway takes the message but its answer never comes back in time.
    gateway.hang_next(1)
    await ask(client, call)
    row = await settle(call.case["id"])
    # The hung first try is answered (and recorded) only once released.
    gateway.release()
    await gateway.wait_for(lambda: len(gateway.requests) == 2, what="both tries answered")
    assert row.status == "sent" and row.attempts == 2 and row.last_error == ""
    assert len(gateway.delivered) == 1 and len(gateway.to(E164)) == 1
    # The retry carried the first try's key, and the gateway answered it without a second SMS.
    assert {s.key for s in gateway.requests} == {str(row.key)}


async def test_failures_retry_with_backoff_end_visible_and_a_resend_delivers_once(
    client: Client,
    call: CallCase,
    gateway: SmsGateway,
    settle: Settle,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    gateway.fail_next(2, status=503)
    await ask(client, call)
    two_tries = settings.with_(**sms_overrides(gateway, sms_max_attempts=2))
    caplog.set_level(logging.INFO)
    row = await settle(call.case["id"], two_tries)
    assert row.status == "failed" and row.attempts == 2 and row.last_error == "HTTP 503"
    assert gateway.delivered == [] and len(gateway.requests) == 2
    shown = (await client.get(call.url, headers=call.op)).json()
    assert shown["status"] == "failed" and shown["attempts"] == 2
    assert shown["last_error"] == "HTTP 503"
    # The number never reaches the log, in any spelling.
    assert "sms" in caplog.text and "81234567890" not in caplog.text
    assert "3456" not in caplog.text

    # The operator sends it again: queued anew with the same key, delivered once.
    again = await ask(client, call, language="en")
    assert again["status"] == "pending" and again["attempts"] == 0 and again["language"] == "en"
    row = await settle(call.case["id"], two_tries)
    assert row.status == "sent" and len(gateway.delivered) == 1
    assert gateway.delivered[0].key == str(row.key) and row.attempts == 1
    assert gateway.delivered[0].text.startswith("112 Kendari: your report is recorded")


async def test_a_message_the_gateway_refuses_fails_at_once(
    client: Client, call: CallCase, gateway: SmsGateway, settle: Settle, settings: Settings
) -> None:
    await ask(client, call)
    wrong_token = settings.with_(**sms_overrides(gateway, sms_gateway_token="not-the-token"))
    row = await settle(call.case["id"], wrong_token)
    assert row.status == "failed" and row.attempts == 1 and row.last_error == "HTTP 401"
    assert gateway.delivered == []


async def test_without_a_gateway_the_option_is_unavailable_and_nothing_is_queued(
    make_app: Callable[..., Litestar], db: AsyncSession
) -> None:
    async with AsyncTestClient(app=make_app(), base_url="http://127.0.0.1") as client:
        op = await login(client, "operator")
        case = await new_call_case(client, db, op)
        url = f"/api/cases/{case['id']}/caller-sms"
        assert (await client.get(url, headers=op)).json()["available"] is False
        r = await client.post(url, headers={**op, "Accept-Language": "en"}, json={})
        assert r.status_code == 409, r.text
        assert r.json()["code"] == "sms_unavailable"
        assert r.json()["detail"].startswith("SMS is not set up")
    assert await db.scalar(select(func.count()).select_from(SmsMessage)) == 0
    assert await queued_jobs(db) == 0


async def test_bad_requests_change_nothing(
    client: Client, db: AsyncSession, call: CallCase
) -> None:
    op, url = call.op, call.url
    tree = await category_by_code(db, "POHON_TUMBANG")
    walk_in = await client.post(
        "/api/cases",
        headers=op,
        json={"category_id": tree.id, "lat": -3.966, "lon": 122.508, "description": "Pohon"},
    )
    no_number = f"/api/cases/{walk_in.json()['id']}/caller-sms"
    assert (await client.get(no_number, headers=op)).json()["available"] is False
    r = await client.post(no_number, headers=op, json={})
    assert r.status_code == 409 and r.json()["code"] == "sms_no_caller_number"
    assert r.json()["detail"].startswith("Kasus ini tidak punya nomor")
    assert (await client.post(url, headers=op, json={"language": "fr"})).status_code == 400
    assert (await client.post(url, headers=op, json={"to": "+62811"})).status_code == 400
    assert (await client.post(url, headers=op, content=b"{not json")).status_code == 400
    unknown = "/api/cases/00000000-0000-0000-0000-000000000000/caller-sms"
    assert (await client.post(unknown, headers=op, json={})).status_code == 404
    assert (await client.post(url, json={})).status_code == 401
    officer = await login(client, "petugas.dlhk")
    assert (await client.post(url, headers=officer, json={})).status_code == 403
    assert await db.scalar(select(func.count()).select_from(SmsMessage)) == 0
    assert await queued_jobs(db) == 0


async def test_a_city_that_sends_by_itself_queues_the_code_at_intake_once(
    make_app: Callable[..., Litestar], db: AsyncSession, settings: Settings, settle: Settle
) -> None:
    # This gateway checks an HMAC signature instead of a bearer token.
    with SmsGateway(auth="hmac").running() as gateway:
        auto = sms_overrides(gateway, sms_tracking_auto=True, sms_gateway_auth="hmac")
        async with AsyncTestClient(app=make_app(**auto), base_url="http://127.0.0.1") as client:
            op = await login(client, "operator")
            case = await new_call_case(client, db, op)
            url = f"/api/cases/{case['id']}/caller-sms"
            assert (await client.get(url, headers=op)).json()["status"] == "pending"
            # The operator clicks as well: still the one message.
            assert (await client.post(url, headers=op, json={})).status_code == 202
            assert await queued_jobs(db) == 1
        row = await settle(case["id"], settings.with_(**auto))
    assert row.status == "sent" and row.language == "id"
    assert [s.status for s in gateway.requests] == [200]
    assert [d.to for d in gateway.delivered] == [E164]


async def test_a_wrong_hmac_secret_is_refused_by_the_gateway(
    client: Client, call: CallCase, settings: Settings, settle: Settle
) -> None:
    with SmsGateway(token="the-gateway-secret", auth="hmac").running() as gateway:
        await ask(client, call)
        # The worker signs with another secret than the gateway's.
        wrong = {"sms_gateway_auth": "hmac", "sms_gateway_token": "not-the-secret"}
        signed = settings.with_(**sms_overrides(gateway, **wrong))
        row = await settle(call.case["id"], signed)
    assert row.status == "failed" and row.last_error == "HTTP 401" and gateway.delivered == []


async def test_a_worker_killed_between_send_and_mark_does_not_send_twice(
    client: Client,
    db: AsyncSession,
    call: CallCase,
    gateway: SmsGateway,
    sms_settings: Settings,
    database_url: str,
    tmp_path: Path,
) -> None:
    """SIGKILL the worker while the gateway holds the answer to a message it has taken: the row
    still says pending, a new worker sends again with the same key, and the caller gets one SMS."""
    gateway.hang_next(1)
    await ask(client, call)
    env = subprocess_env(
        sms_settings,
        database_url,
        TANGGAP_SMS_GATEWAY_URL=gateway.url,
        TANGGAP_SMS_GATEWAY_TOKEN=gateway.token,
        TANGGAP_PUBLIC_URL=PUBLIC,
        TANGGAP_SMS_TIMEOUT_MS="60000",
    )
    log = tmp_path / "worker.log"
    workers = [start_worker(env, log)]
    try:
        await gateway.wait_for(lambda: len(gateway.delivered) == 1, 60, "the message taken")
        os.kill(workers[0].pid, signal.SIGKILL)
        workers[0].wait(10)
        gateway.release()  # its answer now goes nowhere
        assert (await sms_row(db, call.case["id"])).status == "pending"
        workers.append(start_worker(env, log))
        await gateway.wait_for(lambda: len(gateway.requests) >= 2, 60, "the second try")
        deadline = time.monotonic() + 20
        while (row := await sms_row(db, call.case["id"])).status == "pending":
            assert time.monotonic() < deadline, "the second worker did not mark it"
            await asyncio.sleep(0.05)
    finally:
        for w in workers:
            stop_worker(w)
    # The killed try's transaction died with it: one try on record, one SMS delivered.
    assert row.status == "sent" and row.attempts == 1
    assert len(gateway.delivered) == 1 and {s.key for s in gateway.requests} == {str(row.key)}
