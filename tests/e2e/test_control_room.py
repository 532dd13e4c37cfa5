"""The control room's intake console, end to end: a desktop operator in Chromium (1600 x 1000)
takes a PBX call, sees a prank warning, classifies a ghost call with one key, turns a valid call
into a case (category typed in Indonesian with a typo, a map pin, a rejected duplicate) and assigns
the nearest suggested team; the field officer's phone then shows the task.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Team
from tests.e2e.conftest import (
    PASSWORD,
    LiveServer,
    axe_serious,
    dump,
    pbx_send,
    phone,
    sign_in,
)
from tests.factories import category_by_code, make_case

pytestmark = [pytest.mark.e2e]

DESKTOP = {
    "viewport": {"width": 1600, "height": 1000},
    "locale": "id-ID",
    "timezone_id": "Asia/Makassar",
}
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "control-room"
FLAGGED = "081234500001"
VALID_CALLER = "081298765432"


async def token(c: httpx.AsyncClient, username: str) -> dict[str, str]:
    r = await c.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def pbx_call_started(server: LiveServer, c: httpx.AsyncClient, number: str) -> None:
    """What the PBX sends when a call rings: a signed ``call.started`` webhook."""
    await pbx_send(
        server,
        c,
        {
            "event": "call.started",
            "call_id": f"pbx-e2e-{time.time_ns()}",
            "at": "2026-01-01T00:00:00+00:00",
            "number": number,
        },
    )


async def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.evaluate("window.scrollTo(0, 0)")  # the sticky header stays on top
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def check_axe(page: Page, screen: str, found: dict[str, Any]) -> None:
    violations = await axe_serious(page)
    if violations:
        found[screen] = violations


async def test_operator_takes_calls_classifies_creates_and_assigns_from_one_screen(
    browser: Browser,
    playwright_instance: Any,
    live_server: LiveServer,
    db: AsyncSession,
) -> None:
    a11y: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=live_server.base_url) as c:
        op = await token(c, "operator")
        config = (await c.get("/api/config")).json()
        lat, lon = config["city"]["center"]

        # A number with three prank calls today is flagged.
        for _ in range(3):
            r = await c.post("/api/calls", json={"number": FLAGGED, "class": "prank"}, headers=op)
            assert r.status_code == 201, r.text

        # A fallen tree already reported 20 m from where the operator will pin the new one.
        existing = await make_case(
            db,
            category=await category_by_code(db, "POHON_TUMBANG"),
            lat=lat + 0.0002,
            lon=lon,
            description="Pohon tumbang di tepi jalan, sudah dilaporkan.",
        )
        await db.commit()

        # Both DLHK teams on duty: TRC DLHK 1 close by, TRC DLHK 2 far away.
        teams = {
            t.name: t.id
            for t in (await db.execute(select(Team).where(Team.name.like("TRC DLHK%")))).scalars()
        }
        for user, team, (plat, plon) in [
            ("petugas.dlhk", "TRC DLHK 1", (lat - 0.001, lon)),
            ("petugas2.dlhk", "TRC DLHK 2", (lat + 0.05, lon + 0.05)),
        ]:
            r = await c.post(
                f"/api/teams/{teams[team]}/positions",
                json={"lat": plat, "lon": plon, "accuracy_m": 10},
                headers=await token(c, user),
            )
            assert r.status_code < 300, r.text

        # A dispatcher watches the map in another window.
        dctx = await browser.new_context(**DESKTOP, base_url=live_server.base_url)
        dctx.set_default_timeout(15_000)
        dispatcher = await dctx.new_page()
        await sign_in(dispatcher, "dispatcher")  # lands on the dispatch map
        await expect(dispatcher.get_by_test_id("live-status")).to_have_attribute(
            "data-connected", "1"
        )
        await expect(
            dispatcher.locator(f'.case-row[data-reference="{existing.reference}"]')
        ).to_be_visible()
        await expect(dispatcher.get_by_test_id("team-fix")).to_have_count(2)
        await shot(dispatcher, "10-dispatch-map")
        await check_axe(dispatcher, "dispatch (id)", a11y)

        ctx = await browser.new_context(**DESKTOP, base_url=live_server.base_url)
        ctx.set_default_timeout(15_000)
        page = await ctx.new_page()
        await sign_in(page, "operator")  # lands on call intake
        await expect(page.get_by_role("heading", name="Penerimaan panggilan")).to_be_visible()
        await shot(page, "01-intake-empty")
        await check_axe(page, "intake (id)", a11y)

        # (1) A call rings through the PBX webhook and is offered on the screen.
        await pbx_call_started(live_server, c, FLAGGED)
        offered = page.get_by_test_id("incoming-call")
        await expect(offered).to_contain_text("+6281234500001")
        await offered.get_by_role("button", name="Ambil").click()
        await expect(page.get_by_test_id("caller-number")).to_have_value("+6281234500001")

        # (2) The number is flagged: the warning shows.
        warning = page.get_by_test_id("prank-warning")
        await expect(warning).to_contain_text("ditandai iseng")
        await expect(warning).to_contain_text("3 panggilan iseng")
        await shot(page, "02-intake-prank-warning")
        await check_axe(page, "intake prank warning", a11y)

        # (3) Silence on the line: one key classifies it as a ghost call.
        await page.keyboard.press("Alt+1")
        await expect(page.get_by_test_id("caller-number")).to_have_value("")
        await expect(page.get_by_test_id("toast")).to_contain_text("Panggilan kosong")
        calls = (await c.get("/api/calls?limit=10", headers=op)).json()
        pbx_calls = [x for x in calls if x["pbx_call_id"]]
        assert pbx_calls and pbx_calls[0]["class"] == "ghost", dump(calls)

        # (4) A valid call: the category is typed in Indonesian, with a typo.
        await page.get_by_test_id("caller-number").fill(VALID_CALLER)
        await expect(page.get_by_test_id("caller-history")).to_contain_text("0 panggilan")
        await page.get_by_role("combobox", name="Kategori").fill("pohon tumbng")
        option = page.get_by_role("option").first
        await expect(option).to_contain_text("Pohon tumbang")
        await page.get_by_role("combobox", name="Kategori").press("Enter")
        await expect(page.get_by_test_id("category-chosen")).to_contain_text("Pohon tumbang")
        await page.get_by_test_id("description").fill("Pohon besar tumbang menutup jalan.")
        await page.get_by_label("Patokan lokasi").fill("Depan kantor lurah")
        await page.get_by_test_id("intake-map").click()  # the centre of the map
        await expect(page.get_by_test_id("pin-status")).to_contain_text("Pin:")

        # (5) The earlier report nearby is suggested; the operator says it is another tree.
        similar = page.locator(f'.similar-item[data-reference="{existing.reference}"]')
        await expect(similar).to_be_visible()
        await shot(page, "03-intake-valid-call-similar")
        await check_axe(page, "intake similar", a11y)
        await similar.get_by_role("button", name="Bukan ini").click()
        await expect(similar).to_have_count(0)

        # (6) Create the case, then assign the nearest suggested team.
        await page.get_by_role("button", name="Buat kasus").click()
        created = page.get_by_test_id("created")
        await expect(created.get_by_role("heading")).to_contain_text("dibuat")
        first = page.get_by_test_id("team-suggestion").first
        await expect(first).to_have_attribute("data-team", "TRC DLHK 1")
        await shot(page, "04-intake-team-suggestions")
        await check_axe(page, "intake team suggestions", a11y)
        await first.get_by_role("button").click()
        await expect(page.get_by_test_id("intake-done")).to_contain_text("TRC DLHK 1")
        await shot(page, "05-intake-assigned")

        cases = (
            await c.get(f"/api/cases?team_id={teams['TRC DLHK 1']}&status=dispatched", headers=op)
        ).json()["items"]
        assert len(cases) == 1, dump(cases)
        new_case = cases[0]
        assert new_case["category"]["code"] == "POHON_TUMBANG"
        assert new_case["landmark"] == "Depan kantor lurah"
        assert new_case["id"] != str(existing.id)
        calls = (await c.get("/api/calls", headers={**op, "X-Caller-Number": VALID_CALLER})).json()
        assert [x["class"] for x in calls] == ["valid"], dump(calls)

        # The dispatcher's map shows the new case without a reload: in the list, and in the
        # cluster it now shares with the earlier report.
        row = dispatcher.locator(f'.case-row[data-reference="{new_case["reference"]}"]')
        await expect(row).to_be_visible()
        await expect(dispatcher.locator(".case-cluster")).to_have_attribute("data-count", "2")
        await row.click()
        drawer = dispatcher.get_by_test_id("case-drawer")
        await expect(drawer.get_by_test_id("drawer-team")).to_have_text("TRC DLHK 1")
        await expect(drawer.get_by_role("button", name="Tugaskan TRC DLHK 2")).to_be_visible()
        await shot(dispatcher, "11-dispatch-drawer")
        await check_axe(dispatcher, "dispatch drawer (id)", a11y)
        await dispatcher.get_by_role("button", name="Ganti bahasa ke English").click()
        await expect(dispatcher.get_by_role("heading", name="Case history")).to_be_visible()
        await check_axe(dispatcher, "dispatch drawer (en)", a11y)
        await dispatcher.get_by_role("button", name="Close").click()
        await expect(dispatcher.get_by_role("heading", name="Dispatch map")).to_be_visible()
        # Select a case, then a team on the map: the case is assigned to that team.
        await dispatcher.locator(f'.case-row[data-reference="{existing.reference}"]').click()
        await expect(drawer.get_by_test_id("drawer-team")).to_have_text("None yet")
        await dispatcher.locator('.team-marker[data-team="TRC DLHK 2"]').click()
        await expect(drawer.get_by_test_id("drawer-team")).to_have_text("TRC DLHK 2")
        await dispatcher.get_by_role("button", name="Close").click()
        await shot(dispatcher, "12-dispatch-map-en")
        await check_axe(dispatcher, "dispatch (en)", a11y)
        await dctx.close()

        # The same screen in English passes axe too.
        await page.get_by_role("button", name="Ganti bahasa ke English").click()
        await expect(page.get_by_role("heading", name="Call intake")).to_be_visible()
        await page.get_by_role("button", name="New call").first.click()
        await expect(page.get_by_text("Not a valid call: one key")).to_be_visible()
        await shot(page, "06-intake-en")
        await check_axe(page, "intake (en)", a11y)
        await ctx.close()

        # The field officer's phone shows the new task.
        phone_ctx = await browser.new_context(
            **phone(playwright_instance), base_url=live_server.base_url
        )
        phone_ctx.set_default_timeout(15_000)
        officer = await phone_ctx.new_page()
        await sign_in(officer, "petugas.dlhk")
        task = officer.locator(f'[data-testid=task][data-reference="{new_case["reference"]}"]')
        await expect(task).to_be_visible()
        await phone_ctx.close()

    assert not a11y, dump(a11y)


async def test_coordinator_runs_their_agency_teams_and_sees_only_its_cases(
    browser: Browser,
    live_server: LiveServer,
    db: AsyncSession,
) -> None:
    a11y: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=live_server.base_url) as c:
        config = (await c.get("/api/config")).json()
        lat, lon = config["city"]["center"]
        ours = await make_case(
            db, category=await category_by_code(db, "POHON_TUMBANG"), lat=lat, lon=lon
        )
        theirs = await make_case(
            db, category=await category_by_code(db, "KEBAKARAN_BANGUNAN"), lat=lat + 0.001, lon=lon
        )
        await db.commit()

        ctx = await browser.new_context(**DESKTOP, base_url=live_server.base_url)
        ctx.set_default_timeout(15_000)
        page = await ctx.new_page()
        await sign_in(page, "koordinator.dlhk")

        # The dispatch map holds the agency's cases only (the coordinator lands on teams).
        await page.get_by_test_id("nav-menu").click()
        await page.get_by_test_id("home-dispatch").click()
        await expect(page.locator(f'.case-row[data-reference="{ours.reference}"]')).to_be_visible()
        await expect(page.locator(f'.case-row[data-reference="{theirs.reference}"]')).to_have_count(
            0
        )
        await shot(page, "20-coordinator-dispatch")

        # Team management: duty and membership.
        await page.goto("/teams")
        await expect(page.get_by_role("heading", name="Tim instansi")).to_be_visible()
        first = page.locator('[data-testid=team-card][data-team="TRC DLHK 1"]')
        second = page.locator('[data-testid=team-card][data-team="TRC DLHK 2"]')
        await expect(first.get_by_label("Rina Petugas DLHK")).not_to_be_checked()
        await check_axe(page, "teams (id)", a11y)
        await second.get_by_test_id("duty-toggle").click()
        await expect(second.get_by_test_id("duty-toggle")).to_have_attribute(
            "aria-checked", "false"
        )
        await expect(second.get_by_test_id("duty-state")).to_have_text("Tidak bertugas")
        await first.get_by_label("Rina Petugas DLHK").check()
        await first.get_by_role("button", name="Simpan anggota TRC DLHK 1").click()
        await expect(page.get_by_test_id("toast")).to_contain_text("disimpan")
        await shot(page, "21-coordinator-teams")

        headers = await token(c, "koordinator.dlhk")
        teams = {t["name"]: t for t in (await c.get("/api/teams", headers=headers)).json()}
        assert not teams["TRC DLHK 2"]["on_duty"]
        assert {m["full_name"] for m in teams["TRC DLHK 1"]["members"]} >= {
            "Putra Petugas DLHK",
            "Rina Petugas DLHK",
        }

        await page.get_by_role("button", name="Ganti bahasa ke English").click()
        await expect(page.get_by_role("heading", name="Agency teams")).to_be_visible()
        await shot(page, "22-coordinator-teams-en")
        await check_axe(page, "teams (en)", a11y)
        await ctx.close()

    assert not a11y, dump(a11y)


async def test_operator_merges_a_duplicate_in_one_click_and_cancels_from_the_drawer(
    browser: Browser,
    live_server: LiveServer,
    db: AsyncSession,
) -> None:
    async with httpx.AsyncClient(base_url=live_server.base_url) as c:
        op = await token(c, "operator")
        config = (await c.get("/api/config")).json()
        lat, lon = config["city"]["center"]
        parent = await make_case(
            db,
            category=await category_by_code(db, "POHON_TUMBANG"),
            lat=lat + 0.0002,
            lon=lon,
            description="Pohon tumbang di tepi jalan.",
        )
        await db.commit()

        ctx = await browser.new_context(**DESKTOP, base_url=live_server.base_url)
        ctx.set_default_timeout(15_000)
        page = await ctx.new_page()
        await sign_in(page, "operator")
        await page.goto("/intake")
        await page.get_by_test_id("caller-number").fill(VALID_CALLER)
        combo = page.get_by_role("combobox", name="Kategori")
        await combo.fill("pohon tumbang")
        await page.get_by_role("option", name="Pohon tumbang").click()
        await page.get_by_test_id("description").fill("Pohon yang sama, penelepon kedua.")
        await page.get_by_test_id("intake-map").click()
        similar = page.locator(f'.similar-item[data-reference="{parent.reference}"]')
        await similar.get_by_role("button", name="Gabungkan").click()
        await expect(page.get_by_test_id("intake-done")).to_contain_text(
            f"digabungkan ke {parent.reference}"
        )
        dupes = (await c.get("/api/cases?status=duplicate", headers=op)).json()["items"]
        assert [d["duplicate_of_id"] for d in dupes] == [str(parent.id)], dump(dupes)

        # The parent, opened from the dispatch map's list, is cancelled with a reason.
        await page.goto("/dispatch")
        await page.locator(f'.case-row[data-reference="{parent.reference}"]').click()
        drawer = page.get_by_test_id("case-drawer")
        await drawer.get_by_label("Alasan").fill("Sudah ditangani warga.")
        await drawer.get_by_role("button", name="Batalkan kasus").click()
        await expect(drawer.get_by_test_id("drawer-status")).to_have_text("Dibatalkan")
        await ctx.close()
