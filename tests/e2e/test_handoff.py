"""Hand-off to a neighbour, end to end: a dispatcher in Chromium opens a case that lies in
Kabupaten Konawe, sees it flagged outside Kendari with the neighbour's (empty) contacts, in
Indonesian and in English, transfers it with a note and gets the hand-off document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.e2e.conftest import LiveServer, check_axe, dump, sign_in, switch_language
from tests.factories import category_by_code, make_case

pytestmark = [pytest.mark.e2e]

DESKTOP = {
    "viewport": {"width": 1600, "height": 1000},
    "locale": "id-ID",
    "timezone_id": "Asia/Makassar",
}
IN_KONAWE = (-3.97, 122.37)  # just west of the city's box


async def desk(browser: Browser, server: LiveServer, username: str) -> tuple[BrowserContext, Page]:
    """A desktop page signed in as ``username`` (downloads allowed)."""
    ctx = await browser.new_context(**DESKTOP, base_url=server.base_url, accept_downloads=True)
    ctx.set_default_timeout(15_000)
    page = await ctx.new_page()
    await sign_in(page, username)
    return ctx, page


async def test_dispatcher_sees_the_neighbour_and_hands_the_case_off(
    browser: Browser, live_server: LiveServer, db: AsyncSession, tmp_path: Path
) -> None:
    case = await make_case(
        db,
        category=await category_by_code(db, "POHON_TUMBANG"),
        lat=IN_KONAWE[0],
        lon=IN_KONAWE[1],
        description="Pohon tumbang di perbatasan.",
    )
    await db.commit()
    ctx, page = await desk(browser, live_server, "dispatcher")
    await page.goto("/dispatch")
    # The case lies beyond the first view: zoom out until the list holds it.
    row = page.locator(f'.case-row[data-reference="{case.reference}"]')
    for _ in range(4):
        try:
            await expect(row).to_have_count(1, timeout=2_000)
            break
        except AssertionError:
            await page.locator(".leaflet-control-zoom-out").click()
    await row.click()
    drawer = page.get_by_test_id("case-drawer")
    flag = drawer.get_by_test_id("outside-flag")
    await expect(flag).to_contain_text("Di luar Kendari: lokasi ini berada di Kabupaten Konawe.")
    await expect(flag).to_contain_text("Batas wilayah ini hanya perkiraan.")
    await expect(flag).to_contain_text("belum diisi admin")  # no contact invented
    a11y: dict[str, Any] = {}
    await check_axe(page, "drawer outside the city (id)", a11y)
    await switch_language(page, "en")
    await expect(flag).to_contain_text("Outside Kendari: this location is in Konawe Regency.")
    await check_axe(page, "drawer outside the city (en)", a11y)
    assert not a11y, dump(a11y)

    await flag.get_by_label("Hand-off note").fill("Caller at the Konawe border")
    await flag.get_by_role("button", name="Transfer to Konawe Regency").click()
    done = flag.get_by_test_id("handoff-done")
    await expect(done).to_contain_text("Handed to Konawe Regency.")
    await expect(drawer.get_by_test_id("case-timeline")).to_contain_text(
        "Handed to a neighbouring region"
    )
    async with page.expect_download() as info:
        await done.get_by_role("link").click()
    saved = tmp_path / "handoff.json"
    await (await info.value).save_as(saved)
    document = saved.read_text("utf-8")
    assert f'"urn:tanggap112:kdi:{case.id}"' in document

    await db.rollback()
    rows = await db.execute(
        text("SELECT direction, note FROM case_handoffs WHERE case_id = :c"), {"c": case.id}
    )
    assert rows.all() == [("out", "Caller at the Konawe border")]
    async with httpx.AsyncClient(base_url=live_server.base_url) as c:
        r = await c.get("/api/schemas/eido-handoff/v1.json")
        assert r.status_code == 200
    await ctx.close()


async def test_admin_fills_in_a_neighbours_contact_and_adds_a_region_from_a_file(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    ctx, page = await desk(browser, live_server, "admin")
    await page.get_by_test_id("admin-nav").locator('a[href="/admin/neighbours"]').click()
    table = page.get_by_test_id("neighbours-table")
    konawe = table.get_by_role("row").filter(has_text="Kabupaten Konawe Selatan")
    await expect(konawe).to_contain_text("Perkiraan")
    await expect(konawe).to_contain_text("Belum diisi")  # the seed invents no number

    async with httpx.AsyncClient(base_url=live_server.base_url) as c:
        r = await c.post("/api/auth/login", json={"username": "admin", "password": "tanggap112"})
        api = {"Authorization": f"Bearer {r.json()['access_token']}"}
        seeded = (await c.get("/api/admin/neighbours", headers=api)).json()
        selatan = next(n for n in seeded if n["name_id"] == "Kabupaten Konawe Selatan")
        await page.get_by_test_id(f"neighbour-edit-{selatan['id']}").click()
        await page.locator("#neighbour-edit-contact_112").fill("0401-112")
        await page.get_by_test_id("neighbour-edit").get_by_role("button", name="Simpan").click()
        await expect(konawe).to_contain_text("0401-112")
        after = (await c.get(f"/api/admin/neighbours/{selatan['id']}", headers=api)).json()
        assert after["contact_112"] == "0401-112"
        assert after["boundary"] == selatan["boundary"]  # a change without a file keeps it

        # A new region: without a file it is refused beside the file field; with one, added.
        new = page.get_by_test_id("neighbour-new")
        await page.locator("#neighbour-new-name_id").fill("Kabupaten Uji")
        await page.locator("#neighbour-new-name_en").fill("Test Regency")
        await new.get_by_role("button", name="Tambah wilayah").click()
        await expect(new.locator("#neighbour-new-boundary-error")).to_be_visible()
        square = [[123.0, -5.0], [123.1, -5.0], [123.1, -4.9], [123.0, -4.9], [123.0, -5.0]]
        path = tmp_path / "uji.geojson"
        path.write_text(json.dumps({"type": "Polygon", "coordinates": [square]}), "utf-8")
        await page.locator("#neighbour-new-boundary").set_input_files(str(path))
        await new.get_by_role("button", name="Tambah wilayah").click()
        await expect(table.get_by_role("row").filter(has_text="Kabupaten Uji")).to_be_visible()
        names = {n["name_id"] for n in (await c.get("/api/admin/neighbours", headers=api)).json()}
        assert "Kabupaten Uji" in names
    await ctx.close()


async def test_operator_pins_a_place_in_konawe_sees_the_neighbour_and_takes_the_case(
    browser: Browser, live_server: LiveServer, db: AsyncSession
) -> None:
    ctx, page = await desk(browser, live_server, "operator")
    await page.goto("/intake")
    combo = page.get_by_role("combobox", name="Kategori")
    await combo.fill("pohon tumbang")
    await page.get_by_role("option", name="Pohon tumbang").click()
    await page.get_by_test_id("description").fill("Pohon tumbang di perbatasan Konawe.")
    notice = page.get_by_test_id("intake-outside")
    await page.get_by_test_id("pin-coords").fill(f"{IN_KONAWE[0]}, {IN_KONAWE[1]}")
    await page.get_by_test_id("pin-coords-apply").click()
    await expect(notice).to_contain_text("Di luar Kendari: lokasi ini berada di Kabupaten Konawe.")
    await expect(notice).to_contain_text("belum diisi admin")
    # Back inside the city, the notice goes.
    await page.get_by_test_id("pin-coords").fill("-3.99, 122.51")
    await page.get_by_test_id("pin-coords-apply").click()
    await expect(notice).to_have_count(0)
    await page.get_by_test_id("pin-coords").fill(f"{IN_KONAWE[0]}, {IN_KONAWE[1]}")
    await page.get_by_test_id("pin-coords-apply").click()
    await expect(notice).to_be_visible()
    await page.get_by_role("button", name="Buat kasus").click()
    await expect(page.get_by_test_id("created")).to_be_visible()
    await db.rollback()
    made = await db.execute(
        text("SELECT out_of_area FROM cases WHERE description LIKE '%perbatasan Konawe.'")
    )
    assert list(made.scalars()) == [True]
    await ctx.close()
