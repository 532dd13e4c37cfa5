"""A pg_auto_failover formation on 127.0.0.1 for the failover drill: a monitor, a primary and a
synchronous hot standby, each node a ``pg_autoctl run`` keeper with its own PostgreSQL (and a
PgBouncer in front of it, :attr:`Node.pgbouncer`, started by the drill), and the ``tanggap
worker`` process that follows the primary.

Every process runs in a session of its own (as root, as the ``postgres`` user through ``runuser``),
so :meth:`Formation.kill_host` can kill a node's whole process group at once (the keeper, the
postmaster, its backends: what a dead host leaves behind; its PgBouncer, a session of its own, right
after) and :meth:`Formation.close` leaves nothing running, by process group and by pid file, never
by name. Every wait has a deadline. pg_autoctl keeps its configuration and state under
``XDG_CONFIG_HOME`` / ``XDG_DATA_HOME``, pointed into the formation's own folder, so removing it
removes everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from api.adapters.pgcluster import find_bindir
from tests.conftest import Server
from tests.support.pgbouncer import PgBouncer
from tests.support.processes import cli_process, free_port

PG_AUTOCTL = shutil.which("pg_autoctl") or "/usr/bin/pg_autoctl"

# The monitor's health checks, tightened for a drill on one machine (pg_auto_failover's
# defaults in brackets; docs/operations.md says what production uses and why):
DRILL_MONITOR_SETTINGS = {
    "pgautofailover.health_check_period": 1000,  # ms between checks [5000]
    "pgautofailover.health_check_timeout": 1000,  # ms for one connection attempt [5000]
    "pgautofailover.health_check_max_retries": 1,  # [2]
    "pgautofailover.health_check_retry_delay": 500,  # ms [2000]
    # No report from the keeper for this long (and failed health checks): unhealthy [20000].
    "pgautofailover.node_considered_unhealthy_timeout": 3000,
    # How long the standby waits for an unreachable primary to demote itself [30000].
    "pgautofailover.primary_demote_timeout": 5000,
}


@dataclass
class Node:
    name: str
    pgdata: Path
    port: int
    log: Path
    popen: subprocess.Popen[bytes] | None = None
    # Production's PgBouncer on this node's host, in front of its PostgreSQL (the drill's).
    pgbouncer: PgBouncer | None = None

    def dsn(self, database: str = "tanggap") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def server(self) -> Server:
        """This node as a server to put a PgBouncer in front of (trust: no password)."""
        return Server(self.dsn("postgres"), "127.0.0.1", self.port, "postgres", "")

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.pgdata / "postmaster.pid").read_text().splitlines()[0])
        except (OSError, IndexError, ValueError):
            return None


@dataclass
class Formation:
    """Monitor + nodes in ``root``; use as a context manager (cleans up even on failure)."""

    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="tanggap-ha-")))
    database: str = "tanggap"
    nodes: dict[str, Node] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.bindir = find_bindir()
        self.as_root = os.geteuid() == 0
        root = self.root
        self.monitor = Node("monitor", root / "monitor", free_port(), root / "monitor.log")
        self._others: list[subprocess.Popen[bytes]] = []
        # The postgres user must reach and own the folder.
        self.root.chmod(0o755)
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")

    # ------------------------------------------------------------ processes
    def _cmd(self, *args: str) -> list[str]:
        env = [
            f"XDG_CONFIG_HOME={self.root / 'config'}",
            f"XDG_DATA_HOME={self.root / 'share'}",
            f"PATH={self.bindir}:/usr/bin:/bin",
        ]
        cmd = ["env", *env, PG_AUTOCTL, *args]
        return ["runuser", "-u", "postgres", "--", *cmd] if self.as_root else cmd

    def _autoctl(self, *args: str, log: Path) -> None:
        with open(log, "ab") as out:
            done = subprocess.run(
                self._cmd(*args), stdout=out, stderr=subprocess.STDOUT, timeout=120, check=False
            )
        if done.returncode != 0:
            raise RuntimeError(f"pg_autoctl {args[0]} {args[1]} failed:\n{tail(log)}")

    def _run(self, node: Node) -> None:
        with open(node.log, "ab") as out:
            node.popen = subprocess.Popen(
                self._cmd("run", "--pgdata", str(node.pgdata)),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def monitor_uri(self) -> str:
        return (
            f"postgres://autoctl_node@127.0.0.1:{self.monitor.port}/pg_auto_failover"
            "?sslmode=disable"
        )

    def create_monitor(self) -> None:
        m = self.monitor
        self._autoctl(
            "create", "monitor", "--pgdata", str(m.pgdata), "--pgport", str(m.port),
            "--hostname", "127.0.0.1", "--listen", "127.0.0.1", "--auth", "trust", "--no-ssl",
            log=m.log,
        )  # fmt: skip
        self._run(m)

    def add_node(self, name: str) -> Node:
        node = Node(name, self.root / name, free_port(), self.root / f"{name}.log")
        self.nodes[name] = node
        self._autoctl(
            "create", "postgres", "--pgdata", str(node.pgdata), "--pgport", str(node.port),
            "--hostname", "127.0.0.1", "--listen", "127.0.0.1", "--auth", "trust", "--no-ssl",
            "--name", name, "--dbname", self.database, "--monitor", self.monitor_uri,
            log=node.log,
        )  # fmt: skip
        self._run(node)
        return node

    def kill_host(self, node: Node) -> None:
        """kill -9 of everything the node's host runs, at once: its keeper (which would
        otherwise restart PostgreSQL in place), the postmaster, every backend, and its PgBouncer
        (a process of its own here; on a real host it dies with the rest)."""
        assert node.popen is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(node.popen.pid, signal.SIGKILL)
        if node.pgbouncer is not None:
            node.pgbouncer.kill()
        node.popen.wait(10)
        deadline = time.monotonic() + 10
        while (pid := node.postmaster_pid()) is not None and _alive(pid):
            assert time.monotonic() < deadline, f"{node.name}'s postmaster survived"
            time.sleep(0.01)

    def spawn(self, popen: subprocess.Popen[bytes]) -> subprocess.Popen[bytes]:
        """Have :meth:`close` stop this process (and its group) too."""
        self._others.append(popen)
        return popen

    def close(self) -> None:
        for p in self._others:
            _stop_group(p, signal.SIGTERM)
        for node in [self.monitor, *self.nodes.values()]:
            if node.popen is not None:
                _stop_group(node.popen, signal.SIGKILL)
            pid = node.postmaster_pid()
            if pid is not None and _alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Formation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ the monitor
    async def tune_monitor(self, settings: dict[str, int]) -> None:
        conn = await asyncpg.connect(self.monitor.dsn("pg_auto_failover"), timeout=5)
        try:
            for name, value in settings.items():
                await conn.execute(f"ALTER SYSTEM SET {name} = {int(value)}")
            await conn.execute("SELECT pg_reload_conf()")
        finally:
            await conn.close()

    async def wait_accepting(self, node: Node, timeout: float = 30) -> None:
        """Until the node's PostgreSQL takes connections (``pg_autoctl create`` stops it when
        done; ``pg_autoctl run`` starts it again)."""
        database = "pg_auto_failover" if node is self.monitor else self.database
        deadline = time.monotonic() + timeout
        while True:
            try:
                conn = await asyncpg.connect(node.dsn(database), timeout=2)
            except (OSError, asyncpg.PostgresError):
                assert time.monotonic() < deadline, f"{node.name} down:\n{tail(node.log)}"
                await asyncio.sleep(0.1)
                continue
            await conn.close()
            return

    async def states(self) -> dict[str, tuple[str, str]]:
        """Each node's (reported state, assigned state), as the monitor sees them."""
        conn = await asyncpg.connect(self.monitor.dsn("pg_auto_failover"), timeout=3)
        try:
            rows = await conn.fetch(
                "SELECT nodename, reportedstate::text AS reported, goalstate::text AS goal "
                "FROM pgautofailover.node"
            )
        finally:
            await conn.close()
        return {r["nodename"]: (r["reported"], r["goal"]) for r in rows}

    async def wait_states(self, want: dict[str, str], timeout: float) -> float:
        """Until each named node reports (and is assigned) the state wanted; returns the time."""
        deadline = time.monotonic() + timeout
        seen: dict[str, tuple[str, str]] = {}
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, asyncpg.PostgresError):
                seen = await self.states()
                if all(seen.get(n) == (s, s) for n, s in want.items()):
                    return time.monotonic()
            await asyncio.sleep(0.1)
        raise AssertionError(f"states never became {want}: {seen}\n{self.logs()}")

    # ------------------------------------------------------------ what the app uses
    def url(self) -> str:
        """The app's URL: every node, and only a primary will do (SQLAlchemy's multi-host form)."""
        return self._multi_host([n.port for n in self.nodes.values()])

    def pooled_url(self) -> str:
        """The same over each node's PgBouncer (:attr:`Node.pgbouncer`): production's
        ``TANGGAP_DATABASE_URL`` (docs/operations.md, "With a standby")."""
        ports = [n.pgbouncer.port for n in self.nodes.values() if n.pgbouncer is not None]
        assert len(ports) == len(self.nodes), "a PgBouncer in front of every node"
        return self._multi_host(ports)

    def _multi_host(self, ports: list[int]) -> str:
        hosts = "&".join(f"host=127.0.0.1:{port}" for port in ports)
        return (
            f"postgresql+asyncpg://postgres@/{self.database}?{hosts}"
            "&target_session_attrs=read-write"
        )

    def logs(self) -> str:
        nodes = [self.monitor, *self.nodes.values()]
        bouncers = [(n.name, n.pgbouncer) for n in nodes if n.pgbouncer is not None]
        return "\n".join(
            [f"--- {n.name}\n{tail(n.log, 1500)}" for n in nodes]
            + [f"--- {name}'s pgbouncer\n{b.log()[-1500:]}" for name, b in bouncers]
        )


def worker_process(formation: Formation, data_dir: Path, url: str, **settings: Any) -> Path:
    """``tanggap worker`` on ``url`` (stopped by :meth:`Formation.close`); returns its log
    file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANGGAP_")}
    env.update(
        {
            "TANGGAP_DATABASE_URL": url,
            "TANGGAP_DATA_DIR": str(data_dir),
            "TANGGAP_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update({f"TANGGAP_{k.upper()}": str(v) for k, v in settings.items()})
    log = data_dir / "worker.log"
    formation.spawn(cli_process("worker", env, log))
    return log


@contextlib.contextmanager
def formation() -> Iterator[Formation]:
    f = Formation()
    try:
        yield f
    finally:
        f.close()


def tail(path: Path, size: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-size:]
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (killed, not yet reaped by its parent) counts as gone.
    with contextlib.suppress(OSError):
        return " Z" not in Path(f"/proc/{pid}/stat").read_text().split(")", 1)[1][:3]
    return False


def _stop_group(popen: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """Signal the whole process group (its members may outlive the leader), then reap."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(popen.pid, sig)
    try:
        popen.wait(10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(popen.pid, signal.SIGKILL)
        popen.wait(10)
