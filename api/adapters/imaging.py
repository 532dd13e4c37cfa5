"""Pillow: decode and check an uploaded photo, read its evidence, make its public copies.

Everything here runs in a small thread pool of its own (:func:`prepare`): decoding is CPU and
memory, so at most one photo per core is in memory at once, and the event loop and the default
thread pool (storage I/O) are never starved by it.
"""

from __future__ import annotations

import asyncio
import functools
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

import pillow_heif
from PIL import ExifTags, Image, ImageOps

from api.domain.photos import (
    CONTENT_TYPES,
    DISPLAY_MAX_SIDE,
    DISPLAY_QUALITY,
    SNIFF_BYTES,
    THUMB_MAX_SIDE,
    THUMB_QUALITY,
    PhotoKind,
    PhotoLimits,
    PhotoRejected,
    check_container,
    exif_datetime,
    fit_within,
    gps_point,
    sniff,
)

# HEIC (iPhones' default) through libheif, bundled in the pillow-heif wheel.
pillow_heif.register_heif_opener()

_PIL_FORMATS: dict[PhotoKind, str] = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "heic": "HEIF"}
# Orientations 5-8 turn the picture a quarter: width and height swap.
_QUARTER_TURNS = frozenset({5, 6, 7, 8})

_POOL = ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="imaging")


@dataclass(frozen=True)
class PreparedPhoto:
    """A checked photo: what it is, its evidence, and its public copies on disk."""

    kind: PhotoKind
    content_type: str
    width: int  # as displayed (orientation applied)
    height: int
    taken_at: datetime | None
    location: tuple[float, float] | None  # (lon, lat) from EXIF GPS
    display_path: Path
    thumb_path: Path


async def prepare(path: Path, limits: PhotoLimits, tz: tzinfo, workdir: Path) -> PreparedPhoto:
    """Check the photo in ``path`` and write its copies into ``workdir`` (in the imaging pool)."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(
        _POOL, functools.partial(prepare_photo, path, limits, tz, workdir)
    )


def prepare_photo(path: Path, limits: PhotoLimits, tz: tzinfo, workdir: Path) -> PreparedPhoto:
    """Validate by content (signature, container, pixel count, a full decode) and make copies.

    Raises :class:`PhotoRejected` for anything that is not a whole, supported, plain photo.
    """
    size = path.stat().st_size
    limits.check_size(size)
    data = path.read_bytes()  # one photo, at most ``max_bytes``
    kind = sniff(data[:SNIFF_BYTES])
    if kind is None:
        raise PhotoRejected("photo_type_unsupported")
    check_container(kind, data)
    del data  # decoded from the file: the raw bytes need not stay in memory beside the pixels
    try:
        with Image.open(path, formats=[_PIL_FORMATS[kind]]) as img:
            limits.check_pixels(*img.size)
            exif = img.getexif()
            orientation = int(exif.get(ExifTags.Base.Orientation, 1) or 1)
            taken_at, location = _evidence(exif, tz)
            width, height = img.size
            if orientation in _QUARTER_TURNS:
                width, height = height, width
            icc = img.info.get("icc_profile")
            if kind == "jpeg":
                # Decode straight at a reduced scale (DCT scaling): a quarter of the memory for
                # a 12 MP photo, and every byte of the entropy-coded data is still read.
                img.draft("RGB", fit_within(img.width, img.height, DISPLAY_MAX_SIDE))
            img.load()
            ImageOps.exif_transpose(img, in_place=True)  # no second copy of the pixels
            upright = img
    except PhotoRejected:
        raise
    except Image.DecompressionBombError:
        raise PhotoRejected("photo_too_many_pixels", max_mp=limits.max_megapixels) from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError) as exc:
        # Pillow reports truncated, corrupt and undecodable data with these.
        raise PhotoRejected("photo_corrupt") from exc
    flat = _flatten(upright)
    display = _copy(flat, DISPLAY_MAX_SIDE)
    thumb = _copy(display, THUMB_MAX_SIDE)
    display_path = workdir / f"{path.name}.display.jpg"
    thumb_path = workdir / f"{path.name}.thumb.jpg"
    _save_jpeg(display, display_path, DISPLAY_QUALITY, icc)
    _save_jpeg(thumb, thumb_path, THUMB_QUALITY, icc)
    return PreparedPhoto(
        kind=kind,
        content_type=CONTENT_TYPES[kind],
        width=width,
        height=height,
        taken_at=taken_at,
        location=location,
        display_path=display_path,
        thumb_path=thumb_path,
    )


def _evidence(exif: Image.Exif, tz: tzinfo) -> tuple[datetime | None, tuple[float, float] | None]:
    try:
        sub = exif.get_ifd(ExifTags.IFD.Exif)
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    except (KeyError, ValueError, TypeError, OSError):
        return None, None
    taken_at = exif_datetime(
        _text(sub.get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime)),
        _text(sub.get(ExifTags.Base.OffsetTimeOriginal)),
        tz,
    )
    location = gps_point(
        _numbers(gps.get(ExifTags.GPS.GPSLatitude)),
        _text(gps.get(ExifTags.GPS.GPSLatitudeRef)),
        _numbers(gps.get(ExifTags.GPS.GPSLongitude)),
        _text(gps.get(ExifTags.GPS.GPSLongitudeRef)),
    )
    return taken_at, location


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return value.strip("\x00 ") if isinstance(value, str) else None


def _numbers(value: Any) -> tuple[float, ...] | None:
    # EXIF rationals (IFDRational); a zero denominator reads as NaN and is refused later.
    try:
        if isinstance(value, tuple | list):
            return tuple(float(v) for v in value)
        return (float(value),) if value is not None else None
    except (TypeError, ValueError, ZeroDivisionError):
        return None


def _flatten(img: Image.Image) -> Image.Image:
    """RGB or greyscale for JPEG: transparency is laid on white, other modes converted."""
    if img.mode in {"RGB", "L"}:
        return img
    if img.mode in {"RGBA", "LA", "PA"} or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return img.convert("RGB")


def _copy(img: Image.Image, max_side: int) -> Image.Image:
    size = fit_within(img.width, img.height, max_side)
    out = img.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0) if size != img.size else img
    if out is img:
        out = img.copy()
    # Nothing of the original's metadata (EXIF, XMP, comments) may travel with a copy: Pillow
    # carries ``info`` through resize and writes the comment back out on save.
    out.info = {}
    return out


def _save_jpeg(img: Image.Image, path: Path, quality: int, icc: bytes | None) -> None:
    options: dict[str, Any] = {"quality": quality, "optimize": True, "progressive": True}
    if icc:
        # The colour profile is not personal data, and without it wide-gamut photos look wrong.
        options["icc_profile"] = icc
    img.save(path, "JPEG", **options)
