"""Area warnings in the control room's PWA (`/warnings`): drafted by one person and approved
by a second, a kecamatan picked or a polygon drawn, bad input said beside its field, an update
and a cancellation published through the screens (their CAP carries the references), and the
screens refused to everyone else. axe on the list, the form and one warning, in both languages."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from lxml import etree
from playwright.async_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Area, Notification, PushSubscription, User
from tests.e2e.conftest import (
    LiveServer,
    check_axe,
    desktop_page,
    dump,
    sign_in,
    staff_client,
    switch_language,
)
from tests.factories import agency_by_code, make_user
from tests.support.warnings import warning_body

pytestmark = [pytest.mark.e2e]

SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).parents[1] / "support/cap/CAP-v1.2.xsd")))
CAP = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
SECOND_PASSWORD = "password123"  # tests.factories.make_user's password
# The browser stub's subscription keys (conftest.PUSH_STUB): a real P-256 point, 16 auth bytes.
P256 = "BGsX0fLhLEJH-Lzm5WOkQPJ3A32BLeszoPShOUXYmMKWT-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU"
AUTH = "ZGVmZ2hpamtsbW5vcHFycw"


async def _second_person(db: AsyncSession) -> User:
    """A BPBD coordinator: the second person who approves what the supervisor drafts."""
    bpbd = await agency_by_code(db, "BPBD")
    user = await make_user(db, "coordinator", agency_id=bpbd.id)
    await db.commit()
    return user


async def _area(db: AsyncSession, name: str) -> int:
    return int((await db.execute(select(Area.id).where(Area.name == name))).scalar_one())


async def _fill_words(page: Page, headline_id: str = "Banjir di Mandonga") -> None:
    await page.get_by_label("Kejadian (Bahasa Indonesia)").fill("Banjir")
    await page.get_by_label("Kejadian (Bahasa Inggris)").fill("Flood")
    await page.get_by_label("Tingkat keparahan").select_option("Severe")
    await page.get_by_label("Urgensi").select_option("Immediate")
    await page.get_by_label("Kepastian").select_option("Likely")
    await page.get_by_label("Judul (Bahasa Indonesia)").fill(headline_id)
    await page.get_by_label("Judul (Bahasa Inggris)").fill("Flooding in Mandonga")
    await page.get_by_label("Petunjuk (Bahasa Indonesia)").fill("Jauhi sungai.")
    await page.get_by_label("Petunjuk (Bahasa Inggris)").fill("Keep away from the river.")


async def _new_warning_form(
    browser: Browser, server: LiveServer, headline_id: str = "Banjir di Mandonga"
) -> tuple[BrowserContext, Page, list[str]]:
    """The supervisor's draft form, its words filled in (the area left to the test)."""
    ctx, page, errors = await desktop_page(browser, server)
    await sign_in(page, "supervisor")
    await page.goto("/warnings/new")
    await _fill_words(page, headline_id)
    return ctx, page, errors


def _warning_id(page: Page) -> int:
    found = re.search(r"/warnings/(\d+)$", page.url)
    assert found, page.url
    return int(found.group(1))


async def _opened(page: Page) -> int:
    await expect(page).to_have_url(re.compile(r"/warnings/\d+$"))
    await expect(page.get_by_test_id("warning-detail")).to_be_visible()
    return _warning_id(page)


