"""SQL for the call log: recent calls, a number's calls and reported cases, prank calls, and the
PBX's own call ids and replay keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Call, Case, CaseReporter, User


async def recent_calls(
    db: AsyncSession, limit: int, *, number: str | None = None, call_class: str | None = None
) -> list[Call]:
    """Newest first; one number's, or one class's, when given."""
    q = select(Call).order_by(Call.started_at.desc()).limit(limit)
    if number:
        q = q.where(Call.number == number)
    if call_class:
        q = q.where(Call.call_class == call_class)
    return list((await db.execute(q)).scalars())


async def cases_reported_by(db: AsyncSession, number: str, limit: int) -> list[Case]:
    """The cases this number reported (first reports, merged ones included), newest first."""
    q = (
        select(Case)
        .join(CaseReporter, CaseReporter.original_case_id == Case.id)
        .where(CaseReporter.phone == number)
        .order_by(Case.created_at.desc())
        .limit(limit)
    )
    return list((await db.execute(q)).scalars().unique())


async def prank_times(db: AsyncSession, number: str) -> list[datetime]:
    """When this number's prank calls started, oldest first."""
    q = (
        select(Call.started_at)
        .where(Call.number == number, Call.call_class == "prank")
        .order_by(Call.started_at)
    )
    return list((await db.execute(q)).scalars())


@dataclass(frozen=True, slots=True)
class PrankRun:
    number: str
    times: list[datetime]


async def prank_runs_since(db: AsyncSession, since: datetime) -> list[PrankRun]:
    """Each number's prank calls started since ``since``."""
    q = (
        select(Call.number, func.array_agg(Call.started_at).label("times"))
        .where(Call.call_class == "prank", Call.number.is_not(None), Call.started_at >= since)
        .group_by(Call.number)
    )
    return [PrankRun(row.number, list(row.times)) for row in await db.execute(q)]


async def call_by_pbx_id(db: AsyncSession, pbx_call_id: str) -> Call | None:
    """The call the PBX knows by this id, locked for the event that changes it."""
    q = select(Call).where(Call.pbx_call_id == pbx_call_id).with_for_update()
    return (await db.execute(q)).scalar_one_or_none()


async def user_id_by_username(db: AsyncSession, username: str) -> int | None:
    """The active staff member the PBX names as the agent (its agent id is the username)."""
    q = select(User.id).where(User.username == username, User.active.is_(True))
    return (await db.execute(q)).scalar_one_or_none()
