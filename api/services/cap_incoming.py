"""Incoming CAP alerts: the worker polls the configured feed (``TANGGAP_CAP_FEED_URL``) and
stores each message once; the dispatch map lists the active ones that touch the city; a
supervisor or a BPBD coordinator re-issues one as a draft city warning, which a second person
must still approve (:mod:`api.services.warnings`).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.adapters.cap_feed import CapFeedClient, FeedError, resolve
from api.auth import Principal
from api.config import Settings
from api.db import cap_incoming as q
from api.domain import cap_incoming as parse
from api.domain import warnings as rules
from api.errors import AppError, Conflict, NotFound, field_error
from api.services import warnings as warnings_service
from api.services.warnings import WarningView

log = logging.getLogger(__name__)

# A feed lists at most this many alerts per poll; the rest wait for the next one.
MAX_ALERTS_PER_POLL = 200
# A re-issued alert without an expiry stays in force this long (a person can change it).
DEFAULT_LIFETIME = timedelta(hours=24)


_INFO_FIELDS = tuple(f.name for f in fields(parse.CapInfo))


@dataclass(frozen=True)
class IncomingView(parse.CapInfo):
    """A received alert as the dispatch map shows it: the words as sent, in their language."""

    id: int
    sender: str
    identifier: str
    sent: datetime
    msg_type: str
    expires_at: datetime | None
    area: dict[str, Any] | None


def _view(row: q.AlertRow) -> IncomingView:
    a = row.alert
    return IncomingView(
        **{name: getattr(a, name) for name in _INFO_FIELDS},
        id=a.id, sender=a.sender, identifier=a.identifier, sent=a.sent, msg_type=a.msg_type,
        expires_at=a.expires_at, area=row.area,
    )  # fmt: skip


def _values(alert: parse.IncomingAlert) -> dict[str, Any]:
    return {
        **asdict(alert.info),
        "identifier": alert.identifier, "sender": alert.sender, "sent": alert.sent,
        "msg_type": alert.msg_type, "cancelled": False, "expires_at": alert.expires,
        "area": alert.area_wkt(),
    }  # fmt: skip


async def ingest(db: AsyncSession, alert: parse.IncomingAlert) -> bool:
    """Store one message once; an ``Update`` or ``Cancel`` retires the messages it references
    (a ``Cancel`` is stored retired too). True when the message was new."""
    if alert.status not in ("Actual", ""):
        return False  # exercises, tests and drafts are never shown as warnings
    new = await q.store(db, _values(alert))
    if new and alert.msg_type in ("Update", "Cancel"):
        await q.cancel(db, list(alert.references))
    if new and alert.msg_type == "Cancel":
        await q.cancel(db, [(alert.sender, alert.identifier)])
    return new


async def poll(db: AsyncSession, client: CapFeedClient, feed_url: str) -> int:
    """Read the feed (an index or one alert) and store what is new; one bad alert is skipped
    and logged (without its contents), the rest are stored. Returns how many were new."""
    data = await client.fetch(feed_url)
    links = parse.feed_links(data)
    documents: list[bytes] = []
    if links is None:
        documents.append(data)
    else:
        for link in links[:MAX_ALERTS_PER_POLL]:
            try:
                documents.append(await client.fetch(resolve(feed_url, link)))
            except FeedError as exc:
                log.warning("CAP feed: an alert could not be fetched (%s)", exc)
    alerts = []
    for doc in documents:
        try:
            alerts.append(parse.parse_alert(doc))
        except parse.CapParseError as exc:
            log.warning("CAP feed: an alert was refused (%s)", exc)
    # Oldest first, so an update or a cancel finds what it references already stored.
    new = 0
    for alert in sorted(alerts, key=lambda a: a.sent):
        new += await ingest(db, alert)
    return new


async def active(
    db: AsyncSession, settings: Settings, principal: Principal, now: datetime
) -> list[IncomingView]:
    """Dispatchers and supervisors; of the coordinators, BPBD's only."""
    if principal.role == "coordinator":
        await warnings_service.check_issuer(db, principal)
    return [_view(r) for r in await q.active(db, now, settings.city_bbox)]


def _one_of(value: str, allowed: tuple[str, ...], fallback: str) -> str:
    return value if value in allowed else fallback


async def reissue(
    db: AsyncSession, settings: Settings, principal: Principal, alert_id: int, now: datetime
) -> WarningView:
    """A draft city warning from an active received alert: its words as sent (both language
    fields), its area cut to the city, its expiry (at most the longest a warning may run)."""
    await warnings_service.check_issuer(db, principal)
    alert = await q.get_active(db, alert_id, now, settings.city_bbox)
    if alert is None:
        if await q.exists(db, alert_id):
            raise Conflict("cap_alert_inactive")
        raise NotFound("cap_alert_not_found")
    area = await q.clipped_area(db, alert_id, settings.city_bbox)
    if area is None:
        raise Conflict("cap_alert_outside")
    expires = min(
        alert.expires_at or now + DEFAULT_LIFETIME,
        now + warnings_service.MAX_LIFETIME - timedelta(minutes=1),
    )
    event = (alert.event or alert.headline or alert.category or "CAP")[:160]
    headline = (alert.headline or event)[:160]
    instruction = (alert.instruction or alert.description or headline)[:2000]
    draft = warnings_service.Draft(
        category=_one_of(alert.category, rules.CAP_CATEGORIES, "Met"),
        event={"id": event, "en": event},
        severity=_one_of(alert.severity, rules.SEVERITIES, "Unknown"),
        urgency=_one_of(alert.urgency, rules.URGENCIES, "Unknown"),
        certainty=_one_of(alert.certainty, rules.CERTAINTIES, "Unknown"),
        headline={"id": headline, "en": headline},
        instruction={"id": instruction, "en": instruction},
        expires_at=expires,
        area_ids=[],
        polygon=area,
    )
    try:
        return await warnings_service.draft(db, settings, principal, draft, now)
    except AppError as exc:
        # The clipped area may still be refused as a drawn warning area (e.g. a sliver).
        if exc.code.startswith(("warning_area", "area_geojson")):
            raise field_error("cap_alert_outside", "id") from exc
        raise


async def poll_configured(sessionmaker: Any, settings: Settings) -> int:
    """One poll of ``TANGGAP_CAP_FEED_URL`` (the worker's schedule); a feed that cannot be read
    is logged and tried again at the next poll."""
    client = CapFeedClient()
    try:
        async with sessionmaker() as db:
            new = await poll(db, client, settings.cap_feed_url)
            await db.commit()
            return new
    except (FeedError, parse.CapParseError) as exc:
        log.warning("CAP feed could not be read (%s)", exc)
        return 0
    finally:
        await client.aclose()
