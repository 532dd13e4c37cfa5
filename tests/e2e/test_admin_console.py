"""The admin console in Chromium at desktop size (1440x900), in both languages: every action is
checked through the API afterwards, bad input shows a translated error beside its field and
changes nothing, and no other role reaches the console."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Team
from tests.e2e.conftest import (
    PASSWORD,
    LiveServer,
    Shot,
    dump,
    sign_in,
    staff_client,
    switch_language,
)
from tests.e2e.test_shell import DESKTOP, desktop_context, in_both_languages
from tests.factories import category_by_code, make_case

pytestmark = [pytest.mark.e2e]
__all__ = ["desktop_context"]  # the desktop browser context fixture, shared with the shell tests

OTHER_ROLES = ["operator", "dispatcher", "koordinator.dlhk", "supervisor", "petugas.dlhk"]


async def console(page: Page, section: str) -> None:
    """Open a console screen through its navigation link."""
    await page.get_by_test_id("admin-nav").locator(f'a[href="/admin/{section}"]').click()
    await expect(page.get_by_test_id(f"admin-{section}")).to_be_visible()


async def field_error(page: Page, form: str, name: str) -> str:
    err = page.get_by_test_id(f"{form}-{name}-error")
    await expect(err).to_be_visible()
    await expect(page.locator(f"#{form}-{name}")).to_have_attribute("aria-invalid", "true")
    return await err.inner_text()


async def login(server: LiveServer, username: str, password: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.base_url) as c:
        return await c.post("/api/auth/login", json={"username": username, "password": password})


@dataclass
class Console:
    """The admin signed in: the console in a desktop page, and an API client for the checks."""

    page: Page
    api: httpx.AsyncClient


@pytest_asyncio.fixture
async def admin(desktop_context: BrowserContext, live_server: LiveServer) -> AsyncIterator[Console]:
    api = await staff_client(live_server, "admin")
    page = await desktop_context.new_page()
    await sign_in(page, "admin")
    yield Console(page, api)
    await api.aclose()


async def test_users_are_created_deactivated_reactivated_and_reset_from_the_console(
    admin: Console, live_server: LiveServer, shot: Shot
) -> None:
    a11y: dict[str, Any] = {}
    page = admin.page
    await expect(page.get_by_test_id("admin-overview")).to_be_visible()
    await in_both_languages(
        page, shot, "admin-console-overview", a11y, page.get_by_test_id("admin-home")
    )
    await console(page, "users")
    users = page.get_by_test_id("users-table")
    await expect(users.get_by_role("cell", name="Dimas Dispatcher")).to_be_visible()
    await in_both_languages(page, shot, "admin-console-users", a11y, users)
    before = len((await admin.api.get("/api/admin/users")).json())

    # Filters narrow the list here, before the API has them.
    await page.get_by_test_id("user-role").select_option("supervisor")
    await expect(users.locator("tbody tr")).to_have_count(
        len(
            [
                u
                for u in (await admin.api.get("/api/admin/users")).json()
                if u["role"] == "supervisor"
            ]
        )
    )
    await page.get_by_test_id("user-role").select_option("")

    # Bad input: an empty name, then a username already taken; each beside its field, in words.
    form = page.get_by_test_id("user-new")
    await form.get_by_label("Nama pengguna").fill("uji.operator")
    await form.get_by_role("button", name="Buat pengguna").click()
    assert "tidak valid" in await field_error(page, "user-new", "full_name")
    await form.get_by_label("Nama", exact=True).fill("Uji Operator")
    await form.get_by_label("Nama pengguna").fill("operator")
    await form.get_by_role("button", name="Buat pengguna").click()
    assert "sudah ada" in await field_error(page, "user-new", "username")
    await shot(page, "admin-console-users-errors-id")
    assert len((await admin.api.get("/api/admin/users")).json()) == before

    # A user created here signs in with the password shown once.
    await form.get_by_label("Nama pengguna").fill("uji.operator")
    password = await page.locator("#user-new-password").input_value()
    await form.get_by_role("button", name="Buat pengguna").click()
    await expect(page.get_by_test_id("user-created")).to_contain_text(password)
    await expect(users.get_by_role("cell", name="uji.operator")).to_be_visible()
    new_row = users.get_by_role("row").filter(has_text="uji.operator")
    await expect(new_row).to_contain_text("Belum pernah")
    made = [
        u
        for u in (await admin.api.get("/api/admin/users")).json()
        if u["username"] == "uji.operator"
    ]
    assert made and made[0]["role"] == "operator" and made[0]["active"], dump(made)
    r = await login(live_server, "uji.operator", password)
    assert r.status_code == 201 or r.status_code == 200, r.text
    token = {"Authorization": f"Bearer {r.json()['access_token']}"}
    # The list shows when they last signed in.
    await page.reload()
    await expect(new_row).not_to_contain_text("Belum pernah")
    assert (await admin.api.get(f"/api/admin/users/{made[0]['id']}")).json()["last_login_at"]

    # Deactivated: their next request is refused.
    await page.get_by_test_id("user-toggle-uji.operator").click()
    await expect(page.get_by_test_id("user-notice")).to_contain_text("dinonaktifkan")
    async with httpx.AsyncClient(base_url=live_server.base_url) as c:
        assert (await c.get("/api/auth/me", headers=token)).status_code == 401
    assert not (await admin.api.get(f"/api/admin/users/{made[0]['id']}")).json()["active"]

    # Reactivated, then a new password: the old one no longer signs in, the new one does.
    await page.get_by_test_id("user-toggle-uji.operator").click()
    await expect(page.get_by_test_id("user-notice")).to_contain_text("aktif lagi")
    assert (await admin.api.get(f"/api/admin/users/{made[0]['id']}")).json()["active"]
    await page.get_by_test_id("user-reset-uji.operator").click()
    notice = await page.get_by_test_id("user-notice").inner_text()
    fresh = re.search(r": (\S+) —", notice)
    assert fresh, notice
    assert (await login(live_server, "uji.operator", password)).status_code == 401
    assert (await login(live_server, "uji.operator", fresh.group(1))).status_code in (200, 201)
    assert not a11y, dump(a11y)


async def test_no_other_role_reaches_the_console(browser: Browser, live_server: LiveServer) -> None:
    for username in OTHER_ROLES:
        c = await staff_client(live_server, username)
        assert (await c.get("/api/admin/users")).status_code == 403, username
        await c.aclose()
        ctx = await browser.new_context(**DESKTOP, base_url=live_server.base_url)
        page = await ctx.new_page()
        await sign_in(page, username)
        for section in ("users", "keys", "categories"):
            await page.goto(f"/admin/{section}")
            await expect(page).not_to_have_url(re.compile(r"/admin"))
            await expect(page.get_by_test_id("admin-nav")).to_have_count(0)
        await ctx.close()


async def fill(page: Page, form: str, values: dict[str, str]) -> None:
    """Fill a console form's inputs and selects by their API field names."""
    for name, value in values.items():
        el = page.locator(f"#{form}-{name}")
        if await el.evaluate("e => e.tagName") == "SELECT":
            await el.select_option(value)
        else:
            await el.fill(value)


