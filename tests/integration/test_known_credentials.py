"""No known credentials in production: reference seeding creates no account, the demo users
come only from the demo path, and `tanggap serve` refuses to start while one still signs in
with the published demo password. The first admin comes from `tanggap users create`."""

from __future__ import annotations

import os
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy import update

from api.db.models import User
from api.db.session import make_engine, make_sessionmaker
from api.seed import DEMO_USERS
from tests.conftest import Server
from tests.support.processes import api_process, prepare_keys, run_cli


def _env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANGGAP_")}
    env.update(
        {
            "TANGGAP_DATABASE_URL": database_url,
            "TANGGAP_DATA_DIR": str(data_dir),
            "TANGGAP_ALLOW_EMBEDDED": "1",
            "TANGGAP_LOG_LEVEL": "WARNING",
            "TANGGAP_PWA_DIST": str(data_dir / "no-pwa"),
            **extra,
        }
    )
    return env


async def test_reference_seeding_creates_no_users_and_the_demo_option_does(
    empty_database_url: str, tmp_path: Path, pg_server: Server
) -> None:
    env = _env(empty_database_url, tmp_path / "data")
    r = run_cli(["seed"], env)
    assert r.returncode == 0, r.stderr
    r = run_cli(["seed", "--demo-cases", "0"], env)
    assert r.returncode != 0 and "--demo" in r.stderr
    dsn = pg_server.dsn(empty_database_url.rsplit("/", 1)[-1])
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM users") == 0
        assert await conn.fetchval("SELECT count(*) FROM agencies") == 15
        assert await conn.fetchval("SELECT count(*) FROM teams") > 0
        assert await conn.fetchval("SELECT count(*) FROM team_members") == 0
        r = run_cli(["seed", "--demo", "--demo-cases", "0"], env)
        assert r.returncode == 0, r.stderr
        assert await conn.fetchval("SELECT count(*) FROM users") == len(DEMO_USERS)
        assert await conn.fetchval("SELECT count(*) FROM team_members") > 0
        assert await conn.fetchval("SELECT count(*) FROM cases") == 0
    finally:
        await conn.close()


async def test_serve_refuses_demo_passwords_until_they_are_gone(
    database_url: str, data_dir: Path
) -> None:
    prepare_keys(data_dir)
    env = _env(database_url, data_dir)
    r = run_cli(["serve"], env)
    assert r.returncode != 0
    assert "published demo password" in r.stderr
    assert "admin" in r.stderr and "tanggap users create" in r.stderr

    # The first admin comes from `tanggap users create`; the demo accounts are switched off.
    r = run_cli(
        [
            *("users", "create", "--username", "kepala.admin", "--full-name", "Kepala Admin"),
            *("--role", "admin", "--password-stdin"),
        ],
        env,
        stdin="sandi-kota-yang-panjang\n",
    )
    assert r.returncode == 0, r.stderr
    engine = make_engine(database_url, 1, 0)
    async with make_sessionmaker(engine)() as db, db.begin():
        await db.execute(
            update(User).where(User.username.in_([u[0] for u in DEMO_USERS])).values(active=False)
        )
    await engine.dispose()

    # Nothing else changed (the demo accounts keep their password, only switched off).
    with api_process(database_url, data_dir, retire_demo=False) as api:
        async with httpx.AsyncClient(base_url=api.base_url, timeout=30) as http:
            r = await http.post(
                "/api/auth/login",
                json={"username": "kepala.admin", "password": "sandi-kota-yang-panjang"},
            )
            assert r.status_code == 200, r.text
            assert r.json()["user"]["role"] == "admin"
