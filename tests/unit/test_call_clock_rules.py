"""The call-answer clock's pure rule: PBX events in any order, any number of times, give the
same clock (api/domain/call_clock.py)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from functools import reduce

from api.domain.call_clock import Clock, apply_event, clock_times

T0 = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
EVENTS = [
    ("call.ringing", T0),
    ("call.answered", T0 + timedelta(seconds=12)),
    ("call.transferred", T0 + timedelta(seconds=40)),
    ("call.ended", T0 + timedelta(seconds=100)),
    ("call.wrapup_ended", T0 + timedelta(seconds=160)),
    ("call.location", T0 + timedelta(seconds=5)),
]
EXPECTED = Clock(
    T0,
    T0 + timedelta(seconds=12),
    T0 + timedelta(seconds=40),
    T0 + timedelta(seconds=100),
    T0 + timedelta(seconds=160),
)


def run(events: list[tuple[str, datetime]]) -> Clock:
    first = events[0][1]
    return reduce(lambda c, e: apply_event(c, e[0], e[1]), events, Clock(first))


def test_any_order_and_any_repeats_give_the_same_clock() -> None:
    rng = random.Random(112)
    for _ in range(200):
        events = EVENTS + rng.choices(EVENTS, k=rng.randrange(6))
        rng.shuffle(events)
        assert run(events) == EXPECTED


def test_a_later_report_of_a_moment_never_moves_it() -> None:
    late = [*EVENTS, ("call.answered", T0 + timedelta(seconds=30))]
    assert run(late).answered_at == T0 + timedelta(seconds=12)
    # An earlier report wins, and ringing is never after any moment.
    early = [*EVENTS, ("call.answered", T0 - timedelta(seconds=3))]
    clock = run(early)
    assert clock.answered_at == clock.started_at == T0 - timedelta(seconds=3)


def test_an_abandoned_call_ends_without_an_answer() -> None:
    clock = run([("call.abandoned", T0 + timedelta(seconds=25)), ("call.started", T0)])
    assert clock == Clock(T0, None, None, T0 + timedelta(seconds=25), None)


def test_the_spans_of_a_call_as_the_statistics_count_them() -> None:
    assert clock_times(EXPECTED) == (12.0, 60.0 + 28.0, 60.0)
    ringing = Clock(T0)
    assert clock_times(ringing) == (None, None, None)
    # Abandoned: no answer, so neither talk nor wrap-up; a wrap-up before the end counts 0 s.
    assert clock_times(Clock(T0, None, None, T0, T0)) == (None, None, None)
    early = Clock(T0, T0, None, T0 + timedelta(seconds=9), T0 + timedelta(seconds=4))
    assert clock_times(early) == (0.0, 9.0, 0.0)