async def submit(page: Page, form: str) -> None:
    await page.get_by_test_id(form).locator("button[type=submit]").click()


async def test_agencies_and_teams_are_made_here_and_a_new_member_sees_the_teams_tasks(
    admin: Console, live_server: LiveServer, db: AsyncSession, shot: Shot
) -> None:
    a11y: dict[str, Any] = {}
    page = admin.page
    agencies = (await admin.api.get("/api/admin/agencies")).json()
    dlhk = next(a for a in agencies if a["code"] == "DLHK")
    await console(page, "agencies")
    table = page.get_by_test_id("agencies-table")
    await expect(table.get_by_role("cell", name="DLHK", exact=True)).to_be_visible()
    await in_both_languages(page, shot, "admin-console-agencies", a11y, table)

    # Bad input: an empty code, then one already taken; nothing is added.
    await fill(page, "agency-new", {"name_id": "Dinas Uji", "name_en": "Test Office"})
    await submit(page, "agency-new")
    await field_error(page, "agency-new", "code")
    await fill(page, "agency-new", {"code": "DLHK"})
    await submit(page, "agency-new")
    assert "sudah ada" in await field_error(page, "agency-new", "code")
    assert len((await admin.api.get("/api/admin/agencies")).json()) == len(agencies)
    await fill(page, "agency-new", {"code": "UJI", "notes": "0401 123456"})
    await submit(page, "agency-new")
    await expect(table.get_by_role("cell", name="UJI", exact=True)).to_be_visible()
    made = [a for a in (await admin.api.get("/api/admin/agencies")).json() if a["code"] == "UJI"]
    assert made and made[0]["name_en"] == "Test Office" and made[0]["notes"] == "0401 123456"
    # Changed here: an emptied English name is refused beside it, then the contact is changed.
    await page.get_by_test_id("agency-edit-UJI").click()
    await fill(page, "agency-edit", {"name_en": ""})
    await submit(page, "agency-edit")
    await field_error(page, "agency-edit", "name_en")
    await fill(page, "agency-edit", {"name_en": "Test Office", "notes": "0401 654321"})
    await submit(page, "agency-edit")
    await expect(table.get_by_role("cell", name="0401 654321")).to_be_visible()
    changed = (await admin.api.get(f"/api/admin/agencies/{made[0]['id']}")).json()
    assert changed["notes"] == "0401 654321" and changed["name_en"] == "Test Office", dump(changed)

    # A team: an empty name is refused beside it; then made, and an officer found and added.
    teams = len((await admin.api.get("/api/admin/teams")).json())
    await fill(page, "team-new", {"agency_id": str(dlhk["id"])})
    await submit(page, "team-new")
    await field_error(page, "team-new", "name")
    assert len((await admin.api.get("/api/admin/teams")).json()) == teams
    await fill(page, "team-new", {"name": "Tim Uji DLHK"})
    await submit(page, "team-new")
    await expect(
        page.get_by_test_id("teams-table").get_by_role("cell", name="Tim Uji DLHK")
    ).to_be_visible()
    team = next(
        x for x in (await admin.api.get("/api/admin/teams")).json() if x["name"] == "Tim Uji DLHK"
    )
    assert team["agency_id"] == dlhk["id"] and team["member_ids"] == []
    officer = await admin.api.post(
        "/api/admin/users",
        json={
            "username": "uji.petugas",
            "full_name": "Uji Petugas Baru",
            "role": "field_officer",
            "agency_id": dlhk["id"],
            "password": PASSWORD,
        },
    )
    assert officer.status_code == 201, officer.text
    await page.reload()
    await page.get_by_test_id("team-members-Tim Uji DLHK").click()
    members = page.get_by_test_id("team-members")
    await members.get_by_label("Cari petugas").fill("uji pet")
    await members.get_by_role("button", name="Tambahkan Uji Petugas Baru").click()
    await expect(members.get_by_role("button", name="Keluarkan Uji Petugas Baru")).to_be_visible()
    await in_both_languages(page, shot, "admin-console-team-members", a11y, members)
    team = (await admin.api.get(f"/api/admin/teams/{team['id']}")).json()
    assert team["member_ids"] == [officer.json()["user"]["id"]], dump(team)

    # The new member sees the team's task.
    row = (await db.execute(select(Team).where(Team.id == team["id"]))).scalar_one()
    case = await make_case(
        db, category=await category_by_code(db, "POHON_TUMBANG"), team=row, status="dispatched"
    )
    await db.commit()
    member = await staff_client(live_server, "uji.petugas")
    mine = (await member.get("/api/cases", params={"mine": "true"})).json()
    assert str(case.id) in dump(mine), dump(mine)
    await member.aclose()
    assert not a11y, dump(a11y)


