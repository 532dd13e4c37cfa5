"""Photo evidence rules: what a photo may be, who may add or see it, how it is copied and named.

Pure and I/O-free: the imaging adapter, the storage adapter and the photo service call these.
A photo is judged by its bytes, never by its name or the type the client claims: the first bytes
must be a known image signature, the container must end where the image ends (nothing appended,
nothing hidden in its metadata that a browser or a server could run), and only then is it decoded.
"""

from __future__ import annotations

import math
import re
import struct
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any, Literal

from api.domain.vocabulary import CITYWIDE_ROLES, STAFF_ROLES

PhotoKind = Literal["jpeg", "png", "webp", "heic"]
Variant = Literal["thumb", "display", "original"]
Source = Literal["team", "control_room", "citizen"]

VARIANTS: tuple[Variant, ...] = ("thumb", "display", "original")
CONTENT_TYPES: dict[PhotoKind, str] = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "heic": "image/heic",
}
EXTENSIONS: dict[PhotoKind, str] = {"jpeg": "jpg", "png": "png", "webp": "webp", "heic": "heic"}

# Public copies: the long side at most this many pixels (never enlarged), JPEG, no metadata.
DISPLAY_MAX_SIDE = 1600
THUMB_MAX_SIDE = 320
DISPLAY_QUALITY = 82
THUMB_QUALITY = 75
COPY_CONTENT_TYPE = "image/jpeg"
COPY_EXTENSION = "jpg"

# Bytes needed to recognise every supported signature.
SNIFF_BYTES = 16
KEY_PREFIX = "photos/"


class PhotoRejected(Exception):
    """A photo (or an upload) that breaks a rule. ``code`` is the stable error code."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params: dict[str, Any] = params
        super().__init__(code)


@dataclass(frozen=True)
class PhotoLimits:
    max_bytes: int = 10 * 1024 * 1024
    max_files: int = 8
    max_pixels: int = 40_000_000

    @property
    def max_mb(self) -> str:
        return f"{self.max_bytes / (1024 * 1024):g}"

    @property
    def max_megapixels(self) -> str:
        return f"{self.max_pixels / 1_000_000:g}"

    def check_count(self, files: int) -> None:
        if files > self.max_files:
            raise PhotoRejected("too_many_photos", max_files=self.max_files)

    def check_size(self, size: int) -> None:
        if size > self.max_bytes:
            raise PhotoRejected("photo_too_large", max_mb=self.max_mb)

    def check_pixels(self, width: int, height: int) -> None:
        # Checked from the header, before any pixel is decoded: a decompression bomb is a few
        # kilobytes on the wire and gigabytes in memory.
        if width <= 0 or height <= 0:
            raise PhotoRejected("photo_corrupt")
        if width * height > self.max_pixels:
            raise PhotoRejected("photo_too_many_pixels", max_mp=self.max_megapixels)


# ------------------------------------------------------------------ sniffing
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})


def sniff(head: bytes) -> PhotoKind | None:
    """The image kind the first bytes announce, or ``None`` for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in _HEIC_BRANDS:
        return "heic"
    return None


# ------------------------------------------------------- container structure
# Markup or script that has no business in a photo's metadata: what turns an image into a
# polyglot a browser or a misconfigured server would run. Five bytes or more, so random binary
# metadata (an EXIF thumbnail) practically never matches by chance.
_ACTIVE_CONTENT = re.compile(
    rb"<\?php|<script|<html|<!doctype|<iframe|<body|<object|<embed|javascript:",
    re.IGNORECASE,
)


def check_container(kind: PhotoKind, data: bytes) -> None:
    """Refuse truncated files, data after the image's end and active content in metadata."""
    if kind == "jpeg":
        metadata = _jpeg_with_trailer(data)
    elif kind == "png":
        metadata = _png(data)
    elif kind == "webp":
        metadata = _webp(data)
    else:
        metadata = _isobmff(data)
    for blob in metadata:
        if _ACTIVE_CONTENT.search(blob):
            raise PhotoRejected("photo_active_content")


def _jpeg_with_trailer(data: bytes) -> list[bytes]:
    end, metadata = _jpeg(data, 0)
    n = len(data)
    # After the primary image: nothing, padding, or more JPEGs (Multi-Picture Format: the gain
    # map of an Ultra HDR photo, depth maps). Anything else (a script, an archive) is refused.
    pos = end
    while pos < n:
        if data[pos] in (0x00, 0xFF) and data[pos : pos + 2] != b"\xff\xd8":
            pos += 1
            continue
        if data[pos : pos + 2] == b"\xff\xd8":
            pos, more = _jpeg(data, pos)
            metadata.extend(more)
            continue
        raise PhotoRejected("photo_trailing_data")
    return metadata


