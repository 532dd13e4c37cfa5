"""WhatsApp and SMS conversations (issue #22, items 1 and 2; docs/conversations.md).

Inbound: a signed webhook (the WhatsApp Cloud API's, or the SMS gateway's) brings messages. The
first message of a number on a channel opens a call through the same call log as a phone call
(:func:`api.services.calls.log_call`), so the caller history and the prank rules see it; later
messages within :data:`CONVERSATION_WINDOW_H` hours join that call until it ends. A text is
kept as a message of the call, a shared location becomes the call's location, and an image is
downloaded through the adapter, checked by the same photo checks as an upload
(:func:`api.adapters.imaging.prepare`) and kept in object storage; it becomes a photo of the
case made from the call (:func:`attach_photos`) through :func:`api.services.photos.store_photos`.

Outbound: the operator's reply and the templates (tracking code, status change) are outbox rows,
unique per (call, dedupe key), sent by the worker (:class:`ConversationDelivery`): a repeated
click or a retried request finds its row, and the message goes out once. The provider's
delivery and read statuses move the row forward.

No number is logged; numbers never travel in a URL.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.adapters import imaging, jobs
from api.adapters.sms import SmsGateway
from api.adapters.storage import Storage, StorageError
from api.adapters.whatsapp import MediaTooLarge, MediaUnavailable, Template, WhatsApp
from api.config import Settings
from api.db import conversations as q
from api.db.models import Call, Case, ConversationMessage, IdempotentRequest
from api.db.session import release_connection
from api.domain import conversations as rules
from api.domain.conversations import Inbound
from api.domain.photos import EXTENSIONS, PhotoRejected
from api.domain.sms import error_text, next_step, retry_delay, tracking_url
from api.errors import BadRequest, Conflict, NotFound, Unauthorized
from api.i18n import label as i18n_label
from api.i18n import t
from api.services import caller_locations
from api.services import photos as photo_service
from api.services.calls import CallIn, log_call, phone_or_400
from api.services.citizen import tracking_path
from api.services.notify import on_conversation

log = logging.getLogger("tanggap.conversations")

PROVIDER_CONFLICT = "uq_conversation_messages_provider"
DEDUPE_CONFLICT = "uq_conversation_messages_dedupe"
#: WhatsApp template names, as registered with Meta (docs/conversations.md).
TEMPLATE_NAMES = {
    rules.TEMPLATE_TRACKING: "tanggap_tracking_code",
    rules.TEMPLATE_STATUS: "tanggap_status_change",
}


@dataclass(frozen=True)
class Received:
    calls: list[int]
    messages: int
    statuses: int


@dataclass(frozen=True)
class Outgoing:
    """What an outbound row says: its dedupe key (what makes a retry the same message), kind,
    text for staff (and for SMS), language and a template's parameters."""

    dedupe: str
    kind: str
    body: str
    language: str = "id"
    params: list[str] | None = None


@dataclass(frozen=True)
class StagedImage:
    """An inbound image that passed the photo checks, its original kept in storage."""

    key: str
    sha256: str


# ------------------------------------------------------------------ inbound
async def verify_whatsapp(db: AsyncSession, secret: str, signature: str, body: bytes) -> str:
    """The signature over the raw body, then replays: a signed body seen before is refused
    with 409 ``webhook_replayed`` and changes nothing (the provider ids would make it a no-op
    anyway; the 409 tells a replaying sender so). Reads only: the body's replay key, to
    :func:`remember_body` once the media are fetched."""
    if not signature or not rules.signature_ok(secret, signature, body):
        raise Unauthorized("webhook_signature_invalid")
    key = f"whatsapp:{rules.body_digest(body)}"
    if await db.get(IdempotentRequest, key) is not None:
        raise Conflict("webhook_replayed")
    return key


async def remember_body(db: AsyncSession, key: str) -> None:
    """The body is taken: the same one again is a replay. Two at once: the primary key lets
    one through and the other fails (409)."""
    db.add(IdempotentRequest(key=key, user_id=None, request_hash=key[9:], body=b""))
    await db.flush()


def read_whatsapp(body: bytes) -> rules.Webhook:
    try:
        return rules.read_webhook(body)
    except rules.Malformed as exc:
        raise BadRequest("validation_failed", extra={"errors": [{"message": str(exc)}]}) from None


