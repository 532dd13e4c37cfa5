"""What the worker does after each try of an SMS (api/domain/sms.py)."""

from __future__ import annotations

import pytest

from api.domain.sms import MAX_DELAY_S, SendResult, error_text, next_step, retry_delay, tracking_url


@pytest.mark.parametrize(
    ("status", "attempts", "expected"),
    [
        (200, 1, "sent"),
        (202, 6, "sent"),
        (503, 1, "retry"),
        (None, 1, "retry"),  # no answer: maybe taken, so tried again with the same key
        (408, 1, "retry"),
        (429, 1, "retry"),
        (400, 1, "failed"),
        (401, 1, "failed"),
        (404, 1, "failed"),
        (503, 3, "failed"),  # the tries are used up
        (None, 3, "failed"),
        (302, 1, "retry"),  # a redirect is not followed, nor taken as final
    ],
)
def test_next_step(status: int | None, attempts: int, expected: str) -> None:
    assert next_step(SendResult(status), attempts, max_attempts=3) == expected


def test_retries_double_and_are_capped() -> None:
    assert [retry_delay(n, 30) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert retry_delay(30, 30) == MAX_DELAY_S
    assert retry_delay(1, 0) == 1


def test_what_staff_see_of_a_failure_never_holds_the_request() -> None:
    assert error_text(SendResult(503)) == "HTTP 503"
    assert error_text(SendResult(None, "timeout")) == "timeout"
    assert error_text(SendResult(None)) == "no answer"
    assert len(error_text(SendResult(None, "x" * 500))) == 120


def test_the_tracking_url_joins_without_a_double_slash() -> None:
    assert tracking_url("https://112.example/", "/lacak/KDI-1") == "https://112.example/lacak/KDI-1"
