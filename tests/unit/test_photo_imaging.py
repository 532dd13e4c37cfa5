"""Pillow processing: decode checks, evidence from EXIF, clean oriented copies (files, no DB)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from api.adapters.imaging import prepare_photo
from api.domain.photos import PhotoLimits, PhotoRejected
from tests.support import images

LIMITS = PhotoLimits()
WITA = ZoneInfo("Asia/Makassar")


def prepare(tmp_path: Path, data: bytes, limits: PhotoLimits = LIMITS):  # type: ignore[no-untyped-def]
    src = tmp_path / "upload"
    src.write_bytes(data)
    return prepare_photo(src, limits, WITA, tmp_path)


def rejected(tmp_path: Path, data: bytes, limits: PhotoLimits = LIMITS) -> str:
    with pytest.raises(PhotoRejected) as exc:
        prepare(tmp_path, data, limits)
    return exc.value.code


def test_a_phone_photo_gives_evidence_and_clean_upright_copies(tmp_path: Path) -> None:
    p = prepare(tmp_path, images.photo_with_gps((2400, 1800), orientation=6))
    assert p.kind == "jpeg" and p.content_type == "image/jpeg"
    # Orientation 6: the 2400x1800 sensor frame is shown as a 1800x2400 portrait.
    assert (p.width, p.height) == (1800, 2400)
    assert p.taken_at == datetime(2025, 3, 4, 2, 11, 12, tzinfo=UTC)
    assert p.location == pytest.approx((images.GPS_LON_DEG, images.GPS_LAT_DEG))
    display = p.display_path.read_bytes()
    thumb = p.thumb_path.read_bytes()
    for data, long_side in ((display, 1600), (thumb, 320)):
        with Image.open(io.BytesIO(data)) as img:
            assert img.format == "JPEG"
            assert img.size == (long_side * 3 // 4, long_side)  # portrait: orientation applied
            assert not img.getexif()
            assert not {"exif", "xmp", "comment"} & set(img.info)
        assert b"Exif\x00\x00" not in data and b"TestCam" not in data
        assert b"taken in the field" not in data


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (images.png((640, 480)), "png"),
        (images.webp((640, 480)), "webp"),
        (images.heic((640, 480)), "heic"),
    ],
)
def test_png_webp_and_heic_are_accepted(tmp_path: Path, data: bytes, kind: str) -> None:
    p = prepare(tmp_path, data)
    assert p.kind == kind and (p.width, p.height) == (640, 480)
    with Image.open(p.display_path) as img:
        assert img.format == "JPEG" and img.size == (640, 480)


def test_transparent_png_is_laid_on_white(tmp_path: Path) -> None:
    buf = io.BytesIO()
    Image.new("RGBA", (100, 50), (255, 0, 0, 0)).save(buf, "PNG")
    p = prepare(tmp_path, buf.getvalue())
    with Image.open(p.display_path) as img:
        r, g, b = img.convert("RGB").getpixel((50, 25))  # type: ignore[misc]
        assert min(r, g, b) > 240


def test_a_50_megapixel_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    data = images.bomb_png()
    assert len(data) < 200_000
    assert rejected(tmp_path, data) == "photo_too_many_pixels"


def test_broken_and_disguised_files_are_refused(tmp_path: Path) -> None:
    good = images.jpeg()
    assert rejected(tmp_path, good[: len(good) // 2]) == "photo_corrupt"
    assert rejected(tmp_path, b"<?php system($_GET['c']); ?>") == "photo_type_unsupported"
    assert rejected(tmp_path, good + b"<?php echo 1; ?>") == "photo_trailing_data"
    # JPEG signature, garbage after it.
    assert rejected(tmp_path, b"\xff\xd8\xff\xe0" + b"\x00" * 200) == "photo_corrupt"


def test_size_is_checked_before_anything_is_read(tmp_path: Path) -> None:
    limits = PhotoLimits(max_bytes=1000)
    assert rejected(tmp_path, images.jpeg(), limits) == "photo_too_large"
