"""Telling people: outbox rows for Web Push, and live events for the control room.

Both run inside the caller's transaction, right after the change they describe:

- :func:`on_case_event` writes one :class:`Notification` per device that must hear of the event
  (rules in :mod:`api.domain.notifications`) and queues its delivery job; both vanish with a
  rollback, and the unique ``(event_key, subscription_id)`` keeps a device from hearing of the
  same event twice.
- It also sends ``NOTIFY tanggap_live``: PostgreSQL delivers it to every API process's listener
  at commit, never on rollback, and in commit order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.adapters import jobs
from api.db import intake as db_intake
from api.db import push as db_push
from api.db.live import LIVE_EVENT_SQL, LiveEvent
from api.db.models import (
    Case,
    CaseEvent,
    Category,
    Team,
)
from api.domain.notifications import Audience, EventFacts, Message, plan

LIVE_CHANNEL = "tanggap_live"
# PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
MAX_NOTIFY_BYTES = 7900

_encode = msgspec.json.Encoder().encode


def event_key(event: CaseEvent) -> str:
    return f"case-event:{event.id}"


async def on_case_event(
    db: AsyncSession, case: Case, event: CaseEvent, *, previous_status: str | None
) -> None:
    """Write outbox rows for whoever must be told, and NOTIFY live listeners (delivered at
    commit)."""
    await db.flush()
    facts = await _facts(db, case, event, previous_status)
    messages = plan(facts)
    if messages:
        await _write_outbox(db, case, event, messages)
    await _notify_case_event(db, event.id)


async def record_case_event(
    db: AsyncSession,
    case: Case,
    event: CaseEvent,
    *,
    previous_status: str | None,
    lon: float,
    lat: float,
    category_names: tuple[str, str] | None = None,
    case_changes: Mapping[str, Any] | None = None,
) -> None:
    """Store ``event`` (not added to the session) with its live NOTIFY in one statement, built
    from what is in hand (no re-read), then the outbox rows for whoever must be told: what
    :func:`on_case_event` does for a flushed event, in fewer round trips. ``lon``/``lat``: the
    case's point; ``category_names`` (Indonesian, English) spare a category lookup;
    ``case_changes``, the move's own changes to the case (already set on it as stored), are
    written by the same statement."""
    live = live_parts(case, event, lon, lat)
    await db_intake.insert_event(db, event, live, case_changes)
    await write_outbox(db, case, event, previous_status, category_names)


async def write_outbox(
    db: AsyncSession,
    case: Case,
    event: CaseEvent,
    previous_status: str | None,
    category_names: tuple[str, str] | None = None,
) -> None:
    """The outbox rows for whoever must hear of a stored event (its id set), if anyone
    (:func:`tells_anyone` says beforehand whether anyone must)."""
    facts = await _facts(db, case, event, previous_status, category_names)
    messages = plan(facts)
    if messages:
        await _write_outbox(db, case, event, messages)


def tells_anyone(case: Case, event: CaseEvent, category_names: tuple[str, str]) -> bool:
    """Whether a new event of the case (its first, ``previous_status`` none) has anyone to
    tell by Web Push, so :func:`write_outbox` has rows to write: the rules only, no devices."""
    return bool(plan(event_facts(case, event, None, category_names)))


async def on_team_position(db: AsyncSession, team: Team) -> None:
    """NOTIFY live listeners of an on-duty team's new last position (team.last_position etc.
    already set); an off-duty team's position is private."""
    await db.flush()
    row = (
        await db.execute(
            text(
                "SELECT id, agency_id, ST_X(last_position::geometry) AS lon, "
                "ST_Y(last_position::geometry) AS lat, last_accuracy_m, last_position_at "
                "FROM teams WHERE id = :id AND last_position IS NOT NULL AND on_duty"
            ),
            {"id": team.id},
        )
    ).first()
    if row is not None:
        await _notify(db, position_message(row))


async def on_team_duty(db: AsyncSession, team: Team) -> None:
    """NOTIFY live listeners that a team went on or off duty; never with its position (off
    duty, the position is private; on duty, the next ping brings a fresh one)."""
    await db.flush()
    await _notify(
        db, {"t": "duty", "team_id": team.id, "agency_id": team.agency_id, "on_duty": team.on_duty}
    )


async def on_call_queue(db: AsyncSession, call_id: int) -> None:
    """NOTIFY live listeners that the queue of ringing calls may have changed (a PBX call rang,
    was answered or ended); the supervisor's queue board reloads it. No number in it."""
    await _notify(db, {"t": "queue", "call_id": call_id})


async def on_call(db: AsyncSession, call_id: int, kind: str, fix: dict[str, Any] | None) -> None:
    """NOTIFY live listeners that the PBX opened a call (``kind="opened"``) or that its AML
    location changed (``"location"``, with the fix). Never the caller's number: the intake
    screen reads it with ``GET /api/calls``, and only staff who may see calls hear of calls."""
    await _notify(db, {"t": "call", "id": call_id, "kind": kind, "fix": fix})


async def on_conversation(db: AsyncSession, call_id: int) -> None:
    """NOTIFY live listeners that a WhatsApp or SMS conversation (its call) changed: a message
    came in, or one of ours was queued or moved (sent, delivered, read, failed). Only the call's
    id: no text, no number; the panel reloads ``GET /api/calls/{id}/messages``."""
    await _notify(db, {"t": "conversation", "id": call_id})


async def on_warning(db: AsyncSession, warning_id: int, replaces: int | None) -> None:
    """NOTIFY live listeners that an area warning was published (``replaces``: the warning it
    updates or cancels); the dispatch map reloads its warning layer."""
    await _notify(db, {"t": "warning", "id": warning_id, "replaces": replaces})


