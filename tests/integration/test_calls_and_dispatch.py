"""Calls, the PBX webhook, duplicates, routing, the map layer and team positions."""

from __future__ import annotations

import json
from datetime import timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Agency, Area, Call, Category, Team, TeamPosition
from api.seed import categories as seed_categories
from api.services.calls import sign
from tests.conftest import Clock, login
from tests.factories import agency_by_code, category_by_code

Client = AsyncTestClient[Litestar]


# ------------------------------------------------------------------ calls
async def test_a_short_silent_call_is_logged_as_ghost(client: Client, clock: Clock) -> None:
    op = await login(client, "operator")
    start = clock.now - timedelta(seconds=20)
    r = await client.post(
        "/api/calls",
        headers=op,
        json={
            "number": "081299990001",
            "started_at": start.isoformat(),
            "ended_at": (start + timedelta(seconds=6)).isoformat(),
        },
    )
    assert r.status_code == 201 and r.json()["class"] == "ghost" and r.json()["duration_s"] == 6
    r = await client.post(
        "/api/calls",
        headers=op,
        json={"number": "081299990001", "duration_s": 6, "notes": "Penelepon menyebut alamat"},
    )
    assert r.json()["class"] is None
    r = await client.post(
        "/api/calls", headers=op, json={"number": "081299990001", "duration_s": 45}
    )
    assert r.json()["class"] is None
    cid = r.json()["id"]
    r = await client.patch(f"/api/calls/{cid}", headers=op, json={"class": "informasi"})
    assert r.status_code == 200 and r.json()["class"] == "informasi"
    r = await client.patch(f"/api/calls/{cid}", headers=op, json={"class": "bogus"})
    assert r.status_code == 400


async def test_repeated_pranks_flag_the_number_for_24_hours(
    client: Client,
    clock: Clock,
    make_app,  # type: ignore[no-untyped-def]
) -> None:
    op = await login(client, "operator")
    number = "+6281211112222"
    for i in range(3):
        r = await client.post(
            "/api/calls",
            headers=op,
            json={
                "number": number,
                "duration_s": 30,
                "class": "prank",
                "started_at": (clock.now - timedelta(hours=3 - i)).isoformat(),
            },
        )
        assert r.status_code == 201
        h = (
            await client.get("/api/calls/history", headers={**op, "X-Caller-Number": number})
        ).json()
        assert h["prank_count"] == i + 1
        assert h["flagged"] is (i == 2)
    last = clock.now - timedelta(hours=1)
    assert h["flagged_until"].startswith((last + timedelta(hours=24)).strftime("%Y-%m-%dT%H"))
    flagged = (await client.get("/api/calls/flagged-numbers", headers=op)).json()
    assert [f["number"] for f in flagged] == [number]
    # The PBX reads the same list with a signature instead of a login.
    ts = str(int(clock.now.timestamp()))
    secret = client.app.state.pbx_secret
    r = await client.get(
        "/api/calls/flagged-numbers",
        headers={"X-Tanggap-Timestamp": ts, "X-Tanggap-Signature": sign(secret, ts, b"")},
    )
    assert r.status_code == 200 and r.json()[0]["number"] == number
    r = await client.get(
        "/api/calls/flagged-numbers",
        headers={"X-Tanggap-Timestamp": ts, "X-Tanggap-Signature": "0" * 64},
    )
    assert r.status_code == 401
    assert (await client.get("/api/calls/flagged-numbers")).status_code == 401
    # A day later the flag has lapsed.
    clock.advance(hours=24)
    op = await login(client, "operator")
    h = (await client.get("/api/calls/history", headers={**op, "X-Caller-Number": number})).json()
    assert h["flagged"] is False and h["prank_count"] == 3


async def test_caller_history_shows_earlier_calls_and_cases(
    client: Client,
    db: AsyncSession,
) -> None:
    op = await login(client, "operator")
    call = (
        await client.post(
            "/api/calls", headers=op, json={"number": "081233334444", "duration_s": 60}
        )
    ).json()
    cat = await category_by_code(db, "LAMPU_JALAN")
    case = (
        await client.post(
            "/api/cases",
            headers=op,
            json={
                "category_id": cat.id,
                "lat": -3.99,
                "lon": 122.52,
                "description": "Lampu jalan mati",
                "call_id": call["id"],
            },
        )
    ).json()
    h = (
        await client.get(
            "/api/calls/history", headers={**op, "X-Caller-Number": "+62 812-3333-4444"}
        )
    ).json()
    assert h["number"] == "+6281233334444"
    assert [c["id"] for c in h["calls"]] == [call["id"]]
    assert [c["reference"] for c in h["cases"]] == [case["reference"]]
    fo = await login(client, "petugas.dlhk")
    assert (
        await client.get("/api/calls/history", headers={**fo, "X-Caller-Number": "081233334444"})
    ).status_code == 403


