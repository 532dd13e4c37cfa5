"""Caller-location SQL: storing AML fixes, matching them to calls, and the call's best fix."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import CallerLocation
from api.domain.aml import FixFacts


async def lock_number(db: AsyncSession, number: str) -> None:
    """Serialise, until the transaction ends, the fixes and the call openings of one number:
    a fix and its call arriving together must not each miss the other's uncommitted row."""
    await db.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": f"aml:{number}"}
    )


async def add_fix(db: AsyncSession, fix: CallerLocation) -> None:
    db.add(fix)
    await db.flush()


async def call_for_number(
    db: AsyncSession, number: str, started_from: datetime, started_to: datetime
) -> int | None:
    """The newest call of ``number`` that started within the span, locked for the update."""
    sql = (
        "SELECT id FROM calls WHERE number = :number AND started_at BETWEEN :a AND :b "
        "ORDER BY started_at DESC LIMIT 1 FOR UPDATE"
    )
    found = await db.execute(text(sql), {"number": number, "a": started_from, "b": started_to})
    return found.scalar_one_or_none()


async def attach_waiting(db: AsyncSession, call_id: int, number: str, started_at: datetime) -> int:
    """Give a newly opened call the fixes of its number still waiting for it; how many. A fix
    waits for a call that started within its window either side of its arrival: the PBX may
    report a call that started before the fix came only after it."""
    done = await db.execute(
        text(
            "UPDATE caller_locations SET call_id = :call WHERE call_id IS NULL "
            "AND number = :number AND match_until >= :started "
            "AND received_at - :started <= match_until - received_at "
            "RETURNING id"
        ),
        {"call": call_id, "number": number, "started": started_at},
    )
    return len(done.all())


async def fix_facts(db: AsyncSession, call_id: int) -> list[FixFacts]:
    rows = await db.execute(
        text("SELECT id, accuracy_m, fixed_at FROM caller_locations WHERE call_id = :call"),
        {"call": call_id},
    )
    return [FixFacts(**r) for r in rows.mappings()]


_FIX_SQL = (
    "SELECT id, ST_Y(location::geometry) AS lat, ST_X(location::geometry) AS lon, accuracy_m, "
    "method, fixed_at, confidence_pct, received_at FROM caller_locations WHERE id = :id"
)


async def fix(db: AsyncSession, fix_id: int) -> dict[str, Any]:
    """One fix as the operator sees it: position, radius, method, times, confidence."""
    return dict((await db.execute(text(_FIX_SQL), {"id": fix_id})).mappings().one())


async def set_call_location(db: AsyncSession, call_id: int, fix_id: int) -> None:
    """The fix becomes the call's location (``location_source = 'aml'``)."""
    await db.execute(
        text(
            "UPDATE calls SET location = f.location, location_source = 'aml', "
            "location_accuracy_m = f.accuracy_m FROM caller_locations f "
            "WHERE calls.id = :call AND f.id = :fix"
        ),
        {"call": call_id, "fix": fix_id},
    )


async def count_for_call(db: AsyncSession, call_id: int) -> int:
    found = await db.execute(
        text("SELECT count(*) FROM caller_locations WHERE call_id = :call"), {"call": call_id}
    )
    return int(found.scalar_one())


async def call_exists(db: AsyncSession, call_id: int) -> bool:
    found = await db.execute(text("SELECT 1 FROM calls WHERE id = :id"), {"id": call_id})
    return found.first() is not None
