"""SLA escalation: find cases that newly missed a deadline, put it on their timeline, tell people.

Run every few seconds by the worker's ``sla.escalate`` schedule, with the worker's clock. Each
stage (accept, arrive, resolve) escalates once per case: the case row is locked (``FOR UPDATE
SKIP LOCKED``) while its ``escalated_stages`` grows in the same transaction as the ``escalated``
event and its outbox rows. Two workers, or a restart halfway, never escalate a stage twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db import escalation as q
from api.db.models import Case, CaseEvent
from api.domain.sla import Deadlines, Progress, stages_to_escalate
from api.services.notify import on_case_event


async def escalate_case(db: AsyncSession, case: Case, now: datetime) -> list[str]:
    """Escalate the stages ``case`` (locked by the caller) has newly missed; returns them."""
    stages = stages_to_escalate(
        Progress(case.status, case.accepted_at, case.arrived_at, case.resolved_at),
        Deadlines(case.accept_by, case.arrive_by, case.resolve_by),
        now,
        list(case.escalated_stages or []),
    )
    for stage in stages:
        case.escalated_stages = [*(case.escalated_stages or []), stage]
        event = CaseEvent(
            case_id=case.id,
            kind="escalated",
            actor_kind="system",
            at=now,
            note="",
            data={"stage": stage},
            public=False,  # an internal alarm, not a step on the citizen's page
        )
        db.add(event)
        await db.flush()
        await on_case_event(db, case, event, previous_status=case.status)
    return stages


async def escalate_overdue(
    sessionmaker: async_sessionmaker[AsyncSession], now: datetime, *, batch: int = 100
) -> int:
    """Escalate every case that missed a deadline by ``now``; returns the number of escalations.

    Cases locked by another run are skipped: that run escalates them.
    """
    total = 0
    while True:
        async with sessionmaker() as db, db.begin():
            cases = await q.lock_newly_overdue(db, now, batch)
            done = 0
            for case in cases:
                done += len(await escalate_case(db, case, now))
        total += done
        if len(cases) < batch or done == 0:
            return total
