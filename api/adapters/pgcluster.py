"""An embedded PostgreSQL + PostGIS cluster living in a project data folder.

Used by ``tanggap dev`` (data kept between runs) and by the test suite (a throwaway cluster with
durability switched off). As root, the server runs as the ``postgres`` OS user because ``initdb``
refuses root; clients stay root and connect over 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

POSTGIS_INSTALL_HINT = "apt-get install -y --no-install-recommends postgresql-15-postgis-3"


class ClusterError(RuntimeError):
    """The embedded cluster cannot be set up or started; the message says how to fix it."""


def find_bindir() -> Path:
    """Where ``initdb`` and ``pg_ctl`` live: ``pg_config --bindir``, else the newest Debian dir."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if out.returncode == 0:
            candidates.append(Path(out.stdout.strip()))
    debian = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
        reverse=True,
    )
    candidates += [Path(p) for p in debian]
    for c in candidates:
        if (c / "initdb").exists() and (c / "pg_ctl").exists():
            return c
    raise ClusterError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found. Install them with: "
        + POSTGIS_INSTALL_HINT
    )


def postgis_available(bindir: Path) -> bool:
    """True when the PostGIS extension files are installed for this server version."""
    version = bindir.parent.name
    patterns = [
        f"/usr/share/postgresql/{version}/extension/postgis.control",
        str(bindir.parent / "share" / "extension" / "postgis.control"),
        str(bindir.parent.parent / "share" / "postgresql" / "extension" / "postgis.control"),
    ]
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--sharedir"], capture_output=True, text=True, check=False)
        if out.returncode == 0:
            patterns.append(f"{out.stdout.strip()}/extension/postgis.control")
    return any(Path(p).exists() for p in patterns)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class EmbeddedPostgres:
    """One cluster in ``root`` (``root/data`` holds PGDATA, ``root/run`` the socket and log)."""

    root: Path
    port: int = 0
    database: str = "tanggap"
    durable: bool = True
    extra_options: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()
        self.bindir = find_bindir()
        self._as_root = hasattr(os, "geteuid") and os.geteuid() == 0
        self._started_here = False

    @property
    def pgdata(self) -> Path:
        return self.root / "data"

    @property
    def rundir(self) -> Path:
        return self.root / "run"

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{self.database}"

    def dsn(self, database: str | None = None) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database or self.database}"

    def _run(self, args: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self._as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, check=False, **kw)  # type: ignore[call-overload]

    def _chown(self) -> None:
        if self._as_root:
            shutil.chown(self.root, "postgres", "postgres")
            for dirpath, dirnames, filenames in os.walk(self.root):
                for n in dirnames + filenames:
                    with contextlib.suppress(FileNotFoundError, PermissionError):
                        shutil.chown(os.path.join(dirpath, n), "postgres", "postgres")
            self._make_reachable()

    def _make_reachable(self) -> None:
        """The postgres user must be able to reach the folder through its parents (another
        program, such as a concurrent pytest resetting its temporary root, may have closed
        one since the server started)."""
        if not self._as_root:
            return
        for parent in self.root.parents:
            mode = parent.stat().st_mode
            if not mode & 0o001:
                try:
                    parent.chmod(mode | 0o001)
                except PermissionError:
                    break

    def ensure_initialised(self) -> None:
        if not postgis_available(self.bindir):
            raise ClusterError(
                "PostGIS is not installed for PostgreSQL "
                f"{self.bindir.parent.name}. Install it with: {POSTGIS_INSTALL_HINT}"
            )
        self.rundir.mkdir(parents=True, exist_ok=True)
        if (self.pgdata / "PG_VERSION").exists():
            self._chown()
            return
        self.root.mkdir(parents=True, exist_ok=True)
        self._chown()
        args = [
            "initdb",
            "-D",
            str(self.pgdata),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ]
        if not self.durable:
            args.append("--no-sync")
        res = self._run(args)
        if res.returncode != 0:
            raise ClusterError(f"initdb failed: {res.stderr.strip() or res.stdout.strip()}")

    def is_running(self) -> bool:
        res = self._run(["pg_ctl", "-D", str(self.pgdata), "status"])
        return res.returncode == 0

    def _running_port(self) -> int | None:
        pid_file = self.pgdata / "postmaster.pid"
        try:
            lines = pid_file.read_text().splitlines()
            return int(lines[3])
        except (OSError, IndexError, ValueError):
            return None

    @property
    def started_here(self) -> bool:
        """This process started (or restarted) the server, so it should stop it."""
        return self._started_here

    def postmaster_pid_exists(self) -> bool:
        """The process the pid file names exists, even as a zombie."""
        try:
            pid = int((self.pgdata / "postmaster.pid").read_text().splitlines()[0])
            os.kill(pid, 0)
        except (OSError, IndexError, ValueError):
            return False
        return True

    def postmaster_state(self) -> str:
        """``running``, ``stopped`` (no ``postmaster.pid``: shut down on purpose or never
        started) or ``crashed`` (the pid file names a process that is gone or a zombie)."""
        try:
            pid = int((self.pgdata / "postmaster.pid").read_text().splitlines()[0])
        except (OSError, IndexError, ValueError):
            return "stopped"
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return "crashed"
        except PermissionError:
            return "running"  # someone else's process with that id: not ours to judge
        try:
            # "pid (comm) S ...": a killed postmaster whose parent has not reaped it yet.
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return "running"
        return "crashed" if state in {"Z", "X"} else "running"

    def start(self) -> None:
        """initdb if needed, start the server, create the database with PostGIS."""
        self.ensure_initialised()
        # Not ``pg_ctl status``: it takes a killed postmaster's zombie for a live server.
        if self.postmaster_state() == "running":
            self.port = self._running_port() or self.port
        else:
            if not self.port:
                self.port = free_port()
            opts = [f"-p {self.port}", f"-k {self.rundir}", "-c listen_addresses=127.0.0.1"]
            if not self.durable:
                opts += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
            opts += self.extra_options
            res = self._run(
                [
                    "pg_ctl",
                    "-D",
                    str(self.pgdata),
                    "-l",
                    str(self.rundir / "postgres.log"),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    " ".join(opts),
                    "start",
                ]
            )
            if res.returncode != 0:
                log_tail = ""
                log = self.rundir / "postgres.log"
                if log.exists():
                    log_tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
                raise ClusterError(f"pg_ctl start failed: {res.stderr.strip()}\n{log_tail}")
            self._started_here = True
        self._wait_ready()
        self.create_database(self.database)

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            res = self._run(["pg_isready", "-h", "127.0.0.1", "-p", str(self.port)])
            if res.returncode == 0:
                return
            time.sleep(0.1)
        raise ClusterError(f"PostgreSQL did not become ready on port {self.port}")

    def psql(self, sql: str, database: str = "postgres") -> str:
        res = subprocess.run(
            [
                str(self.bindir / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-tAc",
                sql,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if res.returncode != 0:
            raise ClusterError(f"psql failed: {res.stderr.strip()}")
        return res.stdout.strip()

    def create_database(self, name: str, template: str | None = None) -> None:
        if not name.replace("_", "").isalnum():
            raise ClusterError(f"bad database name {name!r}")
        exists = self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'")  # noqa: S608
        if not exists:
            tmpl = f" TEMPLATE {template} STRATEGY FILE_COPY" if template else ""
            self.psql(f'CREATE DATABASE "{name}"{tmpl}')
        if not template:
            self.psql("CREATE EXTENSION IF NOT EXISTS postgis", database=name)

    def stop(self, mode: str = "fast") -> None:
        if not self.pgdata.exists():
            return
        if self.postmaster_state() == "running":
            self._make_reachable()
            res = self._run(
                ["pg_ctl", "-D", str(self.pgdata), "-m", mode, "-w", "-t", "60", "stop"]
            )
            if res.returncode != 0 and self.postmaster_state() == "running":
                raise ClusterError(f"pg_ctl stop failed: {res.stderr.strip()}")


class ClusterSupervisor:
    """Watches an embedded cluster and restarts its postmaster when it dies without a shutdown.

    A clean stop (``pg_ctl stop``, Ctrl-C) removes ``postmaster.pid`` and is left alone; a pid
    file naming a dead process means a crash (kill -9, OOM killer): ``pg_ctl start`` then runs
    PostgreSQL's own crash recovery from the WAL. Starting is retried every half second while
    the old server's process is not yet reaped or its backends still hold its shared memory.
    Runs in a daemon thread, polling.
    """

    def __init__(
        self,
        cluster: EmbeddedPostgres,
        say: Callable[[str], None],
        interval: float = 0.5,
    ) -> None:
        self.cluster = cluster
        self.say = say
        self.interval = interval
        self.restarts = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="pg-supervisor", daemon=True)

    def __enter__(self) -> ClusterSupervisor:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=90)

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            if self.cluster.postmaster_state() == "crashed":
                self._restart()

    def _restart(self) -> None:
        self.say("PostgreSQL stopped without shutting down (crash or kill); restarting it.")
        began = time.monotonic()
        # A killed postmaster stays a zombie until its parent (init) reaps it, and the new one
        # would take the zombie's pid file for a live server's: wait until it is gone.
        while self.cluster.postmaster_pid_exists() and not self._stop.wait(0.05):
            if time.monotonic() - began > 30:
                break
        gone = time.monotonic() - began
        while not self._stop.is_set():
            try:
                self.cluster.start()
            except ClusterError as exc:
                first = str(exc).splitlines()[0] if str(exc) else "start failed"
                self.say(f"PostgreSQL did not start yet ({first}); retrying.")
                self._stop.wait(0.5)
                continue
            self.restarts += 1
            self.say(
                f"PostgreSQL is back after crash recovery ({time.monotonic() - began:.1f} s; "
                f"the old process was gone after {gone:.1f} s)."
            )
            return
