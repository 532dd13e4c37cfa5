"""The ``tanggap`` command: dev, serve, worker, db, seed, users, photos.

A click group of its own (``project.scripts``), not a Litestar CLI plugin: Litestar's CLI builds
the app before it runs a command, and the app needs a database, which ``tanggap dev`` is the one
to start (the embedded cluster).
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import os
import signal
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from api.config import Settings
from api.domain.vocabulary import AGENCY_ROLES, ROLES

if TYPE_CHECKING:
    from api.services.photo_check import SweepReport


@contextlib.contextmanager
def database(settings: Settings, *, keep_running: bool = False) -> Iterator[str]:
    """The database URL: the configured one, or the embedded cluster (started if needed)."""
    with embedded_run(settings, keep_running=keep_running) as run:
        yield run.url


@dataclass
class DatabaseRun:
    """The database a command runs on, and whether this process owns the embedded cluster."""

    url: str
    cluster: Any = None  # EmbeddedPostgres, or None for TANGGAP_DATABASE_URL
    found_running: bool = False  # the cluster was already running: it is left running

    @property
    def owned(self) -> bool:
        """This process started (or restarted) the cluster, so it stops it on exit."""
        return self.cluster is not None and bool(self.cluster.started_here)


@contextlib.contextmanager
def embedded_run(
    settings: Settings,
    *,
    keep_running: bool = False,
    supervise: bool = False,
    say: Any = None,
) -> Iterator[DatabaseRun]:
    """The configured database, or the embedded cluster: started if needed, restarted after a
    crash when ``supervise`` (``tanggap dev``), and on exit stopped only if this process
    started it. ``say`` (``click.echo``) is told what happens to the cluster."""
    if settings.database_url:
        yield DatabaseRun(settings.database_url)
        return
    from api.adapters.pgcluster import ClusterError, ClusterSupervisor, EmbeddedPostgres

    port = int(os.environ.get("TANGGAP_EMBEDDED_PG_PORT", "0"))
    cluster = EmbeddedPostgres(settings.postgres_dir, port=port)
    found_running = cluster.pgdata.exists() and cluster.postmaster_state() == "running"
    try:
        cluster.start()
    except ClusterError as exc:
        raise click.ClickException(str(exc)) from exc
    run = DatabaseRun(cluster.url, cluster, found_running)
    try:
        if supervise:
            with ClusterSupervisor(cluster, say or (lambda _: None)):
                yield run
        else:
            yield run
    finally:
        if keep_running:
            pass
        elif run.owned:
            cluster.stop("fast")
            if say:
                say("Stopped the database this process started.")
        elif say:
            say(
                "Left the database running: it was already running when this started "
                f"(stop it with: pg_ctl -D {cluster.pgdata} stop)."
            )


async def _seed(
    url: str, settings: Settings, demo_cases: int = 200, *, demo_users: bool = True
) -> dict[str, int]:
    """The reference city; with ``demo_users`` the demo users and, on an empty city, a week of
    demo cases (real photos included)."""
    from datetime import UTC, datetime

    from api.adapters.storage import make_storage
    from api.db.session import make_engine, make_sessionmaker
    from api.seed import seed
    from api.seed_demo import DemoContext

    engine = make_engine(url, 2, 0)
    demo = None
    if demo_users and demo_cases > 0:
        demo = DemoContext(settings, make_storage(settings), datetime.now(UTC), demo_cases)
    try:
        async with make_sessionmaker(engine)() as db, db.begin():
            report = await seed(db, demo=demo, demo_users=demo_users)
    finally:
        await engine.dispose()
    await _count_days_in_city_time(url, settings)
    return report.created


async def _count_days_in_city_time(url: str, settings: Settings) -> None:
    """The statistics' day counts in the city's zone (recounted once if the zone changed)."""
    from api.db import stats
    from api.db.session import make_engine, make_sessionmaker

    engine = make_engine(url, 1, 0)
    try:
        async with make_sessionmaker(engine)() as db, db.begin():
            if await stats.use_city_timezone(db, settings.city_timezone):
                click.echo(f"Statistics: days recounted in {settings.city_timezone}.")
    finally:
        await engine.dispose()


@click.group()
def main() -> None:
    """Tanggap 112: emergency and complaint line."""


@main.command()
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default 8000).")
@click.option(
    "--demo-cases",
    default=200,
    show_default=True,
    help="Demo cases to create on a city with none (0 for reference data only).",
)
def dev(host: str | None, port: int | None, demo_cases: int) -> None:
    """Embedded PostGIS, migrations, demo seed, then serve the API and PWA."""
    import uvicorn

    from api.app import create_app
    from api.db import migrate
    from api.seed import demo_logins

    # SIGTERM (a service manager, `kill`) stops the run as Ctrl-C does. Uvicorn shuts down on
    # either and then raises again the signal it caught: SIGTERM's default action would end
    # the process there, before the embedded database and the worker are stopped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    # On a developer's machine nobody stands in front of the API: no forwarded address is trusted.
    settings = Settings.from_env().with_(trusted_proxies=())
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with embedded_run(settings, supervise=True, say=click.echo) as run:
        url = run.url
        migrate.upgrade(url)
        created = asyncio.run(_seed(url, settings, demo_cases))
        if created:
            click.echo(f"Seeded the demo city: {created}")
        if run.cluster is not None:
            # Flush what migrations and the seed wrote: a crash soon after start then
            # recovers from a short WAL tail, not from the whole seed (seconds faster).
            run.cluster.psql("CHECKPOINT")
        app = create_app(settings, database_url=url)
        host = host or settings.host
        port = port or settings.port
        click.echo("")
        click.echo(f"  Tanggap 112 is running at http://{host}:{port}/")
        click.echo(f"  API schema: http://{host}:{port}/schema")
        click.echo("  Demo logins (password: tanggap112):")
        for name in demo_logins():
            click.echo(f"    {name}")
        if run.cluster is None:
            click.echo("  Press Ctrl-C to stop (TANGGAP_DATABASE_URL's database is not touched).")
        elif run.found_running:
            click.echo(
                "  The embedded database was already running: it is watched (restarted if it "
                "crashes) but left running on Ctrl-C."
            )
        else:
            click.echo(
                "  The embedded database is watched (restarted if it crashes) and stops with "
                "Ctrl-C (or SIGTERM)."
            )
        click.echo("")
        config = uvicorn.Config(
            app, host=host, port=port, log_level="warning", access_log=False, proxy_headers=False
        )
        # The push and SLA worker runs in the same process and event loop as the server.
        # Uvicorn re-raises the Ctrl-C it handled once it has shut down: that is a normal stop.
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_serve_with_worker(uvicorn.Server(config), settings, url))


async def _serve_with_worker(server: Any, settings: Settings, url: str) -> None:
    from api import worker

    async with worker.running(settings, url):
        await server.serve()


@main.command("worker")
def worker_cmd() -> None:
    """Deliver Web Push notifications and run periodic jobs (SLA escalation) until stopped."""
    from api import worker
    from api.middleware import configure_logging

    settings = Settings.from_env()
    configure_logging(settings.log_level)

    async def run(url: str) -> None:
        w = worker.Worker(settings, url)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, w.stop.set)
        await w.run()

    with database(settings) as url:
        click.echo("Tanggap 112 worker: delivering push notifications (Ctrl-C to stop).")
        asyncio.run(run(url))


@main.command()
@click.option("--host", default=None)
@click.option("--port", default=None, type=int)
@click.option("--workers", default=None, type=int)
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Production server. Refuses the embedded defaults unless TANGGAP_ALLOW_EMBEDDED=1."""
    import uvicorn

    settings = Settings.from_env()
    missing = settings.embedded_defaults_in_use()
    if missing and not settings.allow_embedded:
        raise click.ClickException(
            "Refusing to serve production on embedded defaults. Set "
            + ", ".join(missing)
            + " (or TANGGAP_ALLOW_EMBEDDED=1 to accept them)."
        )
    if not settings.database_url:
        raise click.ClickException("`tanggap serve` needs TANGGAP_DATABASE_URL.")
    known = asyncio.run(
        _accounts_with_known_password(settings.database_url, settings.database_pooled)
    )
    if known:
        raise click.ClickException(
            "Refusing to serve: these active accounts still have the published demo password: "
            + ", ".join(known)
            + ". Give each a new password or deactivate it (the demo users belong to "
            "`tanggap dev` only), and create real accounts with `tanggap users create`."
        )
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        log_level="warning",
        access_log=False,
        # The app reads forwarded addresses itself, from TANGGAP_TRUSTED_PROXIES only.
        proxy_headers=False,
    )


