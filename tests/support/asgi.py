"""An app called as an ASGI server calls it, every message it sends kept: for what an HTTP
client would hide (the chunks of a stream, compressed bytes before decoding)."""

from __future__ import annotations

import asyncio
from typing import Any


async def raw_get(
    app: Any, path: str, query: str = "", headers: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """``GET path?query`` with ``headers``; the messages the app sent, in order."""
    sent: list[dict[str, Any]] = []
    first = True
    complete = asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal first
        if first:
            first = False
            return {"type": "http.request", "body": b"", "more_body": False}
        # Like uvicorn: once the response is complete, the client is gone.
        await complete.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(dict(message))
        if message["type"] == "http.response.body" and not message.get("more_body"):
            complete.set()

    given = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *given],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    await app(scope, receive, send)
    return sent


def body_of(sent: list[dict[str, Any]]) -> bytes:
    """The response's body bytes, as they went out."""
    return b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
