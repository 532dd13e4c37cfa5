"""Exact percentiles from a sample's bounds (api.domain.stats): the same float as sorting all."""

from __future__ import annotations

import math
import random
from bisect import bisect_left, bisect_right

import pytest

from api.domain.stats import (
    MIN_SAMPLE,
    OutsideBracket,
    percentile,
    quantile_bracket,
    quantile_from_bracket,
)


def _bounded(values: list[float], sample: list[float], q: float) -> tuple[float | None, int]:
    """What the database path does: count under the lower bound, keep what lies between.
    Returns the percentile and how many values it kept."""
    lo, hi = quantile_bracket(sorted(sample), q)
    below = sum(1 for v in values if v < lo)
    kept = sorted(v for v in values if lo <= v <= hi)
    return quantile_from_bracket(len(values), below, kept, q), len(kept)


DISTRIBUTIONS = {
    # Response times: long right tails, whole seconds with many ties, sub-second floats.
    "lognormal": lambda r: r.lognormvariate(6, 1.2),
    "whole seconds": lambda r: float(int(r.expovariate(1 / 900))),
    "few values": lambda r: float(r.choice([60, 120, 120, 300, 300, 300, 900])),
    "uniform": lambda r: r.uniform(0, 86_400),
}


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
@pytest.mark.parametrize("n", [1, 2, 7, 199, 5_000, 40_000])
def test_the_bounded_percentile_is_exactly_the_sorted_one(name: str, n: int) -> None:
    rng = random.Random(f"{name}/{n}")
    values = [DISTRIBUTIONS[name](rng) for _ in range(n)]
    # One value in 32, as the sample index holds them.
    sample = [v for v in values if rng.random() < 1 / 32]
    for q in (0.5, 0.9):
        got, kept = _bounded(values, sample, q)
        assert got == percentile(values, q), q
        if n == 40_000 and name != "few values":  # bounded: a few percent of the values kept
            assert kept < n // 5, (q, kept)


def test_a_small_sample_leaves_the_bounds_open() -> None:
    assert quantile_bracket([1.0] * (MIN_SAMPLE - 1), 0.5) == (-math.inf, math.inf)
    lo, hi = quantile_bracket([float(i) for i in range(10_000)], 0.5)
    # About 6 standard errors of the median either side: a few percent of the values.
    assert 4_600 < lo < 5_000 < hi < 5_400


def test_no_values_have_no_percentile() -> None:
    assert quantile_from_bracket(0, 0, [], 0.5) is None


def test_a_rank_outside_the_bounds_is_refused_not_guessed() -> None:
    values = sorted(float(i) for i in range(1_000))
    # Bounds around 700-800 cannot give the median (ranks 499 and 500).
    kept = values[bisect_left(values, 700.0) : bisect_right(values, 800.0)]
    with pytest.raises(OutsideBracket):
        quantile_from_bracket(1_000, 700, kept, 0.5)
    # The 90th percentile (ranks 899 and 900) is above them too.
    with pytest.raises(OutsideBracket):
        quantile_from_bracket(1_000, 700, kept, 0.9)
    # Bounds holding rank 899 but not 900: interpolation needs both.
    with pytest.raises(OutsideBracket):
        quantile_from_bracket(1_000, 800, values[800:900], 0.9)
    assert quantile_from_bracket(1_000, 800, values[800:901], 0.9) == percentile(values, 0.9)
