"""Web Push sender: one message, encrypted (aes128gcm) and signed (VAPID), over a reused session.

A thin wrapper over ``pywebpush.webpush_async``: one ``aiohttp`` session per worker so TLS
connections to a push service are reused, VAPID headers signed once per push service origin and
kept for hours (pywebpush would sign every message), and every answer, including no answer at
all, turned into a :class:`PushResult` for :func:`api.domain.notifications.outcome_of`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from py_vapid import Vapid
from pywebpush import WebPushException, webpush_async

from api.adapters.keys import VapidKeys

# A VAPID JWT may live up to 24 h; sign for 12 h and sign again an hour before it runs out.
VAPID_TTL_S = 12 * 3600
VAPID_RENEW_S = 3600


@dataclass(frozen=True, slots=True)
class PushResult:
    status: int | None  # the push service's HTTP status; None when it never answered
    retry_after: str | None = None
    error: str = ""


@dataclass(frozen=True, slots=True)
class Subscription:
    endpoint: str
    p256dh: str
    auth: str


class WebPushSender:
    """Sends Web Push messages. Use as ``async with WebPushSender(...) as sender``."""

    def __init__(
        self,
        keys: VapidKeys,
        subject: str,
        *,
        connections: int = 32,
        timeout_s: float = 10.0,
    ) -> None:
        self.public_key = keys.public_key
        self._vapid = Vapid.from_string(private_key=keys.private_key)
        self._subject = subject
        self._connections = connections
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None
        self._vapid_headers: dict[str, tuple[float, dict[str, str]]] = {}

    async def __aenter__(self) -> WebPushSender:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self._connections, ttl_dns_cache=300),
            timeout=self._timeout,
        )
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def vapid_headers(self, endpoint: str) -> dict[str, str]:
        """``Authorization: vapid t=<JWT>,k=<public key>`` for the endpoint's push service."""
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        now = time.time()
        cached = self._vapid_headers.get(audience)
        if cached is None or cached[0] - now < VAPID_RENEW_S:
            exp = int(now) + VAPID_TTL_S
            # A fresh dict every time: pywebpush and py_vapid write into the claims they get.
            claims = {"sub": self._subject, "aud": audience, "exp": exp}
            cached = (float(exp), dict(self._vapid.sign(claims)))
            self._vapid_headers[audience] = cached
        return dict(cached[1])

    async def send(
        self,
        subscription: Subscription,
        payload: bytes,
        *,
        ttl: int,
        urgency: str,
        topic: str | None,
    ) -> PushResult:
        if self._session is None:
            raise RuntimeError("WebPushSender is not open: use `async with`.")
        headers: dict[str, Any] = self.vapid_headers(subscription.endpoint)
        headers["Urgency"] = urgency
        if topic:
            headers["Topic"] = topic
        info: dict[str, Any] = {
            "endpoint": subscription.endpoint,
            "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
        }
        try:
            response = await webpush_async(
                info,
                data=payload,  # type: ignore[arg-type]  # bytes are encrypted as they are
                ttl=ttl,
                headers=headers,
                aiohttp_session=self._session,
                timeout=self._timeout,  # type: ignore[arg-type]
            )
        except WebPushException as exc:
            return PushResult(exc.status_code, exc.retry_after, _short(str(exc)))
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            # Refused, reset or timed out: the push service did not take the message.
            return PushResult(None, None, _short(f"{type(exc).__name__}: {exc}"))
        status = getattr(response, "status", None)
        return PushResult(int(status) if status is not None else None)


def _short(text: str) -> str:
    return " ".join(text.split())[:500]
