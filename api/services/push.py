"""Registering devices for Web Push, for staff and for citizens (the use cases behind
``api/routes/push.py``).

A signed-in user may register a few devices; a citizen follows a case with the tracking token
they got when reporting: the subscription is tied to their ``CaseReporter`` row. One browser
endpoint is one row; it may serve a signed-in user and a followed case at once. The endpoint is
a URL the worker will POST to, so it must be a push service (:mod:`api.domain.push_endpoints`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from api.adapters.webpush import check_reachable
from api.auth import Principal
from api.config import Settings
from api.db import push as db_push
from api.db.models import CaseReporter
from api.domain.abuse import Limit, address_group, limit_key
from api.domain.push_endpoints import EndpointRefused, check_endpoint, check_keys
from api.errors import Conflict, NotFound, Unauthorized, Unprocessable
from api.i18n import t
from api.services.abuse import Counter, check_limit, count_attempt, report_window
from api.services.tracking import reporter_by_token


@dataclass(frozen=True)
class Device:
    """A browser's push subscription, and who it is for."""

    endpoint: str
    p256dh: str
    auth: str
    user_agent: str
    tracking_token: str | None  # a citizen's case; None: the signed-in user's device
    language: str | None


@dataclass(frozen=True)
class Subscribed:
    id: int
    owner: Literal["user", "citizen"]
    language: str


def _invalid(reason: str) -> Unprocessable:
    return Unprocessable(
        "push_subscription_invalid", reason_id=t(reason, "id"), reason_en=t(reason, "en")
    )


async def check_device(device: Device, settings: Settings) -> None:
    """422 unless the endpoint is a push service we may reach and the keys can be used."""
    try:
        check_keys(device.p256dh, device.auth)
    except EndpointRefused:
        raise _invalid("push_invalid_keys") from None
    try:
        target = check_endpoint(
            device.endpoint,
            allow_http=settings.push_allow_http,
            extra_hosts=settings.push_allowed_hosts,
        )
        await check_reachable(target)
    except EndpointRefused:
        raise _invalid("push_invalid_endpoint") from None


def per_ip(settings: Settings, ip: str) -> Counter:
    return Counter(
        limit_key("push-ip", address_group(ip)),
        Limit("push", settings.push_subscribes_per_ip, report_window(settings)),
        "push_rate_limited",
    )


async def _check_cap(db: AsyncSession, settings: Settings, owner: Any, endpoint: str) -> None:
    """409 when the owner (a tracking token's reporter, or a user) already has the most
    devices; registering one of their own endpoints again is an update, always allowed."""
    if await db_push.devices_besides(db, owner, endpoint) >= settings.push_max_subscriptions:
        raise Conflict("push_subscriptions_full", max=settings.push_max_subscriptions)


async def _reporter(db: AsyncSession, token: str) -> CaseReporter:
    reporter = await reporter_by_token(db, token)
    if reporter is None:
        raise NotFound("tracking_token_invalid")
    return reporter


async def subscribe(
    db: AsyncSession,
    settings: Settings,
    device: Device,
    principal: Principal | None,
    *,
    ip: str,
    lang: str,
    now: datetime,
) -> Subscribed:
    """Register (or update) a device, for a citizen's case or for the signed-in user."""
    counter = per_ip(settings, ip)
    await check_limit(db, counter, now)
    # The attempt counts even when refused below.
    await count_attempt(db, counter, now)
    await check_device(device, settings)
    values: dict[str, Any] = {
        "endpoint": device.endpoint,
        "p256dh": device.p256dh,
        "auth": device.auth,
        "user_agent": device.user_agent[:300],
    }
    owner: Literal["user", "citizen"]
    if device.tracking_token is not None:
        reporter = await _reporter(db, device.tracking_token)
        await _check_cap(db, settings, db_push.owned_by_reporter(reporter.id), device.endpoint)
        values["reporter_id"] = reporter.id
        values["language"] = device.language or lang
        owner = "citizen"
    else:
        if principal is None:
            raise Unauthorized()
        await _check_cap(db, settings, db_push.owned_by_user(principal.user_id), device.endpoint)
        values["user_id"] = principal.user_id
        values["language"] = device.language or principal.language
        owner = "user"
    return Subscribed(await db_push.upsert(db, values), owner, values["language"])


async def unsubscribe(
    db: AsyncSession, endpoint: str, tracking_token: str | None, principal: Principal | None
) -> None:
    """Stop pushing to a device for this citizen's case or this user (the row goes once
    nobody is left)."""
    sub = await db_push.by_endpoint(db, endpoint)
    if sub is None:
        raise NotFound("push_subscription_not_found")
    if tracking_token is not None:
        reporter = await _reporter(db, tracking_token)
        if sub.reporter_id != reporter.id:
            raise NotFound("push_subscription_not_found")
        sub.reporter_id = None
    else:
        if principal is None:
            raise Unauthorized()
        if sub.user_id != principal.user_id:
            raise NotFound("push_subscription_not_found")
        sub.user_id = None
    await db_push.forget_if_unowned(db, sub)
