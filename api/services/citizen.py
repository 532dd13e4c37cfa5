"""Citizens without an account: report, follow a similar case, track, add photos, rate, dispute.

A citizen proves they reported (or followed) a case with the secret tracking token they got
back, or with the phone number given on the report plus the PIN shown next to the reference.
Whatever they see is public: the city's three words, a labelled timeline, the agency's name and
the public copies of the photos. Nothing about other people (reporters, officers, notes).

Abuse control on every accountless write: per-address and per-phone rate limits (counted in
``rate_limit_hits``), text limits, the service area, and numbers flagged for prank calls.
"""

from __future__ import annotations

import hashlib
import hmac
import tempfile
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import ColumnElement, and_, cast, delete, exists, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.adapters.storage import Storage
from api.adapters.uploads import receive_upload
from api.config import Settings
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
from api.db.session import release_connection
from api.domain import disclosure
from api.domain.abuse import (
    Limit,
    TextRefused,
    address_group,
    check_text,
    limit_key,
    pin_matches,
    tracking_pin,
    verdict,
)
from api.domain.calls import is_flagged
from api.domain.lifecycle import EVENT_KINDS, FINISHED, OPEN, VOID
from api.domain.open311 import AttributeRefused, check_attributes
from api.domain.photos import COPY_CONTENT_TYPE, PhotoRejected, Variant, etag
from api.domain.places import valid_coordinates
from api.domain.transitions import TransitionRefused, check_rating
from api.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    RateLimited,
    Unauthorized,
    Unprocessable,
)
from api.security import new_refresh_token, token_digest
from api.services import calls as call_service
from api.services import cases as case_service
from api.services import photos as photo_service

TRACKING_PATH = "/lacak/{reference}"
# Signed public photo URLs stay valid this long (the tracking page is reloaded far sooner).
PHOTO_URL_TTL = timedelta(hours=6)
# Counter rows older than this (and than every window) are purged as new ones arrive.
_MIN_KEEP = timedelta(days=2)


def tracking_path(reference: str) -> str:
    return TRACKING_PATH.format(reference=reference)


def checked(field_name: str, value: str, rule: str | None = None) -> str:
    """A text field stripped and within its limits, or a translated 400."""
    try:
        return check_text(field_name, value, rule)
    except TextRefused as exc:
        if exc.code == "text_too_long":
            raise BadRequest(exc.code, field=exc.field, max=exc.bound) from None
        raise BadRequest(exc.code, field=exc.field, min=exc.bound) from None


# ------------------------------------------------------------- rate limits
@dataclass(frozen=True)
class Counter:
    """One rate limit applied to one key, and the error code when it is reached."""

    key: str
    limit: Limit
    code: str


def report_window(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.public_report_window_minutes)


def per_ip(settings: Settings, ip: str) -> Counter:
    return Counter(
        limit_key("report-ip", address_group(ip)),  # IPv6 counted by /64
        Limit("report", settings.public_reports_per_ip, report_window(settings)),
        "report_rate_limited",
    )


def per_phone(settings: Settings, phone: str) -> Counter:
    return Counter(
        limit_key("report-phone", phone),
        Limit("report", settings.public_reports_per_phone, report_window(settings)),
        "phone_rate_limited",
    )


def per_ip_pin(settings: Settings, ip: str) -> Counter:
    """Wrong PINs are counted per requesting address, never per case: a stranger who knows a
    reference cannot lock its real reporter out."""
    return Counter(
        limit_key("pin-ip", ip),
        Limit("pin", settings.public_pin_failures_per_ip, report_window(settings)),
        "pin_rate_limited",
    )


async def check_limit(db: AsyncSession, counter: Counter, now: datetime) -> None:
    """429 with Retry-After when the key has used its allowance; otherwise nothing.

    Checks of one key are serialised until the transaction ends (an advisory lock), so two
    concurrent requests cannot both take the last slot.
    """
    await db.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": counter.key}
    )
    since = now - counter.limit.window
    hits = list(
        (
            await db.execute(
                select(RateLimitHit.at).where(
                    RateLimitHit.key == counter.key, RateLimitHit.at > since
                )
            )
        ).scalars()
    )
    decided = verdict(hits, counter.limit, now)
    if not decided.allowed:
        raise RateLimited(decided.retry_after_s, counter.code)


