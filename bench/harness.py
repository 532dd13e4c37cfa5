"""What every HTTP benchmark needs: servers as real processes, wrk, latency figures, peak RSS.

Servers run exactly as in production (``tanggap serve`` and its settings, or ``granian`` on the
same app factory) on 127.0.0.1, each in its own process group, and are stopped by their id.
Load comes from ``wrk`` in another process; its Lua scripts (``bench/*.lua``) print one
``BENCH_JSON`` line that :func:`run_wrk` parses.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

# `tanggap serve` refuses the published demo password: start_api gives the demo users this one.
from tests.support.processes import SERVE_PASSWORD, retire_demo_passwords

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
WRK = "/usr/bin/wrk"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def machine() -> dict[str, Any]:
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    cpu = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": os.cpu_count(),
        "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "cpu": cpu,
        "python": sys.version.split()[0],
    }


# ----------------------------------------------------------------- figures
@dataclass
class Figure:
    """One measured number, next to the baseline measured in the same run."""

    group: str
    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    # "higher" (throughput) or "lower" (latency, size) is better.
    better: str = "higher"
    target: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline  # type: ignore[operator]

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ratio"] = None if self.ratio is None else round(self.ratio, 3)
        return d


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


@dataclass
class LoadResult:
    """Requests (or transactions) over a bounded run: rate, latency percentiles, outcomes."""

    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    statuses: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    # CPU the server's processes spent per request (user + system), when measured.
    cpu_ms: float | None = None

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def ok(self, status: str) -> int:
        return self.statuses.get(status, 0)

    def summary(self) -> str:
        cpu = f"  CPU {self.cpu_ms:.1f} ms/req" if self.cpu_ms is not None else ""
        return (
            f"{self.rate:8.1f}/s  p50 {self.p50_ms:6.1f} ms  p95 {self.p95_ms:6.1f} ms  "
            f"p99 {self.p99_ms:6.1f} ms{cpu}  {self.statuses} {self.errors or ''}"
        )

    @classmethod
    def from_latencies(cls, lat_s: list[float], seconds: float, ok: int, **kw: Any) -> LoadResult:
        ms = [x * 1000 for x in lat_s]
        return cls(
            requests=ok,
            seconds=seconds,
            p50_ms=statistics.median(ms) if ms else float("nan"),
            p95_ms=pct(ms, 0.95),
            p99_ms=pct(ms, 0.99),
            **kw,
        )


# --------------------------------------------------------------------- wrk
def run_wrk(
    url: str,
    script: str,
    data_file: Path,
    *,
    connections: int,
    seconds: float,
    threads: int = 1,
    extra_args: list[str] | None = None,
) -> LoadResult:
    """Closed-loop load: ``connections`` requests in flight for ``seconds``."""
    cmd = [
        WRK,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(BENCH / script),
        url,
        "--",
        str(data_file),
        *(extra_args or []),
    ]
    env = {**os.environ, "BENCH_LUA_DIR": str(BENCH)}
    proc = subprocess.run(
        cmd, env=env, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    line = next(
        (ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH_JSON ")),
        None,
    )
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr[-2000:]}")
    d = json.loads(line.removeprefix("BENCH_JSON "))
    errors = {k: v for k, v in d["errors"].items() if v and k != "status"}
    return LoadResult(
        requests=d["requests"],
        seconds=d["duration_us"] / 1e6,
        p50_ms=d["p50_us"] / 1000,
        p95_ms=d["p95_us"] / 1000,
        p99_ms=d["p99_us"] / 1000,
        statuses=d["statuses"],
        errors=errors,
    )


# ---------------------------------------------------------------- processes
def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (uvicorn/granian workers), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out: list[int] = []
    todo = [pid]
    while todo:
        p = todo.pop()
        for c in children.get(p, []):
            out.append(c)
            todo.append(c)
    return out


def status_kb(pid: int, key: str) -> int:
    """A ``/proc/<pid>/status`` figure in kB (VmHWM: peak resident set; VmRSS: now)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (from /proc/<pid>/stat)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            continue
    return total / ticks


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@dataclass
class Proc:
    """A server we started, in its own process group."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    base_url: str = ""

    @property
    def pid(self) -> int:
        return self.popen.pid

    def python_processes(self) -> list[int]:
        """The processes that run the app: the workers, or the server itself with one."""
        procs = [self.pid, *descendants(self.pid)]
        # The multiprocessing helper (resource tracker) serves no requests.
        procs = [p for p in procs if "resource_tracker" not in cmdline(p)]
        workers = [p for p in procs if p != self.pid]
        return workers or [self.pid]

    def peak_rss_mb(self) -> dict[int, float]:
        return {p: status_kb(p, "VmHWM") / 1024 for p in self.python_processes()}

    def stop(self, timeout: float = 15.0) -> None:
        if self.popen.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def spawn(name: str, cmd: list[str], env: dict[str, str], log: Path) -> Proc:
    log.parent.mkdir(parents=True, exist_ok=True)
    out = open(log, "wb")  # noqa: SIM115 - the child keeps it open
    popen = subprocess.Popen(
        cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )
    out.close()
    return Proc(name, popen, log)


def wait_http(proc: Proc, path: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited ({proc.popen.returncode}):\n{proc.tail()}")
        try:
            r = httpx.get(proc.base_url + path, timeout=2)
            if r.status_code == 200:
                return
            last = f"{r.status_code} {r.text[:200]}"
        except httpx.HTTPError as exc:
            last = type(exc).__name__
        time.sleep(0.1)
    raise TimeoutError(f"{proc.name} not ready on {path}: {last}\n{proc.tail()}")


def app_env(database_url: str, data_dir: Path, **settings: Any) -> dict[str, str]:
    """Production settings for the app (``TANGGAP_*``), with the generated keys accepted."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANGGAP_")}
    env.update(
        {
            "TANGGAP_DATABASE_URL": database_url,
            "TANGGAP_DATA_DIR": str(data_dir),
            "TANGGAP_ALLOW_EMBEDDED": "1",
            "TANGGAP_PWA_DIST": str(data_dir / "no-pwa"),
        }
    )
    for k, v in settings.items():
        env[f"TANGGAP_{k.upper()}"] = str(v)
    return env


