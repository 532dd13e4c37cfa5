"""Statistics rules: reporting periods in the city's time zone, percentiles, ratios, SLA outcomes.

Pure functions, no I/O. The SQL in :mod:`api.db.stats` computes the same things over millions of
rows; the tests hold both to the definitions written here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from api.domain.lifecycle import PublicStatus, public_status
from api.domain.sla import STAGES
from api.domain.vocabulary import CALL_CLASSES, OPEN, STATUSES, VOID

# The classes an operator gives a call, plus the calls nobody has classified yet.
UNCLASSIFIED = "unclassified"
CALL_CLASSES_REPORTED = (*CALL_CLASSES, UNCLASSIFIED)

PUBLIC_STATUSES: tuple[PublicStatus, ...] = ("belum_ditindaklanjuti", "dalam_proses", "selesai")
# status -> the citizen's word, from the lifecycle module (the SQL is generated from this map).
PUBLIC_STATUS_OF: dict[str, PublicStatus] = {s: public_status(s) for s in STATUSES}


def statuses_with_public(word: str) -> tuple[str, ...]:
    return tuple(s for s in STATUSES if PUBLIC_STATUS_OF[s] == word)


# Response-time metrics: the timeline event that ends each one (all start at "created").
METRICS = ("dispatch", "accept", "arrive", "resolve")
METRIC_EVENT = {
    "dispatch": "dispatched",
    "accept": "accepted",
    "arrive": "on_scene",
    "resolve": "resolved",
}

# Statistics read every case of their period (percentiles need every value): a month at most
# keeps each answer well under 200 ms at a million cases. Exports stream, so they may cover a year.
MAX_PERIOD_DAYS = 31
MAX_EXPORT_DAYS = 366
MIN_YEAR, MAX_YEAR = 2000, 2999

PeriodKind = Literal["day", "week", "month", "range"]


class PeriodError(ValueError):
    """A reporting period that cannot be understood; ``code`` is an i18n catalog code."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True, slots=True)
class Period:
    """Whole local days ``first_day``..``last_day`` in the city, as UTC instants [start, end)."""

    kind: PeriodKind
    first_day: date
    last_day: date
    start: datetime
    end: datetime
    label: str

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def day_list(self) -> list[date]:
        return [self.first_day + timedelta(days=i) for i in range(self.days)]


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant at which ``day`` begins in the city."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def _make(kind: PeriodKind, first: date, last: date, tz: ZoneInfo, label: str) -> Period:
    return Period(
        kind, first, last, local_midnight(first, tz), local_midnight(last + timedelta(1), tz), label
    )


def month_period(year: int, month: int, tz: ZoneInfo) -> Period:
    first = date(year, month, 1)
    nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return _make("month", first, nxt - timedelta(days=1), tz, f"{year:04d}-{month:02d}")


def week_period(iso_year: int, week: int, tz: ZoneInfo) -> Period:
    """An ISO week, Monday to Sunday."""
    first = date.fromisocalendar(iso_year, week, 1)
    return _make("week", first, first + timedelta(days=6), tz, f"{iso_year:04d}-W{week:02d}")


def day_period(day: date, tz: ZoneInfo) -> Period:
    return _make("day", day, day, tz, day.isoformat())


def range_period(first: date, last: date, tz: ZoneInfo) -> Period:
    return _make("range", first, last, tz, f"{first.isoformat()}..{last.isoformat()}")


def previous_period(p: Period, tz: ZoneInfo) -> Period:
    """The period just before, of the same kind: last month, last week, yesterday, or the same
    number of days immediately before a custom range."""
    if p.kind == "month":
        prev_last = p.first_day - timedelta(days=1)
        return month_period(prev_last.year, prev_last.month, tz)
    if p.kind == "week":
        iso = (p.first_day - timedelta(days=7)).isocalendar()
        return week_period(iso.year, iso.week, tz)
    if p.kind == "day":
        return day_period(p.first_day - timedelta(days=1), tz)
    return range_period(p.first_day - timedelta(days=p.days), p.first_day - timedelta(days=1), tz)


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def parse_month(text: str) -> tuple[int, int]:
    """``2025-11`` -> (2025, 11)."""
    m = _MONTH.match(text.strip())
    if not m or not 1 <= int(m.group(2)) <= 12 or not MIN_YEAR <= int(m.group(1)) <= MAX_YEAR:
        raise PeriodError("stats_month_invalid", value=text[:20])
    return int(m.group(1)), int(m.group(2))


