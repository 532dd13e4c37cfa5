"""The admin audit record: every admin change is recorded with who, when, and the record before
and after (never a password, a hash or an Open311 key), and nothing may change or remove it."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import login
from tests.factories import user_by_name

Client = AsyncTestClient[Litestar]
SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[122.5, -4.0], [122.51, -4.0], [122.51, -3.99], [122.5, -3.99], [122.5, -4.0]]
    ],
}


async def _entries(client: Client, admin: dict[str, str], **query: Any) -> list[dict[str, Any]]:
    r = await client.get("/api/admin/audit", headers=admin, params={"limit": 200, **query})
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def _ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json() if r.content else None


async def test_every_admin_change_is_recorded_with_before_and_after(
    client: Client, db: AsyncSession
) -> None:
    admin = await login(client, "admin")
    me = await user_by_name(db, "admin")
    admin_id, admin_name = me.id, me.full_name
    post, patch, delete = client.post, client.patch, client.delete

    agency = await _ok(
        await post(
            "/api/admin/agencies",
            headers=admin,
            json={"code": "AUDIT", "name_id": "Dinas Audit", "name_en": "Audit agency"},
        ),
        201,
    )
    await _ok(
        await patch(f"/api/admin/agencies/{agency['id']}", headers=admin, json={"notes": "x"})
    )
    category = await _ok(
        await post(
            "/api/admin/categories",
            headers=admin,
            json={
                "code": "AUDIT_CAT",
                "name_id": "Audit",
                "name_en": "Audit",
                "group": "layanan",
                "agency_id": agency["id"],
                "priority": "P3",
                "sla_accept_min": 10,
                "sla_arrive_min": 20,
                "sla_resolve_min": 30,
            },
        ),
        201,
    )
    await _ok(
        await patch(
            f"/api/admin/categories/{category['id']}",
            headers=admin,
            json={"supporting_agency_ids": [1]},
        )
    )
    area = await _ok(
        await post(
            "/api/admin/areas",
            headers=admin,
            json={"name": "Audit", "center": {"lat": -3.995, "lon": 122.505}, "boundary": SQUARE},
        ),
        201,
    )
    team = await _ok(
        await post("/api/admin/teams", headers=admin, json={"agency_id": 1, "name": "Tim Audit"}),
        201,
    )
    await _ok(await patch(f"/api/admin/teams/{team['id']}", headers=admin, json={"on_duty": True}))
    created = await _ok(
        await post(
            "/api/admin/users",
            headers=admin,
            json={
                "username": "audit.user",
                "full_name": "Audit User",
                "role": "operator",
                "password": "rahasia-sekali-1",
            },
        ),
        201,
    )
    user_id = created["user"]["id"]
    await _ok(await patch(f"/api/admin/users/{user_id}", headers=admin, json={"language": "en"}))
    shown = await _ok(await post(f"/api/admin/users/{user_id}/reset-password", headers=admin))
    await _ok(await delete(f"/api/admin/users/{user_id}", headers=admin), 204)
    await _ok(await post(f"/api/admin/users/{user_id}/reactivate", headers=admin))
    rule = await _ok(
        await post(
            "/api/admin/routing-rules",
            headers=admin,
            json={"area_id": area["id"], "agency_id": agency["id"]},
        ),
        201,
    )
    await _ok(await delete(f"/api/admin/routing-rules/{rule['id']}", headers=admin), 204)
    await _ok(
        await put_members(client, admin, team["id"], [])  # the same members: still recorded
    )
    key = await _ok(
        await post("/api/admin/open311-keys", headers=admin, json={"name": "Portal"}), 201
    )
    await _ok(await delete(f"/api/admin/open311-keys/{key['id']}", headers=admin))
    place = await _ok(
        await post(
            "/api/admin/places",
            headers=admin,
            json={"name": "Tugu Audit", "kind": "landmark", "lat": -3.97, "lon": 122.51},
        ),
        201,
    )
    await _ok(await delete(f"/api/admin/places/{place['id']}", headers=admin), 204)
    await _ok(await delete(f"/api/admin/teams/{team['id']}", headers=admin), 204)
    await _ok(await delete(f"/api/admin/areas/{area['id']}", headers=admin), 204)
    await _ok(await delete(f"/api/admin/categories/{category['id']}", headers=admin), 204)

    entries = list(reversed(await _entries(client, admin)))
    done = [(e["entity"], e["action"], e["entity_id"]) for e in entries]
    assert done == [
        ("agency", "create", str(agency["id"])),
        ("agency", "update", str(agency["id"])),
        ("category", "create", str(category["id"])),
        ("category", "update", str(category["id"])),
        ("area", "create", str(area["id"])),
        ("team", "create", str(team["id"])),
        ("team", "update", str(team["id"])),
        ("user", "create", str(user_id)),
        ("user", "update", str(user_id)),
        ("user", "reset_password", str(user_id)),
        ("user", "deactivate", str(user_id)),
        ("user", "reactivate", str(user_id)),
        ("routing_rule", "create", str(rule["id"])),
        ("routing_rule", "delete", str(rule["id"])),
        ("team", "set_members", str(team["id"])),
        ("open311_key", "create", str(key["id"])),
        ("open311_key", "revoke", str(key["id"])),
        ("place", "create", str(place["id"])),
        ("place", "deactivate", str(place["id"])),
        ("team", "delete", str(team["id"])),
        ("area", "delete", str(area["id"])),
        ("category", "deactivate", str(category["id"])),
    ]
    assert {e["actor_id"] for e in entries} == {admin_id}
    assert {e["actor_name"] for e in entries} == {admin_name}
    by = {(e["entity"], e["action"]): e for e in entries}
    # A creation has only an after, a deletion only a before; a change has both.
    assert by["agency", "create"]["before"] is None
    assert by["agency", "create"]["after"]["code"] == "AUDIT"
    assert by["agency", "update"]["before"]["notes"] == ""
    assert by["agency", "update"]["after"]["notes"] == "x"
    assert by["category", "update"]["before"]["supporting_agency_ids"] == []
    assert by["category", "update"]["after"]["supporting_agency_ids"] == [1]
    assert by["routing_rule", "delete"]["after"] is None
    assert by["routing_rule", "delete"]["before"]["agency_id"] == agency["id"]
    assert by["user", "update"]["before"]["language"] == "id"
    assert by["user", "update"]["after"]["language"] == "en"
    assert by["user", "deactivate"]["after"]["active"] is False
    assert by["user", "reactivate"]["after"]["active"] is True
    assert by["open311_key", "revoke"]["before"]["revoked_at"] is None
    assert by["open311_key", "revoke"]["after"]["revoked_at"] is not None
    assert by["place", "deactivate"]["after"]["active"] is False
    assert by["category", "deactivate"]["after"]["active"] is False
    # No secret reaches the record: not the passwords, their hashes, nor the Open311 key.
    raw = (await db.execute(text("SELECT string_agg(t::text, ' ') FROM admin_audit t"))).scalar()
    assert raw is not None
    for secret in ("rahasia-sekali-1", shown["password"], key["api_key"], "$argon2", "key_hash"):
        assert secret not in raw
    keys = await db.execute(
        text(
            "SELECT DISTINCT k FROM admin_audit, "
            "LATERAL jsonb_object_keys(coalesce(after, before)) AS k"
        )
    )
    assert not {"password", "password_hash", "api_key", "key_hash"} & set(keys.scalars())


async def put_members(client: Client, admin: dict[str, str], team_id: int, ids: list[int]) -> Any:
    return await client.put(
        f"/api/admin/teams/{team_id}/members", headers=admin, json={"user_ids": ids}
    )


async def test_the_record_is_read_a_page_at_a_time_newest_first_and_filtered(
    client: Client, db: AsyncSession
) -> None:
    admin = await login(client, "admin")
    ids = []
    for n in range(5):
        r = await client.post(
            "/api/admin/agencies",
            headers=admin,
            json={"code": f"PAGE{n}", "name_id": f"Dinas {n}", "name_en": f"Agency {n}"},
        )
        ids.append(r.json()["id"])
    await client.patch("/api/admin/teams/1", headers=admin, json={"on_duty": False})

    first = (
        await client.get("/api/admin/audit", headers=admin, params={"entity": "agency", "limit": 2})
    ).json()
    assert [e["entity_id"] for e in first["items"]] == [str(ids[4]), str(ids[3])]
    assert first["next_before"] == first["items"][-1]["id"]
    second = (
        await client.get(
            "/api/admin/audit",
            headers=admin,
            params={"entity": "agency", "limit": 2, "before": first["next_before"]},
        )
    ).json()
    assert [e["entity_id"] for e in second["items"]] == [str(ids[2]), str(ids[1])]
    last = (
        await client.get(
            "/api/admin/audit",
            headers=admin,
            params={"entity": "agency", "limit": 2, "before": second["next_before"]},
        )
    ).json()
    assert [e["entity_id"] for e in last["items"]] == [str(ids[0])]
    assert last["next_before"] is None

    one = await _entries(client, admin, entity="agency", entity_id=str(ids[2]))
    assert [e["entity_id"] for e in one] == [str(ids[2])]
    team = await _entries(client, admin, entity="team")
    assert [(e["entity_id"], e["action"]) for e in team] == [("1", "update")]
    admin_id = (await user_by_name(db, "admin")).id
    assert len(await _entries(client, admin, actor_id=admin_id)) == 6
    assert await _entries(client, admin, actor_id=admin_id + 100000) == []


@pytest.mark.parametrize(
    "query", [{"entity": "case"}, {"limit": "0"}, {"limit": "201"}, {"before": "x"}]
)
async def test_a_bad_audit_query_is_a_400_problem(client: Client, query: dict[str, str]) -> None:
    admin = await login(client, "admin")
    r = await client.get("/api/admin/audit", headers=admin, params=query)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_no_route_changes_or_deletes_an_audit_entry(client: Client, db: AsyncSession) -> None:
    admin = await login(client, "admin")
    await client.post(
        "/api/admin/agencies",
        headers=admin,
        json={"code": "KEEP", "name_id": "Tetap", "name_en": "Kept"},
    )
    entry = (await _entries(client, admin))[0]
    before = (await db.execute(text("SELECT count(*), max(id) FROM admin_audit"))).one()
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        for path in ("/api/admin/audit", f"/api/admin/audit/{entry['id']}"):
            if method == "POST" and path == "/api/admin/audit":
                r = await client.request(method, path, headers=admin, json={})
            else:
                r = await client.request(method, path, headers=admin, json={"after": None})
            assert r.status_code in (404, 405), (method, path, r.status_code)
    after = (await db.execute(text("SELECT count(*), max(id) FROM admin_audit"))).one()
    assert tuple(after) == tuple(before)
    assert (await _entries(client, admin))[0] == entry


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE admin_audit SET after = NULL",
        "UPDATE admin_audit SET actor_id = NULL",
        "DELETE FROM admin_audit",
    ],
)
async def test_the_database_refuses_to_change_or_delete_an_entry(
    client: Client, db: AsyncSession, sql: str
) -> None:
    admin = await login(client, "admin")
    await client.post(
        "/api/admin/agencies",
        headers=admin,
        json={"code": "KEEP", "name_id": "Tetap", "name_en": "Kept"},
    )
    with pytest.raises(DBAPIError, match="append-only"):
        await db.execute(text(sql))
    await db.rollback()
    count = await db.execute(text("SELECT count(*) FROM admin_audit WHERE after IS NOT NULL"))
    assert count.scalar_one() == 1


async def test_a_refused_change_records_nothing(client: Client, db: AsyncSession) -> None:
    admin = await login(client, "admin")
    r = await client.post(
        "/api/admin/agencies",
        headers=admin,
        json={"code": "DLHK", "name_id": "Dup", "name_en": "Dup"},
    )
    assert r.status_code == 409
    r = await client.delete("/api/admin/agencies/1", headers=admin)
    assert r.status_code == 409
    count = await db.execute(text("SELECT count(*) FROM admin_audit"))
    assert count.scalar_one() == 0
