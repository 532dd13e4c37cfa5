"""Plus Codes at the API: read a typed code, create a case (staff intake, citizen report) at one,
and show a case's code beside its address; a bad code is a translated 400 that changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Case
from api.domain import pluscode
from tests.conftest import login
from tests.factories import category_by_code
from tests.integration.test_public_reports import report_body as public_report_body

Client = AsyncTestClient[Litestar]
# Kadia, inside the service area; its 10-digit code and the short form read near the centre.
POINT = (-3.9800625, 122.5203125)
FULL = "6Q842G9C+X4"
SHORT = "2G9C+X4"


def report_body(**over: Any) -> dict[str, Any]:
    """A citizen's report with no place of its own: the test gives one."""
    place = {"lat": None, "lon": None, "location_source": None, "accuracy_m": None}
    return public_report_body(**place | over)


async def case_count(db: AsyncSession) -> int:
    return (await db.execute(select(func.count()).select_from(Case))).scalar_one()


async def test_a_full_or_short_code_is_read_as_a_place(client: Client) -> None:
    for typed in (FULL, FULL.lower(), SHORT, f"{SHORT} Kendari", f"{SHORT}, Kendari"):
        r = await client.get("/api/pluscodes", params={"code": typed})
        assert r.status_code == 200, (typed, r.text)
        body = r.json()
        assert (body["code"], body["short"]) == (FULL, SHORT)
        assert (body["lat"], body["lon"]) == pytest.approx(POINT)
        west, south, east, north = body["bbox"]
        assert south < POINT[0] < north and west < POINT[1] < east


@pytest.mark.parametrize("typed", ["Kendari", "6Q842G9+", "ZZZZ+ZZ", "6Q84+2", "-3.98,122.5"])
async def test_an_unreadable_code_is_a_translated_400(client: Client, typed: str) -> None:
    r = await client.get("/api/pluscodes", params={"code": typed})
    assert r.status_code == 400 and r.json()["code"] == "invalid_plus_code"
    assert "Plus Code tidak terbaca" in r.json()["detail"]
    r = await client.get(
        "/api/pluscodes", params={"code": typed}, headers={"Accept-Language": "en"}
    )
    assert "could not be read" in r.json()["detail"]


async def test_the_operator_creates_a_case_at_a_short_code_and_sees_the_code(
    client: Client, db: AsyncSession
) -> None:
    op = await login(client, "operator")
    tree = await category_by_code(db, "POHON_TUMBANG")
    body = {"category_id": tree.id, "description": "Pohon tumbang", "address": "Jl. Sao-Sao"}
    r = await client.post("/api/cases", headers=op, json={**body, "plus_code": f"{SHORT} Kendari"})
    assert r.status_code == 201, r.text
    case = r.json()
    assert (case["lat"], case["lon"]) == pytest.approx(POINT)
    assert case["plus_code"] == FULL
    # Every staff view of the case carries it too.
    r = await client.get(f"/api/cases/{case['id']}", headers=op)
    assert r.json()["case"]["plus_code"] == FULL
    # A pin gets the code of its own point.
    r = await client.post("/api/cases", headers=op, json={**body, "lat": -3.9665, "lon": 122.5085})
    assert r.json()["plus_code"] == pluscode.encode(-3.9665, 122.5085) == "6Q842GM5+CC"


@pytest.mark.parametrize(
    "place,code",
    [
        ({"plus_code": "6Q842G9C+X"}, "invalid_plus_code"),
        ({"plus_code": "bukan kode"}, "invalid_plus_code"),
        ({}, "location_required"),
        ({"lat": -3.98}, "location_required"),
        ({"lat": -3.98, "lon": 122.52, "plus_code": FULL}, "location_given_twice"),
    ],
)
async def test_a_bad_place_on_intake_is_a_400_and_creates_nothing(
    client: Client, db: AsyncSession, place: dict[str, Any], code: str
) -> None:
    op = {**await login(client, "operator"), "Accept-Language": "en"}
    tree = await category_by_code(db, "POHON_TUMBANG")
    before = await case_count(db)
    body = {"category_id": tree.id, "description": "Pohon tumbang", **place}
    r = await client.post("/api/cases", headers=op, json=body)
    assert r.status_code == 400, r.text
    assert r.json()["code"] == code and r.json()["detail"]
    r = await client.post("/api/public/reports", json=report_body(**place))
    assert r.status_code == 400 and r.json()["code"] == code
    assert await case_count(db) == before


async def test_a_citizen_reports_at_a_code_and_tracks_it_with_the_code(
    client: Client, db: AsyncSession
) -> None:
    r = await client.post("/api/public/reports", json=report_body(plus_code=FULL))
    assert r.status_code == 201, r.text
    made = r.json()
    r = await client.get(
        f"/api/public/cases/{made['reference']}",
        headers={"X-Tracking-Token": made["tracking_token"]},
    )
    assert r.status_code == 200, r.text
    tracked = r.json()
    assert tracked["plus_code"] == FULL
    assert (tracked["lat"], tracked["lon"]) == pytest.approx(POINT, abs=1e-5)
    # An outside code is read, then refused like any point outside the city.
    before = await case_count(db)
    r = await client.post("/api/public/reports", json=report_body(plus_code="8FVC9G8F+6X"))
    assert r.status_code == 422, r.text
    assert await case_count(db) == before
