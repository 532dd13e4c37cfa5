"""SLA escalation: once per missed deadline, at the deadline, with whoever must be told."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api import worker
from api.config import Settings
from api.db.models import Case, CaseEvent, Notification
from api.db.session import make_engine, make_sessionmaker
from api.services.escalation import escalate_overdue
from tests.conftest import Clock
from tests.factories import agency_by_code, make_case, make_category, make_team
from tests.factories import user_by_name as user_named
from tests.support import push_fixtures
from tests.support.push_fixtures import (
    add_device,
    count,
)
from tests.support.push_service import PushService

# Fixtures from tests/support/push_fixtures.py (the local push service, push-friendly app).
push = push_fixtures.push
push_settings = push_fixtures.push_settings


async def _p1_case(db: AsyncSession, clock: Clock, **kw: object) -> Case:
    dlhk = await agency_by_code(db, "DLHK")
    category = await make_category(
        db, agency_id=dlhk.id, priority="P1", sla_accept_min=5, sla_arrive_min=20
    )
    return await make_case(db, category=category, created_at=clock(), **kw)  # type: ignore[arg-type]


async def test_unaccepted_p1_case_escalates_once_at_its_deadline(
    db: AsyncSession, database_url: str, clock: Clock, push: PushService
) -> None:
    putra = await user_named(db, "petugas.dlhk")
    coordinator = await user_named(db, "koordinator.dlhk")
    dispatcher = await user_named(db, "dispatcher")
    team = await make_team(db, members=[putra], agency_id=putra.agency_id)
    for user in (putra, coordinator, dispatcher):
        await add_device(db, push, user=user)
    expected = {putra.id, coordinator.id, dispatcher.id}
    start = clock()
    case = await _p1_case(db, clock, status="dispatched", team=team)
    case_id = case.id
    await db.commit()
    engine = make_engine(database_url, 4, 0)
    sessions = make_sessionmaker(engine)
    try:
        assert await escalate_overdue(sessions, start + timedelta(minutes=5, seconds=-1)) == 0
        assert await escalate_overdue(sessions, start + timedelta(minutes=5)) == 1
        assert await escalate_overdue(sessions, start + timedelta(minutes=5, seconds=30)) == 0
        # Later, the arrive deadline passes too: one more escalation, for that stage only.
        assert await escalate_overdue(sessions, start + timedelta(minutes=20)) == 1
        assert await escalate_overdue(sessions, start + timedelta(minutes=21)) == 0
    finally:
        await engine.dispose()
    db.expire_all()
    events = (
        (await db.execute(select(CaseEvent).where(CaseEvent.case_id == case_id))).scalars().all()
    )
    assert [(e.kind, e.data, e.actor_kind) for e in events] == [
        ("escalated", {"stage": "accept"}, "system"),
        ("escalated", {"stage": "arrive"}, "system"),
    ]
    assert events[0].at == start + timedelta(minutes=5) and not events[0].public
    refreshed = await db.get(Case, case_id)
    assert refreshed is not None and refreshed.escalated_stages == ["accept", "arrive"]
    # The team, the agency's coordinator and the dispatcher: one row each per escalation.
    rows = (await db.execute(select(Notification))).scalars().all()
    assert len(rows) == 6
    assert {r.user_id for r in rows} == expected
    assert {r.kind for r in rows} == {"sla_breach"} and {r.urgency for r in rows} == {"high"}


async def test_accepted_or_finished_cases_do_not_escalate(db: AsyncSession, database_url: str,
                                                          clock: Clock) -> None:  # fmt: skip
    await _p1_case(db, clock, status="accepted", accepted_at=clock())
    await _p1_case(db, clock, status="cancelled")
    await db.commit()
    engine = make_engine(database_url, 2, 0)
    try:
        later = clock() + timedelta(minutes=6)
        assert await escalate_overdue(make_sessionmaker(engine), later) == 0
    finally:
        await engine.dispose()


async def test_two_concurrent_escalation_runs_escalate_each_case_once(
    db: AsyncSession, database_url: str, clock: Clock
) -> None:
    for _ in range(12):
        await _p1_case(db, clock)
    await db.commit()
    engine = make_engine(database_url, 6, 0)
    sessions = make_sessionmaker(engine)
    deadline = clock() + timedelta(minutes=5)
    try:
        runs = await asyncio.gather(
            escalate_overdue(sessions, deadline, batch=3),
            escalate_overdue(sessions, deadline, batch=3),
            escalate_overdue(sessions, deadline, batch=3),
        )
    finally:
        await engine.dispose()
    assert sum(runs) == 12
    assert await count(db, CaseEvent, CaseEvent.kind == "escalated") == 12


async def test_the_worker_escalates_on_its_schedule_and_pushes(
    db: AsyncSession,
    database_url: str,
    clock: Clock,
    push: PushService,
    push_settings: Settings,
) -> None:
    dispatcher = await user_named(db, "dispatcher")
    await add_device(db, push, user=dispatcher, language="en")
    await _p1_case(db, clock)
    await db.commit()
    clock.advance(minutes=5)
    async with worker.running(push_settings, database_url, clock=clock):
        await push.wait_for(lambda: len(push.received) == 1, what="the SLA push")
    message = push.received[0].payload
    assert message["title"] == "Acceptance deadline missed" and message["kind"] == "sla_breach"
    assert push.received[0].urgency == "high"
