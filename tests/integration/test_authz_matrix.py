"""Who may call what: every route of the app, for every role, against ONE table.

The routes come from the app's own route table: a route missing from ``MATRIX`` (a new one)
fails the test until its row is written, and so does a row whose route is gone.

Each role runs in a database of its own, so every request meets the same state: a DLHK case
dispatched to "TRC DLHK 1" (the field officer's team), a case of another agency, a call, a
photo, and throwaway rows for the admin routes to change and delete.

Cells, one per role in ``ROLES`` order (anonymous, admin, supervisor, operator, dispatcher,
coordinator of DLHK, field officer of DLHK):

- ``2``: answered 2xx or 3xx;
- ``U``: 401 (not signed in); ``F``: 403 (signed in, may not); ``N``: 404 (not visible);
- ``4``: another 4xx: the caller passed authorisation and the request was refused on its
  merits (a state conflict, a rule), which the row's comment explains.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import (
    Area,
    AreaWarning,
    Call,
    IncomingCapAlert,
    NeighbourArea,
    Place,
    RoutingRule,
    Team,
)
from tests.conftest import Clock, login
from tests.factories import (
    agency_by_code,
    category_by_code,
    make_agency,
    make_area,
    make_case,
    make_category,
    make_team,
    make_user,
    user_by_name,
)
from tests.support import images
from tests.support.warnings import warning_body

ROLES = {
    "anonymous": None,
    "admin": "admin",
    "supervisor": "supervisor",
    "operator": "operator",
    "dispatcher": "dispatcher",
    "coordinator": "koordinator.dlhk",
    "field_officer": "petugas.dlhk",
}


@dataclass(frozen=True)
class Req:
    """What to send; ``{name}`` in the path, query and body is filled from the arranged ids."""

    json: Any = None
    query: dict[str, str] = field(default_factory=dict)
    files: bool = False  # a multipart photo upload
    headers: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)  # path values for this row only


NO = Req()
CASE_BODY = {
    "category_id": "{dlhk_category_id}",
    "lat": -3.99,
    "lon": 122.51,
    "description": "Sampah menumpuk di pinggir jalan",
}
SUBSCRIPTION = {
    # A local address, allowed explicitly below: the API takes push services only.
    "endpoint": "http://127.0.0.1:9/send/{unique}",
    "keys": {
        "p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1X"
        "bjhazAkj7I99e8QcYP7DkM",
        "auth": "tBHItJI5svbpez7KI4CCXg",
    },
}
NEIGHBOUR_BODY = {
    "name_id": "Kabupaten Baru",
    "name_en": "New Regency",
    "boundary": {
        "type": "Polygon",
        "coordinates": [
            [[123.0, -5.0], [123.1, -5.0], [123.1, -4.9], [123.0, -4.9], [123.0, -5.0]]
        ],
    },
}
HANDOFF_DOCUMENT = {
    "version": "1",
    "incident": {
        "id": "urn:tanggap112:kdl:{unique}",
        "reference": "KDL-0001",
        "created_at": "2026-12-05T08:00:00+08:00",
        "priority": "P3",
        "description": "Sampah menumpuk di perbatasan",
        "source": {"control_room": "Konawe"},
    },
    "location": {"lat": -3.99, "lon": 122.51},
    "category": {"code": "SAMPAH_LIAR", "name_id": "Sampah liar", "name_en": "Illegal dumping"},
    "agencies": [],
    "timeline": [],
    "notes": [],
}

WARN_ENDPOINT = "http://127.0.0.1:9/warn/{unique}"
WARNING_BODY = warning_body("{warning_expires}", ["{kecamatan_id}"])

# (method, path) -> (request, cells for ROLES in order)
MATRIX: dict[tuple[str, str], tuple[Req, str]] = {
    # ---------------------------------------------------------------- public
    ("GET", "/health/live"): (NO, "2222222"),
    ("GET", "/health/ready"): (NO, "2222222"),
    # Prometheus: loopback or the metrics token only, whoever is signed in (the test client is
    # not on loopback; tests/integration/test_health_and_metrics.py covers the token).
    ("GET", "/metrics"): (NO, "FFFFFFF"),
    ("GET", "/api/config"): (NO, "2222222"),
    ("GET", "/api/geography"): (NO, "2222222"),
    ("GET", "/api/places"): (Req(query={"q": "kadia"}), "2222222"),
    ("GET", "/api/pluscodes"): (Req(query={"code": "2G9C+X4"}), "2222222"),
    ("GET", "/api/push/public-key"): (NO, "2222222"),
    # The PWA shell (without a build, a page saying how to build it).
    ("GET", "/"): (NO, "2222222"),
    ("GET", "/{path:path}"): (NO, "2222222"),
    ("GET", "/schema"): (NO, "2222222"),
    ("GET", "/schema/openapi.json"): (NO, "2222222"),
    ("GET", "/schema/scalar"): (NO, "2222222"),
    ("GET", "/schema/{path:str}"): (NO, "NNNNNNN"),
    # ------------------------------------------------------------ sign-in
    ("POST", "/api/auth/login"): (
        Req(json={"username": "operator", "password": "tanggap112"}),
        "2222222",
    ),
    ("POST", "/api/auth/refresh"): (Req(json={"refresh_token": "not-a-real-token"}), "UUUUUUU"),
    ("GET", "/api/auth/me"): (NO, "U222222"),
    # ----------------------------------------------------------- reference
    ("GET", "/api/agencies"): (NO, "U222222"),
    ("GET", "/api/categories"): (NO, "U222222"),
    ("GET", "/api/teams"): (NO, "U222222"),
    ("GET", "/api/teams/{team_id:int}"): (NO, "U222222"),
    # --------------------------------------------------------------- admin
    ("GET", "/api/admin/agencies"): (NO, "U2FFFFF"),
    ("POST", "/api/admin/agencies"): (
        Req(json={"code": "NEWAG", "name_id": "Dinas Baru", "name_en": "New agency"}),
        "U2FFFFF",
    ),
    ("GET", "/api/admin/agencies/{agency_id:int}"): (NO, "U2FFFFF"),
    ("PATCH", "/api/admin/agencies/{agency_id:int}"): (Req(json={"notes": "x"}), "U2FFFFF"),
    ("DELETE", "/api/admin/agencies/{agency_id:int}"): (
        Req(ids={"agency_id": "{unused_agency_id}"}),
        "U2FFFFF",
    ),
    ("GET", "/api/admin/categories"): (NO, "U2FFFFF"),
    ("POST", "/api/admin/categories"): (
        Req(
            json={
                "code": "KATEGORI_BARU",
                "name_id": "Kategori baru",
                "name_en": "New category",
                "group": "lingkungan",
                "agency_id": "{dlhk_agency_id}",
                "priority": "P3",
                "sla_accept_min": 30,
                "sla_arrive_min": 120,
                "sla_resolve_min": 1440,
            }
        ),
        "U2FFFFF",
    ),
    ("GET", "/api/admin/categories/{category_id:int}"): (NO, "U2FFFFF"),
    ("PATCH", "/api/admin/categories/{category_id:int}"): (
        Req(json={"dedupe_radius_m": 50}),
        "U2FFFFF",
    ),
    ("DELETE", "/api/admin/categories/{category_id:int}"): (NO, "U2FFFFF"),
    ("GET", "/api/admin/areas"): (NO, "U2FFFFF"),
    ("POST", "/api/admin/areas"): (
        Req(json={"name": "Kelurahan Baru", "center": {"lat": -3.98, "lon": 122.52}}),
        "U2FFFFF",
    ),
    ("GET", "/api/admin/areas/{area_id:int}"): (NO, "U2FFFFF"),
    ("PATCH", "/api/admin/areas/{area_id:int}"): (Req(json={"kind": "kelurahan"}), "U2FFFFF"),
    ("DELETE", "/api/admin/areas/{area_id:int}"): (NO, "U2FFFFF"),
    # The gazetteer: admins add and retire places; everyone (citizens too) searches them.
    ("GET", "/api/admin/places"): (NO, "U2FFFFF"),
    ("POST", "/api/admin/places"): (
        Req(json={"name": "Tugu Baru", "kind": "landmark", "lat": -3.97, "lon": 122.51}),
        "U2FFFFF",
    ),
    ("DELETE", "/api/admin/places/{place_id:int}"): (NO, "U2FFFFF"),
    ("GET", "/api/admin/teams"): (NO, "U2FFFFF"),
    ("POST", "/api/admin/teams"): (
        Req(json={"agency_id": "{dlhk_agency_id}", "name": "TRC DLHK Baru"}),
        "U2FFFFF",
    ),
    ("GET", "/api/admin/teams/{team_id:int}"): (NO, "U2FFFFF"),
    ("PATCH", "/api/admin/teams/{team_id:int}"): (Req(json={"on_duty": True}), "U2FFFFF"),
    ("PUT", "/api/admin/teams/{team_id:int}/members"): (Req(json={"user_ids": []}), "U2FFFFF"),
    ("DELETE", "/api/admin/teams/{team_id:int}"): (NO, "U2FFFFF"),
    ("GET", "/api/admin/users"): (NO, "U2FFFFF"),
    ("GET", "/api/admin/security-alerts"): (NO, "U2FFFFF"),
    ("POST", "/api/admin/users"): (
        Req(
            json={
                "username": "pengguna.baru",
                "full_name": "Pengguna Baru",
                "role": "operator",
                "password": "rahasia-panjang-1",
            }
        ),
        "U2FFFFF",
    ),
    ("GET", "/api/admin/users/{user_id:int}"): (NO, "U2FFFFF"),
    ("PATCH", "/api/admin/users/{user_id:int}"): (Req(json={"language": "en"}), "U2FFFFF"),
    ("DELETE", "/api/admin/users/{user_id:int}"): (NO, "U2FFFFF"),
    ("POST", "/api/admin/users/{user_id:int}/reactivate"): (NO, "U2FFFFF"),
    ("POST", "/api/admin/users/{user_id:int}/reset-password"): (NO, "U2FFFFF"),
    # The admin audit record: read by admins only; no route changes it.
    ("GET", "/api/admin/audit"): (NO, "U2FFFFF"),
    ("GET", "/api/admin/routing-rules"): (NO, "U2FFFFF"),
    ("POST", "/api/admin/routing-rules"): (
        # For one category: the throwaway rule below covers every category of that area.
        Req(
            json={
                "area_id": "{rule_area_id}",
                "category_id": "{dlhk_category_id}",
                "agency_id": "{dlhk_agency_id}",
            }
        ),
        "U2FFFFF",
    ),
    ("DELETE", "/api/admin/routing-rules/{rule_id:int}"): (NO, "U2FFFFF"),
    ("POST", "/api/admin/routing-rules/preview"): (
        Req(json={"category_id": "{dlhk_category_id}", "lat": -3.99, "lon": 122.51}),
        "U2FFFFF",
    ),
    ("GET", "/api/admin/open311-keys"): (NO, "U2FFFFF"),
    ("POST", "/api/admin/open311-keys"): (Req(json={"name": "Portal kota"}), "U2FFFFF"),
    ("PATCH", "/api/admin/open311-keys/{key_id:int}"): (
        Req(json={"requests_limit": 3}),
        "U2FFFFF",
    ),
    ("DELETE", "/api/admin/open311-keys/{key_id:int}"): (NO, "U2FFFFF"),
    # Neighbouring regions (hand-off): the seeded Konawe and Konawe Selatan.
    ("GET", "/api/admin/neighbours"): (NO, "U2FFFFF"),
    ("POST", "/api/admin/neighbours"): (Req(json=NEIGHBOUR_BODY), "U2FFFFF"),
    ("GET", "/api/admin/neighbours/{neighbour_id:int}"): (NO, "U2FFFFF"),
    ("PATCH", "/api/admin/neighbours/{neighbour_id:int}"): (
        Req(json={"contact_112": ""}),
        "U2FFFFF",
    ),
    ("DELETE", "/api/admin/neighbours/{neighbour_id:int}"): (
        Req(ids={"neighbour_id": "{spare_neighbour_id}"}),
        "U2FFFFF",
    ),
    # --------------------------------------------------------------- cases
    ("GET", "/api/cases"): (NO, "U222222"),
    ("GET", "/api/cases.geojson"): (Req(query={"bbox": "122.40,-4.13,122.70,-3.90"}), "U222222"),
    # Intake: the control room only.
    ("POST", "/api/cases"): (Req(json=CASE_BODY), "U2F22FF"),
    ("GET", "/api/cases/similar"): (
        Req(query={"category": "SAMPAH_LIAR", "lat": "-3.99", "lon": "122.51"}),
        "U222222",
    ),
    # A DLHK case: everyone signed in sees it (the field officer's agency).
    ("GET", "/api/cases/{case_id:uuid}"): (NO, "U222222"),
    ("POST", "/api/cases/{case_id:uuid}/notes"): (Req(json={"note": "Sudah dicek"}), "U222222"),
    ("GET", "/api/cases/{case_id:uuid}/team-suggestions"): (NO, "U22222F"),
    # Field work (accept, en route, ...): the assigned team, or the agency's coordinator.
    ("POST", "/api/cases/{case_id:uuid}/transitions"): (
        Req(json={"action": "accept"}),
        "UFFFF22",
    ),
    # Assign, transfer, merge: the control room (operator, dispatcher, admin) or the
    # agency's coordinator; a supervisor watches, a field officer works.
    ("POST", "/api/cases/{case_id:uuid}/assign"): (
        Req(
            json={"team_id": "{other_dlhk_team_id}", "version": 1},
            ids={"case_id": "{assign_case_id}"},
        ),
        "U2F222F",
    ),
    ("POST", "/api/cases/{case_id:uuid}/transfer"): (
        Req(
            json={"agency_id": "{damkar_agency_id}", "version": 1, "note": "Bukan wewenang"},
            ids={"case_id": "{transfer_case_id}"},
        ),
        "U2F222F",
    ),
    ("POST", "/api/cases/{case_id:uuid}/merge"): (
        Req(
            json={"parent_id": "{parent_case_id}", "version": 1}, ids={"case_id": "{merge_case_id}"}
        ),
        "U2F222F",
    ),
    ("POST", "/api/cases/{case_id:uuid}/photos"): (Req(files=True), "U222222"),
    # The caller's code by SMS: anyone who sees the case sees its state; the intake roles send
    # (409 sms_unavailable here: this app has no SMS gateway).
    ("GET", "/api/cases/{case_id:uuid}/caller-sms"): (NO, "U222222"),
    ("POST", "/api/cases/{case_id:uuid}/caller-sms"): (Req(json={}), "U4F44FF"),
    # Hand-off to a neighbour: the control room and its supervisor; the document's schema is
    # public, a neighbour builds to it; importing one is intake's.
    ("GET", "/api/schemas/eido-handoff/v1.json"): (NO, "2222222"),
    ("GET", "/api/neighbours/outside"): (
        Req(query={"lat": "-3.80", "lon": "122.30"}),
        "U2222FF",
    ),
    ("GET", "/api/calls/{call_id:int}/outside"): (NO, "U2222FF"),
    ("GET", "/api/cases/{case_id:uuid}/handoff-document"): (NO, "U2222FF"),
    ("POST", "/api/cases/{case_id:uuid}/handoff"): (
        Req(json={"neighbour_id": "{neighbour_id}", "note": "Di wilayah Konawe"}),
        "U2222FF",
    ),
    ("POST", "/api/handoff/import"): (Req(json=HANDOFF_DOCUMENT), "U2F22FF"),
    ("GET", "/api/photos/{photo_id:uuid}"): (Req(query={"variant": "thumb"}), "U222222"),
    ("POST", "/api/photos/{photo_id:uuid}/publish"): (Req(json={"published": True}), "U22222F"),
    ("DELETE", "/api/photos/{photo_id:uuid}"): (NO, "U2FFFFF"),
    # ---------------------------------------------------------------- calls
    ("GET", "/api/calls"): (NO, "U2222FF"),
    ("POST", "/api/calls"): (Req(json={"number": "081234567890", "duration_s": 30}), "U2222FF"),
    ("PATCH", "/api/calls/{call_id:int}"): (Req(json={"notes": "Penelepon ramah"}), "U2222FF"),
    ("GET", "/api/calls/history"): (Req(headers={"X-Caller-Number": "081234567890"}), "U2222FF"),
    ("GET", "/api/calls/flagged-numbers"): (NO, "U2222FF"),
    # The live queue board: the supervisor's, with dispatchers and admins (as call statistics).
    ("GET", "/api/calls/queue"): (NO, "U22F2FF"),
    # The PBX webhook: signed, never with a user token.
    ("POST", "/api/pbx/events"): (Req(json={}), "UUUUUUU"),
    # Advanced Mobile Location: signed by the sender (or mTLS at the proxy), never a user token.
    ("POST", "/api/aml/https"): (Req(json={}), "UUUUUUU"),
    ("POST", "/api/aml/sms"): (Req(json={}), "UUUUUUU"),
    # WhatsApp and SMS conversations: the webhooks are signed, not signed in; the arranged
    # call is a phone call, so a reply to it is refused on its merits (409).
    ("GET", "/api/webhooks/whatsapp"): (NO, "FFFFFFF"),
    ("POST", "/api/webhooks/whatsapp"): (Req(json={}), "UUUUUUU"),
    ("POST", "/api/webhooks/sms"): (Req(json={}), "UUUUUUU"),
    ("GET", "/api/calls/{call_id:int}/messages"): (NO, "U2222FF"),
    ("POST", "/api/calls/{call_id:int}/messages"): (
        Req(json={"key": "6f1c2b7e-3d2a-4c8e-9b1a-0d5e7f3a2c11", "text": "Halo"}),
        "U4F44FF",
    ),
    ("GET", "/api/calls/{call_id:int}/location"): (NO, "U2222FF"),
    # ---------------------------------------------------------------- teams
    ("PUT", "/api/teams/{team_id:int}/duty"): (Req(json={"on_duty": True}), "U2FF222"),
    ("POST", "/api/teams/{team_id:int}/positions"): (
        Req(json={"lat": -3.99, "lon": 122.51, "accuracy_m": 12}),
        "UFFFFF2",
    ),
    ("GET", "/api/teams/{team_id:int}/candidates"): (NO, "U2FFF2F"),
    ("PUT", "/api/teams/{team_id:int}/members"): (
        Req(json={"user_ids": ["{field_officer_id}"]}),
        "U2FFF2F",
    ),
    # ----------------------------------------------------------------- push
    ("POST", "/api/push/subscriptions"): (Req(json=SUBSCRIPTION), "U222222"),
    # A citizen removes a device with its tracking token; staff remove their own.
    ("DELETE", "/api/push/subscriptions"): (
        Req(json={"endpoint": "http://127.0.0.1:9/send/{unique}"}),
        "N222222",
    ),
    # ---------------------------------------------------- area warnings
    # Supervisors and BPBD's coordinators (the DLHK coordinator is refused by the rule).
    ("GET", "/api/warnings"): (NO, "UF2FFFF"),
    ("POST", "/api/warnings"): (Req(json=WARNING_BODY), "UF2FFFF"),
    ("GET", "/api/warnings/{warning_id:int}"): (
        Req(ids={"warning_id": "{draft_warning_id}"}),
        "UF2FFFF",
    ),
    ("POST", "/api/warnings/{warning_id:int}/approve"): (
        Req(ids={"warning_id": "{draft_warning_id}"}),
        "UF2FFFF",
    ),
    ("POST", "/api/warnings/{warning_id:int}/update"): (Req(json=WARNING_BODY), "UF2FFFF"),
    ("POST", "/api/warnings/{warning_id:int}/cancel"): (
        Req(json={"instruction": {"id": "Aman.", "en": "All clear."}}),
        "UF2FFFF",
    ),
    ("POST", "/api/warnings/{warning_id:int}/withdraw"): (
        Req(ids={"warning_id": "{spare_draft_warning_id}"}),
        "UF2FFFF",
    ),
    ("GET", "/api/public/warnings"): (NO, "2222222"),
    ("GET", "/api/public/warnings/{warning_id:int}"): (NO, "2222222"),
    ("POST", "/api/public/warnings/subscriptions"): (
        Req(
            json={
                **SUBSCRIPTION,
                "endpoint": "http://127.0.0.1:9/warn/{unique}",
                "area_id": "{kecamatan_id}",
            }
        ),
        "2222222",
    ),
    ("DELETE", "/api/public/warnings/subscriptions"): (
        Req(json={"endpoint": WARN_ENDPOINT}),
        "2222222",
    ),
    ("GET", "/api/cap/index.atom"): (NO, "2222222"),
    ("GET", "/api/cap/{file:str}"): (NO, "2222222"),
    # Received CAP alerts: dispatchers, supervisors and BPBD's coordinators read them;
    # supervisors and BPBD's coordinators re-issue one as a draft warning.
    ("GET", "/api/cap/incoming"): (NO, "UF2F2FF"),
    ("POST", "/api/cap/incoming/{alert_id:int}/reissue"): (NO, "UF2FFFF"),
    ("GET", "/api/events"): (NO, "U222222"),
    ("POST", "/api/events/tickets"): (NO, "U222222"),
    # ---------------------------------------------------- citizens (public)
    ("GET", "/api/public/categories"): (NO, "2222222"),
    ("POST", "/api/public/reports"): (
        Req(
            json={
                "category": "SAMPAH_LIAR",
                "description": "Ada tumpukan sampah liar",
                "lat": -3.99,
                "lon": 122.51,
            }
        ),
        "2222222",
    ),
    ("GET", "/api/public/similar"): (
        Req(query={"category": "SAMPAH_LIAR", "lat": "-3.99", "lon": "122.51"}),
        "2222222",
    ),
    # Without the citizen's tracking token a case is not theirs to see or change.
    ("GET", "/api/public/cases/{reference:str}"): (NO, "UUUUUUU"),
    ("POST", "/api/public/cases/{reference:str}/follow"): (Req(json={}), "2222222"),
    ("POST", "/api/public/cases/{reference:str}/rating"): (Req(json={"score": 5}), "UUUUUUU"),
    ("POST", "/api/public/cases/{reference:str}/dispute"): (
        Req(json={"reason": "Belum selesai"}),
        "UUUUUUU",
    ),
    ("POST", "/api/public/cases/{reference:str}/photos"): (Req(files=True), "UUUUUUU"),
    ("GET", "/api/public/photos/{photo_id:uuid}"): (NO, "UUUUUUU"),
    # --------------------------------------------------- Open311 (public API)
    ("GET", "/open311/{name:str}"): (Req(ids={"name": "discovery.json"}), "2222222"),
    ("GET", "/open311/v2/services"): (NO, "2222222"),
    ("GET", "/open311/v2/services/{name:str}"): (Req(ids={"name": "SAMPAH_LIAR.json"}), "2222222"),
    ("GET", "/open311/v2/requests"): (NO, "2222222"),
    ("GET", "/open311/v2/requests/{name:str}"): (Req(ids={"name": "{reference}.json"}), "2222222"),
    ("GET", "/open311/v2/tokens/{name:str}"): (Req(ids={"name": "no-such-token.json"}), "NNNNNNN"),
    ("GET", "/open311/v2/{name:str}"): (Req(ids={"name": "services.json"}), "2222222"),
    # Submitting needs an Open311 API key, whoever is signed in.
    ("POST", "/open311/v2/requests"): (Req(json={}), "FFFFFFF"),
    ("POST", "/open311/v2/{name:str}"): (Req(json={}, ids={"name": "requests.json"}), "FFFFFFF"),
    # ------------------------------------------------------- stats, exports
    # Statistics: admin, supervisor, dispatcher, and coordinators (their agency); call
    # statistics (the control room's own work) not for coordinators.
    ("GET", "/api/stats/cases"): (NO, "U22F22F"),
    ("GET", "/api/stats/calls"): (NO, "U22F2FF"),
    ("GET", "/api/stats/call-clock"): (NO, "U22F2FF"),
    ("GET", "/api/stats/hotspots"): (NO, "U22F22F"),
    ("GET", "/api/stats/monthly"): (NO, "U22F22F"),
    ("GET", "/api/stats/response-times"): (NO, "U22F22F"),
    ("GET", "/api/stats/sla"): (NO, "U22F22F"),
    ("GET", "/api/exports/cases.csv"): (NO, "U22F22F"),
    ("GET", "/api/exports/calls.csv"): (NO, "U22F2FF"),
    ("GET", "/api/exports/monthly.csv"): (NO, "U22F22F"),
    ("GET", "/api/reports/monthly"): (NO, "U22F22F"),
    # Last: signing out ends the session the other rows use.
    ("POST", "/api/auth/logout"): (NO, "U222222"),
}


def app_routes(app: Litestar) -> set[tuple[str, str]]:
    """Every (method, path) the app serves, HEAD and OPTIONS aside."""
    out = set()
    for route in app.routes:
        for method in getattr(route, "methods", ()):
            if method not in {"HEAD", "OPTIONS"}:
                out.add((method, route.path))
    return out


def cell_of(status: int) -> str:
    if status < 400:
        return "2"
    return {401: "U", 403: "F", 404: "N"}.get(status, "4" if status < 500 else "5")


def fill(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
            return ids[value[1:-1]]  # a whole placeholder keeps its type (ids are ints)
        return value.format(**ids) if "{" in value else value
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    return value


def concrete(path: str, ids: dict[str, Any]) -> str:
    """``/api/cases/{case_id:uuid}`` -> ``/api/cases/<id>`` (type suffixes dropped)."""
    out = path
    while "{" in out:
        start = out.index("{")
        end = out.index("}", start)
        name = out[start + 1 : end].split(":")[0]
        out = out[:start] + str(ids.get(name, "x")) + out[end + 1 :]
    return out


async def arrange(db: AsyncSession, client: AsyncTestClient[Litestar]) -> dict[str, Any]:
    """The state every role's run starts from; returns the ids the table refers to."""
    dlhk = await agency_by_code(db, "DLHK")
    damkar = await agency_by_code(db, "DAMKARMAT")
    team = (await db.execute(select(Team).where(Team.name == "TRC DLHK 1"))).scalar_one()
    other_team = (await db.execute(select(Team).where(Team.name == "TRC DLHK 2"))).scalar_one()
    category = await category_by_code(db, "SAMPAH_LIAR")
    case = await make_case(db, category=category, team=team, status="dispatched")
    parent = await make_case(db, category=category)
    assign_case = await make_case(db, category=category)
    transfer_case = await make_case(db, category=category)
    merge_case = await make_case(db, category=category)
    unused_agency = await make_agency(db)
    rule_area = await make_area(db, lat=-3.97, lon=122.55)
    damkar_case = await make_case(db, category=await category_by_code(db, "KEBAKARAN_BANGUNAN"))
    # Throwaways for the admin routes to change and delete.
    agency = await make_agency(db)
    throwaway_category = await make_category(db, agency_id=agency.id)
    area = await make_area(db)
    spare_team = await make_team(db, agency_id=agency.id)
    user = await make_user(db, role="operator")
    rule = RoutingRule(area_id=rule_area.id, agency_id=dlhk.id)
    db.add(rule)
    call = Call(number="+6281234567890", channel="phone", started_at=case.created_at, notes="")
    db.add(call)
    await db.commit()
    admin = await login(client, "admin")
    r = await client.post("/api/admin/open311-keys", json={"name": "Throwaway"}, headers=admin)
    assert r.status_code == 201, r.text
    key_id = r.json()["id"]
    r = await client.post(
        f"/api/cases/{case.id}/photos",
        headers=admin,
        files=[("files", ("a.jpg", images.jpeg(), "image/jpeg"))],
    )
    assert r.status_code == 201, r.text
    photo_id = r.json()["photos"][0]["id"]
    await client.post("/api/auth/logout", headers=admin)
    neighbours = (await db.execute(select(NeighbourArea.id).order_by(NeighbourArea.id))).scalars()
    neighbour_id, spare_neighbour_id = neighbours.all()[:2]
    warnings = await arrange_warnings(db)
    return {
        **warnings,
        "neighbour_id": neighbour_id,
        "spare_neighbour_id": spare_neighbour_id,
        "case_id": case.id,
        "case_version": case.version,
        "parent_case_id": str(parent.id),
        "assign_case_id": assign_case.id,
        "transfer_case_id": transfer_case.id,
        "merge_case_id": merge_case.id,
        "unused_agency_id": unused_agency.id,
        "rule_area_id": rule_area.id,
        "damkar_case_id": damkar_case.id,
        "reference": case.reference,
        "team_id": team.id,
        "spare_team_id": spare_team.id,
        "other_dlhk_team_id": other_team.id,
        "dlhk_agency_id": dlhk.id,
        "damkar_agency_id": damkar.id,
        "dlhk_category_id": category.id,
        "agency_id": agency.id,
        "category_id": throwaway_category.id,
        "area_id": area.id,
        "place_id": (await db.execute(select(Place.id).limit(1))).scalar_one(),
        "user_id": user.id,
        "rule_id": rule.id,
        "call_id": call.id,
        "photo_id": photo_id,
        "key_id": key_id,
        "field_officer_id": (await user_by_name(db, "petugas.dlhk")).id,
        "name": "services.json",
        "path": "tasks",
        "unique": uuid.uuid4().hex,
    }


