"""Photo rules without I/O: signatures, container checks, copy sizes, EXIF, permissions, keys."""

from __future__ import annotations

import struct
import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from api.domain.photos import (
    PhotoLimits,
    PhotoRejected,
    check_container,
    etag,
    etag_matches,
    exif_datetime,
    fit_within,
    gps_point,
    may_view,
    object_key,
    photo_id_of_key,
    sniff,
    upload_source,
)
from tests.support import images

WITA = ZoneInfo("Asia/Makassar")


def rejected_code(kind: str, data: bytes) -> str | None:
    try:
        check_container(kind, data)  # type: ignore[arg-type]
    except PhotoRejected as exc:
        return exc.code
    return None


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (images.jpeg((32, 32)), "jpeg"),
        (images.png((32, 32)), "png"),
        (images.webp((32, 32)), "webp"),
        (images.heic((64, 64)), "heic"),
        (b"<?php system($_GET['c']); ?>", None),
        (b"GIF89a\x01\x00\x01\x00", None),
        (b"<html><body>hi</body></html>", None),
        (b"%PDF-1.7\n", None),
        (b"\xff\xd8", None),  # too short to be a JPEG
        (b"", None),
    ],
)
def test_sniff_recognises_photos_by_their_first_bytes_only(data: bytes, kind: str | None) -> None:
    assert sniff(data[:16]) == kind


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("jpeg", images.jpeg()),
        ("jpeg", images.photo_with_gps((400, 300))),
        ("jpeg", images.jpeg(progressive=True)),
        ("png", images.png()),
        ("webp", images.webp()),
        ("heic", images.heic()),
    ],
)
def test_plain_photos_pass_the_container_check(kind: str, data: bytes) -> None:
    assert rejected_code(kind, data) is None


def test_a_jpeg_with_a_script_after_its_end_is_refused() -> None:
    data = images.jpeg() + b"<?php system($_GET['c']); ?>"
    assert rejected_code("jpeg", data) == "photo_trailing_data"
    assert rejected_code("jpeg", images.jpeg() + b"PK\x03\x04 zip archive") == "photo_trailing_data"


def test_a_jpeg_followed_by_padding_or_more_jpegs_is_accepted() -> None:
    # Multi-Picture Format (Ultra HDR gain maps, depth maps) appends whole JPEGs.
    assert rejected_code("jpeg", images.jpeg() + b"\x00" * 32) is None
    assert rejected_code("jpeg", images.jpeg() + images.jpeg((64, 64), seed=3)) is None