def _signed(secret: str, body: dict, ts: int) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    return raw, {
        "X-Tanggap-Timestamp": str(ts),
        "X-Tanggap-Signature": sign(secret, str(ts), raw),
        "Content-Type": "application/json",
    }


async def test_pbx_webhook_opens_locates_and_closes_calls(
    client: Client, db: AsyncSession, clock: Clock
) -> None:
    secret = client.app.state.pbx_secret
    ts = int(clock.now.timestamp())
    at = clock.now.isoformat()
    for i, body in enumerate(
        [
            {"event": "call.started", "call_id": "pbx-1", "at": at, "number": "081277778888"},
            {
                "event": "call.location",
                "call_id": "pbx-1",
                "at": at,
                "lat": -3.97,
                "lon": 122.51,
                "accuracy_m": 30,
                "source": "aml",
            },
            {"event": "call.ended", "call_id": "pbx-1", "at": at, "duration_s": 4},
        ]
    ):
        raw, headers = _signed(secret, body, ts + i)
        r = await client.post("/api/pbx/events", content=raw, headers=headers)
        assert r.status_code == 200, r.text
    call = (await db.execute(select(Call).where(Call.pbx_call_id == "pbx-1"))).scalar_one()
    assert call.number == "+6281277778888" and call.duration_s == 4
    assert call.call_class == "ghost"  # 4 seconds, nothing logged
    assert call.location_source == "aml" and call.location is not None


async def test_pbx_webhook_refuses_bad_signatures_stale_and_replayed_requests(
    client: Client,
    db: AsyncSession,
    clock: Clock,
) -> None:
    secret = client.app.state.pbx_secret
    ts = int(clock.now.timestamp())
    body = {
        "event": "call.started",
        "call_id": "pbx-9",
        "at": clock.now.isoformat(),
        "number": "081277770000",
    }
    raw, headers = _signed(secret, body, ts)
    bad = {**headers, "X-Tanggap-Signature": sign("wrong-secret", str(ts), raw)}
    r = await client.post("/api/pbx/events", content=raw, headers=bad)
    assert r.status_code == 401 and r.json()["code"] == "webhook_signature_invalid"
    tampered = raw.replace(b"081277770000", b"081277770001")
    r = await client.post("/api/pbx/events", content=tampered, headers=headers)
    assert r.status_code == 401
    old_raw, old_headers = _signed(secret, body, ts - 3600)
    r = await client.post("/api/pbx/events", content=old_raw, headers=old_headers)
    assert r.status_code == 401 and r.json()["code"] == "webhook_stale"
    r = await client.post(
        "/api/pbx/events",
        content=raw,
        headers={k: v for k, v in headers.items() if not k.startswith("X-")},
    )
    assert r.status_code == 401
    assert (await db.execute(select(func.count()).select_from(Call))).scalar() == 0
    r = await client.post("/api/pbx/events", content=raw, headers=headers)
    assert r.status_code == 200
    r = await client.post("/api/pbx/events", content=raw, headers=headers)
    assert r.status_code == 409 and r.json()["code"] == "webhook_replayed"
    assert (await db.execute(select(func.count()).select_from(Call))).scalar() == 1