async def arrange_warnings(db: AsyncSession) -> dict[str, Any]:
    """A published warning (to read, update and cancel) and two drafts by the admin (to
    approve and to withdraw), over Mandonga."""
    mandonga = (await db.execute(select(Area).where(Area.name == "Mandonga"))).scalar_one()
    admin = await user_by_name(db, "admin")
    now = datetime.now(UTC)

    def warning(**kw: Any) -> AreaWarning:
        return AreaWarning(
            msg_type="Alert", category="Met", event_id="Banjir", event_en="Flood",
            severity="Severe", urgency="Expected", certainty="Likely", headline_id="Banjir",
            headline_en="Flood", instruction_id="Jauhi sungai.", instruction_en="Keep away.",
            area="SRID=4326;MULTIPOLYGON(((122.50 -3.97,122.51 -3.97,122.51 -3.96,122.50 -3.97)))",
            area_ids=[mandonga.id], area_desc="Mandonga", expires_at=now + timedelta(hours=6),
            drafted_by=admin.id, drafted_at=now, cap_references="", **kw,
        )  # fmt: skip

    published = warning(status="published", published_at=now)
    drafts = [warning(status="draft"), warning(status="draft")]
    received = IncomingCapAlert(
        identifier="nowcast-1", sender="bmkg.go.id", sent=now, msg_type="Alert",
        cancelled=False, category="Met", event="Hujan Lebat", severity="Severe",
        urgency="Immediate", certainty="Likely", headline="Hujan lebat", description="",
        instruction="", language="id-ID", expires_at=now + timedelta(hours=6),
        area="SRID=4326;MULTIPOLYGON(((122.50 -3.97,122.51 -3.97,122.51 -3.96,122.50 -3.97)))",
    )  # fmt: skip
    db.add_all([published, *drafts, received])
    await db.commit()
    return {
        "kecamatan_id": mandonga.id,
        "warning_expires": (now + timedelta(hours=6)).isoformat(),
        "warning_id": published.id,
        "draft_warning_id": drafts[0].id,
        "spare_draft_warning_id": drafts[1].id,
        "alert_id": received.id,
        "file": f"{published.id}.xml",
    }


