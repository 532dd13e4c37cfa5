"""Engine and session factory; the per-request session commits on success, rolls back on error."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from api.pgconnect import engine_connect_args


def make_engine(url: str, pool_size: int = 10, max_overflow: int = 10) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        # No pre-ping: it costs a round trip per checkout. A connection found dead in use
        # invalidates the whole pool (SQLAlchemy's disconnect handling), that request answers 503
        # + Retry-After (api/errors.py), and the next checkouts connect afresh.
        pool_pre_ping=False,
        # A dead server must surface quickly as a 503, not hang a request.
        connect_args={"timeout": 5, "command_timeout": 30},
        # A failover pair: 5 s for each host, not for both (api/pgconnect.py).
        **engine_connect_args(url, timeout=5, command_timeout=30),
    )


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
