"""Abuse control on every accountless write: per-key rate limits counted in ``rate_limit_hits``,
and text limits with a precise, translated answer.

The rules (:func:`api.domain.abuse.verdict`, :func:`api.domain.abuse.check_text`) are pure; this
module counts the hits through :mod:`api.db.public` and turns a refusal into a 4xx.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from api.config import Settings
from api.db import public as db_public
from api.db.session import release_connection
from api.domain.abuse import Limit, TextRefused, address_group, check_text, limit_key, verdict
from api.errors import BadRequest, RateLimited

# Counter rows older than this (and than every window) are purged as new ones arrive.
_MIN_KEEP = timedelta(days=2)


def checked(field_name: str, value: str, rule: str | None = None) -> str:
    """A text field stripped and within its limits, or a translated 400."""
    try:
        return check_text(field_name, value, rule)
    except TextRefused as exc:
        if exc.code == "text_too_long":
            raise BadRequest(exc.code, field=exc.field, max=exc.bound) from None
        raise BadRequest(exc.code, field=exc.field, min=exc.bound) from None


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

    Checks of one key are serialised until the transaction ends, so two concurrent requests
    cannot both take the last slot.
    """
    hits = await db_public.hits_since(db, counter.key, now - counter.limit.window)
    decided = verdict(hits, counter.limit, now)
    if not decided.allowed:
        raise RateLimited(decided.retry_after_s, counter.code)


async def record_hit(db: AsyncSession, counter: Counter, now: datetime) -> None:
    await db_public.add_hit(db, counter.key, now, max(counter.limit.window, _MIN_KEEP))


async def count_attempt(db: AsyncSession, counter: Counter, now: datetime) -> None:
    """Count a hit that must outlive a refusal: it is committed at once (through
    :func:`release_connection`, before anything else is written), since the refusal that follows
    rolls the request's transaction back."""
    await record_hit(db, counter, now)
    await release_connection(db)
