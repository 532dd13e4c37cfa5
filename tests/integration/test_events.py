"""Live control-room events over SSE, shared by API processes through PostgreSQL LISTEN/NOTIFY.

Two real uvicorn servers run against the test's database: what is committed anywhere reaches
SSE clients on both, filtered by agency, and a client that reconnects with ``Last-Event-ID``
gets exactly what it missed.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import Settings
from api.db.models import Case, EventTicket, Team
from api.security import token_digest
from api.services.notify import LIVE_CHANNEL, on_call_queue, on_team_position, on_warning
from tests.conftest import Clock, login
from tests.factories import agency_by_code, make_case, make_category
from tests.support import push_fixtures
from tests.support.push_fixtures import (
    free_port,
    record_event,
    subprocess_env,
)
from tests.support.sse import SSEEvent, SSEStream

Client = AsyncTestClient[Litestar]
ROOT = Path(__file__).resolve().parents[2]

# Fixtures from tests/support/push_fixtures.py (the local push service, push-friendly app).
app = push_fixtures.app
push_settings = push_fixtures.push_settings


class Server:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
                 "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
                env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
            )  # fmt: skip

    async def ready(self) -> None:
        deadline = time.monotonic() + 90  # slow on a loaded 2-core machine
        async with httpx.AsyncClient() as c:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise AssertionError(
                        f"server on {self.port} exited with {self.proc.returncode}"
                    )
                try:
                    if (await c.get(self.url + "/health/live")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
        raise AssertionError("server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


@pytest_asyncio.fixture
async def servers(
    push_settings: Settings, database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Server, Server]]:
    env = subprocess_env(push_settings, database_url)
    a, b = Server(env, tmp_path / "a.log"), Server(env, tmp_path / "b.log")
    try:
        await asyncio.gather(a.ready(), b.ready())
        yield a, b
    finally:
        a.stop()
        b.stop()


async def token(server: Server, username: str) -> str:
    async with httpx.AsyncClient() as c:
        r = await c.post(
            server.url + "/api/auth/login", json={"username": username, "password": "tanggap112"}
        )
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])


async def stream(server: Server, access_token: str, **headers: str) -> SSEStream:
    """Open the stream as the PWA does: a single-use ticket first, never the token in the URL."""
    async with httpx.AsyncClient() as c:
        r = await c.post(
            server.url + "/api/events/tickets", headers={"Authorization": f"Bearer {access_token}"}
        )
        assert r.status_code == 201, r.text
    s = SSEStream(
        server.url + "/api/events", params={"ticket": r.json()["ticket"]}, headers=headers
    )
    return await s.open()


async def _case(db: AsyncSession, agency: str) -> Case:
    category = await make_category(db, agency_id=(await agency_by_code(db, agency)).id)
    return await make_case(db, category=category)


async def test_the_stream_needs_a_valid_token(client: Client) -> None:
    assert (await client.get("/api/events")).status_code == 401
    r = await client.get("/api/events", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401 and r.json()["code"] == "token_invalid"


async def test_no_stream_opens_while_the_process_cannot_listen(
    app: Litestar, client: Client, db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between a lost LISTEN connection and its return a stream would hear nothing, and one
    opened just before the LISTEN is back could miss what commits meanwhile: 503 instead, and
    the single-use ticket is not spent."""
    headers = await login(client, "dispatcher")
    ticket = (await client.post("/api/events/tickets", headers=headers)).json()["ticket"]
    backend = type(app.state.listen)
    with monkeypatch.context() as deaf:
        deaf.setattr(backend, "listening", property(lambda _self: None))
        r = await client.get("/api/events", params={"ticket": ticket})
        assert r.status_code == 503 and r.json()["code"] == "service_unavailable"
        assert int(r.headers["Retry-After"]) > 0
    kept = select(EventTicket).where(EventTicket.digest == token_digest(ticket))
    assert (await db.execute(kept)).scalar_one_or_none() is not None


