"""Conditional GETs for public reads under a surge: each answer carries an ETag of its bytes and
a ``Cache-Control``, and a request whose ``If-None-Match`` names the same ETag is answered
``304 Not Modified`` without the body.

The tag is a digest of the exact bytes that would be sent, so it changes whenever anything in
the answer does (a status, an event, a language) and a 304 is only ever given where the full
answer would be a 200: every refusal (401, 404) happens before, the same for every caller.
"""

from __future__ import annotations

import hashlib
from typing import Any

from litestar import Request, Response

from api.domain.photos import etag_matches

#: Open311 lists and service definitions: shared caches may serve them for 30 s (a surge of
#: readers costs one request per cache per 30 s), then revalidate; they vary by language.
PUBLIC_LIST_CACHE = "public, max-age=30, must-revalidate"


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def conditional(
    request: Request[Any, Any, Any],
    body: bytes,
    media_type: str,
    cache_control: str,
    headers: dict[str, str] | None = None,
) -> Response[bytes]:
    """``body`` as a 200 with its ETag, or a bodiless 304 when the client holds the same."""
    tag = etag_of(body)
    out = {**(headers or {}), "ETag": tag, "Cache-Control": cache_control}
    if etag_matches(request.headers.get("if-none-match"), tag):
        return Response(b"", status_code=304, headers=out)
    return Response(body, media_type=media_type, headers=out)
