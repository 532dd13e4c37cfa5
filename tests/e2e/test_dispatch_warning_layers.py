"""The dispatch map's warning layers (issue #22): a published area warning and a received CAP
alert (ingested from a file feed, as the worker's poll does) are drawn as areas with a legend entry
and a label with their headline; a warning published while the map is open appears without a
reload (the live ``warning`` event), a cancelled one disappears; a supervisor re-issues the CAP
alert as a draft city warning from the map and lands on ``/warnings/<id>``; a BPBD coordinator
has the button too, a dispatcher has none, another agency's coordinator is sent no alerts. axe
on the map with the layers open, in both languages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Area
from tests.e2e.conftest import (
    LiveServer,
    check_axe,
    desktop_page,
    dump,
    sign_in,
    staff_client,
    switch_language,
)
from tests.factories import agency_by_code, make_user
from tests.integration.test_cap_incoming import alert_xml, poll, write_feed
from tests.support.warnings import warning_body

pytestmark = [pytest.mark.e2e]


class Issuers:
    """A supervisor drafts; a BPBD coordinator (the second person) approves, which publishes."""

    def __init__(self, drafter: httpx.AsyncClient, approver: httpx.AsyncClient) -> None:
        self.drafter, self.approver = drafter, approver

    async def _approve(self, draft: httpx.Response) -> int:
        assert draft.status_code == 201, draft.text
        warning_id = int(draft.json()["id"])
        r = await self.approver.post(f"/api/warnings/{warning_id}/approve")
        assert r.status_code == 200, r.text
        return warning_id

    async def publish(self, body: dict[str, Any]) -> int:
        return await self._approve(await self.drafter.post("/api/warnings", json=body))

    async def cancel(self, warning_id: int) -> None:
        words = {"id": "Sudah aman.", "en": "All clear."}
        r = await self.drafter.post(
            f"/api/warnings/{warning_id}/cancel", json={"instruction": words}
        )
        await self._approve(r)


async def _client(server: LiveServer, username: str, password: str) -> httpx.AsyncClient:
    c = httpx.AsyncClient(base_url=server.base_url, timeout=15)
    r = await c.post("/api/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    c.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
    return c


async def _label_shows(page: Page, path_class: str, headline: str) -> None:
    """The pointer over the first such area opens Leaflet's label with the headline."""
    await page.mouse.move(0, 0)  # the pointer off the map (the CAP area covers the city)
    label = page.locator(".leaflet-tooltip", has_text=headline)
    await expect(label).to_have_count(0)
    area = page.locator(f"path.{path_class}").first
    await area.dispatch_event("mouseover")
    await expect(label).to_be_visible()
    await area.dispatch_event("mouseout")
    await expect(label).to_have_count(0)


