"""The operator's call log, caller history, prank flags, and the signed PBX webhook."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter

from api.auth import requires_roles
from api.domain.call_clock import PbxEventKind
from api.domain.vocabulary import CALL_LOG_ROLES, CallClass
from api.errors import AppError, BadRequest, Forbidden, Unauthorized
from api.routes.deps import Cfg, CurrentUser, Db, Now
from api.routes.params import Lat, Lon
from api.services import calls as svc
from api.services.calls import CallOut, FlaggedOut, HistoryOut
from api.services.results import result

Phone = Annotated[str, msgspec.Meta(max_length=32)]
# A caller's number is personal data: it travels in a header, never in a URL (proxy logs,
# browser history); ``?number=`` is refused with the other credentials (api/middleware.py).
CallerNumber = Annotated[
    str | None, HeaderParameter(name="X-Caller-Number", required=False, max_length=32)
]


class CallIn(msgspec.Struct, forbid_unknown_fields=True):
    number: Phone | None = None
    channel: Literal["phone", "walk_in", "social", "app"] = "phone"
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_s: Annotated[int, msgspec.Meta(ge=0, le=86_400)] | None = None
    call_class: CallClass | None = msgspec.field(default=None, name="class")
    notes: Annotated[str, msgspec.Meta(max_length=4000)] = ""
    lat: Lat | None = None
    lon: Lon | None = None
    location_source: Literal["caller", "network", "aml"] | None = None


class CallPatch(msgspec.Struct, forbid_unknown_fields=True):
    call_class: CallClass | None = msgspec.field(default=None, name="class")
    notes: Annotated[str, msgspec.Meta(max_length=4000)] | None = None
    ended_at: datetime | None = None
    duration_s: Annotated[int, msgspec.Meta(ge=0, le=86_400)] | None = None


class CallController(Controller):
    path = "/api/calls"
    tags = ["calls"]
    guards = [requires_roles(*CALL_LOG_ROLES)]

    @post(
        "/",
        summary="Log a call; a call under 10 s with nothing said is classed ghost",
        status_code=201,
    )
    async def log_call(
        self, db: Db, principal: CurrentUser, now: Now, data: JSONBody[CallIn]
    ) -> CallOut:
        started = data.started_at or now
        if started > now:
            raise BadRequest("call_in_future")
        fields = msgspec.structs.asdict(data) | {"started_at": started}
        call = await svc.log_call(db, svc.CallIn(**fields), principal.user_id)
        return result(CallOut, call)

    @patch("/{call_id:int}", summary="Classify a call, add notes, or close it")
    async def update_call(
        self,
        db: Db,
        principal: CurrentUser,
        now: Now,
        call_id: FromPath[int],
        data: JSONBody[CallPatch],
    ) -> CallOut:
        """Classifying a call ends its wrap-up on the call-answer clock (docs/call-clock.md)."""
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
        call = await svc.update_call(
            db, call_id, changes=changes, operator_id=principal.user_id, now=now
        )
        return result(CallOut, call)

    @get("/", summary="Recent calls, newest first")
    async def list_calls(
        self,
        db: Db,
        call_class: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        x_caller_number: CallerNumber = None,
    ) -> list[CallOut]:
        """Newest first; only one number's calls with the ``X-Caller-Number`` header."""
        return await svc.recent_calls(db, limit, raw_number=x_caller_number, call_class=call_class)

    @get("/history", summary="A number's earlier calls and cases, with its prank count and flag")
    async def history(
        self, db: Db, settings: Cfg, now: Now, x_caller_number: CallerNumber = None
    ) -> HistoryOut:
        """The number comes in the ``X-Caller-Number`` header."""
        number = (x_caller_number or "").strip()
        if not number:
            raise BadRequest("caller_number_required")
        return await svc.history(db, settings, number, now)


