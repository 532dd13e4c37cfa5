"""The SMS gateway: sends one text message to one phone number, behind a small interface.

:class:`HttpSmsGateway` speaks the gateway contract of docs/operations.md ("SMS gateway"): a JSON
``POST`` of ``{"to", "text", "reference"}`` to the configured URL, authenticated by the shared
secret (``Authorization: Bearer <token>``, or in ``hmac`` mode ``X-Tanggap-Timestamp`` and
``X-Tanggap-Signature`` = hex HMAC-SHA256(token, timestamp + "." + body), the PBX webhook's
scheme), and an ``Idempotency-Key`` header that stays the same on every try of one message.
A gateway that took the message but whose answer was lost (a timeout) sees the same key again
on the retry and must not deliver it twice: that is how one message reaches the caller once.

Every answer, including none at all, becomes a :class:`api.domain.sms.SendResult`; nothing here
logs, and no error text carries the number.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Protocol

import aiohttp

from api.config import Settings
from api.domain.sms import SendResult


class SmsGateway(Protocol):
    async def send(self, *, to: str, text: str, key: str) -> SendResult:
        """Send ``text`` to ``to`` (E.164) once per ``key``; never raises for a failed send."""
        ...


class HttpSmsGateway:
    """The HTTP gateway of the settings (``TANGGAP_SMS_GATEWAY_URL`` and ``_TOKEN``)."""

    def __init__(self, url: str, token: str, timeout_ms: int, auth: str = "bearer") -> None:
        self.url = url
        self.token = token
        self.auth = auth
        self.timeout = aiohttp.ClientTimeout(total=max(1, timeout_ms) / 1000)

    @classmethod
    def from_settings(cls, settings: Settings) -> HttpSmsGateway:
        return cls(
            settings.sms_gateway_url,
            settings.sms_gateway_token,
            settings.sms_timeout_ms,
            settings.sms_gateway_auth,
        )

    def _headers(self, key: str, body: bytes) -> dict[str, str]:
        headers = {"Idempotency-Key": key, "Content-Type": "application/json"}
        if not self.token:
            return headers
        if self.auth == "hmac":
            stamp = str(int(time.time()))
            mac = hmac.new(self.token.encode(), stamp.encode() + b"." + body, hashlib.sha256)
            headers["X-Tanggap-Timestamp"] = stamp
            headers["X-Tanggap-Signature"] = mac.hexdigest()
        else:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    async def send(self, *, to: str, text: str, key: str) -> SendResult:
        if not self.url:
            return SendResult(None, "no SMS gateway configured")
        # Serialised once: the signature covers exactly the bytes sent.
        body = json.dumps({"to": to, "text": text, "reference": key}).encode()
        headers = self._headers(key, body)
        try:
            # A session per message: SMS are few, and nothing is kept between sends.
            async with (
                aiohttp.ClientSession(timeout=self.timeout) as session,
                session.post(self.url, data=body, headers=headers, allow_redirects=False) as r,
            ):
                await r.read()
                return SendResult(r.status)
        except TimeoutError:
            return SendResult(None, "timeout")
        except (aiohttp.ClientError, OSError) as exc:
            return SendResult(None, type(exc).__name__)