async def record_hit(db: AsyncSession, counter: Counter, now: datetime) -> None:
    db.add(RateLimitHit(key=counter.key, at=now))
    keep = max(counter.limit.window, _MIN_KEEP)
    stale = select(RateLimitHit.id).where(RateLimitHit.at < now - keep).limit(200)
    await db.execute(delete(RateLimitHit).where(RateLimitHit.id.in_(stale.scalar_subquery())))
    await db.flush()


# ------------------------------------------------------------------ intake
@dataclass(frozen=True)
class Report:
    """What a citizen (or an Open311 client on their behalf) reports."""

    category_code: str
    description: str
    lat: float
    lon: float
    address: str = ""
    landmark: str = ""
    name: str | None = None
    phone: str | None = None
    language: str = "id"
    attributes: Mapping[str, Sequence[str]] = field(default_factory=dict)
    location_source: str | None = None  # "gps", "map" or "open311"
    accuracy_m: float | None = None


async def category_by_code(db: AsyncSession, code: str) -> Category | None:
    return (
        await db.execute(select(Category).where(Category.code == code.strip()))
    ).scalar_one_or_none()


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
    category = await category_by_code(db, report.category_code)
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
    )
    for counter in applied:
        await record_hit(db, counter, now)
    return created


# ------------------------------------------------------------------ follow
async def case_by_reference(
    db: AsyncSession, reference: str, *, for_update: bool = False
) -> Case | None:
    q = select(Case).where(Case.reference == reference.strip().upper())
    if for_update:
        q = q.with_for_update()
    return (await db.execute(q)).scalar_one_or_none()