def parse_week(text: str) -> tuple[int, int]:
    """``2025-W45`` -> (2025, 45), an ISO week."""
    m = _WEEK.match(text.strip())
    if not m or not MIN_YEAR <= int(m.group(1)) <= MAX_YEAR:
        raise PeriodError("stats_week_invalid", value=text[:20])
    year, week = int(m.group(1)), int(m.group(2))
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError:
        raise PeriodError("stats_week_invalid", value=text[:20]) from None
    return year, week


def resolve_period(
    *,
    tz: ZoneInfo,
    today: date,
    month: str | None = None,
    week: str | None = None,
    day: date | None = None,
    first: date | None = None,
    last: date | None = None,
    max_days: int = MAX_PERIOD_DAYS,
) -> Period:
    """The period a request asks for: one of month, week, day or from/to; this month if none.

    ``from`` alone runs to ``today``; ``to`` alone starts on the first of its month.
    """
    given = [x is not None for x in (month, week, day)] + [first is not None or last is not None]
    if sum(given) > 1:
        raise PeriodError("stats_period_conflict")
    for d in (day, first, last):
        if d is not None and not MIN_YEAR <= d.year <= MAX_YEAR:
            raise PeriodError("stats_period_out_of_range", first=MIN_YEAR, last=MAX_YEAR)
    if month is not None:
        return month_period(*parse_month(month), tz)
    if week is not None:
        return week_period(*parse_week(week), tz)
    if day is not None:
        return day_period(day, tz)
    if first is None and last is None:
        return month_period(today.year, today.month, tz)
    last = last or max(today, first or today)
    first = first or last.replace(day=1)
    if first > last:
        raise PeriodError("stats_period_order")
    if (last - first).days + 1 > max_days:
        raise PeriodError("stats_period_too_long", max_days=max_days)
    return range_period(first, last, tz)


def hour_aligned(tz: ZoneInfo, start: datetime, end: datetime) -> bool:
    """Whether hourly UTC buckets give exact local days and hours for [start, end).

    True for every zone whose offset is a whole number of hours (all of Indonesia's: WIB, WITA,
    WIT); elsewhere the statistics are computed from the raw rows instead.
    """
    for instant in (start, end):
        if instant.minute or instant.second or instant.microsecond:
            return False
        offset = instant.astimezone(tz).utcoffset() or timedelta(0)
        if offset.total_seconds() % 3600:
            return False
    return True


def constant_offset(tz: ZoneInfo, start: datetime, end: datetime) -> int | None:
    """The zone's UTC offset in seconds when it is the same all over [start, end) (checked at
    every local midnight and at the end), else ``None``. Then a local day or hour is plain
    arithmetic on the epoch, exactly."""
    offsets = set()
    at = start
    while at < end:
        offsets.add((at.astimezone(tz).utcoffset() or timedelta(0)).total_seconds())
        at += timedelta(days=1)
    offsets.add(
        (
            (end - timedelta(microseconds=1)).astimezone(tz).utcoffset() or timedelta(0)
        ).total_seconds()
    )
    return int(offsets.pop()) if len(offsets) == 1 else None


# ------------------------------------------------------------------ numbers
def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile with linear interpolation between ranks (PostgreSQL's
    ``percentile_cont``); ``None`` for no values."""
    if not 0 <= q <= 1:
        raise ValueError("q must be between 0 and 1")
    if not values:
        return None
    xs = sorted(values)
    pos = q * (len(xs) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


# Exact percentiles of many values without sorting them all (api/db/stats_quantiles.py): a
# random sample gives bounds that hold the quantile, one pass counts the values below the lower
# bound and keeps those between, and the quantile is picked from those few. Exact whenever the
# ranks it needs fall between the bounds; when they do not, the caller sorts everything.

#: Half the bounds' width in standard errors of the sample's quantile: a miss is a 6-sigma event.
BRACKET_SIGMAS = 6.0
#: Below this many sampled values the bounds are open: every value is kept (they are few).
MIN_SAMPLE = 200


def quantile_bracket(sample: Sequence[float], q: float) -> tuple[float, float]:
    """Bounds ``(lo, hi)`` that hold the ``q`` quantile of the population a sorted, uniformly
    drawn ``sample`` comes from, with near certainty; infinite where a side is open."""
    m = len(sample)
    if m < MIN_SAMPLE:
        return -math.inf, math.inf
    d = BRACKET_SIGMAS * math.sqrt(q * (1 - q) / m) + 2 / m
    lo = -math.inf if q - d <= 0 else sample[math.floor((q - d) * (m - 1))]
    hi = math.inf if q + d >= 1 else sample[math.ceil((q + d) * (m - 1))]
    return lo, hi


class OutsideBracket(LookupError):
    """The ranks a quantile needs are not among the values kept between the bounds."""


def quantile_from_bracket(n: int, below: int, between: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile of ``n`` values, as :func:`percentile` (PostgreSQL's
    ``percentile_cont``) computes it, from the ``below`` values under the lower bound and the
    sorted values ``between`` the bounds; ``None`` for no values. Raises
    :class:`OutsideBracket` when a rank it needs lies outside the bounds."""
    if n == 0:
        return None
    pos = q * (n - 1)
    lo, hi = math.floor(pos), math.ceil(pos)  # the ranks percentile_cont reads
    if lo < below or hi >= below + len(between):
        raise OutsideBracket(q)
    x, y = between[lo - below], between[hi - below]
    return x + (y - x) * (pos - lo)


