"""The live stream's ``conversation`` events (issue #22): an inbound WhatsApp or SMS message, and
a delivery status of one of ours, reach the staff who may see calls at once, with the call's id
only (no text, no number); a field officer and a coordinator never hear of them."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import Settings
from api.db.models import ConversationMessage
from api.services.calls import sign as pbx_sign
from api.services.notify import on_warning
from tests.integration.test_aml_live import _stream
from tests.integration.test_aml_live import base_url as base_url  # the API over real HTTP
from tests.support.sse import SSEEvent, SSEStream
from tests.support.whatsapp_server import message, payload, sign, status

SENDER = "6281277009911"
SMS_SENDER = "+6281277009922"


async def _until_marker(s: SSEStream) -> list[SSEEvent]:
    """Every event up to the ``warning`` marker (events come in commit order)."""
    heard: list[SSEEvent] = []
    while True:
        e = await s.next()
        if e.event == "warning":
            return heard
        heard.append(e)


async def test_conversation_events_reach_call_staff_without_text_or_number(
    base_url: str, settings: Settings, db: AsyncSession
) -> None:
    secret = (settings.data_dir / "whatsapp.secret").read_text().strip()
    sms_secret = (settings.data_dir / "sms-inbound.secret").read_text().strip()
    async with httpx.AsyncClient(base_url=base_url, timeout=15) as c:
        operator = await _stream(c, base_url, "operator")
        supervisor = await _stream(c, base_url, "supervisor")
        officer = await _stream(c, base_url, "petugas.dlhk")
        coordinator = await _stream(c, base_url, "koordinator.dlhk")
        try:
            body = payload([message(SENDER, "wamid.live.1", "text", body="Pohon tumbang!")])
            r = await c.post(
                "/api/webhooks/whatsapp",
                content=body,
                headers={"X-Hub-Signature-256": sign(secret, body)},
            )
            assert r.status_code == 200, r.text
            (call_id,) = r.json()["calls"]
            for s in (operator, supervisor):
                heard = await s.next(event="conversation")
                assert heard.json == {"t": "conversation", "id": call_id}
                assert SENDER not in heard.data and "Pohon" not in heard.data

            # One of our messages on that call moves to "delivered": the panel hears of it.
            db.add(
                ConversationMessage(
                    call_id=call_id, channel="whatsapp", direction="out", kind="text",
                    body="Tim menuju.", key=uuid.uuid4(), language="id", attempts=1,
                    last_error="", status="sent", provider_id="wamid.out.live.1",
                    created_at=datetime.now(UTC),
                )
            )  # fmt: skip
            await db.commit()
            body = payload(statuses=[status("wamid.out.live.1", "delivered")])
            r = await c.post(
                "/api/webhooks/whatsapp",
                content=body,
                headers={"X-Hub-Signature-256": sign(secret, body)},
            )
            assert r.status_code == 200 and r.json()["statuses"] == 1, r.text
            moved = await operator.next(event="conversation")
            assert moved.json == {"t": "conversation", "id": call_id}

            # An inbound SMS is announced the same way.
            raw = json.dumps({"id": "sms-live-1", "from": SMS_SENDER, "text": "Kebakaran"})
            ts = str(int(time.time()))
            r = await c.post(
                "/api/webhooks/sms",
                content=raw.encode(),
                headers={
                    "Content-Type": "application/json",
                    "X-Tanggap-Timestamp": ts,
                    "X-Tanggap-Signature": pbx_sign(sms_secret, ts, raw.encode()),
                },
            )
            assert r.status_code == 200, r.text
            (sms_call,) = r.json()["calls"]
            sms = await operator.next(event="conversation")
            assert sms.json == {"t": "conversation", "id": sms_call}
            assert SMS_SENDER[1:] not in sms.data and "Kebakaran" not in sms.data

            # A marker every signed-in stream hears, after all of the above.
            await on_warning(db, 0, None)
            await db.commit()
            for s in (officer, coordinator):
                assert [e for e in await _until_marker(s) if e.event == "conversation"] == []
        finally:
            for s in (operator, supervisor, officer, coordinator):
                await s.close()