def prepare_keys(data_dir: Path) -> None:
    """Generate the embedded keys once, before several workers start and race to do it."""
    from dataclasses import replace

    from api.adapters import keys
    from api.config import Settings

    s = replace(Settings(), data_dir=data_dir)
    keys.token_key(s)
    keys.vapid_keys(s)
    keys.pbx_secret(s)


def start_api(
    database_url: str,
    data_dir: Path,
    logs: Path,
    *,
    server: str = "uvicorn",
    workers: int = 2,
    **settings: Any,
) -> Proc:
    """The API as production runs it: ``tanggap serve`` (uvicorn), or granian on the factory."""
    port = free_port()
    prepare_keys(data_dir)
    retire_demo_passwords(database_url)
    env = app_env(database_url, data_dir, host="127.0.0.1", port=port, workers=workers, **settings)
    if server == "uvicorn":
        cmd = [sys.executable, "-m", "api.cli", "serve"]
    elif server == "granian":
        cmd = [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "asgi",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--loop",
            "uvloop",
            "--log-level",
            "warning",
            "--no-ws",
            "api.app:create_app",
        ]
    else:
        raise ValueError(server)
    proc = spawn(f"api-{server}-{workers}", cmd, env, logs / f"api-{server}-{workers}.log")
    proc.base_url = f"http://127.0.0.1:{port}"
    try:
        wait_http(proc, "/health/ready")
    except BaseException:
        proc.stop()
        raise
    return proc


def start_worker(database_url: str, data_dir: Path, logs: Path, **settings: Any) -> Proc:
    prepare_keys(data_dir)
    env = app_env(database_url, data_dir, **settings)
    return spawn("worker", [sys.executable, "-m", "api.cli", "worker"], env, logs / "worker.log")


@contextlib.contextmanager
def running(proc: Proc) -> Iterator[Proc]:
    try:
        yield proc
    finally:
        proc.stop()


def login(base_url: str, username: str, password: str = SERVE_PASSWORD) -> str:
    r = httpx.post(
        base_url + "/api/auth/login",
        json={"username": username, "password": password},
        timeout=30,
    )
    r.raise_for_status()
    return str(r.json()["access_token"])


def write_data(path: Path, rows: list[list[Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(" ".join(str(x) for x in row) + "\n" for row in rows))
    return path