async def test_a_supervisor_drafts_by_kecamatan_and_a_second_person_approves(
    browser: Browser, live_server: LiveServer, db: AsyncSession
) -> None:
    mandonga = await _area(db, "Mandonga")
    second = await _second_person(db)
    citizen = {
        "endpoint": "http://127.0.0.1:9/send/warga-mandonga",
        "keys": {"p256dh": P256, "auth": AUTH},
        "area_id": mandonga,
        "language": "id",
    }
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=15) as anyone:
        r = await anyone.post("/api/public/warnings/subscriptions", json=citizen)
        assert r.status_code == 201, r.text
    a11y: dict[str, Any] = {}

    ctx, page, errors = await desktop_page(browser, live_server)
    await sign_in(page, "supervisor")
    await page.goto("/menu")
    await page.get_by_test_id("home-warnings").click()
    await expect(page.get_by_test_id("warning-drafts-empty")).to_be_visible()
    await expect(page.get_by_test_id("warning-in-force-empty")).to_be_visible()
    await check_axe(page, "list (id)", a11y)
    await page.get_by_test_id("warning-new").click()
    await _fill_words(page)
    await page.get_by_test_id("warning-kecamatan").get_by_label("Mandonga").check()
    await check_axe(page, "form (id)", a11y)
    # The form's choices are as tall as its text fields (one touch target) and fill their field.
    choice = page.get_by_label("Tingkat keparahan")
    text_box = await page.get_by_label("Kejadian (Bahasa Indonesia)").bounding_box()
    choice_box = await choice.bounding_box()
    field_box = await choice.locator("xpath=..").bounding_box()
    assert text_box and choice_box and field_box
    assert abs(choice_box["height"] - text_box["height"]) <= 2, (choice_box, text_box)
    assert abs(choice_box["width"] - field_box["width"]) <= 1, (choice_box, field_box)
    await page.get_by_role("button", name="Simpan draf").click()
    wid = await _opened(page)
    detail = page.get_by_test_id("warning-detail")
    await expect(detail.get_by_test_id("warning-state")).to_have_text("Draf")
    await expect(detail.get_by_test_id("warning-words-en")).to_contain_text("Flooding in Mandonga")
    # The drafter sees why there is nothing to press.
    await expect(detail.get_by_test_id("warning-approve-note")).to_be_visible()
    await expect(detail.get_by_role("button", name="Setujui dan kirim")).to_have_count(0)
    await check_axe(page, "detail, drafter (id)", a11y)
    await page.goto("/warnings")
    drafts = page.get_by_test_id("warning-drafts")
    await expect(drafts.locator(f'[data-warning="{wid}"]')).to_contain_text("Disusun oleh")
    await ctx.close()

    ctx, page, more = await desktop_page(browser, live_server)
    await sign_in(page, second.username, SECOND_PASSWORD)
    await page.goto("/menu")  # BPBD's coordinators have the entry too
    await expect(page.get_by_test_id("home-warnings")).to_be_visible()
    await page.goto(f"/warnings/{wid}")
    detail = page.get_by_test_id("warning-detail")
    await detail.get_by_role("button", name="Setujui dan kirim").click()
    await expect(detail.get_by_test_id("warning-state")).to_have_text("Berlaku")
    await expect(detail).to_contain_text(f"Disetujui oleh {second.full_name}")
    await expect(detail.get_by_test_id("warning-cap")).to_have_attribute(
        "href", f"/api/cap/{wid}.xml"
    )
    await switch_language(page, "en")
    await expect(detail.get_by_test_id("warning-state")).to_have_text("In force")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Flooding in Mandonga")
    await check_axe(page, "detail, approved (en)", a11y)
    await page.goto("/warnings")
    await expect(
        page.get_by_test_id("warning-in-force").locator(f'[data-warning="{wid}"]')
    ).to_be_visible()
    await check_axe(page, "list (en)", a11y)
    await ctx.close()

    supervisor = await staff_client(live_server, "supervisor")
    listed = (await supervisor.get("/api/warnings")).json()
    await supervisor.aclose()
    assert [(w["id"], w["status"]) for w in listed] == [(wid, "published")], dump(listed)
    sub = (
        await db.execute(
            select(PushSubscription.id).where(PushSubscription.endpoint == citizen["endpoint"])
        )
    ).scalar_one()
    told = (
        await db.execute(
            select(Notification.payload).where(
                Notification.subscription_id == sub, Notification.event_key == f"warning:{wid}"
            )
        )
    ).scalar_one()
    assert "Banjir di Mandonga" in json.dumps(told, ensure_ascii=False), dump(told)
    assert not a11y, dump(a11y)
    assert not errors and not more, errors + more


