"""``tanggap photos check``: photo rows against the photo store, both ways, on both backends.

A photo row whose object is gone is reported missing (a soft-deleted photo's too: its objects are
evidence); an object no row names is an orphan (what a database restore to an earlier point
leaves of the photos added after it, simulated here by removing the row). Nothing is deleted
unless asked, and then only orphans older than the grace period; an upload that commits while
the check runs is not reported missing. The restore itself is drilled in
``tests/fault/test_restore.py``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from click.testing import CliRunner, Result
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.adapters.storage import Storage, StoredObject
from api.cli import main
from api.db.models import Case, Photo
from api.services.photo_check import sweep_orphans
from tests.conftest import login
from tests.factories import category_by_code, make_case
from tests.support import images
from tests.support.s3_server import StorageBackend, s3_server, storage_backend  # noqa: F401

Client = AsyncTestClient[Litestar]


async def _case(db: AsyncSession) -> Case:
    c = await make_case(db, category=await category_by_code(db, "SAMPAH_LIAR"))
    await db.commit()
    return c


async def _photo(
    api: Client, db: AsyncSession, case: Case, headers: dict[str, str], seed: int
) -> Photo:
    r = await api.post(
        f"/api/cases/{case.id}/photos",
        headers=headers,
        files=[("files", (f"{seed}.jpg", images.jpeg(seed=seed), "image/jpeg"))],
    )
    assert r.status_code == 201, r.text
    photo_id = uuid.UUID(r.json()["photos"][0]["id"])
    return (await db.execute(select(Photo).where(Photo.id == photo_id))).scalar_one()


def _keys(p: Photo) -> set[str]:
    return {p.original_key, p.display_key, p.thumb_key}


async def _stored(storage: Storage) -> set[str]:
    return {o.key async for o in storage.iter_objects("photos/")}


async def _cli(
    args: list[str], database_url: str, data_dir: Path, backend: StorageBackend
) -> Result:
    env = {"TANGGAP_DATABASE_URL": database_url, "TANGGAP_DATA_DIR": str(data_dir)}
    for name, value in backend.overrides.items():
        env[f"TANGGAP_{name.upper()}"] = str(int(value) if isinstance(value, bool) else value)
    # The command runs its own event loop: give it a thread of its own.
    return await asyncio.to_thread(CliRunner().invoke, main, ["photos", *args], env=env)


async def test_check_reports_missing_objects_and_orphans_and_deletes_only_when_asked(
    make_app: Callable[..., Litestar],
    db: AsyncSession,
    database_url: str,
    data_dir: Path,
    storage_backend: StorageBackend,  # noqa: F811
) -> None:
    app = make_app(**storage_backend.overrides)
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as api:
        await _check_both_ways(api, db, database_url, data_dir, storage_backend)


async def _check_both_ways(
    api: Client,
    db: AsyncSession,
    database_url: str,
    data_dir: Path,
    storage_backend: StorageBackend,  # noqa: F811
) -> None:
    admin = await login(api, "admin")
    storage: Storage = api.app.state.storage
    first, second = await _case(db), await _case(db)
    kept = await _photo(api, db, first, admin, seed=1)
    damaged = await _photo(api, db, first, admin, seed=2)
    withdrawn = await _photo(api, db, second, admin, seed=3)
    rolled_back = await _photo(api, db, second, admin, seed=4)
    r = await api.delete(f"/api/photos/{withdrawn.id}", headers=admin)
    assert r.status_code == 204, r.text
    # The store loses two objects; the database loses a row (as a restore to before it).
    await storage.remove([damaged.display_key, withdrawn.thumb_key])
    await db.execute(delete(Photo).where(Photo.id == rolled_back.id))
    await db.commit()
    stray = f"photos/{first.id}/{uuid.uuid4()}/original.jpg"
    await storage.put_bytes(stray, b"left by a crash", "image/jpeg")
    before = await _stored(storage)
    orphans = _keys(rolled_back) | {stray}
    assert before == (_keys(kept) | _keys(damaged) | _keys(withdrawn) | orphans) - {
        damaged.display_key,
        withdrawn.thumb_key,
    }

    now = datetime.now(UTC)
    report = await sweep_orphans(
        db, storage, older_than=timedelta(minutes=60), now=now, dry_run=True
    )
    assert report.scanned == len(before) == 11
    assert {o.key for o in report.orphan_objects} == orphans and report.orphans == 4
    assert report.deleted == 0  # all younger than the grace period
    missing = {(m.photo_id, m.variant, m.key, m.deleted) for m in report.missing_objects}
    assert missing == {
        (damaged.id, "display", damaged.display_key, False),
        (withdrawn.id, "thumb", withdrawn.thumb_key, True),
    }
    assert report.missing == 2
    assert {m.reference for m in report.missing_objects} == {first.reference, second.reference}
    # The same session can check again (past the grace period now); nothing was deleted.
    again = await sweep_orphans(
        db, storage, older_than=timedelta(minutes=60), now=now + timedelta(hours=2), dry_run=True
    )
    assert (again.orphans, again.deleted, again.missing) == (4, 4, 2)
    assert await _stored(storage) == before

    # The command: a report, exit 1 for the missing objects, nothing deleted.
    checked = await _cli(["check"], database_url, data_dir, storage_backend)
    assert checked.exit_code == 1, checked.output
    assert "Missing (a photo row names them, storage lacks them): 2" in checked.output
    assert f"case {first.reference} photo {damaged.id} display: {damaged.display_key}" in (
        checked.output
    )
    assert f"photo {withdrawn.id} thumb, deleted photo: {withdrawn.thumb_key}" in checked.output
    assert "Orphaned (no photo row names them): 4" in checked.output
    assert all(key in checked.output for key in orphans)
    assert "Deleted nothing; 0 orphans are older than 60 min" in checked.output
    # Asked to, within the default grace period: still nothing (uploads may be in flight).
    kept_young = await _cli(["check", "--delete-orphans"], database_url, data_dir, storage_backend)
    assert "Deleted 0 orphans older than 60 min." in kept_young.output
    assert await _stored(storage) == before

    swept = await _cli(
        ["check", "--delete-orphans", "--older-than", "0"], database_url, data_dir, storage_backend
    )
    assert swept.exit_code == 1, swept.output
    assert "Deleted 4 orphans older than 0 min." in swept.output
    assert await _stored(storage) == before - orphans
    # Restoring the lost objects (from a bucket version, say) makes the check pass.
    await storage.put_bytes(damaged.display_key, b"restored", "image/webp")
    await storage.put_bytes(withdrawn.thumb_key, b"restored", "image/webp")
    clean = await _cli(["check"], database_url, data_dir, storage_backend)
    assert clean.exit_code == 0, clean.output
    assert "Missing (a photo row names them, storage lacks them): 0" in clean.output
    assert "Orphaned (no photo row names them): 0" in clean.output


async def test_check_on_an_empty_store_with_no_photos_is_clean(
    database_url: str,
    data_dir: Path,
    storage_backend: StorageBackend,  # noqa: F811
) -> None:
    r = await _cli(["check"], database_url, data_dir, storage_backend)
    assert r.exit_code == 0, r.output
    assert "Checked 0 stored objects" in r.output


class UploadAfterListing:
    """The real storage of the app, where a photo upload commits right after the check has read
    the whole listing (as an upload racing the check would): its objects were not listed, but
    its row is there when the check looks for rows whose objects the listing lacked."""

    def __init__(self, storage: Storage, upload: Callable[[], Awaitable[object]]) -> None:
        self.storage, self.upload = storage, upload
        self.kind = storage.kind

    def __getattr__(self, name: str) -> Any:
        return getattr(self.storage, name)

    async def iter_objects(self, prefix: str) -> AsyncIterator[StoredObject]:
        async for obj in self.storage.iter_objects(prefix):
            yield obj
        if prefix == "photos/":
            await self.upload()


async def test_an_upload_committed_during_the_check_is_not_reported_missing(
    make_app: Callable[..., Litestar],
    db: AsyncSession,
    storage_backend: StorageBackend,  # noqa: F811
) -> None:
    case = await _case(db)
    async with AsyncTestClient(
        app=make_app(**storage_backend.overrides), base_url="http://127.0.0.1"
    ) as api:
        admin = await login(api, "admin")
        await _photo(api, db, case, admin, seed=1)
        await db.commit()
        uploaded: list[Photo] = []

        async def upload() -> None:
            async with AsyncSession(db.bind) as other:
                uploaded.append(await _photo(api, other, case, admin, seed=2))

        racing = UploadAfterListing(api.app.state.storage, upload)
        report = await sweep_orphans(
            db, cast(Storage, racing), older_than=timedelta(0), now=datetime.now(UTC), dry_run=True
        )
    assert uploaded, "the upload ran during the check"
    assert (report.scanned, report.orphans, report.missing) == (3, 0, 0)
    assert await db.scalar(select(func.count()).select_from(Photo)) == 2
