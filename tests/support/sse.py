"""A small Server-Sent Events client for tests: reads a stream in the background, event by event."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class SSEEvent:
    event: str
    data: str
    id: str | None

    @property
    def json(self) -> Any:
        return json.loads(self.data)


class SSEStream:
    def __init__(self, url: str, *, params: dict[str, Any], headers: dict[str, str]) -> None:
        self.url, self.params, self.headers = url, params, headers
        self.events: asyncio.Queue[SSEEvent] = asyncio.Queue()
        self.status = 0
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(10.0, read=None))
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def open(self) -> SSEStream:
        self._task = asyncio.create_task(self._read())
        await asyncio.wait_for(self._ready.wait(), 10)
        return self

    async def _read(self) -> None:
        try:
            async with self._client.stream(
                "GET", self.url, params=self.params, headers=self.headers
            ) as r:
                self.status = r.status_code
                self._ready.set()
                if r.status_code != 200:
                    return
                event, data, ident = "message", [], None
                async for line in r.aiter_lines():
                    if line == "":
                        if data:
                            await self.events.put(SSEEvent(event, "\n".join(data), ident))
                        event, data, ident = "message", [], None
                    elif line.startswith(":"):
                        continue
                    else:
                        name, _, value = line.partition(":")
                        value = value[1:] if value.startswith(" ") else value
                        if name == "event":
                            event = value
                        elif name == "data":
                            data.append(value)
                        elif name == "id":
                            ident = value
        finally:
            self._ready.set()

    async def next(self, timeout: float = 10.0, *, event: str | None = None) -> SSEEvent:
        """The next event (of this type, skipping others)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {event or 'event'} within {timeout} s")
            got = await asyncio.wait_for(self.events.get(), left)
            if event is None or got.event == event:
                return got

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self._client.aclose()
