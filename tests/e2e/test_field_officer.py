"""The field officer's phone app, end to end, in Chromium against the real API and PostGIS."""

from __future__ import annotations

import asyncio
import io
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.async_api import BrowserContext, Page, expect
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Case, Team
from tests.e2e.conftest import (
    PASSWORD,
    LiveServer,
    Shot,
    axe_serious,
    dump,
    sign_in,
    sw_controls,
)
from tests.factories import category_by_code, make_case

pytestmark = [pytest.mark.e2e]


async def assigned_case(db: AsyncSession, **kw: Any) -> Case:
    """A fallen-tree case (DLHK, photo required to resolve) dispatched to TRC DLHK 1."""
    team = (await db.execute(select(Team).where(Team.name == "TRC DLHK 1"))).scalar_one()
    category = await category_by_code(db, "POHON_TUMBANG")
    case = await make_case(
        db,
        category=category,
        team=team,
        status="dispatched",
        address="Jl. Ahmad Yani No. 12, Kadia",
        landmark="Depan Masjid Al-Kautsar",
        description="Pohon mahoni tumbang menutup separuh jalan.",
        lat=-3.9712,
        lon=122.5168,
        **kw,
    )
    await db.commit()
    return case


def camera_photo(path: Path) -> Path:
    """A 12 MP-like photo (4000 x 3000) as a phone camera would hand it over."""
    img = Image.new("RGB", (4000, 3000), (40, 120, 60))
    for x in range(0, 4000, 250):
        img.paste((200, 180, 40), (x, 0, x + 60, 3000))
    img.save(path, "JPEG", quality=90)
    return path


async def api_get(server: LiveServer, path: str, username: str = "petugas.dlhk") -> Any:
    async with httpx.AsyncClient(base_url=server.base_url) as c:
        r = await c.post("/api/auth/login", json={"username": username, "password": PASSWORD})
        token = r.json()["access_token"]
        r = await c.get(path, headers={"Authorization": f"Bearer {token}"})
        r.raise_for_status()
        return r


async def check_axe(page: Page, screen: str, found: dict[str, Any]) -> None:
    violations = await axe_serious(page)
    if violations:
        found[screen] = violations


