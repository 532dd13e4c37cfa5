"""The operator's call log: logging, classifying, caller history, prank flags, the PBX webhook."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import Settings
from api.db import calls as q
from api.db.models import Call, IdempotentRequest
from api.domain.call_clock import Clock, apply_event
from api.domain.calls import PrankPolicy, auto_class, flagged_until
from api.domain.phone import InvalidPhone, normalise_phone
from api.domain.vocabulary import CallClass, Channel
from api.errors import BadRequest, Conflict, NotFound, Unauthorized
from api.services import caller_locations, notify
from api.services.results import result


def policy(settings: Settings) -> PrankPolicy:
    return PrankPolicy(
        settings.prank_threshold,
        timedelta(hours=settings.prank_window_hours),
        timedelta(hours=settings.prank_flag_hours),
    )


def phone_or_400(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    try:
        return normalise_phone(raw)
    except InvalidPhone:
        raise BadRequest("invalid_phone") from None


def duration_of(
    started_at: datetime, ended_at: datetime | None, duration_s: int | None
) -> int | None:
    if duration_s is not None:
        return duration_s
    if ended_at is None:
        return None
    if ended_at < started_at:
        raise BadRequest("call_ends_before_start")
    return int((ended_at - started_at).total_seconds())


@dataclass(frozen=True)
class CallIn:
    number: str | None
    channel: Channel
    started_at: datetime
    ended_at: datetime | None = None
    duration_s: int | None = None
    call_class: CallClass | None = None
    notes: str = ""
    lat: float | None = None
    lon: float | None = None
    location_source: str | None = None
    location_accuracy_m: float | None = None
    pbx_call_id: str | None = None


async def log_call(db: AsyncSession, data: CallIn, operator_id: int | None) -> Call:
    number = phone_or_400(data.number)
    duration = duration_of(data.started_at, data.ended_at, data.duration_s)
    call = Call(
        number=number,
        channel=data.channel,
        started_at=data.started_at,
        ended_at=data.ended_at,
        duration_s=duration,
        call_class=auto_class(duration, bool(data.notes.strip()), data.call_class),
        operator_id=operator_id,
        notes=data.notes.strip(),
        pbx_call_id=data.pbx_call_id,
        location=f"SRID=4326;POINT({data.lon} {data.lat})"
        if data.lat is not None and data.lon is not None
        else None,
        location_source=data.location_source if data.lat is not None else None,
        location_accuracy_m=data.location_accuracy_m,
    )
    db.add(call)
    await db.flush()
    return call


async def update_call(
    db: AsyncSession,
    call_id: int,
    *,
    changes: dict[str, Any],
    operator_id: int,
    now: datetime | None = None,
) -> Call:
    call = await db.get(Call, call_id, with_for_update=True)
    if call is None:
        raise NotFound("call_not_found")
    if "notes" in changes:
        call.notes = str(changes["notes"]).strip()
    if "ended_at" in changes and changes["ended_at"] is not None:
        call.ended_at = changes["ended_at"]
        call.duration_s = duration_of(call.started_at, call.ended_at, None)
    if "duration_s" in changes and changes["duration_s"] is not None:
        call.duration_s = changes["duration_s"]
    chosen = changes.get("call_class")
    call.call_class = auto_class(call.duration_s, bool(call.notes), chosen or call.call_class)
    call.operator_id = call.operator_id or operator_id
    if chosen and now is not None and call.pbx_call_id is not None:
        # The operator finished the call in the app: its wrap-up ends (the first time counts).
        call.wrapped_at = apply_event(clock_of(call), "call.wrapup_ended", now).wrapped_at
    await db.flush()
    return call


class CallOut(msgspec.Struct):
    id: int
    number: str | None
    channel: str
    started_at: datetime
    ended_at: datetime | None
    duration_s: int | None
    call_class: CallClass | None = msgspec.field(name="class")
    operator_id: int | None
    notes: str
    pbx_call_id: str | None
    answered_at: datetime | None = None
    transferred_at: datetime | None = None
    wrapped_at: datetime | None = None
    # The call-answer clock's spans in seconds (docs/call-clock.md); None until known.
    queue_s: float | None = None
    talk_s: float | None = None
    wrapup_s: float | None = None


class CaseBrief(msgspec.Struct):
    id: str
    reference: str
    status: str
    created_at: datetime


class HistoryOut(msgspec.Struct):
    number: str
    prank_count: int
    flagged: bool
    flagged_until: datetime | None
    calls: list[CallOut]
    cases: list[CaseBrief]


class FlaggedOut(msgspec.Struct):
    number: str
    prank_calls: int
    flagged_until: datetime


async def recent_calls(
    db: AsyncSession, limit: int, *, raw_number: str | None, call_class: str | None
) -> list[CallOut]:
    """Newest first; one number's (normalised first) or one class's when given."""
    number = phone_or_400(raw_number) if raw_number else None
    calls = await q.recent_calls(db, limit, number=number, call_class=call_class)
    return [result(CallOut, c) for c in calls]


async def prank_times(db: AsyncSession, number: str) -> list[datetime]:
    return await q.prank_times(db, number)


async def history(
    db: AsyncSession, settings: Settings, raw_number: str, now: datetime, limit: int = 20
) -> HistoryOut:
    """A number's earlier calls and reported cases, its prank count and whether it is flagged."""
    number = phone_or_400(raw_number)
    assert number is not None
    calls = await recent_calls(db, limit, raw_number=number, call_class=None)
    cases = [
        CaseBrief(str(c.id), c.reference, c.status, c.created_at)
        for c in await q.cases_reported_by(db, number, limit)
    ]
    pranks = await prank_times(db, number)
    until = flagged_until(pranks, policy(settings))
    until = until if until is not None and until > now else None
    return HistoryOut(number, len(pranks), until is not None, until, calls, cases)


