"""Citizens without an account report a problem (or an Open311 client does for them), or
follow a similar case instead of filing a duplicate.

Abuse control on every accountless write (:mod:`api.services.abuse`): per-address and
per-phone rate limits, text limits, the service area, and numbers flagged for prank calls.
Tracking, rating and disputing are in :mod:`api.services.tracking`; photos in
:mod:`api.services.public_photos`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.config import Settings
from api.db import public as db_public
from api.db.models import Agency, Case, CaseRating, CaseReporter, Category
from api.domain import disclosure
from api.domain.abuse import tracking_pin
from api.domain.calls import is_flagged
from api.domain.lifecycle import OPEN
from api.domain.open311 import AttributeRefused, check_attributes
from api.domain.places import valid_coordinates
from api.errors import BadRequest, Conflict, Forbidden, NotFound, Unprocessable
from api.security import new_refresh_token, token_digest
from api.services import calls as call_service
from api.services import cases as case_service
from api.services.abuse import Counter, check_limit, checked, per_ip, per_phone, record_hit

TRACKING_PATH = "/lacak/{reference}"


def tracking_path(reference: str) -> str:
    return TRACKING_PATH.format(reference=reference)


async def categories(db: AsyncSession) -> list[db_public.CategoryWithAgency]:
    """What a citizen can report (active categories by group), with each one's agency."""
    return await db_public.active_categories(db)


async def agency(db: AsyncSession, case: Case) -> Agency | None:
    """The agency responsible for the case."""
    return await db_public.agency(db, case.agency_id)


# ------------------------------------------------------------------ intake
@dataclass(frozen=True)
class Report:
    """What a citizen (or an Open311 client on their behalf) reports."""

    category: str  # its code
    description: str
    lat: float
    lon: float
    address: str = ""
    landmark: str = ""
    name: str | None = None
    phone: str | None = None
    language: str = "id"
    attributes: Mapping[str, Sequence[str]] = field(default_factory=dict)
    location_source: str | None = None  # "gps", "map", "plus_code" or "open311"
    accuracy_m: float | None = None


async def refuse_flagged(db: AsyncSession, settings: Settings, phone: str, now: datetime) -> None:
    """A number flagged for repeated prank calls may not report until the flag ends."""
    pranks = await call_service.prank_times(db, phone)
    if is_flagged(pranks, call_service.policy(settings), now):
        raise Forbidden("reporter_flagged")


async def screen_reporter(
    db: AsyncSession,
    settings: Settings,
    phone_raw: str | None,
    counters: Sequence[Counter],
    now: datetime,
) -> tuple[str | None, list[Counter]]:
    """The normalised phone and every counter that applies, once the reporter passed them all:
    a flagged number is refused (403), a used-up allowance too (429)."""
    phone = call_service.phone_or_400(phone_raw)
    applied = list(counters)
    if phone:
        await refuse_flagged(db, settings, phone, now)
        applied.append(per_phone(settings, phone))
    for counter in applied:
        await check_limit(db, counter, now)
    return phone, applied


async def intake(
    db: AsyncSession,
    settings: Settings,
    report: Report,
    *,
    now: datetime,
    channel: str,
    actor_kind: str,
    counters: Sequence[Counter],
    issue_token: bool,
    intake_data: Mapping[str, Any] | None = None,
) -> case_service.Created:
    """Check a report, apply the abuse rules, create the case (routed, with its SLA) and record
    the intake details (location source, category answers) as a private timeline note."""
    description = checked("description", report.description)
    address = checked("address", report.address)
    landmark = checked("landmark", report.landmark)
    name = checked("name", report.name or "") or None
    category = await db_public.category_by_code(db, report.category)
    if category is None or not category.active:
        raise Unprocessable("unknown_category")
    try:
        answers = check_attributes(category.attributes or [], report.attributes)
    except AttributeRefused as exc:
        raise BadRequest(exc.code, attribute=exc.attribute) from None
    if not valid_coordinates(report.lat, report.lon):
        raise BadRequest("invalid_coordinates")
    phone, applied = await screen_reporter(db, settings, report.phone, counters, now)
    created = await case_service.create_case(
        db,
        settings,
        case_service.NewCase(
            category_id=category.id,
            lat=report.lat,
            lon=report.lon,
            description=description,
            address=address,
            landmark=landmark,
            channel=channel,
            reporter_name=name,
            reporter_phone=phone,
            reporter_language=report.language,
            issue_tracking_token=issue_token,
        ),
        now=now,
        actor_id=None,
        actor_kind=actor_kind,
    )
    details: dict[str, Any] = {
        "intake": {
            "channel": channel,
            "location_source": report.location_source,
            "accuracy_m": report.accuracy_m,
            **(intake_data or {}),
        }
    }
    if answers:
        details["attributes"] = answers
    gps = report.location_source == "gps"
    await case_service.record_event(
        db,
        created.case,
        "note",
        now=now,
        actor_kind=actor_kind,
        data=details,
        lat=report.lat if gps else None,
        lon=report.lon if gps else None,
        accuracy_m=report.accuracy_m if gps else None,
        public=False,
        category_names=(category.name_id, category.name_en),
    )
    for counter in applied:
        await record_hit(db, counter, now)
    return created


