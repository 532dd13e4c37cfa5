"""Object storage for photos, behind one small interface with two backends.

- :class:`S3Storage`: MinIO or any S3 server through the official ``minio`` client. The bucket is
  created on first use; photos are handed out as short-lived presigned URLs.
- :class:`LocalStorage`: a folder on disk (the embedded default). Writes are atomic (a temporary
  file in the same file system, fsynced, then renamed), so a reader never sees half an object.

Both behave the same and pass the same tests. Every method is async: the blocking work runs in a
thread. An outage (unreachable server, full or read-only disk) raises :class:`StorageError`,
which the API turns into a retryable 503; a key that is not there raises :class:`ObjectMissing`.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, Protocol, TypeVar, runtime_checkable

import certifi
import urllib3
from minio import Minio
from minio.deleteobjects import DeleteObject
from minio.error import MinioException, S3Error

from api.config import Settings

log = logging.getLogger("tanggap.storage")

T = TypeVar("T")

CHUNK = 256 * 1024
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")
_MISSING_CODES = frozenset({"NoSuchKey", "NoSuchObject", "NoSuchBucket", "NotFound"})


class StorageError(Exception):
    """The storage is unreachable or failing: retry later."""


class ObjectMissing(Exception):
    """No object under that key."""


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    last_modified: datetime  # UTC


@runtime_checkable  # Litestar checks injected values against the annotation
class Storage(Protocol):
    """What the photo service needs from object storage."""

    kind: str

    async def put_file(self, key: str, path: Path, content_type: str) -> None:
        """Store the file at ``path`` under ``key``, streamed (never read whole into memory)."""

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> None: ...

    async def stat(self, key: str) -> StoredObject: ...

    async def read(self, key: str) -> tuple[StoredObject, AsyncIterator[bytes]]:
        """The object's facts and its bytes in chunks; ObjectMissing is raised before any byte."""

    async def get_bytes(self, key: str) -> bytes: ...

    async def exists(self, key: str) -> bool: ...

    async def remove(self, keys: Iterable[str]) -> None:
        """Delete these objects; keys that are already gone are fine."""

    def iter_objects(self, prefix: str) -> AsyncIterator[StoredObject]:
        """Every object whose key starts with ``prefix``, in pages (never all in memory)."""

    async def presigned_url(
        self, key: str, *, expires: timedelta, content_type: str, cache_control: str
    ) -> str | None:
        """A short-lived URL a browser can fetch the object from, or ``None`` when the API
        must stream it itself (local folder)."""


def check_key(key: str) -> str:
    # Keys are made by the service, never by a client; this guards against a bug turning into
    # a path outside the storage root.
    if len(key) > 512 or not _KEY.match(key) or ".." in key.split("/"):
        raise ValueError(f"invalid object key: {key!r}")
    return key


