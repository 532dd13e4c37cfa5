"""WhatsApp and SMS conversations (issue #22, items 1 and 2), against a real PostGIS, the real
worker and a local Cloud API and SMS gateway on 127.0.0.1.

Acceptance: signature failures, replays and malformed payloads are refused with a 4xx and change
nothing; an inbound text, location and image become a call with its location and photo; the
operator's reply and the tracking-code template reach the test server exactly once, even when
the request is retried and the first send fails.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api import worker
from api.config import Settings
from api.db.models import Call, ConversationMessage, IdempotentRequest, Photo
from api.services.calls import sign as pbx_sign
from tests.conftest import Clock, login
from tests.factories import category_by_code
from tests.support.images import jpeg
from tests.support.push_fixtures import TEST_OVERRIDES
from tests.support.sms_gateway import SmsGateway
from tests.support.whatsapp_server import (
    PHONE_NUMBER_ID,
    CloudApi,
    message,
    payload,
    sign,
    status,
)

Client = AsyncTestClient[Litestar]
SECRET = "test-whatsapp-app-secret"
VERIFY = "test-verify-token"
SMS_SECRET = "test-sms-inbound-secret"
SENDER = "6281234567890"
HOOK = "/api/webhooks/whatsapp"


@pytest.fixture
def servers() -> Iterator[tuple[CloudApi, SmsGateway]]:
    """The local Cloud API and SMS gateway, both on 127.0.0.1."""
    with CloudApi().running() as c, SmsGateway().running() as g:
        yield c, g


@pytest.fixture
def cloud(servers: tuple[CloudApi, SmsGateway]) -> CloudApi:
    return servers[0]


@pytest.fixture
def gateway(servers: tuple[CloudApi, SmsGateway]) -> SmsGateway:
    return servers[1]


def overrides(cloud: CloudApi, gateway: SmsGateway) -> dict[str, Any]:
    return TEST_OVERRIDES | {
        "whatsapp_app_secret": SECRET,
        "whatsapp_verify_token": VERIFY,
        "whatsapp_api_url": cloud.url,
        "whatsapp_token": cloud.token,
        "whatsapp_phone_number_id": PHONE_NUMBER_ID,
        "whatsapp_timeout_ms": 2000,
        "sms_inbound_secret": SMS_SECRET,
        "sms_gateway_url": gateway.url,
        "sms_gateway_token": gateway.token,
        "sms_retry_seconds": 1,
        "public_url": "https://112.kendari.example",
    }


@pytest.fixture
def conv_settings(settings: Settings, cloud: CloudApi, gateway: SmsGateway) -> Settings:
    return replace(settings, **overrides(cloud, gateway))


@pytest.fixture
def app(make_app: Callable[..., Litestar], cloud: CloudApi, gateway: SmsGateway) -> Litestar:
    return make_app(**overrides(cloud, gateway))


async def post_hook(client: Client, body: bytes, signature: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    headers["X-Hub-Signature-256"] = sign(SECRET, body) if signature is None else signature
    return await client.post(HOOK, content=body, headers=headers)


async def counts(db: AsyncSession) -> tuple[int, int, int]:
    db.expire_all()
    calls = await db.scalar(select(func.count()).select_from(Call))
    msgs = await db.scalar(select(func.count()).select_from(ConversationMessage))
    seen = await db.scalar(select(func.count()).select_from(IdempotentRequest))
    return int(calls or 0), int(msgs or 0), int(seen or 0)


def conversation(seed: str = "1") -> bytes:
    return payload(
        [
            message(SENDER, f"wamid.in.text.{seed}", "text", body="Banjir di depan rumah"),
            message(SENDER, f"wamid.in.loc.{seed}", "location", latitude=-3.97, longitude=122.51),
            message(SENDER, f"wamid.in.img.{seed}", "image", id="media-1", mime_type="image/jpeg"),
        ]
    )


async def test_verify_challenge(client: Client) -> None:
    ok = await client.get(
        HOOK, params={"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "42"}
    )
    assert ok.status_code == 200 and ok.text == "42"
    bad = await client.get(
        HOOK, params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "42"}
    )
    assert bad.status_code == 403 and bad.json()["code"] == "webhook_verify_token_invalid"


async def test_bad_signatures_replays_and_malformed_bodies_change_nothing(
    client: Client, db: AsyncSession, cloud: CloudApi
) -> None:
    cloud.add_media("media-1", jpeg())
    body = conversation()
    before = await counts(db)
    for signature in ("", "sha256=" + "0" * 64, sign("another-secret", body), "garbage"):
        r = await post_hook(client, body, signature)
        assert r.status_code == 401, r.text
        assert r.json()["code"] == "webhook_signature_invalid"
    # Signed but not a WhatsApp payload; a bad number; an unknown status.
    bad_bodies = [
        b"{not json",
        b'{"object": "page", "entry": []}',
        payload([message("12", "wamid.x", "text", body="hai")]),
        payload(statuses=[status("wamid.out.1", "exploded")]),
        # A media id goes into the Cloud API's URL path: no way out of it.
        payload(
            [message(SENDER, "wamid.in.img.x", "image", id="../../me", mime_type="image/jpeg")]
        ),
        payload([message(SENDER, "wamid.in.img.y", "image", id="..", mime_type="image/jpeg")]),
    ]
    for bad in bad_bodies:
        r = await post_hook(client, bad)
        assert 400 <= r.status_code < 500, r.text
        assert r.json()["code"] in ("validation_failed", "invalid_phone")
    assert await counts(db) == before
    # A good one, then the same signed body again: 409, nothing more.
    assert (await post_hook(client, body)).status_code == 200
    after = await counts(db)
    replay = await post_hook(client, body)
    assert replay.status_code == 409 and replay.json()["code"] == "webhook_replayed"
    assert await counts(db) == after
    # The same messages redelivered in a new body (the provider's retry): no new rows.
    redelivered = payload(
        [message(SENDER, "wamid.in.text.1", "text", body="Banjir di depan rumah")]
    )
    assert (await post_hook(client, redelivered)).status_code == 200
    assert await counts(db) == (after[0], after[1], after[2] + 1)


async def test_text_location_and_image_become_a_call_with_location_and_photo(
    client: Client, db: AsyncSession, cloud: CloudApi
) -> None:
    cloud.add_media("media-1", jpeg(seed=3))
    r = await post_hook(client, conversation())
    assert r.status_code == 200, r.text
    (call_id,) = r.json()["calls"]
    call = await db.get(Call, call_id)
    assert call is not None
    assert call.channel == "whatsapp" and call.number == "+" + SENDER
    assert call.location_source == "whatsapp"
    xy = await db.execute(
        text("SELECT ST_X(location::geometry), ST_Y(location::geometry) FROM calls WHERE id = :i"),
        {"i": call_id},
    )
    assert tuple(round(v, 2) for v in xy.one()) == (122.51, -3.97)
    # The same caller history as a phone call.
    op = await login(client, "operator")
    caller = {**op, "X-Caller-Number": "0" + SENDER[2:]}
    history = await client.get("/api/calls/history", headers=caller)
    assert history.status_code == 200, history.text
    assert [c["id"] for c in history.json()["calls"]] == [call_id]
    assert history.json()["calls"][0]["channel"] == "whatsapp"
    shown = await client.get(f"/api/calls/{call_id}/messages", headers=op)
    assert [(m["kind"], m["has_photo"]) for m in shown.json()] == [
        ("text", False),
        ("location", False),
        ("image", True),
    ]
    assert shown.json()[0]["body"] == "Banjir di depan rumah"
    # The intake makes a case from the call; the image becomes its photo, through the
    # upload's store (checked copies, EXIF stripped).
    case = await make_case(client, db, op, call_id)
    photos = (await db.execute(select(Photo).where(Photo.case_id == case["id"]))).scalars().all()
    assert len(photos) == 1 and photos[0].source == "citizen"
    # A later image of the same conversation joins the case at once; the same one again does
    # not make a second photo.
    cloud.add_media("media-2", jpeg(seed=4))
    for seed, media in (("2", "media-2"), ("3", "media-1")):
        r2 = await post_hook(
            client, payload([message(SENDER, f"wamid.in.img.{seed}", "image", id=media)])
        )
        assert r2.status_code == 200 and r2.json()["calls"] == [call_id]
    db.expire_all()
    photos = (await db.execute(select(Photo).where(Photo.case_id == case["id"]))).scalars().all()
    assert len(photos) == 2
    # Not a photo at all: kept as a message saying so, nothing stored.
    cloud.add_media("media-bad", b"%PDF-1.4 not an image")
    r3 = await post_hook(
        client, payload([message(SENDER, "wamid.in.pdf", "image", id="media-bad")])
    )
    assert r3.status_code == 200
    last = (await client.get(f"/api/calls/{call_id}/messages", headers=op)).json()[-1]
    assert last["has_photo"] is False and last["body"]


async def make_case(client: Client, db: AsyncSession, op: dict[str, str], call_id: int) -> Any:
    flood = await category_by_code(db, "POHON_TUMBANG")
    r = await client.post(
        "/api/cases",
        headers=op,
        json={
            "category_id": flood.id,
            "lat": -3.97,
            "lon": 122.51,
            "description": "Laporan lewat WhatsApp",
            "call_id": call_id,
            "reporter": {"phone": "+" + SENDER},
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["channel"] == "whatsapp"  # the case came the way the call did
    return r.json()


Settle = Callable[..., Awaitable[None]]


@pytest.fixture
def settle(db: AsyncSession, conv_settings: Settings, database_url: str, clock: Clock) -> Settle:
    """Run the real worker until no conversation message is pending."""

    async def run(**changes: Any) -> None:
        settings = replace(conv_settings, **changes)
        async with worker.running(settings, database_url, clock=clock):
            deadline = time.monotonic() + 20
            while True:
                db.expire_all()
                pending = await db.scalar(
                    select(func.count())
                    .select_from(ConversationMessage)
                    .where(ConversationMessage.status == "pending")
                )
                if not pending:
                    return
                assert time.monotonic() < deadline, "still pending"
                await asyncio.sleep(0.05)

    return run


async def test_reply_and_tracking_template_reach_the_api_exactly_once(
    client: Client, db: AsyncSession, cloud: CloudApi, settle: Settle
) -> None:
    r = await post_hook(client, payload([message(SENDER, "wamid.in.a", "text", body="Tolong")]))
    (call_id,) = r.json()["calls"]
    op = await login(client, "operator")
    key = str(uuid.uuid4())
    url = f"/api/calls/{call_id}/messages"
    # The request retried (lost answer) and clicked twice: one row, one job.
    for _ in range(3):
        sent = await client.post(url, headers=op, json={"text": "Tim sedang menuju", "key": key})
        assert sent.status_code == 202, sent.text
        assert sent.json()["status"] == "pending"
    case = await make_case(client, db, op, call_id)
    for _ in range(2):
        tr = await client.post(
            url,
            headers=op,
            json={"key": str(uuid.uuid4()), "template": "tracking_code", "language": "en"},
        )
        assert tr.status_code == 202, tr.text
    jobs = await db.scalar(
        text("SELECT count(*) FROM pgqueuer WHERE entrypoint = 'conversation.send'")
    )
    assert jobs == 2
    cloud.fail_next(1, 503)  # the first send is refused: retried by the worker, not doubled
    await settle()
    assert len(cloud.sent) == 2 and cloud.statuses.count(503) == 1
    texts = [m for m in cloud.sent if m.body["type"] == "text"]
    templates = [m for m in cloud.sent if m.body["type"] == "template"]
    assert [m.body["text"]["body"] for m in texts] == ["Tim sedang menuju"]
    (template,) = templates
    assert template.to == SENDER
    assert template.body["template"]["name"] == "tanggap_tracking_code"
    assert template.body["template"]["language"] == {"code": "en"}
    params = template.body["template"]["components"][0]["parameters"]
    assert params[0]["text"] == case["reference"]
    # The team is sent: the caller hears of it, in the status-change template, once.
    teams = await client.get(f"/api/cases/{case['id']}/team-suggestions", headers=op)
    team = teams.json()[0]
    moved = await client.post(
        f"/api/cases/{case['id']}/assign",
        headers=op,
        json={"team_id": team["team_id"], "version": case["version"]},
    )
    assert moved.status_code == 200, moved.text
    await settle()
    (notice,) = [m for m in cloud.sent if m.body["type"] == "template"][1:]
    assert notice.body["template"]["name"] == "tanggap_status_change"
    assert notice.body["template"]["components"][0]["parameters"][0]["text"] == case["reference"]
    cloud.sent.remove(notice)
    # Asking again after it went out sends nothing more.
    again = await client.post(url, headers=op, json={"text": "Tim sedang menuju", "key": key})
    assert again.json()["status"] == "sent"
    await settle()
    assert len(cloud.sent) == 2
    # Delivery and read statuses, in any order, only move forward.
    wamid = texts[0].id
    for state in ("read", "delivered"):
        r = await post_hook(client, payload(statuses=[status(wamid, state)]))
        assert r.status_code == 200, r.text
    shown = (await client.get(url, headers=op)).json()
    assert [m["status"] for m in shown if m["direction"] == "out" and m["kind"] == "text"] == [
        "read"
    ]


def sms_signed(body: bytes, clock: Clock) -> dict[str, str]:
    stamp = str(int(clock().timestamp()))
    return {
        "X-Tanggap-Timestamp": stamp,
        "X-Tanggap-Signature": pbx_sign(SMS_SECRET, stamp, body),
        "Content-Type": "application/json",
    }


async def test_sms_conversation_in_and_out(
    client: Client, db: AsyncSession, gateway: SmsGateway, settle: Settle, clock: Clock
) -> None:
    body = b'{"id": "gw-1", "from": "0812-3456-7890", "text": "Ada kebakaran"}'
    before = await counts(db)
    bad = await client.post(
        "/api/webhooks/sms",
        content=body,
        headers={**sms_signed(body, clock), "X-Tanggap-Signature": "0" * 64},
    )
    assert bad.status_code == 401
    junk = b'{"from": "0812"}'
    r = await client.post("/api/webhooks/sms", content=junk, headers=sms_signed(junk, clock))
    assert r.status_code == 400
    assert await counts(db) == before
    ok = await client.post("/api/webhooks/sms", content=body, headers=sms_signed(body, clock))
    assert ok.status_code == 200, ok.text
    (call_id,) = ok.json()["calls"]
    replay = await client.post("/api/webhooks/sms", content=body, headers=sms_signed(body, clock))
    assert replay.status_code == 409
    call = await db.get(Call, call_id)
    assert call is not None and call.channel == "sms" and call.number == "+6281234567890"
    op = await login(client, "operator")
    key = str(uuid.uuid4())
    for _ in range(2):
        r = await client.post(
            f"/api/calls/{call_id}/messages", headers=op, json={"text": "Damkar menuju", "key": key}
        )
        assert r.status_code == 202, r.text
    await settle()
    assert [(d.to, d.text) for d in gateway.delivered] == [("+6281234567890", "Damkar menuju")]


async def test_replies_need_a_conversation_and_a_role(client: Client, db: AsyncSession) -> None:
    r = await post_hook(client, payload([message(SENDER, "wamid.in.z", "text", body="Halo")]))
    (call_id,) = r.json()["calls"]
    body = {"text": "Halo", "key": str(uuid.uuid4())}
    anon = await client.post(f"/api/calls/{call_id}/messages", json=body)
    assert anon.status_code == 401
    officer = await login(client, "petugas.dlhk")
    denied = await client.post(f"/api/calls/{call_id}/messages", headers=officer, json=body)
    assert denied.status_code == 403
    op = await login(client, "operator")
    empty = await client.post(
        f"/api/calls/{call_id}/messages", headers=op, json={"text": "", "key": body["key"]}
    )
    assert empty.status_code == 400
    missing = await client.post("/api/calls/999999/messages", headers=op, json=body)
    assert missing.status_code == 404


async def test_prank_rules_count_whatsapp_conversations(client: Client, clock: Clock) -> None:
    """Three conversations the operator ended as pranks flag the number, as three calls would;
    a message after an ended conversation opens a new call."""
    op = await login(client, "operator")
    ids = []
    for i in range(3):
        body = payload([message(SENDER, f"wamid.in.prank.{i}", "text", body="haha")])
        (call_id,) = (await post_hook(client, body)).json()["calls"]
        ids.append(call_id)
        ended = {"class": "prank", "ended_at": clock().isoformat()}
        r = await client.patch(f"/api/calls/{call_id}", headers=op, json=ended)
        assert r.status_code == 200, r.text
        clock.advance(minutes=1)
    assert len(set(ids)) == 3
    caller = {**op, "X-Caller-Number": "+" + SENDER}
    r = await client.get("/api/calls/history", headers=caller)
    assert r.status_code == 200, r.text
    history = r.json()
    assert history["prank_count"] == 3 and history["flagged"] is True
    flagged = (await client.get("/api/calls/flagged-numbers", headers=op)).json()
    assert [f["number"] for f in flagged] == ["+" + SENDER]


async def test_a_whatsapp_send_with_no_answer_is_not_sent_again(
    client: Client, db: AsyncSession, cloud: CloudApi, settle: Settle
) -> None:
    """The Cloud API took the message but its answer never came: the Cloud API has no
    idempotency key, so the message is marked failed rather than sent a second time."""
    r = await post_hook(client, payload([message(SENDER, "wamid.in.t", "text", body="Halo")]))
    (call_id,) = r.json()["calls"]
    op = await login(client, "operator")
    json = {"text": "Tim menuju", "key": str(uuid.uuid4())}
    sent = await client.post(f"/api/calls/{call_id}/messages", headers=op, json=json)
    assert sent.status_code == 202, sent.text
    cloud.hang_next()
    await settle(whatsapp_timeout_ms=300)
    assert len(cloud.sent) == 1
    row = await db.get(ConversationMessage, sent.json()["id"])
    assert row is not None and row.status == "failed" and row.last_error == "timeout"
    assert row.attempts == 1
