"""The caller's tracking code by SMS: its status on a case, and the operator's "send" (the
intake screen's created step). The use cases are in :mod:`api.services.sms`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody

from api.auth import requires_login, requires_roles
from api.domain.vocabulary import INTAKE_ROLES
from api.routes.deps import Cfg, CurrentUser, Db, Now
from api.services import sms as service
from api.services.idempotency import idempotent


class CallerSmsIn(msgspec.Struct, forbid_unknown_fields=True):
    """The language the caller gets the message in (Indonesian unless chosen)."""

    language: Literal["id", "en"] = "id"


class CallerSmsOut(msgspec.Struct):
    """``available`` false: no SMS gateway is set up, or the case has no caller number.
    ``status`` null: nothing was sent yet; ``pending`` (queued, or waiting to try again),
    ``sent`` or ``failed`` (given up after ``attempts`` tries; sending again queues it anew).
    Never the number."""

    available: bool
    status: Literal["pending", "sent", "failed"] | None = None
    language: Literal["id", "en"] | None = None
    attempts: int = 0
    last_error: str = ""
    requested_at: datetime | None = None
    sent_at: datetime | None = None


def sms_out(found: service.CallerSms) -> CallerSmsOut:
    m = found.message
    if m is None:
        return CallerSmsOut(found.available)
    return CallerSmsOut(
        found.available,
        m.status,  # type: ignore[arg-type]
        m.language,  # type: ignore[arg-type]
        m.attempts,
        m.last_error,
        m.created_at,
        m.sent_at,
    )


class CallerSmsController(Controller):
    path = "/api/cases/{case_id:uuid}/caller-sms"
    tags = ["cases"]
    guards = [requires_login]

    @get("/", summary="The caller's tracking-code SMS: whether it can be sent, and its status")
    async def status(
        self, db: Db, settings: Cfg, principal: CurrentUser, case_id: FromPath[uuid.UUID]
    ) -> CallerSmsOut:
        return sms_out(await service.caller_sms(db, settings, principal, case_id))

    @post(
        "/",
        summary="Send the caller the tracking code by SMS, once (Idempotency-Key honoured)",
        status_code=202,
        guards=[requires_roles(*INTAKE_ROLES)],
    )
    async def send(
        self,
        db: Db,
        settings: Cfg,
        principal: CurrentUser,
        now: Now,
        request: Request[Any, Any, Any],
        case_id: FromPath[uuid.UUID],
        data: JSONBody[CallerSmsIn],
    ) -> CallerSmsOut:
        """Queued for the worker; a second request (a repeated click, a retry) gets the same
        message back and sends nothing more. 409 without a gateway or a caller number."""

        async def run() -> CallerSmsOut:
            found = await service.send_tracking_code(
                db, settings, principal, case_id, data.language, now
            )
            return sms_out(found)

        async def current(_: CallerSmsOut) -> CallerSmsOut:
            return sms_out(await service.caller_sms(db, settings, principal, case_id))

        return await idempotent(request, db, principal.user_id, CallerSmsOut, run, restore=current)
