"""Who may see what (docs/security.md), against a real PostGIS and the real API.

One privacy test creates a case in every sensitive category through every channel (operator
intake, a PBX call turned into a case, a citizen's report, an Open311 POST), works each one to
resolved with photos, then walks every anonymous surface. Then: disputes and ratings of
followers, the dispute window, wrong PINs limited per address, and the public reads staying
fast with adversarial descriptions planted.
"""

from __future__ import annotations

import itertools
import json
import re
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Call, Case, Category
from api.domain.disclosure import SMALL_COUNT_THRESHOLD, public_count
from api.services.calls import sign
from api.services.public_photos import signed_photo_path
from tests.conftest import Clock, login
from tests.factories import category_by_code, field_team
from tests.support import images

Client = AsyncTestClient[Litestar]
V2 = "/open311/v2"
# Named in issue 16; the seed marks these and every other category about a person.
NAMED = {"KDRT", "KEKERASAN_ANAK", "ODGJ", "ORANG_TERLANTAR", "GEPENG", "GAWAT_DARURAT_MEDIS"}
NAMED |= {"KRIMINALITAS"}
CHANNELS = ("operator", "pbx", "citizen", "open311")
# Mandonga, inside Kendari's service area; every case gets its own point near it.
BASE = (-3.9665, 122.5085)
TYPED_ADDRESS = "Jl. Melati No. 7, rumah cat biru belakang masjid"
TYPED_LANDMARK = "belakang masjid Al-Ikhlas"
SEEDS = itertools.count(1)  # every photo different (a case refuses the same photo twice)


@dataclass
class Made:
    reference: str
    category: str
    channel: str
    lat: float
    lon: float
    marker: str  # a unique word in its description and address
    token: str | None = None  # the reporter's tracking token (citizen reports)
    phone: str | None = None
    pin: str | None = None
    photo_ids: list[str] = field(default_factory=list)


class Staff:
    """Signs each user in once per few minutes of the test's clock (argon2 is slow; access
    tokens last 15 minutes) and reuses the header."""

    def __init__(self, client: Client, clock: Clock) -> None:
        self.client = client
        self.clock = clock
        self.headers: dict[str, tuple[datetime, dict[str, str]]] = {}

    async def __call__(self, username: str) -> dict[str, str]:
        held = self.headers.get(username)
        if held is None or self.clock.now - held[0] > timedelta(minutes=5):
            held = (self.clock.now, await login(self.client, username))
            self.headers[username] = held
        return held[1]


