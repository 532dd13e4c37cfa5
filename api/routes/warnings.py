"""Area warnings over HTTP.

Staff (supervisors and BPBD coordinators) draft, approve, update, cancel and withdraw warnings
under ``/api/warnings``; the approval must come from a second person. Citizens read the warnings
in force and ask for a kecamatan's warnings on their device under ``/api/public/warnings``,
without an account. ``/api/cap`` publishes every message as CAP 1.2, with an Atom index. The use
cases are in :mod:`api.services.warnings`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromPath, JSONBody

from api.auth import requires_roles
from api.domain.warnings import CapCategory, Certainty, Severity, Urgency
from api.errors import NotFound
from api.routes.deps import Cfg, CurrentUser, Db, Now, ReadDb, client_ip, post_ok
from api.routes.params import Id
from api.routes.push import SubscriptionKeys
from api.services import push as push_service
from api.services import warnings as service
from api.services.warnings import StaffWarningView, WarningView

__all__ = ["HANDLERS"]

Headline = Annotated[str, msgspec.Meta(min_length=1, max_length=160)]
Instruction = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
CAP_MEDIA_TYPE = "application/cap+xml"
ATOM_MEDIA_TYPE = "application/atom+xml"
_ALERT_FILE = re.compile(r"^([1-9][0-9]{0,9})\.xml$")


class Words(msgspec.Struct, forbid_unknown_fields=True):
    """A headline or an event name, in both languages."""

    id: Headline
    en: Headline


class Instructions(msgspec.Struct, forbid_unknown_fields=True):
    """What people should do, in both languages."""

    id: Instruction
    en: Instruction


class WarningIn(msgspec.Struct, forbid_unknown_fields=True):
    """A warning as drafted. The area is either ``area_ids`` (kecamatan picked from the areas
    list) or ``polygon`` (a GeoJSON Polygon or MultiPolygon drawn on the map), not both."""

    category: CapCategory
    event: Words
    severity: Severity
    urgency: Urgency
    certainty: Certainty
    headline: Words
    instruction: Instructions
    expires_at: Annotated[datetime, msgspec.Meta(tz=True)]
    area_ids: Annotated[list[Id], msgspec.Meta(max_length=20)] = []
    polygon: dict[str, Any] | None = None

    def draft(self) -> service.Draft:
        return service.Draft(
            self.category,
            msgspec.to_builtins(self.event),
            self.severity,
            self.urgency,
            self.certainty,
            msgspec.to_builtins(self.headline),
            msgspec.to_builtins(self.instruction),
            self.expires_at,
            list(self.area_ids),
            self.polygon,
        )


class CancelIn(msgspec.Struct, forbid_unknown_fields=True):
    """The all-clear words people read when the warning is cancelled."""

    instruction: Instructions


class WarningController(Controller):
    path = "/api/warnings"
    tags = ["warnings"]
    guards = [requires_roles("supervisor", "coordinator")]

    @get("/", summary="Drafts awaiting approval and warnings in force")
    async def list_warnings(self, db: Db, principal: CurrentUser) -> list[StaffWarningView]:
        return await service.staff_list(db, principal)

    @get("/{warning_id:int}", summary="One warning in any state, with who drafted it")
    async def one(
        self, db: Db, principal: CurrentUser, warning_id: FromPath[Id]
    ) -> StaffWarningView:
        return await service.staff_one(db, principal, warning_id)

    @post("/", summary="Draft a warning (a second person approves it)")
    async def draft(
        self, db: Db, settings: Cfg, principal: CurrentUser, now: Now, data: JSONBody[WarningIn]
    ) -> WarningView:
        """Supervisors and BPBD coordinators. Nothing is sent until another of them approves."""
        return await service.draft(db, settings, principal, data.draft(), now)

    @post_ok("/{warning_id:int}/approve", summary="Approve a draft: publish and push it")
    async def approve(
        self, db: Db, settings: Cfg, principal: CurrentUser, now: Now, warning_id: FromPath[Id]
    ) -> WarningView:
        """The drafter never approves their own warning (403 ``warning_self_approval``)."""
        return await service.approve(db, settings, principal, warning_id, now)

    @post("/{warning_id:int}/update", summary="Draft an update of a published warning")
    async def update(
        self,
        db: Db,
        settings: Cfg,
        principal: CurrentUser,
        now: Now,
        warning_id: FromPath[Id],
        data: JSONBody[WarningIn],
    ) -> WarningView:
        return await service.draft_update(db, settings, principal, warning_id, data.draft(), now)

    @post("/{warning_id:int}/cancel", summary="Draft the cancellation of a published warning")
    async def cancel(
        self,
        db: Db,
        settings: Cfg,
        principal: CurrentUser,
        now: Now,
        warning_id: FromPath[Id],
        data: JSONBody[CancelIn],
    ) -> WarningView:
        words = msgspec.to_builtins(data.instruction)
        return await service.draft_cancel(db, settings, principal, warning_id, words, now)

    @post_ok("/{warning_id:int}/withdraw", summary="Withdraw a draft nobody approved")
    async def withdraw(
        self, db: Db, principal: CurrentUser, now: Now, warning_id: FromPath[Id]
    ) -> WarningView:
        return await service.withdraw(db, principal, warning_id, now)


# ------------------------------------------------------------------ citizens
class WarningSubscriptionIn(msgspec.Struct, forbid_unknown_fields=True):
    """``PushSubscription.toJSON()`` from the browser, and the kecamatan to hear warnings of."""

    endpoint: Annotated[str, msgspec.Meta(min_length=10, max_length=2000)]
    keys: SubscriptionKeys
    area_id: Id
    expirationTime: int | None = None  # the browser's own field name
    language: Literal["id", "en"] | None = None


class WarningUnsubscribeIn(msgspec.Struct, forbid_unknown_fields=True):
    endpoint: Annotated[str, msgspec.Meta(min_length=10, max_length=2000)]


class WarningSubscribedOut(msgspec.Struct):
    area_id: int
    owner: Literal["citizen"]


class PublicWarningController(Controller):
    path = "/api/public/warnings"
    tags = ["citizens"]
    security = [{}]  # no account needed

    @get("/", summary="Warnings in force, with their areas")
    async def in_force(self, read_db: ReadDb, now: Now) -> list[WarningView]:
        return await service.active(read_db, now)

    @get("/{warning_id:int}", summary="One published warning (or its update or cancellation)")
    async def one(self, read_db: ReadDb, warning_id: FromPath[Id]) -> WarningView:
        return await service.public_one(read_db, warning_id)

    @post("/subscriptions", summary="Notify this device of warnings for a kecamatan")
    async def subscribe(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        settings: Cfg,
        now: Now,
        data: JSONBody[WarningSubscriptionIn],
    ) -> WarningSubscribedOut:
        """No account: the device's push subscription and the kecamatan. Asking again moves the
        device to another kecamatan. Rate-limited per address."""
        device = push_service.Device(
            endpoint=data.endpoint,
            p256dh=data.keys.p256dh,
            auth=data.keys.auth,
            user_agent=request.headers.get("user-agent", ""),
            tracking_token=None,
            language=data.language,
        )
        owner = await service.subscribe(
            db, settings, device, data.area_id, ip=client_ip(request), now=now
        )
        return WarningSubscribedOut(data.area_id, owner)

    @delete("/subscriptions", summary="Stop warnings to this device", status_code=204)
    async def unsubscribe(self, db: Db, data: JSONBody[WarningUnsubscribeIn]) -> None:
        await service.unsubscribe(db, data.endpoint)


# ------------------------------------------------------------------ CAP
class CapController(Controller):
    path = "/api/cap"
    tags = ["warnings"]
    security = [{}]

    @get(
        "/index.atom",
        summary="Atom index of the published CAP 1.2 messages",
        media_type=ATOM_MEDIA_TYPE,
    )
    async def index(
        self, request: Request[Any, Any, Any], read_db: ReadDb, settings: Cfg
    ) -> Response[bytes]:
        base = settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")
        body = await service.cap_index(read_db, settings, base)
        return Response(body, media_type=ATOM_MEDIA_TYPE)

    @get(
        "/{file:str}",
        summary="One published warning as CAP 1.2 (`<id>.xml`)",
        media_type=CAP_MEDIA_TYPE,
    )
    async def alert(self, read_db: ReadDb, settings: Cfg, file: FromPath[str]) -> Response[bytes]:
        found = _ALERT_FILE.match(file)
        if found is None or int(found.group(1)) > 2_147_483_647:
            raise NotFound("warning_not_found")
        body = await service.cap_document(read_db, settings, int(found.group(1)))
        return Response(body, media_type=CAP_MEDIA_TYPE)


HANDLERS = [WarningController, PublicWarningController, CapController]