async def test_a_category_made_here_takes_cases_and_bad_input_changes_nothing(
    admin: Console, live_server: LiveServer, shot: Shot
) -> None:
    a11y: dict[str, Any] = {}
    page = admin.page
    agencies = (await admin.api.get("/api/admin/agencies")).json()
    dlhk = next(a for a in agencies if a["code"] == "DLHK")
    before = len((await admin.api.get("/api/admin/categories")).json())
    await console(page, "categories")
    await expect(page.get_by_test_id("category-new-cases-only")).to_contain_text("kasus baru")
    table = page.get_by_test_id("categories-table")
    await in_both_languages(page, shot, "admin-console-categories", a11y, table)

    # An SLA of zero, an empty name and a code already taken: each said beside its field.
    good = {
        "code": "UJI_SAMPAH",
        "name_id": "Sampah uji",
        "name_en": "Test rubbish",
        "group": "lingkungan",
        "agency_id": str(dlhk["id"]),
        "sla_accept_min": "0",
    }
    await fill(page, "category-new", good)
    await submit(page, "category-new")
    assert "tidak valid" in await field_error(page, "category-new", "sla_accept_min")
    await fill(page, "category-new", {"sla_accept_min": "10", "name_id": ""})
    await submit(page, "category-new")
    await field_error(page, "category-new", "name_id")
    await fill(page, "category-new", {"name_id": "Sampah uji", "code": "POHON_TUMBANG"})
    await submit(page, "category-new")
    assert "sudah ada" in await field_error(page, "category-new", "code")
    await shot(page, "admin-console-categories-errors-id")
    assert len((await admin.api.get("/api/admin/categories")).json()) == before

    # Made, in English this time; then a case is created in it.
    await switch_language(page, "en")
    await fill(page, "category-new", {"code": "UJI_SAMPAH"})
    await page.locator("#category-new-photo_required").check()
    await submit(page, "category-new")
    await expect(page.get_by_test_id("category-notice")).to_contain_text("Test rubbish")
    made = next(
        c
        for c in (await admin.api.get("/api/admin/categories")).json()
        if c["code"] == "UJI_SAMPAH"
    )
    assert (
        made["sla_accept_min"] == 10 and made["photo_required"] and made["agency_id"] == dlhk["id"]
    )
    # An edit with the arrive target below the accept target is refused beside it, in English.
    await page.get_by_test_id("category-edit-UJI_SAMPAH").click()
    await fill(page, "category-edit", {"sla_accept_min": "120", "sla_arrive_min": "60"})
    await submit(page, "category-edit")
    assert "ordered" in await field_error(page, "category-edit", "sla_arrive_min")
    assert (await admin.api.get(f"/api/admin/categories/{made['id']}")).json()[
        "sla_accept_min"
    ] == 10
    await switch_language(page, "id")
    operator = await staff_client(live_server, "operator")
    r = await operator.post(
        "/api/cases",
        json={
            "category_id": made["id"],
            "lat": -3.9712,
            "lon": 122.5168,
            "description": "Sampah menumpuk di tepi jalan.",
            "address": "Jl. Ahmad Yani, Kadia",
            "reporter": {"name": "Penelepon Uji", "phone": "081234567890"},
        },
    )
    assert r.status_code == 201, r.text
    case = (await operator.get(f"/api/cases/{r.json()['id']}")).json()
    assert case["case"]["category"]["id"] == made["id"], dump(case)
    await operator.aclose()
    assert not a11y, dump(a11y)


