"""The citizen side's SQL: categories, cases by reference, reporters and their credentials, the
abuse counters, and what the disclosure rules need to decide what the public sees.

Every query returns ORM entities or named results (frozen dataclasses), never positional rows.
The rules themselves stay in :mod:`api.domain.disclosure` and :mod:`api.domain.abuse`; the
``*_filter``/``publicly_visible`` clauses here are only their SQL side, so a list can filter
before it pages.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import (
    ColumnElement,
    Text,
    and_,
    bindparam,
    cast,
    delete,
    exists,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import Exists

from api.db.cases import LAT, LON
from api.db.models import (
    Agency,
    Area,
    Case,
    CaseEvent,
    CaseRating,
    CaseReporter,
    Category,
    Photo,
    RateLimitHit,
)
from api.domain import disclosure


# --------------------------------------------------------- disclosure in SQL
def public_photo_filter() -> ColumnElement[bool]:
    """The SQL side of :func:`api.domain.disclosure.photo_is_public`."""
    return and_(
        Photo.public.is_(True),
        Photo.deleted_at.is_(None),
        or_(Photo.source == "citizen", Photo.published_at.is_not(None)),
    )


async def facts_of(db: AsyncSession, case: Case) -> disclosure.CaseFacts:
    """What :mod:`api.domain.disclosure` needs to decide about ``case``."""
    found = (
        await db.execute(
            select(LAT.label("lat"), LON.label("lon"), Category.sensitive)
            .join(Category, Category.id == Case.category_id)
            .where(Case.id == case.id)
        )
    ).one()
    return _facts(case, bool(found.sensitive), found.lat, found.lon)


def _facts(case: Case, category_sensitive: bool, lat: float, lon: float) -> disclosure.CaseFacts:
    return disclosure.CaseFacts(
        channel=case.channel,
        sensitive=case.sensitive,
        category_sensitive=category_sensitive,
        address=case.address,
        public_description=case.public_description,
        lat=float(lat),
        lon=float(lon),
    )


async def case_points(
    db: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[float, float]]:
    """``(lat, lon)`` of each of these cases."""
    if not ids:
        return {}
    rows = await db.execute(
        select(Case.id, LAT.label("lat"), LON.label("lon")).where(Case.id.in_(list(ids)))
    )
    return {r.id: (float(r.lat), float(r.lon)) for r in rows}


# ---------------------------------------------------------------- categories
@dataclass(frozen=True)
class CategoryWithAgency:
    category: Category
    agency_name_id: str
    agency_name_en: str


async def active_categories(db: AsyncSession) -> list[CategoryWithAgency]:
    """What a citizen (or an Open311 client) can report, with the responsible agency's name."""
    rows = await db.execute(
        select(Category, Agency.name_id, Agency.name_en)
        .join(Agency, Agency.id == Category.agency_id)
        .where(Category.active)
        .order_by(Category.group, Category.code)
    )
    return [CategoryWithAgency(r.Category, r.name_id, r.name_en) for r in rows]


async def category_by_code(db: AsyncSession, code: str) -> Category | None:
    return (
        await db.execute(select(Category).where(Category.code == code.strip()))
    ).scalar_one_or_none()


async def agency(db: AsyncSession, agency_id: int) -> Agency | None:
    return await db.get(Agency, agency_id)


@dataclass(frozen=True)
class CaseLabels:
    """The names a tracking page shows next to a case."""

    category: Category
    agency: Agency
    area_name: str | None
    parent_reference: str | None  # the case it was merged into


async def case_labels(db: AsyncSession, case: Case) -> CaseLabels:
    category = await db.get(Category, case.category_id)
    agency_ = await db.get(Agency, case.agency_id)
    assert category is not None and agency_ is not None
    area = await db.get(Area, case.area_id) if case.area_id is not None else None
    parent = None
    if case.duplicate_of_id is not None:
        parent = await db.scalar(select(Case.reference).where(Case.id == case.duplicate_of_id))
    return CaseLabels(category, agency_, area.name if area else None, parent)


# --------------------------------------------------------- cases, reporters
async def case_by_reference(
    db: AsyncSession, reference: str, *, for_update: bool = False
) -> Case | None:
    q = select(Case).where(Case.reference == reference.strip().upper())
    if for_update:
        q = q.with_for_update()
    return (await db.execute(q)).scalar_one_or_none()


async def case_by_id(db: AsyncSession, case_id: uuid.UUID) -> Case | None:
    return await db.get(Case, case_id)


async def reference_of(db: AsyncSession, case_id: uuid.UUID) -> str | None:
    return await db.scalar(select(Case.reference).where(Case.id == case_id))


async def reporter_by_token_hash(db: AsyncSession, token_hash: str) -> CaseReporter | None:
    return (
        await db.execute(select(CaseReporter).where(CaseReporter.tracking_token_hash == token_hash))
    ).scalar_one_or_none()


