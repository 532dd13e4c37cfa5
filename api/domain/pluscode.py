"""Plus Codes (Open Location Code), written from the specification
(github.com/google/open-location-code, Documentation/Specification/specification.md): encode a
point, decode a code to its area, tell valid, short and full codes apart, shorten a code near a
reference point and recover a short one near it ("XGCR+2F Kendari": the city centre is the
reference). Integer arithmetic throughout, as the specification asks: floating point gives wrong
codes at cell edges. Pure: no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

ALPHABET = "23456789CFGHJMPQRVWX"
SEPARATOR = "+"
SEPARATOR_POSITION = 8
PADDING = "0"
PAIR_LENGTH = 10  # digits encoded in lat/lon pairs; the rest on the 5x4 grid
MAX_LENGTH = 15
DEFAULT_LENGTH = 10
GRID_ROWS = 5  # latitude divisions of one grid digit
GRID_COLUMNS = 4  # longitude divisions
# The finest resolution: 1/2.5e7 degree of latitude, 1/8.192e6 of longitude (a 15-digit code).
LAT_STEPS = 8000 * GRID_ROWS ** (MAX_LENGTH - PAIR_LENGTH)  # per degree, 25_000_000
LON_STEPS = 8000 * GRID_COLUMNS ** (MAX_LENGTH - PAIR_LENGTH)  # per degree, 8_192_000
# Each pair divides a cell by 20: 20, 1, 1/20, 1/400, 1/8000 degree.
PAIR_RESOLUTIONS = (20.0, 1.0, 0.05, 0.0025, 0.000125)
# A shortened code must recover to itself: keep the reference well inside the dropped cell.
SHORTEN_SAFETY = 0.3

_VALUE = {c: i for i, c in enumerate(ALPHABET)}


class InvalidPlusCode(ValueError):
    """Not a Plus Code, or not the kind (full, short) the operation needs."""


@dataclass(frozen=True)
class CodeArea:
    """The area a code stands for: its south-west and north-east corners and its length."""

    south: float
    west: float
    north: float
    east: float
    length: int

    @property
    def lat(self) -> float:
        return (self.south + self.north) / 2

    @property
    def lon(self) -> float:
        return (self.west + self.east) / 2


def is_valid(code: str) -> bool:
    """Whether ``code`` is a Plus Code, full or short (case does not matter)."""
    code = code.upper()
    sep = code.find(SEPARATOR)
    # One separator, at an even position no later than the eighth.
    if len(code) < 2 or sep < 0 or sep != code.rfind(SEPARATOR):
        return False
    if sep > SEPARATOR_POSITION or sep % 2:
        return False
    tail = code[sep + 1 :]
    # A single digit after the separator means nothing.
    if len(tail) == 1:
        return False
    pad = code.find(PADDING)
    if pad >= 0:
        # Padding only ends a full code: an even run from an even position up to a final "+".
        run = code[pad:sep]
        if sep < SEPARATOR_POSITION or pad == 0 or pad % 2 or tail:
            return False
        if run != PADDING * len(run):
            return False
    digits = code[:pad] if pad >= 0 else code.replace(SEPARATOR, "")
    return all(ch in _VALUE for ch in digits)


def is_short(code: str) -> bool:
    """A valid code with leading digits dropped (the separator before position 8)."""
    return is_valid(code) and code.find(SEPARATOR) < SEPARATOR_POSITION


def is_full(code: str) -> bool:
    """A valid code that stands alone, and whose first two digits name a real place."""
    if not is_valid(code) or is_short(code):
        return False
    code = code.upper()
    if _VALUE[code[0]] * PAIR_RESOLUTIONS[0] >= 180:
        return False
    return len(code) < 2 or _VALUE[code[1]] * PAIR_RESOLUTIONS[0] < 360


def encode(lat: float, lon: float, length: int = DEFAULT_LENGTH) -> str:
    """The code of the cell holding (lat, lon): ``length`` digits (2, 4, 6, 8, or 10 to 15;
    longer asks are cut to 15)."""
    if length < 2 or (length < PAIR_LENGTH and length % 2):
        raise InvalidPlusCode(f"invalid code length {length}")
    length = min(length, MAX_LENGTH)
    # Shift to positive, then round to 6 decimals before flooring, as the reference library
    # does: a binary float product lands a hair below cell edges ("129.7" * steps).
    y = math.floor(round((lat + 90) * LAT_STEPS, 6))
    y = min(max(y, 0), 180 * LAT_STEPS - 1)
    x = math.floor(round((lon + 180) * LON_STEPS, 6)) % (360 * LON_STEPS)
    digits: list[str] = []
    # Reverse: the grid digits (11 to 15) first, then the pairs from the finest.
    for _ in range(MAX_LENGTH - PAIR_LENGTH):
        digits.append(ALPHABET[(y % GRID_ROWS) * GRID_COLUMNS + x % GRID_COLUMNS])
        y //= GRID_ROWS
        x //= GRID_COLUMNS
    for _ in range(PAIR_LENGTH // 2):
        digits.append(ALPHABET[x % 20])
        digits.append(ALPHABET[y % 20])
        y //= 20
        x //= 20
    code = "".join(reversed(digits))[:length]
    if length < SEPARATOR_POSITION:
        return code + PADDING * (SEPARATOR_POSITION - length) + SEPARATOR
    return code[:SEPARATOR_POSITION] + SEPARATOR + code[SEPARATOR_POSITION:]


def decode(code: str) -> CodeArea:
    """The area of a full code (digits past the 15th are ignored)."""
    if not is_full(code):
        raise InvalidPlusCode("not a full Plus Code")
    digits = code.upper().replace(SEPARATOR, "").replace(PADDING, "")[:MAX_LENGTH]
    # Integer steps from the south-west corner of the world, then the size of the last cell.
    y = x = 0
    lat_cell, lon_cell = 20 * LAT_STEPS, 20 * LON_STEPS
    for i in range(0, min(len(digits), PAIR_LENGTH), 2):
        y += _VALUE[digits[i]] * lat_cell
        x += _VALUE[digits[i + 1]] * lon_cell
        if i + 2 < min(len(digits), PAIR_LENGTH):
            lat_cell //= 20
            lon_cell //= 20
    for ch in digits[PAIR_LENGTH:]:
        lat_cell //= GRID_ROWS
        lon_cell //= GRID_COLUMNS
        y += (_VALUE[ch] // GRID_COLUMNS) * lat_cell
        x += (_VALUE[ch] % GRID_COLUMNS) * lon_cell
    south = y / LAT_STEPS - 90
    west = x / LON_STEPS - 180
    return CodeArea(
        south,
        west,
        min((y + lat_cell) / LAT_STEPS - 90, 90.0),
        (x + lon_cell) / LON_STEPS - 180,
        len(digits),
    )


def _clip_lat(lat: float) -> float:
    return min(90.0, max(-90.0, lat))


def _normal_lon(lon: float) -> float:
    while lon < -180:
        lon += 360
    while lon >= 180:
        lon -= 360
    return lon


def shorten(code: str, lat: float, lon: float) -> str:
    """``code`` with as many leading digits dropped (4, 6 or 8 with the separator) as recover
    to it near (lat, lon); the full code when none may go."""
    if not is_full(code):
        raise InvalidPlusCode("only a full code can be shortened")
    code = code.upper()
    if PADDING in code:
        raise InvalidPlusCode("a padded code cannot be shortened")
    area = decode(code)
    offset = max(abs(area.lat - _clip_lat(lat)), abs(area.lon - _normal_lon(lon)))
    for pairs in (4, 3, 2):
        if offset < PAIR_RESOLUTIONS[pairs - 1] * SHORTEN_SAFETY:
            return code[pairs * 2 :]
    return code


def recover_nearest(code: str, lat: float, lon: float) -> str:
    """The full code nearest (lat, lon) that ``code`` is the end of (a full code stays)."""
    if not is_valid(code):
        raise InvalidPlusCode("not a Plus Code")
    code = code.upper()
    if not is_short(code):
        if not is_full(code):
            raise InvalidPlusCode("not a full Plus Code")
        return code
    lat, lon = _clip_lat(lat), _normal_lon(lon)
    missing = SEPARATOR_POSITION - code.find(SEPARATOR)
    # The size of the cell the missing digits name, and the nearest such cell's prefix.
    resolution = 20.0 ** (2 - missing / 2)
    half = resolution / 2
    area = decode(encode(lat, lon)[:missing] + code)
    centre_lat, centre_lon = area.lat, area.lon
    # The cell holding the reference may not be the nearest: step one cell if that is closer.
    if lat + half < centre_lat and centre_lat - resolution >= -90:
        centre_lat -= resolution
    elif lat - half > centre_lat and centre_lat + resolution <= 90:
        centre_lat += resolution
    if lon + half < centre_lon:
        centre_lon -= resolution
    elif lon - half > centre_lon:
        centre_lon += resolution
    return encode(centre_lat, centre_lon, area.length)


def resolve(text: str, near_lat: float, near_lon: float) -> CodeArea:
    """The area of a typed code: a full one, or a short one recovered near (near_lat, near_lon),
    the city centre. Words after the code ("XGCR+2F Kendari") name that city and are skipped."""
    words = text.replace(",", " ").split(maxsplit=1)
    if not words or not is_valid(words[0]):
        raise InvalidPlusCode("not a Plus Code")
    return decode(recover_nearest(words[0], near_lat, near_lon))