async def open311_post(server: LiveServer, key: str) -> httpx.Response:
    """A GeoReport v2 POST of a service request, form-encoded, with this key."""
    form = {
        "api_key": key,
        "service_code": "KECELAKAAN_LALU_LINTAS",
        "lat": "-3.9712",
        "long": "122.5168",
        "description": "Tabrakan di depan pasar",
    }
    async with httpx.AsyncClient(base_url=server.base_url) as c:
        return await c.post("/open311/v2/requests.json", data=form)


async def test_an_open311_key_issued_here_works_until_revoked_here(
    admin: Console, live_server: LiveServer, shot: Shot
) -> None:
    a11y: dict[str, Any] = {}
    page = admin.page
    await console(page, "keys")
    # No holder named: said beside the field, and no key is issued.
    await submit(page, "key-new")
    await field_error(page, "key-new", "name")
    assert (await admin.api.get("/api/admin/open311-keys")).json() == []
    await fill(page, "key-new", {"name": "Portal Warga Uji"})
    await submit(page, "key-new")
    notice = page.get_by_test_id("key-issued")
    await expect(notice).to_contain_text("Portal Warga Uji")
    key = re.search(r"(o311_\S+)", await notice.inner_text())
    assert key, await notice.inner_text()
    listed = (await admin.api.get("/api/admin/open311-keys")).json()
    assert [k["name"] for k in listed] == ["Portal Warga Uji"], dump(listed)
    assert (await open311_post(live_server, key.group(1))).status_code == 200
    await page.reload()
    table = page.get_by_test_id("keys-table")
    await in_both_languages(page, shot, "admin-console-keys", a11y, table)
    await page.get_by_test_id("key-revoke-Portal Warga Uji").click()
    await expect(table.get_by_role("cell", name="Dicabut")).to_be_visible()
    assert (await admin.api.get("/api/admin/open311-keys")).json()[0]["revoked_at"]
    assert (await open311_post(live_server, key.group(1))).status_code == 403
    assert not a11y, dump(a11y)