async def test_the_stream_takes_a_single_use_short_lived_ticket_never_a_token_in_the_url(
    client: Client, clock: Clock
) -> None:
    headers = await login(client, "dispatcher")
    # An access token in the URL is refused outright (it would land in proxy logs).
    r = await client.get("/api/events", params={"access_token": headers["Authorization"][7:]})
    assert r.status_code == 400 and r.json()["code"] == "credentials_in_query"
    assert (await client.post("/api/events/tickets")).status_code == 401
    r = await client.get("/api/events", params={"ticket": "not-a-ticket"})
    assert r.status_code == 401 and r.json()["code"] == "event_ticket_invalid"
    # Expired after 30 seconds (single use: see the next test).
    late = (await client.post("/api/events/tickets", headers=headers)).json()
    assert late["expires_in"] == 30
    clock.advance(seconds=31)
    r = await client.get("/api/events", params={"ticket": late["ticket"]})
    assert r.status_code == 401 and r.json()["code"] == "event_ticket_invalid"


async def test_a_stream_ticket_opens_one_stream_once(servers: tuple[Server, Server]) -> None:
    a, b = servers
    bearer = {"Authorization": f"Bearer {await token(a, 'dispatcher')}"}
    async with httpx.AsyncClient() as c:
        ticket = (await c.post(a.url + "/api/events/tickets", headers=bearer)).json()["ticket"]
    live = await SSEStream(b.url + "/api/events", params={"ticket": ticket}, headers={}).open()
    try:
        assert (await live.next(event="hello")).json["user"] == "dispatcher"
        async with httpx.AsyncClient() as c:
            again = await c.get(a.url + "/api/events", params={"ticket": ticket})
        assert again.status_code == 401 and again.json()["code"] == "event_ticket_invalid"
    finally:
        await live.close()


async def test_events_reach_other_processes_filtered_and_replayed_after_reconnect(
    servers: tuple[Server, Server], db: AsyncSession
) -> None:
    a, b = servers
    dispatcher = await stream(b, await token(a, "dispatcher"))
    damkar = await stream(b, await token(b, "petugas.damkar"))
    on_a = await stream(a, await token(a, "dispatcher"))
    try:
        hello = await dispatcher.next(event="hello")
        assert hello.json["user"] == "dispatcher" and hello.id is not None
        assert (await damkar.next(event="hello")).json["agency_scope"] is not None
        await on_a.next(event="hello")

        dlhk_case = await _case(db, "DLHK")
        first = await record_event(db, dlhk_case, "note")
        damkar_case = await _case(db, "DAMKARMAT")
        fire = await record_event(db, damkar_case, "note")
        await db.commit()

        got = await dispatcher.next(event="case")
        assert (got.id, got.json["reference"]) == (str(first.id), dlhk_case.reference)
        assert got.json["lon"] == pytest.approx(122.51) and got.json["kind"] == "note"
        assert (await dispatcher.next(event="case")).id == str(fire.id)
        assert (await on_a.next(event="case")).id == str(first.id)  # both processes hear it
        # The Damkar officer sees the Damkar case only.
        only = await damkar.next(event="case")
        assert only.id == str(fire.id) and only.json["agency_id"] == damkar_case.agency_id

        # The dispatcher's network drops; three things happen meanwhile.
        await dispatcher.close()
        missed = [await record_event(db, dlhk_case, "note") for _ in range(3)]
        await db.commit()
        back = await stream(b, await token(b, "dispatcher"), **{"Last-Event-ID": str(fire.id)})
        dispatcher = back
        assert (await back.next(event="hello")).json["replayed"] == 3
        replayed = [await back.next(event="case") for _ in missed]
        assert [e.id for e in replayed] == [str(e.id) for e in missed]
        # ... and then live again, with nothing repeated.
        latest = await record_event(db, dlhk_case, "note")
        await db.commit()
        assert (await back.next(event="case")).id == str(latest.id)
        assert back.events.empty()

        # A team's new position reaches the dispatcher but not other agencies' officers.
        team = await db.get(Team, 1)
        assert team is not None
        team.last_position = "SRID=4326;POINT(122.52 -3.98)"
        team.last_accuracy_m = 12.0
        team.last_position_at = dlhk_case.created_at
        await on_team_position(db, team)
        await db.commit()
        position = await back.next(event="position")
        assert position.json["team_id"] == 1 and position.json["lat"] == pytest.approx(-3.98)

        # A rolled-back change is never announced (NOTIFY is part of the transaction).
        case_id = dlhk_case.id
        await record_event(db, dlhk_case, "note")
        await db.rollback()
        reloaded = await db.get(Case, case_id)
        assert reloaded is not None
        kept = await record_event(db, reloaded, "note")
        await db.commit()
        assert (await back.next(event="case")).id == str(kept.id)
    finally:
        for s in (dispatcher, damkar, on_a):
            await s.close()


