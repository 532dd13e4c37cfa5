"""`tanggap dev` as a newcomer runs it: data survives restarts; Ctrl-C leaves no postgres."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from api.adapters.pgcluster import free_port


def _postgres_pids(data_dir: Path) -> list[int]:
    out = subprocess.run(
        ["pgrep", "-f", f"postgres -D {data_dir.resolve()}"],
        capture_output=True,
        text=True,
        check=False,
    )
    return [int(p) for p in out.stdout.split()]


def _start(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TANGGAP_DATA_DIR": str(data_dir),
        "TANGGAP_PORT": str(port),
        "TANGGAP_PWA_DIST": str(data_dir / "no-pwa"),
        "TANGGAP_LOG_LEVEL": "WARNING",
    }
    env.pop("TANGGAP_DATABASE_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli", "dev", "--demo-cases", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _wait_ready(base: str, proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read().decode() if proc.stdout else ""
            raise AssertionError(f"tanggap dev exited: {out}")
        try:
            if httpx.get(f"{base}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("tanggap dev did not become ready")


def _ctrl_c(proc: subprocess.Popen[bytes]) -> None:
    # A terminal's Ctrl-C reaches the whole foreground process group.
    os.killpg(proc.pid, signal.SIGINT)
    proc.wait(timeout=60)


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    # A service manager or `kill` signals the process alone, not its group.
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)


def test_dev_keeps_data_across_restarts_and_stops_postgres_on_ctrl_c_and_sigterm() -> None:
    # Not pytest's tmp_path: concurrent pytest runs prune each other's numbered folders.
    root = Path(tempfile.mkdtemp(prefix="tanggap-dev-run-"))
    try:
        _run_twice(root / "data")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _run_twice(data_dir: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _start(data_dir, port)
    try:
        _wait_ready(base, proc)
        login = httpx.post(
            f"{base}/api/auth/login", json={"username": "admin", "password": "tanggap112"}
        ).json()
        headers = {"Authorization": f"Bearer {login['access_token']}"}
        assert httpx.get(f"{base}/api/auth/me", headers=headers).json()["username"] == "admin"
        assert httpx.get(f"{base}/schema/openapi.json").status_code == 200
        r = httpx.post(
            f"{base}/api/admin/users",
            headers=headers,
            json={
                "username": "operator.baru",
                "full_name": "Operator Baru",
                "role": "operator",
                "password": "rahasia-baru-123",
            },
        )
        assert r.status_code == 201, r.text
        assert _postgres_pids(data_dir / "postgres" / "data")
    finally:
        _ctrl_c(proc)
    assert _postgres_pids(data_dir / "postgres" / "data") == []
    proc = _start(data_dir, port)
    try:
        _wait_ready(base, proc)
        r = httpx.post(
            f"{base}/api/auth/login",
            json={"username": "operator.baru", "password": "rahasia-baru-123"},
        )
        assert r.status_code == 200, r.text
    finally:
        _terminate(proc)
    # SIGTERM stops the run as Ctrl-C does: uvicorn shuts down, then the embedded database.
    assert proc.returncode == 0, proc.stdout.read().decode() if proc.stdout else ""
    assert _postgres_pids(data_dir / "postgres" / "data") == []


def test_dev_leaves_a_cluster_it_found_running_and_says_so_on_ctrl_c() -> None:
    from api.adapters.pgcluster import EmbeddedPostgres

    root = Path(tempfile.mkdtemp(prefix="tanggap-dev-found-"))
    cluster = EmbeddedPostgres(root / "data" / "postgres")
    try:
        cluster.start()  # someone else's run left it up
        port = free_port()
        proc = _start(root / "data", port)
        try:
            _wait_ready(f"http://127.0.0.1:{port}", proc)
        finally:
            _ctrl_c(proc)
        out = proc.stdout.read().decode() if proc.stdout else ""
        assert proc.returncode == 0, out
        assert "already running" in out and "left running on Ctrl-C" in out
        assert "Left the database running" in out
        assert "Stopped the database" not in out
        assert cluster.postmaster_state() == "running"
        assert _postgres_pids(cluster.pgdata)
    finally:
        cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)
    assert _postgres_pids(root / "data" / "postgres" / "data") == []
