"""Human-friendly case references: ``KDI-251123-7F3K`` (city, local date, 4 random characters).

Crockford's base32 alphabet has no I, L, O or U, so a reference read over the phone is not
mistaken for another.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PATTERN = re.compile(r"^[A-Z]{2,5}-\d{6}-[0-9A-HJKMNP-TV-Z]{4,6}$")


def new_reference(city_code: str, created_at: datetime, tz: ZoneInfo, length: int = 4) -> str:
    local = created_at.astimezone(tz)
    tail = "".join(secrets.choice(ALPHABET) for _ in range(length))
    return f"{city_code}-{local:%y%m%d}-{tail}"


def normalise_reference(raw: str) -> str:
    """Upper-case, trimmed, and the look-alike letters read as their digits."""
    s = raw.strip().upper()
    head, sep, tail = s.rpartition("-")
    tail = tail.replace("O", "0").replace("I", "1").replace("L", "1")
    return f"{head}{sep}{tail}"


def looks_like_reference(raw: str) -> bool:
    return bool(PATTERN.match(normalise_reference(raw)))
