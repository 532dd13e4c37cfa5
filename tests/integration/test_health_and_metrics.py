"""Readiness tells the truth about the queue and the worker; /metrics is guarded and labelled by
route template. (The crash drill in tests/fault/test_embedded_dev_drill.py does it for real.)"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api import worker
from api.adapters.events import libpq_dsn
from api.config import Settings
from tests.conftest import Clock, login
from tests.support.push_fixtures import TEST_OVERRIDES

FAST = {"worker_stall_seconds": 1, "sla_check_seconds": 1}


async def _ready(api: AsyncTestClient[Litestar]) -> dict[str, Any]:
    r = await api.get("/health/ready")
    assert r.status_code == 200, r.text
    return dict(r.json())


async def _until_status(api: AsyncTestClient[Litestar], status: str, timeout: float = 15) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = await _ready(api)
        if body["status"] == status:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"readiness stayed {body}")
        await asyncio.sleep(0.1)


async def test_readiness_is_degraded_while_no_worker_beats_and_ok_while_one_works(
    make_app: Callable[..., Litestar], settings: Settings, database_url: str, clock: Clock
) -> None:
    async with AsyncTestClient(app=make_app(**FAST)) as api:
        body = await _ready(api)
        # Degraded is still 200: the API stays in rotation (intake does not need the worker).
        assert body["status"] == "degraded"
        assert "worker_stalled" in body["reasons"]
        assert body["queue"]["worker_heartbeat_age_s"] is None
        assert body["queue"]["worker_stall_s"] == 1.0
        work = replace(settings, **{**TEST_OVERRIDES, **FAST})
        async with worker.running(work, database_url, clock=clock):
            body = await _until_status(api, "ok")
            assert body["reasons"] == []
            assert body["queue"]["worker_heartbeat_age_s"] <= 1.0
            # The SLA scan time is reported, and moves with every scan.
            scans: set[str | None] = set()
            deadline = time.monotonic() + 10
            while len(scans - {None}) < 2:
                assert time.monotonic() < deadline, f"the SLA scan time never moved: {scans}"
                scans.add((await _ready(api))["queue"]["last_sla_scan_at"])
                await asyncio.sleep(0.1)
        # A stopped worker removes its heartbeat: nobody works the queue any more.
        body = await _ready(api)
        assert body["status"] == "degraded" and "worker_stalled" in body["reasons"]


async def test_an_old_due_job_makes_readiness_degraded_with_its_age(
    make_app: Callable[..., Litestar], database_url: str
) -> None:
    conn = await asyncpg.connect(libpq_dsn(database_url))
    try:
        await conn.execute(
            "INSERT INTO pgqueuer (priority, status, entrypoint, payload, execute_after) "
            "VALUES (0, 'queued', 'push.deliver', '1', now() - interval '10 minutes'), "
            "(0, 'queued', 'push.deliver', '2', now() + interval '1 hour')"
        )
    finally:
        await conn.close()
    async with AsyncTestClient(app=make_app(queue_max_age_seconds=60)) as api:
        body = await _ready(api)
    assert body["status"] == "degraded"
    assert "queue_backlog" in body["reasons"]
    # The job due in an hour is not counted: only jobs whose time has come.
    assert body["queue"]["due_jobs"] == 1
    assert body["queue"]["oldest_due_age_s"] >= 600


async def test_metrics_need_the_token_off_loopback_and_label_routes_by_template(
    make_app: Callable[..., Litestar],
) -> None:
    async with AsyncTestClient(app=make_app(metrics_token="metrik-rahasia")) as api:
        headers = await login(api, "operator")
        missing = "/api/cases/8f14e45f-ceea-467e-a1b0-1c2c5a6e7d01"
        assert (await api.get(missing, headers=headers)).status_code == 404
        # The test client is not on loopback: without the token, no metrics.
        r = await api.get("/metrics")
        assert r.status_code == 403 and r.json()["code"] == "metrics_forbidden"
        r = await api.get("/metrics", headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 403
        r = await api.get("/metrics", headers={"Authorization": "Bearer metrik-rahasia"})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert 'route="/api/cases/{case_id}",status="404"' in text
    assert "8f14e45f" not in text  # no id (nor token) in any label
    assert "tanggap_http_request_duration_seconds_bucket" in text
    for series in (
        "tanggap_database_up 1.0",
        "tanggap_queue_due_jobs 0.0",
        "tanggap_queue_oldest_due_age_seconds",
        'tanggap_push_notifications_total{outcome="sent"}',
        "tanggap_sla_breaches_total",
        'tanggap_db_pool_connections{state="checked_out"}',
        "tanggap_db_pool_size",
    ):
        assert series in text, series


async def test_metrics_are_refused_without_a_token_off_loopback(
    make_app: Callable[..., Litestar],
) -> None:
    async with AsyncTestClient(app=make_app()) as api:
        r = await api.get("/metrics")
    assert r.status_code == 403
