"""A local SMS gateway on 127.0.0.1 that speaks the contract of docs/operations.md ("SMS gateway").

``POST /sms`` with ``Authorization: Bearer <token>`` (or, built with ``auth="hmac"``,
``X-Tanggap-Timestamp`` and ``X-Tanggap-Signature`` = hex HMAC-SHA256(token, timestamp + "." +
body), checked in constant time), an ``Idempotency-Key`` header and a JSON
``{"to", "text", "reference"}`` body. A message is *delivered* (to :attr:`delivered`) once per
idempotency key: a second request with a key it has seen is answered 200 with the first
message's id and delivers nothing, as a real gateway must when a sender retries after losing
the answer. Every request, whatever its answer, is in :attr:`requests`.

Faults on demand: :meth:`fail_next` answers the next requests with an error status and delivers
nothing; :meth:`hang_next` delivers the next messages but answers only when :meth:`release` is
called (or after a minute), so the sender times out not knowing whether the message went out.

A real HTTP server in a thread, so the API, the worker and a browser test can all reach it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HANG_LIMIT_S = 60.0


@dataclass(frozen=True)
class Delivered:
    id: str
    to: str
    text: str
    key: str


@dataclass(frozen=True)
class Seen:
    """One request and the status it was answered with."""

    key: str
    status: int


class SmsGateway:
    def __init__(self, token: str = "test-sms-gateway-token", auth: str = "bearer") -> None:
        self.token = token
        self.auth = auth
        self.delivered: list[Delivered] = []
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        self._failures: list[int] = []
        self._hangs = 0
        self._released = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -------------------------------------------------------------- control
    @property
    def url(self) -> str:
        assert self._server is not None, "the gateway is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/sms"

    def fail_next(self, count: int = 1, status: int = 503) -> None:
        with self._lock:
            self._failures.extend([status] * count)

    def hang_next(self, count: int = 1) -> None:
        with self._lock:
            self._hangs += count
            self._released.clear()

    def release(self) -> None:
        self._released.set()

    def to(self, number: str) -> list[Delivered]:
        with self._lock:
            return [d for d in self.delivered if d.to == number]

    async def wait_for(
        self, predicate: Callable[[], bool], timeout: float = 20.0, what: str = "condition"
    ) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out waiting for {what}: {len(self.delivered)} delivered, "
                    f"requests={self.requests[-5:]}"
                )
            await asyncio.sleep(0.05)

    @contextmanager
    def running(self) -> Iterator[SmsGateway]:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                gateway._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        try:
            yield self
        finally:
            self._released.set()
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(10)

    # ------------------------------------------------------------- protocol
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        body = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        key = h.headers.get("Idempotency-Key") or ""
        if h.path != "/sms":
            return self._answer(h, key, 404, {"error": "not found"})
        if not self._authentic(h, body):
            return self._answer(h, key, 401, {"error": "bad token"})
        try:
            msg = json.loads(body)
            to, text = str(msg["to"]), str(msg["text"])
        except (ValueError, KeyError, TypeError):
            return self._answer(h, key, 400, {"error": "bad body"})
        if not key or msg.get("reference") != key:
            return self._answer(h, key, 400, {"error": "Idempotency-Key required"})
        with self._lock:
            if self._failures:
                status = self._failures.pop(0)
                self.requests.append(Seen(key, status))
                failed = True
            else:
                failed = False
                first = next((d for d in self.delivered if d.key == key), None)
                if first is None:
                    first = Delivered(f"msg-{len(self.delivered) + 1}", to, text, key)
                    self.delivered.append(first)
                hang = self._hangs > 0
                self._hangs -= 1 if hang else 0
        if failed:
            return self._reply(h, status, {"error": "scripted failure"})
        if hang:
            self._released.wait(HANG_LIMIT_S)
        self._answer(h, key, 200, {"id": first.id})

    def _authentic(self, h: BaseHTTPRequestHandler, body: bytes) -> bool:
        if self.auth == "hmac":
            stamp = h.headers.get("X-Tanggap-Timestamp") or ""
            given = h.headers.get("X-Tanggap-Signature") or ""
            mac = hmac.new(self.token.encode(), stamp.encode() + b"." + body, hashlib.sha256)
            fresh = stamp.isdigit() and abs(time.time() - int(stamp)) < 300
            return fresh and hmac.compare_digest(mac.hexdigest(), given)
        given = h.headers.get("Authorization") or ""
        return hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode())

    def _answer(self, h: BaseHTTPRequestHandler, key: str, status: int, out: Any) -> None:
        with self._lock:
            self.requests.append(Seen(key, status))
        self._reply(h, status, out)

    @staticmethod
    def _reply(h: BaseHTTPRequestHandler, status: int, out: Any) -> None:
        data = json.dumps(out).encode()
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the sender gave up waiting (a timeout): the message was taken all the same