def point(i: int) -> tuple[float, float]:
    # About 1 km apart (no case falls within another's duplicate radius), 8 decimals.
    return round(BASE[0] + 0.0101234 * (i % 6), 8), round(BASE[1] + 0.0098765 * (i // 6), 8)


def signed(secret: str, body: dict[str, Any], ts: int) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    return raw, {
        "X-Tanggap-Timestamp": str(ts),
        "X-Tanggap-Signature": sign(secret, str(ts), raw),
        "Content-Type": "application/json",
    }


async def open311_key(client: Client, staff: Staff) -> str:
    r = await client.post(
        "/api/admin/open311-keys", headers=await staff("admin"), json={"name": "Portal Kota"}
    )
    assert r.status_code == 201, r.text
    return str(r.json()["api_key"])


async def create(
    client: Client,
    db: AsyncSession,
    clock: Clock,
    staff: Staff,
    key: str,
    category: str,
    channel: str,
    i: int,
    *,
    sensitive: bool = False,
) -> Made:
    lat, lon = point(i)
    marker = f"PRIV{i:03d}{category[:4]}"
    phone = f"0812{5000_0000 + i:08d}"
    cat = await category_by_code(db, category)
    if channel in ("operator", "pbx"):
        call_id = None
        if channel == "pbx":
            ts = int(clock.now.timestamp())
            raw, headers = signed(
                client.app.state.pbx_secret,
                {
                    "event": "call.started",
                    "call_id": f"pbx-{i}",
                    "at": clock.now.isoformat(),
                    "number": phone,
                },
                ts,
            )
            r = await client.post("/api/pbx/events", content=raw, headers=headers)
            assert r.status_code == 200, r.text
            call_id = await db.scalar(select(Call.id).where(Call.pbx_call_id == f"pbx-{i}"))
        body: dict[str, Any] = {
            "category_id": cat.id,
            "lat": lat,
            "lon": lon,
            "description": f"Penelepon {marker} melapor, korban di rumah",
            "address": f"{TYPED_ADDRESS} {marker}",
            "landmark": TYPED_LANDMARK,
            "sensitive": sensitive,
        }
        if call_id is not None:
            body["call_id"] = call_id
        else:
            body["reporter"] = {"name": f"Penelepon {marker}", "phone": phone}
        r = await client.post("/api/cases", headers=await staff("operator"), json=body)
        assert r.status_code == 201, r.text
        out = r.json()
        tracking = out["caller_tracking"]
        assert tracking["code"] == out["reference"] and re.fullmatch(r"\d{6}", tracking["pin"])
        return Made(
            out["reference"], category, channel, lat, lon, marker, phone=phone, pin=tracking["pin"]
        )
    if channel == "citizen":
        r = await client.post(
            "/api/public/reports",
            json={
                "category": category,
                "description": f"Tolong {marker}, hubungi saya",
                "lat": lat,
                "lon": lon,
                "location_source": "gps",
                "address": f"Rumah {marker}",
                "phone": phone,
            },
        )
        assert r.status_code == 201, r.text
        out = r.json()
        made = Made(
            out["reference"],
            category,
            channel,
            lat,
            lon,
            marker,
            token=out["tracking_token"],
            phone=phone,
            pin=out["pin"],
        )
        r = await client.post(
            out["photos_url"],
            headers={"X-Tracking-Token": made.token or ""},
            files=[("files", (f"{marker}.jpg", images.jpeg(seed=next(SEEDS)), "image/jpeg"))],
        )
        assert r.status_code == 201, r.text
        made.photo_ids += [p["id"] for p in r.json()["photos"]]
        return made
    r = await client.post(
        f"{V2}/requests.json",
        data={
            "api_key": key,
            "service_code": category,
            "lat": str(lat),
            "long": str(lon),
            "address_string": f"Alamat {marker}",
            "description": f"Laporan portal {marker}",
            "phone": phone,
        },
    )
    assert r.status_code == 200, r.text
    return Made(r.json()[0]["service_request_id"], category, channel, lat, lon, marker)


async def work_to_resolved(
    client: Client, db: AsyncSession, clock: Clock, staff: Staff, made: Made, *, publish: bool
) -> None:
    """Assigned, accepted, en route, on scene, a team photo (published when asked), resolved."""
    db.expire_all()
    case = (await db.execute(select(Case).where(Case.reference == made.reference))).scalar_one()
    team, officer = await field_team(db, case.agency_id)
    r = await client.post(
        f"/api/cases/{case.id}/assign",
        headers=await staff("dispatcher"),
        json={"team_id": team.id, "version": case.version},
    )
    assert r.status_code == 200, r.text
    version = r.json()["version"]
    for action in ("accept", "en_route", "on_scene"):
        clock.advance(minutes=1)
        r = await client.post(
            f"/api/cases/{case.id}/transitions",
            headers=await staff(officer),
            json={"action": action, "version": version},
        )
        assert r.status_code == 200, (action, r.text)
        version = r.json()["version"]
    r = await client.post(
        f"/api/cases/{case.id}/photos",
        headers=await staff(officer),
        files=[("files", (f"tim-{made.marker}.jpg", images.jpeg(seed=next(SEEDS)), "image/jpeg"))],
    )
    assert r.status_code == 201, r.text
    team_photo = r.json()["photos"][0]["id"]
    made.photo_ids.append(team_photo)
    if publish:
        r = await client.post(
            f"/api/photos/{team_photo}/publish",
            headers=await staff("dispatcher"),
            json={"published": True},
        )
        assert r.status_code == 200 and r.json()["published"] is True, r.text
    clock.advance(minutes=5)
    r = await client.post(
        f"/api/cases/{case.id}/transitions",
        headers=await staff(officer),
        json={"action": "resolve", "version": version, "note": "Sudah ditangani"},
    )
    assert r.status_code == 200, r.text


def texts_of(responses: list[httpx.Response]) -> str:
    """The answers that carried data (a refusal only echoes what was asked)."""
    return "\n".join(r.text for r in responses if r.status_code < 400)


async def test_no_anonymous_surface_reveals_a_sensitive_case_or_what_staff_typed(
    client: Client, db: AsyncSession, clock: Clock
) -> None:
    staff = Staff(client, clock)
    key = await open311_key(client, staff)
    # The reference seed marks every category about a person sensitive.
    sensitive = list(
        (
            await db.execute(
                select(Category.code).where(Category.sensitive).order_by(Category.code)
            )
        ).scalars()
    )
    assert set(sensitive) > NAMED, sensitive
    assert {"PENYELAMATAN_ORANG", "ORANG_TENGGELAM"} < set(sensitive)
    hidden: list[Made] = []
    i = 0
    for code in sensitive:
        for channel in CHANNELS:
            hidden.append(await create(client, db, clock, staff, key, code, channel, i))
            i += 1
    # A case about a place, marked sensitive by the operator (a victim was named).
    hidden.append(
        await create(client, db, clock, staff, key, "POHON_TUMBANG", "operator", i, sensitive=True)
    )
    i += 1
    # Not sensitive, typed by staff: public, but never the typed address or the exact point.
    staff_cases = [
        await create(client, db, clock, staff, key, "POHON_TUMBANG", channel, i + n)
        for n, channel in enumerate(("operator", "pbx"))
    ]
    i += 2
    # Not sensitive, from a citizen: a positive control (it does show).
    shown = await create(client, db, clock, staff, key, "POHON_TUMBANG", "citizen", i + 6)
    for made in [*hidden, *staff_cases, shown]:
        await work_to_resolved(client, db, clock, staff, made, publish=True)
        clock.advance(minutes=1)
    db.expire_all()
    for made in hidden:
        case = (await db.execute(select(Case).where(Case.reference == made.reference))).scalar_one()
        assert case.sensitive, made

    # ---- every anonymous surface, JSON and XML
    anon: list[httpx.Response] = []

    async def get(url: str, **params: Any) -> httpx.Response:
        r = await client.get(url, params=params or None)
        anon.append(r)
        return r

    lists = [
        await get(f"{V2}/requests.json"),
        await get(f"{V2}/requests.xml"),
        await get(f"{V2}/requests"),
        await get(f"{V2}/requests.json", status="closed"),
        await get(f"{V2}/servicerequestupdates.json"),
        await get(f"{V2}/servicerequestupdates.xml"),
    ]
    for code in (*sensitive, "POHON_TUMBANG"):
        lists.append(await get(f"{V2}/requests.json", service_code=code))
        lists.append(await get(f"{V2}/requests.xml", service_code=code))
    assert all(r.status_code == 200 for r in lists), [r.text for r in lists if r.status_code != 200]
    listed = {r["service_request_id"] for r in lists[0].json()}
    assert shown.reference in listed and all(m.reference in listed for m in staff_cases)
    for made in hidden:
        for fmt in ("json", "xml"):
            r = await get(f"{V2}/requests/{made.reference}.{fmt}")
            assert r.status_code == 404, (made, r.text)
        r = await get("/api/public/similar", category=made.category, lat=made.lat, lon=made.lon)
        assert r.status_code == 200 and r.json() == [], (made, r.text)
        # Following as a stranger: the same 404 as an unknown reference.
        r = await client.post(f"/api/public/cases/{made.reference}/follow", json={})
        anon.append(r)
        assert r.status_code == 404 and r.json()["code"] == "case_not_found", (made, r.text)
        # The public case view needs the reporter's credentials.
        r = await get(f"/api/public/cases/{made.reference}")
        assert r.status_code == 401, r.text
        # No public photo, even behind a correctly signed URL or the reporter's own token.
        for photo_id in made.photo_ids:
            url = signed_photo_path(
                client.app.state.photo_url_key, uuid.UUID(photo_id), "thumb", clock.now
            )
            assert (await get(url)).status_code == 404
            if made.token:
                r = await client.get(
                    f"/api/public/photos/{photo_id}", headers={"X-Tracking-Token": made.token}
                )
                assert r.status_code == 404
    similar_staff = [
        await get("/api/public/similar", category="POHON_TUMBANG", lat=m.lat, lon=m.lon)
        for m in staff_cases
    ]
    for r, made in zip(similar_staff, staff_cases, strict=True):
        [near] = [n for n in r.json() if n["reference"] == made.reference]
        assert near["address"] == "" and near["description"] is None
        assert (near["lat"], near["lon"]) == (round(made.lat, 3), round(made.lon, 3))
    for made in staff_cases:
        [one] = (await get(f"{V2}/requests/{made.reference}.json")).json()
        assert (one["lat"], one["long"]) == (round(made.lat, 3), round(made.lon, 3))
        assert one["description"] is None
        await get(f"{V2}/requests/{made.reference}.xml")
    # Public figures: none is served without an account (the stats are for staff).
    for path in ("/api/stats/cases", "/api/stats/hotspots", "/api/stats/monthly"):
        assert (await get(path)).status_code == 401, path
    assert public_count(SMALL_COUNT_THRESHOLD - 1) is None
    assert public_count(SMALL_COUNT_THRESHOLD) == SMALL_COUNT_THRESHOLD

    everything = texts_of(anon)
    for made in hidden:
        assert made.reference not in everything, made
        assert made.marker not in everything, made
    for made in staff_cases:
        assert made.reference in everything
        assert made.marker not in everything, made
        assert TYPED_LANDMARK not in everything
        for coordinate in (made.lat, made.lon):
            assert f"{coordinate:.5f}"[:-1] not in everything, (made, coordinate)
    assert "Melati" not in everything
    assert shown.marker in everything  # the citizen's own words do show

    # ---- the reporter of a sensitive case still tracks it: status words and times only
    for made in hidden:
        if made.token:
            headers = {"X-Tracking-Token": made.token}
        elif made.pin and made.phone:
            headers = {"X-Reporter-Phone": made.phone, "X-Tracking-Pin": made.pin}
        else:
            continue  # an Open311 client's reporter has no credentials here
        r = await client.get(f"/api/public/cases/{made.reference}", headers=headers)
        assert r.status_code == 200, (made, r.text)
        view = r.json()
        assert view["status"] == "selesai" and view["timeline"]
        assert view["address"] == "" and view["description"] is None and view["area"] is None
        assert view["lat"] is None and view["lon"] is None and view["photos"] == []
        assert {e["kind"] for e in view["timeline"]} <= {
            "created", "dispatched", "accepted", "en_route", "on_scene", "resolved", "closed",
        }  # fmt: skip
        assert made.marker not in r.text


async def resolved_citizen_case(
    client: Client, db: AsyncSession, clock: Clock, staff: Staff, i: int
) -> tuple[Made, dict[str, Any]]:
    made = await create(client, db, clock, staff, "", "POHON_TUMBANG", "citizen", i)
    r = await client.post(f"/api/public/cases/{made.reference}/follow", json={})
    assert r.status_code == 201, r.text
    follower = r.json()
    await work_to_resolved(client, db, clock, staff, made, publish=False)
    return made, follower


async def test_only_the_original_reporter_disputes_once_within_the_window(
    client: Client, db: AsyncSession, clock: Clock
) -> None:
    staff = Staff(client, clock)
    made, follower = await resolved_citizen_case(client, db, clock, staff, 0)
    as_follower = {"X-Tracking-Token": follower["tracking_token"]}
    as_reporter = {"X-Tracking-Token": made.token or ""}
    url = f"/api/public/cases/{made.reference}"
    # The follower sees status only and can neither dispute nor rate.
    view = (await client.get(url, headers=as_follower)).json()
    assert view["can_dispute"] is False and view["can_rate"] is False
    assert view["address"] == "" and view["photos"] == [] and view["lat"] is None
    r = await client.post(f"{url}/dispute", headers=as_follower, json={"reason": "Belum beres"})
    assert r.status_code == 403 and r.json()["code"] == "dispute_followers_cannot", r.text
    r = await client.post(f"{url}/rating", headers=as_follower, json={"score": 1})
    assert r.status_code == 403 and r.json()["code"] == "rating_followers_cannot", r.text
    # The reporter disputes once; after the case is resolved again, not a second time.
    assert (await client.get(url, headers=as_reporter)).json()["can_dispute"] is True
    r = await client.post(f"{url}/dispute", headers=as_reporter, json={"reason": "Belum beres"})
    assert r.status_code == 200, r.text
    db.expire_all()
    case = (await db.execute(select(Case).where(Case.reference == made.reference))).scalar_one()
    assert case.status == "reopened"
    await work_to_resolved(client, db, clock, staff, made, publish=False)
    assert (await client.get(url, headers=as_reporter)).json()["can_dispute"] is False
    r = await client.post(f"{url}/dispute", headers=as_reporter, json={"reason": "Masih belum"})
    assert r.status_code == 409 and r.json()["code"] == "dispute_already_made", r.text

    # Another case: the window (TANGGAP_DISPUTE_DAYS, 7 by default) closes.
    late, _ = await resolved_citizen_case(client, db, clock, staff, 1)
    clock.advance(days=7, minutes=1)
    late_url = f"/api/public/cases/{late.reference}"
    as_late = {"X-Tracking-Token": late.token or "", "Accept-Language": "en"}
    assert (await client.get(late_url, headers=as_late)).json()["can_dispute"] is False
    r = await client.post(f"{late_url}/dispute", headers=as_late, json={"reason": "Belum beres"})
    assert r.status_code == 409 and r.json()["code"] == "dispute_window_closed", r.text
    assert "7 days" in r.json()["detail"]


class Peers:
    """The app as reached from several client addresses: the test picks the TCP peer with
    a header only this wrapper reads (the test client always says "testclient")."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            peer = headers.get(b"x-test-peer")
            if peer:
                scope = {**scope, "client": (peer.decode(), 40000)}
        await self.app(scope, receive, send)


async def test_wrong_pins_from_one_address_never_lock_out_another(
    client: Client, db: AsyncSession, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    staff = Staff(client, clock)
    made = await create(client, db, clock, staff, "", "POHON_TUMBANG", "operator", 0)
    assert made.pin and made.phone
    wrong = str((int(made.pin) + 1) % 1_000_000).zfill(6)
    url = f"/api/public/cases/{made.reference}"
    monkeypatch.setattr(client, "app", Peers(client.app))
    stranger = {"X-Test-Peer": "203.0.113.7", "X-Reporter-Phone": made.phone}
    reporter = {"X-Test-Peer": "198.51.100.20", "X-Reporter-Phone": made.phone}
    for _ in range(5):
        r = await client.get(url, headers={**stranger, "X-Tracking-Pin": wrong})
        assert r.status_code == 404 and r.json()["code"] == "case_not_found", r.text
    # The stranger's address is stopped, even with the right PIN...
    r = await client.get(url, headers={**stranger, "X-Tracking-Pin": made.pin})
    assert r.status_code == 429 and r.json()["code"] == "pin_rate_limited", r.text
    # ...but the real reporter, from their own address, is not locked out.
    r = await client.get(url, headers={**reporter, "X-Tracking-Pin": made.pin})
    assert r.status_code == 200 and r.json()["reference"] == made.reference, r.text


# --------------------------------------------------------------- redaction speed
BENIGN = ("Jalan berlubang di depan sekolah, sudah lama rusak dan membahayakan. " * 60)[:4000]
# Crafted against a backtracking e-mail pattern ("a.a.a.a...") and a phone pattern.
ADVERSARIAL = [("a." * 2000)[:4000], ("1 " * 2000)[:3999] + "x", ("x@" * 2000)[:4000]]


async def p95(call: Callable[[], Awaitable[httpx.Response]], samples: int) -> float:
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        r = await call()
        times.append(time.perf_counter() - started)
        assert r.status_code == 200, r.text
    return statistics.quantiles(times, n=20)[18]


async def test_adversarial_descriptions_leave_public_reads_fast(
    make_app: Callable[..., Litestar], clock: Clock
) -> None:
    app = make_app(public_reports_per_ip=100)
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as client:
        lat, lon = BASE

        async def plant(description: str, n: int) -> None:
            r = await client.post(
                "/api/public/reports",
                json={
                    "category": "JALAN_RUSAK",
                    "description": description,
                    "lat": lat + 0.00001 * n,
                    "lon": lon,
                },
            )
            assert r.status_code == 201, r.text

        def similar() -> Awaitable[httpx.Response]:
            return client.get(
                "/api/public/similar", params={"category": "JALAN_RUSAK", "lat": lat, "lon": lon}
            )

        def requests() -> Awaitable[httpx.Response]:
            return client.get(f"{V2}/requests.json")

        for n in range(10):
            await plant(BENIGN, n)
        await similar()
        await requests()  # warm

        # The best of three p95s per phase: one busy moment on a shared machine is not the code.
        async def steady_p95(call: Callable[[], Awaitable[httpx.Response]]) -> float:
            return min([await p95(call, 40) for _ in range(3)])

        normal = (await steady_p95(similar), await steady_p95(requests))
        for n in range(10):
            await plant(ADVERSARIAL[n % len(ADVERSARIAL)], 10 + n)
        assert len((await similar()).json()) == 10
        assert len((await requests()).json()) == 20
        planted = (await steady_p95(similar), await steady_p95(requests))
        # The list doubled (10 → 20 reports), so twice the time is the honest floor; what this
        # guards against (a pattern that backtracks, a quadratic scan) costs orders of magnitude,
        # and a machine shared with other runs has shown 4.5x here for the plain doubling.
        for before, after in zip(normal, planted, strict=True):
            assert after <= 6 * before, (normal, planted)