LAT, LON = -3.9712, 122.5168
D = 0.004
SQUARE = {
    "type": "Feature",
    "properties": {"name": "Wilayah Uji"},
    "geometry": {
        "type": "Polygon",
        "coordinates": [
            [
                [LON - D, LAT - D],
                [LON + D, LAT - D],
                [LON + D, LAT + D],
                [LON - D, LAT + D],
                [LON - D, LAT - D],
            ]
        ],
    },
}
BOWTIE = {
    "type": "Polygon",
    "coordinates": [
        [
            [LON - D, LAT - D],
            [LON + D, LAT + D],
            [LON + D, LAT - D],
            [LON - D, LAT + D],
            [LON - D, LAT - D],
        ]
    ],
}


async def upload(page: Page, name: str, content: str) -> None:
    await page.locator("#area-new-boundary").set_input_files(
        {"name": name, "mimeType": "application/geo+json", "buffer": content.encode()}
    )
    # The file is read asynchronously; the submit waits until the input holds it.
    await expect(page.locator("#area-new-boundary")).to_have_js_property("files.length", 1)


async def test_an_area_uploaded_here_places_cases_and_a_rule_made_here_routes_them(
    admin: Console, live_server: LiveServer, shot: Shot
) -> None:
    a11y: dict[str, Any] = {}
    page = admin.page
    agencies = (await admin.api.get("/api/admin/agencies")).json()
    damkar = next(a for a in agencies if a["code"] == "DAMKARMAT")
    tree = next(
        c
        for c in (await admin.api.get("/api/admin/categories")).json()
        if c["code"] == "POHON_TUMBANG"
    )
    areas = len((await admin.api.get("/api/admin/areas")).json())
    await console(page, "areas")
    await expect(page.get_by_test_id("area-map")).to_be_visible()

    # Not GeoJSON, then a polygon that crosses itself: said beside the file, nothing stored.
    await fill(page, "area-new", {"name": "Wilayah Uji"})
    await upload(page, "peta.txt", "bukan peta")
    await submit(page, "area-new")
    assert "GeoJSON" in await field_error(page, "area-new", "boundary")
    await upload(page, "bowtie.geojson", dump(BOWTIE))
    await submit(page, "area-new")
    assert "memotong dirinya sendiri" in await field_error(page, "area-new", "boundary")
    assert len((await admin.api.get("/api/admin/areas")).json()) == areas
    await upload(page, "wilayah-uji.geojson", dump(SQUARE))
    await submit(page, "area-new")
    await expect(
        page.get_by_test_id("areas-table").get_by_role("cell", name="Wilayah Uji", exact=True)
    ).to_be_visible()
    await expect(
        page.locator(".admin-map path.leaflet-interactive[stroke='#a3201b']")
    ).to_have_count(1)
    area = next(
        a for a in (await admin.api.get("/api/admin/areas")).json() if a["name"] == "Wilayah Uji"
    )
    assert area["boundary"]["type"] in ("Polygon", "MultiPolygon"), dump(area)

    # A rule needs an agency or a team: said beside the agency; then in this area, fallen
    # trees go to the fire service.
    await fill(page, "rule-new", {"area_id": str(area["id"]), "category_id": str(tree["id"])})
    await submit(page, "rule-new")
    await field_error(page, "rule-new", "agency_id")
    assert (await admin.api.get("/api/admin/routing-rules")).json() == []
    await fill(page, "rule-new", {"agency_id": str(damkar["id"]), "note": "Uji"})
    await submit(page, "rule-new")
    await expect(
        page.get_by_test_id("rules-table").get_by_role("cell", name="Uji", exact=True)
    ).to_be_visible()
    rules = (await admin.api.get("/api/admin/routing-rules")).json()
    assert [(r["area_id"], r["category_id"], r["agency_id"]) for r in rules] == [
        (area["id"], tree["id"], damkar["id"])
    ], dump(rules)
    await in_both_languages(
        page, shot, "admin-console-areas", a11y, page.get_by_test_id("rules-table")
    )

    # Before any case exists, the preview says where a fallen tree inside the area would go.
    await page.locator(".admin-map path.leaflet-interactive[stroke='#a3201b']").click()
    await page.get_by_test_id("preview-category").select_option(str(tree["id"]))
    await page.get_by_role("button", name="Lihat ke mana kasus dikirim").click()
    answer = page.get_by_test_id("preview-answer")
    await expect(answer).to_contain_text("Wilayah Uji")
    await expect(answer).to_contain_text("menurut aturan wilayah")
    await shot(page, "admin-console-routing-preview-desktop-id")

    # The history shows both changes, who made them and what they hold.
    await console(page, "history")
    history = page.get_by_test_id("audit-table")
    await expect(history.get_by_role("row").filter(has_text="Wilayah Uji").first).to_be_visible()
    await expect(history).to_contain_text("Aturan wilayah")
    # Each changed field is named in words, and a shape is said as such, never as raw JSON.
    await expect(history).to_contain_text("Nama: — → Wilayah Uji")
    await expect(history).to_contain_text("Batas wilayah: — → (bentuk di peta)")
    text = await history.inner_text()
    assert "name:" not in text and "boundary" not in text and '{"' not in text, text
    await in_both_languages(page, shot, "admin-console-history", a11y, history)
    audit = (await admin.api.get("/api/admin/audit", params={"entity": "routing_rule"})).json()
    assert audit["items"][0]["action"] == "create", dump(audit)
    assert audit["items"][0]["before"] is None, dump(audit)
    assert audit["items"][0]["after"]["agency_id"] == damkar["id"], dump(audit)

    # A case inside the area is placed in it and routed by the rule.
    operator = await staff_client(live_server, "operator")
    r = await operator.post(
        "/api/cases",
        json={
            "category_id": tree["id"],
            "lat": LAT,
            "lon": LON,
            "description": "Pohon tumbang menutup jalan.",
            "address": "Jl. Uji, Kadia",
            "reporter": {"name": "Penelepon Uji", "phone": "081234567891"},
        },
    )
    assert r.status_code == 201, r.text
    case = (await operator.get(f"/api/cases/{r.json()['id']}")).json()["case"]
    assert case["area_id"] == area["id"] and case["agency_id"] == damkar["id"], dump(case)
    await operator.aclose()
    assert not a11y, dump(a11y)


