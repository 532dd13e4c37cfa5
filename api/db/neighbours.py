"""Neighbour SQL: the neighbouring regions as the admin console shows them, the one a point
falls in, and the hand-off record of a case. Named results only."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import (
    Agency,
    Call,
    CaseHandoff,
    Category,
    NeighbourArea,
    category_supporting_agencies,
)


@dataclass(frozen=True, slots=True)
class NeighbourOut:
    """A neighbouring region as the admin console shows it, its polygon as GeoJSON."""

    id: int
    name_id: str
    name_en: str
    approximate: bool
    contact_112: str
    contact_phone: str
    contact_email: str
    contact_radio: str
    boundary: dict[str, Any]  # a GeoJSON MultiPolygon


def _neighbour(row: Any) -> NeighbourOut:
    return NeighbourOut(**{**row, "boundary": json.loads(row["boundary"])})


def _columns() -> tuple[Any, ...]:
    return (
        NeighbourArea.id,
        NeighbourArea.name_id,
        NeighbourArea.name_en,
        NeighbourArea.approximate,
        NeighbourArea.contact_112,
        NeighbourArea.contact_phone,
        NeighbourArea.contact_email,
        NeighbourArea.contact_radio,
        func.ST_AsGeoJSON(NeighbourArea.boundary, 6).label("boundary"),
    )


async def neighbour_rows(db: AsyncSession, neighbour_id: int | None = None) -> list[NeighbourOut]:
    """Neighbours by name, with their polygon as GeoJSON; one, or all."""
    q = select(*_columns()).order_by(NeighbourArea.name_id)
    if neighbour_id is not None:
        q = q.where(NeighbourArea.id == neighbour_id)
    return [_neighbour(row) for row in (await db.execute(q)).mappings()]


async def neighbour_at(db: AsyncSession, lon: float, lat: float) -> NeighbourOut | None:
    """The neighbour whose polygon holds the point (the first by name where two touch)."""
    point = func.ST_GeogFromText(f"SRID=4326;POINT({float(lon)} {float(lat)})")
    q = (
        select(*_columns())
        .where(func.ST_Intersects(NeighbourArea.boundary, point))
        .order_by(NeighbourArea.name_id)
        .limit(1)
    )
    row = (await db.execute(q)).mappings().first()
    return _neighbour(row) if row is not None else None


async def incoming(db: AsyncSession, case_id: uuid.UUID) -> CaseHandoff | None:
    """The hand-off a case was imported from, if it was."""
    q = select(CaseHandoff).where(CaseHandoff.case_id == case_id, CaseHandoff.direction == "in")
    return (await db.execute(q)).scalars().first()


async def imported_case(db: AsyncSession, incident_id: str) -> uuid.UUID | None:
    """The case an incoming incident already became, if any."""
    q = select(CaseHandoff.case_id).where(
        CaseHandoff.incident_id == incident_id, CaseHandoff.direction == "in"
    )
    return (await db.execute(q)).scalars().first()


@dataclass(frozen=True, slots=True)
class AgencyName:
    code: str
    name_id: str
    name_en: str


async def supporting_agencies(db: AsyncSession, category_id: int) -> list[AgencyName]:
    """The agencies that support a category's cases, by code."""
    q = (
        select(Agency.code, Agency.name_id, Agency.name_en)
        .join(category_supporting_agencies, category_supporting_agencies.c.agency_id == Agency.id)
        .where(category_supporting_agencies.c.category_id == category_id)
        .order_by(Agency.code)
    )
    return [AgencyName(**row) for row in (await db.execute(q)).mappings()]


async def active_category_id(db: AsyncSession, code: str) -> int | None:
    """The active category with this code, if there is one."""
    q = select(Category.id).where(Category.code == code, Category.active.is_(True))
    return (await db.execute(q)).scalars().first()


@dataclass(frozen=True, slots=True)
class CallPoint:
    """Whether the call exists, and its location if it has one."""

    found: bool
    lat: float | None
    lon: float | None


async def call_point(db: AsyncSession, call_id: int) -> CallPoint:
    """A call's location as the call log holds it (the PBX's, or AML's when it is matched)."""
    where = cast(Call.location, Geometry)
    q = select(func.ST_Y(where).label("lat"), func.ST_X(where).label("lon")).where(
        Call.id == call_id
    )
    row = (await db.execute(q)).mappings().first()
    if row is None:
        return CallPoint(False, None, None)
    return CallPoint(True, row["lat"], row["lon"])
