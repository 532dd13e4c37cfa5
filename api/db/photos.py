"""Photo SQL: counting a case's photos, their EXIF points, duplicates by hash, the rows the
orphan sweep must keep, and the checks an upload needs (team membership, the event's case).

Queries return ORM entities or named values, never positional rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

from geoalchemy2 import Geometry
from sqlalchemy import cast, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import CaseEvent, Photo, team_members


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
