"""Bad input to every admin endpoint: a 4xx problem-details answer, and nothing changes."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import login

Client = AsyncTestClient[Litestar]
TABLES = [
    "agencies",
    "categories",
    "category_supporting_agencies",
    "areas",
    "teams",
    "team_members",
    "users",
    "routing_rules",
    "auth_sessions",
    "admin_audit",  # a refused change is not recorded either
]

GOOD_CATEGORY = {
    "code": "BARU",
    "name_id": "Baru",
    "name_en": "New",
    "group": "layanan",
    "agency_id": 1,
    "priority": "P3",
    "sla_accept_min": 10,
    "sla_arrive_min": 20,
    "sla_resolve_min": 30,
}
SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[122.5, -4.0], [122.51, -4.0], [122.51, -3.99], [122.5, -3.99], [122.5, -4.0]]
    ],
}
BOWTIE = {
    "type": "Polygon",
    "coordinates": [
        [[122.5, -4.0], [122.51, -3.99], [122.51, -4.0], [122.5, -3.99], [122.5, -4.0]]
    ],
}

# (method, path, body): each one wrong in a single way.
BAD: list[tuple[str, str, Any]] = [
    # agencies
    ("POST", "/api/admin/agencies", {}),
    ("POST", "/api/admin/agencies", {"code": "lower", "name_id": "x", "name_en": "x"}),
    ("POST", "/api/admin/agencies", {"code": "DLHK", "name_id": "Dup", "name_en": "Dup"}),
    ("POST", "/api/admin/agencies", {"code": "X1", "name_id": "", "name_en": "x"}),
    ("POST", "/api/admin/agencies", {"code": "X1", "name_id": "x", "name_en": "x", "kind": "club"}),
    ("POST", "/api/admin/agencies", {"code": "X1", "name_id": "x", "name_en": "x", "extra": 1}),
    ("POST", "/api/admin/agencies", "not an object"),
    ("PATCH", "/api/admin/agencies/1", {"code": "BPBD"}),
    ("PATCH", "/api/admin/agencies/1", {"active": "yes"}),
    ("PATCH", "/api/admin/agencies/999999", {"notes": "x"}),
    ("DELETE", "/api/admin/agencies/1", None),
    ("DELETE", "/api/admin/agencies/999999", None),
    # categories
    ("POST", "/api/admin/categories", {**GOOD_CATEGORY, "agency_id": 999999}),
    ("POST", "/api/admin/categories", {**GOOD_CATEGORY, "supporting_agency_ids": [999999]}),
    ("POST", "/api/admin/categories", {**GOOD_CATEGORY, "sla_arrive_min": 5}),
    ("POST", "/api/admin/categories", {**GOOD_CATEGORY, "priority": "P9"}),
    ("POST", "/api/admin/categories", {**GOOD_CATEGORY, "code": "BANJIR"}),
    ("POST", "/api/admin/categories", {**GOOD_CATEGORY, "dedupe_radius_m": -1}),
    (
        "POST",
        "/api/admin/categories",
        {**GOOD_CATEGORY, "attributes": [{"code": "Bad Code", "description": "x"}]},
    ),
    ("PATCH", "/api/admin/categories/1", {"sla_accept_min": 100000}),
    ("PATCH", "/api/admin/categories/1", {"agency_id": 999999}),
    ("PATCH", "/api/admin/categories/999999", {"priority": "P1"}),
    # areas
    ("POST", "/api/admin/areas", {"name": "Baru", "center": {"lat": 95, "lon": 122.5}}),
    ("POST", "/api/admin/areas", {"name": "Mandonga", "center": {"lat": -4, "lon": 122.5}}),
    (
        "POST",
        "/api/admin/areas",
        {"name": "Baru", "center": {"lat": -4, "lon": 122.5}, "boundary": BOWTIE},
    ),
    (
        "POST",
        "/api/admin/areas",
        {
            "name": "Baru",
            "center": {"lat": -4, "lon": 122.5},
            "boundary": {"type": "Point", "coordinates": [1, 2]},
        },
    ),
    (
        "POST",
        "/api/admin/areas",
        {
            "name": "Baru",
            "center": {"lat": -4, "lon": 122.5},
            "boundary": {"type": "Polygon", "coordinates": "x"},
        },
    ),
    ("PATCH", "/api/admin/areas/1", {"boundary": BOWTIE}),
    ("PATCH", "/api/admin/areas/999999", {"name": "x"}),
    # teams and membership
    ("POST", "/api/admin/teams", {"agency_id": 999999, "name": "Tim"}),
    ("POST", "/api/admin/teams", {"agency_id": 1, "name": ""}),
    ("POST", "/api/admin/teams", {"agency_id": 1, "name": "Tim", "member_ids": [999999]}),
    ("PUT", "/api/admin/teams/1/members", {"user_ids": [999999]}),
    ("PUT", "/api/admin/teams/1/members", {"user_ids": "all"}),
    ("PATCH", "/api/admin/teams/999999", {"on_duty": True}),
    # users
    (
        "POST",
        "/api/admin/users",
        {"username": "ab", "full_name": "x", "role": "operator", "password": "password123"},
    ),
    (
        "POST",
        "/api/admin/users",
        {"username": "baru", "full_name": "x", "role": "king", "password": "password123"},
    ),
    (
        "POST",
        "/api/admin/users",
        {"username": "baru", "full_name": "x", "role": "operator", "password": "short"},
    ),
    (
        "POST",
        "/api/admin/users",
        {"username": "baru", "full_name": "x", "role": "field_officer", "password": "password123"},
    ),
    (
        "POST",
        "/api/admin/users",
        {"username": "admin", "full_name": "x", "role": "operator", "password": "password123"},
    ),
    (
        "POST",
        "/api/admin/users",
        {
            "username": "baru",
            "full_name": "x",
            "role": "operator",
            "password": "password123",
            "phone": "12",
        },
    ),
    (
        "POST",
        "/api/admin/users",
        {
            "username": "baru",
            "full_name": "x",
            "role": "operator",
            "password": "password123",
            "agency_id": 999999,
        },
    ),
    ("PATCH", "/api/admin/users/1", {"active": False}),  # the admin's own account
    ("PATCH", "/api/admin/users/1", {"role": "coordinator"}),
    ("PATCH", "/api/admin/users/999999", {"full_name": "x"}),
    ("DELETE", "/api/admin/users/1", None),
    # routing rules
    ("POST", "/api/admin/routing-rules", {"area_id": 1}),
    ("POST", "/api/admin/routing-rules", {"area_id": 999999, "agency_id": 1}),
    ("POST", "/api/admin/routing-rules", {"area_id": 1, "team_id": 999999}),
    ("DELETE", "/api/admin/routing-rules/999999", None),
]


async def _snapshot(db: AsyncSession) -> dict[str, str]:
    out = {}
    for table in TABLES:
        if table == "auth_sessions":  # the admin's own sign-in is allowed to exist
            q = "SELECT count(*)::text FROM auth_sessions WHERE revoked_at IS NOT NULL"
        else:
            q = (
                "SELECT coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') "  # noqa: S608
                f"FROM {table} t"  # table names come from TABLES above
            )
        out[table] = (await db.execute(text(q))).scalar_one()
    return out


@pytest.mark.parametrize(
    ("method", "path", "body"), BAD, ids=[f"{m} {p} #{i}" for i, (m, p, _) in enumerate(BAD)]
)
async def test_bad_admin_input_is_a_4xx_problem_and_changes_nothing(
    client: Client,
    db: AsyncSession,
    method: str,
    path: str,
    body: Any,
) -> None:
    admin = {**await login(client, "admin"), "Accept-Language": "en"}
    before = await _snapshot(db)
    kw: dict[str, Any] = {}
    if body is not None:
        kw["json"] = body
    r = await client.request(method, path, headers=admin, **kw)
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["status"] == r.status_code and problem["code"] and problem["detail"]
    await db.rollback()
    assert await _snapshot(db) == before


async def test_the_good_version_of_each_body_is_accepted(client: Client) -> None:
    """The bad bodies above fail for their one fault, not because the endpoint is broken."""
    admin = await login(client, "admin")
    assert (
        await client.post("/api/admin/categories", headers=admin, json=GOOD_CATEGORY)
    ).status_code == 201
    assert (
        await client.post(
            "/api/admin/areas",
            headers=admin,
            json={
                "name": "Baru",
                "center": {"lat": -4, "lon": 122.5},
                "boundary": SQUARE,
            },
        )
    ).status_code == 201
    assert (
        await client.post(
            "/api/admin/users",
            headers=admin,
            json={
                "username": "baru",
                "full_name": "x",
                "role": "operator",
                "password": "password123",
                "phone": "081234567890",
            },
        )
    ).status_code == 201


async def test_a_second_rule_for_an_area_and_category_or_live_key_of_a_name_is_refused(
    client: Client,
) -> None:
    """Duplicates the console's forms show beside their field: a 409 naming it, in words."""
    admin = {**await login(client, "admin"), "Accept-Language": "en"}
    rule = {"area_id": 1, "category_id": 1, "agency_id": 1}
    every = {"area_id": 1, "agency_id": 1}
    for path, body, field, code in (
        ("/api/admin/routing-rules", rule, "category_id", "routing_rule_exists"),
        ("/api/admin/routing-rules", every, "category_id", "routing_rule_exists"),
        ("/api/admin/open311-keys", {"name": "Portal kota"}, "name", "already_exists"),
    ):
        assert (await client.post(path, headers=admin, json=body)).status_code == 201
        before = (await client.get(path, headers=admin)).json()
        r = await client.post(path, headers=admin, json=body)
        assert r.status_code == 409, r.text
        assert r.json()["code"] == code
        assert [e["key"] for e in r.json()["errors"]] == [field]
        assert "_" not in r.json()["detail"], r.json()["detail"]  # in words, not codes
        assert (await client.get(path, headers=admin)).json() == before
    # A revoked key's name may be given again.
    key = (await client.get("/api/admin/open311-keys", headers=admin)).json()[0]
    await client.delete(f"/api/admin/open311-keys/{key['id']}", headers=admin)
    r = await client.post("/api/admin/open311-keys", headers=admin, json={"name": "Portal kota"})
    assert r.status_code == 201, r.text
