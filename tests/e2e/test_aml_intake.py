"""Advanced Mobile Location end to end: a call rings, the handset's AML SMS arrives through the
gateway webhook, and the operator's intake screen shows the location on the ringing call within
a second (live event), then on the map with its accuracy circle; one click makes it the case's
location, and the case is created there.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.async_api import Browser, expect

from api.services.calls import sign
from tests.e2e.conftest import LiveServer, axe_serious, dump, sign_in
from tests.e2e.test_control_room import DESKTOP, shot, token
from tests.unit.test_aml_rules import with_length

pytestmark = [pytest.mark.e2e]

CALLER = "081277001122"
CALLER_E164 = "+6281277001122"
FIX_LAT, FIX_LON = -3.98123, 122.51789


def _signed(secret: str, body: bytes) -> dict[str, str]:
    ts = str(int(time.time()))
    return {
        "content-type": "application/json",
        "X-Tanggap-Timestamp": ts,
        "X-Tanggap-Signature": sign(secret, ts, body),
    }


async def _ring(server: LiveServer, c: httpx.AsyncClient) -> None:
    """The PBX's signed ``call.started``, timed now (AML matches calls by number and time)."""
    secret = (server.settings.data_dir / "pbx.secret").read_text().strip()
    body = json.dumps(
        {
            "event": "call.started",
            "call_id": f"pbx-aml-e2e-{time.time_ns()}",
            "at": datetime.now(UTC).isoformat(),
            "number": CALLER,
        }
    ).encode()
    r = await c.post("/api/pbx/events", content=body, headers=_signed(secret, body))
    assert r.status_code == 200, r.text


async def _aml_sms(server: LiveServer, c: httpx.AsyncClient) -> None:
    """The handset's AML SMS (GNSS, 40 m), as the SMS gateway delivers it."""
    secret = (server.settings.data_dir / "aml.secret").read_text().strip()
    top = datetime.now(UTC) - timedelta(seconds=3)
    text = with_length(
        f'A"ML=1;lt={FIX_LAT:+09.5f};lg={FIX_LON:+010.5f};rd=40;top={top:%Y%m%d%H%M%S};lc=68;'
        "pm=G;si=510101234567890;ei=356708041746734;mcc=510;mnc=10;ml="
    )
    body = json.dumps({"from": CALLER_E164, "text": text}).encode()
    r = await c.post("/api/aml/sms", content=body, headers=_signed(secret, body))
    assert r.status_code == 200 and r.json() == {"stored": True, "matched": True}, r.text


async def test_the_intake_screen_shows_a_ringing_calls_aml_location_within_a_second(
    browser: Browser, live_server: LiveServer
) -> None:
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=15) as c:
        op = await token(c, "operator")
        ctx = await browser.new_context(**DESKTOP, base_url=live_server.base_url)
        ctx.set_default_timeout(15_000)
        page = await ctx.new_page()
        await sign_in(page, "operator")  # lands on call intake
        await expect(page.get_by_test_id("intake")).to_have_attribute("data-live", "1")

        await _ring(live_server, c)
        offered = page.get_by_test_id("incoming-call")
        await expect(offered).to_contain_text(CALLER_E164)
        await expect(offered.get_by_test_id("incoming-aml")).to_have_count(0)

        # The fix arrives: on the ringing call within one second, by live event.
        sent = time.monotonic()
        await _aml_sms(live_server, c)
        located = offered.get_by_test_id("incoming-aml")
        await expect(located).to_be_visible(timeout=1_000)
        elapsed = time.monotonic() - sent
        assert elapsed < 1.0, elapsed
        await expect(located).to_contain_text("±40 m")
        await expect(located).to_contain_text("GPS")
        await expect(located).to_contain_text("detik lalu")
        await shot(page, "20-intake-aml-ringing")

        # Taken: the fix above the map and its accuracy circle on it; one click pins the case.
        await offered.get_by_role("button", name="Ambil").click()
        await expect(page.get_by_test_id("caller-number")).to_have_value(CALLER_E164)
        card = page.get_by_test_id("aml-card")
        await expect(card).to_contain_text("±40 m")
        await expect(page.locator("path.accuracy-circle")).to_have_count(1)
        await expect(page.get_by_test_id("pin-status")).to_contain_text("Belum ada pin")
        await card.get_by_role("button", name="Pakai lokasi AML").click()
        await expect(page.get_by_test_id("pin-status")).to_contain_text(
            f"{FIX_LAT:.5f}, {FIX_LON:.5f}"
        )
        await shot(page, "21-intake-aml-pinned")
        violations = await axe_serious(page)
        assert not violations, dump(violations)

        await page.get_by_role("combobox", name="Kategori").fill("pohon tumbang")
        await expect(page.get_by_role("option").first).to_contain_text("Pohon tumbang")
        await page.get_by_role("combobox", name="Kategori").press("Enter")
        await page.get_by_test_id("description").fill("Pohon tumbang, lokasi dari AML.")
        await page.get_by_role("button", name="Buat kasus").click()
        await expect(page.get_by_test_id("created").get_by_role("heading")).to_contain_text(
            "dibuat"
        )
        await ctx.close()

        calls = (await c.get("/api/calls", headers={**op, "X-Caller-Number": CALLER})).json()
        assert [x["class"] for x in calls] == ["valid"], dump(calls)
        cases = (await c.get("/api/cases?limit=5", headers=op)).json()["items"]
        made = [x for x in cases if x["description"] == "Pohon tumbang, lokasi dari AML."]
        assert len(made) == 1, dump(cases)
        assert (round(made[0]["lat"], 5), round(made[0]["lon"], 5)) == (FIX_LAT, FIX_LON)
