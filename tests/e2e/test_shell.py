"""The app shell in Chromium: every role lands on its own screen, the citizens' landing at `/`,
not-found, no phone screen scrolling sideways, shared phones (a session that ends forgets its
cases and photos; an unsent outbox stays with its user), and the small fixes of issue 15."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from PIL import Image
from playwright.async_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Agency, Case, Team
from tests.e2e.conftest import (
    PASSWORD,
    LiveServer,
    Shot,
    axe_serious,
    check_axe,
    dump,
    sign_in,
    staff_client,
    sw_controls,
    switch_language,
)
from tests.factories import category_by_code, make_case

pytestmark = [pytest.mark.e2e]

DESKTOP = {
    "viewport": {"width": 1440, "height": 900},
    "locale": "id-ID",
    "timezone_id": "Asia/Makassar",
}
PHOTO_CACHE = "tanggap-photos-v1"

# Each role, where it lands, and what marks that screen.
LANDINGS = [
    ("operator", "/intake", "intake"),
    ("dispatcher", "/dispatch", "dispatch"),
    ("koordinator.dlhk", "/teams", "teams"),
    ("supervisor", "/dashboard", "dashboard"),
    ("admin", "/admin", "admin-home"),
]


@pytest_asyncio.fixture
async def desktop_context(
    browser: Browser, live_server: LiveServer
) -> AsyncIterator[BrowserContext]:
    ctx = await browser.new_context(**DESKTOP, base_url=live_server.base_url)
    ctx.set_default_timeout(15_000)
    yield ctx
    await ctx.close()


async def fits_phone(page: Page, screen: str, found: dict[str, Any]) -> None:
    """The page does not scroll sideways at phone width. A phone widens its layout viewport
    (and so `innerWidth`) to whatever overflows, so the device's own width is the measure too."""
    wide, inner = await page.evaluate(
        "() => [document.scrollingElement.scrollWidth, window.innerWidth]"
    )
    device = (page.viewport_size or {"width": inner})["width"]
    if wide > min(inner, device):
        found[screen] = {"scrollWidth": wide, "innerWidth": inner, "device": device}


async def assert_fits_phone(page: Page, screen: str) -> None:
    found: dict[str, Any] = {}
    await fits_phone(page, screen, found)
    assert not found, dump(found)


async def top_shot(page: Page, shot: Shot, name: str) -> None:
    await page.evaluate("window.scrollTo(0, 0)")  # the sticky header stays on top
    await shot(page, name)


async def in_both_languages(
    page: Page, shot: Shot, name: str, a11y: dict[str, Any], ready: Any
) -> None:
    """Screenshot and axe in Indonesian, then English, then back to Indonesian."""
    await expect(ready).to_be_visible()
    await top_shot(page, shot, f"{name}-id")
    await check_axe(page, f"{name} id", a11y)
    await switch_language(page, "en")
    await expect(ready).to_be_visible()
    await top_shot(page, shot, f"{name}-en")
    await check_axe(page, f"{name} en", a11y)
    await switch_language(page, "id")


IDB = """([store, key]) => new Promise((resolve, reject) => {
  const open = indexedDB.open("tanggap");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const os = open.result.transaction(store).objectStore(store);
    const req = key === null ? os.getAll() : os.get(key);
    req.onsuccess = () => { resolve(req.result ?? null); open.result.close(); };
  };
})"""

PHOTOS_CACHED = f"""async () => (await caches.has("{PHOTO_CACHE}"))
  ? (await (await caches.open("{PHOTO_CACHE}")).keys()).length : 0"""


async def idb(page: Page, store: str, key: str | None = None) -> Any:
    return await page.evaluate(IDB, [store, key])


async def kv_put(page: Page, key: str, value: Any) -> None:
    await page.evaluate(
        """([key, value]) => new Promise((resolve) => {
            const open = indexedDB.open("tanggap");
            open.onsuccess = () => {
              const tx = open.result.transaction("kv", "readwrite");
              tx.objectStore("kv").put(value, key);
              tx.oncomplete = () => { open.result.close(); resolve(null); };
            };
        })""",
        [key, value],
    )