async def test_a_polygon_drawn_on_the_map_is_the_drafts_area(
    browser: Browser, live_server: LiveServer
) -> None:
    ctx, page, errors = await _new_warning_form(browser, live_server)
    await page.get_by_label("Gambar di peta").check()
    drawing = page.get_by_test_id("warning-draw-map")
    await expect(drawing).to_be_visible()
    box = await drawing.bounding_box()
    assert box
    cx, cy = box["width"] / 2, box["height"] / 2
    for dx, dy in ((-60, -50), (70, -40), (60, 60), (-200, 100)):
        await drawing.click(position={"x": cx + dx, "y": cy + dy})
    await expect(page.get_by_test_id("draw-count")).to_have_text("4 titik")
    await page.get_by_role("button", name="Urungkan titik terakhir").click()
    await expect(page.get_by_test_id("draw-count")).to_have_text("3 titik")
    async with page.expect_request(
        lambda r: r.method == "POST" and r.url.endswith("/api/warnings")
    ) as sent:
        await page.get_by_role("button", name="Simpan draf").click()
    drawn = json.loads((await sent.value).post_data or "{}")["polygon"]
    wid = await _opened(page)
    supervisor = await staff_client(live_server, "supervisor")
    saved = (await supervisor.get(f"/api/warnings/{wid}")).json()
    await supervisor.aclose()
    assert drawn["type"] == "Polygon" and len(drawn["coordinates"][0]) == 4, dump(drawn)
    assert saved["area"]["type"] == "MultiPolygon" and saved["area_ids"], dump(saved)
    [[ring]] = saved["area"]["coordinates"]
    as_drawn = sorted((round(x, 5), round(y, 5)) for x, y in drawn["coordinates"][0])
    assert sorted((round(x, 5), round(y, 5)) for x, y in ring) == as_drawn, dump(saved)
    await ctx.close()
    assert not errors, errors


async def test_bad_input_is_said_beside_its_field_and_drafts_nothing(
    browser: Browser, live_server: LiveServer
) -> None:
    ctx, page, errors = await _new_warning_form(browser, live_server, headline_id="")
    await page.get_by_test_id("warning-kecamatan").get_by_label("Mandonga").check()
    save = page.get_by_role("button", name="Simpan draf")
    await save.click()
    await expect(page.get_by_test_id("error-w-headline-id")).to_have_text(
        "Data yang dikirim tidak valid."
    )
    await expect(page.get_by_label("Judul (Bahasa Indonesia)")).to_have_attribute(
        "aria-invalid", "true"
    )
    await page.get_by_label("Judul (Bahasa Indonesia)").fill("Banjir di Mandonga")
    await page.get_by_label("Berlaku sampai").fill("2020-01-01T10:00")
    await save.click()
    await expect(page.get_by_test_id("error-w-expires")).to_have_text(
        "Waktu berakhir harus di masa depan dan paling lama 7 hari lagi."
    )
    await expect(page.get_by_test_id("error-w-headline-id")).to_have_count(0)
    later = datetime.now(ZoneInfo("Asia/Makassar")) + timedelta(hours=2)  # the browser's zone
    await page.get_by_label("Berlaku sampai").fill(later.strftime("%Y-%m-%dT%H:%M"))
    await page.get_by_test_id("warning-kecamatan").get_by_label("Mandonga").uncheck()
    await save.click()
    await expect(page.get_by_test_id("error-area")).to_have_text(
        "Pilih kecamatan atau gambar satu wilayah (tidak keduanya)."
    )
    await switch_language(page, "en")
    await page.get_by_role("button", name="Save draft").click()
    await expect(page.get_by_test_id("error-area")).to_have_text(
        "Pick kecamatan or draw one area (not both)."
    )
    await expect(page).to_have_url(re.compile(r"/warnings/new$"))
    supervisor = await staff_client(live_server, "supervisor")
    assert (await supervisor.get("/api/warnings")).json() == []
    await supervisor.aclose()
    await ctx.close()
    assert not errors, errors


