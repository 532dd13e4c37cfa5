"""The live stream's ``call`` events: a call opened and its AML location reach the staff who may see
calls, never with the caller's number, and never a field officer."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from litestar import Litestar

from api.config import Settings
from api.services.calls import sign
from tests.integration.test_aml import sms_text
from tests.support.sse import SSEStream

NUMBER = "+6281277005566"
DIGITS = NUMBER[1:]


@pytest_asyncio.fixture
async def base_url(make_app: Callable[..., Litestar]) -> AsyncIterator[str]:
    """The API on 127.0.0.1 and a free port, served in this test's event loop: the stream is
    read over HTTP as a browser reads it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(make_app(), log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        assert not serving.done(), "the API did not start"
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await serving
        sock.close()


async def _stream(c: httpx.AsyncClient, base: str, username: str) -> SSEStream:
    r = await c.post("/api/auth/login", json={"username": username, "password": "tanggap112"})
    bearer = {"Authorization": f"Bearer {r.json()['access_token']}"}
    ticket = (await c.post("/api/events/tickets", headers=bearer)).json()["ticket"]
    s = await SSEStream(base + "/api/events", params={"ticket": ticket}, headers={}).open()
    await s.next(event="hello")
    return s


async def _signed_post(c: httpx.AsyncClient, path: str, secret: str, body: dict[str, Any]) -> None:
    raw = json.dumps(body).encode()
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Tanggap-Timestamp": ts,
        "X-Tanggap-Signature": sign(secret, ts, raw),
    }
    r = await c.post(path, content=raw, headers=headers)
    assert r.status_code == 200, r.text


async def test_call_events_reach_call_staff_without_the_number(
    base_url: str, settings: Settings
) -> None:
    data_dir = settings.data_dir
    async with httpx.AsyncClient(base_url=base_url, timeout=15) as c:
        operator = await _stream(c, base_url, "operator")
        officer = await _stream(c, base_url, "petugas.dlhk")
        try:
            now = datetime.now(UTC)
            pbx = (data_dir / "pbx.secret").read_text().strip()
            call = {"event": "call.started", "call_id": "pbx-live-1", "at": now.isoformat()}
            await _signed_post(c, "/api/pbx/events", pbx, call | {"number": NUMBER})
            opened = await operator.next(event="call")
            assert opened.json["kind"] == "opened" and opened.json["fix"] is None

            aml = (data_dir / "aml.secret").read_text().strip()
            sms = {"from": NUMBER, "text": sms_text(now, rd="25")}
            await _signed_post(c, "/api/aml/sms", aml, sms)
            located = await operator.next(event="call")
            assert located.json["id"] == opened.json["id"] and located.json["kind"] == "location"
            assert located.json["fix"]["accuracy_m"] == 25.0
            assert DIGITS not in opened.data and DIGITS not in located.data

            with pytest.raises((AssertionError, TimeoutError)):
                await officer.next(1.0, event="call")
        finally:
            await operator.close()
            await officer.close()