EVENTS = ("GET", "/api/events")
ACCESS_TOKEN_S = 15 * 60  # Settings.access_token_minutes

# Team ids in admin rows point at the throwaway team (its agency is not DLHK's).
ADMIN_TEAM_ROWS = {
    ("GET", "/api/admin/teams/{team_id:int}"),
    ("PATCH", "/api/admin/teams/{team_id:int}"),
    ("DELETE", "/api/admin/teams/{team_id:int}"),
    ("PUT", "/api/admin/teams/{team_id:int}/members"),
}


def test_every_route_has_a_row_and_every_row_a_route(make_app: Callable[..., Litestar]) -> None:
    served = app_routes(make_app())
    missing = sorted(served - MATRIX.keys())
    stale = sorted(MATRIX.keys() - served)
    assert not missing, f"routes with no row in MATRIX (add them): {missing}"
    assert not stale, f"rows for routes the app no longer serves: {stale}"
    assert all(len(cells) == len(ROLES) for _, cells in MATRIX.values())


def test_the_admin_console_api_is_for_admins_only(make_app: Callable[..., Litestar]) -> None:
    """Every route of the console's API (all of ``/api/admin/...``, the audit record and the
    routing preview included) answers 401 to the anonymous, 2xx to the admin and 403 to every
    other role: a row for a new admin route cannot open it wider unnoticed."""
    served = {r for r in app_routes(make_app()) if r[1].startswith("/api/admin/")}
    assert {("GET", "/api/admin/audit"), ("POST", "/api/admin/routing-rules/preview")} <= served
    wider = {f"{m} {p}": MATRIX.get((m, p), (NO, "no row"))[1] for m, p in served}
    assert {r: cells for r, cells in wider.items() if cells != "U2FFFFF"} == {}