async def assigned_case(db: AsyncSession, **kw: Any) -> Case:
    team = (await db.execute(select(Team).where(Team.name == "TRC DLHK 1"))).scalar_one()
    case = await make_case(
        db,
        category=await category_by_code(db, "POHON_TUMBANG"),
        team=team,
        status="dispatched",
        address="Jl. Ahmad Yani No. 12, Kadia",
        description="Pohon mahoni tumbang menutup separuh jalan.",
        lat=-3.9712,
        lon=122.5168,
        **kw,
    )
    await db.commit()
    return case


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (40, 120, 60)).save(buf, "JPEG")
    return buf.getvalue()


# --------------------------------------------------------------------------- landing and routes
async def test_every_role_lands_on_its_own_screen(
    browser: Browser,
    phone_context: BrowserContext,
    desktop_context: BrowserContext,
    live_server: LiveServer,
    shot: Shot,
) -> None:
    a11y: dict[str, Any] = {}
    for username, path, testid in LANDINGS:
        ctx = await browser.new_context(**DESKTOP, base_url=live_server.base_url)
        ctx.set_default_timeout(15_000)
        page = await ctx.new_page()
        await sign_in(page, username)
        await expect(page).to_have_url(re.compile(f"{re.escape(path)}$"))
        await expect(page.get_by_test_id(testid)).to_be_visible()
        body = await page.locator("main").inner_text()
        assert "gunakan API" not in body and "use the API" not in body, (username, body)
        await expect(page.locator('a[href^="/schema"]')).to_have_count(0)
        await ctx.close()

    # The field officer, on a phone, lands on the team's tasks.
    page = await phone_context.new_page()
    await sign_in(page, "petugas.dlhk")
    await expect(page).to_have_url(re.compile(r"/tasks$"))
    await expect(page.get_by_test_id("tasks-screen")).to_be_visible()
    await page.get_by_role("button", name="Keluar", exact=True).click()
    await expect(page.get_by_role("heading", name="Masuk")).to_be_visible()
    await page.close()

    # The admin's home: counts that match the admin API, at desktop and phone sizes.
    async with httpx.AsyncClient(base_url=live_server.base_url) as c:
        r = await c.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        counts = {
            what: len((await c.get(f"/api/admin/{what}", headers=headers)).json())
            for what in ("users", "agencies", "categories", "teams")
        }
    for ctx, size in ((desktop_context, "desktop"), (phone_context, "phone")):
        page = await ctx.new_page()
        await sign_in(page, "admin")
        home = page.get_by_test_id("admin-home")
        for what, n in counts.items():
            await expect(page.get_by_test_id(f"admin-count-{what}")).to_have_attribute(
                "data-count", str(n)
            )
        await expect(home.get_by_role("cell", name="Dimas Dispatcher")).to_be_visible()
        await in_both_languages(page, shot, f"shell-admin-{size}", a11y, home)
        # The staff menu holds the role's screens, language and sign-out.
        await page.get_by_test_id("nav-menu").click()
        menu = page.get_by_test_id("home")
        await expect(menu.get_by_test_id("home-admin")).to_be_visible()
        await in_both_languages(page, shot, f"shell-menu-{size}", a11y, menu)
        if size == "phone":
            await assert_fits_phone(page, "menu")
            await page.get_by_test_id("home-admin").click()
            await expect(home).to_be_visible()
            await assert_fits_phone(page, "admin")
        await page.close()
    assert not a11y, dump(a11y)