async def _accounts_with_known_password(url: str, pooled: bool) -> list[str]:
    from api.db.session import make_engine, make_sessionmaker
    from api.services.auth import accounts_with_known_password

    engine = make_engine(url, 1, 0, pooled=pooled)
    try:
        async with make_sessionmaker(engine)() as db:
            return await accounts_with_known_password(db)
    finally:
        await engine.dispose()


@main.group()
def db() -> None:
    """Database migrations."""


def _migration_command(direction: str, default: str, summary: str) -> click.Command:
    """``tanggap db upgrade`` or ``downgrade``: the same command, one Alembic direction each."""

    @db.command(direction, help=summary)
    @click.argument("revision", default=default)
    def command(revision: str) -> None:
        from api.db import migrate

        settings = Settings.from_env()
        with database(settings) as url:
            getattr(migrate, direction)(url, revision)
            if direction == "upgrade" and revision == "head":
                asyncio.run(_count_days_in_city_time(url, settings))
        click.echo(f"Database {direction}d to {revision}.")

    return command


upgrade = _migration_command(
    "upgrade", "head", "Upgrade the schema (default: to the newest revision)."
)
downgrade = _migration_command("downgrade", "-1", "Downgrade the schema (default: one revision).")


@db.command()
@click.option("-m", "--message", required=True)
@click.option("--empty", is_flag=True, help="Do not autogenerate from the models.")
def revision(message: str, empty: bool) -> None:
    """Write a new migration, autogenerated from the models."""
    from api.db import migrate

    with database(Settings.from_env()) as url:
        migrate.revision(url, message, autogenerate=not empty)


