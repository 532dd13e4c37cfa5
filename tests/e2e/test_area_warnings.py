"""Area warnings in the citizen's browser: a published warning shows as a banner in both
languages, with the "notify me of warnings for my kecamatan" form beside it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.async_api import BrowserContext, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Area
from tests.e2e.conftest import LiveServer, switch_language
from tests.e2e.conftest import staff_client as staff
from tests.factories import agency_by_code, make_user
from tests.support.warnings import warning_body

pytestmark = [pytest.mark.e2e]


async def test_a_published_warning_shows_on_the_citizen_pages_in_both_languages(
    phone_context: BrowserContext, live_server: LiveServer, db: AsyncSession
) -> None:
    mandonga = (await db.execute(select(Area.id).where(Area.name == "Mandonga"))).scalar_one()
    bpbd = await agency_by_code(db, "BPBD")
    coordinator = await make_user(db, "coordinator", agency_id=bpbd.id)
    await db.commit()
    supervisor = await staff(live_server, "supervisor")
    approver = httpx.AsyncClient(base_url=live_server.base_url, timeout=15)
    try:
        expires = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
        body = warning_body(expires, [mandonga])
        r = await supervisor.post("/api/warnings", json=body)
        assert r.status_code == 201, r.text
        login = {"username": coordinator.username, "password": "password123"}
        token = (await approver.post("/api/auth/login", json=login)).json()["access_token"]
        r = await approver.post(
            f"/api/warnings/{r.json()['id']}/approve",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 200, r.text
    finally:
        await supervisor.aclose()
        await approver.aclose()

    page = await phone_context.new_page()
    await page.goto("/lapor")
    banner = page.locator(".warning-banner [role=alert]")
    await expect(banner).to_contain_text("Peringatan: Banjir di Mandonga")
    await expect(banner).to_contain_text("Jauhi sungai.")
    await expect(page.locator(".warning-optin select option", has_text="Mandonga")).to_have_count(1)
    await switch_language(page, "en")
    await expect(banner).to_contain_text("Warning: Flooding in Mandonga")
    await expect(page.get_by_role("button", name="Notify me")).to_be_disabled()