async def test_root_is_the_citizens_landing_and_unknown_urls_are_not_found(
    phone_context: BrowserContext, desktop_context: BrowserContext, shot: Shot
) -> None:
    a11y: dict[str, Any] = {}
    for ctx, size in ((phone_context, "phone"), (desktop_context, "desktop")):
        page = await ctx.new_page()
        await page.goto("/")
        landing = page.get_by_test_id("landing")
        await expect(landing.get_by_test_id("home-lapor")).to_have_attribute("href", "/lapor")
        await expect(landing.get_by_test_id("home-lacak")).to_have_attribute("href", "/lacak")
        await expect(landing.get_by_test_id("call-112")).to_have_attribute("href", "tel:112")
        await expect(landing.get_by_test_id("staff-login")).to_be_visible()
        await expect(page.locator("#login-password")).to_have_count(0)
        await in_both_languages(page, shot, f"shell-landing-{size}", a11y, landing)

        # Staff sign-in is one tap away.
        await landing.get_by_test_id("staff-login").click()
        await expect(page.get_by_role("heading", name="Masuk")).to_be_visible()
        await expect(page).to_have_url(re.compile(r"/login$"))
        await in_both_languages(
            page, shot, f"shell-login-{size}", a11y, page.get_by_test_id("login-citizen")
        )

        # An unknown address says so, signed out and signed in.
        await page.goto("/tidak/ada/halaman-ini")
        missing = page.get_by_test_id("not-found")
        await expect(missing.get_by_role("heading", name="Halaman tidak ditemukan")).to_be_visible()
        await expect(missing.get_by_role("link", name="Kembali ke awal")).to_have_attribute(
            "href", "/"
        )
        await in_both_languages(page, shot, f"shell-not-found-{size}", a11y, missing)
        await sign_in(page, "dispatcher")
        await expect(page).to_have_url(re.compile(r"/dispatch$"))
        await page.goto("/apa-ini")
        await expect(missing).to_be_visible()
        await expect(page).to_have_url(re.compile(r"/apa-ini$"))
        await expect(missing.get_by_role("link", name="Kembali ke awal")).to_have_attribute(
            "href", "/dispatch"
        )
        # A staff link opened while signed out opens right after signing in.
        await page.get_by_test_id("nav-menu").click()
        await page.get_by_role("button", name="Keluar dari akun ini").click()
        await expect(page.get_by_role("heading", name="Masuk")).to_be_visible()
        await page.goto("/dashboard/cases")
        await expect(page).to_have_url(re.compile(r"/login$"))
        await page.get_by_label("Nama pengguna").fill("supervisor")
        await page.locator("input[name=password]").fill(PASSWORD)
        await page.get_by_role("button", name="Masuk").click()
        await expect(page).to_have_url(re.compile(r"/dashboard/cases$"))
        await page.close()
    assert not a11y, dump(a11y)


# --------------------------------------------------------------------------- phone width
async def resolved_public_report(server: LiveServer, db: AsyncSession) -> dict[str, Any]:
    """A citizen's noise report, resolved by Satpol PP through the API."""
    async with httpx.AsyncClient(base_url=server.base_url, timeout=15) as c:
        r = await c.post(
            "/api/public/reports",
            json={
                "category": "KEBISINGAN",
                "description": "Knalpot brong tiap malam di depan pasar sentral, sangat bising.",
                "lat": -3.9705,
                "lon": 122.515,
                "location_source": "gps",
                "phone": "081298765432",
            },
        )
        assert r.status_code == 201, r.text
        report = r.json()
    case_id = (
        await db.execute(
            text("SELECT id FROM cases WHERE reference = :r"), {"r": report["reference"]}
        )
    ).scalar_one()
    team_id = (
        (
            await db.execute(
                select(Team.id)
                .join(Agency, Agency.id == Team.agency_id)
                .where(Agency.code == "SATPOLPP")
            )
        )
        .scalars()
        .first()
    )
    await db.commit()
    dispatcher = await staff_client(server, "dispatcher")
    officer = await staff_client(server, "petugas.satpolpp")
    try:
        r = await dispatcher.get(f"/api/cases/{case_id}")
        r = await dispatcher.post(
            f"/api/cases/{case_id}/assign",
            json={"team_id": team_id, "version": r.json()["case"]["version"]},
        )
        assert r.status_code == 200, r.text
        for action in ("accept", "en_route", "on_scene", "resolve"):
            r = await officer.post(
                f"/api/cases/{case_id}/transitions",
                json={"action": action, "version": r.json()["version"], "note": "Ditertibkan."},
            )
            assert r.status_code == 200, r.text
    finally:
        await dispatcher.aclose()
        await officer.aclose()
    return report


async def remember_tracking(page: Page, reference: str, token: str) -> None:
    """This phone made the report: its tracking token is in the app's IndexedDB."""
    await kv_put(page, "citizen.credentials", {reference: {"token": token}})


