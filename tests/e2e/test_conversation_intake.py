"""A WhatsApp conversation on the intake screen (issue #22, item 1): the citizen's message rings
in the incoming list, the operator takes it, reads it and replies; the real worker sends the reply
to the local Cloud API once, and the screen shows it sent. A new message shows in the open panel
within 2 s, brought by the live stream's ``conversation`` event: the panel's fallback poll is 30 s
and runs only while the stream is down, and the one read of the messages after the webhook is the
one the event asked for.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Request, expect

from api import worker
from api.config import Settings
from tests.conftest import Clock
from tests.e2e.conftest import BLANK_TILE, DIST, check_axe, dump, serve
from tests.e2e.test_caller_tracking import operator_desk
from tests.support.push_fixtures import TEST_OVERRIDES
from tests.support.whatsapp_server import PHONE_NUMBER_ID, CloudApi, message, payload, sign

pytestmark = [pytest.mark.e2e]
SECRET = "e2e-whatsapp-secret"


async def test_the_operator_reads_and_answers_a_whatsapp_message(
    browser: Browser, database_url: str, settings: Settings
) -> None:
    a11y: dict[str, Any] = {}
    with CloudApi().running() as cloud:
        whatsapp = {"app_secret": SECRET, "api_url": cloud.url, "token": cloud.token}
        whatsapp["phone_number_id"] = PHONE_NUMBER_ID
        site = {"pwa_dist": DIST, "map_tile_url": BLANK_TILE}
        cfg = replace(
            settings.with_(**TEST_OVERRIDES),
            **site,
            **{f"whatsapp_{name}": value for name, value in whatsapp.items()},
        )
        async with (
            serve(cfg, database_url) as live,
            httpx.AsyncClient(base_url=live.base_url) as http,
        ):

            async def inbound(wamid: str, text: str) -> None:
                body = payload([message("6281298761234", wamid, "text", body=text)])
                r = await http.post(
                    "/api/webhooks/whatsapp",
                    content=body,
                    headers={"X-Hub-Signature-256": sign(SECRET, body)},
                )
                assert r.status_code == 200, r.text

            await inbound("wamid.e2e.1", "Banjir!")
            ctx, page = await operator_desk(browser, live.base_url)
            await page.goto("/intake")
            call = page.get_by_test_id("incoming-call")
            await expect(call).to_contain_text("pesan WhatsApp/SMS")
            await call.get_by_role("button").click()
            panel = page.get_by_test_id("conversation")
            await expect(panel).to_contain_text("Banjir!")

            # The next message arrives by the stream, not by a poll.
            await expect(page.get_by_test_id("intake")).to_have_attribute("data-live", "1")
            reads: list[str] = []

            def on_request(request: Request) -> None:
                if request.method == "GET" and request.url.endswith("/messages"):
                    reads.append(request.url)

            page.on("request", on_request)
            await inbound("wamid.e2e.2", "Airnya sudah setinggi lutut.")
            await expect(panel).to_contain_text("Airnya sudah setinggi lutut.", timeout=2000)
            page.remove_listener("request", on_request)
            assert len(reads) == 1, reads

            await panel.get_by_label("Balasan").fill("Tim sedang menuju lokasi.")
            await page.get_by_test_id("conversation-send").click()
            await expect(panel).to_contain_text("mengirim…")
            await check_axe(page, "intake conversation (id)", a11y)
            async with worker.running(cfg, database_url, clock=Clock()):
                await expect(panel).to_contain_text("terkirim", timeout=20_000)
            await ctx.close()
    (sent,) = cloud.sent
    assert sent.to == "6281298761234"
    assert sent.body["text"]["body"] == "Tim sedang menuju lokasi."
    assert not a11y, dump(a11y)
