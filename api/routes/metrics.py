"""``GET /metrics`` for Prometheus: loopback only, or anyone with the metrics token.

With ``TANGGAP_METRICS_TOKEN`` set, a scraper sends ``Authorization: Bearer <token>`` (the
auth middleware leaves this path to us); without it, only clients on this host (127.0.0.0/8,
::1) may read, which suits a Prometheus or agent on the same machine. The series are in
:mod:`api.metrics` and docs/operations.md.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from litestar import Request, Response, get

from api.errors import Forbidden
from api.metrics import CONTENT_TYPE, render


def may_read_metrics(request: Request[Any, Any, Any], token: str) -> bool:
    if token:
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode()
        )
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