def _cap(xml: bytes) -> etree._Element:
    doc = etree.fromstring(xml)
    assert SCHEMA.validate(doc), SCHEMA.error_log
    return doc


async def test_an_update_then_a_cancel_through_the_screens_carry_their_references(
    browser: Browser, live_server: LiveServer, db: AsyncSession
) -> None:
    mandonga = await _area(db, "Mandonga")
    second = await _second_person(db)
    supervisor = await staff_client(live_server, "supervisor")
    expires = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
    r = await supervisor.post("/api/warnings", json=warning_body(expires, [mandonga]))
    assert r.status_code == 201, r.text
    original = r.json()["id"]

    a_ctx, a, a_errors = await desktop_page(browser, live_server)
    b_ctx, b, b_errors = await desktop_page(browser, live_server)
    await sign_in(a, "supervisor")
    await sign_in(b, second.username, SECOND_PASSWORD)

    async def approve(wid: int) -> None:
        await b.goto(f"/warnings/{wid}")
        await b.get_by_role("button", name="Setujui dan kirim").click()
        await expect(b.get_by_test_id("warning-state")).to_have_text("Berlaku")

    await approve(original)
    # The update: the form comes prefilled; one word changes.
    await a.goto(f"/warnings/{original}")
    await a.get_by_test_id("warning-update").click()
    await expect(a.get_by_label("Judul (Bahasa Inggris)")).to_have_value("Flooding in Mandonga")
    await expect(a.get_by_test_id("warning-kecamatan").get_by_label("Mandonga")).to_be_checked()
    await a.get_by_label("Judul (Bahasa Indonesia)").fill("Banjir meluas di Mandonga")
    await a.get_by_role("button", name="Simpan draf pembaruan").click()
    update = await _opened(a)
    await expect(a.get_by_test_id("warning-msg-type")).to_have_text("Pembaruan")
    await approve(update)
    await b.goto(f"/warnings/{original}")
    await expect(b.get_by_test_id("warning-state")).to_have_text("Digantikan")

    # The cancellation of the update now in force, with the all-clear words.
    await a.goto(f"/warnings/{update}")
    form = a.get_by_test_id("warning-cancel-form")
    await form.get_by_label("Petunjuk aman (Bahasa Indonesia)").fill("Air sudah surut.")
    await form.get_by_label("Petunjuk aman (Bahasa Inggris)").fill("The water has gone down.")
    await form.get_by_role("button", name="Simpan draf pembatalan").click()
    await expect(a).not_to_have_url(re.compile(f"/warnings/{update}$"))
    cancel = await _opened(a)
    await expect(a.get_by_test_id("warning-msg-type")).to_have_text("Pembatalan")
    await approve(cancel)

    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=15) as anyone:
        docs = {w: _cap((await anyone.get(f"/api/cap/{w}.xml")).content) for w in (update, cancel)}
    sender = live_server.settings.cap_sender
    for wid, msg_type, refers in (
        (update, "Update", [original]),
        (cancel, "Cancel", [original, update]),
    ):
        doc = docs[wid]
        assert doc.findtext("cap:msgType", namespaces=CAP) == msg_type
        refs = doc.findtext("cap:references", namespaces=CAP) or ""
        named = [ref.split(",")[1] for ref in refs.split()]
        assert named == [f"{sender}.warning.{w}" for w in refers], refs
    assert (await supervisor.get("/api/public/warnings")).json() == []
    await supervisor.aclose()
    await a_ctx.close()
    await b_ctx.close()
    assert not a_errors and not b_errors, a_errors + b_errors


