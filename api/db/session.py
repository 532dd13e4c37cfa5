"""Engine and session factory; the per-request session commits on success, rolls back on error."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from api.pgconnect import follow_primary


def driver_options(pooled: bool) -> dict[str, Any]:
    """asyncpg connection options; behind a transaction pooler, no named prepared statements.

    PgBouncer 1.18 in transaction mode hands each transaction whichever server connection is
    free, and does not know prepared statements (protocol-level support came in 1.21). asyncpg
    names each statement it caches (``__asyncpg_stmt_1__``, counted per client connection), so
    a statement prepared in one transaction is missing in the next ("prepared statement ... does
    not exist") or two clients' names collide on one server ("... already exists"). With
    ``statement_cache_size=0`` asyncpg uses the unnamed statement and sends its Parse again
    with each Bind and Execute, which leaves nothing behind on the server.
    """
    return {"statement_cache_size": 0} if pooled else {}


def make_engine(
    url: str, pool_size: int = 10, max_overflow: int = 10, *, pooled: bool = False
) -> AsyncEngine:
    """The engine for ``url``; ``pooled`` when ``url`` is a transaction-mode pooler (PgBouncer).

    Pooled, SQLAlchemy keeps no prepared statements either (``prepared_statement_cache_size=0``:
    its cache would hold them across transactions), and asyncpg names none (see
    :func:`driver_options`): each statement is described and parsed within its own transaction,
    at the cost of one more round trip per statement than a cached one. Every statement runs
    inside an explicit transaction (SQLAlchemy begins one), so its Parse, Bind and Execute reach
    the same server connection. No session state is left on these connections: settings are
    transaction-local (``set_config(..., true)``), advisory locks transaction-level, and LISTEN
    goes to a direct connection (``database_listen_url``). docs/operations.md has the audit.
    """
    pooler = {"prepared_statement_cache_size": 0, **driver_options(True)} if pooled else {}
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        # No pre-ping: it costs a round trip per checkout. A connection found dead in use
        # invalidates the whole pool (SQLAlchemy's disconnect handling), that request answers 503
        # + Retry-After (api/errors.py), and the next checkouts connect afresh.
        pool_pre_ping=False,
        # A dead server must surface quickly as a 503, not hang a request.
        connect_args={"timeout": 5, "command_timeout": 30, **pooler},
    )
    # A failover pair: 5 s for each host, not for both (api/pgconnect.py).
    follow_primary(engine, url, timeout=5, command_timeout=30, **driver_options(pooled))
    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def session_scope(
    factory: async_sessionmaker[AsyncSession],
) -> AsyncGenerator[AsyncSession, None]:
    """One transaction per request: committed before the response is sent, so a 2xx is durable."""
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


async def release_connection(db: AsyncSession) -> None:
    """End the session's transaction so its pooled connection goes back to the pool before a
    long wait (a phone sending megabytes, photos decoding); the next statement takes one again.

    Only for a use case that has written nothing yet: it commits. ``expire_on_commit`` is off, so
    the objects already loaded stay usable. The one other use: keeping what a use case must record
    although it then refuses the request (a failed sign-in counted), just before it raises.
    """
    await db.commit()


@asynccontextmanager
async def autocommit(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection in autocommit for work whole in one statement: each statement is its own
    transaction (it commits, and its NOTIFYs go out, when it ends), with no BEGIN and COMMIT
    round trips around it."""
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        yield conn
