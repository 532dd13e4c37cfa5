"""Open311 GeoReport v2 use cases: services, definitions, requests, updates, tokens, API keys.

Everything here answers with plain dicts in the spec's field names and order; the route turns
them into XML or JSON (:func:`api.domain.open311.render`). Personal data never leaves: no
reporter, no officer, no note; the public words of the status and the timeline only.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import Settings
from api.db import open311 as db_open311
from api.db import public as db_public
from api.db.models import Category, Open311Key
from api.db.open311 import RequestQuery
from api.domain import disclosure
from api.domain.abuse import Limit, limit_key
from api.domain.lifecycle import PUBLIC_STATUS_TEXT, VOID, open311_status, public_status
from api.domain.open311 import (
    CHANGESET,
    CONTENT_TYPES,
    MAX_IDS,
    SPECIFICATION,
    Open311Refused,
    coordinate,
    service_attributes,
    w3c,
)
from api.domain.questions import KEY_LIMIT_MAX, in_language, key_limit_ok
from api.errors import NotFound, field_conflict, field_error
from api.i18n import t
from api.security import token_digest
from api.services import citizen
from api.services.abuse import Counter, report_window
from api.services.admin import change_recorded
from api.services.audit import Actor, record
from api.services.results import result
from api.services.tracking import reporter_by_token

KEY_PREFIX = "o311_"


def _name(lang: str, name_id: str, name_en: str) -> str:
    return name_en if lang == "en" else name_id


# ----------------------------------------------------------------- discovery
def discovery(settings: Settings, base_url: str, lang: str) -> dict[str, Any]:
    return {
        "changeset": CHANGESET,
        "contact": t("open311_contact", lang, city=settings.city_name),
        "key_service": t("open311_key_service", lang, city=settings.city_name),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base_url.rstrip("/") + "/open311/v2",
                "changeset": CHANGESET,
                "type": "production",
                "formats": [CONTENT_TYPES["xml"].split(";")[0], "application/json"],
            }
        ],
    }


# ------------------------------------------------------------------ services
async def services(db: AsyncSession, lang: str) -> list[dict[str, Any]]:
    out = []
    for row in await citizen.categories(db):
        c = row.category
        name = _name(lang, c.name_id, c.name_en)
        other = c.name_id if lang == "en" else c.name_en
        out.append(
            {
                "service_code": c.code,
                "service_name": name,
                "description": t(
                    "open311_service_description",
                    lang,
                    name=name,
                    agency=_name(lang, row.agency_name_id, row.agency_name_en),
                ),
                "metadata": bool(c.attributes),
                "type": "realtime",
                "keywords": ", ".join(k for k in (other, c.group, c.code.lower()) if k),
                "group": c.group,
            }
        )
    return out


async def known_category(db: AsyncSession, code: str, *, active_only: bool) -> Category:
    category = await db_public.category_by_code(db, code)
    if category is None or (active_only and not category.active):
        raise Open311Refused(404, "open311_service_code_unknown", service_code=code)
    return category


async def definition(db: AsyncSession, code: str, lang: str) -> dict[str, Any]:
    """A service's questions as the admin last set them, in the caller's language."""
    category = await known_category(db, code, active_only=True)
    return {
        "service_code": category.code,
        "attributes": service_attributes(in_language(category.attributes or [], lang)),
    }


# ------------------------------------------------------------------ api keys
async def authenticate(db: AsyncSession, raw_key: str | None, now: datetime) -> Open311Key:
    """The issued, unrevoked key, or the spec's 403."""
    if raw_key is None or not raw_key.strip():
        raise Open311Refused(403, "open311_api_key_missing")
    key = await db_open311.live_key(db, token_digest(raw_key.strip()))
    if key is None:
        raise Open311Refused(403, "open311_api_key_invalid")
    key.last_used_at = now
    return key


class KeyRecord(msgspec.Struct):
    """What the audit record keeps of a key: never the key or its hash. ``requests_limit`` is
    the key's own limit within the report window (null: the city default)."""

    id: int
    name: str
    key_prefix: str
    requests_limit: int | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class KeyOut(KeyRecord):
    """A key as the admin API lists it: with the limit in force (its own, else the city
    default) and the window it counts in, in minutes."""

    limit: int
    window_minutes: int


def key_record(key: Open311Key) -> KeyRecord:
    return result(KeyRecord, key)


