"""Open311 wire rules and the public abuse rules, without a database."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from api.domain.abuse import (
    Limit,
    TextRefused,
    check_text,
    limit_key,
    pin_matches,
    tracking_pin,
    verdict,
)
from api.domain.disclosure import public_description, redact_contacts
from api.domain.open311 import (
    AttributeRefused,
    Open311Refused,
    check_attributes,
    date_range,
    error_body,
    page_of,
    parse_form,
    parse_w3c,
    render,
    service_attributes,
    split_format,
    status_filter,
    w3c,
)

WITA = ZoneInfo("Asia/Makassar")
NOW = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)


def refused(exc: pytest.ExceptionInfo[Open311Refused]) -> tuple[int, str]:
    return exc.value.status, exc.value.code


# ------------------------------------------------------------------ formats
def test_resource_names_carry_their_format_and_xml_is_the_default() -> None:
    assert split_format("services.json") == ("services", "json")
    assert split_format("services.xml") == ("services", "xml")
    assert split_format("services") == ("services", "xml")
    assert split_format("KDI-251123-7F3K.JSON") == ("KDI-251123-7F3K", "json")
    with pytest.raises(Open311Refused) as exc:
        split_format("services.html")
    assert refused(exc) == (400, "open311_format_unknown")


def test_dates_are_w3c_with_the_city_offset() -> None:
    assert w3c(NOW, WITA) == "2026-11-23T12:00:00+08:00"
    assert parse_w3c("2010-01-01T00:00:00Z", "start_date", WITA) == datetime(2010, 1, 1, tzinfo=UTC)
    assert parse_w3c("2010-01-01T08:00:00+08:00", "d", WITA) == datetime(2010, 1, 1, tzinfo=UTC)
    # A date is its midnight in the city; a bare time is read in the city's zone.
    assert parse_w3c("2010-01-02", "d", WITA) == datetime(2010, 1, 1, 16, tzinfo=UTC)
    assert parse_w3c("2010-01-02T08:00", "d", WITA) == datetime(2010, 1, 2, tzinfo=UTC)
    for bad in ("yesterday", "2010-13-01", "2010-01-01 00:00:00", "1262304000"):
        with pytest.raises(Open311Refused) as exc:
            parse_w3c(bad, "start_date", WITA)
        assert refused(exc) == (400, "open311_date_invalid")


def test_the_search_window_is_ninety_days_at_most() -> None:
    start, end = date_range(None, None, NOW, WITA)
    assert end == NOW and end - start == timedelta(days=90)
    start, end = date_range("2026-01-01T00:00:00Z", None, NOW, WITA)
    assert end - start == timedelta(days=90)
    start, end = date_range(None, "2026-06-01T00:00:00Z", NOW, WITA)
    assert end - start == timedelta(days=90)
    for s, e in (
        ("2026-01-01T00:00:00Z", "2026-04-02T00:00:00Z"),  # 91 days
        ("2026-02-01T00:00:00Z", "2026-01-01T00:00:00Z"),  # end before start
    ):
        with pytest.raises(Open311Refused) as exc:
            date_range(s, e, NOW, WITA)
        assert refused(exc) == (400, "open311_date_range")


def test_status_and_paging_arguments() -> None:
    assert status_filter(None) == frozenset()
    assert status_filter("open, CLOSED") == {"open", "closed"}
    with pytest.raises(Open311Refused):
        status_filter("open,pending")
    assert page_of(None, None) == (1, 1000)
    assert page_of("3", "50") == (3, 50)
    for page, size in (("0", "10"), ("1", "0"), ("1", "1001"), ("x", "10")):
        with pytest.raises(Open311Refused) as exc:
            page_of(page, size)
        assert refused(exc) == (400, "open311_page_invalid")


def test_form_fields_and_attributes_as_the_spec_sends_them() -> None:
    body = (
        b"api_key=k&service_code=POHON_TUMBANG&lat=-3.97&long=122.5&"
        b"attribute[WHISPAWN]=123456&attribute[kind][]=a&attribute[kind][]=b&"
        b"description=Pohon+tumbang%0Adi+jalan"
    )
    fields, attributes = parse_form(body)
    assert fields["service_code"] == "POHON_TUMBANG" and fields["long"] == "122.5"
    assert fields["description"] == "Pohon tumbang\ndi jalan"
    assert attributes == {"WHISPAWN": ["123456"], "kind": ["a", "b"]}
    with pytest.raises(Open311Refused):
        parse_form(b"\xff\xfe")


QUESTIONS = [
    {
        "code": "blocks_road",
        "description": "Menutup jalan?",
        "datatype": "singlevaluelist",
        "required": True,
        "values": [{"key": "yes", "name": "Ya"}, {"key": "no", "name": "Tidak"}],
    },
    {"code": "count", "description": "Berapa pohon?", "datatype": "number"},
    {
        "code": "hazards",
        "description": "Bahaya",
        "datatype": "multivaluelist",
        "values": [{"key": "wire", "name": "Kabel"}, {"key": "car", "name": "Mobil"}],
    },
]


def test_category_answers_are_checked_by_datatype() -> None:
    ok = check_attributes(
        QUESTIONS,
        {"blocks_road": ["yes"], "count": ["2"], "hazards": ["wire", "car"], "other": ["x"]},
    )
    assert ok == {"blocks_road": "yes", "count": "2", "hazards": ["wire", "car"]}
    for given, code in (
        ({}, "attribute_required"),
        ({"blocks_road": ["maybe"]}, "attribute_invalid"),
        ({"blocks_road": ["yes"], "count": ["two"]}, "attribute_invalid"),
        ({"blocks_road": ["yes"], "hazards": ["fire"]}, "attribute_invalid"),
        ({"blocks_road": ["yes", "no"]}, "attribute_invalid"),
    ):
        with pytest.raises(AttributeRefused) as exc:
            check_attributes(QUESTIONS, given)
        assert exc.value.code == code


def test_service_definition_attributes_follow_the_spec() -> None:
    attrs = service_attributes(QUESTIONS)
    assert [a["order"] for a in attrs] == [1, 2, 3]
    first = attrs[0]
    assert list(first) == [
        "variable", "code", "datatype", "required", "datatype_description", "order",
        "description", "values",
    ]  # fmt: skip
    assert first["variable"] is True and first["required"] is True
    assert first["values"] == [{"key": "yes", "name": "Ya"}, {"key": "no", "name": "Tidak"}]


# ------------------------------------------------------------------- render
def test_one_payload_renders_as_the_spec_xml_and_its_json_twin() -> None:
    items = [{"service_code": "A", "metadata": False, "lat": -3.5, "address_id": None}]
    assert json.loads(render("json", "services", items)) == items
    xml = render("xml", "services", items)
    assert xml.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(xml)  # noqa: S314 - our own output
    assert root.tag == "services" and [c.tag for c in root] == ["service"]
    service = root[0]
    assert service.findtext("metadata") == "false" and service.findtext("lat") == "-3.5"
    assert service.find("address_id") is not None and service.findtext("address_id") == ""
    nested = {"service_code": "A", "attributes": service_attributes(QUESTIONS[:1])}
    root = ET.fromstring(render("xml", "service_definition", nested))  # noqa: S314
    values = root.findall("attributes/attribute/values/value")
    assert [v.findtext("key") for v in values] == ["yes", "no"]
    assert json.loads(render("json", "service_definition", nested))["attributes"][0]["order"] == 1
    # Text is escaped, never markup.
    root = ET.fromstring(render("xml", "errors", [{"code": 400, "description": "<b>&"}]))  # noqa: S314
    assert root.findtext("error/description") == "<b>&"


def test_errors_use_the_spec_format() -> None:
    assert json.loads(error_body("json", 403, "no key")) == [{"code": 403, "description": "no key"}]
    root = ET.fromstring(error_body("xml", 404, "gone"))  # noqa: S314
    assert root.tag == "errors" and root.findtext("error/code") == "404"


# ------------------------------------------------------------------- abuse
def test_rate_limit_counts_hits_within_the_window() -> None:
    limit = Limit("report", 3, timedelta(hours=1))
    hits = [NOW - timedelta(minutes=m) for m in (50, 30, 10)]
    assert verdict(hits[1:], limit, NOW).allowed
    refused_ = verdict(hits, limit, NOW)
    assert not refused_.allowed and refused_.retry_after_s == 10 * 60
    # Old hits do not count.
    assert verdict([NOW - timedelta(hours=2)] * 5, limit, NOW).allowed
    assert verdict([], Limit("x", 0, timedelta(minutes=1)), NOW).retry_after_s == 60


def test_counter_keys_hold_no_personal_data() -> None:
    key = limit_key("report-phone", "+6281277771234")
    assert "6281277771234" not in key and key.startswith("report-phone:")
    assert key == limit_key("report-phone", "+6281277771234")


def test_text_limits_are_precise() -> None:
    assert check_text("description", "  Pohon tumbang \x00 ") == "Pohon tumbang"
    with pytest.raises(TextRefused) as exc:
        check_text("description", "x" * 4001)
    assert (exc.value.code, exc.value.bound) == ("text_too_long", 4000)
    with pytest.raises(TextRefused) as exc:
        check_text("description", "   ab   ")
    assert exc.value.code == "text_too_short"
    assert check_text("name", "") == ""


def test_tracking_pin_is_six_digits_derived_from_the_token_hash() -> None:
    pin = tracking_pin("secret", "a" * 64)
    assert len(pin) == 6 and pin.isdigit()
    assert pin == tracking_pin("secret", "a" * 64) != tracking_pin("other", "a" * 64)
    assert pin_matches("secret", "a" * 64, f" {pin} ")
    assert not pin_matches("secret", "b" * 64, pin)


def test_public_descriptions_hide_contacts_and_call_taker_notes() -> None:
    text = "Pohon tumbang, hubungi 0812-3456-7890 / +62 812 3456 7890 / a.b@mail.co.id. RT 03"
    assert redact_contacts(text) == "Pohon tumbang, hubungi […] / […] / […]. RT 03"
    assert public_description("web", text) == redact_contacts(text)
    assert public_description("open311", "Jalan no 12 tahun 2024") == "Jalan no 12 tahun 2024"
    # What a call-taker typed stays with staff.
    assert public_description("phone", "Pak Ahmad melapor") is None
    assert public_description("walk_in", "Bu Sri datang") is None
