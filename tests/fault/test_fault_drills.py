"""Fault drills: a crash, a database restart and a storage outage, each under load.

Each drill is bounded (a few seconds of load, every wait with a deadline) and marked ``fault``
(``pytest -m "not fault"`` skips them). They run real processes on 127.0.0.1: the API as
``tanggap serve`` starts it, PostgreSQL, and an S3 server behind a proxy that can be cut.

A failing push service is drilled by the push tests:
``tests/integration/test_push.py::test_push_service_down_then_back_delivers`` (the push service
answers 5xx and then recovers: everything is delivered once) and
``::test_worker_killed_mid_batch_delivers_everything_once_after_restart``.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.adapters.events import libpq_dsn
from api.adapters.pgcluster import EmbeddedPostgres
from api.db.models import Photo
from api.services.photo_check import sweep_orphans
from tests.conftest import login
from tests.factories import category_by_code, make_case
from tests.support import images
from tests.support.load import IntakeLoad
from tests.support.processes import SERVE_PASSWORD, TcpProxy, api_process
from tests.support.s3_server import S3Server, s3_server  # noqa: F401

pytestmark = [pytest.mark.fault]


async def _category_id(dsn: str, code: str = "POHON_TUMBANG") -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT id FROM categories WHERE code = $1", code))
    finally:
        await conn.close()


async def _token(base_url: str, username: str = "operator", password: str = SERVE_PASSWORD) -> str:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        r = await http.post("/api/auth/login", json={"username": username, "password": password})
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])


async def _missing(dsn: str, case_ids: list[str]) -> dict[str, list[str]]:
    """Of the acknowledged cases, those without their row, reporter or ``created`` event."""
    ids = [uuid.UUID(i) for i in case_ids]
    conn = await asyncpg.connect(dsn)
    try:
        cases = {r[0] for r in await conn.fetch("SELECT id FROM cases WHERE id = ANY($1)", ids)}
        events = {
            r[0]
            for r in await conn.fetch(
                "SELECT case_id FROM case_events WHERE kind = 'created' AND case_id = ANY($1)", ids
            )
        }
        reporters = {
            r[0]
            for r in await conn.fetch(
                "SELECT case_id FROM case_reporters WHERE case_id = ANY($1)", ids
            )
        }
    finally:
        await conn.close()
    return {
        "case": [str(i) for i in ids if i not in cases],
        "created event": [str(i) for i in ids if i not in events],
        "reporter": [str(i) for i in ids if i not in reporters],
    }


async def test_every_acknowledged_case_survives_a_killed_api(
    database_url: str, tmp_path: Path
) -> None:
    """kill -9 the API during intake load: every case answered 201 is in the database."""
    dsn = libpq_dsn(database_url)
    category = await _category_id(dsn)
    with api_process(database_url, tmp_path / "data") as api:
        token = await _token(api.base_url)
        async with IntakeLoad(api.base_url, token, category, concurrency=6) as load:
            await load.wait_for(lambda: len(load.created) >= 40, 30, "40 acknowledged cases")
            await asyncio.to_thread(api.kill)
            killed = time.monotonic()
            await load.wait_for(
                lambda: sum(a.status == 0 for a in load.since(killed)) >= 6,
                10,
                "refused connections after the kill",
            )
    acknowledged = load.created
    assert len(acknowledged) >= 40
    assert all(a.status in (0, 201) for a in load.answers), {a.status for a in load.answers}
    assert await _missing(dsn, acknowledged) == {"case": [], "created event": [], "reporter": []}
    # A new process serves the same cases.
    with api_process(database_url, tmp_path / "data") as again:
        async with httpx.AsyncClient(base_url=again.base_url, timeout=30) as http:
            headers = {"Authorization": f"Bearer {await _token(again.base_url)}"}
            r = await http.get(f"/api/cases/{acknowledged[-1]}", headers=headers)
            assert r.status_code == 200, r.text


async def test_database_restart_under_load_answers_503_then_recovers_losing_nothing(
    tmp_path: Path,
) -> None:
    """PostgreSQL stops under load: 503 with Retry-After (never 500) while it is down, answers
    again within 5 s of it coming back, and every acknowledged case is still there."""
    from api.db import migrate
    from api.db.session import make_engine, make_sessionmaker
    from api.seed import seed_demo_users, seed_reference

    cluster = EmbeddedPostgres(tmp_path / "pg", database="drill", durable=True)
    await asyncio.to_thread(cluster.start)
    try:
        await asyncio.to_thread(migrate.upgrade, cluster.url)
        engine = make_engine(cluster.url, 1, 0)
        async with make_sessionmaker(engine)() as db, db.begin():
            await seed_reference(db)
            await seed_demo_users(db)  # the drill signs in as a demo user
        await engine.dispose()
        category = await _category_id(cluster.dsn())
        with api_process(cluster.url, tmp_path / "data", db_pool_size=4) as api:
            token = await _token(api.base_url)
            async with IntakeLoad(api.base_url, token, category, concurrency=4) as load:
                await load.wait_for(lambda: len(load.created) >= 20, 30, "20 acknowledged cases")
                await asyncio.to_thread(cluster.stop, "fast")
                down = time.monotonic()
                await load.wait_for(
                    lambda: sum(a.status == 503 for a in load.since(down)) >= 8,
                    20,
                    "503 answers while the database is down",
                )
                # Every answer given while it is down (after the requests in flight at the
                # stop have settled) is a retryable 503.
                settled = time.monotonic()
                await load.wait_for(lambda: len(load.since(settled)) >= 8, 10, "answers while down")
                while_down = load.since(settled)
                await asyncio.to_thread(cluster.start)
                up = time.monotonic()
                await load.wait_for(
                    lambda: any(a.status == 201 for a in load.since(up)),
                    15,
                    "a created case after the restart",
                )
                recovered = min(a.at for a in load.since(up) if a.status == 201) - up
                ok_after = len(load.created)
                await load.wait_for(
                    lambda: len(load.created) >= ok_after + 10, 15, "steady intake again"
                )
        statuses = {a.status for a in load.answers}
        assert statuses <= {201, 503}, f"unexpected answers: {statuses}"
        assert while_down and all(a.status == 503 for a in while_down)
        assert all(
            a.retry_after and int(a.retry_after) > 0 for a in load.answers if a.status == 503
        )
        assert recovered <= 5.0, f"first 201 came {recovered:.1f} s after the database was back"
        missing = await _missing(cluster.dsn(), load.created)
        assert missing == {"case": [], "created event": [], "reporter": []}
    finally:
        await asyncio.to_thread(cluster.stop, "immediate")


async def test_storage_outage_during_uploads_is_a_503_then_uploads_succeed_with_no_orphans(
    make_app: Callable[..., Litestar],
    s3_server: S3Server,  # noqa: F811
    db: AsyncSession,
) -> None:
    """The S3 server becomes unreachable in the middle of an upload (after the original was
    stored, before its copies): 503 with Retry-After and no photo row, and 503 while it stays
    down; once it is back the same upload succeeds, and after the orphan sweep every object in
    the bucket belongs to a photo row."""
    host, port = s3_server.endpoint.split(":")
    proxy = TcpProxy((host, int(port)))
    bucket = f"drill-{uuid.uuid4().hex[:12]}"
    settings = {**s3_server.settings(bucket), "s3_endpoint": proxy.endpoint}
    case = await make_case(db, category=await category_by_code(db, "SAMPAH_LIAR"))
    await db.commit()
    photo = images.jpeg(seed=3)
    try:
        async with AsyncTestClient(app=make_app(**settings), base_url="http://127.0.0.1") as api:
            headers = await login(api, "operator")

            async def upload(data: bytes) -> httpx.Response:
                return await api.post(
                    f"/api/cases/{case.id}/photos",
                    headers=headers,
                    files=[("files", ("a.jpg", data, "image/jpeg"))],
                )

            first = await upload(images.jpeg(seed=1))
            assert first.status_code == 201, first.text
            # The original goes through; the outage starts with the display copy.
            proxy.cut_at(b"PUT /", 2)
            for _ in range(3):
                r = await upload(photo)
                assert r.status_code == 503, r.text
                assert r.json()["code"] == "storage_unavailable"
                assert int(r.headers["retry-after"]) > 0
            assert await db.scalar(select(func.count()).select_from(Photo)) == 1
            proxy.restore()
            again = await upload(photo)
            assert again.status_code == 201, again.text
            storage = api.app.state.storage
            report = await sweep_orphans(
                db, storage, older_than=timedelta(0), now=datetime.now(UTC) + timedelta(minutes=1)
            )
    finally:
        proxy.close()
    rows = (await db.execute(select(Photo).where(Photo.case_id == case.id))).scalars().all()
    assert len(rows) == 2
    named = {k for p in rows for k in (p.original_key, p.display_key, p.thumb_key)}
    in_bucket = {o.object_name for o in s3_server.client().list_objects(bucket, recursive=True)}
    assert in_bucket == named, f"orphans: {in_bucket - named}, missing: {named - in_bucket}"
    # The half-written upload left its original behind (the removal failed too): the sweep,
    # the designed safety net, took it.
    assert report.deleted == report.orphans == 1
