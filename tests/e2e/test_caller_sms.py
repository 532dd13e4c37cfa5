"""The operator sends a caller their tracking code by SMS from the intake screen (issue #21 part 5):
the button in both languages, its state as the real worker sends through the local gateway, and
one SMS however often the operator clicks.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from playwright.async_api import Browser, expect

from api import worker
from api.config import Settings
from tests.conftest import Clock
from tests.e2e.conftest import BLANK_TILE, DIST, check_axe, dump, serve, switch_language
from tests.e2e.test_caller_tracking import operator_desk, shot, take_call
from tests.support.push_fixtures import TEST_OVERRIDES
from tests.support.sms_gateway import SmsGateway

pytestmark = [pytest.mark.e2e]


async def test_the_operator_sends_the_code_by_sms_and_sees_it_sent(
    browser: Browser, database_url: str, settings: Settings
) -> None:
    a11y: dict[str, Any] = {}
    with SmsGateway().running() as gateway:
        cfg = replace(
            settings.with_(**TEST_OVERRIDES),
            pwa_dist=DIST,
            map_tile_url=BLANK_TILE,
            sms_gateway_url=gateway.url,
            sms_gateway_token=gateway.token,
            public_url="https://112.kendari.example",
        )
        async with serve(cfg, database_url) as live:
            ctx, page = await operator_desk(browser, live.base_url)
            code, _ = await take_call(page)
            box = page.get_by_test_id("caller-sms")
            await switch_language(page, "en")
            await expect(box.get_by_role("button")).to_have_text("Send the tracking code by SMS")
            await check_axe(page, "intake SMS (en)", a11y)
            await switch_language(page, "id")
            send = box.get_by_role("button", name="Kirim kode lacak lewat SMS")
            await send.click()
            status = page.get_by_test_id("caller-sms-status")
            await expect(status).to_have_attribute("data-status", "pending")
            await expect(send).to_be_hidden()  # nothing left to click twice
            async with worker.running(cfg, database_url, clock=Clock()):
                await expect(status).to_have_attribute("data-status", "sent", timeout=20_000)
            await expect(status).to_contain_text("SMS kode lacak terkirim")
            await check_axe(page, "intake SMS sent (id)", a11y)
            await shot(page, "caller-06-intake-sms-sent-desktop")
            # The operator (an intake role) sees the same state in the case drawer.
            await page.goto("/dispatch")
            await page.locator(f'.case-row[data-reference="{code}"]').click()
            drawer = page.get_by_test_id("case-drawer")
            await expect(drawer.get_by_test_id("caller-sms-status")).to_have_attribute(
                "data-status", "sent"
            )
            await expect(drawer.get_by_test_id("caller-sms-send")).to_have_count(0)
            await ctx.close()
    (sent,) = gateway.delivered
    assert sent.to == "+6281298761234" and code in sent.text
    assert not a11y, dump(a11y)
