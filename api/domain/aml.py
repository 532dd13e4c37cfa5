"""Advanced Mobile Location (ETSI TS 103 625): the strict readers of the two messages a handset
sends after dialling 112, and the rule that picks a call's location among its fixes.

- SMS (clause "SMS transport", version 1): ``A"ML=1;lt=…;lg=…;rd=…;top=…;lc=…;pm=…;si=…;ei=…;
  mcc=…;mnc=…;ml=…``. Every attribute once, in that order; ``ml`` is the length of the whole
  message, header included (one short is accepted: deployed handsets, and the Android ELS
  reference's own example, count that way). ``pm=N`` (no position found) leaves ``lt`` to
  ``lc`` empty or fills them with placeholders (``lt=+00.00000;…;rd=N``); they are ignored.
- HTTPS (clause "HTTPS transport"): an ``application/x-www-form-urlencoded`` POST with
  ``v``, ``device_number``, ``location_latitude``, ``location_longitude``, ``location_time``
  (milliseconds since the epoch), ``location_accuracy`` (metres), ``location_source``
  (``gps``, ``wifi``, ``cell``, ``unknown``) and optional fields. Each field at most once.

Anything else is refused with :class:`AmlMalformed` naming the offending field: a handset or
gateway that sends something we cannot read must hear so, and nothing of it is kept. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from urllib.parse import parse_qsl

from api.domain.phone import InvalidPhone, normalise_phone

Method = Literal["gnss", "wifi", "cell", "unknown"]
#: The SMS ``pm`` letters and the HTTPS ``location_source`` words, as one vocabulary.
SMS_METHODS: dict[str, Method] = {"G": "gnss", "W": "wifi", "C": "cell"}
HTTPS_METHODS: dict[str, Method] = {
    "gps": "gnss",
    "wifi": "wifi",
    "cell": "cell",
    "unknown": "unknown",
}
SMS_HEADER = 'A"ML=1'
SMS_FIELDS = ("lt", "lg", "rd", "top", "lc", "pm", "si", "ei", "mcc", "mnc", "ml")
# An SMS is at most 160 characters; a form post from a handset is a few hundred bytes.
SMS_MAX = 160
HTTPS_MAX_FIELDS = 40
# A fix from the future is a broken clock; allow the usual skew between handset and server.
FUTURE_SKEW = timedelta(minutes=5)
# A fix older than this is not the caller's location now.
MAX_FIX_AGE = timedelta(hours=1)
# Fixes within this span of a call's newest one count as recent: the most accurate of them wins.
RECENT_FIX = timedelta(seconds=60)
MAX_ACCURACY_M = 100_000.0

HTTPS_REQUIRED = (
    "v",
    "device_number",
    "location_latitude",
    "location_longitude",
    "location_time",
    "location_accuracy",
    "location_source",
)
HTTPS_OPTIONAL = frozenset(
    {
        "emergency_number",
        "source",
        "time",
        "thunderbird_version",
        "location_altitude",
        "location_altitude_msl",
        "location_floor",
        "location_vertical_accuracy",
        "location_vertical_accuracy_msl",
        "location_confidence",
        "location_certainty",
        "location_bearing",
        "location_speed",
        "device_model",
        "device_imsi",
        "device_imei",
        "device_iccid",
        "device_languages",
        "cell_carrier",
        "cell_home_mcc",
        "cell_home_mnc",
        "cell_network_mcc",
        "cell_network_mnc",
        # Test handsets' ground truth, the eCall-like crash time, and an in-body MAC some relays
        # append (read, not trusted: senders authenticate by header or client certificate).
        "gt_location_latitude",
        "gt_location_longitude",
        "adr_carcrash_time",
        "hmac",
    }
)

_LAT = re.compile(r"[+-]\d{1,2}(\.\d{1,5})?")
_LON = re.compile(r"[+-]\d{1,3}(\.\d{1,5})?")
_DECIMAL = re.compile(r"[+-]?\d{1,3}(\.\d{1,15})?")
_METRES = re.compile(r"\d{1,6}(\.\d{1,3})?")
_DIGITS = re.compile(r"\d+")
_TOP = re.compile(r"\d{14}")
_RADIUS_NONE = re.compile(r"N|\d{1,6}(\.\d{1,3})?")


class AmlMalformed(ValueError):
    """The message breaks the standard at ``field`` (``message`` for its shape as a whole)."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


