"""WhatsApp and SMS conversations: the WhatsApp Cloud API webhook (its GET challenge and its
signed POSTs), the SMS gateway's inbound webhook, and the operator's side on the intake screen
(the messages of a call, a reply, the tracking-code template). docs/conversations.md."""

from __future__ import annotations

import hmac
import uuid
from datetime import datetime
from functools import partial
from typing import Annotated, Any, Literal

import msgspec
from litestar import MediaType, Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter

from api.adapters.storage import Storage
from api.auth import requires_roles
from api.domain.conversations import Inbound
from api.domain.vocabulary import CALL_LOG_ROLES, INTAKE_ROLES
from api.errors import AppError, BadRequest, Forbidden, Unauthorized
from api.routes.aml import Signature, Timestamp
from api.routes.calls import signed_body
from api.routes.deps import Cfg, CurrentUser, Db, Now
from api.services import calls as call_service
from api.services import conversations as svc

# The Cloud API batches; a few messages' JSON is far below this.
WEBHOOK_BODY_LIMIT = 256 * 1024


class WebhookAck(msgspec.Struct):
    calls: list[int]
    messages: int
    statuses: int


class MessageOut(msgspec.Struct):
    """One message of a conversation. Outbound ``status``: pending, sent, delivered, read or
    failed (``last_error`` then says why). Never the number."""

    id: int
    direction: Literal["in", "out"]
    kind: Literal["text", "location", "image", "template"]
    body: str
    status: str
    has_photo: bool
    language: str
    attempts: int
    last_error: str
    created_at: datetime
    status_at: datetime | None


class ReplyIn(msgspec.Struct, forbid_unknown_fields=True):
    """A text, or a template. ``key``: made by the screen once per message; a retry with the
    same key sends nothing more. A template goes out once per call whatever the key."""

    key: uuid.UUID
    text: Annotated[str, msgspec.Meta(max_length=4096)] = ""
    template: Literal["tracking_code"] | None = None
    language: Literal["id", "en"] = "id"


def out(m: Any) -> MessageOut:
    return MessageOut(
        m.id,
        m.direction,
        m.kind,
        m.body,
        m.status,
        m.media_key is not None,
        m.language,
        m.attempts,
        m.last_error,
        m.created_at,
        m.status_at,
    )


WHATSAPP_SUMMARY = "WhatsApp Cloud API messages and statuses, signed with X-Hub-Signature-256"
#: A provider's webhook: answered 200, the body capped.
webhook = partial(
    post, tags=["conversations"], status_code=200, request_max_body_size=WEBHOOK_BODY_LIMIT
)


def _too_large(request: Request[Any, Any, Any]) -> None:
    if (request.content_length or 0) > WEBHOOK_BODY_LIMIT:
        raise AppError("body_too_large", 413)


@get(
    "/api/webhooks/whatsapp",
    tags=["conversations"],
    summary="WhatsApp webhook verification: echo hub.challenge when hub.verify_token matches",
    media_type=MediaType.TEXT,
)
async def whatsapp_verify(
    state: State,
    mode: Annotated[str, QueryParameter(name="hub.mode")] = "",
    token: Annotated[str, QueryParameter(name="hub.verify_token")] = "",
    challenge: Annotated[str, QueryParameter(name="hub.challenge", max_length=200)] = "",
) -> str:
    expected: str = state.whatsapp_verify_token
    if mode != "subscribe" or not hmac.compare_digest(token.encode(), expected.encode()):
        raise Forbidden("webhook_verify_token_invalid")
    if not challenge:
        raise BadRequest("validation_failed")
    return challenge


