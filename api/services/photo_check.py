"""The photo store against the photo rows, both ways: objects no row names (orphans) and objects
a row names that the store lacks (missing).

Uploads write their objects first and the row after (:mod:`api.services.photos`), so in normal
running an orphan is what a failed or interrupted upload left, and nothing is ever missing.
After a database restore to an earlier point in time both change: the objects of photos added
after that point are orphans (their rows were rolled back), and an object lost from the store
(a deleted bucket, a failed disk) is missing. ``tanggap photos check`` reports both and deletes
nothing unless asked; ``tanggap photos sweep`` is the same pass deleting old orphans.

One pass over the store, in pages: each page of keys is staged in a temporary table on the
check's own connection (:mod:`api.db.photos`) and its photo ids looked up, so orphans are found
(and, when asked, deleted) as the listing goes; at the end one query finds the keys rows name
that the listing lacked. A row whose upload committed while the listing ran may name objects the
listing passed before they were written: every such candidate is looked up once more, and only
what is still absent is reported missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from api.adapters.storage import Storage, StoredObject
from api.config import Settings
from api.db import photos as db_photos
from api.db.photos import NamedObject
from api.domain.photos import KEY_PREFIX, photo_id_of_key

# How many orphans and missing objects a report lists by name (all are counted).
SAMPLE = 1000


@dataclass
class SweepReport:
    scanned: int = 0  # objects in the photo store
    orphans: int = 0  # objects no photo row names
    deleted: int = 0  # orphans old enough, removed (or that would be, in a dry run)
    missing: int = 0  # objects photo rows name that the store does not have
    orphan_objects: list[StoredObject] = field(default_factory=list)  # the first SAMPLE
    missing_objects: list[NamedObject] = field(default_factory=list)  # the first SAMPLE


async def sweep_orphans(
    db: AsyncSession,
    storage: Storage,
    *,
    older_than: timedelta,
    now: datetime,
    dry_run: bool = False,
    batch_size: int = 500,
) -> SweepReport:
    """Check the photo store against the photo rows; delete the orphans older than
    ``older_than`` unless ``dry_run``.

    An orphan is an object whose photo id no photo row (deleted or not) has. The age margin
    keeps the objects of uploads still in flight (written, not yet committed). Runs in the
    session's transaction; its temporary table goes when that transaction ends.
    """
    cutoff = now - older_than
    report = SweepReport()
    batch: list[StoredObject] = []

    async def settle() -> None:
        await db_photos.add_to_listing(db, listing, [obj.key for obj in batch])
        ids = {pid for obj in batch if (pid := photo_id_of_key(obj.key)) is not None}
        known = await db_photos.known_ids(db, ids)
        doomed = []
        for obj in batch:
            pid = photo_id_of_key(obj.key)
            if pid is None or pid not in known:
                report.orphans += 1
                if len(report.orphan_objects) < SAMPLE:
                    report.orphan_objects.append(obj)
                if obj.last_modified <= cutoff:
                    doomed.append(obj.key)
        report.deleted += len(doomed)
        if doomed and not dry_run:
            await storage.remove(doomed)
        batch.clear()

    listing = await db_photos.begin_listing(db)
    async for obj in storage.iter_objects(KEY_PREFIX):
        report.scanned += 1
        batch.append(obj)
        if len(batch) >= batch_size:
            await settle()
    await settle()
    await _find_missing(db, storage, listing, report)
    return report


async def _find_missing(
    db: AsyncSession, storage: Storage, listing: Table, report: SweepReport
) -> None:
    """Count the keys rows name that the listing lacked and the store still lacks now (the
    candidates come by case: one listing of the case's folder looks them up again)."""
    group: list[NamedObject] = []

    async def settle() -> None:
        if not group:
            return
        prefix = f"{KEY_PREFIX}{group[0].case_id}/"
        present = {obj.key async for obj in storage.iter_objects(prefix)}
        for named in group:
            if named.key not in present:
                report.missing += 1
                if len(report.missing_objects) < SAMPLE:
                    report.missing_objects.append(named)
        group.clear()

    async for named in db_photos.unlisted_keys(db, listing):
        if group and group[0].case_id != named.case_id:
            await settle()
        group.append(named)
    await settle()


async def run_sweep(
    database_url: str, settings: Settings, *, older_than: timedelta, dry_run: bool
) -> SweepReport:
    """``tanggap photos check`` and ``sweep``: one pass with its own engine and the configured
    storage, on the primary (``database_url``: a hot standby cannot hold the temporary table)."""
    from api.adapters.storage import make_storage
    from api.db.session import make_engine, make_sessionmaker

    engine = make_engine(database_url, 1, 0)
    try:
        async with make_sessionmaker(engine)() as db, db.begin():
            return await sweep_orphans(
                db,
                make_storage(settings),
                older_than=older_than,
                now=datetime.now(UTC),
                dry_run=dry_run,
            )
    finally:
        await engine.dispose()