async def test_a_case_created_through_process_a_reaches_a_client_on_process_b(
    servers: tuple[Server, Server], db: AsyncSession
) -> None:
    a, b = servers
    s = await stream(b, await token(b, "dispatcher"))
    try:
        await s.next(event="hello")
        category = await make_category(db, agency_id=(await agency_by_code(db, "DLHK")).id)
        await db.commit()
        async with httpx.AsyncClient() as c:
            r = await c.post(
                a.url + "/api/cases",
                json={
                    "category_id": category.id,
                    "lat": -3.97,
                    "lon": 122.51,
                    "description": "Sampah menumpuk di depan pasar",
                },
                headers={"Authorization": f"Bearer {await token(a, 'operator')}"},
            )
        assert r.status_code == 201, r.text
        got = await s.next(event="case")
        assert got.json["case_id"] == r.json()["id"] and got.json["kind"] == "created"
    finally:
        await s.close()


async def _events_until_case(s: SSEStream, case_event_id: int) -> list[SSEEvent]:
    """Every event up to (and including) the case event with this id: a marker that all sent
    before it has arrived."""
    seen: list[SSEEvent] = []
    while True:
        got = await s.next()
        seen.append(got)
        if got.event == "case" and got.id == str(case_event_id):
            return seen


async def test_off_duty_teams_positions_never_reach_the_stream(
    servers: tuple[Server, Server], db: AsyncSession
) -> None:
    a, _ = servers
    on_duty = await db.get(Team, 1)
    off_duty = (
        await db.execute(select(Team).where(Team.name == "Regu Damkar Kota Lama"))
    ).scalar_one()
    assert on_duty is not None and on_duty.on_duty and not off_duty.on_duty
    for team, lon in ((on_duty, 122.52), (off_duty, 122.53)):
        team.last_position = f"SRID=4326;POINT({lon} -3.98)"
        team.last_accuracy_m = 10.0
        team.last_position_at = datetime.now(UTC)
    await db.commit()

    s = await stream(a, await token(a, "dispatcher"))
    try:
        await s.next(event="hello")
        # The snapshot after hello holds the on-duty team's position, never the off-duty one's.
        dlhk_case = await _case(db, "DLHK")
        marker = await record_event(db, dlhk_case, "note")
        # An off-duty team's new position (a phone that kept sending) is not announced either.
        await on_team_position(db, off_duty)
        await db.commit()
        snapshot = await _events_until_case(s, marker.id)
        positions = [e.json["team_id"] for e in snapshot if e.event == "position"]
        assert on_duty.id in positions and off_duty.id not in positions

        # The on-duty team goes off duty: the map hears "off duty", with no position.
        async with httpx.AsyncClient() as c:
            r = await c.put(
                f"{a.url}/api/teams/{on_duty.id}/duty",
                json={"on_duty": False},
                headers={"Authorization": f"Bearer {await token(a, 'dispatcher')}"},
            )
        assert r.status_code == 200, r.text
        duty = await s.next(event="duty")
        assert duty.json == {"t": "duty", "team_id": on_duty.id, "agency_id": on_duty.agency_id,
                             "on_duty": False}  # fmt: skip
        await db.refresh(on_duty)
        await on_team_position(db, on_duty)
        after = await record_event(db, dlhk_case, "note")
        await db.commit()
        later = await _events_until_case(s, after.id)
        assert [e for e in later if e.event == "position"] == []
    finally:
        await s.close()

    # A fresh stream on the same process (a dispatcher reloading the page) hears live events
    # again, and its snapshot now holds neither team.
    s = await stream(a, await token(a, "dispatcher"))
    try:
        await s.next(event="hello")
        last = await record_event(db, dlhk_case, "note")
        await db.commit()
        fresh = await _events_until_case(s, last.id)
        assert {on_duty.id, off_duty.id}.isdisjoint(
            e.json["team_id"] for e in fresh if e.event == "position"
        )
    finally:
        await s.close()


