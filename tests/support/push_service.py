"""A local Web Push service on 127.0.0.1 that decrypts every message and checks its VAPID JWT.

It plays both ends a real push needs: :meth:`PushService.subscribe` makes a subscription the way a
browser does (a fresh P-256 key pair and 16 random auth bytes, the private half kept here), and
the HTTP endpoint takes messages the way a push service does (RFC 8030/8291/8292): it verifies
``Authorization: vapid t=<JWT>,k=<key>`` (ES256 against the app's public key, audience, expiry),
decrypts the ``aes128gcm`` body with ``http_ece`` and records the payload with its ``TTL``,
``Urgency`` and ``Topic`` headers. A message counts as accepted only once it is answered ``201``.

Faults on demand: scripted answers per subscription (404, 410, 429 with Retry-After, 500...),
:meth:`down` / :meth:`up` (connections refused), and :meth:`hold` (requests are taken in but not
answered, as when a sender dies mid-request).

Also runs as a process for the benchmark: ``python -m tests.support.push_service`` prints
``READY <url>``; ``POST /_control/subscribe`` and ``GET /_control/received`` drive it.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import http_ece
from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Device:
    """The browser side of one subscription: the keys only it holds."""

    id: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    label: str = ""
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)


@dataclass(frozen=True)
class Received:
    """One message the service accepted (answered 201), decrypted."""

    device: str
    label: str
    payload: dict[str, Any]
    ttl: int
    urgency: str | None
    topic: str | None
    claims: dict[str, Any]
    at: float  # time.time() when it was accepted


@dataclass(frozen=True)
class Attempt:
    """Every request, whatever the answer (``status`` 0: abandoned by its sender)."""

    device: str
    status: int
    at: float
    nid: int | None = None


class VapidError(Exception):
    pass


class PushService:
    def __init__(self, vapid_public_key: str | None = None, host: str = "127.0.0.1") -> None:
        self.vapid_public_key = vapid_public_key
        self.host = host
        self.port = 0
        self.devices: dict[str, Device] = {}
        self.received: list[Received] = []
        self.attempts: list[Attempt] = []
        self.rejected: list[str] = []
        self._runner: web.AppRunner | None = None
        self._held = asyncio.Event()
        self._held.set()
        self._held_requests: dict[int, web.Request] = {}
        # Start holding once this many messages have been accepted (a crash drill).
        self.hold_after: int | None = None
        # Set (and replaced) whenever a message is accepted: a bench's wait without polling.
        self._arrived = asyncio.Event()

    # -------------------------------------------------------------- lifecycle
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self, port: int = 0) -> PushService:
        app = web.Application(client_max_size=64 * 1024)
        app.router.add_post("/push/{device}", self._push)
        app.router.add_post("/_control/subscribe", self._control_subscribe)
        app.router.add_get("/_control/received", self._control_received)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, port or self.port, reuse_address=True)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        self._held.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def down(self) -> None:
        """Stop answering: close every connection and refuse new ones (same port kept)."""
        await self.stop()

    async def up(self) -> None:
        await self.start(self.port)

    async def __aenter__(self) -> PushService:
        return await self.start()

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    # ---------------------------------------------------------------- devices
    def subscribe(self, label: str = "") -> dict[str, Any]:
        """A new browser subscription, as ``PushSubscription.toJSON()`` gives it."""
        key = ec.generate_private_key(ec.SECP256R1())
        device = Device(secrets.token_urlsafe(9), key, secrets.token_bytes(16), label)
        self.devices[device.id] = device
        public = key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": f"{self.url}/push/{device.id}",
            "keys": {"p256dh": b64url(public), "auth": b64url(device.auth)},
        }

    async def subscribe_through_api(
        self, base_url: str, access_token: str, label: str = ""
    ) -> dict[str, Any]:
        """A new subscription registered as the PWA does it, for the token's user."""
        import httpx

        device = self.subscribe(label)
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
            r = await http.post(
                "/api/push/subscriptions",
                json=device,
                headers={"Authorization": f"Bearer {access_token}"},
            )
        assert r.status_code in (200, 201), r.text
        return device

    def device_of(self, endpoint: str) -> Device:
        return self.devices[endpoint.rstrip("/").rsplit("/", 1)[-1]]

    def respond(self, endpoint: str, *answers: int | tuple[int, dict[str, str]]) -> None:
        """Answer the next requests to ``endpoint`` with these statuses (then 201 again)."""
        device = self.device_of(endpoint)
        for a in answers:
            device.script.append(a if isinstance(a, tuple) else (a, {}))

    def hold(self) -> None:
        """Take requests in but do not answer them until :meth:`release`."""
        self._held.clear()

    def release(self) -> None:
        self._held.set()

    @property
    def holding(self) -> int:
        """Requests taken in and not answered yet."""
        return len(self._held_requests)

    def held_open(self) -> int:
        """Held requests whose sender is still connected."""
        return sum(
            1
            for r in self._held_requests.values()
            if r.transport is not None and not r.transport.is_closing()
        )

    def for_device(self, endpoint: str) -> list[Received]:
        device = self.device_of(endpoint)
        return [r for r in self.received if r.device == device.id]

    async def wait_for(
        self, predicate: Callable[[], bool], timeout: float = 15.0, what: str = "condition"
    ) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out waiting for {what}: {len(self.received)} received, "
                    f"{len(self.attempts)} attempts, rejected={self.rejected[-3:]}"
                )
            await asyncio.sleep(0.02)

    # ---------------------------------------------------------------- protocol
    def verify_vapid(self, header: str) -> dict[str, Any]:
        scheme, _, params = header.partition(" ")
        if scheme.lower() != "vapid":
            raise VapidError("not a vapid authorization")
        fields = dict(p.strip().split("=", 1) for p in params.split(",") if "=" in p)
        token, key = fields.get("t", ""), fields.get("k", "")
        if self.vapid_public_key is not None and key != self.vapid_public_key:
            raise VapidError("k is not the application server key")
        try:
            head_b64, claims_b64, sig_b64 = token.split(".")
            header_obj = json.loads(unb64url(head_b64))
            claims = json.loads(unb64url(claims_b64))
            sig = unb64url(sig_b64)
            public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
        except (ValueError, TypeError) as exc:
            raise VapidError(f"malformed token: {exc}") from exc
        if header_obj.get("alg") != "ES256" or len(sig) != 64:
            raise VapidError("not ES256")
        der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
        try:
            public.verify(der, f"{head_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise VapidError("bad signature") from None
        now = time.time()
        if claims.get("aud") != self.url:
            raise VapidError(f"audience {claims.get('aud')!r} is not {self.url!r}")
        if not isinstance(claims.get("exp"), int) or not now < claims["exp"] <= now + 86400:
            raise VapidError("expiry missing, past, or more than 24 h ahead")
        if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            raise VapidError("sub is not a mailto: or https: contact")
        return dict(claims)

    async def _push(self, request: web.Request) -> web.StreamResponse:
        device = self.devices.get(request.match_info["device"])
        body = await request.read()
        if device is None:
            self.attempts.append(Attempt("?", 404, time.time()))
            return web.Response(status=404)
        if self.hold_after is not None and len(self.received) >= self.hold_after:
            self.hold()
        if not self._held.is_set():
            self._held_requests[id(request)] = request
            try:
                await self._held.wait()
            finally:
                self._held_requests.pop(id(request), None)
            transport = request.transport
            if transport is None or transport.is_closing():
                # The sender is gone before hearing an answer: the message was never accepted.
                self.attempts.append(Attempt(device.id, 0, time.time()))
                return web.Response(status=503)
        if device.script:
            status, headers = device.script.pop(0)
            if status >= 300:
                self.attempts.append(Attempt(device.id, status, time.time()))
                return web.Response(status=status, headers=headers)
        try:
            claims = self.verify_vapid(request.headers.get("Authorization", ""))
        except VapidError as exc:
            self.rejected.append(str(exc))
            self.attempts.append(Attempt(device.id, 401, time.time()))
            return web.Response(status=401, text=str(exc))
        if request.headers.get("Content-Encoding") != "aes128gcm":
            self.rejected.append("content-encoding is not aes128gcm")
            return web.Response(status=415)
        try:
            plain = http_ece.decrypt(
                body, private_key=device.private_key, auth_secret=device.auth, version="aes128gcm"
            )
            payload = json.loads(plain)
        except Exception as exc:  # any failure to decrypt is the sender's fault
            self.rejected.append(f"cannot decrypt: {exc!r}")
            self.attempts.append(Attempt(device.id, 400, time.time()))
            return web.Response(status=400)
        now = time.time()
        self.received.append(
            Received(
                device.id,
                device.label,
                payload,
                int(request.headers.get("TTL", "-1")),
                request.headers.get("Urgency"),
                request.headers.get("Topic"),
                claims,
                now,
            )
        )
        self.attempts.append(Attempt(device.id, 201, now, payload.get("nid")))
        self._arrived.set()
        self._arrived = asyncio.Event()
        return web.Response(
            status=201, headers={"Location": f"{self.url}/msg/{len(self.received)}"}
        )

    # ----------------------------------------------------------- control (bench)
    async def _control_subscribe(self, request: web.Request) -> web.Response:
        label = request.query.get("label", "")
        return web.json_response(self.subscribe(label))

    async def _control_received(self, request: web.Request) -> web.Response:
        """``?since=N``: the messages from the Nth on, and the count. ``&count=M&wait=S``:
        answer once M messages have arrived (or after S seconds), so a bench waiting for a
        message does not poll the service while it works."""
        since = int(request.query.get("since", "0"))
        want = int(request.query.get("count", "0"))
        deadline = time.monotonic() + min(float(request.query.get("wait", "0")), 60.0)
        while len(self.received) < want and (left := deadline - time.monotonic()) > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), left)
        out = [
            {"nid": r.payload.get("nid"), "payload": r.payload, "at": r.at} for r in self.received
        ]
        return web.json_response({"count": len(self.received), "messages": out[since:]})


def endpoint_origin(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


async def _serve(vapid_public_key: str | None) -> None:
    service = await PushService(vapid_public_key).start()
    print(f"READY {service.url}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await service.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vapid-public-key", default=None)
    args = parser.parse_args()
    try:
        asyncio.run(_serve(args.vapid_public_key))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
