"""Request id, one structured access-log line per request, security headers, and the refusal of
credentials in URLs.

Secrets never reach a log line: the access log records the path only (never the query string),
with the secret segment of ``/open311/v2/tokens/{token}`` replaced; and no route accepts a
credential in the query string (:func:`refuse_credentials_in_query`), so none sits in a proxy's
log or a browser's history either.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar
from typing import Any

from litestar import Request
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import BadRequest, answer_status

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
access_log = logging.getLogger("tanggap.access")

_RID_OK = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Path segments that are secrets themselves: logged as "[redacted]".
_SECRET_PATHS = re.compile(r"^(/open311/v2/tokens/)[^/]+")
# Query parameters that would carry a credential: refused, never read (headers or bodies only).
CREDENTIAL_PARAMS = frozenset(
    {"token", "access_token", "refresh_token", "api_key", "pin", "phone", "number", "password"}
)

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"permissions-policy", b"geolocation=(self), camera=(self), microphone=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


def content_security_policy(
    photo_origin: str | None = None, tile_origin: str | None = None
) -> bytes:
    """The app shell loads only its own scripts; map tiles and blob: photo previews are images.

    With S3/MinIO, photos are fetched (by the service worker too) from presigned URLs on the
    storage's public host, which ``connect-src`` must then allow; so is the map tile server,
    whose tiles the service worker fetches to keep them for offline use.
    """
    connect = " ".join(["'self'", *(o for o in (photo_origin, tile_origin) if o)])
    return (
        "default-src 'self'; img-src 'self' data: blob: https: http:; "
        f"style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src {connect}; "
        "worker-src 'self'; manifest-src 'self'; frame-ancestors 'none'; base-uri 'self'"
    ).encode()


CSP = content_security_policy()
# The OpenAPI UI pulls its scripts from a CDN; only those pages get a looser policy.
SCHEMA_CSP = b"default-src 'self' https: 'unsafe-inline'; img-src 'self' data: https:"


class JsonFormatter(logging.Formatter):
    """One JSON object per line; the request id joins every line logged during a request."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            out.update(extra)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def configure_logging(level: str = "INFO") -> None:
    # Our lines never carry the caller's file and line, the thread or the process: skip finding
    # them for every record (the logging HOWTO's "Optimization"; one access line per request).
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        root.setLevel(level)
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root.handlers = [handler]
    root.setLevel(level)
    # uvicorn's own access log would repeat ours, without the request id.
    logging.getLogger("uvicorn.access").disabled = True


def _request_id(scope: Scope) -> str:
    state = scope.setdefault("state", {})
    rid = state.get("request_id")
    if rid:
        return str(rid)
    incoming = ""
    for k, v in scope.get("headers", []):
        if k == b"x-request-id":
            incoming = v.decode("latin-1")
            break
    rid = incoming if _RID_OK.match(incoming) else uuid.uuid4().hex
    state["request_id"] = rid
    return rid


def request_context_middleware(app: ASGIApp) -> ASGIApp:
    """Bind the request id to every log line of the request and log one access line."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        token = request_id_var.set(_request_id(scope))
        started = time.perf_counter()
        status = 0

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_wrapper)
        except Exception as exc:
            # Raised past us (the auth middleware's refusal, an outage during its session
            # check): the app's handler answers it around us, with this status.
            status = status or answer_status(exc)
            raise
        finally:
            # Path only, never the query string, and no secret path segment.
            access_log.info(
                "request",
                extra={
                    "fields": {
                        "method": scope.get("method"),
                        "path": loggable_path(scope.get("path", "")),
                        "status": status or 500,
                        "ms": round((time.perf_counter() - started) * 1000, 1),
                    }
                },
            )
            request_id_var.reset(token)

    return middleware


def loggable_path(path: str) -> str:
    """The path as logs may record it: a secret segment (an Open311 token) is redacted."""
    return _SECRET_PATHS.sub(r"\1[redacted]", path)


async def refuse_credentials_in_query(request: Request[Any, Any, Any]) -> None:
    """A ``before_request`` hook for every route: a credential in the query string is a 400.

    URLs end up in proxy logs, browser history and Referer headers; tokens, PINs, phone numbers
    and API keys travel in headers (``Authorization``, ``X-Tracking-Token``, ...) or bodies.
    """
    for name in request.query_params:
        if name.lower() in CREDENTIAL_PARAMS:
            raise BadRequest("credentials_in_query", param=name.lower())


def security_headers(photo_origin: str | None = None, tile_origin: str | None = None) -> Any:
    """A ``before_send`` hook: runs for every response, error pages included."""
    csp = content_security_policy(photo_origin, tile_origin)

    async def hook(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = list(message.get("headers", []))
        present = {bytes(k).lower() for k, _ in headers}
        headers.append((b"x-request-id", _request_id(scope).encode()))
        for k, v in SECURITY_HEADERS:
            if k not in present:
                headers.append((k, v))
        if b"content-security-policy" not in present:
            path: str = scope.get("path", "")
            headers.append(
                (b"content-security-policy", SCHEMA_CSP if path.startswith("/schema") else csp)
            )
        message["headers"] = headers  # type: ignore[typeddict-unknown-key]

    return hook