async def reissue_token(db: AsyncSession, reference: str) -> tuple[Case, str]:
    """A fresh tracking token for the reporter who filed ``reference`` (their old one stops).

    For a replayed report: the stored answer keeps no token, so the replay gets a new one.
    """
    case = await case_by_reference(db, reference)
    if case is None:
        raise NotFound("case_not_found")
    reporter = (
        await db.execute(
            select(CaseReporter)
            .where(
                CaseReporter.original_case_id == case.id,
                CaseReporter.tracking_token_hash.is_not(None),
            )
            .order_by(CaseReporter.id)
            .limit(1)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if reporter is None:
        raise NotFound("case_not_found")
    token = new_refresh_token()
    reporter.tracking_token_hash = token_digest(token)
    await db.flush()
    return case, token


@dataclass(frozen=True)
class Followed:
    case: Case
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
    case = await case_by_reference(db, reference, for_update=True)
    # A case the public may not see cannot be followed: the same 404 as an unknown reference,
    # so a stranger learns nothing of its existence.
    if case is None or not disclosure.may_follow(await facts_of(db, case)):
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
    db.add(reporter)
    await db.flush()
    # For staff only: following adds no step to anyone's public timeline.
    await case_service.record_event(
        db,
        case,
        "reporter_added",
        now=now,
        actor_kind="citizen",
        data={"reporter_id": reporter.id, "channel": "web"},
        public=False,
    )
    for counter in applied:
        await record_hit(db, counter, now)
    return Followed(case, reporter, token)


# ------------------------------------------------------------------ access
@dataclass(frozen=True)
class Access:
    case: Case
    reporter: CaseReporter


async def reporter_by_token(db: AsyncSession, token: str) -> CaseReporter | None:
    return (
        await db.execute(
            select(CaseReporter).where(CaseReporter.tracking_token_hash == token_digest(token))
        )
    ).scalar_one_or_none()


def _belongs(reporter: CaseReporter, case_id: uuid.UUID) -> bool:
    # A reporter follows the parent when their case is merged; their original reference
    # still opens (it shows the merge and points at the parent).
    return case_id in (reporter.case_id, reporter.original_case_id)


async def access(
    db: AsyncSession,
    settings: Settings,
    secret: str,
    reference: str,
    *,
    token: str | None,
    phone: str | None,
    pin: str | None,
    now: datetime,
    ip: str,
    for_update: bool = False,
) -> Access:
    """The case and the reporter behind the credentials, or 404 exactly as for an unknown
    reference: a wrong token says nothing about whether the case exists. Wrong PINs are
    limited per requesting address (``ip``)."""
    token = (token or "").strip()
    if not token and not ((phone or "").strip() and (pin or "").strip()):
        raise Unauthorized("tracking_token_required")
    case = await case_by_reference(db, reference, for_update=for_update)
    if token:
        reporter = await reporter_by_token(db, token)
        if case is None or reporter is None or not _belongs(reporter, case.id):
            raise NotFound("case_not_found")
        return Access(case, reporter)
    counter = per_ip_pin(settings, ip)
    await check_limit(db, counter, now)
    if case is None:
        await record_hit(db, counter, now)
        await db.commit()
        raise NotFound("case_not_found")
    try:
        e164 = call_service.phone_or_400(phone)
    except BadRequest:
        e164 = None
    if e164 is not None:
        candidates = (
            await db.execute(
                select(CaseReporter).where(
                    or_(CaseReporter.case_id == case.id, CaseReporter.original_case_id == case.id),
                    CaseReporter.phone == e164,
                    CaseReporter.tracking_token_hash.is_not(None),
                )
            )
        ).scalars()
        for reporter in candidates:
            assert reporter.tracking_token_hash is not None
            if pin_matches(secret, reporter.tracking_token_hash, pin or ""):
                return Access(case, reporter)
    # Counted even though the answer is an error: the failure must outlive this request.
    await record_hit(db, counter, now)
    await db.commit()
    raise NotFound("case_not_found")


# -------------------------------------------------------------------- view
@dataclass(frozen=True)
class PublicEvent:
    kind: str
    at: datetime


@dataclass(frozen=True)
class PublicPhoto:
    id: uuid.UUID
    source: str
    created_at: datetime


@dataclass(frozen=True)
class PublicView:
    case: Case
    category: Category
    agency: Agency
    area_name: str | None
    # None when the tracker sees status words and times only (sensitive case, follower).
    shown: disclosure.PublicCase | None
    parent_reference: str | None
    events: list[PublicEvent]
    photos: list[PublicPhoto]
    rated: bool
    can_rate: bool
    can_dispute: bool


# Timeline kinds a citizen sees (with a catalog label ``public_event_<kind>``), when public.
# Every kind is public; whether one event shows is its own ``public`` flag.
PUBLIC_KINDS = frozenset(EVENT_KINDS)


def public_photo_filter() -> ColumnElement[bool]:
    """The SQL side of :func:`api.domain.disclosure.photo_is_public`."""
    return and_(
        Photo.public.is_(True),
        Photo.deleted_at.is_(None),
        or_(Photo.source == "citizen", Photo.published_at.is_not(None)),
    )


async def facts_of(db: AsyncSession, case: Case) -> disclosure.CaseFacts:
    """What :mod:`api.domain.disclosure` needs to decide about ``case``."""
    point = cast(Case.location, Geometry)
    lat, lon, category_sensitive = (
        await db.execute(
            select(func.ST_Y(point), func.ST_X(point), Category.sensitive)
            .join(Category, Category.id == Case.category_id)
            .where(Case.id == case.id)
        )
    ).one()
    return disclosure.CaseFacts(
        channel=case.channel,
        sensitive=case.sensitive,
        category_sensitive=bool(category_sensitive),
        address=case.address,
        public_description=case.public_description,
        lat=float(lat),
        lon=float(lon),
    )


async def _disputed(db: AsyncSession, case: Case, reporter: CaseReporter) -> bool:
    return bool(
        await db.scalar(
            select(
                exists().where(
                    CaseEvent.case_id == case.id,
                    CaseEvent.kind == "reopened",
                    CaseEvent.actor_kind == "citizen",
                    CaseEvent.data["reporter_id"].as_integer() == reporter.id,
                )
            )
        )
    )


def _dispute_refusal(
    settings: Settings, granted: Access, disputed: bool, now: datetime
) -> str | None:
    return disclosure.may_dispute(
        follower=granted.reporter.follower,
        finished=granted.case.status in FINISHED,
        resolved_at=granted.case.resolved_at,
        already_disputed=disputed,
        window=timedelta(days=settings.dispute_days),
        now=now,
    )


async def public_view(
    db: AsyncSession, settings: Settings, granted: Access, now: datetime
) -> PublicView:
    """What the holder of the credentials sees: the whole public view for an original reporter
    of a case the public may see, status words and times only otherwise."""
    case = granted.case
    category = await db.get(Category, case.category_id)
    agency = await db.get(Agency, case.agency_id)
    assert category is not None and agency is not None
    area = await db.get(Area, case.area_id) if case.area_id is not None else None
    facts = await facts_of(db, case)
    rated = bool(
        await db.scalar(
            select(
                exists().where(
                    CaseRating.case_id == case.id, CaseRating.reporter_id == granted.reporter.id
                )
            )
        )
    )
    disputed = await _disputed(db, case, granted.reporter)
    seen = disclosure.tracker_view(
        sensitive=disclosure.is_sensitive(facts),
        follower=granted.reporter.follower,
        finished=case.status in FINISHED,
        rated=rated,
        dispute_open=_dispute_refusal(settings, granted, disputed, now) is None,
    )
    parent = None
    if case.duplicate_of_id is not None:
        parent = await db.scalar(select(Case.reference).where(Case.id == case.duplicate_of_id))
    event_filter = [
        CaseEvent.case_id == case.id,
        CaseEvent.public.is_(True),
        CaseEvent.kind.in_(PUBLIC_KINDS),
    ]
    if not seen.details:
        event_filter.append(CaseEvent.to_status.is_not(None))  # status changes only
    events = [
        PublicEvent(kind, at)
        for kind, at in await db.execute(
            select(CaseEvent.kind, CaseEvent.at).where(*event_filter).order_by(CaseEvent.id)
        )
    ]
    photos = []
    if seen.details:
        photos = [
            PublicPhoto(pid, source, created)
            for pid, source, created in await db.execute(
                select(Photo.id, Photo.source, Photo.created_at)
                .where(Photo.case_id == case.id, public_photo_filter())
                .order_by(Photo.created_at, Photo.id)
            )
        ]
    shown = disclosure.public_case(facts) if seen.details else None
    return PublicView(
        case,
        category,
        agency,
        area.name if area and seen.details else None,
        shown,
        parent,
        events,
        photos,
        rated,
        seen.can_rate,
        seen.can_dispute,
    )


# ------------------------------------------------------------ rate, dispute
async def rate(
    db: AsyncSession, granted: Access, *, score: int, comment: str, now: datetime
) -> CaseRating:
    """A 1-5 rating with a comment, once per original reporter (never a follower), after the
    case is resolved or closed."""
    case = granted.case
    try:
        check_rating(follower=granted.reporter.follower, status=case.status)
    except TransitionRefused as exc:
        raise case_service.refused(exc) from None
    comment = checked("comment", comment)
    already = await db.scalar(
        select(
            exists().where(
                CaseRating.case_id == case.id, CaseRating.reporter_id == granted.reporter.id
            )
        )
    )
    if already:
        raise Conflict("already_rated")
    rating = CaseRating(
        case_id=case.id,
        reporter_id=granted.reporter.id,
        score=score,
        comment=comment,
        created_at=now,
    )
    db.add(rating)
    await db.flush()
    await case_service.record_event(
        db,
        case,
        "rated",
        now=now,
        actor_kind="citizen",
        data={"score": score, "reporter_id": granted.reporter.id},
        public=True,
    )
    return rating


async def dispute(
    db: AsyncSession, settings: Settings, granted: Access, *, reason: str, now: datetime
) -> Case:
    """The citizen says the problem is not solved: the case reopens and its agency is told
    (through the notifier that every timeline event goes through). Only an original reporter,
    once, within ``dispute_days`` of the resolution (:func:`disclosure.may_dispute`)."""
    refusal = _dispute_refusal(
        settings, granted, await _disputed(db, granted.case, granted.reporter), now
    )
    if refusal == "dispute_followers_cannot":
        raise Forbidden(refusal)
    if refusal == "dispute_window_closed":
        raise Conflict(refusal, days=settings.dispute_days)
    if refusal is not None:
        raise Conflict(refusal)
    reason = checked("reason", reason)
    return await case_service.reopen_by_citizen(db, granted.case, granted.reporter.id, reason, now)


# ------------------------------------------------------------------ photos
async def add_photos(
    db: AsyncSession,
    storage: Storage,
    settings: Settings,
    granted: Access,
    *,
    body: AsyncIterator[bytes],
    content_type: str,
    content_length: int | None,
    now: datetime,
) -> photo_service.StoreResult:
    """Photos from the citizen, through the photo pipeline (checked by content, EXIF kept only
    in the private original). At most ``photo_max_files`` citizen photos per case."""
    case = granted.case
    if case.status in VOID:
        raise Conflict("case_not_followable")
    already = int(
        await db.scalar(
            select(func.count())
            .select_from(Photo)
            .where(Photo.case_id == case.id, Photo.source == "citizen", Photo.deleted_at.is_(None))
        )
        or 0
    )
    # Nothing is written yet: no pooled connection is held while a phone uploads or the photos
    # decode (store_photos decodes before its first statement).
    await release_connection(db)
    with tempfile.TemporaryDirectory(prefix="tanggap-citizen-") as tmp:
        try:
            received = await receive_upload(
                body, content_type, content_length, photo_service.limits_of(settings), Path(tmp)
            )
        except PhotoRejected as exc:
            raise photo_service.rejection(exc) from None
        caption = checked("caption", received.fields.get("caption", ""))
        if received.files and already + len(received.files) > settings.photo_max_files:
            raise Unprocessable("too_many_citizen_photos", max=settings.photo_max_files)
        result = await photo_service.store_photos(
            db,
            storage,
            settings,
            case_id=case.id,
            files=[photo_service.PhotoFile(f.path, f.sha256) for f in received.files],
            source="citizen",
            caption=caption,
            now=now,
        )
    try:
        await db.commit()
    except BaseException:
        await photo_service.discard(storage, result.written_keys)
        raise
    return result


def photo_signature(secret: str, photo_id: uuid.UUID, variant: str, expires: int) -> str:
    msg = f"public-photo:{photo_id}:{variant}:{expires}".encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()[:32]


def signed_photo_path(secret: str, photo_id: uuid.UUID, variant: Variant, now: datetime) -> str:
    """A URL for an ``<img>``: it works without the token until it expires."""
    expires = int((now + PHOTO_URL_TTL).timestamp())
    sig = photo_signature(secret, photo_id, variant, expires)
    return f"/api/public/photos/{photo_id}?variant={variant}&expires={expires}&sig={sig}"


@dataclass(frozen=True)
class PublicCopy:
    key: str
    content_type: str
    etag: str


async def public_photo(
    db: AsyncSession,
    secret: str,
    photo_id: uuid.UUID,
    variant: Variant,
    *,
    token: str | None,
    expires: int | None,
    sig: str | None,
    now: datetime,
) -> PublicCopy:
    """A public copy (thumbnail or display, never the original) of a public photo, for the
    holder of a tracking token of its case or of a signed URL from the tracking page."""
    if variant not in ("thumb", "display"):
        raise NotFound("photo_not_found")
    if not (token or "").strip() and not (sig and expires):
        raise Unauthorized("tracking_token_required")
    photo = await db.get(Photo, photo_id)
    if photo is None or photo.deleted_at is not None:
        raise NotFound("photo_not_found")
    if not disclosure.photo_is_public(photo.source, photo.public, photo.published_at is not None):
        raise NotFound("photo_not_found")
    case = await db.get(Case, photo.case_id)
    # A sensitive case has no public photo, not even for its reporter's signed URL.
    if case is None or disclosure.is_sensitive(await facts_of(db, case)):
        raise NotFound("photo_not_found")
    if (token or "").strip():
        reporter = await reporter_by_token(db, (token or "").strip())
        if reporter is None or reporter.follower or not _belongs(reporter, photo.case_id):
            raise NotFound("photo_not_found")
    else:
        assert sig is not None and expires is not None
        good = photo_signature(secret, photo_id, variant, expires)
        if not hmac.compare_digest(good, sig) or expires < now.timestamp():
            raise NotFound("photo_not_found")
    key = photo.display_key if variant == "display" else photo.thumb_key
    return PublicCopy(key, COPY_CONTENT_TYPE, etag(photo.id, variant))


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
    category = await category_by_code(db, category_code)
    if category is None or not category.active:
        raise Unprocessable("unknown_category")
    if not valid_coordinates(lat, lon):
        raise BadRequest("invalid_coordinates")
    found = await case_service.similar_cases(db, category, lat, lon, now, public_only=True)
    points: dict[uuid.UUID, tuple[float, float]] = {}
    if found:
        point = cast(Case.location, Geometry)
        rows = await db.execute(
            select(Case.id, func.ST_Y(point), func.ST_X(point)).where(
                Case.id.in_([c.id for c, _ in found])
            )
        )
        points = {cid: (float(y), float(x)) for cid, y, x in rows}
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
async def caller_tracking(
    db: AsyncSession, secret: str, case_id: uuid.UUID
) -> tuple[str, str, str] | None:
    """The case's code, the PIN and the number of the caller it was created for, for the
    operator to read back; ``None`` when the caller left no number."""
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
    reference, token_hash, phone = found
    return str(reference), tracking_pin(secret, str(token_hash)), str(phone)
