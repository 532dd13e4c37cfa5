"""Real processes for fault drills: the API as ``tanggap serve`` runs it, and a TCP proxy that
can cut a dependency off (an outage) and bring it back on the same address.

Everything listens on 127.0.0.1, every wait has a deadline, and a process is stopped by its id.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ApiProcess:
    """``tanggap serve`` in a process of its own (uvicorn, production settings)."""

    popen: subprocess.Popen[bytes]
    base_url: str
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def kill(self) -> None:
        """``kill -9``: no shutdown, no flushing, as in a crash or an OOM kill."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.popen.pid, signal.SIGKILL)
        self.popen.wait(10)

    def stop(self) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(10)


def wait_ready(api: ApiProcess, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if api.popen.poll() is not None:
            raise RuntimeError(f"the API exited ({api.popen.returncode}):\n{api.output()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(api.base_url + "/health/live", timeout=1).status_code == 200:
                return
        time.sleep(0.05)
    raise TimeoutError(f"the API did not start:\n{api.output()}")


def prepare_keys(data_dir: Path) -> None:
    """Generate the data folder's keys once, before any server process reads them."""
    from api.adapters import keys
    from api.config import Settings

    s = replace(Settings(), data_dir=data_dir)
    keys.token_key(s)
    keys.vapid_keys(s)
    keys.pbx_secret(s)


# `tanggap serve` refuses to start while an account has the published demo password, so a
# production-shaped process gives the demo users this one instead (tests and benchmarks only).
SERVE_PASSWORD = "drill-password-112"


def retire_demo_passwords(database_url: str, password: str = SERVE_PASSWORD) -> None:
    """Give every demo user ``password`` (what an operator does before ``tanggap serve``)."""
    import asyncio

    import asyncpg

    from api.adapters.events import libpq_dsn
    from api.security import hash_password
    from api.seed import DEMO_USERS

    async def run() -> None:
        conn = await asyncpg.connect(libpq_dsn(database_url))
        try:
            await conn.execute(
                "UPDATE users SET password_hash = $1 WHERE username = ANY($2::text[])",
                hash_password(password),
                [u[0] for u in DEMO_USERS],
            )
        finally:
            await conn.close()

    # Callers may be inside a running event loop (async tests): run on a thread of its own.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


def run_cli(
    args: list[str], env: dict[str, str], stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """``tanggap <args>`` to its end (at most two minutes), its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def cli_process(command: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``tanggap <command>`` in a session of its own, its output into ``log``."""
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "api.cli", command],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@contextlib.contextmanager
def api_process(
    database_url: str, data_dir: Path, *, retire_demo: bool = True, **settings: Any
) -> Iterator[ApiProcess]:
    """The API as production starts it, with the embedded keys of ``data_dir``; the demo users
    sign in with :data:`SERVE_PASSWORD` (unless ``retire_demo=False``)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    prepare_keys(data_dir)
    if retire_demo:
        retire_demo_passwords(database_url)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANGGAP_")}
    env.update(
        {
            "TANGGAP_DATABASE_URL": database_url,
            "TANGGAP_DATA_DIR": str(data_dir),
            "TANGGAP_ALLOW_EMBEDDED": "1",
            "TANGGAP_HOST": "127.0.0.1",
            "TANGGAP_PORT": str(port),
            "TANGGAP_WORKERS": "1",
            "TANGGAP_LOG_LEVEL": "WARNING",
            "TANGGAP_PWA_DIST": str(data_dir / "no-pwa"),
        }
    )
    env.update({f"TANGGAP_{k.upper()}": str(v) for k, v in settings.items()})
    log = data_dir / "api.log"
    api = ApiProcess(cli_process("serve", env, log), f"http://127.0.0.1:{port}", log)
    try:
        wait_ready(api)
        yield api
    finally:
        api.stop()


class TcpProxy:
    """Forwards 127.0.0.1:<port> to an upstream address until :meth:`cut` (connections are then
    refused, and open ones reset) and again after :meth:`restore`, on the same port.

    :meth:`cut_at` arms a trip wire instead: the outage starts just before the n-th request
    line starting with the given bytes (say ``b"PUT /"``) reaches the upstream.
    """

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._trip: tuple[bytes, int] | None = None
        self.seen = 0
        self.restore()

    def cut_at(self, marker: bytes, n: int) -> None:
        with self._lock:
            self._trip, self.seen = (marker, n), 0

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def restore(self) -> None:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        s.listen(64)
        self._listener = s
        threading.Thread(target=self._accept, args=(s,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            conns, self._conns = self._conns, set()
        if listener is not None:
            listener.close()
        for c in conns:
            with contextlib.suppress(OSError):
                # Linger 0: the peer sees a reset, as when a server dies.
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                c.close()

    def close(self) -> None:
        self.cut()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    upstream.close()
                    return
                self._conns |= {client, upstream}
            for a, b, outbound in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(target=self._pump, args=(a, b, outbound), daemon=True).start()

    def _tripped(self, data: bytes) -> bool:
        with self._lock:
            if self._trip is None:
                return False
            marker, n = self._trip
            self.seen += data.count(marker)
            if self.seen < n:
                return False
            self._trip = None
        self.cut()
        return True

    def _pump(self, src: socket.socket, dst: socket.socket, outbound: bool) -> None:
        try:
            while data := src.recv(65536):
                if outbound and self._tripped(data):
                    return
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
            with self._lock:
                self._conns.discard(src)
                self._conns.discard(dst)
