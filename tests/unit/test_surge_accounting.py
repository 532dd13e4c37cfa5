"""The disaster-surge benchmark's own logic (bench/surge.py): its open-loop schedule, its
percentiles, its lost-event accounting and how it chooses the next multiple ``k``."""

from __future__ import annotations

import pytest

from bench.surge import PathStats, holds, lost_events, next_k, push_delays, schedule


def test_schedule_sends_at_the_rate_evenly_whatever_the_answers() -> None:
    times = schedule(4.0, 2.0)
    assert times == [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75]


def test_schedule_starts_at_its_phase_and_stays_inside_the_step() -> None:
    times = schedule(2.0, 2.0, phase=0.5)
    assert times == [0.25, 0.75, 1.25, 1.75]
    assert len(schedule(2000 / 15, 60.0)) == 8000
    assert schedule(0.0, 60.0) == [] and schedule(5.0, 0.0) == []


def test_a_path_counts_every_answer_but_times_only_the_successful_ones() -> None:
    stats = PathStats()
    for ms in range(1, 101):
        stats.add("201", float(ms))
    stats.add("503", 9000.0)
    stats.add("timeout", 10000.0)
    stats.add("302", 101.0)
    s = stats.summary()
    assert s["requests"] == 103
    assert s["errors"] == {"503": 1, "timeout": 1}
    assert s["p50_ms"] == 51.0
    assert s["p95_ms"] == 96.0
    assert s["p99_ms"] == 100.0


def test_a_dispatcher_must_receive_every_committed_event() -> None:
    committed: dict[int, set[int | None]] = {10: {1}, 11: {2}, 12: {1}}
    got = lost_events(committed, [(None, [10, 11, 12]), (None, [9, 10, 12, 13])])
    assert got == {"listeners": 2, "expected": 6, "missing": 1, "worst": 1}


def test_an_agency_listener_is_owed_only_its_agency_and_transfers_away_from_it() -> None:
    committed: dict[int, set[int | None]] = {10: {1}, 11: {2}, 12: {2, 1}}
    assert lost_events(committed, [(1, [10, 12])])["missing"] == 0
    assert lost_events(committed, [(1, [10])]) == {
        "listeners": 1,
        "expected": 2,
        "missing": 1,
        "worst": 1,
    }
    assert lost_events(committed, [(3, [])])["expected"] == 0


def test_push_delay_runs_from_the_row_to_the_receipt_and_counts_the_undelivered() -> None:
    queued = {1: (100.0, "sent"), 2: (100.0, "sent"), 3: (101.0, "pending")}
    got = push_delays(queued, {1: 100.25, 2: 100.5, 9: 200.0})
    assert got["queued"] == 3 and got["delivered"] == 2 and got["undelivered"] == 1
    assert got["p50_ms"] == 250.0
    assert got["p95_ms"] == 500.0


def _step(p95: float, errors: dict[str, int] | None = None, lost: int = 0) -> dict:
    return {
        "paths": {"intake": {"p95_ms": p95, "errors": errors or {}}},
        "lost_writes": {"intake": lost},
        "lost_events": {"dispatchers": {"missing": 0}},
    }


@pytest.mark.parametrize(
    ("step", "held"),
    [
        (_step(120.0), True),
        (_step(500.0), False),
        (_step(float("nan")), False),
        (_step(100.0, {"503": 1}), False),
        (_step(100.0, lost=1), False),
    ],
)
def test_a_step_holds_only_under_500_ms_with_no_error_and_nothing_lost(
    step: dict, held: bool
) -> None:
    assert holds(step) is held


def test_k_climbs_the_ladder_then_bisects_between_held_and_failed_or_halves_below_1() -> None:
    assert next_k({}) == 1
    assert next_k({1: True, 2: True, 3: True}) == 5
    assert next_k({1: True, 2: True, 3: True, 5: True, 8: False}) == 6
    assert next_k({1: True, 5: True, 6: True, 8: False}) == 7
    assert next_k({1: True, 5: True, 6: True, 7: False, 8: False}) is None
    assert next_k({1: False}) == 0.5
    assert next_k({1: False, 0.5: False, 0.25: False}) is None