async def test_the_map_shows_warnings_and_cap_alerts_live_and_reissues_an_alert(
    browser: Browser, live_server: LiveServer, db: AsyncSession, tmp_path: Path
) -> None:
    a11y: dict[str, Any] = {}
    mandonga = (await db.execute(select(Area.id).where(Area.name == "Mandonga"))).scalar_one()
    bpbd = await agency_by_code(db, "BPBD")
    coordinator = await make_user(db, "coordinator", agency_id=bpbd.id)
    await db.commit()
    now = datetime.now(UTC)
    expires = (now + timedelta(hours=3)).isoformat()
    # BMKG's alert, read from a file feed by the same poll the worker runs.
    feed = write_feed(tmp_path, {"c1.xml": alert_xml("c1", now, now + timedelta(hours=3))})
    assert await poll(db, feed) == 1

    issuers = Issuers(
        await staff_client(live_server, "supervisor"),
        await _client(live_server, coordinator.username, "password123"),
    )
    try:
        first = await issuers.publish(warning_body(expires, [mandonga]))

        ctx, page, errors = await desktop_page(browser, live_server)
        await sign_in(page, "dispatcher")  # lands on the dispatch map
        await expect(page.get_by_test_id("live-status")).to_have_attribute("data-connected", "1")
        layers = page.get_by_test_id("warning-layers")
        await expect(layers.locator("[data-warning]")).to_contain_text(
            "Peringatan: Banjir di Mandonga"
        )
        await expect(layers.locator("[data-incoming]")).to_contain_text(
            "Peringatan diterima dari bmkg.go.id: Hujan lebat c1"
        )
        legend = page.get_by_test_id("map-legend")
        await expect(legend).to_contain_text("Peringatan wilayah yang berlaku")
        await expect(legend).to_contain_text("Peringatan diterima lewat CAP")
        await expect(page.locator("path.warning-area")).to_have_count(1)
        await expect(page.locator("path.cap-area")).to_have_count(1)
        await _label_shows(page, "warning-area", "Peringatan: Banjir di Mandonga")
        await _label_shows(page, "cap-area", "Hujan lebat c1")
        # Re-issuing is for supervisors and BPBD coordinators, not for a dispatcher.
        await expect(page.get_by_test_id("cap-reissue")).to_have_count(0)
        await check_axe(page, "dispatch warning layers (id)", a11y)

        # A warning published while the map is open appears without a reload.
        await page.evaluate("window.__sameDocument = true")
        landslide = {"id": "Longsor di Mandonga", "en": "Landslide in Mandonga"}
        second = await issuers.publish(warning_body(expires, [mandonga], headline=landslide))
        await expect(layers.locator(f'[data-warning="{second}"]')).to_contain_text(
            "Longsor di Mandonga", timeout=5000
        )
        await expect(page.locator("path.warning-area")).to_have_count(2)
        # The cancelled warning leaves the map.
        await issuers.cancel(first)
        await expect(layers.locator(f'[data-warning="{first}"]')).to_have_count(0, timeout=5000)
        await expect(page.locator("path.warning-area")).to_have_count(1)
        assert await page.evaluate("window.__sameDocument === true")

        await switch_language(page, "en")
        await expect(legend).to_contain_text("Area warning in force")
        await expect(legend).to_contain_text("Alert received by CAP")
        await expect(layers).to_contain_text("Warning: Landslide in Mandonga")
        await check_axe(page, "dispatch warning layers (en)", a11y)
        assert errors == []
        await ctx.close()

        # A supervisor re-issues the received alert from the map: a draft, then its screen.
        ctx, page, errors = await desktop_page(browser, live_server)
        await sign_in(page, "supervisor")
        await page.goto("/dispatch")
        alert = page.get_by_test_id("warning-layers").locator("[data-incoming]")
        button = alert.get_by_role("button", name="Terbitkan ulang sebagai peringatan kota")
        await expect(button).to_be_visible()
        await check_axe(page, "dispatch warning layers, supervisor (id)", a11y)
        await button.focus()
        await page.keyboard.press("Enter")  # keyboard-reachable
        await page.wait_for_url("**/warnings/*")
        draft_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
        r = await issuers.drafter.get("/api/warnings")
        assert r.status_code == 200, r.text
        (draft,) = [w for w in r.json() if w["id"] == draft_id]
        assert draft["status"] == "draft" and draft["headline_id"] == "Hujan lebat c1"
        await ctx.close()

        # A BPBD coordinator may re-issue too; another agency's coordinator gets no alerts.
        for username, password, shown in (
            (coordinator.username, "password123", 1),
            ("koordinator.dlhk", "tanggap112", 0),
        ):
            ctx, page, errors = await desktop_page(browser, live_server)
            await sign_in(page, username, password)
            await page.goto("/dispatch")
            await expect(page.get_by_test_id("live-status")).to_have_attribute(
                "data-connected", "1"
            )
            layers = page.get_by_test_id("warning-layers")
            await expect(layers.locator("[data-warning]")).to_have_count(1)
            await expect(layers.locator("[data-incoming]")).to_have_count(shown)
            await expect(page.get_by_test_id("cap-reissue")).to_have_count(shown)
            await ctx.close()
    finally:
        await issuers.drafter.aclose()
        await issuers.approver.aclose()
    assert not a11y, dump(a11y)
