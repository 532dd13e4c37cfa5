"""Plus Codes against every test vector of the Open Location Code library (tests/data/)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.domain import pluscode

DATA = Path(__file__).parent.parent / "data" / "open-location-code"


def rows(name: str) -> list[list[str]]:
    with (DATA / name).open(encoding="utf-8") as f:
        return [r for r in csv.reader(f) if r and not r[0].startswith("#")]


ENCODING = rows("encoding.csv")
DECODING = rows("decoding.csv")
SHORT = rows("shortCodeTests.csv")
VALIDITY = rows("validityTests.csv")


def test_every_vector_file_is_read() -> None:
    assert (len(ENCODING), len(DECODING), len(SHORT), len(VALIDITY)) == (103, 20, 14, 23)


@pytest.mark.parametrize("code,valid,short,full", VALIDITY)
def test_validity_matches_the_library(code: str, valid: str, short: str, full: str) -> None:
    assert pluscode.is_valid(code) is (valid == "true")
    assert pluscode.is_short(code) is (short == "true")
    assert pluscode.is_full(code) is (full == "true")


@pytest.mark.parametrize("lat,lon,length,code", ENCODING)
def test_encoding_matches_the_library(lat: str, lon: str, length: str, code: str) -> None:
    assert pluscode.encode(float(lat), float(lon), int(length)) == code


@pytest.mark.parametrize("lat,lon,length,code", ENCODING)
def test_an_encoded_point_decodes_to_an_area_holding_it(
    lat: str, lon: str, length: str, code: str
) -> None:
    area = pluscode.decode(code)
    # Latitude is clipped and longitude normalised before encoding.
    y = min(max(float(lat), -90), 90)
    x = (float(lon) + 180) % 360 - 180
    assert area.south - 1e-9 <= y <= area.north + 1e-9
    assert area.west - 1e-9 <= x <= area.east + 1e-9
    # ... and the area's centre encodes back to the same code.
    assert pluscode.encode(area.lat, area.lon, area.length) == code


@pytest.mark.parametrize("code,length,south,west,north,east", DECODING)
def test_decoding_matches_the_library(
    code: str, length: str, south: str, west: str, north: str, east: str
) -> None:
    area = pluscode.decode(code)
    assert area.length == int(length)
    got = (area.south, area.west, area.north, area.east)
    assert got == pytest.approx(tuple(map(float, (south, west, north, east))), abs=1e-10)


@pytest.mark.parametrize("full,lat,lon,short,kind", SHORT)
def test_shorten_and_recover_match_the_library(
    full: str, lat: str, lon: str, short: str, kind: str
) -> None:
    if kind in "SB":
        assert pluscode.shorten(full, float(lat), float(lon)) == short
    if kind in "RB":
        assert pluscode.recover_nearest(short, float(lat), float(lon)) == full


def test_a_short_code_is_read_near_the_city_centre() -> None:
    kendari = (-4.015, 122.55)
    full = pluscode.encode(-3.9800625, 122.5203125)
    assert full == "6Q842G9C+X4"
    short = pluscode.shorten(full, *kendari)
    assert short == "2G9C+X4"
    area = pluscode.resolve(f"{short.lower()} Kendari", *kendari)
    assert (area.lat, area.lon) == pytest.approx((-3.9800625, 122.5203125))
    assert pluscode.resolve(full, 0, 0) == pluscode.decode(full)


@pytest.mark.parametrize(
    "text", ["", "Kendari", "-3.97, 122.5", "ZZZZ+ZZ", "6Q842G9C+X", "G+", "6Q84+2", "F2222222+22"]
)
def test_something_not_a_plus_code_is_refused(text: str) -> None:
    with pytest.raises(pluscode.InvalidPlusCode):
        pluscode.resolve(text, -4.0, 122.5)


def test_a_padded_or_short_code_cannot_be_shortened() -> None:
    with pytest.raises(pluscode.InvalidPlusCode):
        pluscode.shorten("7FG49Q00+", 20.37, 2.77)
    with pytest.raises(pluscode.InvalidPlusCode):
        pluscode.shorten("9QCJ+2VX", 51.37, -1.21)


# Code-like text: the alphabet, padding, separators, and letters that change under upper().
CODE_LIKE = st.lists(st.sampled_from(list("23456789CFGHJMPQRVWX0+ ,abcxß\ufb00\x00")), max_size=16)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=30), CODE_LIKE.map("".join)))
def test_any_typed_text_is_a_place_or_refused_never_a_crash(text: str) -> None:
    try:
        area = pluscode.resolve(text, -4.015, 122.55)
    except pluscode.InvalidPlusCode:
        return
    assert area.south <= area.lat <= area.north and area.west <= area.lon <= area.east


@settings(max_examples=300, deadline=None)
@given(st.floats(-4.13, -3.90), st.floats(122.40, 122.70))
def test_a_code_near_the_city_shortens_and_reads_back_to_itself(lat: float, lon: float) -> None:
    full = pluscode.encode(lat, lon)
    area = pluscode.resolve(pluscode.shorten(full, -4.015, 122.55), -4.015, 122.55)
    assert pluscode.encode(area.lat, area.lon) == full