def _jpeg(data: bytes, start: int) -> tuple[int, list[bytes]]:
    """Walk one JPEG's markers from SOI to EOI; return the offset after EOI and its metadata."""
    n = len(data)
    if data[start : start + 2] != b"\xff\xd8":
        raise PhotoRejected("photo_corrupt")
    i = start + 2
    metadata: list[bytes] = []
    while True:
        if i >= n:
            raise PhotoRejected("photo_corrupt")  # truncated: no EOI
        if data[i] != 0xFF:
            raise PhotoRejected("photo_corrupt")
        while i < n and data[i] == 0xFF:  # fill bytes before a marker
            i += 1
        if i >= n:
            raise PhotoRejected("photo_corrupt")
        marker = data[i]
        i += 1
        if marker == 0xD9:  # EOI
            return i, metadata
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # RSTn, TEM: no length
            continue
        if i + 2 > n:
            raise PhotoRejected("photo_corrupt")
        (length,) = struct.unpack_from(">H", data, i)
        if length < 2 or i + length > n:
            raise PhotoRejected("photo_corrupt")
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:  # APPn (EXIF, XMP, ICC), COM
            metadata.append(data[i + 2 : i + length])
        i += length
        if marker == 0xDA:  # SOS: entropy-coded data runs to the next real marker
            i = _skip_entropy_coded(data, i)


