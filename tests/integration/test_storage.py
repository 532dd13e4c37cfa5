"""The storage contract, run against both backends: a local folder and S3 over HTTP (moto)."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.adapters.storage import (
    LocalStorage,
    ObjectMissing,
    S3Storage,
    Storage,
    StorageError,
    make_storage,
    split_endpoint,
)
from api.config import Settings
from tests.support.s3_server import (  # noqa: F401
    S3Server,
    StorageBackend,
    closed_port,
    s3_server,
    storage_backend,
)


@pytest.fixture
def storage(storage_backend: StorageBackend, data_dir: Path) -> Storage:  # noqa: F811
    return make_storage(Settings(data_dir=data_dir).with_(**storage_backend.overrides))


async def test_put_read_stat_list_remove(storage: Storage, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.write_bytes(b"x" * 700_000)  # several read chunks
    await storage.put_file("photos/c/p/original.jpg", src, "image/jpeg")
    await storage.put_bytes("photos/c/p/thumb.jpg", b"thumb", "image/jpeg")
    await storage.put_bytes("other/elsewhere.bin", b"other", "application/octet-stream")

    assert await storage.get_bytes("photos/c/p/original.jpg") == src.read_bytes()
    info = await storage.stat("photos/c/p/thumb.jpg")
    assert info.size == 5 and info.last_modified.tzinfo is not None
    meta, chunks = await storage.read("photos/c/p/original.jpg")
    assert meta.size == 700_000
    assert b"".join([c async for c in chunks]) == src.read_bytes()
    assert await storage.exists("photos/c/p/thumb.jpg")

    listed = sorted([o.key async for o in storage.iter_objects("photos/")])
    assert listed == ["photos/c/p/original.jpg", "photos/c/p/thumb.jpg"]

    await storage.remove(["photos/c/p/thumb.jpg", "photos/never/was/there.jpg"])
    assert not await storage.exists("photos/c/p/thumb.jpg")
    with pytest.raises(ObjectMissing):
        await storage.stat("photos/c/p/thumb.jpg")
    with pytest.raises(ObjectMissing):
        await storage.read("photos/c/p/thumb.jpg")
    assert [o.key async for o in storage.iter_objects("photos/")] == ["photos/c/p/original.jpg"]


async def test_listing_a_folder_prefix_lists_that_folder_alone(storage: Storage) -> None:
    """``photos/<case>/`` lists one case's objects (the photo check looks a case up again)."""
    for key in ("photos/c1/p/original.jpg", "photos/c1/q/thumb.jpg", "photos/c10/p/thumb.jpg"):
        await storage.put_bytes(key, b"x", "image/jpeg")
    await storage.put_bytes("photos/c2.bin", b"x", "application/octet-stream")
    one = sorted([o.key async for o in storage.iter_objects("photos/c1/")])
    assert one == ["photos/c1/p/original.jpg", "photos/c1/q/thumb.jpg"]
    # A prefix that is not a whole folder name matches as S3 matches it: by the key's start.
    starts = sorted([o.key async for o in storage.iter_objects("photos/c1")])
    assert starts == [*one, "photos/c10/p/thumb.jpg"]
    assert [o async for o in storage.iter_objects("photos/nobody/")] == []


async def test_overwrite_replaces_the_whole_object(storage: Storage) -> None:
    await storage.put_bytes("photos/a/b/thumb.jpg", b"first version, longer", "image/jpeg")
    await storage.put_bytes("photos/a/b/thumb.jpg", b"second", "image/jpeg")
    assert await storage.get_bytes("photos/a/b/thumb.jpg") == b"second"


async def test_keys_outside_the_scheme_are_refused(storage: Storage) -> None:
    for key in ("../escape", "/abs/path", "photos/../../etc/passwd", "photos//x", ""):
        with pytest.raises(ValueError):
            await storage.put_bytes(key, b"x", "image/jpeg")


