"""A real S3 server over HTTP for storage tests, and the photo-storage backends to run tests on.

moto's server mode (``ThreadedMotoServer``) listens on 127.0.0.1 and speaks S3 over HTTP, so the
official ``minio`` client talks to it exactly as it talks to MinIO (moto's in-process mock would
not see the ``minio`` client at all). Import these fixtures explicitly in the test modules:

    from tests.support.s3_server import s3_server, storage_backend  # noqa: F401
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from minio import Minio
from moto.server import ThreadedMotoServer

ACCESS_KEY = "tanggap-test"
SECRET_KEY = "tanggap-test-secret"
REGION = "us-east-1"


@dataclass(frozen=True)
class S3Server:
    endpoint: str  # host:port

    def settings(self, bucket: str) -> dict[str, Any]:
        """Settings overrides that point the app at this server and bucket."""
        return {
            "s3_endpoint": self.endpoint,
            "s3_access_key": ACCESS_KEY,
            "s3_secret_key": SECRET_KEY,
            "s3_bucket": bucket,
            "s3_region": REGION,
            "s3_secure": False,
        }

    def client(self) -> Minio:
        return Minio(
            self.endpoint, access_key=ACCESS_KEY, secret_key=SECRET_KEY, secure=False, region=REGION
        )


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield S3Server(f"{host}:{port}")
    finally:
        server.stop()


def closed_port() -> int:
    """A loopback port nothing listens on: connecting to it is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class StorageBackend:
    """One photo-storage backend a test runs against, as settings overrides."""

    name: str  # "local" or "s3"
    overrides: dict[str, Any] = field(default_factory=dict)
    server: S3Server | None = None
    bucket: str = ""

    def outage(self, data_dir: Path) -> dict[str, Any]:
        """Overrides under which this backend fails like an outage.

        S3: an endpoint where nothing listens. Local: the photo folder's path is a file, so
        every write fails with an OS error (as on a failed or read-only disk).
        """
        if self.name == "s3":
            return {**self.overrides, "s3_endpoint": f"127.0.0.1:{closed_port()}"}
        (data_dir / "photos").write_bytes(b"not a folder")
        return dict(self.overrides)


@pytest.fixture(params=["local", "s3"])
def storage_backend(request: pytest.FixtureRequest) -> StorageBackend:
    """Each test using this runs twice: photos in a local folder, and in S3 over HTTP.

    Every S3 test gets a bucket of its own that does not exist yet (the app creates it).
    """
    if request.param == "local":
        return StorageBackend("local")
    server: S3Server = request.getfixturevalue("s3_server")
    bucket = f"photos-{uuid.uuid4().hex[:16]}"
    return StorageBackend("s3", server.settings(bucket), server, bucket)