class _Backend:
    """What both backends do alike, on top of their own ``_run`` (blocking work in a thread, its
    errors turned into :class:`ObjectMissing` or :class:`StorageError`) and ``_stat``."""

    async def _run(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        raise NotImplementedError

    def _stat(self, key: str) -> StoredObject:
        raise NotImplementedError

    async def stat(self, key: str) -> StoredObject:
        return await self._run(self._stat, key)

    async def exists(self, key: str) -> bool:
        try:
            await self.stat(key)
        except ObjectMissing:
            return False
        return True


# ---------------------------------------------------------------- local folder
class LocalStorage(_Backend):
    """Photos in a folder. Temporary files live in ``root/.tmp`` (same file system: rename is
    atomic) and are never listed."""

    kind = "local"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    async def _run(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        try:
            return await asyncio.to_thread(fn, *args, **kw)
        except FileNotFoundError as exc:
            raise ObjectMissing(str(exc)) from None
        except OSError as exc:
            log.warning("local storage failed: %s", exc)
            raise StorageError(str(exc)) from exc

    def _write(self, key: str, source: BinaryIO) -> None:
        target = self._path(key)
        tmp_dir = self.root / ".tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=tmp_dir, prefix="put-")
        try:
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(source, out, CHUNK)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp_name, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise
        # The rename itself is durable only once the directory is synced.
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def _write_file(self, key: str, path: Path) -> None:
        with open(path, "rb") as source:
            self._write(key, source)

    async def put_file(self, key: str, path: Path, content_type: str) -> None:
        await self._run(self._write_file, key, path)

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        await self._run(self._write, key, io.BytesIO(data))

    def _stat(self, key: str) -> StoredObject:
        st = self._path(key).stat()
        return StoredObject(key, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC))

    async def read(self, key: str) -> tuple[StoredObject, AsyncIterator[bytes]]:
        def open_(key: str) -> tuple[StoredObject, BinaryIO]:
            f = open(self._path(key), "rb")  # noqa: SIM115 (closed by the iterator)
            st = os.fstat(f.fileno())
            return StoredObject(key, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC)), f

        info, f = await self._run(open_, key)

        async def chunks() -> AsyncIterator[bytes]:
            try:
                while chunk := await self._run(f.read, CHUNK):
                    yield chunk
            finally:
                f.close()

        return info, chunks()

    async def get_bytes(self, key: str) -> bytes:
        return await self._run(self._path(key).read_bytes)

    def _remove(self, keys: list[str]) -> None:
        for key in keys:
            path = self._path(key)
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            # Drop folders left empty, up to the root, so the tree does not fill with husks.
            parent = path.parent
            while parent != self.root and self.root in parent.parents:
                try:
                    parent.rmdir()
                except OSError:
                    break
                parent = parent.parent

    async def remove(self, keys: Iterable[str]) -> None:
        await self._run(self._remove, list(keys))

    def _list(self, prefix: str) -> list[StoredObject]:
        out: list[StoredObject] = []
        # Walk only the folder the prefix names (``photos/<case>/`` lists one case's photos).
        folder = self.root / prefix.rpartition("/")[0] if "/" in prefix else self.root
        if not folder.is_dir():
            return out
        for dirpath, dirnames, filenames in os.walk(folder):
            if Path(dirpath) == self.root:
                dirnames[:] = [d for d in dirnames if d != ".tmp"]
            dirnames.sort()
            for name in sorted(filenames):
                full = Path(dirpath) / name
                key = full.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    with contextlib.suppress(FileNotFoundError):
                        st = full.stat()
                        out.append(
                            StoredObject(key, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC))
                        )
        return out

    async def iter_objects(self, prefix: str) -> AsyncIterator[StoredObject]:
        # One directory walk in a thread; the keys alone are small next to the photos.
        for obj in await self._run(self._list, prefix):
            yield obj

    async def presigned_url(
        self, key: str, *, expires: timedelta, content_type: str, cache_control: str
    ) -> str | None:
        return None


# ----------------------------------------------------------------------- S3
def split_endpoint(endpoint: str, secure: bool) -> tuple[str, bool]:
    """``host:port`` and TLS from an endpoint given as ``host:port`` or as a URL."""
    endpoint = endpoint.strip().rstrip("/")
    if endpoint.startswith("https://"):
        return endpoint.removeprefix("https://"), True
    if endpoint.startswith("http://"):
        return endpoint.removeprefix("http://"), False
    return endpoint, secure


def _http_client() -> urllib3.PoolManager:
    # minio's default client retries a refused connection five times with backoff (about 6 s):
    # an outage must become a quick 503 the phone retries, not a hung request.
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=3.0, read=30.0),
        retries=urllib3.Retry(total=2, backoff_factor=0.1, status_forcelist=(500, 502, 503, 504)),
        maxsize=16,
        cert_reqs="CERT_REQUIRED",
        ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
    )