async def test_no_phone_screen_scrolls_sideways_and_a_dispute_is_confirmed(
    phone_context: BrowserContext,
    desktop_context: BrowserContext,
    live_server: LiveServer,
    db: AsyncSession,
    shot: Shot,
) -> None:
    wide: dict[str, Any] = {}
    a11y: dict[str, Any] = {}
    page = await phone_context.new_page()
    await page.goto("/")
    await expect(page.get_by_test_id("landing")).to_be_visible()
    await fits_phone(page, "landing", wide)
    await page.goto("/login")
    await expect(page.locator("#login-password")).to_be_visible()
    await fits_phone(page, "login", wide)
    await page.goto("/nowhere")
    await expect(page.get_by_test_id("not-found")).to_be_visible()
    await fits_phone(page, "not-found", wide)

    # Lapor, with the notice that the description is public to people reporting nearby.
    await page.goto("/lapor")
    notice = page.get_by_test_id("description-public")
    await expect(notice).to_contain_text("ditampilkan kepada warga lain")
    await expect(page.get_by_label("Keterangan")).to_have_attribute(
        "aria-describedby", "lapor-description-public"
    )
    await fits_phone(page, "lapor", wide)
    await in_both_languages(page, shot, "shell-lapor-phone", a11y, notice)

    # Lacak: the find form, an open case, then the same case resolved.
    await page.goto("/lacak")
    await expect(page.get_by_role("heading", name="Lacak laporan")).to_be_visible()
    await fits_phone(page, "lacak", wide)
    report = await resolved_public_report(live_server, db)
    await remember_tracking(page, report["reference"], report["tracking_token"])
    await page.goto(f"/lacak/{report['reference']}")
    status = page.get_by_test_id("public-status")
    await expect(status).to_have_attribute("data-status", "selesai")
    await expect(page.get_by_test_id("rating-form")).to_be_visible()
    await fits_phone(page, "lacak resolved", wide)

    # The dispute is confirmed, and the confirmation stays after the case reopens.
    await page.get_by_role("button", name=re.compile("Ajukan keberatan")).click()
    await page.get_by_label("Alasan keberatan").fill("Masih bising setiap malam.")
    await page.get_by_role("button", name="Kirim keberatan").click()
    confirmation = page.get_by_test_id("dispute-confirmation")
    await expect(confirmation).to_contain_text("Keberatan terkirim")
    await expect(status).not_to_have_attribute("data-status", "selesai")
    await expect(confirmation).to_be_visible()
    await fits_phone(page, "lacak open", wide)
    await in_both_languages(page, shot, "shell-lacak-disputed", a11y, confirmation)

    # The citizen screens touched here, at desktop size too.
    desk = await desktop_context.new_page()
    await desk.goto("/lapor")
    await in_both_languages(
        desk, shot, "shell-lapor-desktop", a11y, desk.get_by_test_id("description-public")
    )
    await remember_tracking(desk, report["reference"], report["tracking_token"])
    await desk.goto(f"/lacak/{report['reference']}")
    await in_both_languages(
        desk, shot, "shell-lacak-desktop", a11y, desk.get_by_test_id("public-status")
    )
    await desk.close()

    # The field officer's screens.
    case = await assigned_case(db)
    await sign_in(page, "petugas.dlhk")
    await expect(
        page.locator(f'[data-testid=task][data-reference="{case.reference}"]')
    ).to_be_visible()
    await fits_phone(page, "tasks", wide)
    await page.goto(f"/cases/{case.id}")
    await expect(page.get_by_test_id("case-screen")).to_be_visible()
    await expect(page.locator(".leaflet-control-zoom-in")).to_be_visible()
    await fits_phone(page, "case", wide)
    await page.goto("/outbox")
    await expect(page.get_by_role("heading", name="Antrean kirim")).to_be_visible()
    await fits_phone(page, "outbox", wide)
    assert not wide, dump(wide)
    assert not a11y, dump(a11y)
    await page.close()


