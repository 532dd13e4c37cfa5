"""Hand-off to the neighbours: "transfer to neighbour" records who gave which case to which
neighbouring region, when and why (a timeline event, a hand-off row, an audit entry), and answers
the incident as a hand-off document (:mod:`api.domain.handoff`); an incoming document is checked
against its schema and becomes a case, once per incident.

An imported incident keeps its first id, reference and history: exported again, it carries the
timeline and notes it came with, then what happened here."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.config import Settings
from api.db import case_queries
from api.db import neighbours as q
from api.db.models import Case, CaseHandoff, NeighbourArea
from api.domain import handoff as doc
from api.errors import field_conflict, field_error
from api.services import case_views as views
from api.services.access import visible_case
from api.services.admin import get_ref
from api.services.audit import Actor, record
from api.services.cases import NewCase, create_case, record_event

SYSTEM = "Tanggap 112"


class HandoffOut(msgspec.Struct):
    """A recorded hand-off: the case, the neighbour, who and when, and the document sent."""

    case_id: uuid.UUID
    neighbour_id: int | None
    neighbour_name: str | None
    by_id: int | None
    at: datetime
    note: str
    document: dict[str, Any]


class ImportedOut(msgspec.Struct):
    """The case an incoming hand-off document became."""

    case_id: uuid.UUID
    reference: str
    incident_id: str


async def document(
    db: AsyncSession,
    settings: Settings,
    principal: Principal,
    case_id: uuid.UUID,
    *,
    to: NeighbourArea | None = None,
    sent_at: datetime | None = None,
) -> dict[str, Any]:
    """The case as a version-1 hand-off document (to ``to``, when it is being handed off)."""
    row = await views.case_row(db, principal, case_id)
    c = row.case
    came = await q.incoming(db, case_id)
    first = came.document["incident"] if came else None
    events = [
        doc.Event(t.event.at, t.event.kind, t.event.to_status, t.actor_name, t.event.note)
        for t in await case_queries.timeline(db, case_id)
    ]
    timeline, notes = doc.entries(events)
    incident: dict[str, Any] = {
        "id": came.incident_id if came else doc.incident_id(settings.city_code, c.id),
        "reference": first["reference"] if first else c.reference,
        "created_at": first["created_at"] if first else doc.stamp(c.created_at),
        "priority": c.priority,
        "sensitive": c.sensitive,
        "description": c.description,
        "source": first["source"] if first else {"control_room": settings.city_name},
    }
    incident["source"] = {**incident["source"], "system": SYSTEM}
    if to is not None:
        incident["destination"] = {"name_id": to.name_id, "name_en": to.name_en}
    if sent_at is not None:
        incident["sent_at"] = doc.stamp(sent_at)
    primary = {
        "code": row.agency_code,
        "name_id": row.agency_name_id,
        "name_en": row.agency_name_en,
    }
    supporting = await q.supporting_agencies(db, c.category_id)
    return {
        "version": doc.VERSION,
        "incident": incident,
        "location": {
            "lat": row.lat,
            "lon": row.lon,
            "address": c.address,
            "landmark": c.landmark,
            "area": row.area_name,
        },
        "category": {
            "code": row.category_code,
            "name_id": row.category_name_id,
            "name_en": row.category_name_en,
        },
        "agencies": [
            {"role": "primary", **primary},
            *({"role": "supporting", **dataclasses.asdict(a)} for a in supporting),
        ],
        "timeline": doc.carried(came.document if came else None, "timeline", timeline),
        "notes": doc.carried(came.document if came else None, "notes", notes),
    }


async def transfer(
    db: AsyncSession,
    settings: Settings,
    principal: Principal,
    case_id: uuid.UUID,
    neighbour_id: int,
    note: str,
    now: datetime,
) -> HandoffOut:
    """Hand the case to a neighbour: the event on its timeline (staff only), the hand-off row
    with the document sent, and the audit entry, in one transaction."""
    neighbour = await get_ref(db, NeighbourArea, neighbour_id, "neighbour_id")
    case = await visible_case(db, principal, case_id, for_update=True)
    sent = await document(db, settings, principal, case_id, to=neighbour, sent_at=now)
    incident = sent["incident"]["id"]
    await record_event(
        db,
        case,
        "handed_off",
        now=now,
        actor_id=principal.user_id,
        note=note,
        data={"neighbour_id": neighbour.id, "incident_id": incident},
        public=False,
    )
    row = CaseHandoff(
        case_id=case.id,
        direction="out",
        neighbour_id=neighbour.id,
        incident_id=incident,
        by_id=principal.user_id,
        at=now,
        note=note,
        document=sent,
    )
    db.add(row)
    await db.flush()
    out = HandoffOut(case.id, neighbour.id, neighbour.name_id, principal.user_id, now, note, sent)
    kept = {"case_id": case.id, "neighbour_id": neighbour.id, "incident_id": incident, "note": note}
    await record(db, Actor(principal.user_id, now), "create", "case_handoff", row.id, after=kept)
    return out


async def import_document(
    db: AsyncSession, settings: Settings, principal: Principal, given: Any, now: datetime
) -> ImportedOut:
    """An incoming hand-off document as a new case. A document that breaks the schema, names a
    category this city does not have, or was imported before is refused (naming the field) and
    changes nothing."""
    wrong = doc.fault(given)
    if wrong is not None:
        raise field_error("handoff_invalid", wrong, path=wrong)
    incident = given["incident"]
    if await q.imported_case(db, incident["id"]) is not None:
        raise field_conflict("handoff_already_imported", "incident.id")
    category_id = await q.active_category_id(db, given["category"]["code"])
    if category_id is None:
        raise field_error("handoff_unknown_category", "category.code")
    where = given["location"]
    created = await create_case(
        db,
        settings,
        NewCase(
            category_id=category_id,
            lat=where["lat"],
            lon=where["lon"],
            description=incident["description"],
            address=where.get("address", ""),
            landmark=where.get("landmark", ""),
            priority=incident["priority"],
            allow_out_of_area=True,
            sensitive=bool(incident.get("sensitive", False)),
        ),
        now=now,
        actor_id=principal.user_id,
    )
    case: Case = created.case
    source = incident["source"]["control_room"]
    await record_event(
        db,
        case,
        "handed_in",
        now=now,
        actor_id=principal.user_id,
        data={"incident_id": incident["id"], "from": source},
        public=False,
    )
    row = CaseHandoff(
        case_id=case.id,
        direction="in",
        neighbour_id=None,
        incident_id=incident["id"],
        by_id=principal.user_id,
        at=now,
        note="",
        document=given,
    )
    db.add(row)
    await db.flush()
    kept = {"case_id": case.id, "incident_id": incident["id"], "from": source}
    await record(db, Actor(principal.user_id, now), "create", "case_handoff", row.id, after=kept)
    return ImportedOut(case.id, case.reference, incident["id"])