@get(
    "/api/calls/flagged-numbers",
    tags=["calls"],
    summary="Numbers flagged for repeated prank calls (for the PBX to block); signed or staff",
)
async def flagged_numbers(
    db: Db,
    settings: Cfg,
    now: Now,
    state: State,
    request: Request[Any, Any, Any],
    timestamp: Annotated[str | None, HeaderParameter(name="X-Tanggap-Timestamp")] = None,
    signature: Annotated[str | None, HeaderParameter(name="X-Tanggap-Signature")] = None,
) -> list[FlaggedOut]:
    user = request.scope.get("user")
    if signature is not None and timestamp is not None:
        svc.verify_signed_read(
            settings, state.pbx_secret, timestamp=timestamp, signature=signature, now=now
        )
    elif user is None:
        raise Unauthorized()
    elif user.role not in CALL_LOG_ROLES:
        raise Forbidden()
    return await svc.flagged_numbers(db, settings, now)


class PbxEvent(msgspec.Struct, forbid_unknown_fields=True):
    event: PbxEventKind
    call_id: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    at: datetime
    number: Phone | None = None
    duration_s: Annotated[int, msgspec.Meta(ge=0, le=86_400)] | None = None
    lat: Lat | None = None
    lon: Lon | None = None
    accuracy_m: Annotated[float, msgspec.Meta(ge=0)] | None = None
    source: Literal["aml", "network", "caller"] | None = None
    # On call.answered: the agent who took the call, as the PBX names it (the Tanggap username).
    operator: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None


# One call event is a few hundred bytes.
PBX_BODY_LIMIT = 16 * 1024


class PbxAck(msgspec.Struct):
    call: CallOut


async def signed_body(
    request: Request[Any, Any, Any],
    db: Db,
    settings: Cfg,
    secret: str,
    limit: int,
    timestamp: str,
    signature: str,
    now: datetime,
    scope: str = "pbx",
) -> bytes:
    """The body of a request signed with the PBX's scheme, once checked: refused before a byte
    is read when oversized or unsigned, then by signature, age and replay."""
    if (request.content_length or 0) > limit:
        raise AppError("body_too_large", 413)
    if not timestamp.strip() or not signature.strip():
        raise Unauthorized("webhook_signature_invalid")
    body = await request.body()
    await svc.verify_webhook(
        db,
        settings,
        secret,
        timestamp=timestamp,
        signature=signature,
        body=body,
        now=now,
        scope=scope,
    )
    return body


@post(
    "/api/pbx/events",
    tags=["calls"],
    status_code=200,
    summary="PBX webhook: call started (ringing), answered, transferred, ended, abandoned, "
    "wrap-up ended, location. Headers X-Tanggap-Timestamp and "
    "X-Tanggap-Signature = hex HMAC-SHA256(secret, timestamp + '.' + body)",
    request_max_body_size=PBX_BODY_LIMIT,
)
async def pbx_webhook(
    db: Db,
    settings: Cfg,
    now: Now,
    state: State,
    request: Request[Any, Any, Any],
    timestamp: Annotated[str, HeaderParameter(name="X-Tanggap-Timestamp")] = "",
    signature: Annotated[str, HeaderParameter(name="X-Tanggap-Signature")] = "",
) -> PbxAck:
    # Refused before a byte of the body is read: an oversized announcement, then a request
    # with no signature at all (the body is read only to check a signature that is there).
    body = await signed_body(
        request, db, settings, state.pbx_secret, PBX_BODY_LIMIT, timestamp, signature, now
    )
    try:
        event = msgspec.json.decode(body, type=PbxEvent)
    except msgspec.ValidationError as exc:
        raise BadRequest("validation_failed", extra={"errors": [{"message": str(exc)}]}) from None
    except msgspec.DecodeError:
        raise BadRequest("validation_failed") from None
    fields = msgspec.structs.asdict(event) | {"number": svc.phone_or_400(event.number)}
    call = await svc.pbx_event(db, **fields)
    return PbxAck(result(CallOut, call))
