"""Web Push sender: one message, encrypted (aes128gcm) and signed (VAPID), over a reused session.

The payload is encrypted by ``pywebpush``; the request is ours: one ``aiohttp`` session per
worker so TLS connections to a push service are reused, VAPID headers signed once per push
service origin and kept for hours, and every answer, including no answer at all, turned into a
:class:`PushResult` for :func:`api.domain.notifications.outcome_of`.

Only push services are reached (:mod:`api.domain.push_endpoints`): the endpoint is checked
before every send, names are resolved by :class:`CheckedResolver`, which refuses private
addresses and hands the connector only the addresses it checked (so DNS rebinding between the
check and the connection has nothing to exploit), and redirects are never followed.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from py_vapid import Vapid
from pywebpush import WebPusher

from api.adapters.keys import VapidKeys
from api.domain.push_endpoints import EndpointRefused, Target, check_addresses, check_endpoint

# A VAPID JWT may live up to 24 h; sign for 12 h and sign again an hour before it runs out.
VAPID_TTL_S = 12 * 3600
VAPID_RENEW_S = 3600
# Origins whose endpoint check is remembered (browsers' push services are a handful).
MAX_ORIGINS = 256
# ``scheme://netloc``: everything the check reads (what urlsplit takes the netloc from ends at
# the first ``/``, ``?`` or ``#``).
_ORIGIN = re.compile(r"[^:/?#]*://[^/?#]*")


@dataclass(frozen=True, slots=True)
class PushResult:
    status: int | None  # the push service's HTTP status; None when it never answered
    retry_after: str | None = None
    error: str = ""
    # The endpoint is not a push service we may reach (or its keys are unusable): never retry.
    refused: bool = False


class UrgentFirst:
    """At most ``n`` holders at once. Waiters are let in urgent ones first, each kind in the
    order it came (asyncio's semaphore knows one order only)."""

    def __init__(self, n: int) -> None:
        self._free = n
        self._waiting: tuple[deque[asyncio.Future[None]], deque[asyncio.Future[None]]] = (
            deque(),  # urgent
            deque(),  # the rest
        )

    @contextlib.asynccontextmanager
    async def turn(self, *, urgent: bool) -> AsyncIterator[None]:
        if self._free > 0 and not any(self._waiting):
            self._free -= 1
        else:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            queue = self._waiting[0 if urgent else 1]
            queue.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._pass_on()  # let in just as it was cancelled: the turn goes on
                else:  # (a turn passing on may have dropped it already)
                    with contextlib.suppress(ValueError):
                        queue.remove(waiter)
                raise
        try:
            yield
        finally:
            self._pass_on()

    def _pass_on(self) -> None:
        """A turn ends: the next waiter takes it, or it is free again."""
        for queue in self._waiting:
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)
                    return
        self._free += 1


class CheckedResolver(AbstractResolver):
    """Resolves like the system does, then refuses any name with a non-public address
    (:func:`api.domain.push_endpoints.check_addresses`); the connector connects only to the
    addresses returned here, the ones that were checked."""

    def __init__(self) -> None:
        self._inner = aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_UNSPEC
    ) -> list[ResolveResult]:
        # A failed lookup stays an OSError (a retry); a private answer refuses the endpoint.
        results = await self._inner.resolve(host, port, family)
        check_addresses([r["host"] for r in results])
        return results

    async def close(self) -> None:
        await self._inner.close()


async def check_reachable(target: Target) -> None:
    """Subscribe-time check: the endpoint's name resolves to public addresses only."""
    if target.trusted_address:
        return
    resolver = CheckedResolver()
    try:
        await resolver.resolve(target.host, target.port)
    except OSError:
        raise EndpointRefused("unresolved") from None
    finally:
        await resolver.close()


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
        allow_http: bool = False,
        allowed_hosts: tuple[str, ...] = (),
    ) -> None:
        self.public_key = keys.public_key
        self._allow_http = allow_http
        self._allowed_hosts = allowed_hosts
        self._vapid = Vapid.from_string(private_key=keys.private_key)
        self._subject = subject
        self._connections = connections
        # At most ``connections`` messages on the wire; the others wait here, not in the
        # connector's queue, where the wait would count against their timeout. A worker holds
        # many jobs of many rows (a warning's thousands): urgent messages (P1) go first.
        self._on_the_wire = UrgentFirst(connections)
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None
        self._vapid_headers: dict[str, tuple[float, dict[str, str]]] = {}
        # The endpoint check's verdict per origin: it depends on the scheme, host and port only,
        # and the few push services' origins repeat in every message (the check parses
        # addresses, a few per cent of the worker's CPU per message).
        self._checked: dict[str, str | None] = {}  # origin -> the refusal's reason, or None

    async def __aenter__(self) -> WebPushSender:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=self._connections, ttl_dns_cache=300, resolver=CheckedResolver()
            ),
            timeout=self._timeout,
            trust_env=False,  # no proxy from the environment: connect to what was checked
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

    def check(self, endpoint: str) -> None:
        """:func:`check_endpoint`, remembered per origin (``scheme://netloc``)."""
        found = _ORIGIN.match(endpoint)
        origin = found.group(0) if found else endpoint
        if origin not in self._checked:
            if len(self._checked) >= MAX_ORIGINS:
                self._checked.clear()
            try:
                check_endpoint(
                    endpoint, allow_http=self._allow_http, extra_hosts=self._allowed_hosts
                )
                self._checked[origin] = None
            except EndpointRefused as exc:
                self._checked[origin] = exc.reason
        reason = self._checked[origin]
        if reason is not None:
            raise EndpointRefused(reason)

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
        try:
            self.check(subscription.endpoint)
            info = {
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            }
            body = WebPusher(info).encode(payload, "aes128gcm")["body"]
        except EndpointRefused as exc:
            return PushResult(None, None, f"endpoint refused: {exc.reason}", refused=True)
        except Exception as exc:  # unusable keys: every send would fail
            return PushResult(None, None, _short(f"cannot encrypt: {type(exc).__name__}"), True)
        headers: dict[str, str] = self.vapid_headers(subscription.endpoint)
        headers.update(
            {
                "TTL": str(ttl),
                "Urgency": urgency,
                "Content-Encoding": "aes128gcm",
                "Content-Type": "application/octet-stream",
            }
        )
        if topic:
            headers["Topic"] = topic
        try:
            async with (
                self._on_the_wire.turn(urgent=urgency == "high"),
                self._session.post(
                    subscription.endpoint, data=body, headers=headers, allow_redirects=False
                ) as response,
            ):
                text = (await response.content.read(2000)).decode(errors="replace")
                status = response.status
                retry_after = response.headers.get("Retry-After")
        except EndpointRefused as exc:
            return PushResult(None, None, f"endpoint refused: {exc.reason}", refused=True)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            if isinstance(exc.__cause__, EndpointRefused):
                reason = exc.__cause__.reason
                return PushResult(None, None, f"endpoint refused: {reason}", refused=True)
            # Refused, reset or timed out: the push service did not take the message.
            return PushResult(None, None, _short(f"{type(exc).__name__}: {exc}"))
        if 200 <= status < 300:
            return PushResult(status)
        # A redirect is an answer like any other failure: never followed.
        return PushResult(status, retry_after, _short(f"{status}: {text}"))


def _short(text: str) -> str:
    return " ".join(text.split())[:500]
