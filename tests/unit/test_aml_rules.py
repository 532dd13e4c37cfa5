"""The AML readers (ETSI TS 103 625) and the choice of a call's location among its fixes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.domain.aml import (
    AmlMalformed,
    FixFacts,
    best_fix,
    hash_identifier,
    parse_https,
    parse_sms,
)

# The standard's SMS example (clause on the SMS format), its length attribute made to agree.
SMS_EXAMPLE_BODY = (
    'A"ML=1;lt=+55.74317;lg=+012.41806;rd=50;top=20130717175329;lc=68;pm=W;'
    "si=234302543446355;ei=356708041746734;mcc=234;mnc=30;ml="
)


def with_length(body: str) -> str:
    """An SMS body ending in ``ml=`` completed with its true length (header and ``ml`` too)."""
    digits = len(str(len(body) + 2))
    return body + str(len(body) + digits)


SMS_EXAMPLE = with_length(SMS_EXAMPLE_BODY)
SMS_TIME = datetime(2013, 7, 17, 17, 53, 29, tzinfo=UTC)
# The Android ELS reference's two examples (a fix, and no position), verbatim: the first's ``ml``
# counts one short, as deployed handsets do.
ELS_FIX = (
    'A"ML=1;lt=+51.53321;lg=-0.12601;rd=14;top=20220131171748;lc=68;pm=W;'
    "si=234159000000000;ei=123456789012345;mcc=234;mnc=15;ml=126"
)
ELS_NO_POSITION = (
    'A"ML=1;lt=+00.00000;lg=+000.00000;rd=N;top=20220131173734;lc=0;pm=N;'
    "si=234159000000000;ei=123456789012345;mcc=234;mnc=15;ml=127"
)
# The HTTPS form post as handsets send it (urlencoded, location_time in milliseconds).
HTTPS_EXAMPLE = (
    "v=1&device_number=%2B33611223344&location_latitude=0.85732&location_longitude=-4.26325"
    "&location_time=1604912121000&location_accuracy=10.4&location_source=GPS"
    "&location_certainty=83"
)
HTTPS_TIME = datetime.fromtimestamp(1604912121, UTC)


def test_the_standards_sms_example_reads_every_attribute() -> None:
    message = parse_sms(SMS_EXAMPLE, SMS_TIME + timedelta(seconds=5))
    fix = message.fix
    assert fix is not None and message.number is None
    assert (fix.lat, fix.lon, fix.accuracy_m) == (55.74317, 12.41806, 50.0)
    assert fix.method == "wifi" and fix.confidence_pct == 68 and fix.fixed_at == SMS_TIME
    assert (fix.imsi, fix.imei, fix.mcc, fix.mnc) == (
        "234302543446355",
        "356708041746734",
        "234",
        "30",
    )


def test_an_sms_without_a_position_is_valid_and_carries_no_fix() -> None:
    text = with_length('A"ML=1;lt=;lg=;rd=;top=;lc=;pm=N;si=;ei=;mcc=510;mnc=10;ml=')
    assert parse_sms(text, SMS_TIME).fix is None
    assert parse_sms(ELS_NO_POSITION, SMS_TIME).fix is None


def test_the_android_els_example_reads_a_western_longitude() -> None:
    fix = parse_sms(ELS_FIX, datetime(2022, 1, 31, 17, 18, tzinfo=UTC)).fix
    assert fix is not None
    assert (fix.lat, fix.lon, fix.accuracy_m, fix.method) == (51.53321, -0.12601, 14.0, "wifi")


def test_the_https_example_reads_number_position_and_confidence() -> None:
    message = parse_https(HTTPS_EXAMPLE, HTTPS_TIME)
    assert message.number == "+33611223344"
    fix = message.fix
    assert fix is not None
    assert (fix.lat, fix.lon, fix.accuracy_m, fix.method) == (0.85732, -4.26325, 10.4, "gnss")
    assert fix.fixed_at == HTTPS_TIME and fix.confidence_pct == 83


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (SMS_EXAMPLE.replace('A"ML=1', 'A"ML=2'), "header"),
        (with_length(SMS_EXAMPLE_BODY.replace("lt=+55.74317", "lt=55.74317")), "lt"),  # sign
        (SMS_EXAMPLE.replace("lt=+55.74317", "lt=+95.74317"), "lt"),
        (with_length(SMS_EXAMPLE_BODY.replace("lg=+012.41806", "lg=+012.418061")), "lg"),
        (SMS_EXAMPLE.replace("top=20130717175329", "top=20131317175329"), "top"),
        (with_length(SMS_EXAMPLE_BODY.replace("lc=68", "lc=101")), "lc"),
        (SMS_EXAMPLE.replace("pm=W", "pm=X"), "pm"),
        (with_length(SMS_EXAMPLE_BODY.replace("mcc=234", "mcc=23")), "mcc"),
        (SMS_EXAMPLE[:-1] + "0", "ml"),
        (with_length(SMS_EXAMPLE_BODY.replace("rd=50;top", "top")), "message"),
        (with_length(SMS_EXAMPLE_BODY.replace("pm=W", "pm=N").replace("rd=50", "rd=far")), "rd"),
    ],
)
def test_an_sms_breaking_the_standard_names_the_field(text: str, field: str) -> None:
    with pytest.raises(AmlMalformed) as err:
        parse_sms(text, SMS_TIME)
    assert err.value.field == field


@pytest.mark.parametrize(
    ("form", "field"),
    [
        (HTTPS_EXAMPLE.replace("v=1&", ""), "v"),
        (HTTPS_EXAMPLE + "&v=1", "v"),  # twice
        (HTTPS_EXAMPLE + "&colour=red", "colour"),
        (HTTPS_EXAMPLE.replace("GPS", "radar"), "location_source"),
        (HTTPS_EXAMPLE.replace("=0.85732", "=91"), "location_latitude"),
        (HTTPS_EXAMPLE.replace("=10.4", "=-3"), "location_accuracy"),
        (HTTPS_EXAMPLE.replace("%2B33611223344", "12"), "device_number"),
        (HTTPS_EXAMPLE.replace("certainty=83", "certainty=120"), "location_certainty"),
        ("not a form", "message"),
    ],
)
def test_a_form_breaking_the_standard_names_the_field(form: str, field: str) -> None:
    with pytest.raises(AmlMalformed) as err:
        parse_https(form, HTTPS_TIME)
    assert err.value.field == field


def test_a_form_with_the_optional_fields_handsets_add_is_read() -> None:
    form = (
        HTTPS_EXAMPLE + "&emergency_number=112&source=call&location_floor=G&device_model=Pixel%207"
        "&cell_home_mcc=510&cell_network_mcc=510&cell_network_mnc=10"
        "&hmac=f64c70eb238bb239e00e8ac8c023bf2b5d3c41dd"
    )
    fix = parse_https(form, HTTPS_TIME).fix
    assert fix is not None and (fix.mcc, fix.mnc) == ("510", "10")


def test_a_fix_from_the_future_or_long_ago_is_refused() -> None:
    with pytest.raises(AmlMalformed):
        parse_https(HTTPS_EXAMPLE, HTTPS_TIME - timedelta(minutes=10))
    with pytest.raises(AmlMalformed):
        parse_sms(SMS_EXAMPLE, SMS_TIME + timedelta(hours=2))


def test_the_most_accurate_recent_fix_wins() -> None:
    t0 = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)
    coarse = FixFacts(1, 800.0, t0)
    precise = FixFacts(2, 9.0, t0 + timedelta(seconds=10))
    newer_coarser = FixFacts(3, 40.0, t0 + timedelta(seconds=30))
    assert best_fix([coarse, precise, newer_coarser]) == precise
    # Two minutes on, the caller may have moved: the old precise fix no longer counts.
    moved = FixFacts(4, 60.0, t0 + timedelta(minutes=2))
    assert best_fix([coarse, precise, newer_coarser, moved]) == moved
    assert best_fix([]) is None


def test_identifiers_are_hashed_with_a_key() -> None:
    a = hash_identifier("key-1", "234302543446355")
    assert a is not None and "234302543446355" not in a and len(a) == 64
    assert a == hash_identifier("key-1", "234302543446355")
    assert a != hash_identifier("key-2", "234302543446355")
    assert hash_identifier("key-1", None) is None
