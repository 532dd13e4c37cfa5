"""Words, not codes, and a dispatch map a dispatcher can read, end to end (Chromium, real API).

- No category code (all of them, read from the database) and no status code appears on the
  dispatch, coordinator and supervisor screens, in Indonesian or English.
- The dispatch map has a legend; team labels carry whole names and overlap nothing; an off-duty
  team is absent from the map.
- Switching language renames a list already on screen (the dispatch list, a field officer's task
  cards) without a reload.
- A supervisor opens a ticket from the dashboard's list and reads its timeline.
axe finds nothing serious or critical in either language; screenshots go to test-artifacts/e2e/.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Category, Team
from tests.e2e.conftest import LiveServer, dump, phone, sign_in
from tests.e2e.test_control_room import check_axe as axe
from tests.e2e.test_control_room import token
from tests.factories import category_by_code, make_case

pytestmark = [pytest.mark.e2e]

DESKTOP = {
    "viewport": {"width": 1440, "height": 900},
    "locale": "id-ID",
    "timezone_id": "Asia/Makassar",
}
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
STATUS_CODES = [
    "new", "dispatched", "accepted", "en_route", "on_scene", "resolved", "closed", "returned",
    "duplicate", "invalid", "cancelled", "reopened", "pending_sync",
]  # fmt: skip
TO_ENGLISH = "Ganti bahasa ke English"


class Codes:
    """Every category code, and every catalogue name (id and en)."""

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        self.codes = [r[0] for r in rows]
        # Longest first: a name's own abbreviation ("... (ODGJ)") is part of the name, not a code.
        self.names = sorted({n for r in rows for n in r[1:]}, key=len, reverse=True)


async def category_codes(db: AsyncSession) -> Codes:
    rows = (await db.execute(select(Category.code, Category.name_id, Category.name_en))).all()
    assert len(rows) >= 38
    return Codes([tuple(r) for r in rows])


async def no_codes(page: Page, codes: Codes, lang: str, screen: str) -> None:
    """The page's visible text holds no category code and no status code.

    Catalogue names are taken out first: some carry their common abbreviation ("Orang dengan
    gangguan jiwa (ODGJ) terlantar"), which is the name people use, not a code shown instead of
    it. In English, one-word status codes ("new", "closed") are ordinary words of the interface, so
    only the codes that are not English words (with an underscore) are looked for there.
    """
    text = await page.locator("body").inner_text()
    for name in codes.names:
        text = text.replace(name, " ")
    found = [c for c in codes.codes if re.search(rf"\b{re.escape(c)}\b", text)]
    statuses = STATUS_CODES if lang == "id" else [s for s in STATUS_CODES if "_" in s]
    found += [s for s in statuses if re.search(rf"\b{re.escape(s)}\b", text)]
    assert found == [], f"{screen} ({lang}) shows codes {found}"


async def save(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


BOXES = """() => {
  const box = (el) => { const r = el.getBoundingClientRect();
    return {x: r.left, y: r.top, w: r.width, h: r.height}; };
  return {
    labels: [...document.querySelectorAll('.team-label')].map((el) => ({
      text: el.dataset.teamLabel, ...box(el),
      cut: [el, ...el.children].some((n) => n.scrollWidth > n.clientWidth + 1
        || n.scrollHeight > n.clientHeight + 1)})),
    map: box(document.querySelector('[data-testid="dispatch-map"]')),
    marks: [...document.querySelectorAll('.leaflet-marker-pane .case-marker, '
      + '.leaflet-marker-pane .case-cluster, .leaflet-marker-pane .team-marker')].map(box),
  };
}"""


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["w"] - 0.5
        and b["x"] < a["x"] + a["w"] - 0.5
        and a["y"] < b["y"] + b["h"] - 0.5
        and b["y"] < a["y"] + a["h"] - 0.5
    )


async def test_dispatch_map_speaks_words_has_a_legend_and_shows_on_duty_teams_only(
    browser: Browser, live_server: LiveServer, db: AsyncSession
) -> None:
    a11y: dict[str, Any] = {}
    codes = await category_codes(db)
    async with httpx.AsyncClient(base_url=live_server.base_url) as c:
        lat, lon = (await c.get("/api/config")).json()["city"]["center"]
    named = {}
    for i, code in enumerate(["KECELAKAAN_LALU_LINTAS", "GAWAT_DARURAT_MEDIS", "KDRT"]):
        category = await category_by_code(db, code)
        case = await make_case(db, category=category, lat=lat + 0.004 * i, lon=lon - 0.003 * i)
        named[case.reference] = (category.name_id, category.name_en)
    # An overdue case: its badge sits beside the row's text, never over it.
    late = await make_case(
        db,
        category=await category_by_code(db, "KEBAKARAN_BANGUNAN"),
        lat=lat + 0.002,
        lon=lon + 0.004,
        created_at=datetime.now(UTC) - timedelta(minutes=30),
    )
    # Two on-duty teams side by side (their labels would collide) and an off-duty team nearby.
    teams = {t.name: t for t in (await db.execute(select(Team))).scalars()}
    off = teams["Regu Damkar Kota Lama"]
    assert not off.on_duty
    for name, (plat, plon) in {
        "Regu Damkar Mandonga": (lat - 0.002, lon + 0.002),
        "Regu Damkar Poasia": (lat - 0.0021, lon + 0.0022),
        "Tim Lalu Lintas Dishub": (lat + 0.001, lon + 0.001),
        "Regu Damkar Kota Lama": (lat - 0.003, lon - 0.003),
    }.items():
        t = teams[name]
        t.last_position = f"SRID=4326;POINT({plon} {plat})"
        t.last_accuracy_m = 10.0
        t.last_position_at = datetime.now(UTC)
    await db.commit()

    ctx = await browser.new_context(**DESKTOP, base_url=live_server.base_url)
    ctx.set_default_timeout(15_000)
    page = await ctx.new_page()
    await sign_in(page, "dispatcher")
    await page.goto("/dispatch")
    await expect(page.get_by_test_id("live-status")).to_have_attribute("data-connected", "1")
    for ref, (name_id, _) in named.items():
        await expect(page.locator(f'.case-row[data-reference="{ref}"]')).to_contain_text(name_id)
    await expect(page.get_by_test_id("team-fix")).to_have_count(3)

    # The off-duty team is nowhere: no marker, no label, not in the team list.
    await expect(page.locator(f'.team-marker[data-team*="{off.name}"]')).to_have_count(0)
    await expect(page.locator(f'[data-team-label*="{off.name}"]')).to_have_count(0)
    await expect(page.locator(f'[data-testid="team-fix"][data-team="{off.name}"]')).to_have_count(0)

    # A legend names every marker kind; markers carry their priority and a status symbol.
    legend = page.get_by_test_id("map-legend")
    await expect(legend).to_contain_text("Keterangan peta")
    await expect(legend).to_contain_text("Tim yang bertugas")
    await expect(legend).to_contain_text("lewat batas waktu")
    first_marker = page.locator(".leaflet-marker-pane .case-marker .cm-prio").first
    await expect(first_marker).to_have_text("P1")

    # Team labels: whole names, none overlapping another label or any marker.
    await expect(page.locator(".team-label")).not_to_have_count(0)
    boxes = await page.evaluate(BOXES)
    on_duty_names = {"Regu Damkar Mandonga", "Regu Damkar Poasia", "Tim Lalu Lintas Dishub"}
    shown = set()
    for label in boxes["labels"]:
        assert not label["cut"], f"label cut: {label['text']}"
        m = boxes["map"]
        inside = m["x"] <= label["x"] and label["x"] + label["w"] <= m["x"] + m["w"]
        assert inside and m["y"] <= label["y"] and label["y"] + label["h"] <= m["y"] + m["h"]
        shown.update(label["text"].split(", "))
        for mark in boxes["marks"]:
            assert not overlap(label, mark), f"{label['text']} covers a marker"
    assert shown == on_duty_names
    for i, a in enumerate(boxes["labels"]):
        for b in boxes["labels"][i + 1 :]:
            assert not overlap(a, b), f"{a['text']} overlaps {b['text']}"

    late_row = page.locator(f'.case-row[data-reference="{late.reference}"]')
    badge = await late_row.locator(".badge.overdue").bounding_box()
    words = await late_row.locator(".case-row-text").bounding_box()
    prio = await late_row.locator(".badge.prio").bounding_box()
    assert badge and words and prio
    assert not overlap(badge | {"w": badge["width"], "h": badge["height"]},
                       words | {"w": words["width"], "h": words["height"]})  # fmt: skip
    assert not overlap(prio | {"w": prio["width"], "h": prio["height"]},
                       words | {"w": words["width"], "h": words["height"]})  # fmt: skip

    await no_codes(page, codes, "id", "dispatch")
    await save(page, "words-dispatch-map-id")
    await axe(page, "dispatch (id)", a11y)

    # Switching language renames the list already on screen, with no reload.
    marker = await page.evaluate("window.__words_marker = 1")
    await page.get_by_role("button", name=TO_ENGLISH).click()
    for ref, (_, name_en) in named.items():
        await expect(page.locator(f'.case-row[data-reference="{ref}"]')).to_contain_text(name_en)
    assert await page.evaluate("window.__words_marker") == 1, marker  # the same page, no reload
    await expect(page.get_by_test_id("map-legend")).to_contain_text("Map key")
    await no_codes(page, codes, "en", "dispatch")
    await save(page, "words-dispatch-map-en")
    await axe(page, "dispatch (en)", a11y)

    # A team going off duty leaves the open map at once (the live stream's duty event).
    async with httpx.AsyncClient(base_url=live_server.base_url) as c:
        r = await c.put(
            f"/api/teams/{teams['Regu Damkar Poasia'].id}/duty",
            json={"on_duty": False},
            headers=await token(c, "dispatcher"),
        )
        assert r.status_code == 200, r.text
    await expect(page.get_by_test_id("team-fix")).to_have_count(2)
    await expect(page.locator('[data-team-label*="Regu Damkar Poasia"]')).to_have_count(0)
    await expect(page.locator('.team-marker[data-team*="Regu Damkar Poasia"]')).to_have_count(0)

    # The drawer: names, and a timeline in words.
    ref = next(iter(named))
    await page.locator(f'.case-row[data-reference="{ref}"]').click()
    await expect(page.get_by_test_id("case-drawer")).to_contain_text(named[ref][1])
    await no_codes(page, codes, "en", "dispatch drawer")
    await save(page, "words-dispatch-drawer-en")
    await axe(page, "dispatch drawer (en)", a11y)
    await ctx.close()
    assert a11y == {}, dump(a11y)


async def test_coordinator_screens_show_names_not_codes_in_both_languages(
    browser: Browser, playwright_instance: Any, live_server: LiveServer, db: AsyncSession
) -> None:
    a11y: dict[str, Any] = {}
    codes = await category_codes(db)
    tree = await category_by_code(db, "POHON_TUMBANG")
    ours = await make_case(db, category=tree)
    await db.commit()
    ctx = await browser.new_context(**DESKTOP, base_url=live_server.base_url)
    ctx.set_default_timeout(15_000)
    page = await ctx.new_page()
    await sign_in(page, "koordinator.dlhk")
    for lang in ("id", "en"):
        await page.goto("/dispatch")
        row = page.locator(f'.case-row[data-reference="{ours.reference}"]')
        await expect(row).to_contain_text(tree.name_id if lang == "id" else tree.name_en)
        await no_codes(page, codes, lang, "coordinator dispatch")
        await axe(page, f"coordinator dispatch ({lang})", a11y)
        await save(page, f"words-coordinator-dispatch-{lang}")
        await page.goto("/teams")
        await expect(page.get_by_test_id("team-card").first).to_be_visible()
        await no_codes(page, codes, lang, "coordinator teams")
        await axe(page, f"coordinator teams ({lang})", a11y)
        await save(page, f"words-coordinator-teams-{lang}")
        if lang == "id":
            await page.get_by_role("button", name=TO_ENGLISH).click()
    await ctx.close()

    # Coordinators manage duty from a phone too.
    ctx = await browser.new_context(**phone(playwright_instance), base_url=live_server.base_url)
    ctx.set_default_timeout(15_000)
    page = await ctx.new_page()
    await sign_in(page, "koordinator.dlhk")
    await page.goto("/teams")
    await expect(page.get_by_test_id("team-card").first).to_be_visible()
    await no_codes(page, codes, "id", "coordinator teams (phone)")
    await axe(page, "coordinator teams (id, phone)", a11y)
    await save(page, "words-coordinator-teams-id-phone")
    await ctx.close()
    assert a11y == {}, dump(a11y)


async def test_supervisor_opens_a_ticket_from_the_list_and_reads_its_timeline(
    browser: Browser, playwright_instance: Any, live_server: LiveServer, db: AsyncSession
) -> None:
    a11y: dict[str, Any] = {}
    codes = await category_codes(db)
    medical = await category_by_code(db, "GAWAT_DARURAT_MEDIS")
    await db.commit()
    async with httpx.AsyncClient(base_url=live_server.base_url) as c:
        op = await token(c, "operator")
        r = await c.post(
            "/api/cases",
            json={
                "category_id": medical.id,
                "lat": -3.97,
                "lon": 122.51,
                "description": "Warga pingsan di depan pasar",
            },
            headers=op,
        )
        assert r.status_code == 201, r.text
        case = r.json()
        team = (await db.execute(select(Team).where(Team.name == "PSC 119 Ambulans"))).scalar_one()
        r = await c.post(
            f"/api/cases/{case['id']}/assign",
            json={"team_id": team.id, "version": case["version"]},
            headers=op,
        )
        assert r.status_code == 200, r.text

    for size, ctx_args in (
        ("desktop", {**DESKTOP}),
        ("phone", phone(playwright_instance)),
    ):
        ctx = await browser.new_context(**ctx_args, base_url=live_server.base_url)
        ctx.set_default_timeout(15_000)
        page = await ctx.new_page()
        await sign_in(page, "supervisor")
        await page.goto("/dashboard/cases?status=new,dispatched")
        row = page.locator(f'[data-testid="case-row"][data-reference="{case["reference"]}"]')
        await expect(row).to_contain_text(medical.name_id)
        await no_codes(page, codes, "id", "ticket list")
        # Text columns read from the left.
        align = await row.locator("td").first.evaluate("el => getComputedStyle(el).textAlign")
        assert align in {"left", "start"}
        await save(page, f"words-ticket-list-id-{size}")
        await axe(page, f"ticket list (id, {size})", a11y)

        await row.get_by_role("link", name=case["reference"]).click()
        view = page.get_by_test_id("ticket-view")
        await expect(view.get_by_role("heading", level=1)).to_have_text(
            f"Tiket {case['reference']}"
        )
        timeline = view.get_by_test_id("case-timeline")
        await expect(timeline.locator("li")).to_have_count(2)
        await expect(timeline).to_contain_text("Laporan dibuat")
        await expect(timeline).to_contain_text("Ditugaskan")
        await expect(view).to_contain_text(medical.name_id)
        await expect(view.get_by_role("button")).to_have_count(0)  # read-only
        await no_codes(page, codes, "id", "ticket")
        await save(page, f"words-ticket-id-{size}")
        await axe(page, f"ticket (id, {size})", a11y)

        await page.get_by_role("button", name=TO_ENGLISH).click()
        await expect(view.get_by_role("heading", level=1)).to_have_text(
            f"Ticket {case['reference']}"
        )
        await expect(timeline).to_contain_text("Report created")
        await expect(timeline).to_contain_text("Assigned")
        await expect(view).to_contain_text(medical.name_en)
        await no_codes(page, codes, "en", "ticket")
        await save(page, f"words-ticket-en-{size}")
        await axe(page, f"ticket (en, {size})", a11y)
        await page.get_by_role("link", name="Back to the ticket list").click()
        await expect(row).to_contain_text(medical.name_en)
        await no_codes(page, codes, "en", "ticket list")
        await axe(page, f"ticket list (en, {size})", a11y)
        await page.goto("/dashboard")
        await expect(page.get_by_test_id("filter-category")).to_be_visible()
        await no_codes(page, codes, "en", "dashboard")
        await page.get_by_role("button", name="Switch the language to Bahasa Indonesia").click()
        await expect(page.get_by_test_id("filter-category")).to_contain_text(medical.name_id)
        await no_codes(page, codes, "id", "dashboard")
        await ctx.close()
    assert a11y == {}, dump(a11y)


async def test_task_cards_are_renamed_when_the_language_changes(
    browser: Browser, playwright_instance: Any, live_server: LiveServer, db: AsyncSession
) -> None:
    tree = await category_by_code(db, "POHON_TUMBANG")
    team = (await db.execute(select(Team).where(Team.name == "TRC DLHK 1"))).scalar_one()
    task = await make_case(db, category=tree, status="dispatched", team=team)
    await db.commit()
    ctx = await browser.new_context(**phone(playwright_instance), base_url=live_server.base_url)
    ctx.set_default_timeout(15_000)
    page = await ctx.new_page()
    await sign_in(page, "petugas.dlhk")
    await page.goto("/tasks")
    card = page.locator(f'[data-testid="task"][data-reference="{task.reference}"]')
    await expect(card).to_contain_text(tree.name_id)
    a11y: dict[str, Any] = {}
    await axe(page, "tasks (id, phone)", a11y)
    await page.get_by_role("button", name=TO_ENGLISH).click()
    await expect(card).to_contain_text(tree.name_en)
    await expect(card).not_to_contain_text(tree.name_id)
    await axe(page, "tasks (en, phone)", a11y)
    await save(page, "words-tasks-en-phone")
    await ctx.close()
    assert a11y == {}, dump(a11y)
