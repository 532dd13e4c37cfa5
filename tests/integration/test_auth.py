"""Sign-in, tokens, role guards and agency scoping against a real PostGIS."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import LoginFailure
from tests.conftest import Clock, login
from tests.factories import agency_by_code, make_team

Client = AsyncTestClient[Litestar]


async def test_demo_login_returns_tokens_and_me_returns_the_user(client: Client) -> None:
    r = await client.post("/api/auth/login", json={"username": "Admin ", "password": "tanggap112"})
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 15 * 60
    assert body["user"]["username"] == "admin" and body["user"]["role"] == "admin"
    me = await client.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json()["username"] == "admin"


async def test_wrong_password_is_401_in_the_callers_language(client: Client) -> None:
    r = await client.post(
        "/api/auth/login",
        json={"username": "admin", "password": "salah"},
        headers={"Accept-Language": "en"},
    )
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "invalid_credentials"
    assert r.json()["detail"] == "Wrong username or password."
    r = await client.post("/api/auth/login", json={"username": "nobody", "password": "x"})
    assert r.status_code == 401
    assert r.json()["detail"] == "Nama pengguna atau kata sandi salah."


async def test_field_officer_sees_their_agency(client: Client) -> None:
    h = await login(client, "petugas.dlhk")
    me = (await client.get("/api/auth/me", headers=h)).json()
    assert me["role"] == "field_officer"
    assert me["agency"]["code"] == "DLHK"
    assert len(me["team_ids"]) == 1


async def test_missing_or_malformed_token_is_401(client: Client) -> None:
    assert (await client.get("/api/auth/me")).status_code == 401
    for header in ["Bearer", "Basic abc", "Bearer not.a.jwt"]:
        r = await client.get("/api/auth/me", headers={"Authorization": header})
        assert r.status_code == 401, header
        assert r.json()["code"] in {"token_invalid", "not_authenticated"}


async def test_expired_access_token_is_401(client: Client, clock: Clock) -> None:
    h = await login(client, "operator")
    assert (await client.get("/api/auth/me", headers=h)).status_code == 200
    clock.advance(minutes=16)
    r = await client.get("/api/auth/me", headers=h)
    assert r.status_code == 401
    assert r.json()["code"] == "token_invalid"


async def test_logout_revokes_access_and_refresh_tokens(client: Client) -> None:
    r = await client.post(
        "/api/auth/login", json={"username": "operator", "password": "tanggap112"}
    )
    tokens = r.json()
    h = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await client.post("/api/auth/logout", headers=h)).status_code == 204
    assert (await client.get("/api/auth/me", headers=h)).status_code == 401
    r = await client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 401


async def test_a_refresh_retried_after_a_lost_answer_is_not_taken_for_theft(
    client: Client,
    clock: Clock,
) -> None:
    first = (
        await client.post(
            "/api/auth/login", json={"username": "dispatcher", "password": "tanggap112"}
        )
    ).json()
    lost = await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert lost.status_code == 200  # ... but the phone never received this answer
    clock.advance(seconds=5)
    retry = await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert retry.status_code == 200
    h = {"Authorization": f"Bearer {retry.json()['access_token']}"}
    assert (await client.get("/api/auth/me", headers=h)).status_code == 200
    # The answer the phone never saw no longer works; the one it got keeps working.
    r = await client.post("/api/auth/refresh", json={"refresh_token": lost.json()["refresh_token"]})
    assert r.status_code == 401
    r = await client.post(
        "/api/auth/refresh", json={"refresh_token": retry.json()["refresh_token"]}
    )
    assert r.status_code == 200


async def test_refresh_rotates_and_a_replayed_token_revokes_the_session(
    client: Client,
    clock: Clock,
) -> None:
    first = (
        await client.post(
            "/api/auth/login", json={"username": "dispatcher", "password": "tanggap112"}
        )
    ).json()
    second = (
        await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    ).json()
    assert second["refresh_token"] != first["refresh_token"]
    clock.advance(minutes=2)  # well past the retry grace
    h2 = {"Authorization": f"Bearer {second['access_token']}"}
    assert (await client.get("/api/auth/me", headers=h2)).status_code == 200
    # The old refresh token comes back: someone copied it. The whole session ends.
    r = await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 401
    assert (await client.get("/api/auth/me", headers=h2)).status_code == 401
    r = await client.post("/api/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert r.status_code == 401


async def test_login_is_rate_limited_per_account(
    client: Client, db: AsyncSession, clock: Clock
) -> None:
    for _ in range(5):
        r = await client.post(
            "/api/auth/login", json={"username": "supervisor", "password": "wrong"}
        )
        assert r.status_code == 401
    r = await client.post(
        "/api/auth/login", json={"username": "supervisor", "password": "tanggap112"}
    )
    assert r.status_code == 429
    assert r.json()["code"] == "login_rate_limited"
    assert 1 <= int(r.headers["Retry-After"]) <= 15 * 60 + 1
    # Other accounts are not locked by one account's failures.
    assert (
        await client.post(
            "/api/auth/login", json={"username": "operator", "password": "tanggap112"}
        )
    ).status_code == 200
    clock.advance(minutes=16)
    r = await client.post(
        "/api/auth/login", json={"username": "supervisor", "password": "tanggap112"}
    )
    assert r.status_code == 200


async def test_login_is_rate_limited_per_ip(make_app, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    app = make_app(login_max_failures_per_ip=3, login_max_failures_per_account_address=100)
    async with AsyncTestClient(app=app) as client:
        for i in range(3):
            r = await client.post(
                "/api/auth/login", json={"username": f"guess{i}", "password": "x"}
            )
            assert r.status_code == 401
        r = await client.post(
            "/api/auth/login", json={"username": "admin", "password": "tanggap112"}
        )
        assert r.status_code == 429


async def test_failed_logins_are_recorded_even_though_the_request_fails(
    client: Client,
    db: AsyncSession,
) -> None:
    await client.post("/api/auth/login", json={"username": "admin", "password": "nope"})
    n = (await db.execute(select(func.count()).select_from(LoginFailure))).scalar()
    assert n == 2  # one for the account, one for the address


async def test_role_guard_refuses_other_roles_with_403(client: Client) -> None:
    for username in ["operator", "dispatcher", "supervisor", "petugas.dlhk"]:
        h = await login(client, username)
        r = await client.get("/api/admin/users", headers=h)
        assert r.status_code == 403, username
        assert r.json()["code"] == "forbidden"
    assert (await client.get("/api/admin/users")).status_code == 401
    h = await login(client, "admin")
    assert (await client.get("/api/admin/users", headers=h)).status_code == 200


async def test_field_officer_sees_only_their_agency_teams(client: Client, db: AsyncSession) -> None:
    dlhk = await agency_by_code(db, "DLHK")
    damkar = await agency_by_code(db, "DAMKARMAT")
    other = await make_team(db, agency_id=damkar.id, name="Regu Uji")
    await db.commit()
    h = await login(client, "petugas.dlhk")
    teams = (await client.get("/api/teams", headers=h)).json()
    assert teams and {t["agency_id"] for t in teams} == {dlhk.id}
    assert (await client.get(f"/api/teams/{other.id}", headers=h)).status_code == 404
    # Asking for another agency by filter gives nothing rather than leaking.
    assert (await client.get(f"/api/teams?agency_id={damkar.id}", headers=h)).json() == []
    h = await login(client, "dispatcher")
    teams = (await client.get("/api/teams", headers=h)).json()
    assert {dlhk.id, damkar.id} <= {t["agency_id"] for t in teams}
    assert (await client.get(f"/api/teams/{other.id}", headers=h)).status_code == 200


async def test_reference_lists_follow_the_callers_language(client: Client) -> None:
    h = await login(client, "operator")
    cats = (await client.get("/api/categories", headers={**h, "Accept-Language": "en"})).json()
    assert len(cats) == 38
    fire = next(c for c in cats if c["code"] == "KEBAKARAN_BANGUNAN")
    assert fire["name"] == "House or building fire" and fire["priority"] == "P1"
    assert fire["sla_resolve_min"] == 4 * 60 and fire["photo_required"] is True
    cats = (await client.get("/api/categories", headers=h)).json()
    fire = next(c for c in cats if c["code"] == "KEBAKARAN_BANGUNAN")
    assert fire["name"] == "Kebakaran rumah/bangunan"
    assert len((await client.get("/api/agencies", headers=h)).json()) == 15