# The dashboards' percentiles over a large period are estimated from the sample (one case in
# SAMPLE_SHARE, api/db/models/stats.py) where it holds enough of a figure's durations; the
# monthly report, which the city publishes, is always exact.

#: A figure is estimated only from at least this many sampled durations (8,192 cases): the
#: sample's median then sits within 3.1 % of the cases' ranks of the true one (one standard
#: error), its 90th percentile within 1.9 %. Fewer, and the figure is computed exactly.
MIN_ESTIMATE_SAMPLE = 256


def estimable(sampled: int) -> bool:
    """Whether a percentile may be estimated from this many sampled durations."""
    return sampled >= MIN_ESTIMATE_SAMPLE


def round_half_up(x: float | Decimal, digits: int = 0) -> Decimal:
    quantum = Decimal(1).scaleb(-digits)
    return Decimal(str(x)).quantize(quantum, rounding=ROUND_HALF_UP)


def ratio(part: int, whole: int, digits: int = 4) -> float | None:
    """``part / whole`` rounded half up (2527 / 3218 -> 0.7853); ``None`` when ``whole`` is 0."""
    if whole <= 0:
        return None
    return float(round_half_up(Decimal(part) / Decimal(whole), digits))


def percent(part: int, whole: int) -> int | None:
    """A whole percentage as the city publishes it (2527 of 3218 -> 79)."""
    if whole <= 0:
        return None
    return int(round_half_up(Decimal(100 * part) / Decimal(whole)))


def seconds(value: float | None) -> float | None:
    """A duration in seconds rounded to 0.1 s for JSON."""
    return None if value is None else float(round_half_up(value, 1))


# ---------------------------------------------------------------------- SLA
SlaOutcome = Literal["met", "missed", "pending"]
SLA_STAGES = STAGES


@dataclass(frozen=True, slots=True)
class SlaTally:
    """Cases by :func:`sla_outcome` on one SLA stage, or on several added up (``+``)."""

    met: int = 0
    missed: int = 0
    pending: int = 0

    def __add__(self, other: SlaTally) -> SlaTally:
        return SlaTally(
            self.met + other.met, self.missed + other.missed, self.pending + other.pending
        )

    @property
    def decided(self) -> int:
        """Stages met or missed (pending ones are not decided yet)."""
        return self.met + self.missed


def sla_outcome(
    moment: datetime | None, deadline: datetime, status: str, now: datetime
) -> SlaOutcome | None:
    """How one case did on one SLA stage.

    ``met``: reached by the deadline. ``missed``: reached late, or still open and the deadline
    has passed (the case is overdue). ``pending``: still open, deadline ahead. ``None``: the
    stage does not count (voided cases, or a case finished without passing through the stage).
    Same rules as :func:`api.domain.sla.met` and :func:`api.domain.sla.overdue_stages`.
    """
    if status in VOID:
        return None
    if moment is not None:
        return "met" if moment <= deadline else "missed"
    if status not in OPEN:
        return None
    return "missed" if now >= deadline else "pending"


def compliance(met: int, missed: int) -> float | None:
    """Share of decided stages that met their target (pending stages are not decided yet)."""
    return ratio(met, met + missed)


# ------------------------------------------------------------------ hot spots
METRES_PER_DEGREE = 111_320.0


def grid_steps(cell_m: float, latitude: float) -> tuple[float, float]:
    """Degrees of longitude and latitude that make a square cell of ``cell_m`` metres."""
    dlat = cell_m / METRES_PER_DEGREE
    dlon = cell_m / (METRES_PER_DEGREE * max(math.cos(math.radians(latitude)), 0.01))
    return dlon, dlat


def grid_cell(lon: float, lat: float, dlon: float, dlat: float) -> tuple[int, int]:
    return math.floor(lon / dlon), math.floor(lat / dlat)


# ------------------------------------------------------------------- exports
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(text: str) -> str:
    """Text a spreadsheet will not run as a formula (CSV injection)."""
    return "'" + text if text.startswith(_FORMULA_START) else text
