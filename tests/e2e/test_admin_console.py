"""The admin console in Chromium at desktop size (1440x900), in both languages.

- Every flow (users; agencies and teams; categories; Open311 keys; areas and routing rules) runs
  once in Indonesian and once in English (`FLOW_LANGS`), and its result is checked through the
  API afterwards.
- Bad input in every form (empty, a name or code already taken, invalid GeoJSON, an SLA of zero)
  shows the API's message in the screen's language beside the field it concerns, and changes
  nothing (each list read through the API before and after), in both languages.
- Every screen is photographed and checked by axe (nothing serious or critical) in both
  languages, and every text it shows is in the language chosen: no Indonesian on an English
  screen, no English on an Indonesian one, no raw code or catalogue key (`console_words.py`).
- The users list is filtered by the API (role, agency, active, a debounced search), and the
  filters live in the address, so a reload keeps them.
- No other role (nor anyone signed out) reaches any console screen.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, Request, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Team
from tests.e2e.conftest import (
    PASSWORD,
    LiveServer,
    Shot,
    check_axe,
    dump,
    sign_in,
    staff_client,
    switch_language,
)
from tests.e2e.console_words import field_error, said, speaks, word
from tests.e2e.test_shell import DESKTOP, LANDINGS, desktop_context, top_shot
from tests.factories import category_by_code, make_case

pytestmark = [pytest.mark.e2e]
__all__ = ["desktop_context"]  # the desktop browser context fixture, shared with the shell tests

# Every flow runs in both languages: the second language costs about 30 s for the five flows
# when the machine is not shared (53-62 s while five other test runs shared its two cores); see
# docs/admin.md, "Testing". The filters' behaviour runs once.
FLOW_LANGS = ("id", "en")


def in_language(lang: str) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("lang", [lang], indirect=True)


OTHER_ROLES = [(u, path) for u, path, _ in LANDINGS if u != "admin"] + [("petugas.dlhk", "/tasks")]
SECTIONS = ["overview", "users", "agencies", "categories", "areas", "neighbours", "keys", "history"]


@dataclass
class Console:
    """The admin signed in, in one language: the console in a desktop page, an API client for
    the checks, and what the screens must say (`found`: wrong words, axe findings)."""

    page: Page
    api: httpx.AsyncClient
    lang: str
    data: set[str]  # what people typed (usernames, an agency's notes): not the app's words
    found: dict[str, Any]

    def w(self, key: str, /, **params: Any) -> str:
        return word(key, self.lang, **params)

    def said(self, code: str, /, **params: Any) -> str:
        return said(code, self.lang, **params)

    async def list(self, path: str) -> Any:
        r = await self.api.get(path)
        assert r.status_code == 200, r.text
        return r.json()

    async def screen(self, shot: Shot, name: str, ready: Any) -> None:
        """Photograph the screen, run axe on it and check its words, in this language."""
        await expect(ready).to_be_visible()
        await top_shot(self.page, shot, f"admin-console-{name}-{self.lang}")
        await check_axe(self.page, f"{name} {self.lang}", self.found)
        await speaks(self.page, self.lang, name, self.found, self.data)


async def typed(api: httpx.AsyncClient) -> set[str]:
    """Texts people typed that screens show as they are: usernames, agencies' notes."""
    users = (await api.get("/api/admin/users")).json()
    agencies = (await api.get("/api/admin/agencies")).json()
    return {u["username"] for u in users} | {a["notes"] for a in agencies if a["notes"]}


