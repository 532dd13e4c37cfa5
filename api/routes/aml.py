"""Advanced Mobile Location: the HTTPS endpoint handsets' data reaches, the SMS gateway's
webhook, and a call's AML location for the intake screen."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.datastructures import State
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, HeaderParameter

from api.auth import requires_roles
from api.domain.aml import AmlMessage
from api.domain.vocabulary import CALL_LOG_ROLES
from api.errors import AppError, BadRequest
from api.routes.deps import Cfg, Db, Now
from api.services import aml as svc
from api.services import caller_locations as locations
from api.services.caller_locations import AmlAck, CallLocationOut

# A handset's form post is a few hundred bytes, an SMS at most 160 characters.
AML_BODY_LIMIT = 4 * 1024
Timestamp = Annotated[str, HeaderParameter(name="X-Tanggap-Timestamp")]
Signature = Annotated[str, HeaderParameter(name="X-Tanggap-Signature")]


class SmsIn(msgspec.Struct):
    """An inbound SMS as the gateway delivers it: the sender's number and the text. Other
    fields a gateway adds (its message id, times) are ignored: only the text is AML."""

    sender: Annotated[str, msgspec.Meta(min_length=1, max_length=32)] = msgspec.field(name="from")
    text: Annotated[str, msgspec.Meta(max_length=1000)]


_SMS = msgspec.json.Decoder(SmsIn)


def _sms_message(body: bytes, now: datetime) -> tuple[str, AmlMessage]:
    try:
        sms = _SMS.decode(body)
    except msgspec.MsgspecError as exc:  # not JSON, or not the gateway's {"from", "text"}
        raise BadRequest("validation_failed", extra={"errors": [{"message": str(exc)}]}) from None
    return svc.read_sms(sms.sender, sms.text, now)


def _https_message(body: bytes, now: datetime) -> tuple[str, AmlMessage]:
    message = svc.read_https(body, now)
    assert message.number is not None  # the form's device_number is required
    return message.number, message


Reader = Callable[[bytes, datetime], tuple[str, AmlMessage]]


def _endpoint(channel: str, summary: str, description: str, read: Reader) -> HTTPRouteHandler:
    """``POST /api/aml/{channel}``: authenticate the sender, read the message strictly, keep
    its fix. One handler shape for both ways in; only the reader differs."""

    async def receive(
        request: Request[Any, Any, Any],
        db: Db,
        settings: Cfg,
        now: Now,
        timestamp: Timestamp = "",
        signature: Signature = "",
    ) -> AmlAck:
        if (request.content_length or 0) > AML_BODY_LIMIT:
            raise AppError("body_too_large", 413)
        body = await request.body()
        state: State = request.app.state
        await svc.authenticate(
            db,
            settings,
            state.aml_secret,
            timestamp=timestamp,
            signature=signature,
            proxy_subject=request.headers.get(settings.aml_proxy_header, ""),
            body=body,
            now=now,
        )
        number, message = read(body, now)
        key = state.aml_identifier_key
        return await locations.record(
            db, settings, key, number=number, fix=message.fix, channel=channel, now=now
        )

    return post(
        f"/api/aml/{channel}",
        tags=["aml"],
        status_code=200,
        summary=summary,
        description=description,
        operation_id=f"aml_{channel}",
        name=f"aml_{channel}",
        request_max_body_size=AML_BODY_LIMIT,
    )(receive)


aml_https = _endpoint(
    "https",
    "AML over HTTPS (ETSI TS 103 625 form post); signed like the PBX webhook, or mTLS",
    "The form body as the standard defines it; ``device_number`` names the caller.",
    _https_message,
)
aml_sms = _endpoint(
    "sms",
    'AML over SMS: the gateway posts {"from", "text"} with the A"ML=1;... body',
    'JSON ``{"from": sender number, "text": SMS body}``, signed over the raw body.',
    _sms_message,
)


@get(
    "/api/calls/{call_id:int}/location",
    tags=["calls"],
    summary="A call's AML location: the best recent fix and how many fixes came",
    guards=[requires_roles(*CALL_LOG_ROLES)],
)
async def call_location(db: Db, call_id: FromPath[int]) -> CallLocationOut:
    return await locations.call_location(db, call_id)


HANDLERS = [aml_https, aml_sms, call_location]