@dataclass(frozen=True, slots=True)
class AmlFix:
    """One position a handset reported, as the standard defines it."""

    lat: float
    lon: float
    accuracy_m: float
    method: Method
    fixed_at: datetime
    confidence_pct: int | None
    imsi: str | None
    imei: str | None
    mcc: str | None
    mnc: str | None


@dataclass(frozen=True, slots=True)
class AmlMessage:
    """A message read: the caller's number (HTTPS only: an SMS's is its sender) and its fix,
    ``None`` when the handset found no position (``pm=N``)."""

    number: str | None
    fix: AmlFix | None


# ---------------------------------------------------------------------------- SMS
def parse_sms(text: str, now: datetime) -> AmlMessage:
    """Read an AML SMS body. Raises :class:`AmlMalformed`."""
    if not text.startswith(SMS_HEADER + ";"):
        raise AmlMalformed("header")
    if len(text) > SMS_MAX or not text.isascii():
        raise AmlMalformed("message")
    pairs = text[len(SMS_HEADER) + 1 :].split(";")
    if len(pairs) != len(SMS_FIELDS):
        raise AmlMalformed("message")
    values: dict[str, str] = {}
    for pair, name in zip(pairs, SMS_FIELDS, strict=True):
        key, eq, value = pair.partition("=")
        if key != name or not eq:
            raise AmlMalformed(name)
        values[name] = value
    if not _DIGITS.fullmatch(values["ml"]) or int(values["ml"]) not in (len(text), len(text) - 1):
        raise AmlMalformed("ml")
    imsi = _optional_digits(values["si"], "si", 6, 15)
    imei = _optional_digits(values["ei"], "ei", 14, 16)
    mcc = _digits(values["mcc"], "mcc", 3, 3)
    mnc = _digits(values["mnc"], "mnc", 2, 3)
    if values["pm"] == "N":
        _no_position(values)
        return AmlMessage(None, None)
    method = SMS_METHODS.get(values["pm"])
    if method is None:
        raise AmlMalformed("pm")
    lat = _coordinate(values["lt"], "lt", _LAT, 90.0)
    lon = _coordinate(values["lg"], "lg", _LON, 180.0)
    radius = _metres(values["rd"], "rd")
    fixed_at = _fix_time(_sms_time(values["top"]), "top", now)
    confidence = int(_digits(values["lc"], "lc", 1, 3))
    if confidence > 100:
        raise AmlMalformed("lc")
    fix = AmlFix(lat, lon, radius, method, fixed_at, confidence, imsi, imei, mcc, mnc)
    return AmlMessage(None, fix)


def _no_position(values: dict[str, str]) -> None:
    """``pm=N``: the position attributes are empty or well-shaped placeholders."""
    shapes = {"lt": _LAT, "lg": _LON, "rd": _RADIUS_NONE, "top": _TOP, "lc": _DIGITS}
    for name, shape in shapes.items():
        if values[name] and not shape.fullmatch(values[name]):
            raise AmlMalformed(name)