async def test_a_drawn_draft_is_changed_by_a_second_person_keeping_its_area(
    browser: Browser, live_server: LiveServer, db: AsyncSession
) -> None:
    """As a draft re-issued from an incoming CAP alert is: a drawn area, approved or changed by
    someone else. A draft is not edited in place: the change is a new draft, the old withdrawn."""
    second = await _second_person(db)
    lon, lat = 122.508, -3.966  # Mandonga
    square = [[lon - 0.01, lat - 0.01], [lon + 0.01, lat - 0.01], [lon + 0.01, lat + 0.01],
              [lon - 0.01, lat + 0.01], [lon - 0.01, lat - 0.01]]  # fmt: skip
    expires = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
    body = warning_body(expires, [], polygon={"type": "Polygon", "coordinates": [square]})
    supervisor = await staff_client(live_server, "supervisor")
    r = await supervisor.post("/api/warnings", json=body)
    assert r.status_code == 201, r.text
    old = r.json()

    r = await supervisor.post("/api/warnings", json=body)
    assert r.status_code == 201, r.text
    stale = r.json()["id"]

    ctx, page, errors = await desktop_page(browser, live_server)
    await sign_in(page, second.username, SECOND_PASSWORD)
    # Withdrawn while the page was open: the API's refusal is said, in words.
    await page.goto(f"/warnings/{stale}")
    approve = page.get_by_role("button", name="Setujui dan kirim")
    await expect(approve).to_be_visible()
    assert (await supervisor.post(f"/api/warnings/{stale}/withdraw")).status_code == 200
    await approve.click()
    await expect(page.get_by_test_id("warning-action-error")).to_have_text(
        "Peringatan ini bukan draf lagi."
    )
    await page.goto(f"/warnings/{old['id']}")
    await expect(page.get_by_role("button", name="Setujui dan kirim")).to_be_visible()
    await page.get_by_role("link", name="Ubah draf").click()
    await expect(page.get_by_label("Wilayah seperti sekarang")).to_be_checked()
    await expect(page.get_by_test_id("warning-area-map")).to_be_visible()
    await page.get_by_label("Judul (Bahasa Indonesia)").fill("Banjir di tepi sungai")
    await page.get_by_role("button", name="Simpan draf").click()
    await expect(page).not_to_have_url(re.compile(r"/warnings/new"))
    changed = await _opened(page)
    await expect(page.get_by_test_id("warning-approve-note")).to_be_visible()
    before = (await supervisor.get(f"/api/warnings/{old['id']}")).json()
    after = (await supervisor.get(f"/api/warnings/{changed}")).json()
    await supervisor.aclose()
    await ctx.close()
    assert before["status"] == "withdrawn", dump(before)
    assert after["status"] == "draft" and after["headline_id"] == "Banjir di tepi sungai"
    assert after["area"] == old["area"] and after["area_ids"] == old["area_ids"], dump(after)
    assert after["drafted_by_name"] == second.full_name
    assert not errors, errors


@pytest.mark.parametrize("username", ["petugas.dlhk", "operator", "koordinator.dlhk"])
async def test_other_roles_have_no_menu_entry_and_are_refused(
    browser: Browser, live_server: LiveServer, username: str
) -> None:
    ctx, page, errors = await desktop_page(browser, live_server)
    await sign_in(page, username)
    await page.goto("/menu")
    await expect(page.get_by_test_id("home")).to_be_visible()
    await expect(page.get_by_test_id("home-warnings")).to_have_count(0)
    for address in ("/warnings", "/warnings/1", "/warnings/new"):
        await page.goto(address)
        await expect(page.get_by_role("heading", level=1)).to_have_text("Peringatan wilayah")
        await expect(
            page.get_by_text("Layar ini untuk supervisor dan koordinator BPBD.")
        ).to_be_visible()
        await expect(page.get_by_test_id("warnings")).to_have_count(0)
        await expect(page.get_by_test_id("warning-form")).to_have_count(0)
    await ctx.close()
    assert not errors, errors
