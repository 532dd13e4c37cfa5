"""A primary and a real streaming hot standby on 127.0.0.1, each logging every statement to a log
file of its own, so a test can count the statements each node ran.

The primary is an embedded cluster (:mod:`api.adapters.pgcluster`, run as the ``postgres`` user
when root) with PostgreSQL's defaults for replication (``wal_level = replica``, ten WAL senders,
``initdb``'s trust rule for replication from 127.0.0.1). The standby is ``pg_basebackup -R`` of
it, started on a free port of its own. :func:`primary_and_standby` stops both and removes their
folders however the test ends.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from api.adapters.pgcluster import ClusterError, EmbeddedPostgres

# Every statement into the server log, each entry prefixed with its database (``@tanggap@``).
STATEMENT_LOG = ["-c log_statement=all", "-c log_line_prefix=@%d@"]
_ENTRY = re.compile(r"^@(?P<db>[^@]*)@(?P<level>[A-Z]+):  (?P<message>.*)$")
_STATEMENT = re.compile(r"^(?:statement|execute [^:]*): (?P<sql>.*)$")


class HotStandby(EmbeddedPostgres):
    """A standby made by ``pg_basebackup -R``: its databases are the primary's, read-only."""

    def create_database(self, name: str, template: str | None = None) -> None:
        """Nothing to create: the standby replays the primary's databases."""

    def clone(self, primary: EmbeddedPostgres) -> None:
        """``pg_basebackup -R`` of the running ``primary`` into this (absent) data folder."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.rundir.mkdir(parents=True, exist_ok=True)
        self._chown()
        res = self._run(
            [
                "pg_basebackup",
                "-h",
                "127.0.0.1",
                "-p",
                str(primary.port),
                "-U",
                "postgres",
                "-D",
                str(self.pgdata),
                "-R",  # standby.signal + primary_conninfo: a streaming standby
                "-X",
                "stream",
                "-c",
                "fast",
                "--no-sync",
            ]
        )
        if res.returncode != 0:
            raise ClusterError(f"pg_basebackup failed: {res.stderr.strip()}")

    def replay_lsn(self) -> str:
        return self.psql("SELECT pg_last_wal_replay_lsn()")


@dataclass
class StatementLog:
    """The statements one node ran on one database, read from its server log."""

    path: Path
    database: str
    offset: int = 0

    def mark(self) -> None:
        """Count from here on."""
        self.offset = self.path.stat().st_size

    def since_mark(self) -> list[str]:
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            text = f.read().decode(errors="replace")
        out: list[str] = []
        current: list[str] | None = None  # the lines of the statement being read
        for line in text.splitlines():
            entry = _ENTRY.match(line)
            if entry is None:  # a statement's next line
                if current is not None:
                    current.append(line.strip())
                continue
            if current is not None:
                out.append(" ".join(p for p in current if p))
                current = None
            sql = _STATEMENT.match(entry["message"]) if entry["level"] == "LOG" else None
            if sql and entry["db"] == self.database:
                current = [sql["sql"].strip()]
        if current is not None:
            out.append(" ".join(p for p in current if p))
        return out


@dataclass
class Pair:
    primary: EmbeddedPostgres
    standby: HotStandby
    database: str

    def log(self, node: EmbeddedPostgres) -> StatementLog:
        return StatementLog(node.rundir / "postgres.log", self.database)

    def wait_replayed(self, timeout: float = 20.0) -> float:
        """Until the standby has replayed everything the primary wrote so far; the seconds."""
        began = time.monotonic()
        target = self.primary.psql("SELECT pg_current_wal_lsn()")
        while time.monotonic() - began < timeout:
            caught_up = self.standby.psql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")
            if caught_up == "t":
                return time.monotonic() - began
            time.sleep(0.02)
        raise TimeoutError(f"the standby did not replay up to {target} within {timeout} s")

    def pause_replay(self) -> None:
        self.standby.psql("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self.standby.psql("SELECT pg_wal_replay_resume()")


@contextlib.contextmanager
def primary_and_standby(
    prepare: Callable[[str], None] | None = None, *, database: str = "tanggap"
) -> Iterator[Pair]:
    """A primary (``prepare(url)`` runs on it before the standby is cloned: migrations, seed)
    and its streaming hot standby, both logging every statement."""
    root = Path(tempfile.mkdtemp(prefix="tanggap-replica-"))
    primary = EmbeddedPostgres(
        root / "primary", database=database, durable=False, extra_options=STATEMENT_LOG
    )
    standby = HotStandby(
        root / "standby", database=database, durable=False, extra_options=STATEMENT_LOG
    )
    try:
        primary.start()
        if prepare is not None:
            prepare(primary.url)
        primary.psql("CHECKPOINT")
        standby.clone(primary)
        standby.start()
        pair = Pair(primary, standby, database)
        pair.wait_replayed()
        yield pair
    finally:
        for node in (standby, primary):
            with contextlib.suppress(ClusterError, OSError):
                node.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)