def key_out(key: Open311Key, settings: Settings) -> KeyOut:
    return result(
        KeyOut,
        key,
        limit=key.requests_limit or settings.open311_requests_per_key,
        window_minutes=int(report_window(settings).total_seconds() // 60),
    )


def _checked_limit(limit: int | None) -> int | None:
    if not key_limit_ok(limit):
        raise field_error("open311_key_limit_invalid", "requests_limit", max=KEY_LIMIT_MAX)
    return limit


async def issue_key(
    db: AsyncSession, name: str, by: Actor, requests_limit: int | None = None
) -> tuple[Open311Key, str]:
    """A new key (with its own request limit, or the city default); the raw key is returned
    once and never stored (nor recorded). Two live keys never share a holder's name (409 naming the
    field): the list tells them apart by it."""
    if await db_open311.live_key_named(db, name.strip()):
        raise field_conflict("already_exists", "name", what="open311_key")
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key = Open311Key(
        name=name.strip(),
        requests_limit=_checked_limit(requests_limit),
        key_hash=token_digest(raw),
        key_prefix=raw[:12],
        created_by_id=by.user_id,
        created_at=by.now,
    )
    await db_open311.add_key(db, key)
    await record(db, by, "create", "open311_key", key.id, after=key_record(key))
    return key, raw


async def list_keys(db: AsyncSession) -> list[Open311Key]:
    return await db_open311.keys(db)


async def change_key(
    db: AsyncSession, key_id: int, changes: dict[str, Any], by: Actor
) -> Open311Key:
    """Rename a key or set its own request limit (null: the city default), recorded with the
    key before and after; the new limit counts from the next request."""
    key = await db_open311.key_for_update(db, key_id)
    if key is None:
        raise NotFound()
    if "requests_limit" in changes:
        _checked_limit(changes["requests_limit"])
    if "name" in changes:
        changes["name"] = changes["name"].strip()
        renamed = changes["name"] != key.name
        if renamed and await db_open311.live_key_named(db, changes["name"]):
            raise field_conflict("already_exists", "name", what="open311_key")
    await change_recorded(db, by, "update", "open311_key", key, KeyRecord, changes)
    return key


async def revoke_key(db: AsyncSession, key_id: int, by: Actor) -> Open311Key:
    """Revoke a key (once: revoking a revoked key changes and records nothing)."""
    key = await db_open311.key_for_update(db, key_id)
    if key is None:
        raise NotFound()
    if key.revoked_at is None:
        before = key_record(key)
        key.revoked_at = by.now
        await db.flush()
        await record(db, by, "revoke", "open311_key", key_id, before=before, after=key_record(key))
    return key


# ------------------------------------------------------------ POST requests
async def create_request(
    db: AsyncSession,
    settings: Settings,
    key: Open311Key,
    fields: Mapping[str, str],
    attributes: Mapping[str, Sequence[str]],
    *,
    now: datetime,
    lang: str,
) -> list[dict[str, Any]]:
    """A service request from an Open311 client: the same intake as a citizen's web report.

    ``lat``/``long`` are required (no geocoder here). ``first_name``, ``last_name`` and
    ``phone`` become the private reporter; ``email``, ``device_id``, ``account_id`` and
    ``media_url`` are not kept (nothing to send mail with; remote media is never fetched).
    """
    code = (fields.get("service_code") or "").strip()
    if not code:
        raise Open311Refused(400, "open311_service_code_required")
    category = await known_category(db, code, active_only=True)
    lat = coordinate(fields.get("lat"), "lat")
    lon = coordinate(fields.get("long"), "long")
    if lat is None or lon is None:
        raise Open311Refused(400, "open311_location_required")
    name = " ".join(
        p.strip() for p in (fields.get("first_name", ""), fields.get("last_name", "")) if p.strip()
    )
    description = (fields.get("description") or "").strip() or _name(
        "id", category.name_id, category.name_en
    )
    window = report_window(settings)
    per_key = Counter(
        limit_key("open311-key", str(key.id)),
        Limit("open311", key.requests_limit or settings.open311_requests_per_key, window),
        "rate_limited",
    )
    created = await citizen.intake(
        db,
        settings,
        citizen.Report(
            category=category.code,
            description=description,
            lat=lat,
            lon=lon,
            address=fields.get("address_string", ""),
            name=name or None,
            phone=fields.get("phone") or None,
            language=lang,
            attributes=attributes,
            location_source="open311",
        ),
        now=now,
        channel="open311",
        actor_kind="open311",
        counters=[per_key],
        issue_token=False,
        intake_data={"open311_key_id": key.id},
    )
    agency = await citizen.agency(db, created.case)
    assert agency is not None
    notice = t(
        "open311_service_notice",
        lang,
        agency=_name(lang, agency.name_id, agency.name_en),
        expected=w3c(created.case.resolve_by, settings.tz),
    )
    return [
        {
            "service_request_id": created.case.reference,
            "service_notice": notice,
            "account_id": None,
        }
    ]


# ------------------------------------------------------------- GET requests
def status_notes(status: str, lang: str) -> str:
    """Why the status is what it is, in public words: merged, not valid, cancelled, or one of
    the city's three words."""
    if status in VOID:
        return t(f"public_event_{status}", lang)
    return PUBLIC_STATUS_TEXT[public_status(status)][lang]


def request_out(row: db_open311.RequestRow, settings: Settings, lang: str) -> dict[str, Any] | None:
    """A service request as the public may see it, or ``None`` when it may not at all."""
    c = row.case
    shown = disclosure.public_case(
        disclosure.CaseFacts(
            c.channel,
            c.sensitive,
            row.category_sensitive,
            c.address,
            c.public_description,
            row.lat,
            row.lon,
        )
    )
    if shown is None:
        return None
    address = ", ".join(p for p in (shown.address, row.area_name, settings.city_name) if p)
    return {
        "service_request_id": c.reference,
        "status": open311_status(c.status),
        "status_notes": status_notes(c.status, lang),
        "service_name": _name(lang, row.category_name_id, row.category_name_en),
        "service_code": row.category_code,
        "description": shown.description,
        "agency_responsible": _name(lang, row.agency_name_id, row.agency_name_en),
        "service_notice": None,
        "requested_datetime": w3c(c.created_at, settings.tz),
        "updated_datetime": w3c(c.updated_at, settings.tz),
        "expected_datetime": w3c(c.resolve_by, settings.tz),
        "address": address,
        "address_id": None,
        "zipcode": None,
        "lat": shown.lat,
        "long": shown.lon,
        "media_url": None,
    }


async def query_requests(
    db: AsyncSession, settings: Settings, q: RequestQuery, lang: str
) -> list[dict[str, Any]]:
    """``service_request_id`` overrides every other argument, as the spec says."""
    if len(q.ids) > MAX_IDS:
        raise Open311Refused(400, "open311_too_many_ids", max=MAX_IDS)
    if not q.ids:
        for code in q.codes:
            await known_category(db, code, active_only=False)
    rows = await db_open311.requests(db, q)
    found = (request_out(r, settings, lang) for r in rows)
    return [r for r in found if r is not None]


async def one_request(
    db: AsyncSession, settings: Settings, request_id: str, lang: str
) -> list[dict[str, Any]]:
    row = await db_open311.request_by_reference(db, request_id.strip().upper())
    out = request_out(row, settings, lang) if row is not None else None
    if out is None:  # unknown, or not for the public: the same answer
        raise Open311Refused(404, "open311_request_not_found", id=request_id)
    return [out]


async def token_request(db: AsyncSession, token: str) -> list[dict[str, Any]]:
    """A citizen's tracking token → its service request. Every service here is ``realtime``, so
    ``POST requests`` never answers with a token; this resolves the tokens citizens hold."""
    reporter = await reporter_by_token(db, token.strip())
    reference = None
    if reporter is not None:
        reference = await db_public.reference_of(db, reporter.original_case_id)
    if reference is None:
        raise Open311Refused(404, "open311_token_not_found")
    return [{"service_request_id": reference, "token": token}]


# ----------------------------------------------------- servicerequestupdates
async def updates(
    db: AsyncSession,
    settings: Settings,
    *,
    start: datetime,
    end: datetime,
    page: int,
    page_size: int,
    lang: str,
) -> list[dict[str, Any]]:
    """FixMyStreet's extension: every public status change in the window, oldest first."""
    rows = await db_open311.status_updates(db, start=start, end=end, page=page, page_size=page_size)
    return [
        {
            "update_id": str(u.event_id),
            "service_request_id": u.reference,
            "status": open311_status(u.to_status),
            "updated_datetime": w3c(u.at, settings.tz),
            "description": t(f"public_event_{u.kind}", lang),
            "media_url": None,
        }
        for u in rows
    ]
