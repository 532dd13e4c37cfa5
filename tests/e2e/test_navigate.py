"""The field officer's Navigate on a Pixel 7: the phone's maps app gets a `geo:` URI, and the case
shows its Plus Code and how far and which way it is from the officer's own (mocked) position."""

from __future__ import annotations

import math

import pytest
from playwright.async_api import BrowserContext, expect
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain import pluscode
from tests.e2e.conftest import Shot, axe_serious, dump, sign_in, switch_language
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
    violations = await axe_serious(page)
    assert not violations, dump(violations)

    # Navigate hands the phone's maps app a geo: URI at the case, labelled with its reference.
    navigate = page.get_by_test_id("navigate")
    await expect(navigate).to_have_text("Navigasi ke lokasi")
    await navigate.click()
    opened = await page.evaluate("window.__opened")
    assert opened == [f"geo:{CASE[0]},{CASE[1]}?q={CASE[0]},{CASE[1]}({case.reference})"]

    await switch_language(page, "en")
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
