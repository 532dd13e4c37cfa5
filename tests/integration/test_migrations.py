"""The migration stairway: every revision upgrades, downgrades and upgrades again on PostGIS."""

from __future__ import annotations

import asyncio

import asyncpg
from alembic.script import ScriptDirectory

from api.db import migrate


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(migrate.alembic_config("postgresql+asyncpg://x/y"))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


async def _tables(url: str) -> set[str]:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        rows = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename NOT IN ('spatial_ref_sys', 'alembic_version')"
        )
        return {r[0] for r in rows}
    finally:
        await conn.close()


async def test_migration_stairway(empty_database_url: str) -> None:
    url = empty_database_url
    revisions = _revisions()
    assert revisions, "no migrations found"
    previous = "base"
    for rev in revisions:
        await asyncio.to_thread(migrate.upgrade, url, rev)
        after_up = await _tables(url)
        await asyncio.to_thread(migrate.downgrade, url, previous)
        await asyncio.to_thread(migrate.upgrade, url, rev)
        assert await _tables(url) == after_up, f"revision {rev} is not reversible"
        previous = rev
    await asyncio.to_thread(migrate.downgrade, url, "base")
    assert await _tables(url) == set()
    await asyncio.to_thread(migrate.upgrade, url, "head")
    assert {"agencies", "categories", "areas", "users", "teams"} <= await _tables(url)


async def test_models_and_migrations_agree(empty_database_url: str) -> None:
    """Autogenerate against head finds nothing to do: no model change lacks its migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy.ext.asyncio import create_async_engine

    from api.db.migrate import include_object
    from api.db.models import Base

    await asyncio.to_thread(migrate.upgrade, empty_database_url, "head")
    engine = create_async_engine(empty_database_url)

    def diff(conn):  # type: ignore[no-untyped-def]
        ctx = MigrationContext.configure(
            conn, opts={"include_object": include_object, "compare_type": True}
        )
        return compare_metadata(ctx, Base.metadata)

    async with engine.connect() as conn:
        changes = await conn.run_sync(diff)
    await engine.dispose()
    assert changes == []
