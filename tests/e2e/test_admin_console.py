"""The admin console in Chromium at desktop size (1440x900), in both languages: every action is
checked through the API afterwards, bad input shows a translated error beside its field and
changes nothing, and no other role reaches the console."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import LiveServer, Shot, dump, sign_in, staff_client
from tests.e2e.test_shell import DESKTOP, desktop_context, in_both_languages

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


async def test_users_are_created_deactivated_reactivated_and_reset_from_the_console(
    desktop_context: BrowserContext, live_server: LiveServer, shot: Shot
) -> None:
    a11y: dict[str, Any] = {}
    admin = await staff_client(live_server, "admin")
    page = await desktop_context.new_page()
    await sign_in(page, "admin")
    await expect(page.get_by_test_id("admin-overview")).to_be_visible()
    await in_both_languages(
        page, shot, "admin-console-overview", a11y, page.get_by_test_id("admin-home")
    )
    await console(page, "users")
    users = page.get_by_test_id("users-table")
    await expect(users.get_by_role("cell", name="Dimas Dispatcher")).to_be_visible()
    await in_both_languages(page, shot, "admin-console-users", a11y, users)
    before = len((await admin.get("/api/admin/users")).json())

    # Filters narrow the list here, before the API has them.
    await page.get_by_test_id("user-role").select_option("supervisor")
    await expect(users.locator("tbody tr")).to_have_count(
        len([u for u in (await admin.get("/api/admin/users")).json() if u["role"] == "supervisor"])
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
    assert len((await admin.get("/api/admin/users")).json()) == before

    # A user created here signs in with the password shown once.
    await form.get_by_label("Nama pengguna").fill("uji.operator")
    password = await page.locator("#user-new-password").input_value()
    await form.get_by_role("button", name="Buat pengguna").click()
    await expect(page.get_by_test_id("user-created")).to_contain_text(password)
    await expect(users.get_by_role("cell", name="uji.operator")).to_be_visible()
    made = [
        u for u in (await admin.get("/api/admin/users")).json() if u["username"] == "uji.operator"
    ]
    assert made and made[0]["role"] == "operator" and made[0]["active"], dump(made)
    r = await login(live_server, "uji.operator", password)
    assert r.status_code == 201 or r.status_code == 200, r.text
    token = {"Authorization": f"Bearer {r.json()['access_token']}"}

    # Deactivated: their next request is refused.
    await page.get_by_test_id("user-toggle-uji.operator").click()
    await expect(page.get_by_test_id("user-notice")).to_contain_text("dinonaktifkan")
    async with httpx.AsyncClient(base_url=live_server.base_url) as c:
        assert (await c.get("/api/auth/me", headers=token)).status_code == 401
    assert not (await admin.get(f"/api/admin/users/{made[0]['id']}")).json()["active"]

    # Reactivated, then a new password: the old one no longer signs in, the new one does.
    await page.get_by_test_id("user-toggle-uji.operator").click()
    await expect(page.get_by_test_id("user-notice")).to_contain_text("aktif lagi")
    assert (await admin.get(f"/api/admin/users/{made[0]['id']}")).json()["active"]
    await page.get_by_test_id("user-reset-uji.operator").click()
    notice = await page.get_by_test_id("user-notice").inner_text()
    fresh = re.search(r": (\S+) —", notice)
    assert fresh, notice
    assert (await login(live_server, "uji.operator", password)).status_code == 401
    assert (await login(live_server, "uji.operator", fresh.group(1))).status_code in (200, 201)
    await admin.aclose()
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
