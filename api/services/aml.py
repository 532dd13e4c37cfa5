"""Receiving Advanced Mobile Location (ETSI TS 103 625): who may send it, and reading it.

Two ways in, each authenticated as ``TANGGAP_AML_AUTH`` says:

- ``hmac``: the PBX webhook's signature scheme (:func:`api.services.calls.verify_webhook`), with
  its own secret (``TANGGAP_AML_WEBHOOK_SECRET``): a stale or replayed request is refused.
- ``proxy``: mutual TLS at the reverse proxy, which verified the sender's client certificate
  and passes its subject in the header ``TANGGAP_AML_PROXY_HEADER`` (docs/operations.md).

A message that breaks the standard is a 400 ``aml_malformed`` naming the field, and nothing of
it is kept (the request's transaction, replay record included, is rolled back).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api.config import Settings
from api.domain.aml import AmlMalformed, AmlMessage, parse_https, parse_sms
from api.domain.phone import InvalidPhone, normalise_phone
from api.errors import BadRequest, Unauthorized
from api.services.calls import verify_webhook


async def authenticate(
    db: AsyncSession,
    settings: Settings,
    secret: str,
    *,
    timestamp: str,
    signature: str,
    proxy_subject: str,
    body: bytes,
    now: datetime,
) -> None:
    """Refuse a sender that is not who it must be (401), or a replay (409)."""
    if settings.aml_auth == "proxy":
        if not proxy_subject.strip():
            raise Unauthorized("aml_client_unverified")
        return
    if not timestamp.strip() or not signature.strip():
        raise Unauthorized("webhook_signature_invalid")
    await verify_webhook(
        db, settings, secret, timestamp=timestamp, signature=signature, body=body, now=now
    )


def malformed(field: str) -> BadRequest:
    return BadRequest("aml_malformed", extra={"field": field}, field=field)


def read_https(body: bytes, now: datetime) -> AmlMessage:
    """The HTTPS form post, read strictly (400 ``aml_malformed``)."""
    try:
        return parse_https(body.decode("utf-8"), now)
    except UnicodeDecodeError:
        raise malformed("message") from None
    except AmlMalformed as exc:
        raise malformed(exc.field) from None


def read_sms(sender: str, text: str, now: datetime) -> tuple[str, AmlMessage]:
    """An SMS from the gateway: its sender's number and the AML body, read strictly."""
    try:
        number = normalise_phone(sender)
    except InvalidPhone:
        raise malformed("from") from None
    try:
        return number, parse_sms(text, now)
    except AmlMalformed as exc:
        raise malformed(exc.field) from None
