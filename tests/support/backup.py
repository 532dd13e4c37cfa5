"""A PostGIS cluster with WAL archiving into a pgBackRest repository in a temporary folder, for
the restore drill (``tests/fault/test_restore.py``).

The cluster is an :class:`~api.adapters.pgcluster.EmbeddedPostgres` (as root, it runs as the
``postgres`` user, and so does every ``pgbackrest`` command here: the repository must belong to
the user that archives into it). Its ``archive_command`` is ``pgbackrest archive-push`` with this
module's configuration file, written the way ``infra/pgbackrest/pgbackrest.conf`` is for
production, with the paths and the cipher passphrase of the drill. Every command has a time limit.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from api.adapters.pgcluster import EmbeddedPostgres, free_port

PGBACKREST = shutil.which("pgbackrest") or "/usr/bin/pgbackrest"
STANZA = "tanggap"


class BackupError(RuntimeError):
    """A pgBackRest command failed; the message carries its output and log tail."""


@dataclass
class BackupSite:
    """A cluster in ``root/pg`` archiving into a pgBackRest repository in ``root/backup``."""

    root: Path
    database: str = "tanggap"
    port: int = field(default_factory=free_port)
    cipher_pass: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    def __post_init__(self) -> None:
        self.backup_dir = self.root / "backup"
        self.config = self.backup_dir / "pgbackrest.conf"
        self.cluster = self._cluster()
        self._as_root = hasattr(os, "geteuid") and os.geteuid() == 0

    def _cluster(self, *extra: str) -> EmbeddedPostgres:
        return EmbeddedPostgres(
            self.root / "pg",
            port=self.port,
            database=self.database,
            durable=True,
            extra_options=list(extra),
        )

    @property
    def url(self) -> str:
        return self.cluster.url

    # ------------------------------------------------------------------ setting up
    def _write_config(self) -> None:
        for sub in ("repo", "log", "lock", "spool", "conf.d"):
            (self.backup_dir / sub).mkdir(parents=True, exist_ok=True)
        b = self.backup_dir
        self.config.write_text(
            "\n".join(
                [
                    "[global]",
                    f"repo1-path={b / 'repo'}",
                    "repo1-retention-full=2",
                    "repo1-cipher-type=aes-256-cbc",
                    f"repo1-cipher-pass={self.cipher_pass}",
                    "compress-type=zst",
                    "process-max=2",
                    "start-fast=y",
                    "archive-check=y",
                    f"log-path={b / 'log'}",
                    f"lock-path={b / 'lock'}",
                    f"spool-path={b / 'spool'}",
                    "log-level-console=warn",
                    "log-level-file=info",
                    "",
                    f"[{STANZA}]",
                    f"pg1-path={self.cluster.pgdata}",
                    f"pg1-port={self.port}",
                    f"pg1-socket-path={self.cluster.rundir}",
                    "pg1-user=postgres",
                    "",
                ]
            )
        )
        self.config.chmod(0o600)  # it holds the cipher passphrase

    def _chown(self, path: Path) -> None:
        if not self._as_root:
            return
        shutil.chown(path, "postgres", "postgres")
        for dirpath, dirnames, filenames in os.walk(path):
            for name in dirnames + filenames:
                with contextlib.suppress(FileNotFoundError):
                    shutil.chown(os.path.join(dirpath, name), "postgres", "postgres")

    def start(self) -> None:
        """initdb with archiving into the repository, start, create the stanza, check it."""
        if not Path(PGBACKREST).exists():
            raise BackupError(
                "pgBackRest is not installed: `make setup-test` installs it "
                "(or apt-get install pgbackrest)."
            )
        self._write_config()
        self.cluster.ensure_initialised()
        command = f"{PGBACKREST} --config={self.config} --stanza={STANZA} archive-push %p"
        with open(self.cluster.pgdata / "postgresql.conf", "a") as conf:
            conf.write(
                "\n# restore drill: WAL archiving into pgBackRest\n"
                "archive_mode = on\n"
                f"archive_command = '{command}'\n"
                "wal_level = replica\n"
            )
        self._chown(self.root)
        self.cluster.start()
        self.pgbackrest("stanza-create")
        self.pgbackrest("check")

    # ------------------------------------------------------------------ commands
    def pgbackrest(self, command: str, *options: str, timeout: float = 120) -> str:
        cmd = [
            PGBACKREST,
            f"--config={self.config}",
            f"--config-include-path={self.backup_dir / 'conf.d'}",
            f"--stanza={STANZA}",
            *options,
            command,
        ]
        if self._as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        try:
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise BackupError(f"pgbackrest {command} took over {timeout} s") from exc
        if res.returncode != 0:
            raise BackupError(
                f"pgbackrest {command} failed ({res.returncode}): {res.stderr or res.stdout}\n"
                + self.log_tail()
            )
        return res.stdout

    def log_tail(self, lines: int = 20) -> str:
        out = []
        for log in sorted((self.backup_dir / "log").glob("*.log")):
            with contextlib.suppress(OSError):
                out += [f"== {log.name}", *log.read_text(errors="replace").splitlines()[-lines:]]
        return "\n".join(out)

    def backup(self, kind: str = "full") -> tuple[str, float]:
        """A backup of the running cluster: its label and its duration in seconds."""
        began = time.monotonic()
        self.pgbackrest("backup", f"--type={kind}")
        took = time.monotonic() - began
        return str(self.info()["backup"][-1]["label"]), took

    def info(self) -> dict[str, Any]:
        """The stanza as ``pgbackrest info --output=json`` describes it."""
        stanzas = json.loads(self.pgbackrest("info", "--output=json"))
        return dict(stanzas[0])

    def check_archived(self) -> None:
        """Switch to a new WAL segment and wait until the last one is in the repository."""
        self.pgbackrest("check")

    # ------------------------------------------------------------------ disaster, recovery
    def wipe(self) -> None:
        """Stop the cluster and delete its data folder, as after losing the disk."""
        self.cluster.stop("fast")
        shutil.rmtree(self.cluster.pgdata)

    def restore_to(self, target: str, backup_set: str) -> tuple[float, float]:
        """Restore ``backup_set`` and replay the archived WAL up to ``target``, then promote
        and start. Returns the seconds ``pgbackrest restore`` took, and those from starting
        PostgreSQL (WAL replay, promotion) to a cluster taking writes.

        The set is named because pgBackRest picks one by its stop time in whole seconds: a
        target within a second of the backup's end would find none (an operator restoring to a
        time hours after the backup leaves ``--set`` out)."""
        began = time.monotonic()
        self.cluster.pgdata.mkdir(mode=0o700)
        self._chown(self.cluster.pgdata)
        self.pgbackrest(
            "restore",
            f"--set={backup_set}",
            "--type=time",
            f"--target={target}",
            "--target-action=promote",
        )
        # Without hot standby the server takes no connection until recovery has ended and it
        # was promoted, so ``pg_ctl start -w`` returns only once it takes writes.
        restored = time.monotonic()
        self.cluster = self._cluster("-c hot_standby=off")
        self.cluster.start()
        return restored - began, time.monotonic() - restored

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.cluster.stop("immediate")


@contextlib.contextmanager
def backup_site(database: str = "tanggap") -> Iterator[BackupSite]:
    """A :class:`BackupSite` in a temporary folder, stopped and deleted on the way out."""
    root = Path(tempfile.mkdtemp(prefix="tanggap-restore-"))
    site = BackupSite(root, database=database)
    try:
        yield site
    finally:
        site.stop()
        shutil.rmtree(root, ignore_errors=True)