@main.command("seed")
@click.option(
    "--demo",
    is_flag=True,
    help="Also the demo users (published password) and demo cases: never in production.",
)
@click.option(
    "--demo-cases",
    default=None,
    type=click.IntRange(min=0),
    help="With --demo: demo cases to create when the city has none (default 200).",
)
def seed_cmd(demo: bool, demo_cases: int | None) -> None:
    """Load the reference city: agencies, categories, areas, teams; no accounts (idempotent)."""
    if demo_cases is not None and not demo:
        raise click.UsageError("--demo-cases needs --demo (demo cases are made by demo users).")
    settings = Settings.from_env()
    with database(settings) as url:
        from api.db import migrate

        migrate.upgrade(url)
        created = asyncio.run(
            _seed(url, settings, 200 if demo_cases is None else demo_cases, demo_users=demo)
        )
    click.echo(f"Seeded: {created}" if created else "Nothing to seed: already up to date.")


@main.group()
def users() -> None:
    """User accounts."""


async def _create_user(url: str, **fields: Any) -> int:
    from sqlalchemy import select

    from api.db.models import Agency, User
    from api.db.session import make_engine, make_sessionmaker
    from api.security import hash_password

    engine = make_engine(url, 1, 0)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            agency_id = None
            if fields["agency"]:
                agency = (
                    await session.execute(
                        select(Agency).where(Agency.code == fields["agency"].upper())
                    )
                ).scalar_one_or_none()
                if agency is None:
                    raise click.ClickException(f"No agency with code {fields['agency']}.")
                agency_id = agency.id
            if fields["role"] in AGENCY_ROLES and agency_id is None:
                raise click.ClickException("Coordinators and field officers need --agency.")
            exists = (
                await session.execute(select(User.id).where(User.username == fields["username"]))
            ).scalar()
            if exists:
                raise click.ClickException(f"User {fields['username']} already exists.")
            user = User(
                username=fields["username"],
                full_name=fields["full_name"],
                role=fields["role"],
                agency_id=agency_id,
                language=fields["language"],
                password_hash=hash_password(fields["password"]),
                active=True,
            )
            session.add(user)
            await session.flush()
            return user.id
    finally:
        await engine.dispose()


