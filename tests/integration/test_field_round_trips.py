"""A field officer's hot paths against a real PostGIS, counted in SQL statements: a position
ping and a lifecycle move each take a fixed, small number (deterministic, unlike a timing), and
what they announce on the live channel is what the map reads."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Team
from tests.conftest import Clock, login
from tests.factories import category_by_code
from tests.integration.test_admin_catalogue import statements_on

Client = AsyncTestClient[Litestar]
# The statements of an assignment and of a field officer's accept, session check and answer
# included (13 and 10 before the case, the mover's teams, the named team and the category
# came in one statement; 10 and 8 then, and 8 and 6 once the timeline event and its live
# NOTIFY became one statement too, api/db/intake.py; 7 and 6 once the audiences' devices
# came in one statement, api/db/push.py; 6 and 5 once the case's update joined the event's
# statement).
ASSIGN_STATEMENTS = 6
ACCEPT_STATEMENTS = 5


async def _listen(database_url: str) -> tuple[asyncpg.Connection, asyncio.Queue[dict[str, Any]]]:
    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    heard: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await conn.add_listener("tanggap_live", lambda *a: heard.put_nowait(json.loads(a[3])))
    return conn, heard


async def test_a_ping_is_one_statement_and_announces_the_map_position(
    client: Client, db: AsyncSession, database_url: str, clock: Clock
) -> None:
    team = (await db.execute(select(Team).where(Team.name == "TRC DLHK 1"))).scalar_one()
    fo = await login(client, "petugas.dlhk")
    conn, heard = await _listen(database_url)
    try:
        ping = {"lat": -3.97, "lon": 122.51, "accuracy_m": 12.5}
        with statements_on() as seen:
            r = await client.post(f"/api/teams/{team.id}/positions", headers=fo, json=ping)
        assert r.status_code == 202, r.text
        # The session check, then the ping itself.
        assert len(seen) == 2, seen
        message = await asyncio.wait_for(heard.get(), 10)
        assert message == {
            "t": "position",
            "team_id": team.id,
            "agency_id": team.agency_id,
            "lon": 122.51,
            "lat": -3.97,
            "accuracy_m": 12.5,
            "at": clock.now.isoformat(),
        }
        answer = r.json()
        assert answer["team_id"] == team.id and answer["on_duty"] is True
        assert answer["last_accuracy_m"] == 12.5

        # A fix older than the team's last one is kept in history, moves nothing, announces
        # nothing; the answer is the team's last fix still. (Strictly older: a fix at the same
        # instant counts as the latest, and the clock may start on a whole minute.)
        older = {**ping, "lat": -3.98, "at": (clock.now - timedelta(seconds=20)).isoformat()}
        clock.advance(seconds=30)
        r = await client.post(f"/api/teams/{team.id}/positions", headers=fo, json=older)
        assert r.status_code == 202, r.text
        assert r.json()["last_position_at"] == answer["last_position_at"]
        await db.refresh(team)
        assert team.last_accuracy_m == 12.5
        # A refused ping (not a member) writes and announces nothing either.
        other = (await db.execute(select(Team).where(Team.name == "TRC DLHK 2"))).scalar_one()
        r = await client.post(f"/api/teams/{other.id}/positions", headers=fo, json=ping)
        assert r.status_code == 403 and r.json()["code"] == "not_team_member"
        r = await client.post("/api/teams/999999/positions", headers=fo, json=ping)
        assert r.status_code == 404
        # The next announcement is the next precise ping's, nothing in between. The session is
        # known by now (api/db/principals.py): the ping alone is one statement.
        clock.advance(seconds=30)
        with statements_on() as seen:
            r = await client.post(f"/api/teams/{team.id}/positions", headers=fo, json=ping)
        assert r.status_code == 202, r.text
        assert len(seen) == 1 and "auth_sessions" not in seen[0], seen
        message = await asyncio.wait_for(heard.get(), 10)
        assert message["at"] == clock.now.isoformat() and heard.empty()
    finally:
        await conn.close()


async def test_a_field_move_takes_a_fixed_number_of_statements(
    client: Client, db: AsyncSession, clock: Clock
) -> None:
    team = (await db.execute(select(Team).where(Team.name == "TRC DLHK 1"))).scalar_one()
    tree = await category_by_code(db, "POHON_TUMBANG")
    op = await login(client, "operator")
    body = {"category_id": tree.id, "lat": -3.966, "lon": 122.508, "description": "Pohon"}
    r = await client.post("/api/cases", headers=op, json=body)
    assert r.status_code == 201, r.text
    case = r.json()
    disp = await login(client, "dispatcher")
    fo = await login(client, "petugas.dlhk")
    path = f"/api/cases/{case['id']}"
    with statements_on() as assigning:
        r = await client.post(
            f"{path}/assign", headers=disp, json={"team_id": team.id, "version": case["version"]}
        )
    assert r.status_code == 200, r.text
    with statements_on() as accepting:
        r = await client.post(f"{path}/transitions", headers=fo, json={"action": "accept"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted" and r.json()["version"] == case["version"] + 2
    assert (len(assigning), len(accepting)) == (ASSIGN_STATEMENTS, ACCEPT_STATEMENTS), (
        assigning,
        accepting,
    )
