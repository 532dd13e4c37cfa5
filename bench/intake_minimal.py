"""Baseline B for the intake bench: the smallest Litestar app doing the same raw transaction.

One ``POST /api/cases`` (msgspec body, an asyncpg pool, baseline A's SQL) and a ``GET /ping``.
Served by uvicorn with the same workers as the API: ``uvicorn --factory
bench.intake_minimal:create_app`` with ``BENCH_DSN`` set.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Annotated

import asyncpg
import msgspec
from litestar import Litestar, get, post
from litestar.datastructures import State

from bench.intake import insert_case_raw


class ReporterIn(msgspec.Struct):
    name: str | None = None
    phone: str | None = None


class CaseIn(msgspec.Struct, forbid_unknown_fields=True):
    category_id: Annotated[int, msgspec.Meta(ge=1)]
    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)]
    lon: Annotated[float, msgspec.Meta(ge=-180, le=180)]
    description: Annotated[str, msgspec.Meta(min_length=3, max_length=4000)]
    address: str = ""
    landmark: str = ""
    reporter: ReporterIn | None = None


class Created(msgspec.Struct):
    id: uuid.UUID
    reference: str
    status: str = "new"


@post("/api/cases", status_code=201)
async def create_case(state: State, data: CaseIn) -> Created:
    body = msgspec.structs.asdict(data)
    body["reporter"] = msgspec.structs.asdict(data.reporter) if data.reporter else None
    async with state.pool.acquire() as conn:
        cid, ref = await insert_case_raw(conn, body, state.actor_id)
    return Created(cid, ref)


@get("/ping", sync_to_thread=False)
def ping() -> dict[str, str]:
    return {"status": "ok"}


def create_app() -> Litestar:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        pool = await asyncpg.create_pool(os.environ["BENCH_DSN"], min_size=2, max_size=10)
        assert pool is not None
        app.state.pool = pool
        async with pool.acquire() as conn:
            app.state.actor_id = int(
                await conn.fetchval("SELECT id FROM users WHERE username = 'operator'")
            )
        try:
            yield
        finally:
            await pool.close()

    return Litestar([create_case, ping], lifespan=[lifespan], openapi_config=None)
