"""The city geography layer (GeoJSON + ETag) and the gazetteer (admin + search)."""

from __future__ import annotations

import json
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.seed import areas
from tests.conftest import login

Client = AsyncTestClient[Litestar]
BBOX = (122.40, -4.13, 122.70, -3.90)
# A square around the Mandonga centre (-3.966, 122.508), well inside the service area.
MANDONGA = {
    "type": "Polygon",
    "coordinates": [
        [[122.49, -3.98], [122.52, -3.98], [122.52, -3.95], [122.49, -3.95], [122.49, -3.98]]
    ],
}


async def _layer(client: Client) -> list[dict[str, Any]]:
    r = await client.get("/api/geography")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/geo+json")
    features: list[dict[str, Any]] = r.json()["features"]
    return features


async def _area(db: AsyncSession, geometries: list[dict[str, Any]]) -> float:
    """Planar area (degrees²) of the union of GeoJSON geometries, measured by PostGIS."""
    row = await db.execute(
        text(
            "SELECT ST_Area(ST_Union(ST_GeomFromGeoJSON(g))) FROM unnest(CAST(:gs AS text[])) AS g"
        ),
        {"gs": [json.dumps(g) for g in geometries]},
    )
    return float(row.scalar_one())


async def test_approximate_cells_name_every_kecamatan_and_cover_the_service_area(
    client: Client, db: AsyncSession
) -> None:
    features = await _layer(client)
    service = [f for f in features if f["properties"]["kind"] == "service_area"]
    assert len(service) == 1
    cells = [f for f in features if f["properties"]["kind"] == "kecamatan"]
    assert {f["properties"]["name"] for f in cells} == {a["kecamatan"] for a in areas()}
    assert all(f["properties"]["approximate"] for f in cells)
    # Each label sits inside the service area, at the kecamatan's centre.
    centres = {a["kecamatan"]: (float(a["center_lat"]), float(a["center_lon"])) for a in areas()}
    for f in cells:
        lat, lon = f["properties"]["label"]
        assert (round(lat, 3), round(lon, 3)) == centres[f["properties"]["name"]]
    w, s, e, n = BBOX
    union = await _area(db, [f["geometry"] for f in cells])
    assert abs(union - (e - w) * (n - s)) < 1e-9
    # The cells tile the area: their areas add up to the union (no overlaps).
    total = sum([await _area(db, [f["geometry"]]) for f in cells])
    assert abs(total - union) < 1e-9


