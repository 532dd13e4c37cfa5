"""Requests answered by one statement, run on asyncpg itself: a position ping, a case's team
suggestions.

Through SQLAlchemy, such a request paid for its pool's checkout, the connection's isolation
level set and reset, the statement's cache lookup and result wrapping: 0.53 ms of CPU per ping
against 0.22 ms for the same statement on an asyncpg pool (measured in process, 2,000 pings;
docs/performance.md). A ping is 133 requests a second at the surge's base mix, so that
difference is a large part of what the API spends.

- :class:`Statement` compiles a SQLAlchemy statement once, for asyncpg (``$1`` parameters in
  the order the compiler numbered them); one whose parameters would need SQLAlchemy's
  conversions is refused at import, so nothing is silently sent unconverted.
- :func:`open_pool` is each API process's small asyncpg pool for them, connecting through
  :func:`api.pgconnect.connect_primary` (the primary of a failover pair), with the same time
  limits as the engine, and JSON decoded as the engine's connections decode it. Not behind a
  transaction pooler (``TANGGAP_DATABASE_POOLED``): there a statement must run inside a
  transaction, so those requests keep SQLAlchemy's autocommit connection (:class:`OnEngine`).
- :class:`OnDriver` and :class:`OnEngine` answer the same two questions (one row, all rows) on
  either, so the query code does not care which one the route was given.

Each statement is whole by itself (autocommit): it commits, and its NOTIFYs go out, when it
ends. A lost connection is answered 503 by the driver error handlers (``api/errors.py``) and
the pool connects afresh for the next request.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, cast

import asyncpg
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import TextClause

from api.pgconnect import connect_primary, libpq_dsn

_DIALECT = asyncpg_dialect()

Row = Mapping[str, Any]


class Statement:
    """A statement compiled once for asyncpg, and the SQLAlchemy clause it came from."""

    def __init__(self, clause: TextClause) -> None:
        compiled = clause.compile(dialect=_DIALECT)
        if compiled._bind_processors:
            # e.g. an Enum or a JSON parameter: SQLAlchemy would convert it first.
            raise TypeError(f"parameters needing conversion: {sorted(compiled._bind_processors)}")
        self.clause = clause
        self.sql = str(compiled)
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ())

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        return [params[name] for name in self.names]


class OneStatement(ABC):
    """A connection in autocommit for work whole in one statement. (A class, not a Protocol:
    Litestar's signature models take a dependency's declared type.)"""

    @abstractmethod
    async def row(self, statement: Statement, params: Mapping[str, Any]) -> Row | None: ...

    @abstractmethod
    async def rows(self, statement: Statement, params: Mapping[str, Any]) -> Sequence[Row]: ...


class OnDriver(OneStatement):
    """On an asyncpg connection of :func:`open_pool` (asyncpg runs outside a transaction in
    autocommit)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def row(self, statement: Statement, params: Mapping[str, Any]) -> Row | None:
        found: Row | None = await self._conn.fetchrow(statement.sql, *statement.args(params))
        return found

    async def rows(self, statement: Statement, params: Mapping[str, Any]) -> Sequence[Row]:
        found: Sequence[Row] = await self._conn.fetch(statement.sql, *statement.args(params))
        return found


class OnEngine(OneStatement):
    """On SQLAlchemy's connection in autocommit (behind a transaction pooler)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def row(self, statement: Statement, params: Mapping[str, Any]) -> Row | None:
        result = await self._conn.execute(statement.clause, dict(params))
        return cast("Row | None", result.mappings().first())

    async def rows(self, statement: Statement, params: Mapping[str, Any]) -> Sequence[Row]:
        result = await self._conn.execute(statement.clause, dict(params))
        return cast("Sequence[Row]", result.mappings().all())


async def _decode_json(conn: asyncpg.Connection) -> None:
    # As the engine's connections do: json and jsonb columns arrive as Python values.
    for name in ("json", "jsonb"):
        await conn.set_type_codec(
            name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog", format="text"
        )


async def _keep(_conn: asyncpg.Connection) -> None:
    """Nothing more to reset. asyncpg's default reset is a round trip on every release (advisory
    unlock, CLOSE ALL, UNLISTEN *, RESET ALL), and nothing run here leaves such state: one
    statement at a time, no SET, no LISTEN, no cursor, no session-level advisory lock. An open
    transaction (none should be) is rolled back by asyncpg before this is called."""


async def open_pool(url: str, size: int) -> Any:
    """Each API process's asyncpg pool for one-statement requests: no connection until the
    first request (the API starts while the database is down, and answers 503 until it is
    back), at most ``size``."""
    return await asyncpg.create_pool(
        libpq_dsn(url),
        connect=connect_primary,
        min_size=0,
        max_size=size,
        # The engine's limits (api/db/session.py): a dead server surfaces quickly as a 503.
        timeout=5,
        command_timeout=30,
        init=_decode_json,
        reset=_keep,
    )