async def test_field_officer_works_offline_and_every_action_syncs_once(
    phone_context: BrowserContext,
    live_server: LiveServer,
    db: AsyncSession,
    shot: Shot,
    tmp_path: Path,
) -> None:
    case = await assigned_case(db)
    ref = case.reference
    page = await phone_context.new_page()
    a11y: dict[str, Any] = {}

    # Sign in; the field officer lands on the team's tasks.
    await page.goto("/login")
    await expect(page.get_by_role("heading", name="Masuk")).to_be_visible()
    await shot(page, "01-login")
    await check_axe(page, "login", a11y)
    await sign_in(page, "petugas.dlhk")
    task = page.locator(f'[data-testid=task][data-reference="{ref}"]')
    await expect(task).to_be_visible()
    await expect(task).to_contain_text("Ditugaskan")
    await expect(task).to_contain_text("dari Anda")  # distance from the phone's position
    await sw_controls(page)
    await expect(page.get_by_test_id("duty-switch")).to_have_attribute("aria-checked", "true")
    await shot(page, "02-tasks")
    await check_axe(page, "tasks", a11y)

    # Accept while online: sent at once.
    await task.click()
    await expect(page.get_by_role("heading", name=f"Kasus {ref}")).to_be_visible()
    await expect(
        page.get_by_test_id("case-map").locator(".leaflet-tile-loaded").first
    ).to_be_attached()
    await shot(page, "03-case")
    await check_axe(page, "case", a11y)
    await page.locator("[data-action=accept]").click()
    await expect(page.get_by_test_id("case-status")).to_have_text("Diterima")
    await expect(page.get_by_test_id("outbox-counter")).to_have_attribute("data-count", "0")

    # No signal: en route, on scene, resolve with a photo. Everything waits in the outbox.
    await phone_context.set_offline(True)
    await expect(page.get_by_test_id("net-status")).to_have_text("Luring")
    await page.locator("[data-action=en_route]").click()
    await expect(page.get_by_test_id("outbox-counter")).to_have_attribute("data-count", "1")
    await expect(page.get_by_test_id("case-status")).to_contain_text("Menuju lokasi")
    await page.locator("[data-action=on_scene]").click()
    await expect(page.get_by_test_id("outbox-counter")).to_have_attribute("data-count", "2")
    await page.locator("[data-action=resolve]").click()
    form = page.get_by_test_id("resolve-form")
    await form.get_by_label("Catatan penanganan").fill("Pohon dipotong dan disingkirkan.")
    async with page.expect_file_chooser() as chooser:
        await form.get_by_text("Ambil / pilih foto").click()
    await (await chooser.value).set_files(str(camera_photo(tmp_path / "kamera.jpg")))
    await expect(page.get_by_test_id("photo-previews").locator("img")).to_have_count(1)
    await shot(page, "04-resolve-form")
    await check_axe(page, "resolve form", a11y)
    await form.get_by_role("button", name="Kirim: Selesai").click()
    await expect(page.get_by_test_id("outbox-counter")).to_have_attribute("data-count", "3")
    await expect(page.get_by_test_id("case-status")).to_contain_text("Selesai (belum terkirim)")

    # Reload with no signal: the shell comes from the precache, the case from IndexedDB.
    await page.reload()
    await expect(page.get_by_role("heading", name=f"Kasus {ref}")).to_be_visible()
    await expect(page.get_by_test_id("outbox-counter")).to_have_attribute("data-count", "3")
    await expect(page.get_by_test_id("case-status")).to_contain_text("Selesai (belum terkirim)")
    await expect(page.get_by_test_id("offline-banner")).to_be_visible()
    await shot(page, "05-case-offline-after-reload")
    await check_axe(page, "case offline", a11y)
    await page.get_by_test_id("outbox-counter").click()
    await expect(page.get_by_test_id("outbox-item")).to_have_count(3)
    await shot(page, "06-outbox-offline")
    await check_axe(page, "outbox", a11y)
    await page.locator("a.brand").click()
    await expect(page.locator(f'[data-testid=task][data-reference="{ref}"]')).to_contain_text(
        "belum terkirim"
    )
    await shot(page, "07-tasks-offline")
    await check_axe(page, "tasks offline", a11y)

    # Signal again: the outbox drains by itself.
    await phone_context.set_offline(False)
    await expect(page.get_by_test_id("outbox-counter")).to_have_attribute(
        "data-count", "0", timeout=20_000
    )
    await expect(page.get_by_test_id("net-status")).to_have_text("Daring")

    # The API's timeline has each step once, in order, and the photo is stored, shrunk.
    detail = (await api_get(live_server, f"/api/cases/{case.id}")).json()
    kinds = [e["kind"] for e in detail["timeline"] if e["kind"] not in {"note"}]
    steps = [k for k in kinds if k in {"accepted", "en_route", "on_scene", "resolved"}]
    assert steps == ["accepted", "en_route", "on_scene", "resolved"], dump(detail["timeline"])
    assert detail["case"]["status"] == "resolved"
    resolved = next(e for e in detail["timeline"] if e["kind"] == "resolved")
    assert resolved["note"] == "Pohon dipotong dan disingkirkan."
    assert len(detail["photos"]) == 1, dump(detail["photos"])
    photo = await api_get(live_server, detail["photos"][0]["display_url"])
    with Image.open(io.BytesIO(photo.content)) as img:
        assert max(img.size) <= 1600
    stored = await db.execute(
        text("SELECT width, height FROM photos WHERE case_id = :id"), {"id": case.id}
    )
    (width, height) = stored.one()
    assert max(width, height) == 1600  # resized on the phone: 4000 x 3000 -> 1600 x 1200

    # The resolved case leaves the team's open list.
    await page.reload()
    await expect(page.get_by_test_id("tasks-screen")).to_be_visible()
    await expect(page.locator(f'[data-testid=task][data-reference="{ref}"]')).to_have_count(0)

    # On duty, the phone has reported the team's position; going off duty reaches the API.
    async def team_row() -> Any:
        row = (
            await db.execute(
                text("SELECT on_duty, last_position_at FROM teams WHERE name = 'TRC DLHK 1'")
            )
        ).one()
        await db.commit()
        return row

    for _ in range(100):
        if (await team_row()).last_position_at is not None:
            break
        await asyncio.sleep(0.1)
    assert (await team_row()).last_position_at is not None
    await page.get_by_test_id("duty-switch").click()
    await expect(page.get_by_test_id("duty-switch")).to_have_attribute("aria-checked", "false")
    await expect(page.get_by_test_id("outbox-counter")).to_have_attribute("data-count", "0")
    # The counter was 0 before the tap too: wait for the change itself, with a deadline.
    for _ in range(100):
        if (await team_row()).on_duty is False:
            break
        await asyncio.sleep(0.1)
    assert (await team_row()).on_duty is False

    assert not a11y, dump(a11y)
    await page.close()


