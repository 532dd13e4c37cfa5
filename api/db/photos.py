"""Photo SQL: counting a case's photos, their EXIF points, duplicates by hash, the rows the
orphan sweep must keep, the objects photo rows name that a storage listing lacks, and the checks
an upload needs (team membership, the event's case).

Queries return ORM entities or named values, never positional rows.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy import cast, exists, func, literal, select, text, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Case, CaseEvent, Photo, team_members


async def photo_count(db: AsyncSession, case_id: uuid.UUID, source: str) -> int:
    """Photos of this source on the case that nobody deleted."""
    count = await db.scalar(
        select(func.count())
        .select_from(Photo)
        .where(Photo.case_id == case_id, Photo.source == source, Photo.deleted_at.is_(None))
    )
    return int(count or 0)


async def photo_locations(
    db: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[float, float]]:
    """(lon, lat) from EXIF of these photos, for those that had one."""
    if not ids:
        return {}
    point = cast(Photo.exif_location, Geometry)
    rows = await db.execute(
        select(Photo.id, func.ST_X(point).label("lon"), func.ST_Y(point).label("lat")).where(
            Photo.id.in_(ids), Photo.exif_location.is_not(None)
        )
    )
    return {r.id: (float(r.lon), float(r.lat)) for r in rows}


async def photo(db: AsyncSession, photo_id: uuid.UUID, *, for_update: bool = False) -> Photo | None:
    """The photo, unless it is unknown or deleted."""
    found = await db.get(Photo, photo_id, with_for_update=for_update)
    return None if found is None or found.deleted_at is not None else found


async def existing_by_hash(
    db: AsyncSession, case_id: uuid.UUID, hashes: Collection[str]
) -> dict[str, Photo]:
    """The case's photos (not deleted) with one of these SHA-256 hashes, by hash."""
    rows = await db.execute(
        select(Photo).where(
            Photo.case_id == case_id, Photo.sha256.in_(list(hashes)), Photo.deleted_at.is_(None)
        )
    )
    return {p.sha256: p for p in rows.scalars()}


async def known_ids(db: AsyncSession, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these ids a photo row (deleted or not) has."""
    if not ids:
        return set()
    return set((await db.execute(select(Photo.id).where(Photo.id.in_(list(ids))))).scalars())


async def in_team(db: AsyncSession, team_id: int, user_id: int) -> bool:
    return bool(
        await db.scalar(
            select(
                exists().where(team_members.c.team_id == team_id, team_members.c.user_id == user_id)
            )
        )
    )


async def event_in_case(db: AsyncSession, event_id: int, case_id: uuid.UUID) -> bool:
    return bool(
        await db.scalar(
            select(exists().where(CaseEvent.id == event_id, CaseEvent.case_id == case_id))
        )
    )


# ------------------------------------------------------------------ the storage check
# The keys a listing of the photo store found, staged for one check on the check's own
# connection: a temporary table (not part of the schema; dropped when the transaction ends), so
# even a bucket of millions of objects is compared in SQL, not in memory. Each check has a table
# of its own: the cursor that reads the result keeps its table in use until the transaction ends.
async def begin_listing(db: AsyncSession) -> sa.Table:
    """An empty listing for one check, in the session's transaction."""
    table = sa.Table(
        f"photo_check_{uuid.uuid4().hex[:12]}", sa.MetaData(), sa.Column("key", sa.Text)
    )
    await db.execute(
        text(f"CREATE TEMPORARY TABLE {table.name} (key text PRIMARY KEY) ON COMMIT DROP")
    )
    return table


async def add_to_listing(db: AsyncSession, listing: sa.Table, keys: Collection[str]) -> None:
    if keys:
        await db.execute(sa.insert(listing), [{"key": k} for k in keys])


@dataclass(frozen=True)
class NamedObject:
    """An object key a photo row names."""

    photo_id: uuid.UUID
    case_id: uuid.UUID
    reference: str  # the case's reference (tracking code)
    variant: str  # original, display or thumb
    key: str
    deleted: bool  # the photo was deleted by staff (its objects are kept as evidence)


async def unlisted_keys(db: AsyncSession, listing: sa.Table) -> AsyncIterator[NamedObject]:
    """Every object key a photo row (deleted or not) names that the listing lacks, by case."""
    named = union_all(
        *(
            select(
                Photo.id.label("photo_id"),
                Photo.case_id.label("case_id"),
                Photo.deleted_at.is_not(None).label("deleted"),
                literal(variant).label("variant"),
                column.label("key"),
            )
            for variant, column in (
                ("original", Photo.original_key),
                ("display", Photo.display_key),
                ("thumb", Photo.thumb_key),
            )
        )
    ).subquery("named")
    query = (
        select(named, Case.reference)
        .join(Case, Case.id == named.c.case_id)
        .where(~exists().where(listing.c.key == named.c.key))
        .order_by(named.c.case_id, named.c.photo_id, named.c.variant)
    )
    # A server-side cursor: the rows are read as the caller goes (missing objects can be many
    # when a bucket was lost).
    result = await db.stream(query)
    try:
        async for row in result.mappings():
            yield NamedObject(
                photo_id=row["photo_id"],
                case_id=row["case_id"],
                reference=row["reference"],
                variant=row["variant"],
                key=row["key"],
                deleted=bool(row["deleted"]),
            )
    finally:
        await result.close()
