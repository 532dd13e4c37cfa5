"""The case routes' answers: a case as its caller sees it, its timeline, photos, reporter and
team suggestions, and the intake's answer with the caller's tracking code."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from api.domain import pluscode, sla
from api.domain.lifecycle import PublicStatus, public_status
from api.domain.vocabulary import (
    Channel,
    EventKind,
    Priority,
    Status,
)
from api.services.case_views import CaseRow, PhotoItem, TimelineEntry
from api.services.neighbours import OutsideFlag


class CategoryRef(msgspec.Struct):
    id: int
    code: str
    name: str


class CaseOut(msgspec.Struct):
    id: uuid.UUID
    reference: str
    category: CategoryRef
    agency_id: int
    agency_name: str
    team_id: int | None
    team_name: str | None
    priority: Priority
    status: Status
    public_status: PublicStatus
    lat: float
    lon: float
    plus_code: str  # the place's 10-digit Plus Code (about 14 m), shown beside the address
    address: str
    landmark: str
    area_id: int | None
    area_name: str | None
    description: str
    channel: Channel
    out_of_area: bool
    duplicate_of_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    accept_by: datetime
    arrive_by: datetime
    resolve_by: datetime
    overdue: bool
    overdue_stages: list[str]
    version: int
    sensitive: bool = False  # never on a public surface (its category's or the operator's)


class CallerTracking(msgspec.Struct):
    """Read back to a caller: with their phone number, ``code`` and ``pin`` open the case on
    the tracking page (Lacak)."""

    code: str
    pin: str
    phone: str


class IntakeOut(CaseOut):
    """The new case, and for a caller with a number, the code and PIN to read back."""

    caller_tracking: CallerTracking | None = None


class EventOut(msgspec.Struct):
    id: int
    kind: EventKind
    from_status: Status | None
    to_status: Status | None
    at: datetime
    actor_id: int | None
    actor_name: str | None
    actor_kind: str
    note: str
    data: dict[str, Any]
    lat: float | None
    lon: float | None
    public: bool


class PhotoRef(msgspec.Struct):
    id: uuid.UUID
    source: str
    caption: str
    created_at: datetime
    thumb_url: str
    display_url: str


class ReporterOut(msgspec.Struct):
    id: int
    name: str | None
    phone: str | None
    channel: str
    call_id: int | None
    original_case_id: uuid.UUID
    created_at: datetime


class CaseDetail(msgspec.Struct):
    case: CaseOut
    timeline: list[EventOut]
    photos: list[PhotoRef]
    reporters: list[ReporterOut]
    actions: list[str]
    # Located outside the city's service area: the neighbour it falls in (hand-off).
    outside: OutsideFlag | None = None


class CasePage(msgspec.Struct):
    items: list[CaseOut]
    next_cursor: str | None


class SimilarOut(msgspec.Struct):
    case: CaseOut
    distance_m: float


class SuggestionOut(msgspec.Struct):
    team_id: int
    name: str
    distance_m: float | None
    position_age_s: int | None
    fresh: bool
    open_cases: int
    preferred: bool


def case_out(row: CaseRow, now: datetime, lang: str) -> CaseOut:
    c = row.case
    progress = sla.Progress(c.status, c.accepted_at, c.arrived_at, c.resolved_at)
    stages = sla.overdue_stages(
        progress, sla.Deadlines(c.accept_by, c.arrive_by, c.resolve_by), now
    )
    en = lang == "en"
    return CaseOut(
        id=c.id,
        reference=c.reference,
        category=CategoryRef(
            c.category_id, row.category_code, row.category_name_en if en else row.category_name_id
        ),
        agency_id=c.agency_id,
        agency_name=row.agency_name_en if en else row.agency_name_id,
        team_id=c.team_id,
        team_name=row.team_name,
        priority=c.priority,
        status=c.status,
        public_status=public_status(c.status),
        lat=float(row.lat),
        lon=float(row.lon),
        plus_code=pluscode.encode(float(row.lat), float(row.lon)),
        address=c.address,
        landmark=c.landmark,
        area_id=c.area_id,
        area_name=row.area_name,
        description=c.description,
        channel=c.channel,
        out_of_area=c.out_of_area,
        duplicate_of_id=c.duplicate_of_id,
        created_at=c.created_at,
        updated_at=c.updated_at,
        accept_by=c.accept_by,
        arrive_by=c.arrive_by,
        resolve_by=c.resolve_by,
        overdue=bool(stages),
        overdue_stages=stages,
        version=c.version,
        sensitive=c.sensitive,
    )


def event_out(t: TimelineEntry) -> EventOut:
    e = t.event
    return EventOut(
        e.id,
        e.kind,
        e.from_status,
        e.to_status,
        e.at,
        e.actor_id,
        t.actor_name,
        e.actor_kind,
        e.note,
        e.data,
        t.lat,
        t.lon,
        e.public,
    )


def photo_ref(p: PhotoItem) -> PhotoRef:
    base = f"/api/photos/{p.id}?variant="
    return PhotoRef(p.id, p.source, p.caption, p.created_at, base + "thumb", base + "display")