async def test_conflict_is_shown_to_the_officer_not_dropped(
    phone_context: BrowserContext, live_server: LiveServer, db: AsyncSession, shot: Shot
) -> None:
    case = await assigned_case(db)
    page = await phone_context.new_page()
    await sign_in(page, "petugas.dlhk")
    await page.locator(f'[data-testid=task][data-reference="{case.reference}"]').click()
    await expect(page.locator("[data-action=accept]")).to_be_visible()
    # Another officer of the team takes the case while this phone has no signal.
    await phone_context.set_offline(True)
    await page.locator("[data-action=accept]").click()
    await expect(page.get_by_test_id("outbox-counter")).to_have_attribute("data-count", "1")
    await db.execute(
        text("UPDATE cases SET status='accepted', version=version+1 WHERE id=:id"),
        {"id": case.id},
    )
    await db.commit()
    await phone_context.set_offline(False)
    banner = page.get_by_test_id("conflict-banner")
    await expect(banner).to_be_visible(timeout=20_000)
    await expect(page.get_by_test_id("case-problem")).to_contain_text(case.reference)
    await expect(page.get_by_test_id("outbox-counter")).to_have_attribute("data-count", "1")
    await shot(page, "08-conflict")
    await banner.get_by_role("link").click()
    item = page.get_by_test_id("outbox-item")
    await expect(item).to_have_attribute("data-state", "conflict")
    await expect(item.get_by_test_id("outbox-problem")).to_contain_text("diubah orang lain")
    await shot(page, "09-outbox-conflict")
    violations = await axe_serious(page)
    assert not violations, dump(violations)
    await page.close()


async def test_other_roles_get_an_honest_home_and_english(
    phone_context: BrowserContext, shot: Shot
) -> None:
    page = await phone_context.new_page()
    await sign_in(page, "dispatcher")
    await page.get_by_test_id("nav-menu").click()
    home = page.get_by_test_id("home")
    await expect(home).to_contain_text("Dispatcher")
    # Real screens only: no API documentation offered to control-room staff.
    await expect(home.get_by_test_id("home-dispatch")).to_have_attribute("href", "/dispatch")
    await expect(page.locator('a[href^="/schema"]')).to_have_count(0)
    await shot(page, "10-home-dispatcher")
    violations = await axe_serious(page)
    assert not violations, dump(violations)
    await page.get_by_role("button", name="Ganti bahasa ke English").click()
    await expect(home).to_contain_text("What you can do in this app now")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await shot(page, "11-home-english")
    # The choice sticks across a reload.
    await page.reload()
    await expect(page.get_by_test_id("home")).to_contain_text("Sign out of this account")
    await page.get_by_role("button", name="Sign out of this account").click()
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await page.close()


async def test_deep_link_survives_reload_and_needs_sign_in(
    phone_context: BrowserContext, db: AsyncSession, shot: Shot
) -> None:
    case = await assigned_case(db)
    page = await phone_context.new_page()
    await page.goto(f"/cases/{case.id}")
    await expect(page.get_by_role("heading", name="Masuk")).to_be_visible()
    await sign_in(page, "petugas.dlhk")
    await page.goto(f"/cases/{case.id}")
    await expect(page.get_by_role("heading", name=f"Kasus {case.reference}")).to_be_visible()
    await page.reload()
    await expect(page.get_by_role("heading", name=f"Kasus {case.reference}")).to_be_visible()
    # Returning a case needs a reason: the form says so before anything is queued.
    await page.locator("[data-action=return]").click()
    form = page.get_by_test_id("return-form")
    await form.get_by_role("button", name="Kirim: Kembalikan").click()
    await expect(form.get_by_role("alert")).to_have_text("Wajib diisi.")
    await expect(page.get_by_test_id("outbox-counter")).to_have_attribute("data-count", "0")
    await shot(page, "14-return-form")
    violations = await axe_serious(page)
    assert not violations, dump(violations)
    await form.get_by_role("button", name="Batal").click()
    await page.goto(f"/cases/{uuid.uuid4()}")
    await expect(page.get_by_role("alert")).to_contain_text("tidak ditemukan")
    await page.close()
