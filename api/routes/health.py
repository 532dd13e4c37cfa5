"""Liveness and readiness probes for load balancers, ``docker compose`` and the dashboard.

Readiness answers 503 (with Retry-After) only when the database does not answer: then no request
can succeed. A stalled worker, a late SLA scan or an old queue answer 200 with ``"status":
"degraded"`` and the reasons, so the API stays in rotation (intake works without the worker) while
operators, alerting and the supervisor dashboard see the problem. The body holds counts and ages
only, no personal data, so it is public like the probe itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec
from litestar import Response, get
from litestar.datastructures import State

from api.db.health import readiness_of
from api.domain.health import degraded_reasons, replica_reasons, thresholds


class Health(msgspec.Struct, omit_defaults=True):
    status: Literal["ok", "unavailable"]
    database: str | None = None
    postgis: str | None = None


class QueueHealth(msgspec.Struct):
    due_jobs: int
    oldest_due_age_s: float | None
    worker_heartbeat_age_s: float | None
    last_sla_scan_at: datetime | None
    # The thresholds these ages are held against (settings).
    worker_stall_s: float
    queue_max_age_s: float
    sla_scan_late_s: float


class ReplicaHealth(msgspec.Struct):
    """The read replica, when one is configured (docs/operations.md, "Reads off the primary")."""

    status: Literal["up", "down"]
    lag_s: float | None  # how far its data is behind, in seconds (null: down)
    max_lag_s: float  # beyond this its reads go to the primary (TANGGAP_REPLICA_MAX_LAG_SECONDS)


class Ready(msgspec.Struct):
    status: Literal["ok", "degraded"]
    database: str
    postgis: str
    # why degraded: worker_stalled, queue_backlog, sla_scan_late, replica_down, replica_lagging
    reasons: list[str]
    queue: QueueHealth
    replica: ReplicaHealth | None = None  # null: no replica configured


@get("/health/live", summary="Liveness: the process answers", tags=["health"])
async def live() -> Health:
    return Health(status="ok")


@get(
    "/health/ready",
    summary="Readiness: the database answers; the queue and the worker are reported",
    tags=["health"],
)
async def ready(state: State) -> Response[Ready | Health]:
    """200 ``ok`` or ``degraded`` (worker stalled, SLA scan late, queue too old: the reasons
    say which), 503 + Retry-After when the database does not answer."""
    try:
        found = await readiness_of(state.engine)
    except Exception:  # any failure means "not ready"; the reason is in the server log
        return Response(
            Health(status="unavailable", database="down"),
            status_code=503,
            headers={"Retry-After": "5"},
        )
    s = state.settings
    limits = thresholds(s.worker_stall_seconds, s.queue_max_age_seconds, s.sla_check_seconds)
    reasons = degraded_reasons(found.queue, limits)
    replica = None
    if state.reads.replica is not None:
        seen = await state.reads.facts()
        replica = ReplicaHealth(
            "up" if seen.up else "down", _round(seen.lag_s), float(s.replica_max_lag_seconds)
        )
        reasons += replica_reasons(seen.up, seen.lag_s, replica.max_lag_s)
    q = found.queue
    return Response(
        Ready(
            status="degraded" if reasons else "ok",
            database="up",
            postgis=found.postgis,
            reasons=[str(r) for r in reasons],
            queue=QueueHealth(
                due_jobs=q.due_jobs,
                oldest_due_age_s=_round(q.oldest_due_age_s),
                worker_heartbeat_age_s=_round(q.heartbeat_age_s),
                last_sla_scan_at=found.sla_scan_at,
                worker_stall_s=limits.worker_stall_s,
                queue_max_age_s=limits.queue_max_age_s,
                sla_scan_late_s=limits.sla_scan_late_s,
            ),
            replica=replica,
        ),
        headers={"Cache-Control": "no-store"},
    )


def _round(age: float | None) -> float | None:
    return None if age is None else round(max(age, 0.0), 1)
