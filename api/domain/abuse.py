"""Abuse control for what anyone may do without an account: rate limits, text limits, PINs.

Pure rules, no I/O. The citizen service counts hits in the database and asks :func:`verdict`
whether one more is allowed; text fields are checked by :func:`check_text` so a citizen gets a
precise, translated answer ("the description is too long") rather than a generic one.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``max_hits`` within ``window`` for one key (an address, a phone, an API key)."""

    name: str  # what is counted: "report", "pin", "open311"
    max_hits: int
    window: timedelta


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after_s: int = 0  # when refused: seconds until the oldest counted hit leaves the window


def verdict(hits: list[datetime], limit: Limit, now: datetime) -> Verdict:
    """Whether one more hit is allowed, given the earlier hits of the same key.

    Hits older than the window do not count. When refused, ``retry_after_s`` is the time until
    enough old hits have left the window for one more to fit (at least one second).
    """
    if limit.max_hits <= 0:
        return Verdict(False, max(1, math.ceil(limit.window.total_seconds())))
    recent = sorted(h for h in hits if h > now - limit.window)
    if len(recent) < limit.max_hits:
        return Verdict(True)
    # The hit that must leave the window before one more fits.
    freeing = recent[len(recent) - limit.max_hits]
    wait = (freeing + limit.window - now).total_seconds()
    return Verdict(False, max(1, math.ceil(wait)))


def limit_key(kind: str, value: str) -> str:
    """The counter key for ``value``. Phones and addresses are stored hashed: the counters
    table holds no personal data."""
    digest = hashlib.sha256(value.encode()).hexdigest()[:40]
    return f"{kind}:{digest}"


# ------------------------------------------------------------------- text
@dataclass(frozen=True, slots=True)
class TextRule:
    min_len: int
    max_len: int


TEXT_RULES: dict[str, TextRule] = {
    "description": TextRule(5, 4000),  # Open311 limits descriptions to 4,000 characters
    "address": TextRule(0, 500),
    "landmark": TextRule(0, 500),
    "name": TextRule(0, 200),
    "comment": TextRule(0, 1000),
    "reason": TextRule(5, 1000),
    "caption": TextRule(0, 1000),
    "attribute": TextRule(0, 1000),
}


class TextRefused(ValueError):
    def __init__(self, code: str, field: str, bound: int) -> None:
        super().__init__(code)
        self.code = code
        self.field = field
        self.bound = bound


def check_text(field: str, value: str, rule_name: str | None = None) -> str:
    """The value stripped, or :class:`TextRefused` (``text_too_short``/``text_too_long``).

    Lengths count characters after stripping, so whitespace cannot pad a description.
    Control characters other than line breaks and tabs are removed.
    """
    rule = TEXT_RULES[rule_name or field]
    cleaned = "".join(ch for ch in value if ch in "\n\t" or ch.isprintable()).strip()
    if len(cleaned) > rule.max_len:
        raise TextRefused("text_too_long", field, rule.max_len)
    if len(cleaned) < rule.min_len:
        raise TextRefused("text_too_short", field, rule.min_len)
    return cleaned


# -------------------------------------------------------------------- PIN
PIN_DIGITS = 6


def tracking_pin(secret: str, token_hash: str) -> str:
    """A short code printed next to the case reference when a citizen reports.

    With the phone number given on the report it lets the citizen open their case without the
    tracking link. It is derived (HMAC) from the stored token hash with a server secret, so
    nothing more is stored and the database alone does not reveal it.
    """
    mac = hmac.new(secret.encode(), b"tracking-pin:" + token_hash.encode(), hashlib.sha256)
    return str(int.from_bytes(mac.digest()[:8], "big") % 10**PIN_DIGITS).zfill(PIN_DIGITS)


def pin_matches(secret: str, token_hash: str, pin: str) -> bool:
    return hmac.compare_digest(tracking_pin(secret, token_hash), pin.strip())
