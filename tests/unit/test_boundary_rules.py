"""An area boundary's faults in plain words: one stable code for what PostGIS found."""

from __future__ import annotations

import pytest

from api.domain.boundaries import Verdict, fault, is_polygon, where

GOOD = Verdict(valid=True, reason="Valid Geometry", in_range=True, inside_service_area=True)


def test_only_polygons_and_multipolygons_are_boundaries() -> None:
    assert is_polygon({"type": "Polygon", "coordinates": []})
    assert is_polygon({"type": "MultiPolygon", "coordinates": []})
    assert not is_polygon({"type": "Point", "coordinates": [1, 2]})
    assert not is_polygon(["Polygon"])


@pytest.mark.parametrize(
    ("verdict", "code"),
    [
        (GOOD, None),
        (None, "area_geojson_invalid"),
        (Verdict(True, "Valid Geometry", False, True), "area_geojson_invalid"),
        (Verdict(False, "Self-intersection[122.5 -4]", True, False), "area_self_intersecting"),
        (Verdict(False, "Ring Self-intersection[1 2]", True, True), "area_self_intersecting"),
        (
            Verdict(False, "Too few points in geometry component[1 2]", True, True),
            "area_geojson_invalid",
        ),
        (Verdict(True, "Valid Geometry", True, False), "area_outside_service_area"),
    ],
)
def test_each_verdict_has_one_fault(verdict: Verdict | None, code: str | None) -> None:
    assert fault(verdict) == code


def test_the_place_named_in_the_reason_is_said_as_lat_lon() -> None:
    assert where("Self-intersection[122.505 -3.995]") == "-3.99500, 122.50500"
    assert where("Valid Geometry") == ""