async def first_tracked_reporter(db: AsyncSession, case_id: uuid.UUID) -> CaseReporter | None:
    """The reporter who filed the case with a tracking token (locked, to reissue it)."""
    return (
        await db.execute(
            select(CaseReporter)
            .where(
                CaseReporter.original_case_id == case_id,
                CaseReporter.tracking_token_hash.is_not(None),
            )
            .order_by(CaseReporter.id)
            .limit(1)
            .with_for_update()
        )
    ).scalar_one_or_none()


async def reporters_by_phone(
    db: AsyncSession, case_id: uuid.UUID, phone: str
) -> list[CaseReporter]:
    """The reporters of the case (or merged into it) with this number and a tracking token."""
    return list(
        (
            await db.execute(
                select(CaseReporter).where(
                    or_(CaseReporter.case_id == case_id, CaseReporter.original_case_id == case_id),
                    CaseReporter.phone == phone,
                    CaseReporter.tracking_token_hash.is_not(None),
                )
            )
        ).scalars()
    )


async def add(db: AsyncSession, row: CaseReporter | CaseRating) -> None:
    db.add(row)
    await db.flush()


@dataclass(frozen=True)
class CallerTracking:
    reference: str
    token_hash: str
    phone: str


async def caller_tracking(db: AsyncSession, case_id: uuid.UUID) -> CallerTracking | None:
    """The case's reference, and the token hash and number of the caller it was created for."""
    found = (
        await db.execute(
            select(Case.reference, CaseReporter.tracking_token_hash, CaseReporter.phone)
            .join(CaseReporter, CaseReporter.original_case_id == Case.id)
            .where(
                Case.id == case_id,
                CaseReporter.follower.is_(False),
                CaseReporter.phone.is_not(None),
                CaseReporter.tracking_token_hash.is_not(None),
            )
            .order_by(CaseReporter.id)
            .limit(1)
        )
    ).first()
    if found is None:
        return None
    return CallerTracking(str(found.reference), str(found.tracking_token_hash), str(found.phone))


# ---------------------------------------------------------- rating, dispute
def _rated(case_id: Any, reporter_id: Any) -> Exists:
    """Whether the reporter rated the case (values, or columns of an outer query)."""
    return exists().where(CaseRating.case_id == case_id, CaseRating.reporter_id == reporter_id)


def _disputed(case_id: Any, reporter_id: Any) -> Exists:
    """Whether the reporter disputed the case's resolution (values, or outer columns)."""
    return exists().where(
        CaseEvent.case_id == case_id,
        CaseEvent.kind == "reopened",
        CaseEvent.actor_kind == "citizen",
        CaseEvent.data["reporter_id"].as_integer() == reporter_id,
    )


async def has_rated(db: AsyncSession, case_id: uuid.UUID, reporter_id: int) -> bool:
    return bool(await db.scalar(select(_rated(case_id, reporter_id))))


async def has_disputed(db: AsyncSession, case_id: uuid.UUID, reporter_id: int) -> bool:
    return bool(await db.scalar(select(_disputed(case_id, reporter_id))))


# ------------------------------------------------------------- public view
@dataclass(frozen=True)
class PublicEvent:
    kind: str
    at: datetime


@dataclass(frozen=True)
class PublicPhoto:
    id: uuid.UUID
    source: str
    created_at: datetime


async def public_events(
    db: AsyncSession, case_id: uuid.UUID, *, status_changes_only: bool
) -> list[PublicEvent]:
    """The case's public timeline, oldest first (status changes only, if so asked)."""
    where = [CaseEvent.case_id == case_id, CaseEvent.public.is_(True)]
    if status_changes_only:
        where.append(CaseEvent.to_status.is_not(None))
    rows = await db.execute(
        select(CaseEvent.kind, CaseEvent.at).where(*where).order_by(CaseEvent.id)
    )
    return [PublicEvent(r.kind, r.at) for r in rows]


async def public_photos(db: AsyncSession, case_id: uuid.UUID) -> list[PublicPhoto]:
    rows = await db.execute(
        select(Photo.id, Photo.source, Photo.created_at)
        .where(Photo.case_id == case_id, public_photo_filter())
        .order_by(Photo.created_at, Photo.id)
    )
    return [PublicPhoto(r.id, r.source, r.created_at) for r in rows]


# ------------------------------------------------- the tracking view, in one query
@dataclass(frozen=True)
class TrackedCase:
    """Everything the tracking view needs of a case opened with a tracking token, read in one
    statement: the case, its names, the holder (a reporter of the case, or of a case merged
    into it), what the disclosure rules decide on, and the whole public timeline and photos
    (the service drops what the holder may not see)."""

    case: Case
    labels: CaseLabels
    facts: disclosure.CaseFacts
    reporter_id: int
    follower: bool
    rated: bool
    disputed: bool
    # (kind, at, is a status change), oldest first
    events: list[tuple[PublicEvent, bool]]
    photos: list[PublicPhoto]


