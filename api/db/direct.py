"""Requests answered by one statement, run on asyncpg itself: a position ping, a case's team
suggestions, a plain intake's two statements.

Through SQLAlchemy, such a request paid for its pool's checkout, the connection's isolation
level set and reset, the statement's cache lookup and result wrapping: 0.53 ms of CPU per ping
against 0.22 ms for the same statement on an asyncpg pool (measured in process, 2,000 pings;
docs/performance.md). A ping is 133 requests a second at the surge's base mix, so that
difference is a large part of what the API spends.

- :class:`Statement` compiles a SQLAlchemy statement once, for asyncpg (``$1`` parameters in
  the order the compiler numbered them), and converts its parameters as SQLAlchemy would (the
  dialect's own converters: a JSON value serialised, a geometry given as text, a boolean
  checked). One whose column defaults SQLAlchemy would compute is refused at import: every value
  is bound by the caller, so nothing is silently left out.
- :func:`open_pool` is each API process's small asyncpg pool for them, connecting through
  :func:`api.pgconnect.connect_primary` (the primary of a failover pair), with the same time
  limits as the engine, and JSON decoded as the engine's connections decode it. Not behind a
  transaction pooler (``TANGGAP_DATABASE_POOLED``): there a statement must run inside a
  transaction, so those requests keep SQLAlchemy's autocommit connection (:class:`OnEngine`).
- :class:`OnDriver` and :class:`OnEngine` answer the same two questions (one row, all rows) on
  either, so the query code does not care which one the route was given; :func:`one_row` also
  asks them of a session in a transaction (an intake that shares the case's transaction).
- :func:`connection` is where a request gets one: the pool's, or the engine's behind a pooler.

Each statement is whole by itself (autocommit): it commits, and its NOTIFYs go out, when it
ends. A lost connection is answered 503 by the driver error handlers (``api/errors.py``) and
the pool connects afresh for the next request.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, cast

import asyncpg
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from api.db.session import autocommit
from api.pgconnect import connect_primary, driver_outage, libpq_dsn

_DIALECT = asyncpg_dialect()

Row = Mapping[str, Any]


class Statement:
    """A statement compiled once for asyncpg, and the SQLAlchemy clause it came from."""

    def __init__(self, clause: Executable) -> None:
        compiled = cast(SQLCompiler, cast(ClauseElement, clause).compile(dialect=_DIALECT))
        defaulted = [*compiled.insert_prefetch, *compiled.update_prefetch]
        if defaulted:
            # SQLAlchemy would compute these at execution; here every value must be given.
            raise TypeError(f"column defaults to bind: {sorted(c.key for c in defaulted)}")
        self.clause = clause
        self.sql = str(compiled)
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ())
        constants: dict[str, Any] = {}
        for name in self.names:
            bind = compiled.binds[name]
            if bind.expanding:  # an IN list, rendered per execution: write it with any_()
                raise TypeError(f"an expanding parameter: {name}")
            if not bind.required:  # a constant of the clause (``literal(1e6)``): its own value
                constants[name] = bind.effective_value
        self._constants = constants
        convert: list[tuple[int, Callable[[Any], Any]]] = []
        for i, name in enumerate(self.names):
            converter = compiled._bind_processors.get(name)
            if converter is None:
                continue
            if not callable(converter):  # a tuple's converters, one per member
                raise TypeError(f"a tuple parameter: {name}")
            convert.append((i, converter))
        self._convert = tuple(convert)

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        """The values in ``$n`` order, each converted as SQLAlchemy converts it (``None`` too:
        a JSON ``None`` is the JSON ``null``, as through the engine). A parameter the clause
        gave no value must be in ``params``; a constant of the clause takes its own."""
        constants = self._constants
        values = [
            params[name] if name in params or name not in constants else constants[name]
            for name in self.names
        ]
        for i, convert in self._convert:
            values[i] = convert(values[i])
        return values


class OneStatement(ABC):
    """A connection in autocommit for work whole in one statement. (A class, not a Protocol:
    Litestar's signature models take a dependency's declared type.)"""

    @abstractmethod
    async def row(self, statement: Statement, params: Mapping[str, Any]) -> Row | None: ...

    @abstractmethod
    async def rows(self, statement: Statement, params: Mapping[str, Any]) -> Sequence[Row]: ...

    @abstractmethod
    async def run(self, statement: Statement, params: Mapping[str, Any]) -> None:
        """A statement that returns no rows."""


class OnDriver(OneStatement):
    """On an asyncpg connection of :func:`open_pool` (asyncpg runs outside a transaction in
    autocommit), or on a session's inside its transaction (:func:`in_transaction`)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def row(self, statement: Statement, params: Mapping[str, Any]) -> Row | None:
        found: Row | None = await self._conn.fetchrow(statement.sql, *statement.args(params))
        return found

    async def rows(self, statement: Statement, params: Mapping[str, Any]) -> Sequence[Row]:
        found: Sequence[Row] = await self._conn.fetch(statement.sql, *statement.args(params))
        return found

    async def run(self, statement: Statement, params: Mapping[str, Any]) -> None:
        await self._conn.execute(statement.sql, *statement.args(params))


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

    async def run(self, statement: Statement, params: Mapping[str, Any]) -> None:
        await self._conn.execute(statement.clause, dict(params))


