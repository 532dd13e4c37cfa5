"""Fixtures and helpers for push, live-event and escalation tests (import them explicitly).

``app`` is overridden so the API accepts the local push service's ``http://`` endpoints on
127.0.0.1, allowed explicitly (``push_allowed_hosts``): the default accepts public push services
only.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest_asyncio
from litestar import Litestar
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.adapters.keys import vapid_keys
from api.config import Settings
from api.db.models import Case, CaseEvent, CaseReporter, PushSubscription, Team, User
from api.security import token_digest
from api.services.notify import on_case_event
from tests.support.push_service import PushService

# Fast enough for tests: a killed worker's jobs come back after 2 s; SLA checks every second.
TEST_OVERRIDES: dict[str, Any] = {
    "push_allow_http": True,
    "push_allowed_hosts": ("127.0.0.1",),
    "worker_heartbeat_seconds": 2,
    "worker_concurrency": 8,
    "sla_check_seconds": 1,
}


@pytest_asyncio.fixture
async def push_settings(settings: Settings) -> Settings:
    return replace(settings, **TEST_OVERRIDES)


@pytest_asyncio.fixture
async def app(make_app: Callable[..., Litestar]) -> Litestar:
    return make_app(**TEST_OVERRIDES)


@pytest_asyncio.fixture
async def push(push_settings: Settings) -> AsyncIterator[PushService]:
    async with PushService(vapid_keys(push_settings).public_key) as service:
        yield service


async def add_device(
    db: AsyncSession,
    push: PushService,
    *,
    user: User | None = None,
    reporter: CaseReporter | None = None,
    language: str = "id",
    label: str = "",
) -> PushSubscription:
    info = push.subscribe(label or (user.username if user else "citizen"))
    sub = PushSubscription(
        user_id=user.id if user else None,
        reporter_id=reporter.id if reporter else None,
        endpoint=info["endpoint"],
        p256dh=info["keys"]["p256dh"],
        auth=info["keys"]["auth"],
        language=language,
    )
    db.add(sub)
    await db.flush()
    return sub


async def add_reporter(db: AsyncSession, case: Case, token: str, language: str = "id") -> Any:
    r = CaseReporter(
        case_id=case.id,
        original_case_id=case.id,
        channel="web",
        tracking_token_hash=token_digest(token),
        language=language,
        created_at=case.created_at,
    )
    db.add(r)
    await db.flush()
    return r


async def record_event(
    db: AsyncSession,
    case: Case,
    kind: str,
    *,
    to_status: str | None = None,
    data: dict[str, Any] | None = None,
    team: Team | None = None,
) -> CaseEvent:
    """What the case service does: change the case, append the event, call the notifier."""
    previous = case.status
    if to_status is not None:
        case.status = to_status
    if team is not None:
        case.team_id = team.id
    event = CaseEvent(
        case_id=case.id,
        kind=kind,
        from_status=previous if to_status else None,
        to_status=to_status,
        actor_kind="user",
        at=case.updated_at,
        note="",
        data=data or {},
    )
    db.add(event)
    await db.flush()
    await on_case_event(db, case, event, previous_status=previous)
    return event


async def count(db: AsyncSession, model: Any, *where: Any) -> int:
    return int((await db.execute(select(func.count()).select_from(model).where(*where))).scalar())


async def eventually(
    check: Callable[[], Awaitable[bool]], timeout: float = 20.0, what: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def subprocess_env(settings: Settings, database_url: str, **extra: str) -> dict[str, str]:
    """The environment for a ``tanggap`` subprocess sharing this test's database and keys."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANGGAP_")}
    env.update(
        {
            "TANGGAP_DATABASE_URL": database_url,
            "TANGGAP_DATA_DIR": str(settings.data_dir),
            "TANGGAP_JWT_SECRET": settings.jwt_secret,
            "TANGGAP_LOG_LEVEL": "WARNING",
            "TANGGAP_PWA_DIST": str(settings.pwa_dist),
            "TANGGAP_PUSH_ALLOW_HTTP": "1",
            "TANGGAP_PUSH_ALLOWED_HOSTS": "127.0.0.1",
            "TANGGAP_WORKER_HEARTBEAT_SECONDS": str(TEST_OVERRIDES["worker_heartbeat_seconds"]),
            "TANGGAP_WORKER_CONCURRENCY": "4",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "api.cli", "worker"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parents[2],
        )


def stop_worker(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM (a clean shutdown), then SIGKILL if it takes longer than 15 s."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def new_token() -> str:
    return uuid.uuid4().hex