# ------------------------------------------------------------------- outbox
async def _facts(
    db: AsyncSession,
    case: Case,
    event: CaseEvent,
    previous_status: str | None,
    category_names: tuple[str, str] | None = None,
) -> EventFacts:
    if category_names is None:
        # Usually already in the session (moves load it): no query then.
        category = await db.get(Category, case.category_id)
        category_names = (category.name_id, category.name_en) if category else None
    return event_facts(case, event, previous_status, category_names)


def event_facts(
    case: Case,
    event: CaseEvent,
    previous_status: str | None,
    category_names: tuple[str, str] | None,
) -> EventFacts:
    """The event as the notification rules see it."""
    names = category_names
    data = dict(event.data or {})
    team_id = case.team_id
    if event.kind in ("dispatched", "reassigned") and data.get("team_id") is not None:
        team_id = int(data["team_id"])
    return EventFacts(
        kind=event.kind,
        case_id=case.id,
        reference=case.reference,
        priority=case.priority,
        status=case.status,
        previous_status=previous_status,
        team_id=team_id,
        category_name={"id": names[0], "en": names[1]} if names else {},
        address=case.address or "",
        data=data,
    )


async def _write_outbox(
    db: AsyncSession, case: Case, event: CaseEvent, messages: list[Message]
) -> None:
    """One outbox row per device of the messages' audiences (one statement finds them all, one
    writes the rows), then their delivery jobs."""
    ranks = {m.audience.value: rank for rank, m in enumerate(messages)}
    team_id = messages[0].facts.team_id  # one plan's messages share its facts
    devices = await db_push.audience_devices(
        db, ranks, case_id=case.id, team_id=team_id, agency_id=case.agency_id
    )
    payloads: dict[tuple[int, str], dict[str, Any]] = {}
    rows: dict[int, db_push.Outgoing] = {}
    for rank, device in devices:
        if device.subscription_id in rows:  # reached by an earlier, more specific message
            continue
        m = messages[rank]
        payload = payloads.get((rank, device.language))
        if payload is None:
            payload = payloads[rank, device.language] = m.payload(device.language)
        rows[device.subscription_id] = db_push.Outgoing(
            subscription_id=device.subscription_id,
            user_id=device.user_id if m.audience is not Audience.CITIZENS else None,
            kind=m.kind,
            payload=payload,
            urgency=m.urgency,
            topic=m.topic,
            ttl_s=m.ttl_s,
        )
    if not rows:
        return
    ids = await db_push.add_notifications(db, event_key(event), case.id, event.at, [*rows.values()])
    await jobs.enqueue_push(db, [(nid, case.priority == "P1") for nid in ids])


# --------------------------------------------------------------- live events
def case_event_message(row: Any) -> dict[str, Any]:
    """The live form of a timeline event (the same for NOTIFY and for a reconnect's replay)."""
    data = row.data or {}
    return {
        "t": "case",
        "id": row.id,
        "case_id": str(row.case_id),
        "reference": row.reference,
        "kind": row.kind,
        "from_status": row.from_status,
        "to_status": row.to_status,
        "at": row.at.isoformat(),
        "status": row.status,
        "priority": row.priority,
        "agency_id": row.agency_id,
        "team_id": row.team_id,
        "category_id": row.category_id,
        "lon": row.lon,
        "lat": row.lat,
        "data": data,
    }


# The id's place in an encoded case message, and room for the longest id (a bigint).
_ID_MARK = b'"id":0,'
_ID_ROOM = 19


def live_parts(case: Case, event: CaseEvent, lon: float, lat: float) -> tuple[str, str, str]:
    """The channel and the live message of a case event not stored yet, split around its id
    (``head || id || tail``; see :func:`api.db.intake.insert_event`)."""
    row = LiveEvent(
        0,
        case.id,
        event.kind,
        event.from_status,
        event.to_status,
        event.at,
        event.data,
        case.reference,
        case.status,
        case.priority,
        case.agency_id,
        case.team_id,
        case.category_id,
        lon,
        lat,
    )
    message = case_event_message(row)
    payload = _encode(message)
    if len(payload) + _ID_ROOM > MAX_NOTIFY_BYTES:
        payload = _encode({**message, "data": {}, "truncated": True})
    head, _, tail = payload.partition(_ID_MARK)
    return LIVE_CHANNEL, head.decode() + '"id":', "," + tail.decode()


def position_message(row: Any) -> dict[str, Any]:
    return {
        "t": "position",
        "team_id": row.id,
        "agency_id": row.agency_id,
        "lon": row.lon,
        "lat": row.lat,
        "accuracy_m": row.last_accuracy_m,
        "at": row.last_position_at.isoformat() if row.last_position_at else None,
    }


async def _notify_case_event(db: AsyncSession, event_id: int) -> None:
    row = (await db.execute(text(LIVE_EVENT_SQL + " WHERE e.id = :id"), {"id": event_id})).first()
    if row is not None:
        await _notify(db, case_event_message(row))


async def _notify(db: AsyncSession, message: dict[str, Any]) -> None:
    payload = _encode(message)
    if len(payload) > MAX_NOTIFY_BYTES:
        # Only an event's free-form data can be that large; the timeline keeps it whole.
        message = {**message, "data": {}, "truncated": True}
        payload = _encode(message)
    await db.execute(
        text("SELECT pg_notify(:channel, :payload)"),
        {"channel": LIVE_CHANNEL, "payload": payload.decode()},
    )
