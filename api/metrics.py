"""Prometheus metrics (``prometheus_client``): HTTP requests by route template, and at scrape time
the job queue, push outcomes, SLA breaches and the database pool.

Request series are labelled with the route *template* (``/api/cases/{case_id:uuid}``), never the
raw path, so no id or token reaches a label and the series stay few. Queue, push and SLA figures
are read from PostgreSQL when ``/metrics`` is scraped, so they include what a separate
``tanggap worker`` process did. Series and access rules: docs/operations.md.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy.ext.asyncio import AsyncEngine

from api.db.health import figures, readiness
from api.errors import answer_status

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

REGISTRY = CollectorRegistry()
REQUESTS = Counter(
    "tanggap_http_requests",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "tanggap_http_request_duration_seconds",
    "Time from the request to the last byte of the answer, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
IN_PROGRESS = Gauge(
    "tanggap_http_requests_in_progress", "HTTP requests being answered.", registry=REGISTRY
)
REPLICA_FALLBACKS = Counter(
    "tanggap_replica_fallbacks",
    "Lag-tolerant reads answered by the primary although a read replica is configured, by "
    "reason: unreachable, lagging, behind (a live event the reader has seen).",
    ["reason"],
    registry=REGISTRY,
)


def count_replica_fallback(reason: str) -> None:
    REPLICA_FALLBACKS.labels(reason).inc()


def metrics_middleware(app: ASGIApp) -> ASGIApp:
    """Count and time every routed HTTP request (unrouted 404s never reach route middleware).

    Event streams (SSE) are counted when they end, like any other request.
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        route = str(scope.get("path_template") or "unrouted")
        status = 500
        start = time.perf_counter()

        async def timed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        IN_PROGRESS.inc()
        try:
            await app(scope, receive, timed_send)
        except Exception as exc:
            # Raised past us (by the auth middleware, say): the app's handler answers it, and
            # with the status it will send (an outage during the session check is a 503).
            status = answer_status(exc)
            raise
        finally:
            IN_PROGRESS.dec()
            method = str(scope.get("method", ""))
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(time.perf_counter() - start)

    return middleware


class _Scraped:
    """The figures read for one scrape, as a collector for a throwaway registry."""

    def __init__(self, metrics: list[Metric]) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        yield from self.metrics


def _pool_metrics(engine: AsyncEngine) -> list[Metric]:
    pool: Any = engine.pool
    out = GaugeMetricFamily(
        "tanggap_db_pool_connections",
        "Connections of this process's database pool, by state.",
        labels=["state"],
    )
    states = (("checked_out", "checkedout"), ("idle", "checkedin"), ("overflow", "overflow"))
    for state, fn in states:
        if hasattr(pool, fn):
            out.add_metric([state], float(getattr(pool, fn)()))
    size = GaugeMetricFamily(
        "tanggap_db_pool_size", "Configured size of this process's database pool."
    )
    size.add_metric([], float(pool.size()) if hasattr(pool, "size") else 0.0)
    return [out, size]


async def _database_metrics(engine: AsyncEngine) -> list[Metric]:
    up = GaugeMetricFamily("tanggap_database_up", "1 when the database answered this scrape.")
    try:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            ready = await readiness(conn)
            found = await figures(conn)
    except Exception:  # the scrape still answers, saying the database did not
        up.add_metric([], 0.0)
        return [up]
    up.add_metric([], 1.0)
    jobs = GaugeMetricFamily(
        "tanggap_queue_jobs", "Jobs in the queue (PgQueuer), by status.", labels=["status"]
    )
    for status, n in sorted(found.queue_jobs.items()):
        jobs.add_metric([status], float(n))
    due = GaugeMetricFamily("tanggap_queue_due_jobs", "Queued jobs whose time has come.")
    due.add_metric([], float(ready.queue.due_jobs))
    age = GaugeMetricFamily(
        "tanggap_queue_oldest_due_age_seconds", "How long the oldest due job has waited (0: none)."
    )
    age.add_metric([], max(ready.queue.oldest_due_age_s or 0.0, 0.0))
    beat = GaugeMetricFamily(
        "tanggap_worker_heartbeat_age_seconds",
        "Since the freshest worker heartbeat (absent: no worker ever beat).",
    )
    if ready.queue.heartbeat_age_s is not None:
        beat.add_metric([], max(ready.queue.heartbeat_age_s, 0.0))
    scan = GaugeMetricFamily(
        "tanggap_sla_scan_age_seconds", "Since the last SLA escalation scan (or worker start)."
    )
    if ready.queue.sla_scan_age_s is not None:
        scan.add_metric([], max(ready.queue.sla_scan_age_s, 0.0))
    push = CounterMetricFamily(
        "tanggap_push_notifications",
        "Push notifications in the outbox, by outcome (pending, sent, gone, failed).",
        labels=["outcome"],
    )
    for outcome in ("pending", "sent", "gone", "failed"):
        push.add_metric([outcome], float(found.push.get(outcome, 0)))
    breaches = CounterMetricFamily(
        "tanggap_sla_breaches", "Missed SLA deadlines (escalated timeline events)."
    )
    breaches.add_metric([], float(found.sla_breaches))
    return [up, jobs, due, age, beat, scan, push, breaches]


async def render(engine: AsyncEngine) -> bytes:
    """The exposition text: this process's request series, then the scraped figures."""
    scraped = CollectorRegistry(auto_describe=False)
    scraped.register(_Scraped([*_pool_metrics(engine), *await _database_metrics(engine)]))
    return generate_latest(REGISTRY) + generate_latest(scraped)