# ------------------------------------------------------------- duplicates
async def test_similar_cases_are_suggested_and_a_duplicate_merges(
    client: Client,
    db: AsyncSession,
) -> None:
    op = await login(client, "operator")
    cat = await category_by_code(db, "POHON_TUMBANG")  # radius 100 m
    first = (
        await client.post(
            "/api/cases",
            headers=op,
            json={
                "category_id": cat.id,
                "lat": -3.9700,
                "lon": 122.5100,
                "description": "Pohon tumbang",
                "reporter": {"name": "Ibu Ani", "phone": "081200000001"},
            },
        )
    ).json()
    far = (
        await client.post(
            "/api/cases",
            headers=op,
            json={
                "category_id": cat.id,
                "lat": -3.9800,
                "lon": 122.5100,
                "description": "Pohon tumbang lain",
            },
        )
    ).json()
    other_cat = await category_by_code(db, "LAMPU_JALAN")
    await client.post(
        "/api/cases",
        headers=op,
        json={
            "category_id": other_cat.id,
            "lat": -3.9700,
            "lon": 122.5100,
            "description": "Lampu mati",
        },
    )
    r = await client.get(
        "/api/cases/similar?category=POHON_TUMBANG&lat=-3.9704&lon=122.5101", headers=op
    )
    assert r.status_code == 200
    sim = r.json()
    assert [s["case"]["id"] for s in sim] == [first["id"]]
    assert 40 < sim[0]["distance_m"] < 60
    assert far["id"] not in [s["case"]["id"] for s in sim]
    second = (
        await client.post(
            "/api/cases",
            headers=op,
            json={
                "category_id": cat.id,
                "lat": -3.9704,
                "lon": 122.5101,
                "description": "Pohon tumbang juga",
                "reporter": {"phone": "081200000002"},
            },
        )
    ).json()
    sim = (
        await client.get(f"/api/cases/similar?category={cat.id}&lat=-3.97&lon=122.51", headers=op)
    ).json()
    assert [s["case"]["id"] for s in sim] == [first["id"], second["id"]]
    r = await client.post(
        f"/api/cases/{second['id']}/merge",
        headers=op,
        json={"parent_id": first["id"], "version": 1},
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "duplicate" and r.json()["duplicate_of_id"] == first["id"]
    parent = (await client.get(f"/api/cases/{first['id']}", headers=op)).json()
    assert sorted(p["phone"] for p in parent["reporters"]) == ["+6281200000001", "+6281200000002"]
    assert parent["timeline"][-1]["kind"] == "merged"
    assert parent["timeline"][-1]["data"]["child_reference"] == second["reference"]
    child = (await client.get(f"/api/cases/{second['id']}", headers=op)).json()
    assert child["timeline"][-1]["kind"] == "duplicate"
    assert child["timeline"][-1]["data"]["parent_reference"] == first["reference"]
    # A duplicate is no longer suggested; merging into a duplicate is refused.
    sim = (
        await client.get(f"/api/cases/similar?category={cat.id}&lat=-3.97&lon=122.51", headers=op)
    ).json()
    assert [s["case"]["id"] for s in sim] == [first["id"]]
    r = await client.post(
        f"/api/cases/{far['id']}/merge", headers=op, json={"parent_id": second["id"], "version": 1}
    )
    assert r.status_code == 422 and r.json()["code"] == "merge_target_closed"
    r = await client.post(
        f"/api/cases/{far['id']}/merge", headers=op, json={"parent_id": far["id"], "version": 1}
    )
    assert r.status_code == 422


# ----------------------------------------------------------------- routing
async def test_every_kendari_category_routes_to_its_agency(
    client: Client, db: AsyncSession
) -> None:
    op = await login(client, "operator")
    agencies = {a.code: a.id for a in (await db.execute(select(Agency))).scalars()}
    cats = {c.code: c for c in (await db.execute(select(Category))).scalars()}
    rows = seed_categories()
    assert len(rows) == 38
    for row in rows:
        cat = cats[row["code"]]
        r = await client.post(
            "/api/cases",
            headers=op,
            json={
                "category_id": cat.id,
                "lat": -3.99,
                "lon": 122.52,
                "description": f"Uji {row['code']}",
            },
        )
        assert r.status_code == 201, r.text
        case = r.json()
        assert case["agency_id"] == agencies[row["agency"]], row["code"]
        assert case["priority"] == row["priority"]
        detail = (await client.get(f"/api/cases/{case['id']}", headers=op)).json()
        support = detail["timeline"][0]["data"]["supporting_agency_ids"]
        expected = sorted(agencies[a] for a in row["support_agencies"].split(";") if a)
        assert support == expected, row["code"]


async def test_an_area_rule_overrides_the_category_agency(client: Client, db: AsyncSession) -> None:
    admin = await login(client, "admin")
    poasia = (await db.execute(select(Area).where(Area.name == "Poasia"))).scalar_one()
    cat = await category_by_code(db, "SARANG_TAWON")  # Damkar by default
    bpbd = await agency_by_code(db, "BPBD")
    team = (await db.execute(select(Team).where(Team.name == "TRC BPBD"))).scalar_one()
    r = await client.post(
        "/api/admin/routing-rules",
        headers=admin,
        json={
            "area_id": poasia.id,
            "category_id": cat.id,
            "agency_id": bpbd.id,
            "team_id": team.id,
        },
    )
    assert r.status_code == 201, r.text
    r = await client.post("/api/admin/routing-rules", headers=admin, json={"area_id": poasia.id})
    assert r.status_code == 422
    op = await login(client, "operator")
    inside = (
        await client.post(
            "/api/cases",
            headers=op,
            json={
                "category_id": cat.id,
                "lat": -4.017,
                "lon": 122.545,
                "description": "Sarang tawon",
            },
        )
    ).json()
    assert inside["area_name"] == "Poasia" and inside["agency_id"] == bpbd.id
    sugg = (await client.get(f"/api/cases/{inside['id']}/team-suggestions", headers=op)).json()
    assert sugg[0]["team_id"] == team.id and sugg[0]["preferred"] is True
    outside = (
        await client.post(
            "/api/cases",
            headers=op,
            json={
                "category_id": cat.id,
                "lat": -3.966,
                "lon": 122.508,
                "description": "Sarang tawon",
            },
        )
    ).json()
    assert outside["area_name"] == "Mandonga" and outside["agency_id"] == cat.agency_id


async def test_area_polygons_win_over_nearest_centre(client: Client, db: AsyncSession) -> None:
    admin = await login(client, "admin")
    # A square around a point that is nearest to Kadia's centre, drawn as "Kambu".
    kambu = (await db.execute(select(Area).where(Area.name == "Kambu"))).scalar_one()
    square = {
        "type": "Polygon",
        "coordinates": [
            [[122.51, -4.0], [122.52, -4.0], [122.52, -3.99], [122.51, -3.99], [122.51, -4.0]]
        ],
    }
    r = await client.patch(f"/api/admin/areas/{kambu.id}", headers=admin, json={"boundary": square})
    assert r.status_code == 200, r.text
    op = await login(client, "operator")
    cat = await category_by_code(db, "JALAN_RUSAK")
    case = (
        await client.post(
            "/api/cases",
            headers=op,
            json={
                "category_id": cat.id,
                "lat": -3.995,
                "lon": 122.515,
                "description": "Jalan berlubang",
            },
        )
    ).json()
    assert case["area_name"] == "Kambu"


# ------------------------------------------------------------------ the map
async def test_bbox_geojson_is_valid_rfc7946_in_lon_lat_order(
    client: Client, db: AsyncSession
) -> None:
    op = await login(client, "operator")
    cat = await category_by_code(db, "BANJIR")
    inside = (
        await client.post(
            "/api/cases",
            headers=op,
            json={"category_id": cat.id, "lat": -3.97, "lon": 122.51, "description": "Banjir"},
        )
    ).json()
    await client.post(
        "/api/cases",
        headers=op,
        json={"category_id": cat.id, "lat": -4.05, "lon": 122.62, "description": "Banjir jauh"},
    )
    r = await client.get("/api/cases.geojson?bbox=122.50,-3.98,122.52,-3.96", headers=op)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["type"] == "FeatureCollection"
    assert len(fc["features"]) == 1
    f = fc["features"][0]
    assert f["type"] == "Feature" and f["id"] == inside["id"]
    assert f["geometry"] == {"type": "Point", "coordinates": [122.51, -3.97]}
    assert f["properties"]["reference"] == inside["reference"]
    assert f["properties"]["public_status"] == "belum_ditindaklanjuti"
    assert f["properties"]["status"] == "new" and f["properties"]["overdue"] is False
    assert f["properties"]["category"] == "BANJIR" and f["properties"]["team_id"] is None
    assert set(f) == {"type", "id", "geometry", "properties"}
    for bad in ["1,2,3", "a,b,c,d", "122.6,-3.9,122.5,-4.0", "0,100,1,101"]:
        r = await client.get(f"/api/cases.geojson?bbox={bad}", headers=op)
        assert r.status_code == 400, bad
    fo = await login(client, "petugas.dlhk")  # Banjir belongs to BPBD
    fc = (await client.get("/api/cases.geojson?bbox=122.4,-4.1,122.7,-3.9", headers=fo)).json()
    assert fc["features"] == []


async def test_the_map_layer_filters_as_the_case_list_does(
    client: Client, db: AsyncSession, clock: Clock
) -> None:
    """The map's statement is compiled once per filter shape and run on the driver; the list's
    goes through SQLAlchemy. Both take the same conditions: every map filter, alone and
    combined, finds the list's cases, and the overdue flag follows the clock."""
    op = await login(client, "operator")
    banjir = await category_by_code(db, "BANJIR")
    parkir = await category_by_code(db, "PARKIR_LIAR")
    seeded = [
        (banjir.id, "P1", -3.97, 122.51),
        (banjir.id, "P3", -3.975, 122.515),
        (parkir.id, "P3", -3.965, 122.505),
    ]
    for category_id, priority, lat, lon in seeded:
        clock.advance(seconds=1)
        body = {"category_id": category_id, "priority": priority, "lat": lat, "lon": lon}
        r = await client.post("/api/cases", headers=op, json=body | {"description": "Peta"})
        assert r.status_code == 201, r.text
    box = "bbox=122.50,-3.98,122.52,-3.96"
    filters = [
        "",
        f"&category_id={banjir.id}",
        "&priority=P3",
        f"&category_id={banjir.id}&priority=P3",
        "&status=new,dispatched",
        "&status=resolved",
        f"&agency_id={banjir.agency_id}",
        "&overdue=false",
        "&overdue=true",
    ]

    async def both(query: str) -> tuple[set[str], set[str]]:
        fc = (await client.get(f"/api/cases.geojson?{box}{query}", headers=op)).json()
        listed = (await client.get(f"/api/cases?{box}{query}&limit=50", headers=op)).json()
        return {f["id"] for f in fc["features"]}, {c["id"] for c in listed["items"]}

    found = {}
    for query in filters:
        on_map, in_list = await both(query)
        assert on_map == in_list, query
        found[query] = len(on_map)
    assert found == {
        "": 3,
        f"&category_id={banjir.id}": 2,
        "&priority=P3": 2,
        f"&category_id={banjir.id}&priority=P3": 1,
        "&status=new,dispatched": 3,
        "&status=resolved": 0,
        f"&agency_id={banjir.agency_id}": 2,
        "&overdue=false": 3,
        "&overdue=true": 0,
    }
    clock.advance(hours=25)
    op = await login(client, "operator")
    on_map, in_list = await both("&overdue=true")
    assert on_map == in_list and len(on_map) == 3
    fc = (await client.get(f"/api/cases.geojson?{box}", headers=op)).json()
    assert all(f["properties"]["overdue"] for f in fc["features"])


async def test_case_list_filters_and_cursor_pagination(
    client: Client, db: AsyncSession, clock: Clock
) -> None:
    op = await login(client, "operator")
    cat = await category_by_code(db, "PARKIR_LIAR")
    ids = []
    for i in range(5):
        clock.advance(seconds=1)
        ids.append(
            (
                await client.post(
                    "/api/cases",
                    headers=op,
                    json={
                        "category_id": cat.id,
                        "lat": -3.99,
                        "lon": 122.52,
                        "description": f"Parkir liar nomor {i}",
                    },
                )
            ).json()["id"]
        )
    page1 = (await client.get(f"/api/cases?limit=2&category_id={cat.id}", headers=op)).json()
    page2 = (
        await client.get(
            f"/api/cases?limit=2&category_id={cat.id}&cursor={page1['next_cursor']}", headers=op
        )
    ).json()
    page3 = (
        await client.get(
            f"/api/cases?limit=2&category_id={cat.id}&cursor={page2['next_cursor']}", headers=op
        )
    ).json()
    got = [c["id"] for p in (page1, page2, page3) for c in p["items"]]
    assert got == list(reversed(ids)) and page3["next_cursor"] is None
    r = await client.get("/api/cases?q=nomor 3", headers=op)
    assert [c["id"] for c in r.json()["items"]] == [ids[3]]
    area = ids and (await client.get(f"/api/cases/{ids[0]}", headers=op)).json()["case"]["area_id"]
    in_area = (await client.get(f"/api/cases?area_id={area}&limit=50", headers=op)).json()
    assert {c["id"] for c in in_area["items"]} == set(ids)
    elsewhere = (await client.get(f"/api/cases?area_id={area + 1}", headers=op)).json()
    assert not set(ids) & {c["id"] for c in elsewhere["items"]}
    r = await client.get("/api/cases?status=new,bogus", headers=op)
    assert r.status_code == 400
    r = await client.get("/api/cases?cursor=!!!", headers=op)
    assert r.status_code == 400
    assert (await client.get("/api/cases?overdue=true", headers=op)).json()["items"] == []
    clock.advance(hours=25)
    op = await login(client, "operator")
    overdue = (await client.get("/api/cases?overdue=true", headers=op)).json()["items"]
    assert len(overdue) == 5 and all(c["overdue"] for c in overdue)
    assert overdue[0]["overdue_stages"] == ["accept", "arrive", "resolve"]


# ---------------------------------------------------------------- positions
async def test_on_duty_members_ping_and_the_team_keeps_its_last_fix(
    client: Client,
    db: AsyncSession,
    clock: Clock,
) -> None:
    team = (await db.execute(select(Team).where(Team.name == "TRC DLHK 1"))).scalar_one()
    fo = await login(client, "petugas.dlhk")
    r = await client.post(
        f"/api/teams/{team.id}/positions",
        headers=fo,
        json={"lat": -3.97, "lon": 122.51, "accuracy_m": 12},
    )
    assert r.status_code == 202, r.text
    # An imprecise fix is kept in history but does not move the team.
    clock.advance(seconds=30)
    r = await client.post(
        f"/api/teams/{team.id}/positions",
        headers=fo,
        json={"lat": -3.90, "lon": 122.60, "accuracy_m": 3000},
    )
    assert r.status_code == 202
    await db.refresh(team)
    assert team.last_accuracy_m == 12
    n = (
        await db.execute(
            select(func.count()).select_from(TeamPosition).where(TeamPosition.team_id == team.id)
        )
    ).scalar()
    assert n == 2
    other = (await db.execute(select(Team).where(Team.name == "TRC DLHK 2"))).scalar_one()
    r = await client.post(
        f"/api/teams/{other.id}/positions",
        headers=fo,
        json={"lat": -3.97, "lon": 122.51, "accuracy_m": 12},
    )
    assert r.status_code == 403
    r = await client.put(f"/api/teams/{team.id}/duty", headers=fo, json={"on_duty": False})
    assert r.status_code == 200 and r.json()["on_duty"] is False
    r = await client.post(
        f"/api/teams/{team.id}/positions",
        headers=fo,
        json={"lat": -3.97, "lon": 122.51, "accuracy_m": 12},
    )
    assert r.status_code == 409 and r.json()["code"] == "team_off_duty"
    damkar = await login(client, "petugas.damkar")
    assert (
        await client.put(f"/api/teams/{team.id}/duty", headers=damkar, json={"on_duty": True})
    ).status_code == 404


async def test_position_history_is_pruned_after_the_retention_period(
    client: Client,
    db: AsyncSession,
    clock: Clock,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    from api.services.positions import prune

    team = (await db.execute(select(Team).where(Team.name == "TRC DLHK 1"))).scalar_one()
    fo = await login(client, "petugas.dlhk")
    await client.post(
        f"/api/teams/{team.id}/positions",
        headers=fo,
        json={"lat": -3.97, "lon": 122.51, "accuracy_m": 12},
    )
    assert await prune(db, settings, clock.now + timedelta(days=29)) == 0
    assert await prune(db, settings, clock.now + timedelta(days=31)) == 1
    await db.commit()
    await db.refresh(team)
    assert team.last_position_at is not None  # the last fix stays on the team


async def test_a_callers_number_never_travels_in_the_url(client: Client) -> None:
    op = await login(client, "operator")
    for path in ("/api/calls/history?number=081233334444", "/api/calls?number=081233334444"):
        r = await client.get(path, headers=op)
        assert r.status_code == 400 and r.json()["code"] == "credentials_in_query", r.text
    r = await client.get("/api/calls/history", headers=op)
    assert r.status_code == 400 and r.json()["code"] == "caller_number_required", r.text
    r = await client.get("/api/calls/history", headers={**op, "X-Caller-Number": "081233334444"})
    assert r.status_code == 200 and r.json()["number"] == "+6281233334444", r.text