async def test_the_call_queue_event_reaches_call_statistics_roles_only(
    servers: tuple[Server, Server], db: AsyncSession
) -> None:
    """``queue`` (the ringing calls changed: the supervisor's board reloads) goes to the
    supervisor, dispatcher and admin; an operator's stream never carries it."""
    a, _ = servers
    supervisor = await stream(a, await token(a, "supervisor"))
    operator = await stream(a, await token(a, "operator"))
    try:
        for s in (supervisor, operator):
            await s.next(event="hello")
        await on_call_queue(db, 4242)
        marker = await record_event(db, await _case(db, "DLHK"), "note")
        await db.commit()
        heard = await _events_until_case(supervisor, marker.id)
        assert [e.json for e in heard if e.event == "queue"] == [{"t": "queue", "call_id": 4242}]
        assert [
            e for e in await _events_until_case(operator, marker.id) if e.event == "queue"
        ] == []
    finally:
        for s in (supervisor, operator):
            await s.close()


async def test_a_published_warning_reaches_every_signed_in_stream(
    servers: tuple[Server, Server], db: AsyncSession
) -> None:
    """``warning`` (an area warning was published: the banner reloads) is public news: an
    agency-scoped field officer hears it as well as the control room."""
    a, _ = servers
    officer = await stream(a, await token(a, "petugas.dlhk"))
    try:
        await officer.next(event="hello")
        await on_warning(db, 77, None)
        marker = await record_event(db, await _case(db, "DLHK"), "note")
        await db.commit()
        heard = await _events_until_case(officer, marker.id)
        assert [e.json for e in heard if e.event == "warning"] == [
            {"t": "warning", "id": 77, "replaces": None}
        ]
    finally:
        await officer.close()


async def test_a_flood_of_positions_sheds_positions_never_case_events_and_keeps_the_stream(
    servers: tuple[Server, Server], db: AsyncSession
) -> None:
    """More positions at once than a stream may hold (a surge: every officer's phone pinging
    while a dispatcher's connection is slow): the stream drops positions past its shedding mark
    instead of ending, and the case event behind them still arrives, in order, on the same
    stream. Positions that do arrive keep their order."""
    a, _ = servers
    team = await db.get(Team, 1)
    assert team is not None and team.on_duty
    s = await stream(a, await token(a, "dispatcher"))
    try:
        await s.next(event="hello")
        flood = 2500  # more than MAX_BACKLOG (2000): without shedding the stream would end
        await db.execute(
            text(
                "SELECT pg_notify(:channel, json_build_object('t', 'position',"
                " 'team_id', CAST(:team AS int), 'agency_id', CAST(:agency AS int),"
                " 'lon', 122.5 + n / 1e6, 'lat', -3.98, 'accuracy_m', 5.0, 'at', now())::text)"
                " FROM generate_series(1, :flood) AS n"
            ),
            {"channel": LIVE_CHANNEL, "team": team.id, "agency": team.agency_id, "flood": flood},
        )
        marker = await record_event(db, await _case(db, "DLHK"), "note")
        await db.commit()  # every NOTIFY leaves at once, at the commit
        got = await _events_until_case(s, marker.id)
        lons = [e.json["lon"] for e in got if e.event == "position" and e.json["lat"] == -3.98]
        assert 0 < len(lons) <= flood and lons == sorted(lons)
        # The stream is still open and live: the next case event comes on it.
        later = await record_event(db, await _case(db, "DLHK"), "note")
        await db.commit()
        assert (await _events_until_case(s, later.id))[-1].id == str(later.id)
    finally:
        await s.close()