def _sms_time(raw: str) -> datetime:
    """``top``: YYYYMMDDhhmmss in UTC."""
    if not _DIGITS.fullmatch(raw) or len(raw) != 14:
        raise AmlMalformed("top")
    try:
        return datetime.strptime(raw, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        raise AmlMalformed("top") from None


# -------------------------------------------------------------------------- HTTPS
def parse_https(form: str, now: datetime) -> AmlMessage:
    """Read an AML HTTPS form body (already decoded as UTF-8). Raises :class:`AmlMalformed`."""
    try:
        pairs = parse_qsl(
            form,
            keep_blank_values=True,
            strict_parsing=True,
            errors="strict",
            max_num_fields=HTTPS_MAX_FIELDS,
        )
    except (ValueError, UnicodeError):
        raise AmlMalformed("message") from None
    values: dict[str, str] = {}
    for key, value in pairs:
        if key in values or (key not in HTTPS_OPTIONAL and key not in HTTPS_REQUIRED):
            raise AmlMalformed(key[:40] or "message")
        values[key] = value.strip()
    for key in HTTPS_REQUIRED:
        if not values.get(key):
            raise AmlMalformed(key)
    if not re.fullmatch(r"\d{1,2}(\.\d{1,2})?", values["v"]):
        raise AmlMalformed("v")
    try:
        number = normalise_phone(values["device_number"])
    except InvalidPhone:
        raise AmlMalformed("device_number") from None
    method = HTTPS_METHODS.get(values["location_source"].lower())
    if method is None:
        raise AmlMalformed("location_source")
    lat = _coordinate(values["location_latitude"], "location_latitude", _DECIMAL, 90.0)
    lon = _coordinate(values["location_longitude"], "location_longitude", _DECIMAL, 180.0)
    accuracy = _metres(values["location_accuracy"], "location_accuracy")
    fixed_at = _fix_time(_epoch_ms(values["location_time"], "location_time"), "location_time", now)
    fix = AmlFix(
        lat,
        lon,
        accuracy,
        method,
        fixed_at,
        _https_confidence(values),
        _optional_digits(values.get("device_imsi", ""), "device_imsi", 6, 15),
        _optional_digits(values.get("device_imei", ""), "device_imei", 14, 16),
        _optional_digits(values.get("cell_network_mcc", ""), "cell_network_mcc", 3, 3),
        _optional_digits(values.get("cell_network_mnc", ""), "cell_network_mnc", 2, 3),
    )
    return AmlMessage(number, fix)


def _epoch_ms(raw: str, field: str) -> datetime:
    if not _DIGITS.fullmatch(raw) or len(raw) > 15:
        raise AmlMalformed(field)
    try:
        return datetime.fromtimestamp(int(raw) / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        raise AmlMalformed(field) from None


def _https_confidence(values: dict[str, str]) -> int | None:
    """``location_confidence`` is a fraction (0 to 1); some handsets send
    ``location_certainty`` as a percentage instead."""
    if values.get("location_confidence"):
        raw = values["location_confidence"]
        if not re.fullmatch(r"(0(\.\d{1,6})?|1(\.0{1,6})?)", raw):
            raise AmlMalformed("location_confidence")
        return round(float(raw) * 100)
    if values.get("location_certainty"):
        pct = int(_digits(values["location_certainty"], "location_certainty", 1, 3))
        if pct > 100:
            raise AmlMalformed("location_certainty")
        return pct
    return None


# ------------------------------------------------------------------------- fields
def _digits(raw: str, field: str, shortest: int, longest: int) -> str:
    if not _DIGITS.fullmatch(raw) or not shortest <= len(raw) <= longest:
        raise AmlMalformed(field)
    return raw


def _optional_digits(raw: str, field: str, shortest: int, longest: int) -> str | None:
    return _digits(raw, field, shortest, longest) if raw else None


def _coordinate(raw: str, field: str, shape: re.Pattern[str], limit: float) -> float:
    if not shape.fullmatch(raw):
        raise AmlMalformed(field)
    value = float(raw)
    if not -limit <= value <= limit:
        raise AmlMalformed(field)
    return value


def _metres(raw: str, field: str) -> float:
    if not _METRES.fullmatch(raw):
        raise AmlMalformed(field)
    value = float(raw)
    if not math.isfinite(value) or value > MAX_ACCURACY_M:
        raise AmlMalformed(field)
    return value


def _fix_time(at: datetime, field: str, now: datetime) -> datetime:
    if at > now + FUTURE_SKEW or at < now - MAX_FIX_AGE:
        raise AmlMalformed(field)
    return at


# ----------------------------------------------------------------------- choosing
@dataclass(frozen=True, slots=True)
class FixFacts:
    """What the choice among a call's fixes looks at."""

    id: int
    accuracy_m: float
    fixed_at: datetime


def best_fix(fixes: Sequence[FixFacts], recent: timedelta = RECENT_FIX) -> FixFacts | None:
    """The call's location: among the fixes taken within ``recent`` of the newest, the most
    accurate (the newer on a tie). A newer, coarser fix beats an old precise one once the
    caller may have moved."""
    if not fixes:
        return None
    newest = max(f.fixed_at for f in fixes)
    candidates = [f for f in fixes if f.fixed_at >= newest - recent]
    return min(candidates, key=lambda f: (f.accuracy_m, -f.fixed_at.timestamp(), -f.id))


def hash_identifier(key: str, value: str | None) -> str | None:
    """A keyed hash (HMAC-SHA256) of an IMSI or IMEI: equal values stay comparable, the value
    itself is not kept."""
    if not value:
        return None
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()
