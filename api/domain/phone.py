"""Phone numbers, normalised to E.164 (+62...) with Indonesia as the default region."""

from __future__ import annotations

import phonenumbers


class InvalidPhone(ValueError):
    """Not a possible phone number."""


def normalise_phone(raw: str, region: str = "ID") -> str:
    """``0812-3456-7890`` → ``+6281234567890``. Raises :class:`InvalidPhone`."""
    cleaned = raw.strip()
    if not cleaned or len(cleaned) > 32:
        raise InvalidPhone(raw)
    try:
        number = phonenumbers.parse(cleaned, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(raw) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
