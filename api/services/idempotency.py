"""Idempotency keys: a request replayed with the same ``Idempotency-Key`` is applied once.

The answer to the first request is stored in the same transaction as its effect, so a phone that
retries after a lost response gets the original answer, and the change is never applied twice.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec
from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import IdempotentRequest
from api.errors import BadRequest, Unprocessable

T = TypeVar("T")
_KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,80}$")


async def fingerprint(request: Request[Any, Any, Any]) -> str:
    body = await request.body()
    h = hashlib.sha256()
    h.update(request.method.encode())
    h.update(request.url.path.encode())
    h.update(body)
    return h.hexdigest()


async def idempotent(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    user_id: int | None,
    out_type: type[T],
    action: Callable[[], Awaitable[T]],
    *,
    redact: Callable[[T], T] | None = None,
    restore: Callable[[T], Awaitable[T]] | None = None,
) -> T:
    """Run ``action`` once per ``Idempotency-Key``; a replay gets the stored answer.

    An answer holding a secret (a citizen's tracking token) is stored through ``redact``, and
    ``restore`` rebuilds it on replay (issuing a fresh secret), so no secret sits in the table.
    """
    raw = request.headers.get("idempotency-key")
    if raw is None:
        return await action()
    if not _KEY.match(raw):
        raise BadRequest("idempotency_key_invalid")
    key = f"{user_id or 0}:{raw}"
    fp = await fingerprint(request)
    seen = await db.get(IdempotentRequest, key)
    if seen is not None:
        if seen.request_hash != fp:
            raise Unprocessable("idempotency_key_reused")
        stored = msgspec.json.decode(seen.body, type=out_type)
        return await restore(stored) if restore is not None else stored
    result = await action()
    kept = redact(result) if redact is not None else result
    # A concurrent twin inserts the same key: the unique key makes one of them fail (409).
    db.add(
        IdempotentRequest(
            key=key,
            user_id=user_id,
            request_hash=fp,
            body=msgspec.json.encode(kept),
        )
    )
    await db.flush()
    return result
