"""Test photos made with Pillow on the fly: no binary fixtures.

``photo_with_gps`` carries what a phone camera writes: capture time with its offset, GPS
coordinates and an orientation tag (the sensor's landscape frame shown as portrait).
"""

from __future__ import annotations

import io
import os

from PIL import ExifTags, Image

# A place in Kendari (Mandonga), as degrees/minutes/seconds the way EXIF stores them.
GPS_LAT = (3.0, 58.0, 12.0)  # S -> -3.97
GPS_LON = (122.0, 30.0, 36.0)  # E -> 122.51
GPS_LAT_DEG = -(3 + 58 / 60 + 12 / 3600)
GPS_LON_DEG = 122 + 30 / 60 + 36 / 3600


def picture(size: tuple[int, int] = (800, 600), seed: int = 0) -> Image.Image:
    """A picture with some structure (gradients, not one flat colour); ``seed`` varies it."""
    w, h = size
    img = Image.linear_gradient("L").resize((w, h))
    other = Image.linear_gradient("L").rotate(90).resize((w, h))
    blue = Image.new("L", (w, h), (seed * 37) % 256)
    return Image.merge("RGB", (img, other, blue))


def jpeg(size: tuple[int, int] = (800, 600), seed: int = 0, **save: object) -> bytes:
    buf = io.BytesIO()
    picture(size, seed).save(buf, "JPEG", quality=90, **save)
    return buf.getvalue()


def png(size: tuple[int, int] = (640, 480), seed: int = 0, **save: object) -> bytes:
    buf = io.BytesIO()
    picture(size, seed).save(buf, "PNG", **save)
    return buf.getvalue()


def webp(size: tuple[int, int] = (640, 480), seed: int = 0, **save: object) -> bytes:
    buf = io.BytesIO()
    picture(size, seed).save(buf, "WEBP", quality=80, **save)
    return buf.getvalue()


def heic(size: tuple[int, int] = (640, 480), seed: int = 0) -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    buf = io.BytesIO()
    picture(size, seed).save(buf, "HEIF", quality=70)
    return buf.getvalue()


def camera_exif(orientation: int = 6) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestCam"
    exif[ExifTags.Base.Model] = "Phone 12"
    exif[ExifTags.Base.Orientation] = orientation
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    sub[ExifTags.Base.DateTimeOriginal] = "2025:03:04 10:11:12"
    sub[ExifTags.Base.OffsetTimeOriginal] = "+08:00"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = GPS_LAT
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = GPS_LON
    return exif


def photo_with_gps(size: tuple[int, int] = (2400, 1800), orientation: int = 6) -> bytes:
    """A landscape sensor frame tagged 'rotate 90° clockwise to view', with GPS and time."""
    return jpeg(size, seed=7, exif=camera_exif(orientation), comment=b"taken in the field")


def bomb_png(width: int = 10_000, height: int = 5_000) -> bytes:
    """50 megapixels of one colour: tens of kilobytes on the wire, 50 MB+ once decoded."""
    buf = io.BytesIO()
    Image.new("1", (width, height), 0).save(buf, "PNG", optimize=True)
    return buf.getvalue()


def noise_png(min_bytes: int) -> bytes:
    """A real, valid PNG of random pixels of at least ``min_bytes`` (it cannot be compressed)."""
    side = int((min_bytes / 3) ** 0.5) + 8
    img = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buf = io.BytesIO()
    img.save(buf, "PNG", compress_level=0)
    data = buf.getvalue()
    assert len(data) >= min_bytes
    return data


def truncated(data: bytes) -> bytes:
    """The first two thirds of a file, as an interrupted upload or copy leaves it."""
    return data[: len(data) * 2 // 3]


def has_gps(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as img:
        return bool(img.getexif().get_ifd(ExifTags.IFD.GPSInfo))


def metadata_of(data: bytes) -> dict[str, object]:
    """What a reader of these bytes learns besides pixels: EXIF tags and Pillow's info keys."""
    with Image.open(io.BytesIO(data)) as img:
        exif = img.getexif()
        return {
            "exif": dict(exif),
            "gps": dict(exif.get_ifd(ExifTags.IFD.GPSInfo)),
            "info": sorted(k for k in img.info if k not in {"jfif", "jfif_version", "dpi"}),
        }
