"""Plus Codes and Navigate in the browser. The field officer's Navigate on a Pixel 7: the phone's
maps app gets a `geo:` URI, and the case shows its Plus Code and how far and which way it is from
the officer's own (mocked) position. A citizen reporting at a short Plus Code sees the full code
on the tracking page, and the dispatcher sees it beside the address."""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, expect
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain import pluscode
from tests.e2e import conftest as e2e
from tests.e2e.conftest import LiveServer, Shot, sign_in
from tests.e2e.test_field_officer import assigned_case

pytestmark = [pytest.mark.e2e]

# The officer, about 2.8 km south-west of the case (-3.9712, 122.5168).
OFFICER = {"latitude": -3.9900, "longitude": 122.5000, "accuracy": 10}
CASE = (-3.9712, 122.5168)

# Where a click on a link would go, kept instead of leaving the app (a `geo:` URI has nowhere to
# go in a test browser): the URI the phone would hand to its maps app.
CATCH_NAVIGATION = """
window.__opened = [];
const keep = (url) => { window.__opened.push(String(url)); };
window.open = (url) => { keep(url); return null; };
document.addEventListener("click", (e) => {
  const a = e.target instanceof Element ? e.target.closest("a[href]") : null;
  if (a && /^(geo:|https:\\/\\/maps\\.)/.test(a.href)) { keep(a.href); e.preventDefault(); }
}, true);
"""


# A citizen's report placed by a short Plus Code, read near the city centre.
REPORT_AT_A_CODE = {
    "category": "LAMPU_JALAN",
    "description": "Lampu jalan mati di depan sekolah",
    "plus_code": "2G9C+X4 Kendari",
    "phone": "081298765432",
}


def distance_and_bearing(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, int]:
    """Haversine metres and the initial bearing, worked out here apart from the app's code."""
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    )
    metres = 2 * 6_371_000 * math.asin(math.sqrt(h))
    y = math.sin(lo2 - lo1) * math.cos(la2)
    x = math.cos(la1) * math.sin(la2) - math.sin(la1) * math.cos(la2) * math.cos(lo2 - lo1)
    return metres, round(math.degrees(math.atan2(y, x)) % 360) % 360


async def test_navigate_opens_the_maps_app_with_distance_and_bearing_from_the_officer(
    phone_context: BrowserContext, db: AsyncSession, shot: Shot
) -> None:
    case = await assigned_case(db)
    await phone_context.set_geolocation(OFFICER)
    await phone_context.add_init_script(CATCH_NAVIGATION)
    page = await phone_context.new_page()
    await sign_in(page, "petugas.dlhk")
    await page.locator(f'[data-testid=task][data-reference="{case.reference}"]').click()
    await expect(page.get_by_role("heading", name=f"Kasus {case.reference}")).to_be_visible()

    # The Plus Code beside the address.
    code = pluscode.encode(*CASE)
    assert code == "6Q842GH8+GP"
    facts = page.locator("dl.facts").first
    await expect(facts).to_contain_text("Plus Code")
    await expect(facts).to_contain_text(code)

    # Distance and bearing from the officer's position, in Indonesian then English.
    metres, bearing = distance_and_bearing((OFFICER["latitude"], OFFICER["longitude"]), CASE)
    assert 2_700 < metres < 2_900 and 40 <= bearing <= 45
    km = f"{metres / 1000:.1f}"
    direction = page.get_by_test_id("direction")
    await expect(direction).to_have_attribute("data-bearing", str(bearing))
    await expect(direction).to_have_text(
        f"{km.replace('.', ',')} km dari Anda, arah timur laut ({bearing}°)"
    )
    await shot(page, "navigate-01-case")
    violations = await e2e.axe_serious(page)
    assert not violations, e2e.dump(violations)

    # Navigate hands the phone's maps app a geo: URI at the case, labelled with its reference.
    navigate = page.get_by_test_id("navigate")
    await expect(navigate).to_have_text("Navigasi ke lokasi")
    await navigate.click()
    opened = await page.evaluate("window.__opened")
    assert opened == [f"geo:{CASE[0]},{CASE[1]}?q={CASE[0]},{CASE[1]}({case.reference})"]

    await e2e.switch_language(page, "en")
    await expect(direction).to_have_text(f"{km} km from you, to the north-east ({bearing}°)")
    await expect(navigate).to_have_text("Navigate to the location")
    await shot(page, "navigate-02-english")
    await page.close()


async def test_without_a_position_the_case_says_so_and_still_navigates(
    phone_context: BrowserContext, db: AsyncSession
) -> None:
    case = await assigned_case(db)
    await phone_context.clear_permissions()
    await phone_context.add_init_script(CATCH_NAVIGATION)
    page = await phone_context.new_page()
    await sign_in(page, "petugas.dlhk")
    await page.goto(f"/cases/{case.id}")
    await expect(page.get_by_role("heading", name=f"Kasus {case.reference}")).to_be_visible()
    await expect(page.get_by_test_id("direction")).to_have_text(
        "Posisi Anda belum diketahui: jarak dan arah muncul setelah GPS aktif."
    )
    await page.get_by_test_id("navigate").click()
    assert await page.evaluate("window.__opened") == [
        f"geo:{CASE[0]},{CASE[1]}?q={CASE[0]},{CASE[1]}({case.reference})"
    ]
    await page.close()


async def test_a_case_reported_at_a_plus_code_shows_it_to_the_citizen_and_the_dispatcher(
    browser: Browser, playwright_instance: Any, live_server: LiveServer, shot: Shot
) -> None:
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=15) as c:
        made = (
            (await c.post("/api/public/reports", json=REPORT_AT_A_CODE)).raise_for_status().json()
        )

    citizen = await browser.new_context(
        **e2e.phone(playwright_instance), base_url=live_server.base_url
    )
    try:
        page = await citizen.new_page()
        await page.goto(f"/lacak/{made['reference']}")
        await page.get_by_label("Nomor ponsel").fill("081298765432")
        await page.get_by_label("PIN").fill(made["pin"])
        await page.get_by_role("button", name="Lacak", exact=True).click()
        await expect(page.get_by_test_id("plus-code")).to_have_text("6Q842G9C+X4")
        await shot(page, "plus-code-01-lacak")
        violations = await e2e.axe_serious(page)
        assert not violations, e2e.dump(violations)
    finally:
        await citizen.close()

    desk = await browser.new_context(
        viewport={"width": 1600, "height": 1000},
        locale="id-ID",
        timezone_id="Asia/Makassar",
        base_url=live_server.base_url,
    )
    try:
        page = await desk.new_page()
        await sign_in(page, "dispatcher")
        await page.locator(f'.case-row[data-reference="{made["reference"]}"]').click()
        drawer = page.get_by_test_id("case-drawer")
        await expect(drawer.get_by_test_id("plus-code")).to_have_text("6Q842G9C+X4")
        await shot(page, "plus-code-02-dispatch")
    finally:
        await desk.close()
