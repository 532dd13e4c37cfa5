"""Statistics rules: periods in city time, percentiles, ratios, SLA outcomes, formatting."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from api.domain.lifecycle import STATUSES, public_status
from api.domain.sla import OPEN_STATUSES
from api.domain.stats import (
    MAX_EXPORT_DAYS,
    MAX_PERIOD_DAYS,
    PUBLIC_STATUSES,
    Period,
    PeriodError,
    compliance,
    constant_offset,
    csv_safe,
    day_period,
    grid_cell,
    grid_steps,
    hour_aligned,
    month_period,
    percent,
    percentile,
    previous_period,
    range_period,
    ratio,
    resolve_period,
    sla_outcome,
    statuses_with_public,
    week_period,
)
from api.templates import minutes, month_name, number

WITA = ZoneInfo("Asia/Makassar")


def wita(*a: int) -> datetime:
    return datetime(*a, tzinfo=WITA)  # type: ignore[misc]


# ------------------------------------------------------------------- periods
def test_a_month_in_wita_starts_at_16_utc_on_the_previous_day() -> None:
    p = month_period(2025, 11, WITA)
    assert p.start == datetime(2025, 10, 31, 16, tzinfo=UTC)
    assert p.end == datetime(2025, 11, 30, 16, tzinfo=UTC)
    assert (p.first_day, p.last_day, p.days, p.label) == (
        date(2025, 11, 1),
        date(2025, 11, 30),
        30,
        "2025-11",
    )


def test_a_call_at_2330_wita_on_the_last_day_belongs_to_that_month() -> None:
    nov, dec = month_period(2025, 11, WITA), month_period(2025, 12, WITA)
    late = wita(2025, 11, 30, 23, 30)
    assert nov.start <= late < nov.end
    assert not dec.start <= late < dec.end


def test_a_call_at_0030_wita_on_the_first_belongs_to_the_next_month_though_utc_says_otherwise() -> (
    None
):
    nov, dec = month_period(2025, 11, WITA), month_period(2025, 12, WITA)
    early = wita(2025, 12, 1, 0, 30)
    assert early.astimezone(UTC).date() == date(2025, 11, 30)
    assert dec.start <= early < dec.end
    assert not nov.start <= early < nov.end


def test_december_ends_at_new_year_in_city_time() -> None:
    p = month_period(2025, 12, WITA)
    assert p.end == datetime(2025, 12, 31, 16, tzinfo=UTC)
    assert previous_period(month_period(2026, 1, WITA), WITA).label == "2025-12"


def test_weeks_are_iso_weeks_monday_to_sunday() -> None:
    w = week_period(2025, 45, WITA)
    assert (w.first_day, w.last_day, w.label) == (date(2025, 11, 3), date(2025, 11, 9), "2025-W45")
    assert previous_period(week_period(2026, 1, WITA), WITA).label == "2025-W52"


def test_previous_period_has_the_same_kind_and_length() -> None:
    assert previous_period(day_period(date(2025, 3, 1), WITA), WITA).label == "2025-02-28"
    r = range_period(date(2025, 11, 10), date(2025, 11, 19), WITA)
    prev = previous_period(r, WITA)
    assert (prev.first_day, prev.last_day) == (date(2025, 10, 31), date(2025, 11, 9))
    assert prev.end == r.start


def test_resolve_period_defaults_to_this_month_in_city_time() -> None:
    p = resolve_period(tz=WITA, today=date(2025, 11, 30))
    assert p.label == "2025-11"
    assert resolve_period(tz=WITA, today=date(2025, 11, 30), day=date(2025, 11, 3)).kind == "day"
    assert resolve_period(tz=WITA, today=date(2025, 11, 30), week="2025-W45").kind == "week"


def test_from_alone_runs_to_today_and_to_alone_starts_on_the_first_of_its_month() -> None:
    p = resolve_period(tz=WITA, today=date(2025, 11, 20), first=date(2025, 11, 5))
    assert (p.first_day, p.last_day) == (date(2025, 11, 5), date(2025, 11, 20))
    p = resolve_period(tz=WITA, today=date(2025, 11, 20), last=date(2025, 10, 12))
    assert (p.first_day, p.last_day) == (date(2025, 10, 1), date(2025, 10, 12))


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"month": "2025-13"}, "stats_month_invalid"),
        ({"month": "2025/11"}, "stats_month_invalid"),
        ({"month": "1999-12"}, "stats_month_invalid"),
        ({"week": "2025-W54"}, "stats_week_invalid"),
        ({"week": "2025-45"}, "stats_week_invalid"),
        ({"month": "2025-11", "week": "2025-W45"}, "stats_period_conflict"),
        ({"month": "2025-11", "first": date(2025, 11, 1)}, "stats_period_conflict"),
        ({"first": date(2025, 11, 2), "last": date(2025, 11, 1)}, "stats_period_order"),
        ({"first": date(2024, 1, 1), "last": date(2025, 1, 1)}, "stats_period_too_long"),
        ({"day": date(1, 1, 1)}, "stats_period_out_of_range"),
        ({"first": date(9999, 12, 31)}, "stats_period_out_of_range"),
    ],
)
def test_bad_periods_are_refused_with_a_code(kwargs: dict, code: str) -> None:
    with pytest.raises(PeriodError) as e:
        resolve_period(tz=WITA, today=date(2025, 11, 20), **kwargs)
    assert e.value.code == code


def test_statistics_cover_a_month_at_most_and_exports_a_leap_year() -> None:
    today = date(2025, 1, 1)
    p = resolve_period(tz=WITA, today=today, first=date(2024, 12, 1), last=date(2024, 12, 31))
    assert p.days == MAX_PERIOD_DAYS == 31
    with pytest.raises(PeriodError) as e:
        resolve_period(tz=WITA, today=today, first=date(2024, 12, 1), last=date(2025, 1, 1))
    assert e.value.params == {"max_days": 31}
    p = resolve_period(
        tz=WITA,
        today=today,
        first=date(2024, 1, 1),
        last=date(2024, 12, 31),
        max_days=MAX_EXPORT_DAYS,
    )
    assert p.days == MAX_EXPORT_DAYS == 366


def test_hourly_buckets_are_exact_only_on_whole_hour_zones() -> None:
    nov = month_period(2025, 11, WITA)
    assert hour_aligned(WITA, nov.start, nov.end)
    for name in ("Asia/Jakarta", "Asia/Jayapura", "UTC", "Europe/Berlin"):
        z = ZoneInfo(name)
        p = month_period(2025, 11, z)
        assert hour_aligned(z, p.start, p.end), name
    for name in ("Asia/Kolkata", "Asia/Kathmandu", "Australia/Adelaide"):
        z = ZoneInfo(name)
        p = month_period(2025, 11, z)
        assert not hour_aligned(z, p.start, p.end), name


def test_a_constant_offset_turns_local_days_into_arithmetic() -> None:
    nov = month_period(2025, 11, WITA)
    assert constant_offset(WITA, previous_period(nov, WITA).start, nov.end) == 8 * 3600
    kolkata = ZoneInfo("Asia/Kolkata")
    p = month_period(2025, 11, kolkata)
    assert constant_offset(kolkata, p.start, p.end) == 5 * 3600 + 1800
    berlin = ZoneInfo("Europe/Berlin")
    assert constant_offset(berlin, *_span(month_period(2025, 7, berlin))) == 7200
    # Summer time ends on 26 October 2025: no single offset for that month.
    assert constant_offset(berlin, *_span(month_period(2025, 10, berlin))) is None


def _span(p: Period) -> tuple[datetime, datetime]:
    return p.start, p.end


# ------------------------------------------------------------------- numbers
def test_percentile_interpolates_between_ranks_like_percentile_cont() -> None:
    xs = [60.0, 120.0, 180.0, 240.0]
    assert percentile(xs, 0.5) == 150.0
    assert percentile(xs, 0.9) == pytest.approx(222.0)
    assert percentile([5.0, 1.0, 3.0], 0.5) == 3.0
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([], 0.5) is None
    with pytest.raises(ValueError):
        percentile(xs, 1.5)


def test_valid_ratio_of_november_2025_is_79_percent() -> None:
    assert ratio(2527, 3218) == 0.7853
    assert percent(2527, 3218) == 79
    assert percent(3308, 4336) == 76  # January 2026, "valid 76%"
    assert ratio(1, 0) is None and percent(0, 0) is None


def test_percentages_round_half_up_not_to_even() -> None:
    assert percent(1, 8) == 13  # 12.5
    assert percent(5, 200) == 3  # 2.5
    assert percent(1, 3) == 33
    assert ratio(1, 8, 2) == 0.13


# ---------------------------------------------------------------------- SLA
NOW = datetime(2025, 11, 20, 12, tzinfo=UTC)
DEADLINE = NOW - timedelta(minutes=10)


@pytest.mark.parametrize(
    ("moment", "deadline", "status", "outcome"),
    [
        (DEADLINE - timedelta(minutes=1), DEADLINE, "closed", "met"),
        (DEADLINE, DEADLINE, "resolved", "met"),
        (DEADLINE + timedelta(seconds=1), DEADLINE, "closed", "missed"),
        (None, DEADLINE, "dispatched", "missed"),  # overdue now
        (None, NOW, "new", "missed"),  # the deadline is now: overdue
        (None, NOW + timedelta(minutes=5), "new", "pending"),
        (None, DEADLINE, "closed", None),  # finished without this stage
        (DEADLINE - timedelta(minutes=1), DEADLINE, "cancelled", None),  # voided
        (None, DEADLINE, "duplicate", None),
    ],
)
def test_sla_outcome_of_one_stage(
    moment: datetime | None, deadline: datetime, status: str, outcome: str | None
) -> None:
    assert sla_outcome(moment, deadline, status, NOW) == outcome


def test_compliance_counts_only_decided_stages() -> None:
    assert compliance(3, 1) == 0.75
    assert compliance(0, 0) is None


# ------------------------------------------------------------ lifecycle words
def test_the_three_public_words_partition_every_status() -> None:
    seen: list[str] = []
    for word in PUBLIC_STATUSES:
        group = statuses_with_public(word)
        assert all(public_status(s) == word for s in group)
        seen += group
    assert sorted(seen) == sorted(STATUSES)
    assert set(statuses_with_public("belum_ditindaklanjuti")) == {"new", "returned", "reopened"}
    assert set(OPEN_STATUSES) <= set(STATUSES)


# ----------------------------------------------------------------- hot spots
def test_grid_cells_are_about_square_at_kendari() -> None:
    dlon, dlat = grid_steps(500, -4.0)
    assert dlat == pytest.approx(500 / 111_320)
    assert dlon * 111_320 * 0.99756 == pytest.approx(500, rel=1e-3)
    gx, gy = grid_cell(122.5, -4.0, dlon, dlat)
    west, south = gx * dlon, gy * dlat
    assert west <= 122.5 < west + dlon and south <= -4.0 < south + dlat
    assert grid_cell(west + 0.9 * dlon, south + 0.1 * dlat, dlon, dlat) == (gx, gy)
    assert grid_cell(west + dlon, south, dlon, dlat) == (gx + 1, gy)


# ----------------------------------------------------------------- exports
def test_csv_cells_never_start_a_formula() -> None:
    assert csv_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert csv_safe("+62812") == "'+62812"
    assert csv_safe("DLHK") == "DLHK"


def test_numbers_are_written_the_indonesian_or_english_way() -> None:
    assert number(3218, "id") == "3.218"
    assert number(3218, "en") == "3,218"
    assert number(4.25, "id", 2) == "4,25"
    assert number(1234567.5, "en", 1) == "1,234,567.5"
    assert number(None, "id") == "–"
    assert minutes(12.5, "id") == "12,5 menit"
    assert minutes(150, "en") == "2.5 h"
    assert month_name(date(2025, 11, 1), "id") == "November 2025"
    assert month_name(date(2026, 1, 1), "id") == "Januari 2026"
