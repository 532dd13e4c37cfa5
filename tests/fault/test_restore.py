"""Restore drill: WAL archiving and a full backup with pgBackRest, then a point-in-time restore.

A dedicated PostGIS cluster archives its WAL into an encrypted pgBackRest repository in a
temporary folder (``tests/support/backup.py``). Cases are written through the app (the HTTP API
in process, photos in the S3 server of the tests): some before the full backup, some after it
and before a timestamp read from the database clock, some after the timestamp. The cluster is
then stopped and its data folder deleted, and pgBackRest restores it to the timestamp (the backup
plus the archived WAL replayed up to it, then promoted). Asserted: exactly the cases written
before the timestamp exist, with the same timelines, reporters and photos; the app is ready on
the restored database and takes a new case; ``tanggap photos check`` reports the photos of the
later cases as orphans and an object lost from the bucket as missing.

Marked ``fault``; bounded (every pgBackRest command has a time limit, the server start one of
60 s); runs alone with ``uv run pytest tests/fault/test_restore.py``. The figures it prints
(``-s``) are in docs/operations.md, "Backup and restore".
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.adapters.events import libpq_dsn
from api.app import create_app
from api.cli import main
from api.config import Settings
from tests.conftest import login
from tests.support import images
from tests.support.backup import BackupSite, backup_site
from tests.support.load import BODY
from tests.support.s3_server import S3Server, s3_server  # noqa: F401

pytestmark = [pytest.mark.fault]

Client = AsyncTestClient[Litestar]


async def _prepare(site: BackupSite) -> None:
    """Migrations, the reference city and the demo users, as the test template has them."""
    from api.db import migrate
    from api.db.session import make_engine, make_sessionmaker
    from api.seed import seed_demo_users, seed_reference

    await asyncio.to_thread(migrate.upgrade, site.url)
    engine = make_engine(site.url, 1, 0)
    async with make_sessionmaker(engine)() as db, db.begin():
        await seed_reference(db)
        await seed_demo_users(db)
    await engine.dispose()


@asynccontextmanager
async def _app(settings: Settings, url: str) -> AsyncIterator[tuple[Client, dict[str, str]]]:
    app = create_app(settings, database_url=url)
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as client:
        yield client, await login(client, "operator")


async def _sql(url: str, query: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(libpq_dsn(url))
    try:
        return list(await conn.fetch(query))
    finally:
        await conn.close()


class Writer:
    """Writes through the API: new cases, a note on a case, a photo on a case."""

    def __init__(self, client: Client, headers: dict[str, str], category_id: int) -> None:
        self.client, self.headers, self.category_id = client, headers, category_id
        self.n = 0

    async def cases(self, count: int) -> list[dict[str, Any]]:
        made = []
        for _ in range(count):
            self.n += 1
            body = {**BODY, "category_id": self.category_id}
            body["description"] = f"Latihan pemulihan: kasus {self.n}"
            r = await self.client.post("/api/cases", json=body, headers=self.headers)
            assert r.status_code == 201, r.text
            made.append(r.json())
        return made

    async def note(self, case_id: str, text: str) -> None:
        r = await self.client.post(
            f"/api/cases/{case_id}/notes", json={"note": text}, headers=self.headers
        )
        assert r.status_code == 201, r.text

    async def photo(self, case_id: str, seed: int) -> str:
        r = await self.client.post(
            f"/api/cases/{case_id}/photos",
            headers=self.headers,
            files=[("files", ("bukti.jpg", images.jpeg(seed=seed), "image/jpeg"))],
        )
        assert r.status_code == 201, r.text
        return str(r.json()["photos"][0]["id"])

    async def detail(self, case_id: str) -> dict[str, Any]:
        """What must come back unchanged: the case's state, timeline, reporters, photo ids."""
        r = await self.client.get(f"/api/cases/{case_id}", headers=self.headers)
        assert r.status_code == 200, r.text
        d = r.json()
        c = d["case"]
        return {
            "case": {k: c[k] for k in ("id", "reference", "status", "version", "description")},
            "timeline": d["timeline"],
            "reporters": d["reporters"],
            "photos": sorted(p["id"] for p in d["photos"]),
        }


async def _photo_keys(url: str, photo_id: str) -> dict[str, str]:
    rows = await _sql(
        url,
        "SELECT original_key, display_key, thumb_key FROM photos "  # noqa: S608
        f"WHERE id = '{uuid.UUID(photo_id)}'",
    )
    return dict(rows[0])


