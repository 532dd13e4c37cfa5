"""The control room's day against a real PostGIS: call → case → dispatch → field → close."""

from __future__ import annotations

import asyncio
import uuid

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Case, CaseEvent, Team
from tests.conftest import Clock, login
from tests.factories import agency_by_code, category_by_code, make_team, user_by_name

Client = AsyncTestClient[Litestar]
MANDONGA = (-3.966, 122.508)


async def _place_team(db: AsyncSession, name: str, lat: float, lon: float, clock: Clock) -> Team:
    team = (await db.execute(select(Team).where(Team.name == name))).scalar_one()
    team.last_position = f"SRID=4326;POINT({lon} {lat})"
    team.last_position_at = clock.now
    team.last_accuracy_m = 10
    team.on_duty = True
    await db.commit()
    return team


async def test_call_to_closed_case_with_the_timeline_checked_event_by_event(
    client: Client,
    db: AsyncSession,
    clock: Clock,
) -> None:
    op = await login(client, "operator")
    # 1. A call comes in and the operator logs it.
    r = await client.post(
        "/api/calls",
        headers=op,
        json={"number": "0812-3456-7890", "started_at": clock.now.isoformat()},
    )
    assert r.status_code == 201, r.text
    call = r.json()
    assert call["number"] == "+6281234567890" and call["class"] is None
    # 2. The valid call becomes a case.
    tree = await category_by_code(db, "POHON_TUMBANG")
    clock.advance(seconds=40)
    r = await client.post(
        "/api/cases",
        headers=op,
        json={
            "category_id": tree.id,
            "lat": MANDONGA[0],
            "lon": MANDONGA[1],
            "description": "Pohon tumbang menutup jalan",
            "address": "Jl. Malaka",
            "landmark": "depan masjid",
            "call_id": call["id"],
        },
    )
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["status"] == "new" and case["public_status"] == "belum_ditindaklanjuti"
    assert case["reference"].startswith("KDI-") and case["area_name"] == "Mandonga"
    dlhk = await agency_by_code(db, "DLHK")
    assert case["agency_id"] == dlhk.id and case["priority"] == "P2"
    assert case["version"] == 1
    calls = (
        await client.get("/api/calls", headers={**op, "X-Caller-Number": "081234567890"})
    ).json()
    assert calls[0]["class"] == "valid"
    # 3. Suggestions: the DLHK team placed nearby first.
    near = await _place_team(db, "TRC DLHK 1", MANDONGA[0] + 0.002, MANDONGA[1], clock)
    await _place_team(db, "TRC DLHK 2", -4.05, 122.62, clock)
    disp = await login(client, "dispatcher")
    r = await client.get(f"/api/cases/{case['id']}/team-suggestions", headers=disp)
    assert r.status_code == 200, r.text
    sugg = r.json()
    assert sugg[0]["team_id"] == near.id and sugg[0]["fresh"] is True
    assert 150 < sugg[0]["distance_m"] < 300
    # 4. Assign.
    clock.advance(seconds=30)
    r = await client.post(
        f"/api/cases/{case['id']}/assign", headers=disp, json={"team_id": near.id, "version": 1}
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "dispatched" and r.json()["version"] == 2
    # 5. The field officer works it.
    fo = await login(client, "petugas.dlhk")
    mine = (await client.get("/api/cases?mine=true", headers=fo)).json()["items"]
    assert [c["id"] for c in mine] == [case["id"]]
    version = 2
    for action in ["accept", "en_route", "on_scene"]:
        clock.advance(minutes=3)
        r = await client.post(
            f"/api/cases/{case['id']}/transitions",
            headers=fo,
            json={
                "action": action,
                "version": version,
                "lat": MANDONGA[0],
                "lon": MANDONGA[1],
                "accuracy_m": 8,
            },
        )
        assert r.status_code == 200, (action, r.text)
        version = r.json()["version"]
    # The category needs a photo from the team before resolving.
    clock.advance(minutes=20)
    fo = await login(client, "petugas.dlhk")  # access tokens live 15 minutes
    r = await client.post(
        f"/api/cases/{case['id']}/transitions",
        headers=fo,
        json={"action": "resolve", "version": version, "note": "Sudah dipotong"},
    )
    assert r.status_code == 422 and r.json()["code"] == "photo_required"
    await db.execute(
        text(
            "INSERT INTO photos (id, case_id, source, caption, content_type, sha256, size_bytes, "
            "width, height, original_key, display_key, thumb_key, public, created_at, team_id) "
            "VALUES (:id, :case, 'team', '', 'image/jpeg', :sha, 1, 1, 1, 'o', 'd', 't', true, "
            "now(), :team)"
        ),
        {"id": uuid.uuid4(), "case": uuid.UUID(case["id"]), "sha": "a" * 64, "team": near.id},
    )
    await db.commit()
    r = await client.post(
        f"/api/cases/{case['id']}/transitions",
        headers=fo,
        json={"action": "resolve", "version": version, "note": "Sudah dipotong"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["public_status"] == "selesai"
    version = r.json()["version"]
    # 6. The dispatcher closes it.
    clock.advance(minutes=5)
    disp = await login(client, "dispatcher")
    r = await client.post(
        f"/api/cases/{case['id']}/transitions",
        headers=disp,
        json={"action": "close", "version": version},
    )
    assert r.status_code == 200, r.text
    # The timeline, event by event.
    detail = (await client.get(f"/api/cases/{case['id']}", headers=disp)).json()
    steps = [(e["kind"], e["from_status"], e["to_status"]) for e in detail["timeline"]]
    assert steps == [
        ("created", None, "new"),
        ("dispatched", "new", "dispatched"),
        ("accepted", "dispatched", "accepted"),
        ("en_route", "accepted", "en_route"),
        ("on_scene", "en_route", "on_scene"),
        ("resolved", "on_scene", "resolved"),
        ("closed", "resolved", "closed"),
    ]
    officer = await user_by_name(db, "petugas.dlhk")
    assert [e["actor_id"] for e in detail["timeline"][2:6]] == [officer.id] * 4
    assert detail["timeline"][2]["lat"] == MANDONGA[0]
    assert detail["timeline"][5]["note"] == "Sudah dipotong"
    times = [e["at"] for e in detail["timeline"]]
    assert times == sorted(times)
    assert detail["case"]["version"] == 7 and detail["case"]["status"] == "closed"
    assert detail["reporters"][0]["phone"] == "+6281234567890"
    row = (await db.execute(select(Case).where(Case.id == uuid.UUID(case["id"])))).scalar_one()
    assert row.accepted_at and row.arrived_at and row.resolved_at and row.closed_at


async def test_the_timeline_cannot_be_edited_or_deleted(client: Client, db: AsyncSession) -> None:
    op = await login(client, "operator")
    cat = await category_by_code(db, "LAMPU_JALAN")
    r = await client.post(
        "/api/cases",
        headers=op,
        json={"category_id": cat.id, "lat": -3.99, "lon": 122.52, "description": "Lampu mati"},
    )
    cid = uuid.UUID(r.json()["id"])
    from sqlalchemy.exc import DBAPIError

    for sql in [
        "UPDATE case_events SET note = 'x' WHERE case_id = :c",
        "DELETE FROM case_events WHERE case_id = :c",
    ]:
        try:
            await db.execute(text(sql), {"c": cid})
            raise AssertionError("the database allowed changing the timeline")
        except DBAPIError as exc:
            assert "append-only" in str(exc)
            await db.rollback()
    n = (
        await db.execute(
            select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == cid)
        )
    ).scalar()
    assert n == 1


async def test_stale_version_is_409_and_changes_nothing(client: Client, db: AsyncSession) -> None:
    op = await login(client, "operator")
    cat = await category_by_code(db, "SAMPAH_MENUMPUK")
    case = (
        await client.post(
            "/api/cases",
            headers=op,
            json={
                "category_id": cat.id,
                "lat": -3.99,
                "lon": 122.52,
                "description": "Kontainer penuh",
            },
        )
    ).json()
    team = (await db.execute(select(Team).where(Team.name == "TRC DLHK 1"))).scalar_one()
    disp = await login(client, "dispatcher")
    r = await client.post(
        f"/api/cases/{case['id']}/assign", headers=disp, json={"team_id": team.id, "version": 7}
    )
    assert r.status_code == 409
    assert r.json()["code"] == "version_conflict" and r.json()["current_version"] == 1
    r = await client.post(
        f"/api/cases/{case['id']}/transitions",
        headers={**disp, "If-Match": '"5"'},
        json={"action": "cancel", "note": "uji"},
    )
    assert r.status_code == 409
    detail = (await client.get(f"/api/cases/{case['id']}", headers=disp)).json()
    assert detail["case"]["status"] == "new" and detail["case"]["version"] == 1
    assert len(detail["timeline"]) == 1


async def test_two_concurrent_reassignments_exactly_one_wins(
    make_app,
    db: AsyncSession,  # type: ignore[no-untyped-def]
) -> None:
    app = make_app()
    async with AsyncTestClient(app=app) as client:
        op = await login(client, "operator")
        cat = await category_by_code(db, "POHON_TUMBANG")
        case = (
            await client.post(
                "/api/cases",
                headers=op,
                json={
                    "category_id": cat.id,
                    "lat": -3.99,
                    "lon": 122.52,
                    "description": "Pohon roboh",
                },
            )
        ).json()
        t1 = (await db.execute(select(Team).where(Team.name == "TRC DLHK 1"))).scalar_one()
        t2 = (await db.execute(select(Team).where(Team.name == "TRC DLHK 2"))).scalar_one()
        disp = await login(client, "dispatcher")
        results = await asyncio.gather(
            *[
                client.post(
                    f"/api/cases/{case['id']}/assign",
                    headers=disp,
                    json={"team_id": t, "version": 1},
                )
                for t in (t1.id, t2.id)
            ]
        )
        codes = sorted(r.status_code for r in results)
        assert codes == [200, 409], [r.text for r in results]
        winner = next(r for r in results if r.status_code == 200).json()
        detail = (await client.get(f"/api/cases/{case['id']}", headers=disp)).json()
        assert detail["case"]["team_id"] == winner["team_id"]
        assert [e["kind"] for e in detail["timeline"]] == ["created", "dispatched"]
        assert detail["case"]["version"] == 2


async def test_field_officer_of_another_agency_gets_404(client: Client, db: AsyncSession) -> None:
    op = await login(client, "operator")
    cat = await category_by_code(db, "KEBAKARAN_BANGUNAN")  # Damkar
    case = (
        await client.post(
            "/api/cases",
            headers=op,
            json={
                "category_id": cat.id,
                "lat": -3.99,
                "lon": 122.52,
                "description": "Rumah terbakar",
            },
        )
    ).json()
    fo = await login(client, "petugas.dlhk")
    assert (await client.get(f"/api/cases/{case['id']}", headers=fo)).status_code == 404
    r = await client.post(
        f"/api/cases/{case['id']}/transitions", headers=fo, json={"action": "accept"}
    )
    assert r.status_code == 404
    assert (
        await client.get(f"/api/cases/{case['id']}/team-suggestions", headers=fo)
    ).status_code in {403, 404}
    listed = (await client.get("/api/cases", headers=fo)).json()["items"]
    assert case["id"] not in [c["id"] for c in listed]
    damkar = await login(client, "petugas.damkar")
    assert (await client.get(f"/api/cases/{case['id']}", headers=damkar)).status_code == 200
    coord = await login(client, "koordinator.dlhk")
    assert (await client.get(f"/api/cases/{case['id']}", headers=coord)).status_code == 404


async def test_field_officer_cannot_act_on_another_teams_case(
    client: Client,
    db: AsyncSession,
) -> None:
    op = await login(client, "operator")
    cat = await category_by_code(db, "POHON_TUMBANG")
    case = (
        await client.post(
            "/api/cases",
            headers=op,
            json={
                "category_id": cat.id,
                "lat": -3.99,
                "lon": 122.52,
                "description": "Pohon tumbang",
            },
        )
    ).json()
    t2 = (await db.execute(select(Team).where(Team.name == "TRC DLHK 2"))).scalar_one()
    disp = await login(client, "dispatcher")
    await client.post(
        f"/api/cases/{case['id']}/assign", headers=disp, json={"team_id": t2.id, "version": 1}
    )
    fo = await login(client, "petugas.dlhk")  # in TRC DLHK 1
    r = await client.post(
        f"/api/cases/{case['id']}/transitions", headers=fo, json={"action": "accept"}
    )
    assert r.status_code == 403
    fo2 = await login(client, "petugas2.dlhk")
    r = await client.post(
        f"/api/cases/{case['id']}/transitions", headers=fo2, json={"action": "accept"}
    )
    assert r.status_code == 200


async def test_transfer_return_and_reassign(client: Client, db: AsyncSession) -> None:
    op = await login(client, "operator")
    cat = await category_by_code(db, "POHON_TUMBANG")
    case = (
        await client.post(
            "/api/cases",
            headers=op,
            json={
                "category_id": cat.id,
                "lat": -3.99,
                "lon": 122.52,
                "description": "Pohon tumbang",
            },
        )
    ).json()
    t1 = (await db.execute(select(Team).where(Team.name == "TRC DLHK 1"))).scalar_one()
    disp = await login(client, "dispatcher")
    v = (
        await client.post(
            f"/api/cases/{case['id']}/assign", headers=disp, json={"team_id": t1.id, "version": 1}
        )
    ).json()["version"]
    fo = await login(client, "petugas.dlhk")
    r = await client.post(
        f"/api/cases/{case['id']}/transitions", headers=fo, json={"action": "return", "version": v}
    )
    assert r.status_code == 422 and r.json()["code"] == "note_required"
    r = await client.post(
        f"/api/cases/{case['id']}/transitions",
        headers=fo,
        json={"action": "return", "version": v, "note": "Butuh alat berat"},
    )
    assert r.status_code == 200 and r.json()["status"] == "returned"
    assert r.json()["team_id"] is None
    v = r.json()["version"]
    damkar = await agency_by_code(db, "DAMKARMAT")
    r = await client.post(
        f"/api/cases/{case['id']}/transfer",
        headers=disp,
        json={"agency_id": damkar.id, "version": v, "note": "Bukan wewenang"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["agency_id"] == damkar.id and r.json()["status"] == "new"
    # DLHK no longer sees it.
    assert (await client.get(f"/api/cases/{case['id']}", headers=fo)).status_code == 404
    # Assigning a team of another agency is refused.
    r = await client.post(
        f"/api/cases/{case['id']}/assign",
        headers=disp,
        json={"team_id": t1.id, "version": r.json()["version"]},
    )
    assert r.status_code == 422 and r.json()["code"] == "team_wrong_agency"
    kinds = [
        e["kind"]
        for e in (await client.get(f"/api/cases/{case['id']}", headers=disp)).json()["timeline"]
    ]
    assert kinds == ["created", "dispatched", "returned", "transferred"]


async def test_idempotency_key_applies_a_replayed_action_once(
    client: Client,
    db: AsyncSession,
) -> None:
    op = await login(client, "operator")
    cat = await category_by_code(db, "POHON_TUMBANG")
    case = (
        await client.post(
            "/api/cases",
            headers=op,
            json={
                "category_id": cat.id,
                "lat": -3.99,
                "lon": 122.52,
                "description": "Pohon tumbang",
            },
        )
    ).json()
    t1 = (await db.execute(select(Team).where(Team.name == "TRC DLHK 1"))).scalar_one()
    disp = await login(client, "dispatcher")
    await client.post(
        f"/api/cases/{case['id']}/assign", headers=disp, json={"team_id": t1.id, "version": 1}
    )
    fo = {**await login(client, "petugas.dlhk"), "Idempotency-Key": "outbox-0001-accept"}
    first = await client.post(
        f"/api/cases/{case['id']}/transitions", headers=fo, json={"action": "accept"}
    )
    again = await client.post(
        f"/api/cases/{case['id']}/transitions", headers=fo, json={"action": "accept"}
    )
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    other = await client.post(
        f"/api/cases/{case['id']}/transitions", headers=fo, json={"action": "en_route"}
    )
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    kinds = [
        e["kind"]
        for e in (await client.get(f"/api/cases/{case['id']}", headers=disp)).json()["timeline"]
    ]
    assert kinds == ["created", "dispatched", "accepted"]


async def test_bad_intake_gives_4xx_and_changes_nothing(client: Client, db: AsyncSession) -> None:
    op = await login(client, "operator")
    cat = await category_by_code(db, "POHON_TUMBANG")
    before = (await db.execute(select(func.count()).select_from(Case))).scalar()
    bad = [
        (
            {"category_id": cat.id, "lat": -6.2, "lon": 106.8, "description": "Jakarta"},
            422,
            "out_of_service_area",
        ),
        (
            {"category_id": 99999, "lat": -3.99, "lon": 122.52, "description": "x" * 5},
            422,
            "unknown_category",
        ),
        (
            {"category_id": cat.id, "lat": 0, "lon": 0, "description": "GPS belum siap"},
            400,
            "invalid_coordinates",
        ),
        (
            {"category_id": cat.id, "lat": 95, "lon": 122.52, "description": "ngawur"},
            400,
            "validation_failed",
        ),
        (
            {
                "category_id": cat.id,
                "lat": -3.99,
                "lon": 122.52,
                "description": "Pohon",
                "reporter": {"phone": "12345"},
            },
            400,
            "invalid_phone",
        ),
        ({"category_id": cat.id, "lat": -3.99, "lon": 122.52}, 400, "validation_failed"),
        (
            {
                "category_id": cat.id,
                "lat": -3.99,
                "lon": 122.52,
                "description": "Pohon",
                "call_id": 987654,
            },
            422,
            "unknown_reference",
        ),
    ]
    for body, status, code in bad:
        r = await client.post("/api/cases", headers={**op, "Accept-Language": "en"}, json=body)
        assert r.status_code == status, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == code, r.text
    r = await client.post("/api/calls", headers=op, json={"number": "not-a-number"})
    assert r.status_code == 400 and r.json()["code"] == "invalid_phone"
    after = (await db.execute(select(func.count()).select_from(Case))).scalar()
    assert after == before
    # An operator may deliberately place a case outside the area.
    r = await client.post(
        "/api/cases",
        headers=op,
        json={
            "category_id": cat.id,
            "lat": -4.2,
            "lon": 122.52,
            "description": "Di perbatasan",
            "allow_out_of_area": True,
        },
    )
    assert r.status_code == 201 and r.json()["out_of_area"] is True


async def test_nearest_team_order_against_known_positions(
    client: Client,
    db: AsyncSession,
    clock: Clock,
) -> None:
    damkar = await agency_by_code(db, "DAMKARMAT")
    # Four Damkar teams at known distances north of the fire; one busy, one stale, one off duty.
    fire = (-4.0, 122.52)
    spots = {"A-500m": 0.0045, "B-1km": 0.009, "C-2km": 0.018, "D-1km-busy": 0.0091}
    teams = {}
    for name, dlat in spots.items():
        t = await make_team(db, agency_id=damkar.id, name=name)
        t.last_position = f"SRID=4326;POINT({fire[1]} {fire[0] + dlat})"
        t.last_position_at = clock.now
        teams[name] = t
    stale = await make_team(db, agency_id=damkar.id, name="E-stale")
    stale.last_position = f"SRID=4326;POINT({fire[1]} {fire[0]})"
    stale.last_position_at = clock.now.replace(year=clock.now.year - 1)
    off = await make_team(db, agency_id=damkar.id, name="F-off", on_duty=False)
    off.last_position = f"SRID=4326;POINT({fire[1]} {fire[0]})"
    off.last_position_at = clock.now
    # The seed's Damkar teams have no position: they come after every fresh one.
    await db.commit()
    op = await login(client, "operator")
    fire_cat = await category_by_code(db, "KEBAKARAN_BANGUNAN")
    busy_case = (
        await client.post(
            "/api/cases",
            headers=op,
            json={
                "category_id": fire_cat.id,
                "lat": -3.95,
                "lon": 122.5,
                "description": "Kebakaran lain",
            },
        )
    ).json()
    disp = await login(client, "dispatcher")
    await client.post(
        f"/api/cases/{busy_case['id']}/assign",
        headers=disp,
        json={"team_id": teams["D-1km-busy"].id, "version": 1},
    )
    case = (
        await client.post(
            "/api/cases",
            headers=op,
            json={
                "category_id": fire_cat.id,
                "lat": fire[0],
                "lon": fire[1],
                "description": "Kebakaran",
            },
        )
    ).json()
    sugg = (await client.get(f"/api/cases/{case['id']}/team-suggestions", headers=disp)).json()
    names = [s["name"] for s in sugg]
    assert names[:4] == ["A-500m", "B-1km", "D-1km-busy", "C-2km"]
    assert "F-off" not in names
    assert names.index("E-stale") > 3
    a = sugg[0]
    assert abs(a["distance_m"] - 500) < 10 and a["open_cases"] == 0 and a["position_age_s"] == 0
    d = next(s for s in sugg if s["name"] == "D-1km-busy")
    assert d["open_cases"] == 1
    stale_s = next(s for s in sugg if s["name"] == "E-stale")
    assert stale_s["fresh"] is False