async def test_geography_revalidates_with_etag_and_changes_with_the_data(
    client: Client, as_admin: dict[str, str]
) -> None:
    r = await client.get("/api/geography")
    etag = r.headers["etag"]
    assert "max-age" in r.headers["cache-control"]
    again = await client.get("/api/geography", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag

    # An imported boundary changes the layer, so the old tag no longer matches.
    ids = {
        a["name"]: a["id"] for a in (await client.get("/api/admin/areas", headers=as_admin)).json()
    }
    r = await client.patch(
        f"/api/admin/areas/{ids['Mandonga']}", json={"boundary": MANDONGA}, headers=as_admin
    )
    assert r.status_code == 200, r.text
    fresh = await client.get("/api/geography", headers={"If-None-Match": etag})
    assert fresh.status_code == 200
    assert fresh.headers["etag"] != etag


async def test_an_imported_polygon_wins_over_the_derived_cells(
    client: Client, as_admin: dict[str, str], db: AsyncSession
) -> None:
    ids = {
        a["name"]: a["id"] for a in (await client.get("/api/admin/areas", headers=as_admin)).json()
    }
    r = await client.patch(
        f"/api/admin/areas/{ids['Mandonga']}", json={"boundary": MANDONGA}, headers=as_admin
    )
    assert r.status_code == 200, r.text
    features = await _layer(client)
    by_name = {f["properties"]["name"]: f for f in features if "name" in f["properties"]}
    mandonga = by_name["Mandonga"]
    assert mandonga["properties"]["approximate"] is False
    assert abs(await _area(db, [mandonga["geometry"]]) - 0.03 * 0.03) < 1e-9
    # No approximate cell reaches into the real polygon.
    others = [f["geometry"] for n, f in by_name.items() if n != "Mandonga"]
    overlap = await db.execute(
        text(
            "SELECT ST_Area(ST_Intersection(ST_Union(ST_GeomFromGeoJSON(g)), "
            "ST_GeomFromGeoJSON(:real))) FROM unnest(CAST(:gs AS text[])) AS g"
        ),
        {"gs": [json.dumps(g) for g in others], "real": json.dumps(MANDONGA)},
    )
    assert float(overlap.scalar_one()) < 1e-12
    assert all(f["properties"]["approximate"] for f in by_name.values() if f is not mandonga)


async def test_a_kelurahan_with_a_boundary_is_drawn_with_its_name(
    client: Client, as_admin: dict[str, str]
) -> None:
    body = {
        "name": "Kelurahan Uji",
        "kind": "kelurahan",
        "center": {"lat": -3.965, "lon": 122.505},
        "boundary": MANDONGA,
    }
    r = await client.post("/api/admin/areas", json=body, headers=as_admin)
    assert r.status_code == 201, r.text
    features = await _layer(client)
    kel = [f for f in features if f["properties"]["kind"] == "kelurahan"]
    assert [f["properties"]["name"] for f in kel] == ["Kelurahan Uji"]
    assert kel[0]["properties"]["approximate"] is False


# ------------------------------------------------------------------ gazetteer
async def test_search_finds_seeded_kecamatan_by_prefix_and_by_a_typo(client: Client) -> None:
    r = await client.get("/api/places", params={"q": "mand"})
    assert r.status_code == 200, r.text
    hits = r.json()
    assert hits[0]["name"] == "Mandonga"
    assert hits[0]["kind"] == "kecamatan"
    assert (round(hits[0]["lat"], 3), round(hits[0]["lon"], 3)) == (-3.966, 122.508)
    # A misspelling still finds it (trigram similarity).
    r = await client.get("/api/places", params={"q": "Mandongga"})
    assert [h["name"] for h in r.json()][:1] == ["Mandonga"]
    # The seed invents nothing: only the kecamatan centres are there.
    r = await client.get("/api/places", params={"q": "ka", "limit": 50})
    assert {h["kind"] for h in r.json()} == {"kecamatan"}


async def test_search_refuses_a_too_short_or_too_long_query(client: Client) -> None:
    for params in ({"q": "a"}, {"q": " "}, {"q": "x" * 101}, {"q": "ab", "limit": 0}, {}):
        r = await client.get("/api/places", params=params)
        assert r.status_code == 400, (params, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    r = await client.get("/api/places", params={"q": "a"}, headers={"Accept-Language": "en"})
    assert r.json()["code"] == "query_too_short"
    assert "2 letters" in r.json()["detail"]


async def test_admin_adds_lists_and_retires_a_landmark(
    client: Client, as_admin: dict[str, str]
) -> None:
    body = {"name": "Tugu Persatuan", "kind": "landmark", "lat": -3.9685, "lon": 122.5155}
    r = await client.post("/api/admin/places", json=body, headers=as_admin)
    assert r.status_code == 201, r.text
    place = r.json()
    assert place["active"] is True and place["kind"] == "landmark"

    hits = (await client.get("/api/places", params={"q": "tugu"})).json()
    assert [(h["name"], h["kind"]) for h in hits] == [("Tugu Persatuan", "landmark")]
    assert (hits[0]["lat"], hits[0]["lon"]) == (-3.9685, 122.5155)

    listed = (await client.get("/api/admin/places", headers=as_admin)).json()
    assert any(p["id"] == place["id"] for p in listed)

    r = await client.delete(f"/api/admin/places/{place['id']}", headers=as_admin)
    assert r.status_code == 204, r.text
    assert (await client.get("/api/places", params={"q": "tugu"})).json() == []
    listed = (await client.get("/api/admin/places", headers=as_admin)).json()
    assert next(p for p in listed if p["id"] == place["id"])["active"] is False
    r = await client.delete("/api/admin/places/999999", headers=as_admin)
    assert r.status_code == 404


async def test_bad_places_are_refused_with_a_problem_and_change_nothing(
    client: Client, as_admin: dict[str, str], db: AsyncSession
) -> None:
    good = {"name": "Pasar Baru", "kind": "landmark", "lat": -3.99, "lon": 122.52}
    bad: list[tuple[dict[str, Any], int]] = [
        ({**good, "kind": "city"}, 400),
        ({**good, "name": ""}, 400),
        ({**good, "name": "   "}, 400),
        ({**good, "lat": 91}, 400),
        ({**good, "lat": "x"}, 400),
        ({**good, "extra": 1}, 400),
        ({k: v for k, v in good.items() if k != "lon"}, 400),
        ({**good, "lat": -6.2, "lon": 106.8}, 422),  # Jakarta: outside the service area
        ({**good, "area_id": 999999}, 422),
        ({**good, "name": "mandonga", "kind": "kecamatan"}, 409),  # already seeded
    ]
    before = (await db.execute(text("SELECT count(*) FROM places"))).scalar_one()
    for body, status in bad:
        r = await client.post("/api/admin/places", json=body, headers=as_admin)
        assert r.status_code == status, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    after = (await db.execute(text("SELECT count(*) FROM places"))).scalar_one()
    assert after == before


async def test_only_admins_manage_places(client: Client) -> None:
    operator = await login(client, "operator")
    body = {"name": "Pasar Baru", "kind": "landmark", "lat": -3.99, "lon": 122.52}
    assert (await client.post("/api/admin/places", json=body, headers=operator)).status_code == 403
    assert (await client.get("/api/admin/places", headers=operator)).status_code == 403
    assert (await client.delete("/api/admin/places/1", headers=operator)).status_code == 403
    assert (await client.post("/api/admin/places", json=body)).status_code == 401
    # Searching needs no account: the citizen report uses it too.
    assert (await client.get("/api/places", params={"q": "kadia"})).status_code == 200
