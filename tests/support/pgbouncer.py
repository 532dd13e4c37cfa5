"""PgBouncer (the distribution's ``/usr/sbin/pgbouncer``) in front of a test PostgreSQL server,
or of a failover drill's node (``Node.server()`` in :mod:`tests.support.autofailover`).

Transaction pooling, on 127.0.0.1 and a free port, its configuration, log and pid file in a
temporary folder that is removed afterwards; the process is stopped by its id. As root it runs as
the ``postgres`` OS user (PgBouncer refuses root), like the embedded cluster.

The admin console (the ``pgbouncer`` database) speaks only the simple query protocol, so it is
read with ``psql``, not asyncpg.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from api.adapters.pgcluster import find_bindir
from tests.conftest import Server
from tests.support.processes import free_port

PGBOUNCER = "/usr/sbin/pgbouncer"


@dataclass
class PgBouncer:
    port: int
    user: str
    pool_size: int
    popen: subprocess.Popen[bytes]
    folder: Path

    def url(self, database: str) -> str:
        """A SQLAlchemy URL to ``database`` through the pooler."""
        return f"postgresql+asyncpg://{self.user}@127.0.0.1:{self.port}/{database}"

    def log(self) -> str:
        try:
            return (self.folder / "pgbouncer.log").read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def show(self, what: str) -> list[dict[str, str]]:
        """``SHOW <what>`` on the admin console (``POOLS``, ``STATS``, ``SERVERS``...)."""
        psql = [str(find_bindir() / "psql"), "-h", "127.0.0.1", "-p", str(self.port)]
        res = subprocess.run(
            [*psql, "-U", self.user, "-d", "pgbouncer", "--csv", "-c", f"SHOW {what}"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if res.returncode != 0:
            raise RuntimeError(f"SHOW {what} failed: {res.stderr.strip()}\n{self.log()}")
        return list(csv.DictReader(io.StringIO(res.stdout)))

    def row(self, what: str, database: str) -> dict[str, str]:
        """This database's line of ``SHOW POOLS`` or ``SHOW STATS`` (empty before its first
        client: PgBouncer makes a pool when a client first asks for it)."""
        rows = [r for r in self.show(what) if r.get("database") == database]
        assert len(rows) <= 1, (what, database, rows)
        return rows[0] if rows else {}

    def transactions(self, database: str) -> int:
        """Transactions PgBouncer has passed to ``database`` so far."""
        return int(self.row("STATS", database).get("total_xact_count", 0))

    def kill(self) -> None:
        """kill -9 (its host died): clients' connections are reset, new ones refused."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(10)


def _config(
    port: int, upstream: str, databases: list[str], pool_size: int, folder: Path, user: str
) -> str:
    entries = "\n".join(f"{d} = {upstream} dbname={d}" for d in databases)
    # Clients are trusted (127.0.0.1 only, as the test cluster trusts them); PgBouncer logs in
    # to the server with the auth file's password, empty for the test cluster.
    return f"""\
[databases]
{entries}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {folder / "userlist.txt"}
admin_users = {user}
pool_mode = transaction
default_pool_size = {pool_size}
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 200
max_db_connections = {pool_size}
;; As infra/pgbouncer/pgbouncer.ini: how long a client may queue for a server connection, how
;; long a server connection may take to open, and the pause after a failed one.
query_wait_timeout = 15
server_connect_timeout = 5
server_login_retry = 1
logfile = {folder / "pgbouncer.log"}
pidfile = {folder / "pgbouncer.pid"}
log_connections = 0
log_disconnections = 0
stats_period = 1
"""


@contextlib.contextmanager
def pgbouncer(server: Server, databases: list[str], *, pool_size: int = 4) -> Iterator[PgBouncer]:
    """PgBouncer in transaction mode in front of ``databases`` on the test server; at most
    ``pool_size`` server connections per database."""
    folder = Path(tempfile.mkdtemp(prefix="tanggap-pgbouncer-"))
    port = free_port()
    user = server.user
    (folder / "userlist.txt").write_text(f'"{user}" "{server.password}"\n')
    ini = folder / "pgbouncer.ini"
    upstream = f"host={server.host} port={server.port}"
    ini.write_text(_config(port, upstream, databases, pool_size, folder, user))
    as_root = os.geteuid() == 0
    if as_root:
        shutil.chown(folder, "postgres", "postgres")
        for f in folder.iterdir():
            shutil.chown(f, "postgres", "postgres")
    popen = subprocess.Popen(
        [PGBOUNCER, str(ini)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        user="postgres" if as_root else None,
        group="postgres" if as_root else None,
    )
    bouncer = PgBouncer(port, user, pool_size, popen, folder)
    try:
        _wait_listening(bouncer)
        yield bouncer
    finally:
        if popen.poll() is None:
            popen.terminate()  # SIGTERM: PgBouncer 1.18 exits at once
            try:
                popen.wait(10)
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


def _wait_listening(bouncer: PgBouncer, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if bouncer.popen.poll() is not None:
            raise RuntimeError(f"pgbouncer exited ({bouncer.popen.returncode}):\n{bouncer.log()}")
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            bouncer.show("VERSION")
            return
        time.sleep(0.05)
    raise TimeoutError(f"pgbouncer did not start:\n{bouncer.log()}")
