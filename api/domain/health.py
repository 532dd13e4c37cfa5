"""When readiness says "degraded": pure rules over what the database reports about the queue.

The API stays in rotation while degraded (readiness answers 200): the case intake does not need
the worker, and pulling every API process out of a load balancer because push delivery or the SLA
scan is late would turn a slow notification into a dead emergency line. The status and reasons
are for operators, the supervisor dashboard and alerting (docs/operations.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Degraded(StrEnum):
    WORKER_STALLED = "worker_stalled"  # no worker heartbeat within the stall threshold
    QUEUE_BACKLOG = "queue_backlog"  # the oldest due job has waited past the threshold
    SLA_SCAN_LATE = "sla_scan_late"  # no SLA escalation scan within the threshold
    # The read replica (when one is configured): its reads are answered by the primary meanwhile.
    REPLICA_DOWN = "replica_down"  # the replica does not answer
    REPLICA_LAGGING = "replica_lagging"  # it replays further behind than the threshold


@dataclass(frozen=True, slots=True)
class QueueFacts:
    """Ages in seconds, measured on the database clock; ``None`` when there is nothing to age."""

    due_jobs: int
    oldest_due_age_s: float | None
    heartbeat_age_s: float | None  # the freshest worker heartbeat; None: no worker ever beat
    sla_scan_age_s: float | None  # since the last scan (or the worker's start if none yet)


@dataclass(frozen=True, slots=True)
class Thresholds:
    worker_stall_s: float
    queue_max_age_s: float
    sla_scan_late_s: float


def thresholds(
    worker_stall_seconds: int, queue_max_age_seconds: int, sla_check_seconds: int
) -> Thresholds:
    """An SLA scan is late after three missed periods, and never before a worker would count
    as stalled (a scan cannot run without a worker)."""
    return Thresholds(
        worker_stall_s=float(worker_stall_seconds),
        queue_max_age_s=float(queue_max_age_seconds),
        sla_scan_late_s=float(max(3 * sla_check_seconds, worker_stall_seconds)),
    )


def heartbeat_interval(worker_stall_seconds: int) -> float:
    """How often a worker beats: several beats fit in the stall threshold, so one slow write
    does not make readiness flap."""
    return max(0.1, worker_stall_seconds / 5)


def degraded_reasons(facts: QueueFacts, limits: Thresholds) -> list[Degraded]:
    out: list[Degraded] = []
    if facts.heartbeat_age_s is None or facts.heartbeat_age_s > limits.worker_stall_s:
        out.append(Degraded.WORKER_STALLED)
    if facts.oldest_due_age_s is not None and facts.oldest_due_age_s > limits.queue_max_age_s:
        out.append(Degraded.QUEUE_BACKLOG)
    if facts.sla_scan_age_s is None or facts.sla_scan_age_s > limits.sla_scan_late_s:
        out.append(Degraded.SLA_SCAN_LATE)
    return out


def replica_reasons(up: bool, lag_s: float | None, max_lag_s: float) -> list[Degraded]:
    """A replica that is down or too far behind degrades readiness without failing it: its
    reads go to the primary, which answers them all (more slowly under load)."""
    if not up:
        return [Degraded.REPLICA_DOWN]
    if lag_s is not None and lag_s > max_lag_s:
        return [Degraded.REPLICA_LAGGING]
    return []