def _skip_entropy_coded(data: bytes, i: int) -> int:
    n = len(data)
    while True:
        j = data.find(b"\xff", i)
        if j < 0 or j + 1 >= n:
            raise PhotoRejected("photo_corrupt")
        following = data[j + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:  # stuffed byte, restart marker
            i = j + 2
        elif following == 0xFF:  # fill
            i = j + 1
        else:
            return j


_PNG_IMAGE_CHUNKS = frozenset({b"IHDR", b"PLTE", b"IDAT", b"IEND", b"fdAT", b"fcTL", b"acTL"})


def _png(data: bytes) -> list[bytes]:
    n = len(data)
    i = 8
    metadata: list[bytes] = []
    while True:
        if i + 8 > n:
            raise PhotoRejected("photo_corrupt")
        length, ctype = struct.unpack_from(">I4s", data, i)
        end = i + 8 + length + 4  # header, data, CRC
        if length > 0x7FFFFFFF or end > n:
            raise PhotoRejected("photo_corrupt")
        if ctype not in _PNG_IMAGE_CHUNKS:
            metadata.append(data[i + 8 : i + 8 + length])
        i = end
        if ctype == b"IEND":
            if i != n:
                raise PhotoRejected("photo_trailing_data")
            return metadata


_WEBP_IMAGE_CHUNKS = frozenset({b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF"})


# A box header read at offset i of a container ending at ``total``: (type, payload start,
# payload end, next box).
BoxHeader = Callable[[bytes, int, int], tuple[bytes, int, int, int]]


def _boxes(
    data: bytes, i: int, total: int, header: BoxHeader, image: frozenset[bytes]
) -> list[bytes]:
    """The metadata payloads of a container whose boxes must tile ``data[i:total]`` exactly:
    every box that is not image data is metadata."""
    metadata: list[bytes] = []
    while i < total:
        if i + 8 > total:
            raise PhotoRejected("photo_corrupt")
        kind, start, end, following = header(data, i, total)
        if following > total:
            raise PhotoRejected("photo_corrupt")
        if kind not in image:
            metadata.append(data[start:end])
        i = following
    return metadata


def _riff_chunk(data: bytes, i: int, total: int) -> tuple[bytes, int, int, int]:
    fourcc, size = struct.unpack_from("<4sI", data, i)
    return fourcc, i + 8, i + 8 + size, i + 8 + size + (size & 1)  # padded to an even length


def _webp(data: bytes) -> list[bytes]:
    n = len(data)
    if n < 12:
        raise PhotoRejected("photo_corrupt")
    (riff_size,) = struct.unpack_from("<I", data, 4)
    total = 8 + riff_size
    if total > n:
        raise PhotoRejected("photo_corrupt")
    if total < n:
        raise PhotoRejected("photo_trailing_data")
    return _boxes(data, 12, total, _riff_chunk, _WEBP_IMAGE_CHUNKS)


def _heif_box(data: bytes, i: int, total: int) -> tuple[bytes, int, int, int]:
    size, btype = struct.unpack_from(">I4s", data, i)
    header = 8
    if size == 1:
        if i + 16 > total:
            raise PhotoRejected("photo_corrupt")
        (size,) = struct.unpack_from(">Q", data, i + 8)
        header = 16
    elif size == 0:  # the last box runs to the end of the file
        size = total - i
    if size < header:
        raise PhotoRejected("photo_corrupt")
    return btype, i + header, i + size, i + size


def _isobmff(data: bytes) -> list[bytes]:
    """HEIF boxes: they must tile the file exactly. Media data (mdat) is not metadata."""
    return _boxes(data, 0, len(data), _heif_box, frozenset({b"mdat"}))


# ---------------------------------------------------------------- copies
def fit_within(width: int, height: int, max_side: int) -> tuple[int, int]:
    """The size of a copy whose long side is at most ``max_side`` (never enlarged)."""
    long_side = max(width, height)
    if long_side <= max_side:
        return width, height
    scale = max_side / long_side
    return max(1, round(width * scale)), max(1, round(height * scale))


# ------------------------------------------------------------------ EXIF
def gps_degrees(dms: tuple[float, ...] | float | None, ref: str | None) -> float | None:
    """Degrees from EXIF degrees/minutes/seconds and a hemisphere (N/S/E/W)."""
    if dms is None:
        return None
    try:
        parts = [float(x) for x in dms] if isinstance(dms, tuple | list) else [float(dms)]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not parts or len(parts) > 3 or any(math.isnan(p) or math.isinf(p) for p in parts):
        return None
    parts += [0.0] * (3 - len(parts))
    value = parts[0] + parts[1] / 60 + parts[2] / 3600
    if (ref or "").strip().upper()[:1] in {"S", "W"}:
        value = -value
    return value


def gps_point(
    lat: tuple[float, ...] | None,
    lat_ref: str | None,
    lon: tuple[float, ...] | None,
    lon_ref: str | None,
) -> tuple[float, float] | None:
    """(lon, lat) from EXIF GPS, or ``None`` when missing, impossible or the 0,0 placeholder."""
    la = gps_degrees(lat, lat_ref)
    lo = gps_degrees(lon, lon_ref)
    if la is None or lo is None:
        return None
    if not (-90 <= la <= 90 and -180 <= lo <= 180) or (la == 0 and lo == 0):
        return None
    return lo, la


_EXIF_DT = re.compile(r"^\s*(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET = re.compile(r"^\s*([+-])(\d{2}):?(\d{2})\s*$")


def exif_datetime(value: str | None, offset: str | None, default_tz: tzinfo) -> datetime | None:
    """Capture time in UTC from EXIF ``DateTimeOriginal`` and ``OffsetTimeOriginal``.

    EXIF times are the camera's wall clock; without an offset they are taken as the city's.
    """
    if not value:
        return None
    m = _EXIF_DT.match(value)
    if not m:
        return None
    try:
        year, month, day, hour, minute, second = (int(g) for g in m.groups())
        naive = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None  # "0000:00:00 00:00:00" and other placeholders
    zone: tzinfo = default_tz
    om = _OFFSET.match(offset or "")
    if om:
        sign = -1 if om.group(1) == "-" else 1
        delta = timedelta(hours=int(om.group(2)), minutes=int(om.group(3)))
        if delta <= timedelta(hours=14):
            zone = timezone(sign * delta)
    return naive.replace(tzinfo=zone).astimezone(UTC)


# ------------------------------------------------------------- permissions
def upload_source(role: str, *, in_team: bool) -> Source | None:
    """Where a photo comes from when this user adds it to a case they can see, or ``None``
    when they may not add photos to it.

    Field officers add photos only to the cases of their own team; the agency coordinator's
    photos count as the team's when they are in it.
    """
    if role == "field_officer":
        return "team" if in_team else None
    if role == "coordinator":
        return "team" if in_team else "control_room"
    if role in CITYWIDE_ROLES:  # the control room sees and may add photos to every case
        return "control_room"
    return None


def may_view(role: str | None, variant: Variant) -> bool:
    """Whether someone who may see the case may see this copy of its photos.

    The public copies (thumb, display) go to anyone who may see the case; the original, with
    its EXIF, only to the control room and the owning agency's coordinators and field officers
    (scoping to the owning agency is the caller's case-visibility check): any staff role.
    """
    if variant == "original":
        return role in STAFF_ROLES
    return True


# --------------------------------------------------------------- object keys
def object_key(case_id: uuid.UUID, photo_id: uuid.UUID, variant: Variant, extension: str) -> str:
    """Where a copy lives in object storage. The photo id in the key lets a sweep find orphans."""
    name = "original" if variant == "original" else variant
    return f"{KEY_PREFIX}{case_id}/{photo_id}/{name}.{extension}"


def photo_id_of_key(key: str) -> uuid.UUID | None:
    """The photo id an object key belongs to, or ``None`` for a key this module did not make."""
    parts = key.split("/")
    if len(parts) != 4 or parts[0] + "/" != KEY_PREFIX:
        return None
    try:
        return uuid.UUID(parts[2])
    except ValueError:
        return None


def etag(photo_id: uuid.UUID, variant: Variant) -> str:
    # Objects are written once and never changed, so the id and variant name the bytes.
    return f'"{photo_id.hex}-{variant}"'


def etag_matches(if_none_match: str | None, tag: str) -> bool:
    if not if_none_match:
        return False
    candidates = [c.strip() for c in if_none_match.split(",")]
    return "*" in candidates or any(c.removeprefix("W/") == tag for c in candidates)
