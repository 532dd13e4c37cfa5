"""One-statement requests on asyncpg itself (api/db/direct.py): a position ping and a case's
team suggestions answer the same on the process's asyncpg pool as on SQLAlchemy's autocommit
connection (what a transaction pooler gets)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx
import pytest
from asyncpg.exceptions import InternalClientError
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api.db import direct
from api.db.models import Team
from tests.conftest import Clock, login
from tests.factories import category_by_code
from tests.support.processes import free_port


async def _ping_and_suggest(
    app: Litestar, db: AsyncSession, clock: Clock, *, pooled: bool
) -> list[Any]:
    team = (await db.execute(select(Team).where(Team.name == "TRC DLHK 1"))).scalar_one()
    tree = await category_by_code(db, "POHON_TUMBANG")
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as client:
        assert (app.state.direct is None) is pooled
        fo = await login(client, "petugas.dlhk")
        op = await login(client, "operator")
        clock.advance(seconds=1)
        ping = {"lat": -3.97, "lon": 122.51, "accuracy_m": 12.5}
        r = await client.post(f"/api/teams/{team.id}/positions", headers=fo, json=ping)
        assert r.status_code == 202, r.text
        pinged = r.json()
        refused = await client.post("/api/teams/999999/positions", headers=fo, json=ping)
        body = {"category_id": tree.id, "lat": -3.966, "lon": 122.508, "description": "Pohon"}
        case = (await client.post("/api/cases", headers=op, json=body)).json()
        r = await client.get(f"/api/cases/{case['id']}/team-suggestions", headers=op)
        assert r.status_code == 200, r.text
        suggested = r.json()
        missing = await client.get(
            "/api/cases/00000000-0000-4000-8000-000000000000/team-suggestions", headers=op
        )
    return [pinged, refused.status_code, refused.json()["code"], suggested, missing.status_code]


async def test_the_asyncpg_pool_answers_as_the_engine_does(
    make_app: Callable[..., Litestar], db: AsyncSession, clock: Clock, database_url: str
) -> None:
    on_driver = make_app()
    # Behind a transaction pooler: the engine (here the database itself stands in for it).
    on_engine = make_app(database_pooled=True, database_listen_url=database_url)
    first = await _ping_and_suggest(on_driver, db, clock, pooled=False)
    second = await _ping_and_suggest(on_engine, db, clock, pooled=True)
    assert first[0]["team_id"] == second[0]["team_id"] and first[0]["on_duty"]
    assert first[0]["last_accuracy_m"] == second[0]["last_accuracy_m"] == 12.5
    assert first[1:3] == second[1:3] == [404, "not_found"]
    assert first[4] == second[4] == 404
    # The same teams, with the same facts (distances to the two cases are equal: same point).
    assert first[3] and first[3] == second[3]


async def test_a_connection_is_lent_again_as_it_was_without_a_reset_round_trip(
    database_url: str,
) -> None:
    pool = await direct.open_pool(database_url, 1)
    try:
        async with pool.acquire() as conn:
            pid = conn.get_server_pid()
            await conn.execute("BEGIN")
        async with pool.acquire() as conn:
            # The same session, its forgotten transaction rolled back by asyncpg.
            assert conn.get_server_pid() == pid and not conn.is_in_transaction()
            # JSON arrives decoded, as on the engine's connections.
            assert await conn.fetchval("SELECT json_build_array(1, 'a')") == [1, "a"]
            assert await conn.fetchval("SELECT jsonb_build_object('k', 2)") == {"k": 2}
    finally:
        await pool.close()


async def test_a_connection_a_driver_error_left_unsure_is_not_lent_again(
    database_url: str, db: AsyncSession
) -> None:
    """A server that dies between a request's two statements leaves the connection
    mid-operation (asyncpg's ``InternalClientError``): it is dropped, not lent to the next
    request. A refusal (by the server, or by the app) keeps it."""
    pool = await direct.open_pool(database_url, 1)
    engine = db.bind  # only used without a pool
    assert isinstance(engine, AsyncEngine)
    try:
        async with direct.connection(pool, engine) as kept:
            assert isinstance(kept, direct.OnDriver)
        pid = await pool.fetchval("SELECT pg_backend_pid()")
        for refusal in (asyncpg.UniqueViolationError("taken"), ValueError("unknown_category")):
            with pytest.raises(type(refusal)):
                async with direct.connection(pool, engine):
                    raise refusal
            assert await pool.fetchval("SELECT pg_backend_pid()") == pid  # the same session
        for unsure in (
            InternalClientError("cannot switch to state 12; another operation is in progress"),
            asyncpg.ConnectionDoesNotExistError("connection was closed in the middle"),
            ConnectionResetError(104, "Connection reset by peer"),
        ):
            with pytest.raises(type(unsure)):
                async with direct.connection(pool, engine):
                    raise unsure
            again = await pool.fetchval("SELECT pg_backend_pid()")
            assert again != pid, unsure  # a new session
            pid = again
    finally:
        await pool.close()


async def test_a_ping_while_its_pool_cannot_connect_is_a_503_to_retry(
    make_app: Callable[..., Litestar], db: AsyncSession
) -> None:
    team = (await db.execute(select(Team).where(Team.name == "TRC DLHK 1"))).scalar_one()
    app = make_app()
    path = f"/api/teams/{team.id}/positions"
    ping = {"lat": -3.97, "lon": 122.51, "accuracy_m": 12.5}
    # In this test's event loop (the app's pools belong to the loop that opened them).
    async with (
        app.lifespan(),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"
        ) as client,
    ):
        r = await client.post(
            "/api/auth/login", json={"username": "petugas.dlhk", "password": "tanggap112"}
        )
        fo = {"Authorization": f"Bearer {r.json()['access_token']}"}
        assert (await client.post(path, headers=fo, json=ping)).status_code == 202
        # The database stops answering this pool (a port nobody listens on): refused at once.
        working = app.state.direct
        app.state.direct = await direct.open_pool(
            f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nowhere", 1
        )
        try:
            r = await client.post(path, headers=fo, json=ping)
            assert r.status_code == 503, r.text
            assert r.json()["code"] == "service_unavailable" and r.headers["retry-after"] == "5"
        finally:
            await app.state.direct.close()
            app.state.direct = working
        assert (await client.post(path, headers=fo, json=ping)).status_code == 202


async def test_a_statement_on_the_sessions_own_connection_runs_inside_its_transaction(
    db: AsyncSession,
) -> None:
    """``in_transaction`` as the transaction's first statement begins it (SQLAlchemy's adapter
    sends BEGIN only with its own first statement): the statement and what follows through
    SQLAlchemy share one transaction, whose clock stands still, and it commits as usual."""
    moment = direct.Statement(text("SELECT now() AS at, txid_current() AS xid"))
    first = await (await direct.in_transaction(db)).row(moment, {})
    await asyncio.sleep(0.02)
    later = (await db.execute(text("SELECT now() AS at, txid_current() AS xid"))).one()
    again = await (await direct.in_transaction(db)).row(moment, {})
    assert first is not None and again is not None
    assert first["at"] == later.at == again["at"]
    assert first["xid"] == later.xid == again["xid"]
    await db.commit()
    after = await (await direct.in_transaction(db)).row(moment, {})
    assert after is not None and after["xid"] != first["xid"]
    await db.rollback()
