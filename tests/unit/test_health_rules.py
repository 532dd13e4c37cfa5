"""When readiness says degraded: the pure rules of api/domain/health.py."""

from __future__ import annotations

from api.domain.health import (
    Degraded,
    QueueFacts,
    degraded_reasons,
    heartbeat_interval,
    replica_reasons,
    thresholds,
)
from api.routes.metrics import metrics_allowed

LIMITS = thresholds(worker_stall_seconds=30, queue_max_age_seconds=120, sla_check_seconds=15)


def facts(**kw: object) -> QueueFacts:
    base: dict[str, object] = {
        "due_jobs": 0,
        "oldest_due_age_s": None,
        "heartbeat_age_s": 2.0,
        "sla_scan_age_s": 5.0,
    }
    return QueueFacts(**{**base, **kw})  # type: ignore[arg-type]


def test_a_beating_worker_with_an_empty_queue_is_ok() -> None:
    assert degraded_reasons(facts(), LIMITS) == []


def test_no_heartbeat_or_a_stale_one_is_a_stalled_worker() -> None:
    assert Degraded.WORKER_STALLED in degraded_reasons(facts(heartbeat_age_s=None), LIMITS)
    assert Degraded.WORKER_STALLED in degraded_reasons(facts(heartbeat_age_s=30.5), LIMITS)
    assert degraded_reasons(facts(heartbeat_age_s=30.0), LIMITS) == []


def test_a_due_job_older_than_the_threshold_is_a_backlog() -> None:
    assert degraded_reasons(facts(due_jobs=3, oldest_due_age_s=119.0), LIMITS) == []
    assert degraded_reasons(facts(due_jobs=3, oldest_due_age_s=121.0), LIMITS) == [
        Degraded.QUEUE_BACKLOG
    ]


def test_the_sla_scan_is_late_after_three_missed_periods_never_before_a_stall() -> None:
    assert LIMITS.sla_scan_late_s == 45.0
    assert thresholds(30, 120, 1).sla_scan_late_s == 30.0
    assert degraded_reasons(facts(sla_scan_age_s=46.0), LIMITS) == [Degraded.SLA_SCAN_LATE]


def test_a_worker_beats_several_times_within_the_stall_threshold() -> None:
    assert heartbeat_interval(30) == 6.0
    assert heartbeat_interval(1) == 0.2


def test_a_read_replica_down_or_behind_past_the_threshold_degrades_readiness() -> None:
    assert replica_reasons(True, 0.0, 5.0) == []
    assert replica_reasons(True, 5.0, 5.0) == []
    assert replica_reasons(True, 5.1, 5.0) == [Degraded.REPLICA_LAGGING]
    assert replica_reasons(False, None, 5.0) == [Degraded.REPLICA_DOWN]


def test_metrics_are_for_direct_local_clients_or_the_token_holder() -> None:
    assert metrics_allowed("127.0.0.1", {}, "")
    assert metrics_allowed("::1", {}, "")
    assert not metrics_allowed("10.0.0.5", {}, "")
    assert not metrics_allowed("testclient", {}, "")
    # A proxy on this host forwarding someone else's request is not a local client.
    for header in ("x-forwarded-for", "x-real-ip", "forwarded"):
        assert not metrics_allowed("127.0.0.1", {header: "203.0.113.7"}, "")
    # With a token, only its bearer, from anywhere.
    assert metrics_allowed("203.0.113.7", {"authorization": "Bearer s3cret"}, "s3cret")
    assert not metrics_allowed("127.0.0.1", {}, "s3cret")
    assert not metrics_allowed("127.0.0.1", {"authorization": "Bearer wrong"}, "s3cret")
