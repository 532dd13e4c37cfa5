"""Maps that never go blank, end to end: with the base tiles failing (as on a weak network, or on
these machines), every map (intake, dispatch, field case, citizen report, hot spots) still draws
the city's kecamatan from PostGIS with their names, says "base map unavailable", and the operator
places a pin by typed coordinates, by a Plus Code and by a gazetteer search.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import pytest_asyncio
from PIL import Image
from playwright.async_api import Browser, BrowserContext, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import Settings
from api.domain import pluscode
from api.seed import areas
from tests.e2e.conftest import (
    ARTIFACTS,
    DIST,
    PASSWORD,
    LiveServer,
    axe_serious,
    dump,
    phone,
    serve,
    sign_in,
    sw_controls,
)
from tests.e2e.test_field_officer import assigned_case

pytestmark = [pytest.mark.e2e]

# Nothing listens on port 9 (discard): every tile request fails, as when tiles are blocked.
FAILING_TILES = "http://127.0.0.1:9/{z}/{x}/{y}.png"
DESKTOP = {
    "viewport": {"width": 1440, "height": 900},
    "locale": "id-ID",
    "timezone_id": "Asia/Makassar",
}
NOTICE = {"id": "Peta dasar tidak tersedia", "en": "Base map unavailable"}
LEGEND = {"id": "perkiraan", "en": "Approximate"}
KECAMATAN = [a["kecamatan"] for a in areas()]


@pytest_asyncio.fixture
async def no_tiles_server(database_url: str, settings: Settings) -> AsyncIterator[LiveServer]:
    """The API and PWA with a tile URL that always fails."""
    cfg = replace(settings, pwa_dist=DIST, map_tile_url=FAILING_TILES)
    async with serve(cfg, database_url) as server:
        yield server


async def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def expect_city_layer(page: Page, lang: str) -> None:
    """The kecamatan outlines and names are drawn, the legend says they are approximate, and the
    notice says the base map is missing."""
    areas_pane = page.locator(".leaflet-tanggap-areas-pane path")
    # The service area and one cell per kecamatan.
    await expect(areas_pane).to_have_count(len(KECAMATAN) + 1)
    labels = page.locator(".leaflet-tanggap-area-labels-pane .map-area-label")
    await expect(labels).to_have_count(len(KECAMATAN))
    await expect(labels.filter(has_text=re.compile("^Mandonga$"))).to_have_count(1)
    await expect(page.get_by_test_id("map-area-legend")).to_contain_text(LEGEND[lang])
    notice = page.get_by_role("status").filter(has_text=NOTICE[lang])
    await expect(notice).to_be_visible()


Opener = Callable[[BrowserContext, str], Awaitable[Page]]


async def _signed_in(ctx: BrowserContext, username: str, path: str, lang: str) -> Page:
    page = await ctx.new_page()
    await sign_in(page, username)
    await page.evaluate("lang => localStorage.setItem('tanggap.lang', lang)", lang)
    await page.goto(path)
    return page


def screens(case_id: str) -> list[tuple[str, Opener]]:
    async def intake(ctx: BrowserContext, lang: str) -> Page:
        page = await _signed_in(ctx, "operator", "/intake", lang)
        await expect(page.get_by_test_id("intake-map")).to_be_visible()
        return page

    async def dispatch(ctx: BrowserContext, lang: str) -> Page:
        page = await _signed_in(ctx, "dispatcher", "/dispatch", lang)
        await expect(page.locator(".leaflet-container")).to_be_visible()
        return page

    async def field_case(ctx: BrowserContext, lang: str) -> Page:
        page = await _signed_in(ctx, "petugas.dlhk", f"/cases/{case_id}", lang)
        await expect(page.get_by_test_id("case-map")).to_be_visible()
        return page

    async def hotspots(ctx: BrowserContext, lang: str) -> Page:
        page = await _signed_in(ctx, "supervisor", "/dashboard", lang)
        await expect(page.get_by_test_id("heatmap")).to_be_visible()
        return page

    async def citizen(ctx: BrowserContext, lang: str) -> Page:
        page = await ctx.new_page()
        await page.add_init_script(f"localStorage.setItem('tanggap.lang', '{lang}')")
        await page.goto("/lapor")
        show = {"id": "Tandai di peta", "en": "Mark on the map"}[lang]
        await page.get_by_role("button", name=show).click()
        await expect(page.get_by_test_id("lapor-map")).to_be_visible()
        return page

    return [
        ("intake", intake),
        ("dispatch", dispatch),
        ("field-case", field_case),
        ("citizen-report", citizen),
        ("hotspots", hotspots),
    ]


async def test_every_map_draws_the_kecamatan_and_says_when_tiles_fail(
    browser: Browser,
    playwright_instance: Any,
    no_tiles_server: LiveServer,
    db: AsyncSession,
) -> None:
    case = await assigned_case(db)

    sizes = {"desktop": DESKTOP, "phone": phone(playwright_instance)}
    found: dict[str, Any] = {}
    for size, device in sizes.items():
        for lang in ("id", "en"):
            for name, open_screen in screens(str(case.id)):
                ctx = await browser.new_context(**device, base_url=no_tiles_server.base_url)
                ctx.set_default_timeout(15_000)
                try:
                    page = await open_screen(ctx, lang)
                    await expect_city_layer(page, lang)
                    await shot(page, f"maps-{name}-{size}-{lang}")
                    violations = await axe_serious(page)
                    if violations:
                        found[f"{name} {size} {lang}"] = violations
                finally:
                    await ctx.close()
    assert not found, dump(found)


async def test_operator_places_the_pin_by_coordinates_plus_code_and_gazetteer(
    browser: Browser, no_tiles_server: LiveServer
) -> None:
    ctx = await browser.new_context(**DESKTOP, base_url=no_tiles_server.base_url)
    ctx.set_default_timeout(15_000)
    page = await ctx.new_page()
    await sign_in(page, "operator")
    await page.goto("/intake")
    await expect(page.get_by_role("status").filter(has_text=NOTICE["id"])).to_be_visible()
    # The map's own words follow a language switch, like the rest of the screen, and back.
    switch = page.get_by_role("button", name=re.compile("English|Bahasa Indonesia"))
    await switch.click()
    await expect(page.get_by_role("status").filter(has_text=NOTICE["en"])).to_be_visible()
    await expect(page.get_by_test_id("map-area-legend")).to_contain_text(LEGEND["en"])
    await switch.click()
    await expect(page.get_by_role("status").filter(has_text=NOTICE["id"])).to_be_visible()
    status = page.get_by_test_id("pin-status")

    # Degrees, minutes and seconds, as read off a phone's compass app.
    coords = page.get_by_label("Koordinat atau Plus Code")
    await coords.fill("3°58'13\"S 122°30'54\"E")
    await coords.press("Enter")
    await expect(status).to_have_text("Pin: -3.97028, 122.51500")

    # Something unreadable is said so, and the pin stays where it was.
    await coords.fill("Jl. Sudirman")
    await page.get_by_role("button", name="Pasang pin", exact=True).click()
    await expect(page.get_by_test_id("pin-coords-error")).to_have_text(
        "Koordinat atau Plus Code tidak terbaca."
    )
    await expect(status).to_have_text("Pin: -3.97028, 122.51500")

    # A short Plus Code, read near the city centre: 6Q842G9C+X4 is (-3.9800625, 122.5203125).
    await coords.fill("2G9C+X4 Kendari")
    await page.get_by_role("button", name="Pasang pin", exact=True).click()
    await expect(status).to_have_text("Pin: -3.98006, 122.52031")
    await expect(page.get_by_test_id("pin-coords-error")).to_have_count(0)

    # A kecamatan from the gazetteer, typed with a typo.
    await page.get_by_label("Cari kecamatan, kelurahan atau tempat").fill("Kadiaa")
    results = page.get_by_test_id("place-results")
    await results.get_by_role("button", name=re.compile("^Kadia")).click()
    await expect(status).to_have_text("Pin: -3.99500, 122.51500")
    await shot(page, "maps-intake-pin-by-gazetteer-desktop-id")

    # The case is created where the gazetteer put the pin.
    await page.get_by_test_id("caller-number").fill("081298765432")
    combo = page.get_by_role("combobox", name="Kategori")
    await combo.fill("pohon tumbang")
    await page.get_by_role("option", name="Pohon tumbang").click()
    await page.get_by_test_id("description").fill("Pohon tumbang di depan kantor camat.")
    await page.get_by_role("button", name=re.compile("^Buat kasus")).click()
    # Created: the nearest teams are suggested next.
    await expect(page.get_by_role("table", name="Tim yang disarankan")).to_be_visible()
    # ... and the new case's Plus Code is shown with it.
    await expect(page.get_by_test_id("created-plus-code")).to_have_text(
        pluscode.encode(-3.995, 122.515)
    )
    async with httpx.AsyncClient(base_url=no_tiles_server.base_url) as c:
        r = await c.post("/api/auth/login", json={"username": "operator", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        items = (await c.get("/api/cases", headers=headers)).json()["items"]
    mine = [i for i in items if i["description"].startswith("Pohon tumbang di depan kantor")]
    assert len(mine) == 1, dump(items)
    assert (round(mine[0]["lat"], 5), round(mine[0]["lon"], 5)) == (-3.995, 122.515)
    await ctx.close()


# --------------------------------------------------------------- tiles offline
class TileServer(ThreadingHTTPServer):
    requests = 0


class _TileHandler(BaseHTTPRequestHandler):
    """A tile server on loopback: one green PNG for every /{z}/{x}/{y}.png, with CORS."""

    png = b""

    def do_GET(self) -> None:
        assert isinstance(self.server, TileServer)
        self.server.requests += 1
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Content-Length", str(len(self.png)))
        self.end_headers()
        self.wfile.write(self.png)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def tile_server() -> Iterator[TileServer]:
    buf = io.BytesIO()
    Image.new("RGB", (256, 256), (200, 230, 200)).save(buf, "PNG")
    _TileHandler.png = buf.getvalue()
    server = TileServer(("127.0.0.1", 0), _TileHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


async def test_field_officer_sees_the_tiles_of_their_area_again_offline(
    browser: Browser,
    playwright_instance: Any,
    database_url: str,
    settings: Settings,
    tile_server: TileServer,
    db: AsyncSession,
) -> None:
    case = await assigned_case(db)
    port = tile_server.server_address[1]
    cfg = replace(
        settings, pwa_dist=DIST, map_tile_url=f"http://127.0.0.1:{port}/{{z}}/{{x}}/{{y}}.png"
    )
    async with serve(cfg, database_url) as server:
        ctx = await browser.new_context(**phone(playwright_instance), base_url=server.base_url)
        ctx.set_default_timeout(15_000)
        page = await ctx.new_page()
        await sign_in(page, "petugas.dlhk")
        await sw_controls(page)
        tiles = page.get_by_test_id("case-map").locator("img.leaflet-tile-loaded")
        await page.goto(f"/cases/{case.id}")
        await expect(tiles.first).to_be_attached()
        # Seen once with the worker in charge: the tiles are kept.
        await page.reload()
        await expect(tiles.first).to_be_attached()
        await page.wait_for_function(
            "caches.open('tanggap-tiles-v1').then(c => c.keys()).then(k => k.length >= 4)"
        )
        kept = await page.evaluate(
            "caches.open('tanggap-tiles-v1').then(c => c.keys()).then(k => k.length)"
        )
        assert kept <= 2000
        served = tile_server.requests

        # No signal: the case, the city layer and the street tiles still show, with no notice.
        await ctx.set_offline(True)
        await page.reload()
        await expect(page.get_by_test_id("case-map")).to_be_visible()
        await expect(tiles.first).to_be_attached()
        await expect(page.locator(".leaflet-tanggap-areas-pane path").first).to_be_attached()
        await expect(page.get_by_test_id("map-notice")).to_be_hidden()
        assert tile_server.requests == served  # every tile came from the phone
        await shot(page, "maps-field-case-offline-tiles-phone-id")
        await ctx.close()