async def test_presigned_url_serves_the_object_from_s3_only(
    storage: Storage,
    storage_backend: StorageBackend,  # noqa: F811
) -> None:
    await storage.put_bytes("photos/a/b/display.jpg", b"\xff\xd8 bytes", "image/jpeg")
    url = await storage.presigned_url(
        "photos/a/b/display.jpg",
        expires=timedelta(seconds=60),
        content_type="image/jpeg",
        cache_control="private, max-age=60",
    )
    if storage_backend.name == "local":
        assert url is None  # the API streams local photos itself
        return
    assert url is not None and "X-Amz-Signature=" in url and "X-Amz-Expires=60" in url
    async with httpx.AsyncClient() as http:
        r = await http.get(url)
    assert r.status_code == 200 and r.content == b"\xff\xd8 bytes"
    assert r.headers["content-type"] == "image/jpeg"
    assert r.headers["cache-control"] == "private, max-age=60"


async def test_s3_bucket_is_created_on_first_write(
    s3_server: S3Server,  # noqa: F811
    data_dir: Path,
) -> None:
    bucket = f"fresh-{uuid.uuid4().hex[:12]}"
    storage = make_storage(Settings(data_dir=data_dir).with_(**s3_server.settings(bucket)))
    client = s3_server.client()
    assert not client.bucket_exists(bucket)
    assert [o async for o in storage.iter_objects("photos/")] == []  # no bucket: nothing
    await storage.put_bytes("photos/a/b/thumb.jpg", b"x", "image/jpeg")
    assert client.bucket_exists(bucket)
    # A second process finding the bucket there carries on.
    again = make_storage(Settings(data_dir=data_dir).with_(**s3_server.settings(bucket)))
    await again.put_bytes("photos/a/b/display.jpg", b"y", "image/jpeg")
    assert len([o async for o in again.iter_objects("photos/")]) == 2


async def test_an_unreachable_server_or_broken_disk_is_a_storage_error(
    storage_backend: StorageBackend,  # noqa: F811
    data_dir: Path,
) -> None:
    broken = make_storage(Settings(data_dir=data_dir).with_(**storage_backend.outage(data_dir)))
    with pytest.raises(StorageError):
        await broken.put_bytes("photos/a/b/thumb.jpg", b"x", "image/jpeg")
    if storage_backend.name == "s3":
        with pytest.raises(StorageError):
            await broken.stat("photos/a/b/thumb.jpg")


async def test_local_writes_are_atomic(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "photos")
    await storage.put_bytes("photos/a/b/original.jpg", b"complete photo", "image/jpeg")

    class Breaks(io.RawIOBase):
        """A source that fails half-way, like a client or disk giving out mid-copy."""

        def __init__(self) -> None:
            self.sent = False

        def readable(self) -> bool:
            return True

        def readinto(self, buf: Any) -> int:
            if self.sent:
                raise OSError("connection lost")
            self.sent = True
            buf[:4] = b"half"
            return 4

    with pytest.raises(OSError):
        storage._write("photos/a/b/original.jpg", Breaks())  # type: ignore[arg-type]
    assert await storage.get_bytes("photos/a/b/original.jpg") == b"complete photo"
    # No partial file anywhere: not at the key, not left in the temporary folder.
    assert list((tmp_path / "photos" / ".tmp").iterdir()) == []
    assert [o.key async for o in storage.iter_objects("")] == ["photos/a/b/original.jpg"]


def test_endpoints_may_be_given_with_or_without_a_scheme() -> None:
    assert split_endpoint("minio:9000", True) == ("minio:9000", True)
    assert split_endpoint("http://minio:9000/", True) == ("minio:9000", False)
    assert split_endpoint("https://s3.example.org", False) == ("s3.example.org", True)


def test_settings_choose_the_backend(data_dir: Path) -> None:
    assert isinstance(make_storage(Settings(data_dir=data_dir)), LocalStorage)
    s3 = make_storage(
        Settings(data_dir=data_dir).with_(s3_endpoint=f"127.0.0.1:{closed_port()}", s3_secure=False)
    )
    assert isinstance(s3, S3Storage)