class S3Storage(_Backend):
    """Photos in an S3 bucket (MinIO in production)."""

    kind = "s3"

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        region: str,
        secure: bool,
        public_endpoint: str = "",
    ) -> None:
        def connect(at: str, **options: Any) -> Minio:
            host, tls = split_endpoint(at, secure)
            return Minio(
                host,
                access_key=access_key,
                secret_key=secret_key,
                secure=tls,
                region=region,
                **options,
            )

        self.bucket = bucket
        self.region = region
        self.client = connect(endpoint, http_client=_http_client())
        # Presigned URLs are signed for the host the browser will use, which may differ from
        # the one the API reaches (``minio:9000`` inside compose). Signing needs no network
        # when the region is known.
        self.signer = connect(public_endpoint) if public_endpoint else self.client
        self._bucket_ready = False

    async def _run(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        try:
            return await asyncio.to_thread(fn, *args, **kw)
        except S3Error as exc:
            if exc.code in _MISSING_CODES:
                raise ObjectMissing(exc.code) from None
            log.warning("object storage error: %s", exc.code)
            raise StorageError(exc.code or "s3_error") from exc
        except (MinioException, urllib3.exceptions.HTTPError, OSError) as exc:
            log.warning("object storage unreachable: %s", type(exc).__name__)
            raise StorageError(type(exc).__name__) from exc

    def _ensure_bucket_sync(self) -> None:
        if self.client.bucket_exists(self.bucket):
            return
        try:
            self.client.make_bucket(self.bucket, location=self.region)
        except S3Error as exc:
            # Another API replica made it first.
            if exc.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                raise

    async def ensure_bucket(self) -> None:
        """Create the bucket if it is missing (once per process, on the first write)."""
        # No lock: two first writes racing both check, and making an existing bucket is fine.
        if not self._bucket_ready:
            await self._run(self._ensure_bucket_sync)
            self._bucket_ready = True

    def _put(self, key: str, stream: BinaryIO, length: int, content_type: str) -> None:
        self.client.put_object(
            self.bucket, check_key(key), stream, length, content_type=content_type
        )

    def _put_file(self, key: str, path: Path, content_type: str) -> None:
        with open(path, "rb") as f:
            self._put(key, f, os.fstat(f.fileno()).st_size, content_type)

    async def put_file(self, key: str, path: Path, content_type: str) -> None:
        await self.ensure_bucket()
        await self._run(self._put_file, key, path, content_type)

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        await self.ensure_bucket()
        await self._run(self._put, key, io.BytesIO(data), len(data), content_type)

    def _stat(self, key: str) -> StoredObject:
        st = self.client.stat_object(self.bucket, check_key(key))
        return StoredObject(key, st.size or 0, _utc(st.last_modified))

    async def read(self, key: str) -> tuple[StoredObject, AsyncIterator[bytes]]:
        response = await self._run(self.client.get_object, self.bucket, check_key(key))
        size = int(response.headers.get("content-length") or 0)
        modified = response.headers.get("last-modified")
        info = StoredObject(key, size, _http_date(modified))
        parts = response.stream(CHUNK)

        async def chunks() -> AsyncIterator[bytes]:
            try:
                while chunk := await self._run(next, parts, b""):
                    yield chunk
            finally:
                response.close()
                response.release_conn()

        return info, chunks()

    async def get_bytes(self, key: str) -> bytes:
        _, chunks = await self.read(key)
        return b"".join([c async for c in chunks])

    def _remove(self, keys: list[str]) -> None:
        if not keys:
            return
        errors = list(
            self.client.remove_objects(self.bucket, [DeleteObject(check_key(k)) for k in keys])
        )
        failed = [e for e in errors if e.code not in _MISSING_CODES]
        if failed:
            raise StorageError(f"could not delete {len(failed)} objects: {failed[0].code}")

    async def remove(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        # remove_objects sends batches of up to 1000 keys per request.
        await self._run(self._remove, keys)

    async def iter_objects(self, prefix: str) -> AsyncIterator[StoredObject]:
        listing: Iterator[Any] = iter(
            self.client.list_objects(self.bucket, prefix=prefix, recursive=True)
        )

        def page() -> list[StoredObject]:
            out: list[StoredObject] = []
            for obj in listing:
                out.append(
                    StoredObject(obj.object_name or "", obj.size or 0, _utc(obj.last_modified))
                )
                if len(out) >= 1000:
                    break
            return out

        try:
            while batch := await self._run(page):
                for item in batch:
                    yield item
        except ObjectMissing:
            return  # no bucket yet: nothing stored

    async def presigned_url(
        self, key: str, *, expires: timedelta, content_type: str, cache_control: str
    ) -> str | None:
        return await self._run(
            self.signer.presigned_get_object,
            self.bucket,
            check_key(key),
            expires=expires,
            response_headers={
                "response-content-type": content_type,
                "response-cache-control": cache_control,
            },
        )


def _utc(value: datetime | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _http_date(value: str | None) -> datetime:
    from email.utils import parsedate_to_datetime

    try:
        return _utc(parsedate_to_datetime(value)) if value else datetime.now(UTC)
    except (TypeError, ValueError):
        return datetime.now(UTC)


def make_storage(settings: Settings) -> Storage:
    """The configured backend: S3/MinIO when ``TANGGAP_S3_ENDPOINT`` is set, else a folder."""
    if settings.uses_local_storage:
        return LocalStorage(settings.photos_dir)
    return S3Storage(
        settings.s3_endpoint,
        settings.s3_access_key,
        settings.s3_secret_key,
        settings.s3_bucket,
        settings.s3_region,
        settings.s3_secure,
        public_endpoint=settings.s3_public_endpoint,
    )
