"""The supervisor's call-answer clock and live queue board, end to end: a PBX call that starts
ringing appears on the board through the live stream, its wait counting, and leaves it when
answered; the clock's figures on screen are the API's; axe finds nothing serious in either
language."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.e2e.conftest import (
    LiveServer,
    Shot,
    axe_serious,
    desktop_page,
    dump,
    pbx_send,
    sign_in,
    staff_client,
    switch_language,
)

pytestmark = [pytest.mark.e2e]


async def pbx(server: LiveServer, kind: str, call_id: str, at: datetime, **extra: Any) -> None:
    async with httpx.AsyncClient(base_url=server.base_url) as c:
        event = {"event": f"call.{kind}", "call_id": call_id, "at": at.isoformat(), **extra}
        await pbx_send(server, c, event)


async def test_the_queue_board_shows_a_ringing_call_live_and_the_clock_matches_the_api(
    browser: Browser, live_server: LiveServer, shot: Shot
) -> None:
    now = datetime.now(UTC)
    # One call answered in 9 s, one abandoned after 25 s: half answered within 15 s.
    await pbx(live_server, "ringing", "e2e-a", now - timedelta(minutes=5), number="081277770010")
    await pbx(live_server, "answered", "e2e-a", now - timedelta(minutes=5) + timedelta(seconds=9),
              operator="operator")  # fmt: skip
    await pbx(live_server, "ended", "e2e-a", now - timedelta(minutes=3))
    await pbx(live_server, "ringing", "e2e-b", now - timedelta(minutes=2))
    await pbx(live_server, "abandoned", "e2e-b", now - timedelta(minutes=2) + timedelta(seconds=25))
    c = await staff_client(live_server, "supervisor")
    try:
        want = (await c.get("/api/stats/call-clock")).json()
    finally:
        await c.aclose()
    assert want["headline"]["offered"]["value"] == 2, dump(want["headline"])

    ctx, page, errors = await desktop_page(browser, live_server)
    try:
        await sign_in(page, "supervisor")
        await expect(page).to_have_url(re.compile(r"/dashboard$"))
        await expect(page.get_by_test_id("call-clock")).to_be_visible()
        await expect(page.get_by_test_id("clock-within-15")).to_contain_text("50.0%")
        await expect(page.get_by_test_id("clock-abandoned-rate")).to_contain_text("50.0%")
        await expect(page.get_by_test_id("clock-operators")).to_contain_text("1")
        ringing = page.get_by_test_id("queue-ringing")
        await expect(ringing).to_have_attribute("data-value", "0")
        await expect(page.get_by_test_id("queue-board")).to_contain_text("Diperbarui langsung")

        # A call starts ringing: the board shows it within a second or two, no reload.
        await pbx(live_server, "ringing", "e2e-live", datetime.now(UTC) - timedelta(seconds=30))
        await expect(ringing).to_have_attribute("data-value", "1", timeout=5_000)
        await expect(ringing).to_contain_text(re.compile(r"0:3\d"))
        assert "081277770010" not in await page.get_by_test_id("queue-board").inner_text()
        found = {"id": await axe_serious(page)}
        await shot(page, "call-clock-board-id")

        await switch_language(page, "en")
        await expect(page.get_by_test_id("call-clock")).to_contain_text("Call-answer speed")
        await expect(ringing).to_contain_text("1 call ringing")
        found["en"] = await axe_serious(page)

        # Answered: it leaves the board.
        await pbx(live_server, "answered", "e2e-live", datetime.now(UTC), operator="operator")
        await expect(ringing).to_have_attribute("data-value", "0", timeout=5_000)
        assert found == {"id": [], "en": []}, dump(found)
        assert errors == []
    finally:
        await ctx.close()
