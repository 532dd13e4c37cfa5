"""The supervisor's statistics dashboard, end to end: Chromium against the real API and PostGIS.

The numbers on screen are checked against the statistics API's own JSON for the same period,
a number opens the list of the cases behind it, axe finds nothing serious in either language,
and screenshots are saved for a desktop (1440x900) and a phone (Pixel 7).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Call, CaseEvent, Team
from tests.e2e.conftest import (
    PASSWORD,
    PUSH_STUB,
    LiveServer,
    Shot,
    axe_serious,
    desktop_page,
    dump,
    phone,
    sign_in,
)
from tests.factories import agency_by_code, category_by_code, make_case

pytestmark = [pytest.mark.e2e]

CALLS = {"valid": 5, "informasi": 2, "curhat": 1, "prank": 3, "ghost": 2, "wrong_number": 1}
OPEN = {"new", "returned", "reopened", "dispatched", "accepted", "en_route", "on_scene"}


async def arrange(db: AsyncSession) -> None:
    """Calls of every class and cases in several states, all created within the last hour (so
    in this month, the dashboard's default period); one fire report is overdue."""
    now = datetime.now(UTC)
    i = 0
    for call_class, n in CALLS.items():
        for _ in range(n):
            i += 1
            db.add(
                Call(
                    number=f"+62812000{i:04d}",
                    channel="phone",
                    started_at=now - timedelta(minutes=i),
                    duration_s=5 if call_class == "ghost" else 90,
                    call_class=call_class,
                )
            )
    db.add(Call(number="+628120009999", channel="phone", started_at=now - timedelta(minutes=2)))

    team = (await db.execute(select(Team).where(Team.name == "TRC DLHK 1"))).scalar_one()
    tree = await category_by_code(db, "POHON_TUMBANG")
    fire = await category_by_code(db, "KEBAKARAN_BANGUNAN")
    road = await category_by_code(db, "JALAN_RUSAK")
    spots = [(-3.9712, 122.5168), (-3.9690, 122.5150), (-3.9985, 122.5170)]
    # Fire reported 30 minutes ago, nobody accepted: its 2-minute acceptance deadline has passed.
    await make_case(db, category=fire, status="new", created_at=now - timedelta(minutes=30))
    await make_case(db, category=road, status="new", lat=spots[2][0], lon=spots[2][1])
    await make_case(db, category=tree, status="new", created_at=now - timedelta(minutes=1))
    await make_case(db, category=tree, status="dispatched", team=team)
    await make_case(db, category=tree, status="accepted", team=team)
    for status in ("resolved", "closed"):
        created = now - timedelta(minutes=70)
        case = await make_case(
            db,
            category=tree,
            status=status,
            team=team,
            created_at=created,
            lat=spots[1][0],
            lon=spots[1][1],
        )
        steps = [
            ("created", 0),
            ("dispatched", 4),
            ("accepted", 6),
            ("on_scene", 24),
            ("resolved", 60),
        ]
        for kind, minutes in steps:
            db.add(CaseEvent(case_id=case.id, kind=kind, at=created + timedelta(minutes=minutes)))
    await db.commit()


async def stats(
    server: LiveServer,
    username: str = "supervisor",
    names: tuple[str, ...] = ("calls", "cases", "response-times", "sla"),
) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=server.base_url) as c:
        r = await c.post("/api/auth/login", json={"username": username, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        out = {}
        for name in names:
            r = await c.get(f"/api/stats/{name}", headers=headers)
            r.raise_for_status()
            out[name] = r.json()
        return out


async def kpi(page: Page, name: str) -> tuple[str, str]:
    value = page.get_by_test_id(f"kpi-{name}-value")
    return (await value.inner_text()).strip(), await value.get_attribute("data-value") or ""


def minutes(seconds: float | None) -> str:
    return "—" if seconds is None else f"{int(seconds / 60 + 0.5)} mnt"


async def open_dashboard(page: Page) -> None:
    await sign_in(page, "supervisor")  # lands on the dashboard
    await expect(page).to_have_url(re.compile(r"/dashboard$"))
    await expect(page.get_by_test_id("kpis")).to_be_visible()
    await expect(page.get_by_test_id("heatmap")).to_be_visible()


async def test_supervisor_dashboard_shows_the_stats_api_numbers_and_drills_down(
    browser: Browser,
    playwright_instance: Any,
    live_server: LiveServer,
    db: AsyncSession,
    shot: Shot,
) -> None:
    await arrange(db)
    want = await stats(live_server)
    calls, cases, times = want["calls"], want["cases"], want["response-times"]
    assert calls["headline"]["total"]["value"] == sum(CALLS.values()) + 1, dump(calls["headline"])
    assert cases["headline"]["created"]["value"] == 7, dump(cases["headline"])

    ctx, page, errors = await desktop_page(browser, live_server)
    try:
        await open_dashboard(page)

        # Headline numbers: the same as the API's JSON for the same period (this month).
        assert await kpi(page, "calls") == (
            str(calls["headline"]["total"]["value"]),
            str(calls["headline"]["total"]["value"]),
        )
        vp = calls["headline"]["valid_percent"]["value"]
        assert await kpi(page, "valid-percent") == (f"{vp}%", str(vp))
        pg = calls["headline"]["prank_or_ghost"]["value"]
        assert pg == CALLS["prank"] + CALLS["ghost"]
        assert await kpi(page, "prank-ghost") == (str(pg), str(pg))
        created = cases["headline"]["created"]["value"]
        assert await kpi(page, "created") == (str(created), str(created))
        fp = cases["headline"]["finished_percent"]["value"]
        assert await kpi(page, "finished-percent") == (f"{fp}%", str(fp))
        overdue = cases["headline"]["overdue_now"]
        assert overdue >= 1
        assert await kpi(page, "overdue") == (str(overdue), str(overdue))
        sla = want["sla"]["overall"]["all"]["compliance_percent"]
        assert sla is not None
        assert await kpi(page, "sla") == (f"{sla}%", str(sla))
        for stage in ("dispatch", "accept", "arrive", "resolve"):
            median = times["headline"][stage]["median_s"]
            text, raw = await kpi(page, f"median-{stage}")
            assert text == minutes(median), (stage, text, median)
            assert median is not None and float(raw) == pytest.approx(median)
        # The change against the previous period is shown next to each number.
        await expect(page.get_by_test_id("kpi-created")).to_contain_text("+7")

        # The agency table and the map carry the same cases.
        await expect(page.get_by_test_id("agency-row-DLHK")).to_be_visible()
        await expect(page.get_by_test_id("heatmap")).not_to_have_attribute("data-cells", "0")
        await expect(page.locator(".dash-map path.leaflet-interactive").first).to_be_visible()

        found: dict[str, Any] = {}
        if v := await axe_serious(page):
            found["dashboard id"] = v
        await shot(page, "dashboard-desktop-id")

        # A number opens the list of exactly the cases behind it.
        await page.get_by_test_id("kpi-created").click()
        await expect(page.get_by_test_id("dashboard-cases")).to_be_visible()
        assert "created_from=" in page.url
        await expect(page.get_by_test_id("cases-count")).to_have_attribute(
            "data-count", str(created)
        )
        await expect(page.get_by_test_id("case-row")).to_have_count(created)
        if v := await axe_serious(page):
            found["case list id"] = v
        await shot(page, "dashboard-cases-desktop-id")

        await page.go_back()
        await expect(page.get_by_test_id("kpis")).to_be_visible()
        await page.get_by_test_id("kpi-overdue").click()
        await expect(page.get_by_test_id("cases-count")).to_have_attribute(
            "data-count", str(overdue)
        )
        for status in await page.get_by_test_id("case-row").evaluate_all(
            "rows => rows.map(r => r.dataset.status)"
        ):
            assert status in OPEN

        # Exports are fetched with the token and saved; the monthly report opens in a new tab.
        await page.get_by_role("link", name="Kembali ke dasbor").click()
        await expect(page.get_by_test_id("kpis")).to_be_visible()
        async with page.expect_download() as dl:
            await page.get_by_test_id("export-cases").click()
        csv_path = await (await dl.value).path()
        lines = Path(csv_path).read_text(encoding="utf-8").strip().splitlines()
        assert len(lines) == created + 1, lines[:3]
        async with ctx.expect_page() as popup:
            await page.get_by_test_id("report-monthly").click()
        report = await popup.value
        await expect(report.locator("body")).to_contain_text("112")
        await report.close()

        # English.
        await page.locator(".pill-lang").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Statistics dashboard")
        await expect(page.get_by_test_id("kpi-calls")).to_contain_text("Calls received")
        if v := await axe_serious(page):
            found["dashboard en"] = v
        await shot(page, "dashboard-desktop-en")

        # The agency filter narrows every figure (and stays in the address).
        dlhk = await agency_by_code(db, "DLHK")
        await page.get_by_test_id("filter-agency").select_option(str(dlhk.id))
        await expect(page).to_have_url(re.compile(rf"agency_id={dlhk.id}"))
        await expect(page.get_by_test_id("kpi-created-value")).to_have_attribute("data-value", "5")
        assert not found, dump(found)
        assert not errors, errors
    finally:
        await ctx.close()

    # The same screen on a phone.
    ctx = await browser.new_context(**phone(playwright_instance), base_url=live_server.base_url)
    await ctx.add_init_script(PUSH_STUB)
    ctx.set_default_timeout(15_000)
    page = await ctx.new_page()
    try:
        await open_dashboard(page)
        assert await kpi(page, "created") == (str(created), str(created))
        await shot(page, "dashboard-phone-id")
    finally:
        await ctx.close()


async def test_coordinator_dashboard_shows_own_agency_without_call_figures(
    browser: Browser, live_server: LiveServer, db: AsyncSession
) -> None:
    await arrange(db)
    want = await stats(live_server, "koordinator.dlhk", names=("cases",))
    ctx, page, _ = await desktop_page(browser, live_server, (1280, 800))
    try:
        await sign_in(page, "koordinator.dlhk")
        await page.get_by_test_id("nav-menu").click()
        await page.get_by_test_id("home-dashboard").click()
        await expect(page.get_by_test_id("kpis")).to_be_visible()
        created = want["cases"]["headline"]["created"]["value"]
        assert created == 5
        assert await kpi(page, "created") == (str(created), str(created))
        await expect(page.get_by_test_id("kpi-calls")).to_have_count(0)
        await expect(page.get_by_test_id("filter-agency")).to_have_count(0)
        await expect(page.get_by_test_id("agency-table").locator("tbody tr")).to_have_count(1)
        # Previous month: nothing yet; next: back to this month.
        label = await page.get_by_test_id("period-label").inner_text()
        await page.get_by_test_id("period-prev").click()
        await expect(page.get_by_test_id("period-label")).not_to_have_text(label)
        await expect(page).to_have_url(re.compile(r"month=\d{4}-\d{2}"))
        await expect(page.get_by_test_id("kpi-created-value")).to_have_attribute("data-value", "0")
        await page.get_by_test_id("period-next").click()
        await expect(page.get_by_test_id("period-label")).to_have_text(label)
        await expect(page.get_by_test_id("kpi-created-value")).to_have_attribute(
            "data-value", str(created)
        )
        await page.get_by_test_id("kpi-created").click()
        await expect(page.get_by_test_id("case-row")).to_have_count(created)
    finally:
        await ctx.close()


async def test_dashboard_says_in_words_when_the_worker_is_stalled_and_clears_when_it_works(
    browser: Browser,
    phone_context: BrowserContext,
    live_server: LiveServer,
    settings: Any,
    database_url: str,
    shot: Shot,
) -> None:
    """No worker runs beside this server: readiness is degraded and the dashboard says what
    that means, in both languages; once a worker beats, the banner is gone."""
    from api import worker

    ctx = await browser.new_context(
        viewport={"width": 1440, "height": 900}, base_url=live_server.base_url
    )
    await ctx.add_init_script(PUSH_STUB)
    ctx.set_default_timeout(15_000)
    page = await ctx.new_page()
    found: dict[str, Any] = {}
    try:
        await open_dashboard(page)
        banner = page.get_by_test_id("system-health")
        await expect(banner).to_contain_text("Pengirim notifikasi dan pemeriksa SLA tidak berjalan")
        await expect(banner).not_to_contain_text("worker_stalled")
        if v := await axe_serious(page):
            found["health id"] = v
        await shot(page, "dashboard-health-desktop-id")
        await page.locator(".pill-lang").click()
        await expect(banner).to_contain_text("The notification sender and SLA checker")
        if v := await axe_serious(page):
            found["health en"] = v
        await shot(page, "dashboard-health-desktop-en")
        async with worker.running(settings, database_url):
            await page.reload()
            await expect(page.get_by_test_id("kpis")).to_be_visible()
            await expect(page.get_by_test_id("system-health")).to_have_count(0)
        assert not found, dump(found)
    finally:
        await ctx.close()

    page = await phone_context.new_page()
    await open_dashboard(page)
    await expect(page.get_by_test_id("system-health")).to_be_visible()
    await shot(page, "dashboard-health-phone-id")
