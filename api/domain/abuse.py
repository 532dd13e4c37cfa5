"""Abuse control for what anyone may do without an account: rate limits, text limits, PINs.

Pure rules, no I/O. The citizen service counts hits in the database and asks :func:`verdict`
whether one more is allowed; text fields are checked by :func:`check_text` so a citizen gets a
precise, translated answer ("the description is too long") rather than a generic one.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
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


# ------------------------------------------------------- client addresses
def client_address(
    peer: str, forwarded_for: str | None, real_ip: str | None, trusted_proxies: tuple[str, ...]
) -> str:
    """The address of the client: the connection's peer, unless the peer is a trusted proxy.

    From a trusted proxy, ``X-Forwarded-For`` is read from the right, skipping the trusted
    proxies it passed through: the first other address is the client (anything left of it was
    written by the client and proves nothing). Without it, ``X-Real-IP``. From anyone else both
    headers are ignored, so a client cannot choose the address its limits are counted against.
    """
    networks = [ipaddress.ip_network(n, strict=False) for n in trusted_proxies]

    def trusted(address: str) -> bool:
        ip = _ip(address)
        return ip is not None and any(ip in n for n in networks)

    if not trusted(peer):
        return peer
    hops = [h.strip() for h in (forwarded_for or "").split(",") if h.strip()]
    for hop in reversed(hops):
        if _ip(hop) is None:
            break  # garbage from an untrusted hop: stop, fall back below
        if not trusted(hop):
            return str(_ip(hop))
    real = _ip((real_ip or "").strip())
    return str(real) if real is not None else peer


def address_group(address: str) -> str:
    """What per-address limits count: an IPv4 address, or an IPv6 address's /64 (one home or
    phone gets a whole /64, so counting single IPv6 addresses would count nothing)."""
    ip = _ip(address)
    if ip is None:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def hashed_address(address: str) -> str:
    """The per-address counter value: the address's group (:func:`address_group`), hashed,
    so the counters hold no personal data."""
    return hashlib.sha256(address_group(address).encode()).hexdigest()[:40]


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


# --------------------------------------------------------------- sign-in
# Each lock-out of the same key within this horizon doubles the next one, up to the horizon.
LOCK_HORIZON = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class FailureCount:
    """Failed sign-ins of one key: how many within :data:`LOCK_HORIZON`, and the times of the
    most recent ones (newest first, at most the limit)."""

    in_horizon: int
    recent: list[datetime]


def lockout_wait(count: FailureCount, max_failures: int, window: timedelta, now: datetime) -> int:
    """Seconds before this key may try again (0: now).

    ``max_failures`` failures within one window lock the key for a window after the last of
    them; each earlier lock-out within :data:`LOCK_HORIZON` doubles that wait (a patient guesser
    gets ``max_failures`` guesses, then fewer and fewer per hour), capped at the horizon.
    """
    limit = max(1, max_failures)
    recent = sorted(count.recent, reverse=True)[:limit]
    if len(recent) < limit or recent[0] - recent[-1] >= window:
        return 0
    rounds = max(1, count.in_horizon // limit)
    wait = min(window * 2 ** min(rounds - 1, 16), LOCK_HORIZON)
    left = (recent[0] + wait - now).total_seconds()
    return max(1, math.ceil(left)) if left > 0 else 0


def should_alert(failures_in_window: int, ceiling: int, alerted_in_window: bool) -> bool:
    """Whether the failures against one account (from every address) call for an admin alert.

    The account is never locked by them: that would let anyone lock anyone out.
    """
    return ceiling > 0 and failures_in_window >= ceiling and not alerted_in_window


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