# --------------------------------------------------------------------------- field case screen
async def test_case_map_stays_under_the_top_bar_and_toasts_leave_the_photos_visible(
    phone_context: BrowserContext, db: AsyncSession, shot: Shot, desktop_context: BrowserContext
) -> None:
    case = await assigned_case(db)
    page = await phone_context.new_page()
    await sign_in(page, "petugas.dlhk")
    await page.goto(f"/cases/{case.id}")
    zoom = page.locator(".leaflet-control-zoom-in")
    await expect(zoom).to_be_visible()

    # Scroll until the zoom buttons pass under the sticky top bar: the bar stays on top.
    top = await zoom.evaluate("(el) => el.getBoundingClientRect().top + window.scrollY")
    await page.evaluate(f"window.scrollTo(0, {top} - 20)")
    on_top = await page.evaluate(
        """() => {
            const z = document.querySelector('.leaflet-control-zoom-in').getBoundingClientRect();
            const bar = document.querySelector('header.topbar').getBoundingClientRect();
            if (z.top >= bar.bottom) return 'not under the bar';
            const x = z.left + z.width / 2, y = Math.max(z.top, 0) + 2;
            return document.elementFromPoint(x, y)?.closest('header.topbar') ? 'bar' : 'map';
        }"""
    )
    assert on_top == "bar", on_top
    await page.evaluate("window.scrollTo(0, 0)")

    # Accept and arrive online: each shows a toast; the resolve form's photos stay visible.
    await page.locator("[data-action=accept]").click()
    await expect(page.get_by_test_id("case-status")).to_have_text("Diterima")
    await page.locator("[data-action=on_scene]").click()
    await expect(page.get_by_test_id("case-status")).to_have_text("Di lokasi")
    await expect(page.locator(".toast")).to_be_visible()
    await page.locator("[data-action=resolve]").click()
    form = page.get_by_test_id("resolve-form")
    await form.get_by_test_id("photo-input").set_input_files(
        files=[{"name": "foto.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}]
    )
    previews = page.get_by_test_id("photo-previews")
    await expect(previews.locator("img")).to_have_count(1)
    await previews.scroll_into_view_if_needed()
    overlap = await page.evaluate(
        """() => {
            const t = document.querySelector('.toast');
            if (!t) return false;
            const a = t.getBoundingClientRect();
            const b = document.querySelector('[data-testid=photo-previews]')
              .getBoundingClientRect();
            return !(a.right <= b.left || b.right <= a.left
                     || a.bottom <= b.top || b.bottom <= a.top);
        }"""
    )
    assert not overlap, "a toast covers the photo preview"
    await top_shot(page, shot, "shell-resolve-form-phone")
    violations = await axe_serious(page)
    assert not violations, dump(violations)
    await page.close()


# --------------------------------------------------------------------------- coordinator teams
async def test_team_list_shows_loading_and_a_labelled_duty_switch(
    desktop_context: BrowserContext, phone_context: BrowserContext, shot: Shot
) -> None:
    a11y: dict[str, Any] = {}
    held: list[Any] = []  # requests for team members, answered when the test says so

    async def hold(route: Any) -> None:
        held.append(route)

    for ctx, size in ((desktop_context, "desktop"), (phone_context, "phone")):
        page = await ctx.new_page()
        held.clear()
        await page.route("**/api/teams/*/candidates", hold)
        await sign_in(page, "koordinator.dlhk")
        card = page.locator('[data-testid=team-card][data-team="TRC DLHK 1"]')
        await expect(card.get_by_test_id("members-loading")).to_have_text("Memuat anggota…")
        await expect(card.get_by_role("checkbox")).to_have_count(0)
        await shot(page, f"shell-teams-loading-{size}")
        for route in held:
            await route.continue_()
        await page.unroute("**/api/teams/*/candidates")
        await expect(card.get_by_test_id("members-loading")).to_have_count(0)
        await expect(card.get_by_label("Putra Petugas DLHK")).to_be_checked()

        switch = card.get_by_role("switch", name=re.compile("Status tugas TRC DLHK 1"))
        await expect(switch).to_have_attribute("aria-checked", "true")
        await expect(switch).to_contain_text("Bertugas")
        await switch.click()
        await expect(switch).to_have_attribute("aria-checked", "false")
        await expect(switch).to_contain_text("Tidak bertugas")
        await switch.click()
        await expect(switch).to_have_attribute("aria-checked", "true")
        await in_both_languages(page, shot, f"shell-teams-{size}", a11y, card)
        if size == "phone":
            await assert_fits_phone(page, "teams")
        await page.close()
    assert not a11y, dump(a11y)


# --------------------------------------------------------------------------- shared phones
async def test_session_end_forgets_cases_and_photos_and_the_outbox_stays_with_its_user(
    phone_context: BrowserContext, live_server: LiveServer, db: AsyncSession
) -> None:
    case = await assigned_case(db)
    officer = await staff_client(live_server, "petugas.dlhk")
    try:
        r = await officer.post(
            f"/api/cases/{case.id}/photos",
            files={"files": ("pohon.jpg", jpeg(), "image/jpeg")},
            headers={"Idempotency-Key": "shell-photo-0001"},
        )
        assert r.status_code in (200, 201), r.text
    finally:
        await officer.aclose()

    page = await phone_context.new_page()

    async def open_case_with_photo() -> None:
        await sign_in(page, "petugas.dlhk")
        await expect(
            page.locator(f'[data-testid=task][data-reference="{case.reference}"]')
        ).to_be_visible()
        await sw_controls(page)
        await page.goto(f"/cases/{case.id}")
        await expect(page.locator(".photos img").first).to_be_visible()
        await page.wait_for_function(PHOTOS_CACHED)  # the worker kept the photo
        assert await idb(page, "cases", str(case.id)) is not None
        assert await idb(page, "kv", "tasks") is not None

    async def forgotten() -> None:
        await page.wait_for_function(f"async () => !(await caches.has('{PHOTO_CACHE}'))")
        assert await idb(page, "cases") == []
        assert await idb(page, "kv", "tasks") is None

    # (1) Sign-out.
    await open_case_with_photo()
    await page.goto("/tasks")
    await page.get_by_role("button", name="Keluar", exact=True).click()
    await expect(page.get_by_role("heading", name="Masuk")).to_be_visible()
    await forgotten()

    # (2) The server refuses the refresh (the session was revoked elsewhere, e.g. by an admin):
    # the session ends, and so does what it cached.
    await open_case_with_photo()
    session = await idb(page, "kv", "session")
    async with httpx.AsyncClient(base_url=live_server.base_url) as c:
        r = await c.post(
            "/api/auth/logout", headers={"Authorization": f"Bearer {session['access_token']}"}
        )
        assert r.status_code == 204, r.text
    await kv_put(page, "session", {**session, "expires_at": 0})
    await page.goto("/tasks")
    await expect(page.get_by_role("heading", name="Masuk")).to_be_visible()
    await forgotten()

    # (3) An unsent action of officer A is never shown to officer B, and waits for A.
    await sign_in(page, "petugas.dlhk")
    await page.goto(f"/cases/{case.id}")
    await expect(page.locator("[data-action=accept]")).to_be_visible()
    await phone_context.set_offline(True)
    await page.locator("[data-action=accept]").click()
    await expect(page.get_by_test_id("outbox-counter")).to_have_attribute("data-count", "1")
    await page.goto("/tasks")
    await page.get_by_role("button", name="Keluar", exact=True).click()
    await expect(page.get_by_role("heading", name="Masuk")).to_be_visible()
    await expect(page.get_by_test_id("outbox-counter")).to_have_count(0)
    await phone_context.set_offline(False)
    await sign_in(page, "petugas2.dlhk")
    await expect(page.get_by_test_id("tasks-screen")).to_be_visible()
    await expect(page.get_by_test_id("outbox-counter")).to_have_attribute("data-count", "0")
    await page.goto("/outbox")
    await expect(page.get_by_test_id("outbox-item")).to_have_count(0)
    await expect(page.locator("main")).not_to_contain_text(case.reference)
    kept = await idb(page, "outbox")
    assert [i["caseRef"] for i in kept] == [case.reference], dump(kept)
    status = (await db.execute(select(Case.status).where(Case.id == case.id))).scalar_one()
    await db.commit()
    assert status == "dispatched"  # B's session never sent A's action

    # A signs in again: the action is sent.
    await page.goto("/tasks")
    await page.get_by_role("button", name="Keluar", exact=True).click()
    await expect(page.get_by_role("heading", name="Masuk")).to_be_visible()
    await sign_in(page, "petugas.dlhk")
    await expect(page.get_by_test_id("outbox-counter")).to_have_attribute("data-count", "0")
    assert await idb(page, "outbox") == []
    status = (await db.execute(select(Case.status).where(Case.id == case.id))).scalar_one()
    await db.commit()
    assert status == "accepted"
    await page.close()
