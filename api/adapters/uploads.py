"""Reading a multipart photo upload straight off the request stream, one part at a time.

Litestar's ``MultipartBody`` would parse the whole request (every file) before the handler runs.
Here each file part goes to its own temporary file as it arrives, hashed (SHA-256) on the way,
so only the current network chunk (plus a write buffer of at most 1 MiB) is ever in memory. The
per-file size, the number of files and each file's first bytes (its signature) are checked while
reading: an oversized, excess or non-image file is refused before the rest of it is received and
long before anything is decoded.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from multipart import (  # type: ignore[import-untyped]
    MultipartSegment,
    ParserError,
    ParserLimitReached,
    PushMultipartParser,
    parse_options_header,
)

from api.domain.photos import SNIFF_BYTES, PhotoKind, PhotoLimits, PhotoRejected, sniff

FILE_FIELDS = frozenset({"files", "file"})
TEXT_FIELDS = frozenset({"caption", "event_id"})
MAX_TEXT_BYTES = 4096
# Headers, boundaries and text fields on top of the files themselves.
_OVERHEAD_BYTES = 256 * 1024
_WRITE_BUFFER = 1024 * 1024


class UploadSlots:
    """At most ``size`` uploads processed at once by this process; one more is turned away at
    once (the route answers 503 with Retry-After), never queued: a queue would hold its temporary
    files and its client's connection while it waits. One event loop: a counter is enough."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self.busy = 0

    def try_take(self) -> bool:
        if self.busy >= self.size:
            return False
        self.busy += 1
        return True

    def give_back(self) -> None:
        self.busy -= 1


@dataclass(frozen=True)
class ReceivedFile:
    path: Path
    size: int
    sha256: str
    kind: PhotoKind  # what its first bytes announce; decoding confirms it later
    filename: str  # the client's name: informational only, never trusted


@dataclass
class ReceivedUpload:
    files: list[ReceivedFile] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)


class _FileSink:
    """One file part on its way to disk."""

    def __init__(self, path: Path, filename: str, limits: PhotoLimits) -> None:
        self.path = path
        self.filename = filename
        self.limits = limits
        self.size = 0
        self.hash = hashlib.sha256()
        self.head = b""
        self.kind: PhotoKind | None = None
        self.buffer = bytearray()
        self.file: BinaryIO | None = None

    async def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        self.limits.check_size(self.size)
        if self.kind is None:
            self.head += chunk[: SNIFF_BYTES - len(self.head)]
            if len(self.head) >= SNIFF_BYTES:
                self._sniff()
        self.hash.update(chunk)
        self.buffer += chunk
        if len(self.buffer) >= _WRITE_BUFFER:
            await self._flush()

    def _sniff(self) -> None:
        kind = sniff(self.head)
        if kind is None:
            raise PhotoRejected("photo_type_unsupported")
        self.kind = kind

    async def _flush(self) -> None:
        if self.file is None:
            self.file = await asyncio.to_thread(open, self.path, "wb")
        data, self.buffer = bytes(self.buffer), bytearray()
        await asyncio.to_thread(self.file.write, data)

    async def finish(self) -> ReceivedFile:
        if self.kind is None:
            self._sniff()  # a file shorter than the signature window
        await self._flush()
        self.close()
        assert self.kind is not None
        return ReceivedFile(self.path, self.size, self.hash.hexdigest(), self.kind, self.filename)

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


async def receive_upload(
    stream: AsyncIterator[bytes],
    content_type: str,
    content_length: int | None,
    limits: PhotoLimits,
    workdir: Path,
) -> ReceivedUpload:
    """Read ``files``/``file`` parts into ``workdir`` and the ``caption``/``event_id`` fields.

    Empty file parts (a form's unused file input) are skipped. Raises :class:`PhotoRejected`.
    """
    mime, options = parse_options_header(content_type or "")
    boundary = options.get("boundary")
    if mime != "multipart/form-data" or not boundary:
        raise PhotoRejected("multipart_required")
    max_body = limits.max_files * limits.max_bytes + _OVERHEAD_BYTES
    if content_length is not None and content_length > max_body:
        # Announced too big: refuse before reading a byte. Most likely too big a photo.
        raise PhotoRejected("body_too_large")
    received = ReceivedUpload()
    sink: _FileSink | None = None
    text: bytearray | None = None
    segment: MultipartSegment | None = None
    total = 0
    try:
        with PushMultipartParser(
            boundary, max_segment_count=limits.max_files + len(TEXT_FIELDS) + 8
        ) as parser:
            async for chunk in _with_end(stream):
                total += len(chunk)
                if total > max_body:
                    raise PhotoRejected("body_too_large")
                for event in parser.parse(chunk):
                    if isinstance(event, MultipartSegment):
                        segment = event
                        if event.filename is not None:
                            if event.name not in FILE_FIELDS:
                                raise PhotoRejected("upload_field_unknown", field=event.name)
                        elif event.name in TEXT_FIELDS:
                            text = bytearray()
                        else:
                            raise PhotoRejected("upload_field_unknown", field=event.name)
                    elif event is None:  # end of the current part
                        if sink is not None:
                            received.files.append(await sink.finish())
                            sink = None
                        elif text is not None and segment is not None:
                            received.fields[segment.name] = text.decode("utf-8", "replace")
                            text = None
                        segment = None
                    elif segment is not None and segment.filename is not None:
                        if sink is None:
                            # Counted at its first byte: an empty file input is not a photo.
                            limits.check_count(len(received.files) + 1)
                            index = len(received.files)
                            sink = _FileSink(workdir / f"upload-{index}", segment.filename, limits)
                        await sink.write(event)
                    elif text is not None and segment is not None:
                        text += event
                        if len(text) > MAX_TEXT_BYTES:
                            raise PhotoRejected("upload_field_too_long", field=segment.name)
                if parser.closed:
                    break
    except (ParserError, ParserLimitReached):
        raise PhotoRejected("multipart_invalid") from None
    finally:
        if sink is not None:
            sink.close()
    return received


async def _with_end(stream: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    async for chunk in stream:
        if chunk:
            yield chunk
    yield b""  # tells the parser the input has ended