@pytest.fixture(params=FLOW_LANGS)
def lang(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest_asyncio.fixture
async def admin(
    desktop_context: BrowserContext, live_server: LiveServer, lang: str
) -> AsyncIterator[Console]:
    api = await staff_client(live_server, "admin")
    api.headers["Accept-Language"] = lang
    data = await typed(api)
    page = await desktop_context.new_page()
    await sign_in(page, "admin")
    await expect(page.get_by_test_id("admin-overview")).to_be_visible()
    if lang != "id":
        await switch_language(page, lang)
    yield Console(page, api, lang, data, {})
    await api.aclose()


async def console(page: Page, section: str) -> None:
    """Open a console screen through its navigation link."""
    await page.get_by_test_id("admin-nav").locator(f'a[href="/admin/{section}"]').click()
    await expect(page.get_by_test_id(f"admin-{section}")).to_be_visible()


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


async def login(server: LiveServer, username: str, password: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.base_url) as c:
        return await c.post("/api/auth/login", json={"username": username, "password": password})


# ------------------------------------------------------------------------------- users
def users_query(request: Request) -> dict[str, list[str]] | None:
    """The query of a request for the users list, or None for any other request."""
    url = urlsplit(request.url)
    return parse_qs(url.query) if url.path == "/api/admin/users" else None


@in_language("id")
async def test_the_users_list_is_filtered_by_the_api_and_the_address_keeps_the_filters(
    admin: Console, shot: Shot
) -> None:
    page = admin.page
    asked: list[dict[str, list[str]]] = []
    page.on("request", lambda r: asked.append(q) if (q := users_query(r)) is not None else None)
    await console(page, "users")
    rows = page.get_by_test_id("users-table").locator("tbody tr")

    # A role: the API is asked for that role, and the list is its answer.
    supervisors = await admin.list("/api/admin/users?role=supervisor")
    async with page.expect_request(lambda r: users_query(r) == {"role": ["supervisor"]}):
        await page.get_by_test_id("user-role").select_option("supervisor")
    await expect(rows).to_have_count(len(supervisors))
    await expect(page).to_have_url(re.compile(r"/admin/users\?role=supervisor$"))
    # The inactive ones of an agency: both filters go to the API together.
    dlhk = next(a for a in await admin.list("/api/admin/agencies") if a["code"] == "DLHK")
    await page.get_by_test_id("user-role").select_option("")
    await page.get_by_test_id("user-agency_id").select_option(str(dlhk["id"]))
    wanted = {"agency_id": [str(dlhk["id"])], "active": ["true"]}
    async with page.expect_request(lambda r: users_query(r) == wanted):
        await page.get_by_test_id("user-active").select_option("true")
    expected = await admin.list(f"/api/admin/users?agency_id={dlhk['id']}&active=true")
    await expect(rows).to_have_count(len(expected))
    for u in expected:
        await expect(rows.filter(has_text=u["username"])).to_have_count(1)

    # A search, typed: asked once typing pauses, not at every key.
    await page.get_by_test_id("user-agency_id").select_option("")
    await page.get_by_test_id("user-active").select_option("")
    asked.clear()
    async with page.expect_request(lambda r: users_query(r) == {"q": ["dimas"]}):
        await page.locator("#user-q").press_sequentially("dimas", delay=40)
    await expect(rows).to_have_count(len(await admin.list("/api/admin/users?q=dimas")))
    await expect(rows.first).to_contain_text("Dimas Dispatcher")
    searched = [q["q"][0] for q in asked if "q" in q]
    assert searched == ["dimas"], searched  # not "d", "di", ...

    # The address keeps the filters: a reload shows the same list, filters set as they were.
    await page.get_by_test_id("user-role").select_option("dispatcher")
    await expect(page).to_have_url(re.compile(r"\?role=dispatcher&q=dimas$|\?q=dimas&role="))
    await page.reload()
    await expect(page.get_by_test_id("user-role")).to_have_value("dispatcher")
    await expect(page.locator("#user-q")).to_have_value("dimas")
    await expect(rows).to_have_count(1)
    await admin.screen(shot, "users-filtered", rows.first)
    assert not admin.found, dump(admin.found)


async def test_users_are_created_deactivated_reactivated_and_reset_from_the_console(
    admin: Console, live_server: LiveServer, shot: Shot
) -> None:
    page = admin.page
    await admin.screen(shot, "overview", page.get_by_test_id("admin-home"))
    await console(page, "users")
    users = page.get_by_test_id("users-table")
    await expect(users.get_by_role("cell", name="Dimas Dispatcher")).to_be_visible()
    await admin.screen(shot, "users", users)

    # A user created here signs in with the password shown once.
    name = f"uji.{admin.lang}"
    await fill(page, "user-new", {"username": name, "full_name": f"Uji {admin.lang.upper()}"})
    password = await page.locator("#user-new-password").input_value()
    await submit(page, "user-new")
    await expect(page.get_by_test_id("user-created")).to_have_text(
        admin.w("admin.user.created", name=name, password=password)
    )
    new_row = users.get_by_role("row").filter(has_text=name)
    await expect(new_row).to_contain_text(admin.w("admin.user.never_signed_in"))
    made = await admin.list(f"/api/admin/users?q={name}")
    assert [(u["username"], u["role"], u["active"]) for u in made] == [(name, "operator", True)]
    r = await login(live_server, name, password)
    assert r.status_code in (200, 201), r.text
    token = {"Authorization": f"Bearer {r.json()['access_token']}"}
    # The list shows when they last signed in.
    await page.reload()
    await expect(new_row).not_to_contain_text(admin.w("admin.user.never_signed_in"))
    assert (await admin.list(f"/api/admin/users/{made[0]['id']}"))["last_login_at"]

    # Deactivated: their next request is refused.
    notice = page.get_by_test_id("user-notice")
    await page.get_by_test_id(f"user-toggle-{name}").click()
    await expect(notice).to_have_text(admin.w("admin.user.deactivated", name=name))
    async with httpx.AsyncClient(base_url=live_server.base_url) as c:
        assert (await c.get("/api/auth/me", headers=token)).status_code == 401
    assert not (await admin.list(f"/api/admin/users/{made[0]['id']}"))["active"]

    # Reactivated, then a new password: the old one no longer signs in, the new one does.
    await page.get_by_test_id(f"user-toggle-{name}").click()
    await expect(notice).to_have_text(admin.w("admin.user.reactivated", name=name))
    assert (await admin.list(f"/api/admin/users/{made[0]['id']}"))["active"]
    await page.get_by_test_id(f"user-reset-{name}").click()
    await expect(notice).to_contain_text(admin.w("admin.user.reset_done", name=name)[:12])
    fresh = re.search(r": (\S+) —", await notice.inner_text())
    assert fresh, await notice.inner_text()
    await expect(notice).to_have_text(
        admin.w("admin.user.reset_done", name=name, password=fresh.group(1))
    )
    await admin.screen(shot, "users-reset", notice)
    assert (await login(live_server, name, password)).status_code == 401
    assert (await login(live_server, name, fresh.group(1))).status_code in (200, 201)
    assert not admin.found, dump(admin.found)


# ---------------------------------------------------------------- agencies and teams
async def test_agencies_and_teams_are_made_here_and_a_new_member_sees_the_teams_tasks(
    admin: Console, live_server: LiveServer, db: AsyncSession, shot: Shot
) -> None:
    page = admin.page
    code = f"UJI{admin.lang.upper()}"
    dlhk = next(a for a in await admin.list("/api/admin/agencies") if a["code"] == "DLHK")
    await console(page, "agencies")
    table = page.get_by_test_id("agencies-table")
    await expect(table.get_by_role("cell", name="DLHK", exact=True)).to_be_visible()
    await admin.screen(shot, "agencies", table)

    await fill(
        page,
        "agency-new",
        {"code": code, "name_id": "Dinas Uji", "name_en": "Test Office", "notes": "0401 123456"},
    )
    await submit(page, "agency-new")
    await expect(table.get_by_role("cell", name=code, exact=True)).to_be_visible()
    # Named in the screen's language.
    name = "Test Office" if admin.lang == "en" else "Dinas Uji"
    await expect(table.get_by_role("row").filter(has_text=code)).to_contain_text(name)
    made = [a for a in await admin.list("/api/admin/agencies") if a["code"] == code]
    assert made and made[0]["name_en"] == "Test Office" and made[0]["notes"] == "0401 123456"
    # Changed here: an emptied English name is refused beside it, then the contact is changed.
    await page.get_by_test_id(f"agency-edit-{code}").click()
    await fill(page, "agency-edit", {"name_en": ""})
    await submit(page, "agency-edit")
    await field_error(page, "agency-edit", "name_en", admin.said("validation_failed"))
    assert (await admin.list(f"/api/admin/agencies/{made[0]['id']}")) == made[0]
    await fill(page, "agency-edit", {"name_en": "Test Office", "notes": "0401 654321"})
    await submit(page, "agency-edit")
    await expect(table.get_by_role("cell", name="0401 654321")).to_be_visible()
    changed = await admin.list(f"/api/admin/agencies/{made[0]['id']}")
    assert changed["notes"] == "0401 654321" and changed["name_en"] == "Test Office", dump(changed)

    # A team made here, and an officer found and added.
    team_name = f"Tim Uji DLHK {admin.lang}"
    await fill(page, "team-new", {"agency_id": str(dlhk["id"]), "name": team_name})
    await submit(page, "team-new")
    await expect(
        page.get_by_test_id("teams-table").get_by_role("cell", name=team_name)
    ).to_be_visible()
    team = next(x for x in await admin.list("/api/admin/teams") if x["name"] == team_name)
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
    await page.get_by_test_id(f"team-members-{team_name}").click()
    members = page.get_by_test_id("team-members")
    await members.get_by_label(admin.w("admin.team.search")).fill("uji pet")
    await members.get_by_role(
        "button", name=admin.w("admin.team.add", name="Uji Petugas Baru")
    ).click()
    await expect(
        members.get_by_role("button", name=admin.w("admin.team.remove", name="Uji Petugas Baru"))
    ).to_be_visible()
    await admin.screen(shot, "team-members", members)
    team = await admin.list(f"/api/admin/teams/{team['id']}")
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
    assert not admin.found, dump(admin.found)


# ------------------------------------------------------------------------- categories
def new_category(code: str, name_id: str, name_en: str, agency: Any, accept: int) -> dict[str, str]:
    """A new category form's values: its names, an agency and an accept target (minutes)."""
    return {
        "code": code,
        "name_id": name_id,
        "name_en": name_en,
        "group": "lingkungan",
        "agency_id": str(agency["id"]),
        "sla_accept_min": str(accept),
    }


async def test_a_category_made_here_takes_cases(
    admin: Console, live_server: LiveServer, shot: Shot
) -> None:
    page = admin.page
    code = f"UJI_SAMPAH_{admin.lang.upper()}"
    dlhk = next(a for a in await admin.list("/api/admin/agencies") if a["code"] == "DLHK")
    await console(page, "categories")
    await expect(page.get_by_test_id("category-new-cases-only")).to_have_text(
        admin.w("admin.category.new_cases_only")
    )
    await admin.screen(shot, "categories", page.get_by_test_id("categories-table"))

    await fill(page, "category-new", new_category(code, "Sampah uji", "Test rubbish", dlhk, 10))
    await page.locator("#category-new-photo_required").check()
    await submit(page, "category-new")
    name = "Test rubbish" if admin.lang == "en" else "Sampah uji"
    await expect(page.get_by_test_id("category-notice")).to_have_text(
        admin.w("admin.category.saved", name=name)
    )
    made = next(c for c in await admin.list("/api/admin/categories") if c["code"] == code)
    assert (
        made["sla_accept_min"] == 10 and made["photo_required"] and made["agency_id"] == dlhk["id"]
    )
    # An edit with the arrive target below the accept target is refused beside it.
    await page.get_by_test_id(f"category-edit-{code}").click()
    await fill(page, "category-edit", {"sla_accept_min": "120", "sla_arrive_min": "60"})
    await submit(page, "category-edit")
    await field_error(page, "category-edit", "sla_arrive_min", admin.said("sla_order"))
    await admin.screen(shot, "categories-edit-error", page.get_by_test_id("category-edit"))
    assert (await admin.list(f"/api/admin/categories/{made['id']}")) == made
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
    assert not admin.found, dump(admin.found)


# ------------------------------------------------------------------------ Open311 keys
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
    page = admin.page
    holder = f"Portal Warga Uji {admin.lang}"
    await console(page, "keys")
    await fill(page, "key-new", {"name": holder})
    await submit(page, "key-new")
    notice = page.get_by_test_id("key-issued")
    key = re.search(r"(o311_\S+)", await notice.inner_text())
    assert key, await notice.inner_text()
    await expect(notice).to_have_text(admin.w("admin.key.issued", name=holder, key=key.group(1)))
    listed = await admin.list("/api/admin/open311-keys")
    assert [k["name"] for k in listed] == [holder], dump(listed)
    assert (await open311_post(live_server, key.group(1))).status_code == 200
    await page.reload()
    table = page.get_by_test_id("keys-table")
    await admin.screen(shot, "keys", table)
    await page.get_by_test_id(f"key-revoke-{holder}").click()
    await expect(
        table.get_by_role("cell", name=admin.w("admin.key.revoked"), exact=True)
    ).to_be_visible()
    assert (await admin.list("/api/admin/open311-keys"))[0]["revoked_at"]
    assert (await open311_post(live_server, key.group(1))).status_code == 403
    assert not admin.found, dump(admin.found)


# ----------------------------------------------------------------- areas and routing rules
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
    page = admin.page
    damkar = next(a for a in await admin.list("/api/admin/agencies") if a["code"] == "DAMKARMAT")
    categories = await admin.list("/api/admin/categories")
    tree = next(c for c in categories if c["code"] == "POHON_TUMBANG")
    await console(page, "areas")
    await expect(page.get_by_test_id("area-map")).to_be_visible()

    await fill(page, "area-new", {"name": "Wilayah Uji"})
    await upload(page, "wilayah-uji.geojson", dump(SQUARE))
    await submit(page, "area-new")
    await expect(
        page.get_by_test_id("areas-table").get_by_role("cell", name="Wilayah Uji", exact=True)
    ).to_be_visible()
    await expect(
        page.locator(".admin-map path.leaflet-interactive[stroke='#a3201b']")
    ).to_have_count(1)
    area = next(a for a in await admin.list("/api/admin/areas") if a["name"] == "Wilayah Uji")
    assert area["boundary"]["type"] in ("Polygon", "MultiPolygon"), dump(area)

    # In this area, fallen trees go to the fire service.
    await fill(
        page,
        "rule-new",
        {
            "area_id": str(area["id"]),
            "category_id": str(tree["id"]),
            "agency_id": str(damkar["id"]),
            "note": "Uji",
        },
    )
    await submit(page, "rule-new")
    await expect(
        page.get_by_test_id("rules-table").get_by_role("cell", name="Uji", exact=True)
    ).to_be_visible()
    rules = await admin.list("/api/admin/routing-rules")
    assert [(r["area_id"], r["category_id"], r["agency_id"]) for r in rules] == [
        (area["id"], tree["id"], damkar["id"])
    ], dump(rules)
    await admin.screen(shot, "areas", page.get_by_test_id("rules-table"))

    # Before any case exists, the preview says where a fallen tree inside the area would go.
    await page.locator(".admin-map path.leaflet-interactive[stroke='#a3201b']").click()
    await page.get_by_test_id("preview-category").select_option(str(tree["id"]))
    await page.get_by_role("button", name=admin.w("admin.preview.ask")).click()
    answer = page.get_by_test_id("preview-answer")
    damkar_name = damkar["name_en"] if admin.lang == "en" else damkar["name_id"]
    await expect(answer).to_have_text(
        admin.w("admin.preview.rule", where="Wilayah Uji", to=damkar_name)
    )
    await admin.screen(shot, "routing-preview", answer)

    # The history shows both changes, who made them and what they hold, in words.
    await console(page, "history")
    history = page.get_by_test_id("audit-table")
    await expect(history.get_by_role("row").filter(has_text="Wilayah Uji").first).to_be_visible()
    await expect(history).to_contain_text(admin.w("admin.audit.entity.routing_rule"))
    await expect(history).to_contain_text(f"{admin.w('admin.field.name')}: — → Wilayah Uji")
    shape = admin.w("admin.audit.shape")
    await expect(history).to_contain_text(f"{admin.w('admin.field.boundary')}: — → {shape}")
    text = await history.inner_text()
    assert "name:" not in text and "boundary" not in text and '{"' not in text, text
    await admin.screen(shot, "history", history)
    audit = await admin.list("/api/admin/audit?entity=routing_rule")
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
    assert not admin.found, dump(admin.found)


# ---------------------------------------------------------------------------- bad input
async def refused(
    admin: Console, form: str, field: str, expected: str, lists: tuple[str, ...]
) -> None:
    """Submit ``form``: its one error is ``expected``, beside ``field``, and none of the
    ``lists`` read through the API has changed."""
    before = [await admin.list(p) for p in lists]
    await submit(admin.page, form)
    await field_error(admin.page, form, field, expected)
    assert [await admin.list(p) for p in lists] == before, form


async def test_bad_input_in_every_form_is_said_beside_its_field_and_changes_nothing(
    admin: Console, shot: Shot
) -> None:
    page, say = admin.page, admin.said
    invalid = say("validation_failed")
    agencies = await admin.list("/api/admin/agencies")
    dlhk = next(a for a in agencies if a["code"] == "DLHK")
    tree = next(c for c in await admin.list("/api/admin/categories") if c["code"] == "BANJIR")

    # Users: no name; a username already taken.
    await console(page, "users")
    users = ("/api/admin/users",)
    await fill(page, "user-new", {"username": "uji.salah", "full_name": ""})
    await refused(admin, "user-new", "full_name", invalid, users)
    await fill(page, "user-new", {"username": "operator", "full_name": "Uji Salah"})
    await refused(admin, "user-new", "username", say("already_exists", what="user"), users)
    await admin.screen(shot, "users-errors", page.get_by_test_id("user-new"))

    # Agencies: no code; a code already taken. Teams: no name; a name the agency already has.
    await console(page, "agencies")
    await fill(page, "agency-new", {"name_id": "Dinas Salah", "name_en": "Wrong Office"})
    await refused(admin, "agency-new", "code", invalid, ("/api/admin/agencies",))
    await fill(page, "agency-new", {"code": "DLHK"})
    taken = say("already_exists", what="agency")
    await refused(admin, "agency-new", "code", taken, ("/api/admin/agencies",))
    teams = ("/api/admin/teams",)
    await fill(page, "team-new", {"agency_id": str(dlhk["id"]), "name": ""})
    await refused(admin, "team-new", "name", invalid, teams)
    await fill(page, "team-new", {"name": "TRC DLHK 1"})
    await refused(admin, "team-new", "name", say("already_exists", what="team"), teams)
    await admin.screen(shot, "agencies-errors", page.get_by_test_id("team-new"))

    # Categories: an SLA of zero, no name, a code already taken.
    await console(page, "categories")
    categories = ("/api/admin/categories",)
    await fill(page, "category-new", new_category("UJI_SALAH", "Salah uji", "Wrong", dlhk, 0))
    await refused(admin, "category-new", "sla_accept_min", invalid, categories)
    await fill(page, "category-new", {"sla_accept_min": "10", "name_id": ""})
    await refused(admin, "category-new", "name_id", invalid, categories)
    await fill(page, "category-new", {"name_id": "Salah uji", "code": "POHON_TUMBANG"})
    taken = say("already_exists", what="category")
    await refused(admin, "category-new", "code", taken, categories)
    await admin.screen(shot, "categories-errors", page.get_by_test_id("category-new"))

    # Areas: not GeoJSON, a boundary crossing itself, no name, a name already taken.
    await console(page, "areas")
    areas = ("/api/admin/areas",)
    existing = (await admin.list("/api/admin/areas"))[0]["name"]
    await fill(page, "area-new", {"name": "Wilayah Salah"})
    await upload(page, "peta.txt", "bukan peta")
    await refused(admin, "area-new", "boundary", admin.w("admin.area.not_geojson"), areas)
    await upload(page, "bowtie.geojson", dump(BOWTIE))
    crossing = say("area_self_intersecting", where="{where}").split("{where}")[0]
    await submit(page, "area-new")
    await expect(page.get_by_test_id("area-new-boundary-error")).to_contain_text(crossing)
    await refused(
        admin,
        "area-new",
        "boundary",
        await page.get_by_test_id("area-new-boundary-error").inner_text(),
        areas,
    )
    await upload(page, "wilayah-salah.geojson", dump(SQUARE))
    await fill(page, "area-new", {"name": ""})
    await refused(admin, "area-new", "name", invalid, areas)
    await fill(page, "area-new", {"name": existing})
    await refused(admin, "area-new", "name", say("already_exists", what="area"), areas)
    await admin.screen(shot, "areas-errors", page.get_by_test_id("area-new"))

    # Routing rules: neither agency nor team; a second rule for the same area and category.
    rules = ("/api/admin/routing-rules",)
    area_id = (await admin.list("/api/admin/areas"))[0]["id"]
    first = {"area_id": area_id, "category_id": tree["id"], "agency_id": dlhk["id"]}
    assert (await admin.api.post("/api/admin/routing-rules", json=first)).status_code == 201
    await page.reload()
    await fill(page, "rule-new", {"area_id": str(area_id), "category_id": str(tree["id"])})
    await refused(admin, "rule-new", "agency_id", say("routing_rule_empty"), rules)
    await fill(page, "rule-new", {"agency_id": str(dlhk["id"])})
    await refused(admin, "rule-new", "category_id", say("routing_rule_exists"), rules)
    await admin.screen(shot, "rules-errors", page.get_by_test_id("rule-new"))

    # Open311 keys: no holder; the name of a live key.
    assert (
        await admin.api.post("/api/admin/open311-keys", json={"name": "Portal Uji"})
    ).status_code == 201
    await console(page, "keys")
    keys = ("/api/admin/open311-keys",)
    await refused(admin, "key-new", "name", invalid, keys)
    await fill(page, "key-new", {"name": "Portal Uji"})
    await refused(admin, "key-new", "name", say("already_exists", what="open311_key"), keys)
    await admin.screen(shot, "keys-errors", page.get_by_test_id("key-new"))
    assert not admin.found, dump(admin.found)


# ----------------------------------------------------------- every screen, both languages
# The first elements wider than the page (map internals aside): what makes it scroll sideways.
WIDER = """w => [...document.querySelectorAll('body *')]
  .filter(e => !e.closest('.leaflet-container') && e.getBoundingClientRect().right > w)
  .slice(0, 5).map(e => `${e.tagName}.${e.className} ${e.getBoundingClientRect().right}`)"""


async def test_every_console_screen_is_reachable_from_its_navigation_and_fits_a_tablet(
    browser: Browser, live_server: LiveServer, shot: Shot
) -> None:
    """Each screen at desktop and tablet (iPad, 820 wide) size, in both languages: its link is
    the current page, axe finds nothing serious, its words are all in the language chosen, and
    the page never scrolls sideways."""
    found: dict[str, Any] = {}
    wide: dict[str, Any] = {}
    api = await staff_client(live_server, "admin")
    data = await typed(api)
    await api.aclose()
    for size, viewport in (
        ("desktop", DESKTOP["viewport"]),
        ("tablet", {"width": 820, "height": 1180}),
    ):
        ctx = await browser.new_context(
            **{**DESKTOP, "viewport": viewport}, base_url=live_server.base_url
        )
        page = await ctx.new_page()
        await sign_in(page, "admin")
        for lang in ("id", "en"):
            if lang != "id":
                await switch_language(page, lang)
            here = Console(page, api, lang, data, found)
            for section in SECTIONS:
                href = "/admin" if section == "overview" else f"/admin/{section}"
                await page.get_by_test_id("admin-nav").locator(f'a[href="{href}"]').click()
                screen = page.get_by_test_id(f"admin-{section}")
                await expect(page.locator(f'.admin-nav a[href="{href}"]')).to_have_attribute(
                    "aria-current", "page"
                )
                await expect(page.locator("p.loading")).to_have_count(0)
                await here.screen(shot, f"{section}-{size}", screen)
                width = await page.evaluate("document.scrollingElement.scrollWidth")
                if width > viewport["width"]:
                    wide[f"{section} {size} {lang}"] = await page.evaluate(WIDER, viewport["width"])
        await ctx.close()
    assert not found, dump(found)
    assert not wide, dump(wide)


# ------------------------------------------------------------------------- other roles
async def test_no_other_role_reaches_any_console_screen(
    browser: Browser, live_server: LiveServer
) -> None:
    """Every other role opening any console address is sent to its own screen, with no console
    navigation shown, and refused by the console's API; signed out, to the sign-in page."""
    addresses = ["/admin"] + [f"/admin/{s}" for s in SECTIONS if s != "overview"]
    ctx = await browser.new_context(**DESKTOP, base_url=live_server.base_url)
    page = await ctx.new_page()
    for address in addresses:
        await page.goto(address)
        await expect(page).to_have_url(re.compile(r"/login$"))
        await expect(page.get_by_test_id("admin-nav")).to_have_count(0)
    await ctx.close()
    for username, landing in OTHER_ROLES:
        c = await staff_client(live_server, username)
        assert (await c.get("/api/admin/users")).status_code == 403, username
        assert (await c.get("/api/admin/audit")).status_code == 403, username
        await c.aclose()
        ctx = await browser.new_context(**DESKTOP, base_url=live_server.base_url)
        page = await ctx.new_page()
        await sign_in(page, username)
        await expect(page).to_have_url(re.compile(f"{re.escape(landing)}$"))
        for address in addresses:
            await page.goto(address)
            await expect(page).to_have_url(re.compile(f"{re.escape(landing)}$"))
            await expect(page.get_by_test_id("admin-nav")).to_have_count(0)
        await ctx.close()
