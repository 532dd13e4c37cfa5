"""A phone caller follows their own case: the operator reads back the code and PIN shown large
on the intake success panel (with a copy button); on another phone, the caller opens the case on
Lacak with them; a wrong PIN typed later never replaces the one the phone remembered.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import LiveServer, dump, phone, sign_in
from tests.e2e.test_citizen import check_axe, switch_language

pytestmark = [pytest.mark.e2e]

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
DESKTOP = {
    "viewport": {"width": 1440, "height": 900},
    "locale": "id-ID",
    "timezone_id": "Asia/Makassar",
}
CALLER = "081298761234"


async def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def take_call(page: Page) -> tuple[str, str]:
    """The operator creates a case from a call and reads the code and PIN off the panel."""
    await page.goto("/intake")  # the operator lands there; a second call starts afresh
    await page.get_by_test_id("caller-number").fill(CALLER)
    await page.get_by_role("combobox", name="Kategori").fill("pohon tumbang")
    await expect(page.get_by_role("option").first).to_contain_text("Pohon tumbang")
    await page.get_by_role("combobox", name="Kategori").press("Enter")
    await expect(page.get_by_test_id("category-chosen")).to_contain_text("Pohon tumbang")
    # A place, not a person: the operator may still mark it sensitive (not ticked here).
    await expect(page.get_by_test_id("sensitive").locator("input")).not_to_be_checked()
    await page.get_by_test_id("description").fill("Pohon besar tumbang menutup jalan.")
    await page.get_by_test_id("intake-map").click()
    await expect(page.get_by_test_id("pin-status")).to_contain_text("Pin:")
    await page.get_by_role("button", name="Buat kasus").click()
    panel = page.get_by_test_id("caller-tracking")
    await expect(panel).to_be_visible()
    await expect(panel).to_contain_text("+6281298761234")
    code = (await page.get_by_test_id("tracking-code").inner_text()).strip()
    pin = (await page.get_by_test_id("tracking-pin").inner_text()).strip()
    assert code.startswith("KDI-") and len(pin) == 6 and pin.isdigit(), (code, pin)
    await panel.get_by_role("button", name="Salin kode dan PIN").click()
    await expect(panel.get_by_role("button", name="Tersalin")).to_be_visible()
    assert await page.evaluate("navigator.clipboard.readText()") == f"{code} {pin}"
    return code, pin


async def operator_desk(browser: Browser, base_url: str) -> tuple[BrowserContext, Page]:
    """A signed-in operator at a desktop that may copy to the clipboard."""
    ctx = await browser.new_context(
        **DESKTOP, base_url=base_url, permissions=["clipboard-read", "clipboard-write"]
    )
    ctx.set_default_timeout(15_000)
    page = await ctx.new_page()
    await sign_in(page, "operator")
    return ctx, page


async def open_with_pin(page: Page, code: str, number: str, pin: str) -> None:
    await page.goto("/lacak")
    await page.get_by_label("Kode lacak").fill(code)
    await page.get_by_label("Nomor ponsel").fill(number)
    await page.get_by_label("PIN").fill(pin)
    await page.get_by_role("button", name="Lacak", exact=True).click()


async def test_a_caller_follows_their_case_with_the_code_and_pin_read_back(
    browser: Browser, playwright_instance: Any, live_server: LiveServer
) -> None:
    a11y: dict[str, Any] = {}
    ctx, page = await operator_desk(browser, live_server.base_url)
    code, pin = await take_call(page)
    await shot(page, "caller-01-intake-code-pin-desktop")
    await check_axe(page, "intake code + PIN (id)", a11y)
    await switch_language(page, "en")
    await expect(page.get_by_test_id("caller-tracking")).to_contain_text("Tracking code")
    await check_axe(page, "intake code + PIN (en)", a11y)
    await switch_language(page, "id")
    # The same panel at phone size.
    await page.set_viewport_size({"width": 412, "height": 915})
    await shot(page, "caller-02-intake-code-pin-phone")
    await ctx.close()

    # The caller, on their own phone (another browser), opens the case with code + PIN.
    caller = await browser.new_context(**phone(playwright_instance), base_url=live_server.base_url)
    caller.set_default_timeout(15_000)
    lacak = await caller.new_page()
    await open_with_pin(lacak, code, CALLER, pin)
    await expect(lacak).to_have_url(f"{live_server.base_url}/lacak/{code}")
    await expect(lacak.get_by_test_id("public-status")).to_have_attribute(
        "data-status", "belum_ditindaklanjuti"
    )
    await shot(lacak, "caller-03-lacak-phone")

    # Later, a wrong PIN typed for the same code: refused, and the remembered one still works.
    wrong = str((int(pin) + 1) % 1_000_000).zfill(6)
    await open_with_pin(lacak, code, CALLER, wrong)
    await expect(lacak.get_by_test_id("lacak-error")).to_contain_text("PIN yang tersimpan")
    await shot(lacak, "caller-04-lacak-wrong-pin-phone")
    await check_axe(lacak, "lacak wrong PIN (id)", a11y)
    await switch_language(lacak, "en")
    await check_axe(lacak, "lacak wrong PIN (en)", a11y)
    await switch_language(lacak, "id")
    await lacak.goto(f"/lacak/{code}")
    await expect(lacak.get_by_test_id("public-status")).to_have_attribute(
        "data-status", "belum_ditindaklanjuti"
    )
    # The same at desktop size.
    await lacak.set_viewport_size({"width": 1440, "height": 900})
    await shot(lacak, "caller-05-lacak-desktop")
    await caller.close()

    # The API agrees: the PIN opens the case for the caller's number.
    async with httpx.AsyncClient(base_url=live_server.base_url) as c:
        r = await c.get(
            f"/api/public/cases/{code}",
            headers={"X-Reporter-Phone": CALLER, "X-Tracking-Pin": pin},
        )
        assert r.status_code == 200, r.text
    assert not a11y, dump(a11y)