@webhook("/api/webhooks/whatsapp", summary=WHATSAPP_SUMMARY)
async def whatsapp_webhook(
    request: Request[Any, Any, Any],
    db: Db,
    settings: Cfg,
    now: Now,
    signature: Annotated[str, HeaderParameter(name="X-Hub-Signature-256")] = "",
) -> WebhookAck:
    """401 on a missing or wrong signature, 409 on a body already received, 400 on anything
    that is not a WhatsApp messages payload: in each case nothing changes."""
    state: State = request.app.state
    storage: Storage = state.storage
    _too_large(request)
    if not signature.strip():
        raise Unauthorized("webhook_signature_invalid")
    body = await request.body()
    replay_key = await svc.verify_whatsapp(db, state.whatsapp_secret, signature, body)
    hook = svc.read_whatsapp(body)
    for m in hook.messages:  # numbers checked before anything is fetched or kept
        call_service.phone_or_400("+" + m.sender.lstrip("+"))
    images = await svc.fetch_images(db, state.whatsapp, storage, settings, hook.messages)
    await svc.remember_body(db, replay_key)
    calls = await svc.receive(db, settings, "whatsapp", hook.messages, images, now)
    if images:
        await svc.attach_to_cases(db, storage, settings, calls, now)
    moved = await svc.record_statuses(db, "whatsapp", hook.statuses, now)
    return WebhookAck(calls, len(hook.messages), moved)


class SmsInboundIn(msgspec.Struct):
    """An inbound SMS as the gateway delivers it: its message id, the sender and the text."""

    id: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    sender: Annotated[str, msgspec.Meta(min_length=3, max_length=32)] = msgspec.field(name="from")
    text: Annotated[str, msgspec.Meta(max_length=1600)]


@webhook(
    "/api/webhooks/sms",
    summary='Inbound SMS from the gateway: {"id", "from", "text"}, signed like the PBX webhook',
)
async def sms_webhook(
    db: Db,
    settings: Cfg,
    now: Now,
    state: State,
    request: Request[Any, Any, Any],
    timestamp: Timestamp = "",
    signature: Signature = "",
) -> WebhookAck:
    secret = state.sms_inbound_secret
    limit = WEBHOOK_BODY_LIMIT
    body = await signed_body(
        request, db, settings, secret, limit, timestamp, signature, now, "sms-in"
    )
    try:
        sms = msgspec.json.decode(body, type=SmsInboundIn)
    except msgspec.MsgspecError as exc:
        raise BadRequest("validation_failed", extra={"errors": [{"message": str(exc)}]}) from None
    number = call_service.phone_or_400(sms.sender)
    assert number is not None
    message = Inbound(sms.id, number, "text", text=sms.text)
    calls = await svc.receive(db, settings, "sms", [message], {}, now)
    return WebhookAck(calls, 1, 0)


@get(
    "/api/calls/{call_id:int}/messages",
    tags=["calls"],
    summary="The messages of a WhatsApp or SMS call, oldest first",
    guards=[requires_roles(*CALL_LOG_ROLES)],
)
async def call_messages(db: Db, call_id: FromPath[int]) -> list[MessageOut]:
    return [out(m) for m in await svc.messages(db, call_id)]


@post(
    "/api/calls/{call_id:int}/messages",
    tags=["calls"],
    status_code=202,
    summary="Reply to the caller on their channel, or send a template; once per key",
    guards=[requires_roles(*INTAKE_ROLES)],
)
async def call_reply(
    db: Db,
    settings: Cfg,
    principal: CurrentUser,
    now: Now,
    call_id: FromPath[int],
    data: JSONBody[ReplyIn],
) -> MessageOut:
    """A text (``text``, once per ``key``), or the ``tracking_code`` template of the case made
    from the call (once per call, in ``language``). Queued for the worker."""
    if data.template == "tracking_code":
        message = await svc.send_tracking(
            db, settings, call_id, data.language, principal.user_id, now
        )
    else:
        message = await svc.reply(
            db, settings, call_id, text=data.text, key=data.key, user_id=principal.user_id, now=now
        )
    return out(message)


HANDLERS = [whatsapp_verify, whatsapp_webhook, sms_webhook, call_messages, call_reply]
