"""Real services as fixtures: one throwaway PostGIS cluster per session, a fresh database per test.

The session migrates and seeds a template database once; each test gets its own copy
(``CREATE DATABASE ... TEMPLATE``, about 0.1 s), so tests are isolated even when the app commits
and when a test opens concurrent connections. ``TANGGAP_TEST_DATABASE_URL`` points the suite at an
existing server instead (its database must allow CREATE DATABASE).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from api.config import Settings
from api.db.session import make_engine, make_sessionmaker

TEMPLATE = "tanggap_template"


@dataclass
class Server:
    """A PostgreSQL server the tests may create databases on."""

    admin_dsn: str  # libpq DSN of a maintenance database
    host: str
    port: int
    user: str
    password: str

    def url(self, database: str) -> str:
        auth = self.user + (f":{self.password}" if self.password else "")
        return f"postgresql+asyncpg://{auth}@{self.host}:{self.port}/{database}"

    def dsn(self, database: str) -> str:
        auth = self.user + (f":{self.password}" if self.password else "")
        return f"postgresql://{auth}@{self.host}:{self.port}/{database}"


def _server_from_url(url: str) -> Server:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return Server(
        admin_dsn=f"postgresql://{u.username}:{u.password or ''}@{u.host}:{u.port or 5432}/"
        f"{u.database or 'postgres'}",
        host=u.host or "127.0.0.1",
        port=u.port or 5432,
        user=u.username or "postgres",
        password=u.password or "",
    )


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server]:
    url = os.environ.get("TANGGAP_TEST_DATABASE_URL")
    if url:
        yield _server_from_url(url)
        return
    from api.adapters.pgcluster import EmbeddedPostgres

    root = Path(tempfile.mkdtemp(prefix="tanggap-test-pg-"))
    cluster = EmbeddedPostgres(
        root, durable=False, database="postgres", extra_options=["-c max_connections=300"]
    )
    cluster.start()
    try:
        yield Server(
            admin_dsn=cluster.dsn("postgres"),
            host="127.0.0.1",
            port=cluster.port,
            user="postgres",
            password="",
        )
    finally:
        cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


async def _admin(server: Server, sql: str) -> None:
    conn = await asyncpg.connect(server.admin_dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def template_db(pg_server: Server) -> str:
    """Migrated to head and seeded with the Kendari reference city and, through the demo path,
    its demo users (password ``tanggap112``), once per session."""

    async def prepare() -> None:
        await _admin(pg_server, f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
        await _admin(pg_server, f'CREATE DATABASE "{TEMPLATE}"')

    asyncio.run(prepare())
    migrate_and_seed(pg_server.url(TEMPLATE))
    return TEMPLATE


def migrate_and_seed(url: str) -> None:
    """Migrate the database at ``url`` to head and seed it as the template is seeded."""
    from api.db import migrate
    from api.seed import seed

    migrate.upgrade(url)

    async def do_seed() -> None:
        engine = make_engine(url, 1, 0)
        async with make_sessionmaker(engine)() as db, db.begin():
            await seed(db, demo_users=True)
        await engine.dispose()

    asyncio.run(do_seed())


_counter = itertools.count()


@contextlib.asynccontextmanager
async def template_copy(server: Server, template_db: str, prefix: str) -> AsyncIterator[str]:
    """A fresh copy of the seeded template, dropped afterwards: its URL."""
    name = f"{prefix}_{os.getpid()}_{next(_counter)}"
    await _admin(server, f'CREATE DATABASE "{name}" TEMPLATE "{template_db}" STRATEGY FILE_COPY')
    try:
        yield server.url(name)
    finally:
        await _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest_asyncio.fixture
async def database_url(pg_server: Server, template_db: str) -> AsyncIterator[str]:
    async with template_copy(pg_server, template_db, "t") as url:
        yield url


@pytest_asyncio.fixture
async def empty_database_url(pg_server: Server) -> AsyncIterator[str]:
    """A database with nothing in it (for migration tests)."""
    name = f"e_{os.getpid()}_{next(_counter)}"
    await _admin(pg_server, f'CREATE DATABASE "{name}"')
    try:
        yield pg_server.url(name)
    finally:
        await _admin(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Clock:
    """A clock the test moves by hand; the app reads it through ``state.clock``."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> datetime:
        self.now += timedelta(**kw)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    return d


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return replace(
        Settings(),
        data_dir=data_dir,
        jwt_secret="test-secret-" + "x" * 32,
        log_level="WARNING",
        pwa_dist=data_dir / "no-pwa",
    )


@pytest.fixture
def make_app(settings: Settings, database_url: str, clock: Clock) -> Callable[..., Litestar]:
    def factory(**overrides: Any) -> Litestar:
        return create_app(replace(settings, **overrides), database_url=database_url, clock=clock)

    return factory


@pytest_asyncio.fixture
async def app(make_app: Callable[..., Litestar]) -> Litestar:
    return make_app()


@pytest_asyncio.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as c:
        yield c


@pytest_asyncio.fixture
async def db(database_url: str) -> AsyncIterator[AsyncSession]:
    """A session on the test's database, for arranging and checking rows directly."""
    engine = make_engine(database_url, 2, 0)
    factory: async_sessionmaker[AsyncSession] = make_sessionmaker(engine)
    async with factory() as session:
        yield session
    await engine.dispose()


async def login(
    client: AsyncTestClient[Litestar], username: str, password: str = "tanggap112"
) -> dict[str, str]:
    r = await client.post("/api/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest_asyncio.fixture
async def as_admin(client: AsyncTestClient[Litestar]) -> dict[str, str]:
    return await login(client, "admin")
