"""The citizen's pages on a phone, end to end: report with GPS and a photo, get the code, track
it while the field team works the case, get the push, rate the service. No account anywhere."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import BrowserContext, expect
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Agency, Case, Team
from tests.e2e.conftest import (
    LiveServer,
    Shot,
    axe_serious,
    check_axe,
    dump,
    phone,
    sw_controls,
    switch_language,
)
from tests.e2e.conftest import staff_client as staff
from tests.e2e.test_field_officer import camera_photo
from tests.factories import category_by_code, make_case

pytestmark = [pytest.mark.e2e]

# Noise: Satpol PP, no photo needed to resolve.
CATEGORY = "KEBISINGAN"
CATEGORY_NAME = "Gangguan kebisingan/ketertiban"


async def poll(fn: Any, what: str, tries: int = 100) -> Any:
    for _ in range(tries):
        value = await fn()
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def test_citizen_reports_tracks_gets_push_and_rates(
    phone_context: BrowserContext,
    live_server: LiveServer,
    db: AsyncSession,
    shot: Shot,
    tmp_path: Path,
) -> None:
    a11y: dict[str, Any] = {}
    await phone_context.grant_permissions(
        ["geolocation", "notifications", "clipboard-read", "clipboard-write"],
        origin=live_server.base_url,
    )
    # An open noise case 80 m away: the form offers to follow it instead.
    nearby = await make_case(
        db, category=await category_by_code(db, CATEGORY), lat=-3.9712, lon=122.5150
    )
    await db.commit()

    page = await phone_context.new_page()
    await page.goto("/")

    # Home for anonymous visitors: Lapor and Lacak for citizens, staff sign-in one tap away.
    await expect(page.get_by_test_id("staff-login")).to_be_visible()
    await expect(page.get_by_test_id("home-lapor")).to_be_visible()
    await expect(page.get_by_test_id("home-lacak")).to_be_visible()
    await shot(page, "citizen-01-home")
    await check_axe(page, "home id", a11y)
    await sw_controls(page)

    # (1) Report: category by its icon group, GPS with accuracy, a camera photo, a description.
    await page.get_by_test_id("home-lapor").click()
    await expect(page.get_by_role("heading", name="Lapor masalah")).to_be_visible()
    await check_axe(page, "lapor id", a11y)
    await page.get_by_role("button", name="Ketertiban").click()
    await page.get_by_label(CATEGORY_NAME).check()
    await page.get_by_test_id("lapor-gps").click()
    await expect(page.get_by_test_id("lapor-location")).to_contain_text("±15 m")
    similar = page.get_by_test_id("lapor-similar")
    await expect(similar).to_contain_text(nearby.reference)
    await expect(similar.get_by_role("button", name="Ikuti laporan ini")).to_be_visible()
    async with page.expect_file_chooser() as chooser_info:
        await page.get_by_text("Ambil / pilih foto").click()
    chooser = await chooser_info.value
    await chooser.set_files(str(camera_photo(tmp_path / "kamera.jpg")))
    await expect(page.get_by_test_id("photo-previews").locator("img")).to_have_count(1)
    await page.get_by_role("button", name="Tandai di peta").click()
    await expect(page.get_by_test_id("lapor-map")).to_be_visible()
    await page.get_by_label("Keterangan").fill("Musik keras dari pesta sampai lewat tengah malam.")
    await page.get_by_label("Nomor ponsel").fill("081234567890")
    await shot(page, "citizen-02-lapor-form")
    await check_axe(page, "lapor form filled id", a11y)
    await page.get_by_role("button", name="Kirim laporan").click()

    # (2) The code, large, copyable; the PIN and the link.
    code = page.get_by_test_id("tracking-code")
    await expect(code).to_have_text(re.compile(r"^KDI-"))
    reference = (await code.inner_text()).strip()
    await expect(page.get_by_test_id("tracking-pin")).to_have_text(re.compile(r"^\d{4,8}$"))
    await page.get_by_role("button", name="Salin kode").click()
    await expect(page.get_by_test_id("copy-status")).to_have_text("Kode disalin.")
    assert await page.evaluate("navigator.clipboard.readText()") == reference
    await shot(page, "citizen-03-lapor-done")
    await check_axe(page, "lapor done id", a11y)

    case = (await db.execute(select(Case).where(Case.reference == reference))).scalar_one()
    assert case.channel == "web"
    photos = await db.execute(
        text("SELECT count(*) FROM photos WHERE case_id = :c"), {"c": case.id}
    )
    assert photos.scalar_one() == 1
    await db.commit()

    # (3) Lacak: opens without asking (the token stayed on this phone), status big, push opt-in.
    await page.get_by_test_id("tracking-link").click()
    await expect(page).to_have_url(f"{live_server.base_url}/lacak/{reference}")
    status = page.get_by_test_id("public-status")
    await expect(status).to_have_attribute("data-status", "belum_ditindaklanjuti")
    await expect(page.get_by_test_id("public-photos").locator("img")).to_have_count(1)
    await page.get_by_test_id("push-optin").click()
    await expect(page.get_by_test_id("push-status")).to_have_text(
        "Notifikasi aktif untuk laporan ini."
    )
    sub_id = await poll(
        lambda: _citizen_subscription(db, case.id), "the citizen's push subscription"
    )
    await shot(page, "citizen-04-lacak")
    await check_axe(page, "lacak id", a11y)

    # (4) The field team works the case through the staff API; the page follows by itself.
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
    dispatcher = await staff(live_server, "dispatcher")
    officer = await staff(live_server, "petugas.satpolpp")
    try:
        r = await dispatcher.get(f"/api/cases/{case.id}")
        r.raise_for_status()
        r = await dispatcher.post(
            f"/api/cases/{case.id}/assign",
            json={"team_id": team_id, "version": r.json()["case"]["version"]},
        )
        assert r.status_code == 200, r.text
        version = r.json()["version"]
        r = await officer.post(
            f"/api/cases/{case.id}/transitions", json={"action": "accept", "version": version}
        )
        assert r.status_code == 200, r.text
        await expect(status).to_have_attribute("data-status", "dalam_proses")
        for action in ("en_route", "on_scene", "resolve"):
            r = await officer.post(
                f"/api/cases/{case.id}/transitions",
                json={
                    "action": action,
                    "version": r.json()["version"],
                    "note": "Sudah ditertibkan.",
                },
            )
            assert r.status_code == 200, r.text
    finally:
        await dispatcher.aclose()
        await officer.aclose()
    await expect(status).to_have_attribute("data-status", "selesai")
    await expect(status).to_contain_text("Selesai")

    # The API queued a push for this phone; the push service is played by CDP.
    payload = await poll(lambda: _selesai_push(db, sub_id), "the 'selesai' push for the citizen")
    assert payload["url"] == f"/lacak/{reference}", dump(payload)
    cdp = await phone_context.new_cdp_session(page)
    registration: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    def on_registration(event: dict[str, Any]) -> None:
        for reg in event.get("registrations", []):
            if not reg.get("isDeleted") and not registration.done():
                registration.set_result(reg["registrationId"])

    cdp.on("ServiceWorker.workerRegistrationUpdated", on_registration)
    await cdp.send("ServiceWorker.enable")
    await cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": live_server.base_url,
            "registrationId": await asyncio.wait_for(registration, 10),
            "data": json.dumps(payload),
        },
    )

    async def shown() -> Any:
        return await page.evaluate(
            """async () => (await (await navigator.serviceWorker.ready).getNotifications())
                 .map(n => ({title: n.title, body: n.body, data: n.data}))"""
        )

    notes = await poll(shown, "the notification")
    assert len(notes) == 1 and reference in notes[0]["title"], dump(notes)
    assert notes[0]["data"]["url"] == f"/lacak/{reference}", dump(notes)
    await cdp.detach()

    # (5) Rate the service.
    form = page.get_by_test_id("rating-form")
    await expect(form).to_be_visible()
    await shot(page, "citizen-05-lacak-selesai")
    await check_axe(page, "lacak selesai id", a11y)
    await form.locator("label.star").nth(3).click()  # the fourth star, as a thumb taps it
    await expect(form.get_by_role("radio", name="4 dari 5 bintang")).to_be_checked()
    await page.get_by_label("Komentar (boleh dikosongkan)").fill("Cepat ditangani, terima kasih.")
    await form.get_by_role("button", name="Kirim penilaian").click()
    await expect(page.get_by_test_id("feedback-status")).to_contain_text("Terima kasih")
    await expect(form).to_have_count(0)
    rating = await db.execute(
        text("SELECT score, comment FROM case_ratings WHERE case_id = :c"), {"c": case.id}
    )
    assert tuple(rating.one()) == (4, "Cepat ditangani, terima kasih.")
    await db.commit()
    await page.get_by_role("button", name=re.compile("Ajukan keberatan")).click()
    await expect(page.get_by_test_id("dispute-form")).to_be_visible()
    await shot(page, "citizen-06-lacak-rated-dispute")
    await check_axe(page, "lacak dispute id", a11y)

    # The same screens in English.
    await switch_language(page, "en")
    await expect(status).to_contain_text("Finished")
    await shot(page, "citizen-07-lacak-en")
    await check_axe(page, "lacak en", a11y)
    await page.goto("/lacak")
    await expect(page.get_by_role("heading", name="Track a report")).to_be_visible()
    await expect(page.get_by_role("link", name=reference)).to_be_visible()
    await shot(page, "citizen-08-lacak-find-en")
    await check_axe(page, "lacak find en", a11y)
    await page.goto("/lapor")
    await page.get_by_role("button", name="Public order").click()
    await expect(page.get_by_label("Noise / public disturbance")).to_be_visible()
    await shot(page, "citizen-09-lapor-en")
    await check_axe(page, "lapor en", a11y)
    await page.goto("/")
    await expect(page.get_by_test_id("home-lacak")).to_be_visible()
    await check_axe(page, "home en", a11y)
    await switch_language(page, "id")
    await page.goto("/lacak")
    await check_axe(page, "lacak find id", a11y)

    assert not a11y, dump(a11y)
    await page.close()


async def test_report_made_offline_is_sent_once_and_opens_on_another_phone(
    phone_context: BrowserContext,
    browser: Any,
    playwright_instance: Any,
    live_server: LiveServer,
    db: AsyncSession,
    shot: Shot,
) -> None:
    page = await phone_context.new_page()
    await page.goto("/lapor")
    await sw_controls(page)
    await page.get_by_role("button", name="Ketertiban").click()
    await page.get_by_label(CATEGORY_NAME).check()
    await page.get_by_test_id("lapor-gps").click()
    await expect(page.get_by_test_id("lapor-location")).to_contain_text("±15 m")
    description = "Knalpot brong tiap malam di depan pasar."
    await page.get_by_label("Keterangan").fill(description)
    await page.get_by_label("Nomor ponsel").fill("081298765432")

    # No signal: the report waits in the phone's IndexedDB with its Idempotency-Key.
    await phone_context.set_offline(True)
    await page.get_by_role("button", name="Kirim laporan").click()
    await expect(page.get_by_test_id("lapor-queued")).to_be_visible()
    await shot(page, "citizen-10-lapor-queued-offline")
    violations = await axe_serious(page)
    assert not violations, dump(violations)
    queued = await page.evaluate(
        """() => new Promise((resolve) => {
            const open = indexedDB.open("tanggap");
            open.onsuccess = () => {
              const get = open.result.transaction("kv").objectStore("kv").get("citizen.queue");
              get.onsuccess = () => resolve((get.result || []).map((i) => i.key));
            };
        })"""
    )
    assert len(queued) == 1

    # Signal again: sent by itself, once, and the code shows.
    await phone_context.set_offline(False)
    code = page.get_by_test_id("tracking-code")
    await expect(code).to_have_text(re.compile(r"^KDI-"))
    reference = (await code.inner_text()).strip()
    pin = (await page.get_by_test_id("tracking-pin").inner_text()).strip()
    count = await db.execute(
        text("SELECT count(*) FROM cases WHERE description = :d"), {"d": description}
    )
    assert count.scalar_one() == 1
    await db.commit()

    # The same report replayed with its key (a lost answer) is answered again, not filed again.
    async with httpx.AsyncClient(base_url=live_server.base_url) as c:
        body = {
            "category": CATEGORY,
            "description": "Replay check",
            "lat": -3.97,
            "lon": 122.515,
            "location_source": "gps",
        }
        headers = {"Idempotency-Key": "e2e-replay-0001"}
        first = await c.post("/api/public/reports", json=body, headers=headers)
        again = await c.post("/api/public/reports", json=body, headers=headers)
        assert first.status_code == again.status_code == 201, again.text
        assert first.json()["reference"] == again.json()["reference"]
        other = await c.post(
            "/api/public/reports", json={**body, "description": "x"}, headers=headers
        )
        assert other.status_code == 422, other.text
    count = await db.execute(text("SELECT count(*) FROM cases WHERE description = 'Replay check'"))
    assert count.scalar_one() == 1
    await db.commit()

    # Another phone (no token there): the code, the phone number given and the PIN open it.
    other_phone = await browser.new_context(
        **phone(playwright_instance), base_url=live_server.base_url
    )
    try:
        page2 = await other_phone.new_page()
        await page2.goto(f"/lacak/{reference}")
        await expect(page2.get_by_role("heading", name="Lacak laporan")).to_be_visible()
        await expect(page2.get_by_label("Kode lacak")).to_have_value(reference)
        await page2.get_by_label("Nomor ponsel").fill("081298765432")
        await page2.get_by_label("PIN").fill("000000" if pin != "000000" else "111111")
        await page2.get_by_role("button", name="Lacak", exact=True).click()
        await expect(page2.get_by_test_id("lacak-error")).to_be_visible()
        await shot(page2, "citizen-11-lacak-wrong-pin")
        violations = await axe_serious(page2)
        assert not violations, dump(violations)
        await page2.get_by_label("Nomor ponsel").fill("081298765432")
        await page2.get_by_label("PIN").fill(pin)
        await page2.get_by_role("button", name="Lacak", exact=True).click()
        status = page2.get_by_test_id("public-status")
        await expect(status).to_have_attribute("data-status", "belum_ditindaklanjuti")
        await expect(page2.get_by_test_id("push-optin")).to_have_count(0)  # needs the token
        await shot(page2, "citizen-12-lacak-phone-pin")
    finally:
        await other_phone.close()
    await page.close()


async def _citizen_subscription(db: AsyncSession, case_id: Any) -> int | None:
    row = await db.execute(
        text(
            "SELECT s.id FROM push_subscriptions s JOIN case_reporters r ON r.id = s.reporter_id "
            "WHERE r.case_id = :c"
        ),
        {"c": case_id},
    )
    await db.commit()
    value = row.scalar_one_or_none()
    return int(value) if value is not None else None


async def _selesai_push(db: AsyncSession, sub_id: int) -> dict[str, Any] | None:
    rows = await db.execute(
        text("SELECT payload FROM notifications WHERE subscription_id = :s ORDER BY id"),
        {"s": sub_id},
    )
    await db.commit()
    for (payload,) in rows:
        if "Selesai" in payload.get("title", "") or "Selesai" in payload.get("body", ""):
            return dict(payload)
    return None
