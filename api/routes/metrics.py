"""``GET /metrics`` for Prometheus: loopback only, or anyone with the metrics token.

With ``TANGGAP_METRICS_TOKEN`` set, a scraper sends ``Authorization: Bearer <token>`` (the
auth middleware leaves this path to us); without it, only clients on this host (127.0.0.0/8,
::1) may read, which suits a Prometheus or agent on the same machine. A request that a proxy
forwarded (``X-Forwarded-For``, ``X-Real-IP``, ``Forwarded``) is not local even when the proxy
itself sits on loopback: it came from somewhere else. The series are in :mod:`api.metrics` and
docs/operations.md.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from litestar import Request, Response, get

from api.errors import Forbidden
from api.metrics import CONTENT_TYPE, render

FORWARDING_HEADERS = ("x-forwarded-for", "x-real-ip", "forwarded")


def metrics_allowed(peer: str, headers: dict[str, str], token: str) -> bool:
    """With a token, only its bearer; without one, only a direct client on this host."""
    if token:
        scheme, _, given = headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode()
        )
    if any(name in headers for name in FORWARDING_HEADERS):
        return False
    try:
        return ipaddress.ip_address(peer).is_loopback
    except ValueError:
        return False


def may_read_metrics(request: Request[Any, Any, Any], token: str) -> bool:
    return metrics_allowed(
        request.client.host if request.client else "",
        {k.lower(): v for k, v in request.headers.items()},
        token,
    )


@get(
    "/metrics",
    summary="Prometheus metrics (loopback, or the metrics bearer token)",
    tags=["health"],
    include_in_schema=True,
    opt={"skip_compression": True},
)
async def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    state = request.app.state
    if not may_read_metrics(request, state.settings.metrics_token):
        raise Forbidden("metrics_forbidden")
    return Response(
        await render(state.engine),
        media_type=CONTENT_TYPE,
        headers={"Cache-Control": "no-store"},
    )
