"""A citizen follows their case: open it with their credentials, see its public view, rate the
service or dispute the resolution.

A citizen proves they reported (or followed) a case with the secret tracking token they got
back, or with the phone number given on the report plus the PIN shown next to the reference.
Whatever they see is public: the city's three words, a labelled timeline, the agency's name and
the public copies of the photos. Nothing about other people (reporters, officers, notes). What
the holder of the credentials may see is decided by :mod:`api.domain.disclosure`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from api.config import Settings
from api.db import public as db_public
from api.db.models import Agency, Case, CaseRating, CaseReporter, Category
from api.db.public import PublicEvent, PublicPhoto
from api.domain import disclosure
from api.domain.abuse import pin_matches
from api.domain.lifecycle import FINISHED
from api.domain.transitions import TransitionRefused, check_rating
from api.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized
from api.security import token_digest
from api.services import calls as call_service
from api.services import cases as case_service
from api.services.abuse import check_limit, checked, count_attempt, per_ip_pin
from api.services.citizen import citizen_step


# ------------------------------------------------------------------ access
@dataclass(frozen=True)
class Credentials:
    """What a citizen sent to open their case (headers only, never the URL): the tracking
    token, or the phone given on the report and the PIN; and from which address."""

    token: str | None
    phone: str | None
    pin: str | None
    ip: str  # wrong PINs are counted per address


@dataclass(frozen=True)
class Access:
    case: Case
    reporter: CaseReporter


async def reporter_by_token(db: AsyncSession, token: str) -> CaseReporter | None:
    return await db_public.reporter_by_token_hash(db, token_digest(token))


def belongs(reporter: CaseReporter, case_id: uuid.UUID) -> bool:
    # A reporter follows the parent when their case is merged; their original reference
    # still opens (it shows the merge and points at the parent).
    return case_id in (reporter.case_id, reporter.original_case_id)


async def access(
    db: AsyncSession,
    settings: Settings,
    secret: str,
    reference: str,
    sent: Credentials,
    *,
    now: datetime,
    for_update: bool = False,
) -> Access:
    """The case and the reporter behind the credentials, or 404 exactly as for an unknown
    reference: a wrong token says nothing about whether the case exists. Wrong PINs are
    limited per requesting address. ``secret`` is the key the PINs are derived with."""
    token = (sent.token or "").strip()
    phone, pin = sent.phone, sent.pin
    if not token and not ((phone or "").strip() and (pin or "").strip()):
        raise Unauthorized("tracking_token_required")
    case = await db_public.case_by_reference(db, reference, for_update=for_update)
    if token:
        reporter = await reporter_by_token(db, token)
        if case is None or reporter is None or not belongs(reporter, case.id):
            raise NotFound("case_not_found")
        return Access(case, reporter)
    counter = per_ip_pin(settings, sent.ip)
    await check_limit(db, counter, now)
    if case is not None:
        try:
            e164 = call_service.phone_or_400(phone)
        except BadRequest:
            e164 = None
        if e164 is not None:
            for reporter in await db_public.reporters_by_phone(db, case.id, e164):
                assert reporter.tracking_token_hash is not None
                if pin_matches(secret, reporter.tracking_token_hash, pin or ""):
                    return Access(case, reporter)
    # Counted even though the answer is an error: the failure must outlive this request.
    await count_attempt(db, counter, now)
    raise NotFound("case_not_found")


# -------------------------------------------------------------------- view
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


def _dispute_refusal(
    settings: Settings, case: Case, follower: bool, disputed: bool, now: datetime
) -> str | None:
    return disclosure.may_dispute(
        follower=follower,
        finished=case.status in FINISHED,
        resolved_at=case.resolved_at,
        already_disputed=disputed,
        window=timedelta(days=settings.dispute_days),
        now=now,
    )


async def _disputed(db: AsyncSession, granted: Access) -> bool:
    return await db_public.has_disputed(db, granted.case.id, granted.reporter.id)


def _seen(
    settings: Settings,
    case: Case,
    facts: disclosure.CaseFacts,
    follower: bool,
    rated: bool,
    disputed: bool,
    now: datetime,
) -> disclosure.TrackerView:
    return disclosure.tracker_view(
        sensitive=disclosure.is_sensitive(facts),
        follower=follower,
        finished=case.status in FINISHED,
        rated=rated,
        dispute_open=_dispute_refusal(settings, case, follower, disputed, now) is None,
    )


def _shown(
    seen: disclosure.TrackerView,
    case: Case,
    labels: db_public.CaseLabels,
    facts: disclosure.CaseFacts,
    events: list[PublicEvent],
    photos: list[PublicPhoto],
    rated: bool,
) -> PublicView:
    """The view as the holder may see it (``events`` and ``photos`` already chosen so)."""
    return PublicView(
        case,
        labels.category,
        labels.agency,
        labels.area_name if seen.details else None,
        disclosure.public_case(facts) if seen.details else None,
        labels.parent_reference,
        events,
        photos if seen.details else [],
        rated,
        seen.can_rate,
        seen.can_dispute,
    )


async def public_view(
    db: AsyncSession, settings: Settings, granted: Access, now: datetime
) -> PublicView:
    """What the holder of the credentials sees: the whole public view for an original reporter
    of a case the public may see, status words and times only otherwise."""
    case, reporter = granted.case, granted.reporter
    labels = await db_public.case_labels(db, case)
    facts = await db_public.facts_of(db, case)
    rated = await db_public.has_rated(db, case.id, reporter.id)
    disputed = await _disputed(db, granted)
    seen = _seen(settings, case, facts, reporter.follower, rated, disputed, now)
    events = await db_public.public_events(db, case.id, status_changes_only=not seen.details)
    photos = await db_public.public_photos(db, case.id) if seen.details else []
    return _shown(seen, case, labels, facts, events, photos, rated)


async def token_view(
    db: AsyncSession, settings: Settings, reference: str, token: str, now: datetime
) -> PublicView:
    """:func:`public_view` for the holder of a tracking token, read in one statement; the same
    404 as an unknown reference when the token does not open the case."""
    tracked = await db_public.tracked_case(db, reference, token_digest(token.strip()))
    if tracked is None:
        raise NotFound("case_not_found")
    case = tracked.case
    seen = _seen(
        settings, case, tracked.facts, tracked.follower, tracked.rated, tracked.disputed, now
    )
    # Read whole; what the holder may not see is dropped here, before anything leaves.
    events = [event for event, change in tracked.events if seen.details or change]
    return _shown(seen, case, tracked.labels, tracked.facts, events, tracked.photos, tracked.rated)


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
    if await db_public.has_rated(db, case.id, granted.reporter.id):
        raise Conflict("already_rated")
    rating = CaseRating(
        case_id=case.id,
        reporter_id=granted.reporter.id,
        score=score,
        comment=comment,
        created_at=now,
    )
    await citizen_step(db, case, "rated", rating, now=now, public=True, score=score)
    return rating


async def dispute(
    db: AsyncSession, settings: Settings, granted: Access, *, reason: str, now: datetime
) -> Case:
    """The citizen says the problem is not solved: the case reopens and its agency is told
    (through the notifier that every timeline event goes through). Only an original reporter,
    once, within ``dispute_days`` of the resolution (:func:`disclosure.may_dispute`)."""
    refusal = _dispute_refusal(
        settings, granted.case, granted.reporter.follower, await _disputed(db, granted), now
    )
    if refusal == "dispute_followers_cannot":
        raise Forbidden(refusal)
    if refusal == "dispute_window_closed":
        raise Conflict(refusal, days=settings.dispute_days)
    if refusal is not None:
        raise Conflict(refusal)
    reason = checked("reason", reason)
    return await case_service.reopen_by_citizen(db, granted.case, granted.reporter.id, reason, now)
