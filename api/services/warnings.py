"""Area warnings, the use cases behind ``api/routes/warnings.py``: draft, approve (which
publishes), update and cancel; the citizens' opt-in; the CAP documents and their Atom index.

Publishing writes one outbox row per device that must hear of it (the subscribed citizens of
the warning's kecamatan, and the members of every on-duty team in or near its area) and queues
their delivery in the same transaction, like the case notifications; a device hears of one
message once (``event_key`` ``warning:<id>``). Every change is in the admin audit record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from api.adapters import jobs
from api.auth import Principal
from api.config import Settings
from api.db import push as db_push
from api.db import warnings as q
from api.db.models import Agency, Area, AreaWarning
from api.domain import cap
from api.domain import warnings as rules
from api.errors import Conflict, Forbidden, NotFound, field_error
from api.services import audit
from api.services import push as push_service
from api.services.abuse import check_limit, count_attempt
from api.services.areas import boundary_ewkt
from api.services.audit import Actor
from api.services.notify import on_warning

# A warning must expire; a week is the longest a BPBD warning runs before it is renewed.
MAX_LIFETIME = timedelta(days=7)
_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Draft:
    """What a person drafts: the area (kecamatan picked, or a polygon drawn) and the words."""

    category: str
    event: dict[str, str]
    severity: str
    urgency: str
    certainty: str
    headline: dict[str, str]
    instruction: dict[str, str]
    expires_at: datetime
    area_ids: list[int]
    polygon: dict[str, Any] | None


@dataclass(frozen=True)
class WarningView:
    """A warning as the screens and the audit show it."""

    id: int
    msg_type: str
    references_id: int | None
    status: str
    category: str
    event_id: str
    event_en: str
    severity: str
    urgency: str
    certainty: str
    headline_id: str
    headline_en: str
    instruction_id: str
    instruction_en: str
    area_ids: list[int]
    area_desc: str
    area: dict[str, Any]
    expires_at: datetime
    drafted_by: int | None
    approved_by: int | None
    published_at: datetime | None


@dataclass(frozen=True)
class StaffWarningView(WarningView):
    """A warning as the staff screens show it: also when it was drafted and by whom (names are
    for staff only; the public routes answer :class:`WarningView`)."""

    drafted_at: datetime
    drafted_by_name: str
    approved_by_name: str


def view(row: q.WarningRow) -> WarningView:
    w = row.warning
    return WarningView(
        w.id, w.msg_type, w.references_id, w.status, w.category, w.event_id, w.event_en,
        w.severity, w.urgency, w.certainty, w.headline_id, w.headline_en, w.instruction_id,
        w.instruction_en, list(w.area_ids), w.area_desc, row.area, w.expires_at, w.drafted_by,
        w.approved_by, w.published_at,
    )  # fmt: skip


async def _one_view(db: AsyncSession, w: AreaWarning) -> WarningView:
    await db.flush()
    return view((await q.with_areas(db, [w]))[0])


async def check_issuer(db: AsyncSession, principal: Principal) -> None:
    """403 unless the person is a supervisor or a BPBD coordinator."""
    code = None
    if principal.agency_id is not None:
        agency = await db.get(Agency, principal.agency_id)
        code = agency.code if agency else None
    if not rules.may_issue(principal.role, code):
        raise Forbidden("warning_forbidden")


async def _shape(db: AsyncSession, settings: Settings, d: Draft) -> q.Shape:
    if (d.polygon is None) == (not d.area_ids):
        raise field_error("warning_area_required", "area_ids")
    if d.polygon is not None:
        ewkt = await boundary_ewkt(db, d.polygon, settings.city_bbox)
        assert ewkt is not None  # a polygon was given
        drawn = await q.drawn_shape(db, ewkt, rules.FALLBACK_RADIUS_M)
        if not drawn.area_ids:
            raise field_error("warning_area_outside", "polygon")
        return drawn
    picked = await q.picked_shape(db, d.area_ids, rules.FALLBACK_RADIUS_M)
    if picked is None:
        raise field_error("warning_area_unknown", "area_ids")
    return picked


def _check_expiry(expires_at: datetime, now: datetime) -> None:
    if expires_at <= now or expires_at - now > MAX_LIFETIME:
        raise field_error("warning_expiry_invalid", "expires_at", days=MAX_LIFETIME.days)


async def draft(
    db: AsyncSession,
    settings: Settings,
    principal: Principal,
    d: Draft,
    now: datetime,
    *,
    references: AreaWarning | None = None,
    msg_type: rules.MsgType = "Alert",
) -> WarningView:
    """A new draft (an alert, or an update of a published warning); nothing is sent yet."""
    await check_issuer(db, principal)
    _check_expiry(d.expires_at, now)
    shape = await _shape(db, settings, d)
    w = AreaWarning(
        msg_type=msg_type,
        references_id=references.id if references else None,
        status="draft",
        category=d.category,
        event_id=d.event["id"],
        event_en=d.event["en"],
        severity=d.severity,
        urgency=d.urgency,
        certainty=d.certainty,
        headline_id=d.headline["id"],
        headline_en=d.headline["en"],
        instruction_id=d.instruction["id"],
        instruction_en=d.instruction["en"],
        area=shape.ewkt,
        area_ids=shape.area_ids,
        area_desc=", ".join(shape.names)[:500],
        expires_at=d.expires_at,
        drafted_by=principal.user_id,
        drafted_at=now,
        cap_references="",
    )
    db.add(w)
    out = await _one_view(db, w)
    await audit.record(db, Actor(principal.user_id, now), "create", "area_warning", w.id, after=out)
    return out


async def _published(db: AsyncSession, warning_id: int) -> AreaWarning:
    w = await q.get(db, warning_id, lock=True)
    if w is None:
        raise NotFound("warning_not_found")
    if w.status != "published" or w.msg_type == "Cancel":
        raise Conflict("warning_target_inactive")
    return w


async def draft_update(
    db: AsyncSession, settings: Settings, principal: Principal, warning_id: int, d: Draft,
    now: datetime,
) -> WarningView:  # fmt: skip
    """A draft ``Update`` of a published warning: new words, area or expiry."""
    await check_issuer(db, principal)
    target = await _published(db, warning_id)
    return await draft(db, settings, principal, d, now, references=target, msg_type="Update")


async def draft_cancel(
    db: AsyncSession, settings: Settings, principal: Principal, warning_id: int,
    instruction: dict[str, str], now: datetime,
) -> WarningView:  # fmt: skip
    """A draft ``Cancel`` of a published warning: its area and event, with the all-clear
    words; expires when the original would have."""
    await check_issuer(db, principal)
    t = await _published(db, warning_id)
    area = await q.area_ewkt(db, t.id)
    w = AreaWarning(
        msg_type="Cancel", references_id=t.id, status="draft", category=t.category,
        event_id=t.event_id, event_en=t.event_en, severity=t.severity, urgency="Past",
        certainty=t.certainty, headline_id=t.headline_id, headline_en=t.headline_en,
        instruction_id=instruction["id"], instruction_en=instruction["en"], area=area,
        area_ids=list(t.area_ids), area_desc=t.area_desc,
        expires_at=max(t.expires_at, now + _MINUTE), drafted_by=principal.user_id,
        drafted_at=now, cap_references="",
    )  # fmt: skip
    db.add(w)
    out = await _one_view(db, w)
    await audit.record(db, Actor(principal.user_id, now), "create", "area_warning", w.id, after=out)
    return out


async def approve(
    db: AsyncSession, settings: Settings, principal: Principal, warning_id: int, now: datetime
) -> WarningView:
    """The second person's approval: publishes the draft, retires the warning it updates or
    cancels, and queues a push to everyone in its area."""
    await check_issuer(db, principal)
    w = await q.get(db, warning_id, lock=True)
    if w is None:
        raise NotFound("warning_not_found")
    target = await q.get(db, w.references_id, lock=True) if w.references_id else None
    refusal = rules.approval_refusal(
        status=w.status,
        drafted_by=w.drafted_by,
        approver=principal.user_id,
        target_status=target.status if target else None,
    )
    if refusal == "warning_self_approval":
        raise Forbidden(refusal)
    if refusal is not None:
        raise Conflict(refusal)
    before = await _one_view(db, w)
    chain = await q.chain_before(db, w)
    w.status = "published"
    w.approved_by = principal.user_id
    w.published_at = now
    w.root_id = chain[0].id if chain else w.id
    w.cap_references = " ".join(
        cap.reference(
            settings.cap_sender, cap.identifier(settings.cap_sender, e.id), e.published_at
        )
        for e in chain
        if e.published_at is not None
    )
    area_ids = set(w.area_ids)
    if target is not None:
        target.status = rules.status_after(w.msg_type) or target.status
        area_ids |= set(target.area_ids)  # everyone told of the original hears of the change
    out = await _one_view(db, w)
    await audit.record(
        db, Actor(principal.user_id, now), "approve", "area_warning", w.id, before=before, after=out
    )
    await _fan_out(db, settings, w, sorted(area_ids), now)
    await on_warning(db, w.id, w.references_id)
    return out


def _references(sender: str, chain: list[AreaWarning]) -> str:
    """CAP ``references``: every earlier published message of the chain, oldest first."""
    return " ".join(
        cap.reference(sender, cap.identifier(sender, e.id), e.published_at)
        for e in chain
        if e.published_at is not None
    )


async def _fan_out(
    db: AsyncSession, settings: Settings, w: AreaWarning, area_ids: list[int], now: datetime
) -> None:
    text = rules.WarningText(
        w.id, w.root_id or w.id, w.msg_type, w.severity,
        {"id": w.headline_id, "en": w.headline_en},
        {"id": w.instruction_id, "en": w.instruction_en},
    )  # fmt: skip
    urgency = rules.push_urgency(w.severity, w.urgency)
    topic, ttl_s = rules.topic(w.root_id or w.id), rules.push_ttl_s(w.expires_at, now)
    # One payload per language and kind of reader, shared by their rows (and encoded once).
    payloads: dict[tuple[str, bool], dict[str, Any]] = {}
    rows: dict[int, db_push.Outgoing] = {}
    staff = await q.team_devices(db, w.id, settings.warning_team_near_m)
    for device in [*staff, *await q.citizen_devices(db, area_ids)]:
        if device.subscription_id in rows:  # a member's device that also follows the area
            continue
        reader = (device.language, device.user_id is not None)
        payload = payloads.get(reader)
        if payload is None:
            payload = payloads[reader] = rules.push_payload(text, reader[0], staff=reader[1])
        rows[device.subscription_id] = db_push.Outgoing(
            subscription_id=device.subscription_id,
            user_id=device.user_id,
            kind="warning",
            payload=payload,
            urgency=urgency,
            topic=topic,
            ttl_s=ttl_s,
        )
    if rows:
        key = f"warning:{w.id}"
        ids = await db_push.add_notifications(db, key, None, now, [*rows.values()])
        await jobs.enqueue_push(db, [(nid, urgency == "high") for nid in ids])


async def withdraw(
    db: AsyncSession, principal: Principal, warning_id: int, now: datetime
) -> WarningView:
    """Drop a draft nobody approved (never a published warning: that one is cancelled)."""
    await check_issuer(db, principal)
    w = await q.get(db, warning_id, lock=True)
    if w is None:
        raise NotFound("warning_not_found")
    if w.status != "draft":
        raise Conflict("warning_not_draft")
    before = await _one_view(db, w)
    w.status = "withdrawn"
    out = await _one_view(db, w)
    await audit.record(
        db, Actor(principal.user_id, now), "update", "area_warning", w.id, before=before, after=out
    )
    return out


async def _staff_views(db: AsyncSession, rows: list[AreaWarning]) -> list[StaffWarningView]:
    people = {w.drafted_by for w in rows} | {w.approved_by for w in rows}
    names = await q.staff_names(db, {p for p in people if p is not None})
    return [
        StaffWarningView(
            **vars(view(r)),
            drafted_at=r.warning.drafted_at,
            drafted_by_name=names.get(r.warning.drafted_by or 0, ""),
            approved_by_name=names.get(r.warning.approved_by or 0, ""),
        )
        for r in await q.with_areas(db, rows)
    ]


async def staff_list(db: AsyncSession, principal: Principal) -> list[StaffWarningView]:
    """Drafts waiting for approval and the warnings in force, newest first."""
    await check_issuer(db, principal)
    return await _staff_views(db, await q.listed(db, ("draft", "published")))


async def staff_one(db: AsyncSession, principal: Principal, warning_id: int) -> StaffWarningView:
    """One warning in any state (a draft, withdrawn, superseded...), for the staff screens."""
    await check_issuer(db, principal)
    w = await q.get(db, warning_id)
    if w is None:
        raise NotFound("warning_not_found")
    return (await _staff_views(db, [w]))[0]


async def active(db: AsyncSession, now: datetime) -> list[WarningView]:
    """Published warnings that have not expired (the map layer and the citizen banner)."""
    rows = await q.listed(db, ("published",), now=now)
    return [view(r) for r in await q.with_areas(db, rows)]


async def public_one(db: AsyncSession, warning_id: int) -> WarningView:
    """A published message (in force or not); drafts are never public."""
    w = await q.get(db, warning_id)
    if w is None or w.published_at is None:
        raise NotFound("warning_not_found")
    return view((await q.with_areas(db, [w]))[0])


# ------------------------------------------------------------------ citizens' opt-in
async def subscribe(
    db: AsyncSession,
    settings: Settings,
    device: push_service.Device,
    area_id: int,
    *,
    ip: str,
    now: datetime,
) -> Literal["citizen"]:
    """Ask for a kecamatan's warnings on this device (one kecamatan per device; asking again
    changes it). Rate-limited per address with the other push subscriptions."""
    counter = push_service.per_ip(settings, ip)
    await check_limit(db, counter, now)
    await count_attempt(db, counter, now)
    area = await db.get(Area, area_id)
    if area is None or area.kind != "kecamatan":
        raise field_error("warning_area_unknown", "area_id")
    await push_service.check_device(device, settings)
    await db_push.upsert(
        db,
        {
            "endpoint": device.endpoint,
            "p256dh": device.p256dh,
            "auth": device.auth,
            "user_agent": device.user_agent[:300],
            "language": device.language or "id",
            "warning_area_id": area_id,
        },
    )
    return "citizen"


async def unsubscribe(db: AsyncSession, endpoint: str) -> None:
    """Stop warnings to this device (knowing the endpoint, a secret URL, is the proof)."""
    sub = await db_push.by_endpoint(db, endpoint)
    if sub is None or sub.warning_area_id is None:
        raise NotFound("push_subscription_not_found")
    sub.warning_area_id = None
    await db_push.forget_if_unowned(db, sub)


# ------------------------------------------------------------------ CAP
def _alert(settings: Settings, v: WarningView, references: str) -> cap.Alert:
    base = settings.public_url.rstrip("/")
    return cap.Alert(
        sender=settings.cap_sender,
        sender_name=settings.cap_sender_name,
        identifier=cap.identifier(settings.cap_sender, v.id),
        sent=v.published_at or v.expires_at,
        msg_type=v.msg_type,
        references=references,
        category=v.category,
        event={"id": v.event_id, "en": v.event_en},
        urgency=v.urgency,
        severity=v.severity,
        certainty=v.certainty,
        expires=v.expires_at,
        headline={"id": v.headline_id, "en": v.headline_en},
        instruction={"id": v.instruction_id, "en": v.instruction_en},
        area_desc=v.area_desc,
        area=v.area,
        web=f"{base}/peringatan/{v.id}" if base else "",
    )


async def cap_document(db: AsyncSession, settings: Settings, warning_id: int) -> bytes:
    """The CAP 1.2 document of a published message."""
    v = await public_one(db, warning_id)
    w = await q.get(db, warning_id)
    assert w is not None
    return cap.alert_xml(_alert(settings, v, w.cap_references))


async def cap_index(db: AsyncSession, settings: Settings, base_url: str) -> bytes:
    """The Atom index of the published CAP messages, newest first."""
    rows = await q.published_messages(db)
    entries = [
        cap.Entry(
            cap.identifier(settings.cap_sender, w.id),
            w.headline_en if w.msg_type == "Alert" else f"{w.msg_type}: {w.headline_en}",
            w.published_at or w.drafted_at,
            f"{base_url}/api/cap/{w.id}.xml",
        )
        for w in rows
    ]
    return cap.atom_index(
        f"urn:tanggap112:{settings.cap_sender}:warnings",
        "Tanggap 112: peringatan / warnings",
        settings.cap_sender_name,
        f"{base_url}/api/cap/index.atom",
        entries,
    )
