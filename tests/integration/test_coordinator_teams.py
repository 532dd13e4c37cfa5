"""A coordinator manages their own agency's team membership, and only theirs."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import login


async def team_id(client: AsyncTestClient[Litestar], headers: dict[str, str], name: str) -> int:
    r = await client.get("/api/teams", headers=headers)
    assert r.status_code == 200, r.text
    teams: list[dict[str, Any]] = r.json()
    return next(t["id"] for t in teams if t["name"] == name)


async def test_coordinator_sets_members_of_their_agency_team(
    client: AsyncTestClient[Litestar],
) -> None:
    coord = await login(client, "koordinator.dlhk")
    tid = await team_id(client, coord, "TRC DLHK 1")

    r = await client.get(f"/api/teams/{tid}/candidates", headers=coord)
    assert r.status_code == 200, r.text
    staff = {u["full_name"]: u["id"] for u in r.json()}
    assert "Rina Petugas DLHK" in staff and "Putra Petugas DLHK" in staff
    assert not any("Damkar" in name for name in staff)

    both = [staff["Putra Petugas DLHK"], staff["Rina Petugas DLHK"]]
    r = await client.put(f"/api/teams/{tid}/members", json={"user_ids": both}, headers=coord)
    assert r.status_code == 200, r.text
    assert sorted(m["id"] for m in r.json()["members"]) == sorted(both)

    # The change is stored: the new member now works the team's cases.
    r = await client.get(f"/api/teams/{tid}", headers=coord)
    assert sorted(m["id"] for m in r.json()["members"]) == sorted(both)


async def test_coordinator_cannot_add_another_agencys_staff(
    client: AsyncTestClient[Litestar],
) -> None:
    coord = await login(client, "koordinator.dlhk")
    tid = await team_id(client, coord, "TRC DLHK 1")
    damkar = await login(client, "koordinator.damkar")
    r = await client.get("/api/auth/me", headers=damkar)
    outsider = r.json()["id"]

    r = await client.put(f"/api/teams/{tid}/members", json={"user_ids": [outsider]}, headers=coord)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "team_member_wrong_agency"

    r = await client.put(f"/api/teams/{tid}/members", json={"user_ids": [999_999]}, headers=coord)
    assert r.status_code == 422, r.text


async def test_coordinator_cannot_touch_another_agencys_team(
    client: AsyncTestClient[Litestar],
) -> None:
    damkar = await login(client, "koordinator.damkar")
    admin = await login(client, "admin")
    tid = await team_id(client, admin, "TRC DLHK 1")
    r = await client.put(f"/api/teams/{tid}/members", json={"user_ids": []}, headers=damkar)
    assert r.status_code == 404, r.text
    r = await client.get(f"/api/teams/{tid}/candidates", headers=damkar)
    assert r.status_code == 404, r.text


async def test_field_officers_and_dispatchers_cannot_set_members(
    client: AsyncTestClient[Litestar],
) -> None:
    admin = await login(client, "admin")
    tid = await team_id(client, admin, "TRC DLHK 1")
    for user in ("petugas.dlhk", "dispatcher"):
        headers = await login(client, user)
        r = await client.put(f"/api/teams/{tid}/members", json={"user_ids": []}, headers=headers)
        assert r.status_code == 403, (user, r.text)