# ------------------------------------------------------------------ follow
async def citizen_step(
    db: AsyncSession,
    case: Case,
    kind: str,
    row: CaseReporter | CaseRating,
    *,
    now: datetime,
    public: bool,
    **data: Any,
) -> None:
    """Store a citizen's row (a follower, a rating) and the step it adds to the case's
    timeline; the step's data names the reporter."""
    await db_public.add(db, row)
    reporter_id = row.id if isinstance(row, CaseReporter) else row.reporter_id
    data["reporter_id"] = reporter_id
    await case_service.record_event(
        db, case, kind, now=now, actor_kind="citizen", data=data, public=public
    )


@dataclass(frozen=True)
class Tracked:
    """A case and a tracking token of one of its reporters (shown once; only its hash is
    kept)."""

    case: Case
    tracking_token: str


async def reissue_token(db: AsyncSession, reference: str) -> Tracked:
    """A fresh tracking token for the reporter who filed ``reference`` (their old one stops).

    For a replayed report: the stored answer keeps no token, so the replay gets a new one.
    """
    case = await db_public.case_by_reference(db, reference)
    if case is None:
        raise NotFound("case_not_found")
    reporter = await db_public.first_tracked_reporter(db, case.id)
    if reporter is None:
        raise NotFound("case_not_found")
    token = new_refresh_token()
    reporter.tracking_token_hash = token_digest(token)
    await db.flush()
    return Tracked(case, token)


@dataclass(frozen=True)
class Followed(Tracked):
    reporter: CaseReporter
    tracking_token: str


async def follow(
    db: AsyncSession,
    settings: Settings,
    reference: str,
    *,
    name: str | None,
    phone: str | None,
    language: str,
    ip: str,
    now: datetime,
) -> Followed:
    """Join an open case as one more reporter instead of filing a duplicate."""
    case = await db_public.case_by_reference(db, reference, for_update=True)
    # A case the public may not see cannot be followed: the same 404 as an unknown reference,
    # so a stranger learns nothing of its existence.
    if case is None or not disclosure.may_follow(await db_public.facts_of(db, case)):
        raise NotFound("case_not_found")
    if case.status not in OPEN:
        raise Conflict("case_not_followable")
    clean_name = checked("name", name or "") or None
    e164, applied = await screen_reporter(db, settings, phone, [per_ip(settings, ip)], now)
    token = new_refresh_token()
    reporter = CaseReporter(
        case_id=case.id,
        original_case_id=case.id,
        name=clean_name,
        phone=e164,
        channel="web",
        tracking_token_hash=token_digest(token),
        language=language,
        follower=True,
        created_at=now,
    )
    # For staff only: following adds no step to anyone's public timeline.
    await citizen_step(db, case, "reporter_added", reporter, now=now, public=False, channel="web")
    for counter in applied:
        await record_hit(db, counter, now)
    return Followed(case, token, reporter)


# ----------------------------------------------------------------- similar
@dataclass(frozen=True)
class Nearby:
    case: Case
    distance_m: float
    shown: disclosure.PublicCase  # what the public may see of it


async def similar(
    db: AsyncSession, category_code: str, lat: float, lon: float, now: datetime
) -> tuple[Category, list[Nearby]]:
    """Open (or just finished) cases of the same category near the point, nearest first."""
    category = await db_public.category_by_code(db, category_code)
    if category is None or not category.active:
        raise Unprocessable("unknown_category")
    if not valid_coordinates(lat, lon):
        raise BadRequest("invalid_coordinates")
    found = await case_service.similar_cases(db, category, lat, lon, now, public_only=True)
    points = await db_public.case_points(db, [c.id for c, _ in found])
    out = []
    for c, distance in found:
        y, x = points.get(c.id, (lat, lon))
        shown = disclosure.public_case(
            disclosure.CaseFacts(
                c.channel, c.sensitive, category.sensitive, c.address, c.public_description, y, x
            )
        )
        if shown is None:  # filtered in SQL already; the rule has the last word
            continue
        if disclosure.staff_typed(c.channel):
            distance = round(distance, -2)  # no finer than the published point
        out.append(Nearby(c, distance, shown))
    return category, out


# ------------------------------------------------------------ phone callers
def new_caller_tracking(secret: str, created: case_service.Created) -> tuple[str, str, str] | None:
    """:func:`caller_tracking` of a case just created, from what intake holds (its only
    reporter is the caller)."""
    if created.reporter_phone is None or created.tracking_token is None:
        return None
    pin = tracking_pin(secret, token_digest(created.tracking_token))
    return created.case.reference, pin, created.reporter_phone


async def caller_tracking(
    db: AsyncSession, secret: str, case_id: uuid.UUID
) -> tuple[str, str, str] | None:
    """The case's code, the PIN and the number of the caller it was created for, for the
    operator to read back; ``None`` when the caller left no number."""
    found = await db_public.caller_tracking(db, case_id)
    if found is None:
        return None
    return found.reference, tracking_pin(secret, found.token_hash), found.phone
