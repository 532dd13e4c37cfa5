"""The admin console's users: search and filters, last sign-in, a password made and shown once
on creation or reset (the reset signs the user out everywhere), and reactivation."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Clock, login
from tests.factories import user_by_name

Client = AsyncTestClient[Litestar]


async def _users(client: Client, admin: dict[str, str], **query: Any) -> list[str]:
    r = await client.get("/api/admin/users", headers=admin, params=query)
    assert r.status_code == 200, r.text
    return [u["username"] for u in r.json()]


async def _sign_in(client: Client, username: str, password: str) -> dict[str, Any]:
    r = await client.post("/api/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    tokens: dict[str, Any] = r.json()
    return tokens


async def test_users_are_found_by_name_role_agency_and_state(
    client: Client, db: AsyncSession
) -> None:
    admin = await login(client, "admin")
    dlhk = (await user_by_name(db, "petugas.dlhk")).agency_id
    everyone = await _users(client, admin)
    assert "petugas.dlhk" in everyone and "admin" in everyone

    field = await _users(client, admin, role="field_officer", agency_id=str(dlhk))
    assert field and "petugas.dlhk" in field
    full = (await client.get("/api/admin/users", headers=admin, params={"agency_id": dlhk})).json()
    assert {u["agency_id"] for u in full} == {dlhk}
    assert await _users(client, admin, q="PETUGAS.DL") == [u for u in everyone if "petugas.dl" in u]
    # The full name counts too, in any case.
    name = (await user_by_name(db, "operator")).full_name
    assert "operator" in await _users(client, admin, q=name.upper())
    # Wildcards are taken literally.
    assert await _users(client, admin, q="%") == []

    victim = (await user_by_name(db, "dispatcher")).id
    assert (await client.delete(f"/api/admin/users/{victim}", headers=admin)).status_code == 204
    assert "dispatcher" in await _users(client, admin, active="false")
    assert "dispatcher" not in await _users(client, admin, active="true")
    assert "admin" not in await _users(client, admin, active="false")


async def test_a_bad_users_query_is_a_400_problem(client: Client) -> None:
    admin = await login(client, "admin")
    for query in ({"active": "maybe"}, {"agency_id": "x"}, {"q": "x" * 101}):
        r = await client.get("/api/admin/users", headers=admin, params=query)
        assert r.status_code == 400, (query, r.text)


async def test_each_sign_in_sets_the_last_sign_in(client: Client, clock: Clock) -> None:
    admin = await login(client, "admin")
    operator = await client.get("/api/admin/users", headers=admin, params={"q": "operator"})
    before = {u["username"]: u for u in operator.json()}["operator"]
    assert before["last_login_at"] is None
    clock.advance(minutes=5)
    await _sign_in(client, "operator", "tanggap112")
    r = await client.get(f"/api/admin/users/{before['id']}", headers=admin)
    assert r.json()["last_login_at"] == clock().isoformat().replace("+00:00", "Z")
    # A refused sign-in does not count.
    clock.advance(minutes=5)
    bad = await client.post(
        "/api/auth/login", json={"username": "operator", "password": "wrong-password"}
    )
    assert bad.status_code == 401
    again = (await client.get(f"/api/admin/users/{before['id']}", headers=admin)).json()
    assert again["last_login_at"] == r.json()["last_login_at"]


async def test_a_user_created_without_a_password_gets_one_shown_once(
    client: Client, db: AsyncSession
) -> None:
    admin = await login(client, "admin")
    r = await client.post(
        "/api/admin/users",
        headers=admin,
        json={"username": "tanpa.sandi", "full_name": "Tanpa Sandi", "role": "operator"},
    )
    assert r.status_code == 201, r.text
    assert r.headers["cache-control"] == "no-store", r.headers
    created = r.json()
    password = created["password"]
    assert isinstance(password, str) and len(password) >= 16
    assert created["user"]["username"] == "tanpa.sandi"
    await _sign_in(client, "tanpa.sandi", password)
    # Stored as argon2, and shown nowhere again.
    stored = await user_by_name(db, "tanpa.sandi")
    assert stored.password_hash.startswith("$argon2") and password not in stored.password_hash
    shown = (await client.get(f"/api/admin/users/{stored.id}", headers=admin)).text
    assert password not in shown

    given = await client.post(
        "/api/admin/users",
        headers=admin,
        json={
            "username": "dengan.sandi",
            "full_name": "Dengan Sandi",
            "role": "operator",
            "password": "rahasia-sendiri-1",
        },
    )
    assert given.status_code == 201
    assert given.json()["password"] is None


async def test_a_password_reset_shows_a_new_password_once_and_signs_the_user_out(
    client: Client, db: AsyncSession
) -> None:
    admin = await login(client, "admin")
    tokens = await _sign_in(client, "operator", "tanggap112")
    operator = {"Authorization": f"Bearer {tokens['access_token']}"}
    user_id = (await user_by_name(db, "operator")).id

    r = await client.post(f"/api/admin/users/{user_id}/reset-password", headers=admin)
    assert r.status_code == 200, r.text
    password = r.json()["password"]
    assert len(password) >= 16
    # A secret shown once is never kept by a browser or proxy cache.
    assert r.headers["cache-control"] == "no-store", r.headers

    assert (await client.get("/api/auth/me", headers=operator)).status_code == 401
    refresh = await client.post(
        "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refresh.status_code == 401
    old = await client.post(
        "/api/auth/login", json={"username": "operator", "password": "tanggap112"}
    )
    assert old.status_code == 401
    await _sign_in(client, "operator", password)
    hashes = await db.execute(
        text("SELECT password_hash FROM users WHERE id = :id"), {"id": user_id}
    )
    assert hashes.scalar_one().startswith("$argon2")

    missing = await client.post("/api/admin/users/999999/reset-password", headers=admin)
    assert missing.status_code == 404


async def test_a_deactivated_user_is_refused_until_reactivated(
    client: Client, db: AsyncSession
) -> None:
    admin = await login(client, "admin")
    user_id = (await user_by_name(db, "operator")).id
    assert (await client.delete(f"/api/admin/users/{user_id}", headers=admin)).status_code == 204
    refused = await client.post(
        "/api/auth/login", json={"username": "operator", "password": "tanggap112"}
    )
    assert refused.status_code == 401

    r = await client.post(f"/api/admin/users/{user_id}/reactivate", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["active"] is True and r.json()["username"] == "operator"
    await _sign_in(client, "operator", "tanggap112")
    missing = await client.post("/api/admin/users/999999/reactivate", headers=admin)
    assert missing.status_code == 404