def test_truncated_photos_are_corrupt() -> None:
    for kind, data in (
        ("jpeg", images.jpeg()),
        ("png", images.png()),
        ("webp", images.webp()),
        ("heic", images.heic()),
    ):
        cut = data[: len(data) * 2 // 3]
        assert rejected_code(kind, cut) == "photo_corrupt", kind


def test_markup_hidden_in_metadata_is_refused() -> None:
    assert rejected_code("jpeg", images.jpeg(comment=b"<script>alert(1)</script>")) == (
        "photo_active_content"
    )
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<?php echo 'pwned'; ?>")
    assert rejected_code("png", images.png(pnginfo=info)) == "photo_active_content"
    # An ordinary comment is fine.
    assert rejected_code("jpeg", images.jpeg(comment=b"Jl. Ahmad Yani, dekat pasar")) is None


def test_data_after_png_iend_or_beyond_the_webp_riff_size_is_refused() -> None:
    assert rejected_code("png", images.png() + b"<html>") == "photo_trailing_data"
    assert rejected_code("webp", images.webp() + b"<html>") == "photo_trailing_data"
    assert rejected_code("heic", images.heic() + b"\x00\x00") == "photo_corrupt"


def test_a_webp_whose_riff_size_lies_is_corrupt() -> None:
    data = bytearray(images.webp())
    struct.pack_into("<I", data, 4, len(data) + 100)
    assert rejected_code("webp", bytes(data)) == "photo_corrupt"


def test_limits_refuse_size_count_and_pixels() -> None:
    limits = PhotoLimits(max_bytes=10 * 1024 * 1024, max_files=8, max_pixels=40_000_000)
    limits.check_size(10 * 1024 * 1024)
    limits.check_count(8)
    limits.check_pixels(8000, 5000)
    with pytest.raises(PhotoRejected) as exc:
        limits.check_size(10 * 1024 * 1024 + 1)
    assert exc.value.code == "photo_too_large" and exc.value.params == {"max_mb": "10"}
    with pytest.raises(PhotoRejected) as exc:
        limits.check_count(9)
    assert exc.value.code == "too_many_photos"
    with pytest.raises(PhotoRejected) as exc:
        limits.check_pixels(10_000, 5_000)
    assert exc.value.code == "photo_too_many_pixels" and exc.value.params == {"max_mp": "40"}
    with pytest.raises(PhotoRejected):
        limits.check_pixels(0, 100)


def test_copies_fit_the_long_side_and_are_never_enlarged() -> None:
    assert fit_within(4000, 3000, 1600) == (1600, 1200)
    assert fit_within(3000, 4000, 1600) == (1200, 1600)
    assert fit_within(1200, 900, 1600) == (1200, 900)
    assert fit_within(10_000, 10, 320) == (320, 1)


def test_gps_from_exif_degrees_minutes_seconds() -> None:
    lon, lat = gps_point(images.GPS_LAT, "S", images.GPS_LON, "E") or (0, 0)
    assert lat == pytest.approx(images.GPS_LAT_DEG) and lon == pytest.approx(images.GPS_LON_DEG)
    assert gps_point((3.0, 58.0, 12.0), "N", (122.0, 30.0, 36.0), "W") == pytest.approx(
        (-images.GPS_LON_DEG, -images.GPS_LAT_DEG)
    )
    assert gps_point(None, "S", images.GPS_LON, "E") is None
    assert gps_point((0.0, 0.0, 0.0), "N", (0.0, 0.0, 0.0), "E") is None  # placeholder
    assert gps_point((float("nan"), 0.0, 0.0), "S", images.GPS_LON, "E") is None
    assert gps_point((95.0, 0.0, 0.0), "S", images.GPS_LON, "E") is None


def test_capture_time_uses_the_exif_offset_or_the_city_zone() -> None:
    assert exif_datetime("2025:03:04 10:11:12", "+08:00", UTC) == datetime(
        2025, 3, 4, 2, 11, 12, tzinfo=UTC
    )
    assert exif_datetime("2025:03:04 10:11:12", None, WITA) == datetime(
        2025, 3, 4, 2, 11, 12, tzinfo=UTC
    )
    assert exif_datetime("2025:03:04 10:11:12", "-05:00", WITA) == datetime(
        2025, 3, 4, 15, 11, 12, tzinfo=UTC
    )
    assert exif_datetime("0000:00:00 00:00:00", None, WITA) is None
    assert exif_datetime("yesterday", None, WITA) is None
    assert exif_datetime(None, None, WITA) is None


@pytest.mark.parametrize(
    ("role", "in_team", "source"),
    [
        ("field_officer", True, "team"),
        ("field_officer", False, None),
        ("coordinator", True, "team"),
        ("coordinator", False, "control_room"),
        ("operator", False, "control_room"),
        ("dispatcher", False, "control_room"),
        ("supervisor", False, "control_room"),
        ("admin", False, "control_room"),
        ("citizen", False, None),
    ],
)
def test_upload_source_by_role(role: str, in_team: bool, source: str | None) -> None:
    assert upload_source(role, in_team=in_team) == source


def test_originals_are_for_staff_and_copies_for_anyone_who_sees_the_case() -> None:
    for role in ("admin", "supervisor", "operator", "dispatcher", "coordinator", "field_officer"):
        assert may_view(role, "original")
    assert not may_view(None, "original")
    assert not may_view("citizen", "original")
    assert may_view(None, "thumb") and may_view(None, "display")


def test_object_keys_carry_the_photo_id() -> None:
    case_id, photo_id = uuid.uuid4(), uuid.uuid4()
    key = object_key(case_id, photo_id, "original", "jpg")
    assert key == f"photos/{case_id}/{photo_id}/original.jpg"
    assert photo_id_of_key(key) == photo_id
    assert photo_id_of_key(object_key(case_id, photo_id, "thumb", "jpg")) == photo_id
    assert photo_id_of_key("photos/junk.bin") is None
    assert photo_id_of_key(f"photos/{case_id}/not-a-uuid/original.jpg") is None
    assert photo_id_of_key(f"other/{case_id}/{photo_id}/original.jpg") is None


def test_etags_name_the_photo_and_variant() -> None:
    pid = uuid.uuid4()
    tag = etag(pid, "thumb")
    assert tag != etag(pid, "display")
    assert etag_matches(tag, tag) and etag_matches(f'"x", W/{tag}', tag) and etag_matches("*", tag)
    assert not etag_matches(None, tag) and not etag_matches('"other"', tag)
