"""Fetching a CAP feed and its alerts: an http(s) URL, or a ``file://`` path (a local copy,
and the tests). A link in a remote feed is followed only over http(s), never to a local file."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from api.domain.cap_incoming import MAX_DOCUMENT_BYTES


class FeedError(Exception):
    """The feed or an alert could not be fetched."""


def resolve(feed_url: str, link: str) -> str:
    """A link of the feed as an absolute URL of the feed's own kind (file or web)."""
    url = urljoin(feed_url, link)
    local = urlsplit(feed_url).scheme == "file"
    if (urlsplit(url).scheme == "file") != local or urlsplit(url).scheme not in (
        "file", "http", "https",
    ):  # fmt: skip
        raise FeedError("link of another kind than the feed")
    return url


class CapFeedClient:
    def __init__(self, timeout_s: float = 10.0) -> None:
        self._http = httpx.AsyncClient(timeout=timeout_s, follow_redirects=False)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def fetch(self, url: str) -> bytes:
        parts = urlsplit(url)
        if parts.scheme == "file":
            path = Path(unquote(parts.path))
            try:
                data = await asyncio.to_thread(path.read_bytes)
            except OSError as exc:
                raise FeedError(type(exc).__name__) from exc
        elif parts.scheme in ("http", "https"):
            try:
                async with self._http.stream("GET", url) as r:
                    if r.status_code != 200:
                        raise FeedError(f"HTTP {r.status_code}")
                    data = b""
                    async for chunk in r.aiter_bytes():
                        data += chunk
                        if len(data) > MAX_DOCUMENT_BYTES:
                            raise FeedError("too large")
            except httpx.HTTPError as exc:
                raise FeedError(type(exc).__name__) from exc
        else:
            raise FeedError("unsupported scheme")
        if len(data) > MAX_DOCUMENT_BYTES:
            raise FeedError("too large")
        return data