async def one_row(
    db: AsyncSession | OneStatement,
    statement: Statement,
    params: Mapping[str, Any],
) -> Row | None:
    """The first row of ``statement``, on a one-statement connection or in a session's
    transaction (through SQLAlchemy, which converts the same parameters the same way)."""
    if isinstance(db, OneStatement):
        return await db.row(statement, params)
    result = await db.execute(statement.clause, dict(params))
    return cast("Row | None", result.mappings().first())


async def in_transaction(db: AsyncSession) -> OneStatement:
    """The session's own asyncpg connection, inside its transaction: a statement compiled once
    runs there as the jobs it queues do (:mod:`api.adapters.jobs`), without SQLAlchemy's
    execution around it, and commits or rolls back with the session. Its JSON values arrive
    decoded as through the engine; JSON parameters go as text cast in the statement."""
    conn = await db.connection()
    raw = await conn.get_raw_connection()
    adapted = raw.dbapi_connection
    # SQLAlchemy's asyncpg adapter sends BEGIN (READ ONLY for a read session) with its first
    # statement; when this is the transaction's first, begin it here, or the statement would
    # run outside it, in autocommit.
    if adapted._transaction is None and adapted.isolation_level != "autocommit":  # type: ignore[union-attr]
        await adapted._start_transaction()  # type: ignore[union-attr]
    return OnDriver(raw.driver_connection)


#: The longest a request waits for a connection of the asyncpg pool (SQLAlchemy's default).
WAIT_S = 30


@asynccontextmanager
async def connection(pool: Any, engine: AsyncEngine) -> AsyncIterator[OneStatement]:
    """A connection to the primary for work whole in one statement: the process's asyncpg pool
    (:func:`open_pool`; waiting at most :data:`WAIT_S` for a free one, as for the engine's pool,
    then the driver's timeout is answered 503 with Retry-After), or SQLAlchemy's autocommit
    connection when there is no pool (behind a transaction pooler)."""
    if pool is not None:
        async with pool.acquire(timeout=WAIT_S) as conn:
            try:
                yield OnDriver(conn)
            except Exception as exc:
                # An outage (lost, timed out, left mid-operation by a server that died under it,
                # or now on a node that is no longer the primary): never lend it again, as the
                # pool's release resets nothing (see no_reset). A refusal, by the server or by the
                # app, leaves the connection as it was.
                if isinstance(exc, OSError) or driver_outage(exc):
                    conn.terminate()
                raise
    else:
        async with autocommit(engine) as conn:
            yield OnEngine(conn)


def _json_text(value: Any) -> str:
    """A JSON parameter arrives serialised by its SQLAlchemy converter (:meth:`Statement.args`),
    as the engine's connections take it; anything else is a mistake, not a value to guess at."""
    if not isinstance(value, str):
        raise TypeError(f"a JSON parameter must be serialised first, not {type(value).__name__}")
    return value


async def _decode_json(conn: asyncpg.Connection) -> None:
    # As the engine's connections do: json and jsonb columns arrive as Python values.
    for name in ("json", "jsonb"):
        await conn.set_type_codec(
            name, encoder=_json_text, decoder=json.loads, schema="pg_catalog", format="text"
        )


async def no_reset(_conn: asyncpg.Connection) -> None:
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
        reset=no_reset,
    )
