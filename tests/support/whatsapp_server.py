"""A local WhatsApp Cloud API on 127.0.0.1, and the webhook payloads it would post.

It speaks the part of the Cloud API Tanggap uses: ``POST /{phone-number-id}/messages`` with
``Authorization: Bearer <token>`` (recorded in :attr:`sent`, answered with a ``wamid``), and
media: ``GET /{media-id}`` answers ``{"url": ...}`` and a ``GET`` of that URL the bytes given to
:meth:`add_media`. :meth:`fail_next` answers the next sends with an error status and records
nothing, as a Cloud API that did not take the message.

The payload builders make the webhook bodies the Cloud API posts, and :func:`sign` their
``X-Hub-Signature-256`` header.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PHONE_NUMBER_ID = "106540352242922"


@dataclass(frozen=True)
class SentMessage:
    id: str
    to: str
    body: dict[str, Any]


class CloudApi:
    def __init__(self, token: str = "test-whatsapp-token") -> None:
        self.token = token
        self.sent: list[SentMessage] = []
        self.statuses: list[int] = []
        self.media: dict[str, bytes] = {}
        self._failures: list[int] = []
        self._hangs = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "not running"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v21.0"

    def add_media(self, media_id: str, data: bytes) -> None:
        self.media[media_id] = data

    def fail_next(self, count: int = 1, status: int = 503) -> None:
        with self._lock:
            self._failures.extend([status] * count)

    def hang_next(self, count: int = 1) -> None:
        """The next sends are taken (in :attr:`sent`) but answered only after a second: the
        sender times out not knowing the message went out."""
        with self._lock:
            self._hangs += count

    @contextmanager
    def running(self) -> Iterator[CloudApi]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def do_POST(self) -> None:
                api._post(self)

            def do_GET(self) -> None:
                api._get(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
            thread.join(10)

    def _answer(self, h: BaseHTTPRequestHandler, status: int, body: Any, raw: bool = False) -> None:
        data = body if raw else json.dumps(body).encode()
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/octet-stream" if raw else "application/json")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the sender gave up waiting (hang_next): as a real server, nothing to do

    def _authentic(self, h: BaseHTTPRequestHandler) -> bool:
        got = h.headers.get("Authorization") or ""
        return hmac.compare_digest(got.encode(), f"Bearer {self.token}".encode())

    def _post(self, h: BaseHTTPRequestHandler) -> None:
        body = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        if h.path != f"/v21.0/{PHONE_NUMBER_ID}/messages":
            return self._answer(h, 404, {"error": {"message": "unknown path"}})
        if not self._authentic(h):
            return self._answer(h, 401, {"error": {"message": "bad token"}})
        try:
            msg = json.loads(body)
            to = str(msg["to"])
            assert msg["messaging_product"] == "whatsapp" and msg["type"] in ("text", "template")
        except (ValueError, KeyError, TypeError, AssertionError):
            return self._answer(h, 400, {"error": {"message": "bad body"}})
        with self._lock:
            if self._failures:
                status = self._failures.pop(0)
                self.statuses.append(status)
                return self._answer(h, status, {"error": {"message": "try later"}})
            wamid = f"wamid.out.{len(self.sent) + 1}"
            self.sent.append(SentMessage(wamid, to, msg))
            self.statuses.append(200)
            hang, self._hangs = self._hangs > 0, max(0, self._hangs - 1)
        if hang:
            time.sleep(1.0)
        self._answer(h, 200, {"messaging_product": "whatsapp", "messages": [{"id": wamid}]})

    def _get(self, h: BaseHTTPRequestHandler) -> None:
        if not self._authentic(h):
            return self._answer(h, 401, {"error": {"message": "bad token"}})
        parts = h.path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "media" and parts[1] in self.media:
            return self._answer(h, 200, self.media[parts[1]], raw=True)
        if len(parts) == 2 and parts[1] in self.media:
            host, port = h.server.server_address[:2]
            url = f"http://{host!s}:{port}/media/{parts[1]}"
            return self._answer(h, 200, {"url": url, "id": parts[1]})
        self._answer(h, 404, {"error": {"message": "no such media"}})


# ------------------------------------------------------------------ webhook payloads
def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def message(sender: str, wamid: str, kind: str, **content: Any) -> dict[str, Any]:
    return {"from": sender, "id": wamid, "timestamp": "1764972000", "type": kind, kind: content}


def status(wamid: str, state: str) -> dict[str, Any]:
    return {"id": wamid, "status": state, "timestamp": "1764972100", "recipient_id": "x"}


def payload(
    messages: list[dict[str, Any]] | None = None, statuses: list[dict[str, Any]] | None = None
) -> bytes:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "62401112", "phone_number_id": PHONE_NUMBER_ID},
    }
    if messages:
        value["contacts"] = [{"profile": {"name": "Warga"}, "wa_id": messages[0]["from"]}]
        value["messages"] = messages
    if statuses:
        value["statuses"] = statuses
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": value}]}],
    }
    return json.dumps(body).encode()