async def test_point_in_time_restore_brings_back_exactly_the_cases_before_the_target(
    settings: Settings,
    data_dir: Path,
    s3_server: S3Server,  # noqa: F811
) -> None:
    bucket = f"restore-{uuid.uuid4().hex[:12]}"
    settings = replace(settings, **s3_server.settings(bucket))
    figures: dict[str, float] = {}
    with backup_site() as site:
        began = time.monotonic()
        await asyncio.to_thread(site.start)
        await _prepare(site)
        figures["cluster, migrations and seed"] = time.monotonic() - began
        url = site.url
        (category,) = await _sql(url, "SELECT id FROM categories WHERE code = 'POHON_TUMBANG'")

        async with _app(settings, url) as (client, headers):
            w = Writer(client, headers, category["id"])
            # 1. Before the backup.
            first = await w.cases(4)
            await w.note(first[0]["id"], "Sebelum cadangan")
            in_backup_photo = await w.photo(first[1]["id"], seed=1)
            label, figures["full backup"] = await asyncio.to_thread(site.backup)
            # 2. After the backup, before the target: only the archived WAL has these.
            second = await w.cases(4)
            await w.note(first[0]["id"], "Setelah cadangan, sebelum titik pemulihan")
            in_wal_photo = await w.photo(second[0]["id"], seed=2)
            before = {c["id"]: await w.detail(c["id"]) for c in first + second}
            (clock,) = await _sql(url, "SELECT now()::text AS at")
            target = str(clock["at"])
            # 3. After the target: none of it may come back.
            third = await w.cases(4)
            await w.note(first[0]["id"], "Setelah titik pemulihan")
            cancelled = second[1]["id"]
            r = await client.post(
                f"/api/cases/{cancelled}/transitions",
                json={
                    "action": "cancel",
                    "note": "Salah input",
                    "version": before[cancelled]["case"]["version"],
                },
                headers=headers,
            )
            assert r.status_code == 200, r.text
            later_photo = await w.photo(third[0]["id"], seed=3)
        # The bucket loses an object of a photo written before the target.
        lost = (await _photo_keys(url, in_backup_photo))["display_key"]
        s3_server.client().remove_object(bucket, lost)
        later_keys = set((await _photo_keys(url, later_photo)).values())
        await asyncio.to_thread(site.check_archived)
        info = await asyncio.to_thread(site.info)
        backup = info["backup"][-1]["info"]

        await asyncio.to_thread(site.wipe)
        restore_s, replay_s = await asyncio.to_thread(site.restore_to, target, label)
        figures["pgbackrest restore"] = restore_s
        figures["start: WAL replay to the target and promotion"] = replay_s

        # Exactly the cases before the target, by id and by reference.
        rows = await _sql(url, "SELECT id::text AS id, reference FROM cases")
        assert {r["id"] for r in rows} == {c["id"] for c in first + second}
        assert {r["reference"] for r in rows} == {c["reference"] for c in first + second}
        # Promoted: writing on a timeline of its own (the WAL file name starts with it).
        (wal,) = await _sql(url, "SELECT pg_walfile_name(pg_current_wal_lsn()) AS name")
        assert int(wal["name"][:8], 16) >= 2, wal["name"]
        async with _app(settings, url) as (client, headers):
            w = Writer(client, headers, category["id"])
            after = {c["id"]: await w.detail(c["id"]) for c in first + second}
            assert after == before
            ready = await client.get("/health/ready")
            assert ready.status_code == 200, ready.text
            # No worker runs in this drill: only the worker's own reasons may be given.
            assert set(ready.json()["reasons"]) <= {"worker_stalled", "sla_scan_late"}
            (fresh,) = await w.cases(1)
            assert fresh["reference"] not in {c["reference"] for c in first + second}
            assert (await w.detail(fresh["id"]))["case"]["status"] == "new"

        # The photos after the restore: the later case's objects are orphans, the lost one is
        # missing, and the photo the WAL brought back has all its objects.
        env = {
            "TANGGAP_DATABASE_URL": url,
            "TANGGAP_DATA_DIR": str(data_dir),
            **{
                f"TANGGAP_{k.upper()}": str(int(v) if isinstance(v, bool) else v)
                for k, v in s3_server.settings(bucket).items()
            },
        }
        checked = await asyncio.to_thread(CliRunner().invoke, main, ["photos", "check"], env=env)
        assert checked.exit_code == 1, checked.output
        out = checked.output
        assert "Missing (a photo row names them, storage lacks them): 1" in out
        assert f"photo {in_backup_photo} display: {lost}" in out
        assert "Orphaned (no photo row names them): 3" in out
        assert all(key in out for key in later_keys)
        assert in_wal_photo not in out
        assert "Deleted nothing" in out
        in_bucket = {o.object_name for o in s3_server.client().list_objects(bucket, recursive=True)}
        assert later_keys <= in_bucket  # nothing deleted unless asked

    figures["backup size in the repository (MB)"] = backup["repository"]["size"] / 1e6
    figures["database size (MB)"] = backup["size"] / 1e6
    print("\nrestore drill:", ", ".join(f"{k} {v:.1f}" for k, v in figures.items()))