async def stage_image(
    client: WhatsApp, storage: Storage, settings: Settings, media_id: str
) -> StagedImage | str:
    """Download one image and check it as an upload is checked; kept under its hash. The
    reason (a message code) when it cannot be had or is not a photo."""
    limits = photo_service.limits_of(settings)
    with tempfile.TemporaryDirectory(prefix="tanggap-wa-") as tmp:
        path = Path(tmp) / "media"
        try:
            await client.fetch_media(media_id, path, settings.photo_max_bytes)
        except MediaTooLarge:
            return "photo_too_large"
        except MediaUnavailable:
            return "conversation_media_unavailable"
        try:
            prepared = await imaging.prepare(path, limits, settings.tz, Path(tmp))
        except PhotoRejected as exc:
            return exc.code
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        key = f"conversations/{sha}.{EXTENSIONS[prepared.kind]}"
        try:
            await storage.put_file(key, path, prepared.content_type)
        except StorageError:
            raise photo_service.storage_unavailable() from None
    return StagedImage(key, sha)


async def fetch_images(
    db: AsyncSession,
    client: WhatsApp,
    storage: Storage,
    settings: Settings,
    messages: list[Inbound],
) -> dict[str, StagedImage | str]:
    """The messages' images, checked and kept (or why not), by provider id. The session's
    connection goes back to the pool first: nothing is written yet, and downloads are slow."""
    wanted = [m for m in messages if m.kind == "image" and m.media_id]
    if not wanted:
        return {}
    await release_connection(db)
    return {
        m.provider_id: await stage_image(client, storage, settings, m.media_id or "")
        for m in wanted
    }


async def receive(
    db: AsyncSession,
    settings: Settings,
    channel: str,
    messages: list[Inbound],
    images: dict[str, StagedImage | str],
    now: datetime,
) -> list[int]:
    """Keep the messages not seen before, each on its number's open call (opened if none).
    ``images`` are the checked images by provider id. The calls touched, in order."""
    fresh = [m for m in messages if m.provider_id]
    known = await q.known_provider_ids(db, channel, [m.provider_id for m in fresh])
    numbers = {m.sender: phone_or_400(rules.e164(m.sender)) for m in fresh}
    touched: list[int] = []
    for m in fresh:
        if m.provider_id in known:
            continue  # a redelivery: already kept
        known.add(m.provider_id)
        number = numbers[m.sender]
        assert number is not None
        call = await _call_for(db, channel, number, now)
        staged = images.get(m.provider_id)
        body = m.text
        if isinstance(staged, str):
            body = (body + "\n" if body else "") + t(staged, "id")
        image = staged if isinstance(staged, StagedImage) else None
        values = _row(call.id, channel, "in", m.kind, body, now) | {
            "provider_id": m.provider_id,
            "media_key": image.key if image else None,
            "media_sha256": image.sha256 if image else None,
            "status": "received",
        }
        await q.add_message(db, values, PROVIDER_CONFLICT)
        if m.kind == "location" and m.lat is not None and m.lon is not None:
            # The caller's own shared location: the call's, as an AML fix would be.
            call.location = f"SRID=4326;POINT({m.lon} {m.lat})"
            call.location_source = channel
            call.location_accuracy_m = None
        if call.id not in touched:
            touched.append(call.id)
    await db.flush()
    for call_id in touched:  # the open panels reload, at commit
        await on_conversation(db, call_id)
    return touched


async def _call_for(db: AsyncSession, channel: str, number: str, now: datetime) -> Call:
    since = now - timedelta(hours=rules.CONVERSATION_WINDOW_H)
    call = await q.open_call(db, channel, number, since)
    if call is None:
        # The same call log as the phone: history and prank rules count it.
        call = await log_call(
            db,
            CallIn(number=number, channel=channel, started_at=now),  # type: ignore[arg-type]
            None,
        )
        await caller_locations.on_call_opened(db, call)
    return call


async def record_statuses(
    db: AsyncSession, channel: str, statuses: list[rules.StatusUpdate], now: datetime
) -> int:
    """Delivery and read reports of our messages; unknown ids are ignored. How many moved."""
    moved: list[int] = []
    for s in statuses:
        message = await q.outbound_by_provider_id(db, channel, s.provider_id)
        if message is None:
            continue
        after = rules.next_status(message.status, s.status)
        if after != message.status:
            message.status, message.status_at = after, now
            moved.append(message.call_id)
    for call_id in dict.fromkeys(moved):  # written, and told, at the request's commit
        await on_conversation(db, call_id)
    return len(moved)


