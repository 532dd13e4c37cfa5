"""Caller locations from the phone network (Advanced Mobile Location): keeping every fix,
matching it to its call by the caller's number, and making the best recent fix the call's
location, with a live ``call`` event for the operator's intake screen.

A fix can come before its call (the handset sends it as it dials, the PBX reports the call a
moment later): it then waits, and :func:`on_call_opened` (called where the PBX opens a call) gives
it to the call. The caller's number is personal data: it is stored to match, and never logged,
put in a URL or sent on the live stream.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import Settings
from api.db import caller_locations as q
from api.db.models import Call, CallerLocation
from api.domain.aml import AmlFix, best_fix, hash_identifier
from api.errors import NotFound
from api.services.notify import on_call


class FixOut(msgspec.Struct):
    """One AML fix: where, how precise (radius in metres), how found and when."""

    lat: float
    lon: float
    accuracy_m: float
    method: str
    fixed_at: datetime
    confidence_pct: int | None
    received_at: datetime


class CallLocationOut(msgspec.Struct):
    """A call's AML location: the best recent fix (``None`` before any), and how many came."""

    call_id: int
    fix: FixOut | None
    updates: int


class AmlAck(msgspec.Struct):
    """What the sender hears: whether a fix was kept and whether it found its call yet."""

    stored: bool
    matched: bool


async def record(
    db: AsyncSession,
    settings: Settings,
    identifier_key: str,
    *,
    number: str,
    fix: AmlFix | None,
    channel: str,
    now: datetime,
) -> AmlAck:
    """Keep one fix, give it to the call of its number if one started within the window, and
    update that call's location. ``fix`` is ``None`` when the handset found no position."""
    if fix is None:
        return AmlAck(stored=False, matched=False)
    window = timedelta(seconds=settings.aml_match_window_s)
    hashed = settings.aml_identifiers == "hash"
    await q.lock_number(db, number)
    call_id = await q.call_for_number(db, number, now - window, now + window)
    row = CallerLocation(
        call_id=call_id,
        number=number,
        channel=channel,
        location=f"SRID=4326;POINT({fix.lon} {fix.lat})",
        accuracy_m=fix.accuracy_m,
        method=fix.method,
        fixed_at=fix.fixed_at,
        confidence_pct=fix.confidence_pct,
        imsi_hash=hash_identifier(identifier_key, fix.imsi) if hashed else None,
        imei_hash=hash_identifier(identifier_key, fix.imei) if hashed else None,
        mcc=fix.mcc,
        mnc=fix.mnc,
        received_at=now,
        match_until=now + window,
    )
    await q.add_fix(db, row)
    if call_id is not None:
        await _locate(db, call_id)
    return AmlAck(stored=True, matched=call_id is not None)


async def on_call_opened(db: AsyncSession, call: Call) -> None:
    """The PBX opened ``call``: tell the intake screens, and give it the fixes of its number that
    came first."""
    await db.flush()
    if call.number:
        await q.lock_number(db, call.number)
    if call.number and await q.attach_waiting(db, call.id, call.number, call.started_at):
        await _locate(db, call.id)
    else:
        await on_call(db, call.id, "opened", None)


async def _locate(db: AsyncSession, call_id: int) -> None:
    """Make the best recent fix the call's location and tell the intake screens."""
    best = best_fix(await q.fix_facts(db, call_id))
    if best is None:
        return
    await q.set_call_location(db, call_id, best.id)
    fix = _fix_out(await q.fix(db, best.id))
    await on_call(db, call_id, "location", msgspec.to_builtins(fix))


def _fix_out(row: dict[str, Any]) -> FixOut:
    return msgspec.convert(row, FixOut)


async def call_location(db: AsyncSession, call_id: int) -> CallLocationOut:
    """The call's best recent AML fix, for a screen that opens after it arrived."""
    if not await q.call_exists(db, call_id):
        raise NotFound("call_not_found")
    best = best_fix(await q.fix_facts(db, call_id))
    fix = _fix_out(await q.fix(db, best.id)) if best else None
    return CallLocationOut(call_id, fix, await q.count_for_call(db, call_id))
