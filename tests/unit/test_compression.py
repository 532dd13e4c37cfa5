"""gzip written by ISA-L (api/compression.py): what goes on the wire, message by message.

The app is called as an ASGI server would call it, so the bytes and headers checked are the ones
a client receives (an HTTP client would decompress them before the test saw them).
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar, get
from litestar.config.compression import CompressionConfig
from litestar.response import Stream

from api.compression import GzipMiddleware
from tests.support.asgi import body_of, raw_get

BIG = b'{"type":"Feature","properties":{"status":"assigned"}}' * 200
SMALL = b'{"ok":true}'


async def _chunks() -> AsyncIterator[bytes]:
    for i in range(3):
        yield f"data: {i} {'x' * 40}\n\n".encode()


@get("/big", media_type="application/json")
async def big() -> bytes:
    return BIG


@get("/small", media_type="application/json")
async def small() -> bytes:
    return SMALL


@get("/opted-out", media_type="application/json", opt={"skip_compression": True})
async def opted_out() -> bytes:
    return BIG


@get("/stream")
async def stream() -> Stream:
    return Stream(_chunks(), media_type="text/event-stream")


APP = Litestar(
    [big, small, opted_out, stream],
    compression_config=CompressionConfig(
        backend="gzip",
        minimum_size=1024,
        middleware_class=GzipMiddleware,
        exclude_opt_key="skip_compression",
    ),
)


async def _call(path: str, accept: str | None = "gzip, deflate, br") -> list[dict[str, Any]]:
    return await raw_get(APP, path, headers={"accept-encoding": accept} if accept else None)


def _headers(start: dict[str, Any]) -> dict[str, str]:
    return {k.decode().lower(): v.decode() for k, v in start["headers"]}


async def test_a_large_answer_goes_out_gzipped_with_its_compressed_length() -> None:
    sent = await _call("/big")
    headers = _headers(sent[0])
    raw = body_of(sent)
    assert headers["content-encoding"] == "gzip"
    assert "accept-encoding" in headers["vary"].lower()
    assert int(headers["content-length"]) == len(raw) < len(BIG) // 10
    assert gzip.decompress(raw) == BIG


@pytest.mark.parametrize(
    ("path", "accept"),
    [("/small", "gzip"), ("/big", None), ("/big", "br"), ("/opted-out", "gzip")],
)
async def test_small_unaccepted_or_opted_out_answers_go_out_as_they_are(
    path: str, accept: str | None
) -> None:
    sent = await _call(path, accept)
    headers = _headers(sent[0])
    assert "content-encoding" not in headers
    assert body_of(sent) == (SMALL if path == "/small" else BIG)


async def test_a_stream_is_compressed_chunk_by_chunk_and_each_chunk_is_readable_at_once() -> None:
    sent = await _call("/stream")
    headers = _headers(sent[0])
    assert headers["content-encoding"] == "gzip"
    assert "content-length" not in headers
    bodies = [m for m in sent if m["type"] == "http.response.body"]
    # Each chunk is flushed: a reader decodes the first event before the stream ends.
    reader = zlib.decompressobj(16 + zlib.MAX_WBITS)
    first = next(m["body"] for m in bodies if m["body"])
    assert reader.decompress(first).startswith(b"data: 0 ")
    assert bodies[-1].get("more_body", False) is False
    assert gzip.decompress(body_of(sent)) == b"".join(
        f"data: {i} {'x' * 40}\n\n".encode() for i in range(3)
    )