@pytest.mark.parametrize("role", list(ROLES))
async def test_each_role_gets_exactly_the_access_the_matrix_grants(
    role: str, make_app: Callable[..., Litestar], db: AsyncSession, clock: Clock
) -> None:
    column = list(ROLES).index(role)
    app = make_app(push_allow_http=True, push_allowed_hosts=("127.0.0.1",))
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as client:
        ids = await arrange(db, client)
        headers = {} if ROLES[role] is None else await login(client, str(ROLES[role]))
        wrong = []
        for (method, path), (req, cells) in MATRIX.items():
            local = dict(ids)
            if (method, path) in ADMIN_TEAM_ROWS:
                local["team_id"] = ids["spare_team_id"]
            local.update({k: fill(v, ids) for k, v in req.ids.items()})
            url = concrete(path, local)
            kwargs: dict[str, Any] = {
                "headers": {**headers, **fill(req.headers, local)},
                "params": fill(req.query, local),
            }
            if req.files:
                kwargs["files"] = [("files", ("a.jpg", images.jpeg(seed=7), "image/jpeg"))]
            elif req.json is not None:
                kwargs["json"] = fill(req.json, local)
            if (method, path) == EVENTS:
                # A live stream ends when its token does: let this one have a second left.
                saved = clock.now
                clock.advance(seconds=ACCESS_TOKEN_S - 1)
                r = await client.request(method, url, **kwargs)
                clock.now = saved
            else:
                r = await client.request(method, url, **kwargs)
            got = cell_of(r.status_code)
            expected = cells[column]
            if got != expected:
                wrong.append(
                    f"{method} {path}: expected {expected}, got {r.status_code} {r.text[:160]}"
                )
        assert not wrong, f"{role}:\n" + "\n".join(wrong)
