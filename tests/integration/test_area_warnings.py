"""Area warnings end to end: the two-person rule, the citizens' opt-in, the push to everyone in
the area (and nobody outside it) decrypted by the local push service, and CAP 1.2 output that
validates against the OASIS schema, updates and cancellations included."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from lxml import etree
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api import worker
from api.config import Settings
from api.db import push as db_push
from api.db.models import AdminAudit, Area, AreaWarning, Notification, PushSubscription, User
from tests.conftest import Clock, login
from tests.factories import agency_by_code, make_team, make_user
from tests.support import push_fixtures
from tests.support.push_fixtures import add_device, count
from tests.support.push_service import PushService
from tests.support.warnings import warning_body

Client = AsyncTestClient[Litestar]

app = push_fixtures.app
push = push_fixtures.push
push_settings = push_fixtures.push_settings

SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).parents[1] / "support/cap/CAP-v1.2.xsd")))
CAP = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
MANDONGA = (122.508, -3.966)
KENDARI = (122.597, -3.971)  # another kecamatan, about 10 km east


async def _area(db: AsyncSession, name: str) -> int:
    return int((await db.execute(select(Area.id).where(Area.name == name))).scalar_one())


async def _bpbd_coordinator(db: AsyncSession) -> User:
    bpbd = await agency_by_code(db, "BPBD")
    return await make_user(db, "coordinator", agency_id=bpbd.id, language="en")


def _body(clock: Clock, area_ids: list[int], **kw: Any) -> dict[str, Any]:
    return warning_body((clock() + timedelta(hours=6)).isoformat(), area_ids, **kw)


def _valid_cap(xml: bytes) -> etree._Element:
    doc = etree.fromstring(xml)
    assert SCHEMA.validate(doc), SCHEMA.error_log
    return doc


async def _drafted(client: Client, headers: dict[str, str], body: dict[str, Any]) -> int:
    r = await client.post("/api/warnings", json=body, headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "draft"
    return int(r.json()["id"])


# ------------------------------------------------------------ the two-person rule
async def test_the_drafter_cannot_approve_and_others_may_not_issue(
    client: Client, db: AsyncSession, clock: Clock
) -> None:
    mandonga = await _area(db, "Mandonga")
    coordinator = await _bpbd_coordinator(db)
    await db.commit()
    supervisor = await login(client, "supervisor")
    wid = await _drafted(client, supervisor, _body(clock, [mandonga]))

    r = await client.post(f"/api/warnings/{wid}/approve", headers=supervisor)
    assert r.status_code == 403 and r.json()["code"] == "warning_self_approval"
    # Another agency's coordinator and a field officer may neither draft nor approve.
    for username in ("koordinator.dlhk", "petugas.bpbd"):
        headers = await login(client, username)
        r = await client.post(f"/api/warnings/{wid}/approve", headers=headers)
        assert r.status_code == 403, username
        r = await client.post("/api/warnings", json=_body(clock, [mandonga]), headers=headers)
        assert r.status_code == 403, username
    assert (await client.get("/api/public/warnings")).json() == []

    second = await login(client, coordinator.username, "password123")
    r = await client.post(f"/api/warnings/{wid}/approve", headers=second)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "published" and r.json()["approved_by"] == coordinator.id
    r = await client.post(f"/api/warnings/{wid}/approve", headers=second)
    assert r.status_code == 409 and r.json()["code"] == "warning_not_draft"
    shown = (await client.get("/api/public/warnings", headers={"Accept-Language": "en"})).json()
    assert [w["id"] for w in shown] == [wid] and shown[0]["area"]["type"] == "MultiPolygon"
    actions = (
        await db.execute(
            select(AdminAudit.action)
            .where(AdminAudit.entity == "area_warning")
            .order_by(AdminAudit.id)
        )
    ).scalars()
    assert list(actions) == ["create", "approve"]


async def test_staff_read_one_warning_in_any_state_with_who_drafted_it(
    client: Client, db: AsyncSession, clock: Clock
) -> None:
    mandonga = await _area(db, "Mandonga")
    supervisor = await login(client, "supervisor")
    wid = await _drafted(client, supervisor, _body(clock, [mandonga]))
    drafter = (await db.execute(select(User).where(User.username == "supervisor"))).scalar_one()
    listed = (await client.get("/api/warnings", headers=supervisor)).json()
    assert [(w["id"], w["drafted_by_name"]) for w in listed] == [(wid, drafter.full_name)]
    assert listed[0]["drafted_at"] and listed[0]["approved_by_name"] == ""
    r = await client.post(f"/api/warnings/{wid}/withdraw", headers=supervisor)
    assert r.status_code == 200, r.text
    r = await client.get(f"/api/warnings/{wid}", headers=supervisor)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "withdrawn" and r.json()["drafted_by_name"] == drafter.full_name
    r = await client.get("/api/warnings/999999", headers=supervisor)
    assert r.status_code == 404 and r.json()["code"] == "warning_not_found"
    r = await client.get(f"/api/warnings/{wid}", headers=await login(client, "koordinator.dlhk"))
    assert r.status_code == 403 and r.json()["code"] == "warning_forbidden"


@pytest.mark.parametrize(
    "change",
    [
        {"severity": "Terrible"},
        {"area_ids": []},
        {"area_ids": [999_999]},
        {"expires_at": "2001-01-01T00:00:00Z"},
        {"expires_at": "2030-01-01T00:00:00"},  # no time zone
        {"headline": {"id": "Banjir"}},
        {"polygon": {"type": "Point", "coordinates": [122.5, -3.9]}, "area_ids": []},
        {"polygon": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
         "area_ids": []},
    ],
)  # fmt: skip
async def test_bad_drafts_are_refused_and_change_nothing(
    client: Client, db: AsyncSession, clock: Clock, change: dict[str, Any]
) -> None:
    mandonga = await _area(db, "Mandonga")
    headers = await login(client, "supervisor")
    r = await client.post(
        "/api/warnings", json={**_body(clock, [mandonga]), **change}, headers=headers
    )
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["code"] and r.json()["detail"]
    assert await count(db, AreaWarning) == 0
    assert await count(db, AdminAudit, AdminAudit.entity == "area_warning") == 0


async def test_a_drawn_area_covers_the_kecamatan_it_touches(
    client: Client, db: AsyncSession, clock: Clock
) -> None:
    lon, lat = MANDONGA
    square = [[lon - 0.01, lat - 0.01], [lon + 0.01, lat - 0.01], [lon + 0.01, lat + 0.01],
              [lon - 0.01, lat + 0.01], [lon - 0.01, lat - 0.01]]  # fmt: skip
    body = _body(clock, [], polygon={"type": "Polygon", "coordinates": [square]})
    r = await client.post("/api/warnings", json=body, headers=await login(client, "supervisor"))
    assert r.status_code == 201, r.text
    assert r.json()["area_ids"] == [await _area(db, "Mandonga")]


# ------------------------------------------------------------ citizens' opt-in
async def test_citizens_opt_in_without_an_account_and_opt_out(
    client: Client, db: AsyncSession, push: PushService
) -> None:
    mandonga = await _area(db, "Mandonga")
    device = push.subscribe("warga")
    r = await client.post(
        "/api/public/warnings/subscriptions", json={**device, "area_id": mandonga}
    )
    assert r.status_code == 201, r.text
    r = await client.post("/api/public/warnings/subscriptions", json={**device, "area_id": 999_999})
    assert r.status_code == 422 and r.json()["code"] == "warning_area_unknown"
    bad = {**device, "endpoint": "ftp://127.0.0.1/x/y", "area_id": mandonga}
    assert (await client.post("/api/public/warnings/subscriptions", json=bad)).status_code == 422
    assert await count(db, PushSubscription, PushSubscription.warning_area_id == mandonga) == 1
    gone = {"endpoint": device["endpoint"]}
    r = await client.request("DELETE", "/api/public/warnings/subscriptions", json=gone)
    assert r.status_code == 204
    assert await count(db, PushSubscription) == 0
    r = await client.request("DELETE", "/api/public/warnings/subscriptions", json=gone)
    assert r.status_code == 404


async def test_opting_in_is_rate_limited(
    make_app: Any, db: AsyncSession, push: PushService
) -> None:
    mandonga = await _area(db, "Mandonga")
    limited = make_app(**push_fixtures.TEST_OVERRIDES, push_subscribes_per_ip=2)
    async with AsyncTestClient(app=limited, base_url="http://127.0.0.1") as c:
        codes = [
            (
                await c.post(
                    "/api/public/warnings/subscriptions",
                    json={**push.subscribe(), "area_id": mandonga},
                )
            ).status_code
            for _ in range(3)
        ]
    assert codes == [201, 201, 429]


# ------------------------------------------------------------ publishing
async def test_an_approved_warning_reaches_everyone_in_the_area_and_nobody_outside(
    client: Client,
    db: AsyncSession,
    push: PushService,
    push_settings: Settings,
    database_url: str,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One outbox row per statement: a warning to tens of thousands of devices is written in
    # batches (the wire protocol's 32,767 parameters), and no batch may lose a device.
    monkeypatch.setattr(db_push, "NOTIFICATION_BATCH", 1)
    mandonga, kendari = await _area(db, "Mandonga"), await _area(db, "Kendari")
    bpbd = await agency_by_code(db, "BPBD")
    coordinator = await _bpbd_coordinator(db)
    inside, outside, resting = [
        await make_user(db, "field_officer", agency_id=bpbd.id) for _ in range(3)
    ]
    at = {"inside": MANDONGA, "outside": KENDARI, "resting": MANDONGA}
    for label, member in (("inside", inside), ("outside", outside), ("resting", resting)):
        lon, lat = at[label]
        await make_team(
            db,
            members=[member],
            agency_id=bpbd.id,
            on_duty=label != "resting",
            last_position=f"SRID=4326;POINT({lon + 0.003} {lat})",
        )
        await add_device(db, push, user=member, label=f"team-{label}", language="id")
    await db.commit()
    for label, area, lang in (
        ("warga-id", mandonga, "id"),
        ("warga-en", mandonga, "en"),
        ("warga-kendari", kendari, "id"),
    ):
        body = {**push.subscribe(label), "area_id": area, "language": lang}
        r = await client.post("/api/public/warnings/subscriptions", json=body)
        assert r.status_code == 201, r.text

    wid = await _drafted(client, await login(client, "supervisor"), _body(clock, [mandonga]))
    approver = await login(client, coordinator.username, "password123")
    async with worker.running(push_settings, database_url, clock=clock):
        started = time.time()
        r = await client.post(f"/api/warnings/{wid}/approve", headers=approver)
        assert r.status_code == 200, r.text
        await push.wait_for(lambda: len(push.received) >= 3, 10, "the three deliveries")
        last = max(m.at for m in push.received)
        # Anything meant for someone outside would have been sent with the rest.
        await push_fixtures.eventually(
            lambda: _settled(db, wid), what="every outbox row of the warning settled"
        )

    assert last - started < 2.0, f"took {last - started:.2f} s"
    got = {m.label: m for m in push.received}
    assert sorted(got) == ["team-inside", "warga-en", "warga-id"]
    assert got["warga-en"].payload["title"] == "Warning: Flooding in Mandonga"
    assert got["warga-id"].payload["title"] == "Peringatan: Banjir di Mandonga"
    assert got["warga-id"].payload["url"] == f"/peringatan/{wid}"
    assert got["team-inside"].payload["kind"] == "warning"
    assert got["team-inside"].urgency == "high" and got["team-inside"].topic


async def _settled(db: AsyncSession, wid: int) -> bool:
    db.expire_all()
    rows = (
        await db.execute(
            select(Notification.status).where(Notification.event_key == f"warning:{wid}")
        )
    ).scalars()
    statuses = list(rows)
    return bool(statuses) and "pending" not in statuses


# ------------------------------------------------------------ CAP 1.2
async def _changed(
    client: Client,
    action: str,
    body: dict[str, Any],
    drafter: dict[str, str],
    approver: dict[str, str],
) -> tuple[int, etree._Element]:
    """Draft an update or cancellation, have the other person approve it, read its CAP."""
    r = await client.post(f"/api/warnings/{action}", json=body, headers=drafter)
    assert r.status_code == 201, r.text
    wid = int(r.json()["id"])
    r = await client.post(f"/api/warnings/{wid}/approve", headers=approver)
    assert r.status_code == 200, r.text
    return wid, _valid_cap((await client.get(f"/api/cap/{wid}.xml")).content)


async def test_cap_alert_update_and_cancel_validate_and_reference_the_original(
    client: Client, db: AsyncSession, clock: Clock
) -> None:
    mandonga = await _area(db, "Mandonga")
    coordinator = await _bpbd_coordinator(db)
    await db.commit()
    supervisor = await login(client, "supervisor")
    approver = await login(client, coordinator.username, "password123")

    first = await _drafted(client, supervisor, _body(clock, [mandonga]))
    assert (await client.get(f"/api/cap/{first}.xml")).status_code == 404  # drafts are not public
    assert (
        await client.post(f"/api/warnings/{first}/approve", headers=approver)
    ).status_code == 200
    r = await client.get(f"/api/cap/{first}.xml")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/cap+xml")
    alert = _valid_cap(r.content)
    assert alert.findtext("cap:msgType", namespaces=CAP) == "Alert"
    assert alert.find("cap:references", CAP) is None
    assert [i.findtext("cap:language", namespaces=CAP) for i in alert.findall("cap:info", CAP)] == [
        "id-ID",
        "en-US",
    ]
    ident = alert.findtext("cap:identifier", namespaces=CAP)
    sender = alert.findtext("cap:sender", namespaces=CAP)
    original = f"{sender},{ident},{alert.findtext('cap:sent', namespaces=CAP)}"

    clock.advance(minutes=1)
    body = _body(clock, [mandonga], severity="Extreme")
    update, updated = await _changed(client, f"{first}/update", body, approver, supervisor)
    assert updated.findtext("cap:msgType", namespaces=CAP) == "Update"
    assert updated.findtext("cap:references", namespaces=CAP) == original
    # The original is superseded: it can no longer be updated or cancelled.
    r = await client.post(
        f"/api/warnings/{first}/cancel",
        json={"instruction": {"id": "Aman.", "en": "All clear."}},
        headers=supervisor,
    )
    assert r.status_code == 409 and r.json()["code"] == "warning_target_inactive"

    clock.advance(minutes=1)
    words = {"instruction": {"id": "Air sudah surut.", "en": "The water has gone down."}}
    cancel, cancelled = await _changed(client, f"{update}/cancel", words, supervisor, approver)
    assert cancelled.findtext("cap:msgType", namespaces=CAP) == "Cancel"
    refs = (cancelled.findtext("cap:references", namespaces=CAP) or "").split(" ")
    assert refs[0] == original and refs[1].split(",")[1].endswith(f".warning.{update}")
    assert (await client.get("/api/public/warnings")).json() == []

    r = await client.get("/api/cap/index.atom")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
    feed = etree.fromstring(r.content)
    atom = {"a": "http://www.w3.org/2005/Atom"}
    links = [e.get("href") for e in feed.findall("a:entry/a:link", atom)]
    assert [link.rsplit("/", 1)[1] for link in links] == [
        f"{cancel}.xml",
        f"{update}.xml",
        f"{first}.xml",
    ]
    assert (await client.get("/api/cap/nope.xml")).status_code == 404
