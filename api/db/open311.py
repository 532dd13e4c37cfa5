"""Open311 SQL: service requests as the public may list them, public status changes, API keys.

Every list filters with :func:`api.db.cases.publicly_visible` before it pages, so a sensitive
case never leaves through Open311; the disclosure rule (:mod:`api.domain.disclosure`) still has
the last word on each row. Queries return named results, never positional rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.cases import LAT, LON, publicly_visible
from api.db.models import Agency, Area, Case, CaseEvent, Category, Open311Key
from api.domain.lifecycle import OPEN


# ----------------------------------------------------------- service requests
@dataclass(frozen=True)
class RequestRow:
    case: Case
    category_code: str
    category_name_id: str
    category_name_en: str
    category_sensitive: bool
    agency_name_id: str
    agency_name_en: str
    area_name: str | None
    lat: float
    lon: float


def _request_select() -> Select[Any]:
    return (
        select(
            Case,
            Category.code,
            Category.name_id.label("category_name_id"),
            Category.name_en.label("category_name_en"),
            Category.sensitive,
            Agency.name_id.label("agency_name_id"),
            Agency.name_en.label("agency_name_en"),
            Area.name.label("area_name"),
            LAT.label("lat"),
            LON.label("lon"),
        )
        .join(Category, Category.id == Case.category_id)
        .join(Agency, Agency.id == Case.agency_id)
        .outerjoin(Area, Area.id == Case.area_id)
        # Sensitive cases never leave through Open311 (api/domain/disclosure.py).
        .where(publicly_visible())
    )


def _row(r: Any) -> RequestRow:
    return RequestRow(
        case=r.Case,
        category_code=r.code,
        category_name_id=r.category_name_id,
        category_name_en=r.category_name_en,
        category_sensitive=bool(r.sensitive),
        agency_name_id=r.agency_name_id,
        agency_name_en=r.agency_name_en,
        area_name=r.area_name,
        lat=float(r.lat),
        lon=float(r.lon),
    )


@dataclass(frozen=True)
class RequestQuery:
    """``GET requests``: ``ids`` (references) override every other filter, as the spec says."""

    ids: Sequence[str] = ()
    codes: Sequence[str] = ()
    statuses: frozenset[str] = frozenset()  # "open", "closed": both or none is no filter
    start: datetime | None = None
    end: datetime | None = None
    page: int = 1
    page_size: int = 1000


async def requests(db: AsyncSession, q: RequestQuery) -> list[RequestRow]:
    """Publicly visible cases, newest first, as the query asks."""
    stmt = _request_select()
    if q.ids:
        stmt = stmt.where(Case.reference.in_([i.upper() for i in q.ids]))
    else:
        if q.codes:
            stmt = stmt.where(Category.code.in_(list(q.codes)))
        if q.start is not None:
            stmt = stmt.where(Case.created_at >= q.start)
        if q.end is not None:
            stmt = stmt.where(Case.created_at <= q.end)
        if q.statuses == {"open"}:
            stmt = stmt.where(Case.status.in_(OPEN))
        elif q.statuses == {"closed"}:
            stmt = stmt.where(Case.status.not_in(OPEN))
    stmt = (
        stmt.order_by(Case.created_at.desc(), Case.id.desc())
        .offset((q.page - 1) * q.page_size)
        .limit(q.page_size)
    )
    return [_row(r) for r in (await db.execute(stmt)).all()]


async def request_by_reference(db: AsyncSession, reference: str) -> RequestRow | None:
    found = (await db.execute(_request_select().where(Case.reference == reference))).first()
    return _row(found) if found is not None else None


# ------------------------------------------------------------ status changes
@dataclass(frozen=True)
class StatusUpdate:
    event_id: int
    reference: str
    kind: str
    to_status: str
    at: datetime


async def status_updates(
    db: AsyncSession, *, start: datetime, end: datetime, page: int, page_size: int
) -> list[StatusUpdate]:
    """Every public status change of a publicly visible case in the window, oldest first."""
    rows = await db.execute(
        select(CaseEvent.id, Case.reference, CaseEvent.kind, CaseEvent.to_status, CaseEvent.at)
        .join(Case, Case.id == CaseEvent.case_id)
        .where(
            CaseEvent.public.is_(True),
            CaseEvent.to_status.is_not(None),
            CaseEvent.at >= start,
            CaseEvent.at <= end,
            publicly_visible(),
        )
        .order_by(CaseEvent.at, CaseEvent.id)
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    return [StatusUpdate(r.id, r.reference, r.kind, str(r.to_status), r.at) for r in rows]


# ------------------------------------------------------------------ api keys
async def live_key(db: AsyncSession, key_hash: str) -> Open311Key | None:
    """The issued, unrevoked key with this hash."""
    return (
        await db.execute(
            select(Open311Key).where(
                Open311Key.key_hash == key_hash, Open311Key.revoked_at.is_(None)
            )
        )
    ).scalar_one_or_none()


async def live_key_named(db: AsyncSession, name: str) -> bool:
    """Whether an unrevoked key already has this holder's name."""
    found = select(Open311Key.id).where(Open311Key.name == name, Open311Key.revoked_at.is_(None))
    return (await db.execute(found.limit(1))).first() is not None


async def add_key(db: AsyncSession, key: Open311Key) -> None:
    db.add(key)
    await db.flush()


async def keys(db: AsyncSession) -> list[Open311Key]:
    return list((await db.execute(select(Open311Key).order_by(Open311Key.id))).scalars())


async def key_for_update(db: AsyncSession, key_id: int) -> Open311Key | None:
    return await db.get(Open311Key, key_id, with_for_update=True)
