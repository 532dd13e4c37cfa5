"""Escalation SQL: the open cases that missed a deadline not yet escalated, locked for the run
that escalates them (:mod:`api.services.escalation`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, any_, literal, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Case
from api.domain.vocabulary import OPEN


def newly_overdue(now: datetime) -> ColumnElement[bool]:
    """Open, and past a stage's deadline without its moment, the stage not escalated yet."""

    def stage(deadline: Any, moment: Any, name: str) -> ColumnElement[bool]:
        return and_(
            deadline <= now, moment.is_(None), not_(literal(name) == any_(Case.escalated_stages))
        )

    return and_(
        Case.status.in_(OPEN),
        or_(
            stage(Case.accept_by, Case.accepted_at, "accept"),
            stage(Case.arrive_by, Case.arrived_at, "arrive"),
            stage(Case.resolve_by, Case.resolved_at, "resolve"),
        ),
    )


async def lock_newly_overdue(db: AsyncSession, now: datetime, limit: int) -> Sequence[Case]:
    """Up to ``limit`` such cases, locked until the transaction ends (``FOR UPDATE``); cases
    another run holds are skipped (``SKIP LOCKED``): that run escalates them."""
    result = await db.execute(
        select(Case)
        .where(newly_overdue(now))
        .order_by(Case.accept_by)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return result.scalars().all()