@users.command("create")
@click.option("--username", required=True)
@click.option("--full-name", required=True)
@click.option(
    "--role",
    required=True,
    type=click.Choice(ROLES),
)
@click.option("--agency", default=None, help="Agency code, for coordinators and field officers.")
@click.option("--language", default="id", type=click.Choice(["id", "en"]))
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(
    username: str,
    full_name: str,
    role: str,
    agency: str | None,
    language: str,
    password_stdin: bool,
) -> None:
    """Create a user. The password is asked for (never taken from the command line)."""
    import re

    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{2,63}", username):
        raise click.ClickException("Username: 3-64 of a-z, 0-9, '.', '_' or '-'.")
    password = sys.stdin.readline().rstrip("\n") if password_stdin else getpass.getpass()
    if len(password) < 8:
        raise click.ClickException("The password needs at least 8 characters.")
    with database(Settings.from_env()) as url:
        uid = asyncio.run(
            _create_user(
                url,
                username=username,
                full_name=full_name,
                role=role,
                agency=agency,
                language=language,
                password=password,
            )
        )
    click.echo(f"Created user {username} (id {uid}).")


@main.group()
def photos() -> None:
    """Photo evidence in object storage."""


_OLDER_THAN = click.option(
    "--older-than",
    type=click.IntRange(min=0),
    default=None,
    help="Minutes an orphan must have existed (default TANGGAP_PHOTO_ORPHAN_MINUTES, 60).",
)


def _photo_pass(older_than: int | None, *, delete: bool) -> tuple[SweepReport, int]:
    """One pass of the photo check over the configured database and storage."""
    from datetime import timedelta

    from api.services.photo_check import run_sweep

    settings = Settings.from_env()
    minutes = settings.photo_orphan_minutes if older_than is None else older_than
    with database(settings) as url:
        report = asyncio.run(
            run_sweep(url, settings, older_than=timedelta(minutes=minutes), dry_run=not delete)
        )
    return report, minutes


@photos.command("sweep")
@_OLDER_THAN
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; delete nothing.")
def sweep_photos(older_than: int | None, dry_run: bool) -> None:
    """Delete stored photo objects no photo row names (left by failed uploads or crashes)."""
    report, minutes = _photo_pass(older_than, delete=not dry_run)
    verb = "would delete" if dry_run else "deleted"
    click.echo(
        f"Scanned {report.scanned} objects: {report.orphans} orphaned, {verb} {report.deleted} "
        f"older than {minutes} min; {report.missing} missing (see tanggap photos check)."
    )


@photos.command("check")
@_OLDER_THAN
@click.option("--delete-orphans", is_flag=True, help="Delete the orphans older than --older-than.")
def check_photos(older_than: int | None, delete_orphans: bool) -> None:
    """Report photo rows whose objects are missing and objects no row names (orphans), as after
    a database restore. Deletes nothing unless asked; exits with 1 when an object is missing."""
    report, minutes = _photo_pass(older_than, delete=delete_orphans)
    click.echo(f"Checked {report.scanned} stored objects against the photo rows.")
    click.echo(f"Missing (a photo row names them, storage lacks them): {report.missing}")
    for m in report.missing_objects:
        gone = ", deleted photo" if m.deleted else ""
        click.echo(f"  case {m.reference} photo {m.photo_id} {m.variant}{gone}: {m.key}")
    if report.missing > len(report.missing_objects):
        click.echo(f"  ... and {report.missing - len(report.missing_objects)} more")
    click.echo(f"Orphaned (no photo row names them): {report.orphans}")
    for o in report.orphan_objects:
        click.echo(f"  {o.key} ({o.last_modified:%Y-%m-%d %H:%M:%S} UTC, {o.size} bytes)")
    if report.orphans > len(report.orphan_objects):
        click.echo(f"  ... and {report.orphans - len(report.orphan_objects)} more")
    if delete_orphans:
        click.echo(f"Deleted {report.deleted} orphans older than {minutes} min.")
    else:
        click.echo(
            f"Deleted nothing; {report.deleted} orphans are older than {minutes} min "
            "(--delete-orphans deletes them)."
        )
    if report.missing:
        sys.exit(1)


if __name__ == "__main__":
    main()
