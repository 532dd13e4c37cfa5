"""Reading a case's point as the ORM holds it (for the live message, without a re-read)."""

from __future__ import annotations

import struct

from geoalchemy2 import WKBElement

from api.db.intake import lon_lat


def test_a_new_cases_ewkt_point_gives_its_longitude_and_latitude() -> None:
    assert lon_lat("SRID=4326;POINT(122.508 -3.966)") == (122.508, -3.966)


def test_a_loaded_cases_ewkb_point_gives_its_longitude_and_latitude() -> None:
    ewkb = struct.pack("<BIIdd", 1, 0x20000001, 4326, 122.508, -3.966)
    assert lon_lat(WKBElement(ewkb, srid=4326, extended=True)) == (122.508, -3.966)
    assert lon_lat(WKBElement(ewkb.hex(), srid=4326, extended=True)) == (122.508, -3.966)


def test_anything_else_is_not_read_as_a_point() -> None:
    big_endian = struct.pack(">BIdd", 0, 1, 122.508, -3.966)
    assert lon_lat(WKBElement(big_endian)) is None
    assert lon_lat(None) is None