async def attach_photos(
    db: AsyncSession,
    storage: Storage,
    settings: Settings,
    call_id: int,
    *,
    case_id: uuid.UUID,
    now: datetime,
) -> int:
    """The call's checked images become citizen photos of the case, through the upload's own
    store (same checks, same duplicate rule). How many were new."""
    staged = await q.staged_media(db, call_id)
    if not staged:
        return 0
    with tempfile.TemporaryDirectory(prefix="tanggap-wa-") as tmp:
        files: list[photo_service.PhotoFile] = []
        for i, m in enumerate(staged):
            assert m.media_key is not None
            path = Path(tmp) / f"{i}"
            try:
                path.write_bytes(await storage.get_bytes(m.media_key))
            except StorageError:
                raise photo_service.storage_unavailable() from None
            files.append(photo_service.PhotoFile(path, m.media_sha256))
        stored = await photo_service.store_photos(
            db, storage, settings, case_id=case_id, files=files, source="citizen", now=now
        )
    return sum(1 for p in stored.photos if p.created)


async def attach_to_cases(
    db: AsyncSession, storage: Storage, settings: Settings, call_ids: list[int], now: datetime
) -> None:
    """A call already made into a case gets its new photos at once."""
    for call_id in call_ids:
        case = await q.case_of_call(db, call_id)
        if case is not None:
            await attach_photos(db, storage, settings, call_id, case_id=case.id, now=now)


# ------------------------------------------------------------------ outbound
def enabled(settings: Settings, channel: str) -> bool:
    if channel == "whatsapp":
        return bool(settings.whatsapp_phone_number_id.strip())
    return bool(settings.sms_gateway_url.strip())


async def conversation_call(db: AsyncSession, call_id: int) -> Call:
    call = await db.get(Call, call_id)
    if call is None:
        raise NotFound("call_not_found")
    if call.channel not in rules.CONVERSATION_CHANNELS or not call.number:
        raise Conflict("conversation_not_a_conversation")
    return call


async def _queue(
    db: AsyncSession,
    settings: Settings,
    call: Call,
    out: Outgoing,
    user_id: int | None,
    now: datetime,
) -> ConversationMessage:
    if not enabled(settings, call.channel):
        raise Conflict("conversation_unavailable")
    values = _row(call.id, call.channel, "out", out.kind, out.body, now) | {
        "params": out.params,
        "dedupe": out.dedupe,
        "language": out.language,
        "status": "pending",
        "sent_by": user_id,
    }
    new_id = await q.add_message(db, values, DEDUPE_CONFLICT)
    if new_id is not None:
        await jobs.enqueue_conversation(db, new_id)
        await on_conversation(db, call.id)
    message = await q.message_by_dedupe(db, call.id, out.dedupe)
    assert message is not None
    return message


def _row(
    call_id: int, channel: str, direction: str, kind: str, body: str, now: datetime
) -> dict[str, object]:
    """A message row's columns common to both directions."""
    return {
        "call_id": call_id,
        "channel": channel,
        "direction": direction,
        "kind": kind,
        "body": body,
        "key": uuid.uuid4(),
        "language": "id",
        "attempts": 0,
        "last_error": "",
        "created_at": now,
    }


async def reply(
    db: AsyncSession,
    settings: Settings,
    call_id: int,
    *,
    text: str,
    key: uuid.UUID,
    user_id: int,
    now: datetime,
) -> ConversationMessage:
    """The operator's reply, once per ``key`` (the intake screen makes one per message)."""
    call = await conversation_call(db, call_id)
    body = text.strip()
    if not body:
        raise BadRequest("conversation_reply_empty")
    return await _queue(db, settings, call, Outgoing(f"reply:{key}", "text", body), user_id, now)


async def send_tracking(
    db: AsyncSession, settings: Settings, call_id: int, language: str, user_id: int, now: datetime
) -> ConversationMessage:
    """The tracking-code template to the caller of the case made from this call, once."""
    call = await conversation_call(db, call_id)
    case = await q.case_of_call(db, call_id)
    if case is None:
        raise Conflict("conversation_no_case")
    url = tracking_url(settings.public_url, tracking_path(case.reference))
    params = [case.reference, url]
    body = t(
        "sms_tracking_text", language, reference=case.reference, url=url, city=settings.city_name
    )
    out = Outgoing(f"template:{rules.TEMPLATE_TRACKING}", "template", body, language, params)
    return await _queue(db, settings, call, out, user_id, now)