_Parent = aliased(Case, name="parent")
_EventRow = tuple[str, datetime, bool]
_PhotoRow = tuple[uuid.UUID, str, datetime]
_EVENTS = msgspec.json.Decoder(list[_EventRow])
_PHOTOS = msgspec.json.Decoder(list[_PhotoRow])


def _json_rows(values: list[Any], order: list[Any]) -> Any:
    """``json_agg(json_build_array(values) ORDER BY order)`` as text (NULL without rows)."""
    return cast(func.json_agg(aggregate_order_by(func.json_build_array(*values), *order)), Text)


# The case by reference, joined to the reporter holding the token (of the case or of one merged
# into it: no row otherwise, the same as an unknown reference), with its names, its point, the
# holder's rating and dispute, and the public timeline and photos as JSON: one round trip.
_TRACKED_SQL = (
    select(
        Case,
        Category,
        Agency,
        Area.name.label("area_name"),
        _Parent.reference.label("parent_reference"),
        LAT.label("lat"),
        LON.label("lon"),
        CaseReporter.id.label("reporter_id"),
        CaseReporter.follower,
        _rated(Case.id, CaseReporter.id).label("rated"),
        _disputed(Case.id, CaseReporter.id).label("disputed"),
        select(
            _json_rows(
                [CaseEvent.kind, CaseEvent.at, CaseEvent.to_status.is_not(None)], [CaseEvent.id]
            )
        )
        .where(CaseEvent.case_id == Case.id, CaseEvent.public.is_(True))
        .scalar_subquery()
        .label("events"),
        select(_json_rows([Photo.id, Photo.source, Photo.created_at], [Photo.created_at, Photo.id]))
        .where(Photo.case_id == Case.id, public_photo_filter())
        .scalar_subquery()
        .label("photos"),
    )
    .join(
        CaseReporter,
        and_(
            CaseReporter.tracking_token_hash == bindparam("token_hash"),
            or_(CaseReporter.case_id == Case.id, CaseReporter.original_case_id == Case.id),
        ),
    )
    .join(Category, Category.id == Case.category_id)
    .join(Agency, Agency.id == Case.agency_id)
    .outerjoin(Area, Area.id == Case.area_id)
    .outerjoin(_Parent, _Parent.id == Case.duplicate_of_id)
    .where(Case.reference == bindparam("reference"))
)


def _utc(at: datetime) -> datetime:
    # JSON carries the session's offset; the columns read directly come back in UTC.
    return at.astimezone(UTC)


async def tracked_case(db: AsyncSession, reference: str, token_hash: str) -> TrackedCase | None:
    """The case ``reference`` as the holder of the token with this hash tracks it, in one
    statement; None for an unknown reference or a token that does not open it."""
    row = (
        await db.execute(
            _TRACKED_SQL, {"reference": reference.strip().upper(), "token_hash": token_hash}
        )
    ).first()
    if row is None:
        return None
    case: Case = row.Case
    events = _EVENTS.decode(row.events) if row.events else []
    photos = _PHOTOS.decode(row.photos) if row.photos else []
    return TrackedCase(
        case,
        CaseLabels(row.Category, row.Agency, row.area_name, row.parent_reference),
        _facts(case, bool(row.Category.sensitive), row.lat, row.lon),
        int(row.reporter_id),
        bool(row.follower),
        bool(row.rated),
        bool(row.disputed),
        [(PublicEvent(kind, _utc(at)), change) for kind, at, change in events],
        [PublicPhoto(pid, source, _utc(at)) for pid, source, at in photos],
    )


# ------------------------------------------------------------ rate limits
async def hits_since(db: AsyncSession, key: str, since: datetime) -> list[datetime]:
    """The counted hits of ``key`` after ``since``. Checks of one key are serialised until the
    transaction ends (an advisory lock), so two requests cannot both take the last slot."""
    await db.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})
    rows = await db.execute(
        select(RateLimitHit.at).where(RateLimitHit.key == key, RateLimitHit.at > since)
    )
    return list(rows.scalars())


async def add_hit(db: AsyncSession, key: str, now: datetime, keep: timedelta) -> None:
    """Count one hit, and purge a batch of hits older than ``keep``."""
    db.add(RateLimitHit(key=key, at=now))
    stale = select(RateLimitHit.id).where(RateLimitHit.at < now - keep).limit(200)
    await db.execute(delete(RateLimitHit).where(RateLimitHit.id.in_(stale.scalar_subquery())))
    await db.flush()