async def flagged_numbers(db: AsyncSession, settings: Settings, now: datetime) -> list[FlaggedOut]:
    """Numbers flagged now, for the PBX to block, the longest flagged first."""
    p = policy(settings)
    out: list[FlaggedOut] = []
    for run in await q.prank_runs_since(db, now - p.flag_for - p.window):
        until = flagged_until(run.times, p)
        if until is not None and until > now:
            out.append(FlaggedOut(run.number, len(run.times), until))
    return sorted(out, key=lambda f: f.flagged_until, reverse=True)


# --------------------------------------------------------------------- PBX
def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return mac.hexdigest()


def _check_signature(secret: str, timestamp: str, signature: str, body: bytes) -> str:
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(expected, signature.strip().lower()):
        raise Unauthorized("webhook_signature_invalid")
    return expected


def _check_fresh(settings: Settings, ts: int | None, now: datetime) -> None:
    if ts is None or abs(now.timestamp() - ts) > settings.pbx_replay_window_s:
        raise Unauthorized("webhook_stale")


def verify_signed_read(
    settings: Settings, secret: str, *, timestamp: str, signature: str, now: datetime
) -> None:
    """A read the PBX signs over an empty body; replays within the window are harmless."""
    _check_signature(secret, timestamp, signature, b"")
    _check_fresh(settings, int(timestamp) if timestamp.isdigit() else None, now)


async def verify_webhook(
    db: AsyncSession,
    settings: Settings,
    secret: str,
    *,
    timestamp: str,
    signature: str,
    body: bytes,
    now: datetime,
    scope: str = "pbx",
) -> None:
    """HMAC-SHA256 over ``timestamp.body``; stale or replayed requests are refused. ``scope``
    keeps each sender's replay keys apart (the PBX, the SMS gateway's inbound messages)."""
    try:
        ts = int(timestamp)
    except ValueError:
        raise Unauthorized("webhook_signature_invalid") from None
    expected = _check_signature(secret, timestamp, signature, body)
    _check_fresh(settings, ts, now)
    key = f"{scope}:{expected}"
    if await db.get(IdempotentRequest, key) is not None:
        raise Conflict("webhook_replayed")
    db.add(IdempotentRequest(key=key, user_id=None, request_hash=expected, body=b""))
    await db.flush()


async def pbx_event(
    db: AsyncSession,
    event: str,
    call_id: str,
    *,
    number: str | None,
    at: datetime,
    duration_s: int | None,
    lat: float | None,
    lon: float | None,
    accuracy_m: float | None,
    source: str | None,
    operator: str | None = None,
) -> Call:
    """Apply one PBX event to its call, opening the call if this is its first event. The clock's
    moments only move earlier (:func:`api.domain.call_clock.apply_event`): late, repeated and
    out-of-order events leave it right. ``operator`` (on answered) is the Tanggap username of
    the agent who took the call."""
    call = await q.call_by_pbx_id(db, call_id)
    if call is None:
        # Opened by its start, or by a later event when the start was lost: nothing is dropped.
        call = await log_call(
            db, CallIn(number=number, channel="phone", started_at=at, pbx_call_id=call_id), None
        )
        await caller_locations.on_call_opened(db, call)
    elif call.number is None and number is not None:
        # The call was opened by a later event that carried no number; its start brings it.
        call.number = phone_or_400(number)
        # Now it has a number: the fixes of that number that came first are its own.
        await caller_locations.on_call_opened(db, call)
    if event == "call.location":
        if lat is None or lon is None:
            raise BadRequest("invalid_coordinates")
        call.location = f"SRID=4326;POINT({lon} {lat})"
        call.location_source = source or "aml"
        call.location_accuracy_m = accuracy_m
    else:
        await _move_clock(db, call, event, at, duration_s, operator)
    await db.flush()
    if event != "call.location":
        # Delivered at commit: the supervisor's queue board reloads (docs/call-clock.md).
        await notify.on_call_queue(db, call.id)
    return call


async def _move_clock(
    db: AsyncSession,
    call: Call,
    event: str,
    at: datetime,
    duration_s: int | None,
    operator: str | None,
) -> None:
    before = (call.started_at, call.ended_at)
    now = apply_event(clock_of(call), event, at)
    call.started_at, call.answered_at = now.started_at, now.answered_at
    call.transferred_at, call.ended_at = now.transferred_at, now.ended_at
    call.wrapped_at = now.wrapped_at
    if event == "call.answered" and operator:
        # The agent who answered first took the call; an unknown name leaves it unnamed.
        taker = await q.user_id_by_username(db, operator)
        if taker is not None and now.answered_at == at:
            call.operator_id = taker
    if call.ended_at is not None:
        reported = duration_s if event == "call.ended" and call.ended_at == at else None
        moved = before != (call.started_at, call.ended_at)
        if reported is not None or moved or call.duration_s is None:
            call.duration_s = (
                reported
                if reported is not None
                else max(0, int((call.ended_at - call.started_at).total_seconds()))
            )
        call.call_class = auto_class(call.duration_s, bool(call.notes), call.call_class)


def clock_of(call: Call) -> Clock:
    return Clock(
        call.started_at, call.answered_at, call.transferred_at, call.ended_at, call.wrapped_at
    )
