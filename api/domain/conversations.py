"""WhatsApp and SMS conversations (issue #22, items 1 and 2): reading the WhatsApp Cloud API
webhook, checking its signature, and the order of delivery statuses. Pure: no I/O.

The Cloud API posts ``{"object": "whatsapp_business_account", "entry": [{"changes": [{"field":
"messages", "value": {"messages": [...], "statuses": [...]}}]}]}`` signed with
``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>``. Anything else is
malformed and refused as a whole: nothing of a half-read payload is kept.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated, Literal

import msgspec

#: The channels a conversation comes in by.
CONVERSATION_CHANNELS = ("whatsapp", "sms")
DIRECTIONS = ("in", "out")
KINDS = ("text", "location", "image", "template")
#: An inbound row is ``received``; an outbound one pending -> sent -> delivered -> read, or
#: failed (by us giving up, or by the provider's status).
STATUSES = ("received", "pending", "sent", "delivered", "read", "failed")
#: A provider status only moves a message forward: a late "delivered" after "read" is kept out.
_ORDER = {"pending": 0, "sent": 1, "delivered": 2, "read": 3}
#: Template purposes: the tracking code, and a change of the case's status.
TEMPLATE_TRACKING = "tracking_code"
TEMPLATE_STATUS = "status_change"
#: How long an inbound message joins the number's open conversation (WhatsApp's 24-hour
#: customer-service window) rather than opening a new call.
CONVERSATION_WINDOW_H = 24
MAX_TEXT = 4096


class Malformed(Exception):
    """The payload is not a WhatsApp webhook we can read."""


def signature_ok(secret: str, header: str, body: bytes) -> bool:
    """``header`` is ``sha256=<hex>`` over the raw body; compared in constant time."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().lower().encode())


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


# ------------------------------------------------------------------ the payload
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
# A media id goes into the Cloud API's URL path: letters, digits and ``_.-`` only, so even a
# signed payload cannot steer the download to another path.
MediaId = Annotated[
    str, msgspec.Meta(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*$")
]


class _Text(msgspec.Struct):
    body: Annotated[str, msgspec.Meta(max_length=MAX_TEXT)]


class _Location(msgspec.Struct):
    latitude: Annotated[float, msgspec.Meta(ge=-90, le=90)]
    longitude: Annotated[float, msgspec.Meta(ge=-180, le=180)]


class _Image(msgspec.Struct):
    id: MediaId
    mime_type: str = ""
    caption: Annotated[str, msgspec.Meta(max_length=1024)] = ""


class _Message(msgspec.Struct):
    sender: Annotated[str, msgspec.Meta(min_length=6, max_length=20)] = msgspec.field(name="from")
    id: Id
    timestamp: str
    type: str
    text: _Text | None = None
    location: _Location | None = None
    image: _Image | None = None


class _Status(msgspec.Struct):
    id: Id
    status: str
    timestamp: str = ""


class _Value(msgspec.Struct):
    messaging_product: Literal["whatsapp"]
    messages: list[_Message] = []
    statuses: list[_Status] = []


class _Change(msgspec.Struct):
    field: str
    value: _Value


class _Entry(msgspec.Struct):
    id: str
    changes: list[_Change]


class _Payload(msgspec.Struct):
    object: Literal["whatsapp_business_account"]
    entry: Annotated[list[_Entry], msgspec.Meta(min_length=1)]


_DECODER = msgspec.json.Decoder(_Payload)


@dataclass(frozen=True)
class Inbound:
    """One message from a citizen: its provider id, the sender's number (digits, as WhatsApp
    gives it), and a text, a location or an image's media id."""

    provider_id: str
    sender: str
    kind: Literal["text", "location", "image"]
    text: str = ""
    lat: float | None = None
    lon: float | None = None
    media_id: str | None = None


@dataclass(frozen=True)
class StatusUpdate:
    provider_id: str
    status: Literal["sent", "delivered", "read", "failed"]


@dataclass(frozen=True)
class Webhook:
    messages: list[Inbound]
    statuses: list[StatusUpdate]


def _inbound(m: _Message) -> Inbound:
    if m.type == "text" and m.text is not None:
        return Inbound(m.id, m.sender, "text", text=m.text.body)
    if m.type == "location" and m.location is not None:
        return Inbound(
            m.id, m.sender, "location", lat=m.location.latitude, lon=m.location.longitude
        )
    if m.type == "image" and m.image is not None:
        return Inbound(m.id, m.sender, "image", text=m.image.caption, media_id=m.image.id)
    # Kinds we do not take yet (audio, stickers...) are still a contact: kept as a note.
    return Inbound(m.id, m.sender, "text", text=f"[{m.type[:32]}]")


def read_webhook(body: bytes) -> Webhook:
    """The messages and statuses of a signed POST; :class:`Malformed` if it is not one."""
    try:
        payload = _DECODER.decode(body)
    except msgspec.MsgspecError as exc:
        raise Malformed(str(exc)) from None
    messages: list[Inbound] = []
    statuses: list[StatusUpdate] = []
    for entry in payload.entry:
        for change in entry.changes:
            if change.field != "messages":
                continue
            messages.extend(_inbound(m) for m in change.value.messages)
            for s in change.value.statuses:
                if s.status not in ("sent", "delivered", "read", "failed"):
                    raise Malformed(f"unknown status {s.status[:32]!r}")
                statuses.append(StatusUpdate(s.id, s.status))  # type: ignore[arg-type]
    return Webhook(messages, statuses)


def next_status(current: str, reported: str) -> str:
    """The status after the provider reports ``reported``: forward only; failed is final."""
    if current == "failed" or current == "received":
        return current
    if reported == "failed":
        return "failed"
    return reported if _ORDER.get(reported, -1) > _ORDER.get(current, -1) else current


def e164(digits: str) -> str:
    """WhatsApp gives numbers as digits with the country code and no plus."""
    return digits if digits.startswith("+") else "+" + digits
