"""An area's uploaded boundary is checked in PostGIS and refused in plain words, naming the
``boundary`` field, with nothing changed; a ring wound the wrong way is turned, not refused."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import login

Client = AsyncTestClient[Litestar]
CENTRE = {"lat": -3.995, "lon": 122.505}
# Counter-clockwise (RFC 7946), and the same square wound clockwise.
CCW = [[122.5, -4.0], [122.51, -4.0], [122.51, -3.99], [122.5, -3.99], [122.5, -4.0]]
CW = list(reversed(CCW))
BOWTIE = [[122.5, -4.0], [122.51, -3.99], [122.51, -4.0], [122.5, -3.99], [122.5, -4.0]]
# Most of it east of the service area (which ends at 122.70).
STRAYING = [[122.65, -4.0], [122.80, -4.0], [122.80, -3.99], [122.65, -3.99], [122.65, -4.0]]

BAD: list[tuple[str, Any, str]] = [
    ("a point", {"type": "Point", "coordinates": [122.5, -4.0]}, "area_geojson_invalid"),
    ("not geometry", {"kind": "Polygon"}, "area_geojson_invalid"),
    ("coordinates text", {"type": "Polygon", "coordinates": "x"}, "area_geojson_invalid"),
    ("open ring", {"type": "Polygon", "coordinates": [CCW[:3]]}, "area_geojson_invalid"),
    (
        "beyond the globe",
        {"type": "Polygon", "coordinates": [[[x + 200, y] for x, y in CCW]]},
        "area_geojson_invalid",
    ),
    ("bow tie", {"type": "Polygon", "coordinates": [BOWTIE]}, "area_self_intersecting"),
    (
        "multi bow tie",
        {"type": "MultiPolygon", "coordinates": [[BOWTIE]]},
        "area_self_intersecting",
    ),
    ("outside", {"type": "Polygon", "coordinates": [STRAYING]}, "area_outside_service_area"),
]


async def _areas(db: AsyncSession) -> str:
    q = "SELECT coalesce(md5(string_agg(a::text, ',' ORDER BY a.id)), '') FROM areas a"
    return str((await db.execute(text(q))).scalar_one())


@pytest.mark.parametrize(("what", "boundary", "code"), BAD, ids=[b[0] for b in BAD])
@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_bad_boundary_is_refused_in_plain_words_beside_the_field(
    client: Client, db: AsyncSession, what: str, boundary: Any, code: str, lang: str
) -> None:
    admin = {**await login(client, "admin"), "Accept-Language": lang}
    before = await _areas(db)
    for method, path, body in (
        ("POST", "/api/admin/areas", {"name": "Baru", "center": CENTRE, "boundary": boundary}),
        ("PATCH", "/api/admin/areas/1", {"boundary": boundary}),
    ):
        r = await client.request(method, path, headers=admin, json=body)
        assert r.status_code == 422, (what, method, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        problem = r.json()
        assert problem["code"] == code
        [error] = problem["errors"]
        assert error["key"] == "boundary" and error["code"] == code
        assert error["message"] == problem["detail"] and code not in error["message"]
        await db.rollback()
        assert await _areas(db) == before
    audit = await db.execute(text("SELECT count(*) FROM admin_audit"))
    assert audit.scalar_one() == 0


async def test_the_messages_differ_by_language_and_place_the_crossing(client: Client) -> None:
    body = {
        "name": "Baru",
        "center": CENTRE,
        "boundary": {"type": "Polygon", "coordinates": [BOWTIE]},
    }
    admin = await login(client, "admin")
    said = {}
    for lang in ("id", "en"):
        r = await client.post(
            "/api/admin/areas", headers={**admin, "Accept-Language": lang}, json=body
        )
        said[lang] = r.json()["errors"][0]["message"]
    assert said["id"] != said["en"]
    assert "-3.99500, 122.50500" in said["en"]


async def test_a_ring_wound_clockwise_is_stored_counter_clockwise(
    client: Client, db: AsyncSession
) -> None:
    admin = await login(client, "admin")
    r = await client.post(
        "/api/admin/areas",
        headers=admin,
        json={
            "name": "Searah",
            "center": CENTRE,
            "boundary": {"type": "Polygon", "coordinates": [CW]},
        },
    )
    assert r.status_code == 201, r.text
    ccw = await db.execute(
        text("SELECT ST_IsPolygonCCW(boundary::geometry) FROM areas WHERE id = :id"),
        {"id": r.json()["id"]},
    )
    assert ccw.scalar_one() is True
    ring = r.json()["boundary"]["coordinates"][0][0]
    assert ring != CW  # turned, not stored as sent
