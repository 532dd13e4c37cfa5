"""The console's catalogue additions in Chromium at desktop size (1440x900): an Open311 key's
own request limit (in Indonesian), a category's extra questions (in English) and a team's last
position on a small map. Every action is checked through the API afterwards; each screen touched
is screenshotted and checked by axe in both languages."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from api.domain.questions import KEY_LIMIT_MAX
from tests.e2e.conftest import LiveServer, Shot, dump, staff_client, switch_language
from tests.e2e.test_admin_console import (
    Console,
    admin,
    console,
    desktop_context,
    field_error,
    fill,
    open311_post,
    submit,
)
from tests.e2e.test_shell import in_both_languages

pytestmark = [pytest.mark.e2e]
__all__ = ["admin", "desktop_context"]  # the console's fixtures, shared with its own tests

KEYS = "/api/admin/open311-keys"


@pytest.fixture
def lang() -> str:
    """The console opens in Indonesian here; each test switches language itself where it says."""
    return "id"


async def in_both_from_english(
    page: Page, shot: Shot, name: str, a11y: dict[str, Any], ready: Any
) -> None:
    """:func:`in_both_languages` from a page in English, left in English."""
    await switch_language(page, "id")
    await in_both_languages(page, shot, name, a11y, ready)
    await switch_language(page, "en")


ENGLISH = {
    "Apakah pohon menutup jalan?": "Does the tree block the road?",
    "Berapa pohon?": "How many trees?",
}


async def ask(page: Page, form: str, i: int, code: str, datatype: str, words: str) -> None:
    """Add question ``i`` to the category form: its code, answer type and words (English from
    :data:`ENGLISH`)."""
    await page.get_by_test_id(f"{form}-question-add").click()
    at = f"attributes-{i}"
    await fill(page, form, {f"{at}-code": code, f"{at}-datatype": datatype})
    await fill(page, form, {f"{at}-description_id": words, f"{at}-description_en": ENGLISH[words]})


async def error_beside(page: Page, form: str, name: str) -> str:
    """The error said beside field ``name`` (one of several faults of the form)."""
    err = page.get_by_test_id(f"{form}-{name}-error")
    await expect(err).to_be_visible()
    return await err.inner_text()


async def _keys(api: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    return {k["name"]: k for k in (await api.get(KEYS)).json()}


async def test_a_keys_request_limit_is_set_when_issued_and_changed_here(
    admin: Console, live_server: LiveServer, shot: Shot
) -> None:
    page, a11y = admin.page, dict[str, Any]()
    await console(page, "keys")
    # A limit of zero: said beside the field, in Indonesian, and no key is issued.
    await fill(page, "key-new", {"name": "Portal Uji", "requests_limit": "0"})
    await submit(page, "key-new")
    limit_refused = admin.said("open311_key_limit_invalid", max=KEY_LIMIT_MAX)
    assert "1 sampai 100000" in limit_refused
    await field_error(page, "key-new", "requests_limit", limit_refused)
    assert await _keys(admin.api) == {}

    await fill(page, "key-new", {"requests_limit": "2"})
    await submit(page, "key-new")
    await expect(page.get_by_test_id("key-issued")).to_contain_text("Portal Uji")
    raw = (await page.get_by_test_id("key-issued").inner_text()).split(": ", 1)[1].split(" ")[0]
    assert (await _keys(admin.api))["Portal Uji"]["requests_limit"] == 2
    # Another key keeps the city default, and the list says so.
    await fill(page, "key-new", {"name": "Portal Lain"})
    await submit(page, "key-new")
    # Issued once the screen says so, not when the click returns.
    await expect(page.get_by_test_id("key-issued")).to_contain_text("Portal Lain")
    table = page.get_by_test_id("keys-table")
    default = (await _keys(admin.api))["Portal Lain"]
    assert default["requests_limit"] is None
    lain = table.get_by_role("row").filter(has_text="Portal Lain")
    await expect(lain).to_contain_text(f"bawaan ({default['limit']})")
    await expect(table.get_by_role("row").filter(has_text="Portal Uji")).to_contain_text("2")

    assert (await open311_post(live_server, raw)).status_code == 200
    assert (await open311_post(live_server, raw)).status_code == 200
    assert (await open311_post(live_server, raw)).status_code == 429

    # Changed here: a negative limit is refused beside the field, then 3 is saved.
    await page.get_by_test_id("key-limit-Portal Uji").click()
    await fill(page, "key-limit", {"requests_limit": "-5"})
    await submit(page, "key-limit")
    await field_error(page, "key-limit", "requests_limit", limit_refused)
    assert (await _keys(admin.api))["Portal Uji"]["requests_limit"] == 2
    await in_both_languages(page, shot, "admin-catalogue-key-limit", a11y, table)
    await fill(page, "key-limit", {"requests_limit": "3"})
    await submit(page, "key-limit")
    await expect(page.get_by_test_id("key-issued")).to_contain_text("Batas Portal Uji disimpan")
    mine = (await _keys(admin.api))["Portal Uji"]
    assert mine["requests_limit"] == 3, dump(mine)
    assert (await open311_post(live_server, raw)).status_code == 200
    assert (await open311_post(live_server, raw)).status_code == 429
    audit = (await admin.api.get("/api/admin/audit", params={"entity": "open311_key"})).json()
    changed = [e for e in audit["items"] if e["action"] == "update"]
    assert [(e["before"]["requests_limit"], e["after"]["requests_limit"]) for e in changed] == [
        (2, 3)
    ], dump(audit)
    await in_both_languages(page, shot, "admin-catalogue-keys", a11y, table)
    assert not a11y, dump(a11y)


async def test_a_categorys_extra_questions_are_edited_here_and_open311_asks_them(
    admin: Console, live_server: LiveServer, shot: Shot
) -> None:
    page, a11y = admin.page, dict[str, Any]()
    await switch_language(page, "en")
    await console(page, "categories")
    await expect(page.get_by_test_id("category-new-cases-only")).to_be_visible()
    await page.get_by_test_id("category-edit-POHON_TUMBANG").click()
    form = "category-edit"
    editor = page.get_by_test_id(f"{form}-questions")
    await ask(page, form, 0, "Blocks Road", "singlevaluelist", "Apakah pohon menutup jalan?")
    await page.locator(f"#{form}-attributes-0-required").check()
    await editor.get_by_role("button", name="Add an answer to question 1").click()
    await editor.get_by_role("button", name="Add an answer to question 1").click()
    await fill(
        page,
        form,
        {
            "attributes-0-values-0-key": "yes",
            "attributes-0-values-0-name_id": "Ya",
            "attributes-0-values-0-name_en": "Yes",
            "attributes-0-values-1-key": "no",
            "attributes-0-values-1-name_id": "Tidak",
        },
    )
    # Bad input: a code with capitals and a space, an answer without its English name; each
    # said beside its input, in English, and nothing changes.
    await submit(page, form)
    assert "lowercase" in await error_beside(page, form, "attributes-0-code")
    assert "English" in await error_beside(page, form, "attributes-0-values-1-name_en")
    tree = await _category(admin.api, "POHON_TUMBANG")
    assert tree["attributes"] == [], dump(tree)
    await in_both_from_english(page, shot, "admin-catalogue-questions-errors", a11y, editor)

    await fill(
        page, form, {"attributes-0-code": "blocks_road", "attributes-0-values-1-name_en": "No"}
    )
    # A second question, moved above the first.
    await ask(page, form, 1, "trees", "number", "Berapa pohon?")
    await editor.get_by_role("button", name="Move question 2 up").click()
    await expect(page.locator(f"#{form}-attributes-0-code")).to_have_value("trees")
    await in_both_from_english(page, shot, "admin-catalogue-questions", a11y, editor)
    await submit(page, form)
    await expect(page.get_by_test_id("category-notice")).to_be_visible()
    tree = await _category(admin.api, "POHON_TUMBANG")
    assert [(q["code"], q["datatype"]) for q in tree["attributes"]] == [
        ("trees", "number"),
        ("blocks_road", "singlevaluelist"),
    ], dump(tree)
    assert tree["attributes"][1]["required"] is True
    assert tree["attributes"][1]["values"][1] == {"key": "no", "name_id": "Tidak", "name_en": "No"}

    # Open311 asks them, in the caller's language.
    async with httpx.AsyncClient(base_url=live_server.base_url) as c:
        r = await c.get(
            "/open311/v2/services/POHON_TUMBANG.json", headers={"Accept-Language": "en"}
        )
    asked = r.json()["attributes"]
    assert [(a["code"], a["order"], a["description"]) for a in asked] == [
        ("trees", 1, "How many trees?"),
        ("blocks_road", 2, "Does the tree block the road?"),
    ], dump(asked)
    assert [v["name"] for v in asked[1]["values"]] == ["Yes", "No"]
    assert not a11y, dump(a11y)


async def _category(api: httpx.AsyncClient, code: str) -> dict[str, Any]:
    found: dict[str, Any] = next(
        c for c in (await api.get("/api/admin/categories")).json() if c["code"] == code
    )
    return found


async def test_a_teams_last_position_is_shown_on_a_small_map(
    admin: Console, live_server: LiveServer, shot: Shot
) -> None:
    page, a11y = admin.page, dict[str, Any]()
    teams = {x["name"]: x for x in (await admin.api.get("/api/admin/teams")).json()}
    moving, still = teams["TRC DLHK 1"], teams["TRC DLHK 2"]
    officer = await staff_client(live_server, "petugas.dlhk")
    ping = {"lat": -3.9712, "lon": 122.5168, "accuracy_m": 10}
    r = await officer.post(f"/api/teams/{moving['id']}/positions", json=ping)
    assert r.status_code == 202, r.text
    await officer.aclose()
    where = next(
        x for x in (await admin.api.get("/api/admin/teams")).json() if x["id"] == moving["id"]
    )["last_position"]
    assert where and abs(where["lat"] - ping["lat"]) < 1e-6, dump(where)

    await console(page, "agencies")
    # A team without a position: a plain sentence, no map.
    await page.get_by_test_id(f"team-members-{still['name']}").click()
    await expect(page.get_by_test_id("team-position-none")).to_be_visible()
    await expect(page.get_by_test_id("team-position-map")).to_have_count(0)
    await page.get_by_test_id(f"team-members-{moving['name']}").click()
    await expect(page.get_by_test_id("team-position-at")).to_contain_text("lalu")
    shown = page.get_by_test_id("team-position-map")
    await expect(shown.locator(".leaflet-interactive")).to_have_count(1)
    await in_both_languages(page, shot, "admin-catalogue-team-position", a11y, shown)
    await switch_language(page, "en")
    await expect(page.get_by_test_id("team-position-at")).to_contain_text("ago")
    assert not a11y, dump(a11y)
