"""The routing preview: where a new case of a category at a point would go, by the very routing
intake uses; a case created there afterwards goes exactly there."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import login
from tests.factories import agency_by_code, category_by_code

Client = AsyncTestClient[Litestar]
# A small square far from every seeded kecamatan centre, inside the service area.
SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[122.60, -4.06], [122.62, -4.06], [122.62, -4.04], [122.60, -4.04], [122.60, -4.06]]
    ],
}
INSIDE = {"lat": -4.05, "lon": 122.61}


async def _preview(client: Client, admin: dict[str, str], body: dict[str, Any]) -> Any:
    return await client.post("/api/admin/routing-rules/preview", headers=admin, json=body)


async def test_the_preview_says_where_intake_sends_the_case(
    client: Client, db: AsyncSession
) -> None:
    admin = {**await login(client, "admin"), "Accept-Language": "en"}
    category = await category_by_code(db, "SAMPAH_LIAR")
    dlhk = await agency_by_code(db, "DLHK")
    satpol = await agency_by_code(db, "SATPOLPP")
    area = (
        await client.post(
            "/api/admin/areas",
            headers=admin,
            json={"name": "Uji Rute", "center": INSIDE, "boundary": SQUARE},
        )
    ).json()

    plain = (await _preview(client, admin, {"category_id": category.id, **INSIDE})).json()
    assert plain == {
        "agency_id": dlhk.id,
        "agency_name": dlhk.name_en,
        "team_id": None,
        "team_name": None,
        "area_id": area["id"],
        "area_name": "Uji Rute",
        "rule_id": None,
        "out_of_area": False,
    }

    team = (
        await client.post(
            "/api/admin/teams", headers=admin, json={"agency_id": satpol.id, "name": "Regu Uji"}
        )
    ).json()
    rule = (
        await client.post(
            "/api/admin/routing-rules",
            headers=admin,
            json={
                "area_id": area["id"],
                "category_id": category.id,
                "agency_id": satpol.id,
                "team_id": team["id"],
            },
        )
    ).json()
    audit_before = (await db.execute(text("SELECT count(*) FROM admin_audit"))).scalar_one()
    r = await _preview(
        client, {**admin, "Accept-Language": "id"}, {"category_id": category.id, **INSIDE}
    )
    assert r.status_code == 200, r.text
    assert r.json() == {
        "agency_id": satpol.id,
        "agency_name": satpol.name_id,
        "team_id": team["id"],
        "team_name": "Regu Uji",
        "area_id": area["id"],
        "area_name": "Uji Rute",
        "rule_id": rule["id"],
        "out_of_area": False,
    }
    # A preview writes nothing, not even to the audit record.
    assert (await db.execute(text("SELECT count(*) FROM admin_audit"))).scalar_one() == audit_before

    operator = await login(client, "operator")
    case = await client.post(
        "/api/cases",
        headers=operator,
        json={"category_id": category.id, **INSIDE, "description": "Sampah dibuang di lahan"},
    )
    assert case.status_code == 201, case.text
    stored = (
        await db.execute(
            text("SELECT agency_id, area_id FROM cases WHERE id = :id"), {"id": case.json()["id"]}
        )
    ).one()
    assert (stored.agency_id, stored.area_id) == (satpol.id, area["id"])


async def test_a_point_outside_the_service_area_is_said_so(
    client: Client, db: AsyncSession
) -> None:
    admin = await login(client, "admin")
    category = await category_by_code(db, "SAMPAH_LIAR")
    r = await _preview(client, admin, {"category_id": category.id, "lat": -3.0, "lon": 121.0})
    assert r.status_code == 200, r.text
    assert r.json()["out_of_area"] is True


async def test_a_bad_preview_is_a_4xx_problem(client: Client, db: AsyncSession) -> None:
    admin = {**await login(client, "admin"), "Accept-Language": "en"}
    category = await category_by_code(db, "SAMPAH_LIAR")
    unknown = await _preview(client, admin, {"category_id": 999999, **INSIDE})
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "unknown_reference"
    for body in (
        {"category_id": category.id, "lat": 95, "lon": 122.5},
        {"category_id": category.id, "lat": -4.0},
        {"category_id": category.id, **INSIDE, "extra": 1},
    ):
        r = await _preview(client, admin, body)
        assert r.status_code == 400, (body, r.text)