async def send_status_change(
    db: AsyncSession, settings: Settings, call_id: int, reference: str, status: str, now: datetime
) -> ConversationMessage:
    """The status-change template, once per (case, status)."""
    call = await conversation_call(db, call_id)
    label = i18n_label("status", status, "id")
    body = t(
        "conversation_status_text", "id", reference=reference, status=label, city=settings.city_name
    )
    dedupe = f"template:{rules.TEMPLATE_STATUS}:{status}"
    out = Outgoing(dedupe, "template", body, "id", [reference, label])
    return await _queue(db, settings, call, out, None, now)


#: The moves a WhatsApp or SMS caller is told of: a team is on its way, there, done.
NOTICE_STATUSES = frozenset({"dispatched", "on_scene", "resolved"})


async def on_case_status(db: AsyncSession, settings: Settings, case: Case) -> None:
    """After a move: the status-change template to the caller of a case that came by WhatsApp
    or SMS, once per status. Nothing for other cases, or when the channel is not set up."""
    if case.call_id is None or case.channel not in rules.CONVERSATION_CHANNELS:
        return
    if case.status not in NOTICE_STATUSES or not enabled(settings, case.channel):
        return
    try:
        await send_status_change(
            db, settings, case.call_id, case.reference, case.status, case.updated_at
        )
    except Conflict:
        return  # the call has no number to answer: the move stands


async def messages(db: AsyncSession, call_id: int) -> list[ConversationMessage]:
    """Any call's messages (none for a phone call); 404 for no such call."""
    if await db.get(Call, call_id) is None:
        raise NotFound("call_not_found")
    return await q.messages_of(db, call_id)


class ConversationDelivery:
    """The worker's side: one send per job, its outcome written before the job ends."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        whatsapp: WhatsApp,
        sms: SmsGateway,
        settings: Settings,
        clock: Callable[[], datetime],
    ) -> None:
        self.sessionmaker = sessionmaker
        self.whatsapp = whatsapp
        self.sms = sms
        self.settings = settings
        self.clock = clock

    async def send(self, message_id: int) -> int | None:
        """Send one outbound row if it still waits; seconds until the next try, or ``None``.

        The row stays locked during the send, so a re-run job waits and then finds it sent.
        WhatsApp has no idempotency key: a send whose answer never came (a timeout) is not
        tried again on its own but marked failed, so a message never goes out twice; staff
        see it and may write again. The SMS gateway gets the row's key on every try."""
        s = self.settings
        async with self.sessionmaker() as db, db.begin():
            found = await q.message_to_send(db, message_id)
            if found is None:
                return None
            message, number = found
            if not number:
                message.status, message.last_error = "failed", "no number"
                await on_conversation(db, message.call_id)
                return None
            provider_id: str | None = None
            if message.channel == "whatsapp":
                template = None
                if message.kind == "template":
                    name = TEMPLATE_NAMES[(message.dedupe or "").split(":")[1]]
                    template = Template(name, message.language, tuple(message.params or ()))
                sent = await self.whatsapp.send(
                    to=number,
                    text=message.body if template is None else None,
                    template=template,
                )
                result, provider_id = sent.result, sent.provider_id
            else:
                result = await self.sms.send(to=number, text=message.body, key=str(message.key))
            message.attempts += 1
            step = next_step(result, message.attempts, s.sms_max_attempts)
            if step == "retry" and message.channel == "whatsapp" and result.status is None:
                step = "failed"  # unknown outcome, no idempotency key: never twice
            if step == "sent":
                message.status, message.status_at, message.last_error = "sent", self.clock(), ""
                message.provider_id = provider_id
                await on_conversation(db, message.call_id)
                return None
            message.last_error = error_text(result)
            log.warning(
                "conversation %s: try %d failed (%s)",
                message.id,
                message.attempts,
                message.last_error,
            )
            if step == "failed":
                message.status, message.status_at = "failed", self.clock()
                await on_conversation(db, message.call_id)
                return None
            return retry_delay(message.attempts, s.sms_retry_seconds)