# The first elements wider than the page (map internals aside): what makes it scroll sideways.
WIDER = """w => [...document.querySelectorAll('body *')]
  .filter(e => !e.closest('.leaflet-container') && e.getBoundingClientRect().right > w)
  .slice(0, 5).map(e => `${e.tagName}.${e.className} ${e.getBoundingClientRect().right}`)"""
SECTIONS = ["overview", "users", "agencies", "categories", "areas", "keys", "history"]


async def test_every_console_screen_is_reachable_from_its_navigation_and_fits_a_tablet(
    browser: Browser, live_server: LiveServer, shot: Shot
) -> None:
    """Each screen at desktop and tablet (iPad, 820 wide) size, in both languages: its link is
    the current page, axe finds nothing serious, and the page never scrolls sideways."""
    a11y: dict[str, Any] = {}
    wide: dict[str, Any] = {}
    for size, viewport in (
        ("desktop", DESKTOP["viewport"]),
        ("tablet", {"width": 820, "height": 1180}),
    ):
        ctx = await browser.new_context(
            **{**DESKTOP, "viewport": viewport}, base_url=live_server.base_url
        )
        page = await ctx.new_page()
        await sign_in(page, "admin")
        for section in SECTIONS:
            href = "/admin" if section == "overview" else f"/admin/{section}"
            await page.get_by_test_id("admin-nav").locator(f'a[href="{href}"]').click()
            screen = page.get_by_test_id(f"admin-{section}")
            await expect(screen).to_be_visible()
            await expect(page.locator(f'.admin-nav a[href="{href}"]')).to_have_attribute(
                "aria-current", "page"
            )
            await expect(page.locator("p.loading")).to_have_count(0)
            await in_both_languages(page, shot, f"admin-console-{section}-{size}", a11y, screen)
            width = await page.evaluate("document.scrollingElement.scrollWidth")
            if width > viewport["width"]:
                wide[f"{section} {size}"] = await page.evaluate(WIDER, viewport["width"])
        await ctx.close()
    assert not a11y, dump(a11y)
    assert not wide, dump(wide)
