"""Liveness and readiness probes for load balancers and ``docker compose``."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Response, get
from litestar.datastructures import State
from sqlalchemy import text


class Health(msgspec.Struct, omit_defaults=True):
    status: str
    database: str | None = None
    postgis: str | None = None


@get("/health/live", summary="Liveness: the process answers", tags=["health"])
async def live() -> Health:
    return Health(status="ok")


@get("/health/ready", summary="Readiness: the database and PostGIS answer", tags=["health"])
async def ready(state: State) -> Response[Any]:
    try:
        async with state.engine.connect() as conn:
            version = (await conn.execute(text("SELECT postgis_lib_version()"))).scalar_one()
    except Exception:  # any failure means "not ready"; the reason is in the server log
        return Response(
            Health(status="unavailable", database="down"),
            status_code=503,
            headers={"Retry-After": "5"},
        )
    return Response(Health(status="ok", database="up", postgis=str(version)))
