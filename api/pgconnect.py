"""Connecting to PostgreSQL through the app's URL, a single host or a failover pair.

The app's URL is SQLAlchemy's (``postgresql+asyncpg://``). With a primary and a standby it names
both, in SQLAlchemy's multi-host form, and asks for the one that takes writes:
``postgresql+asyncpg://user:pw@/tanggap?host=a:5432&host=b:5432&target_session_attrs=read-write``
(docs/operations.md, "High availability"). The engine, the LISTEN connection
(:mod:`api.adapters.events`) and the worker's pool (:mod:`api.worker`) all take that URL.

asyncpg tries the hosts in turn, but its ``timeout`` covers all of them together: a first host
that does not answer at all (a powered-off machine, a cut network: no refusal, only silence)
would use up the whole time and the second would never be tried, so every connection would
fail for as long as that host stays silent. :func:`connect_primary` gives each host its own
time limit instead, as libpq's ``connect_timeout`` does, and for ``read-write`` asks each host
itself rather than trusting its login report, which a PgBouncer in front of it may have cached
(docs/operations.md, "With a standby").
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import asyncpg
from asyncpg.exceptions import (
    ClientConfigurationError,
    InterfaceError,
    InternalClientError,
    PostgresConnectionError,
    PostgresError,
    TargetServerAttributeNotMatched,
)
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine


def libpq_dsn(url: str) -> str:
    """``postgresql+asyncpg://...`` (SQLAlchemy) to ``postgresql://...`` (asyncpg, libpq).

    A multi-host URL (``...@/db?host=h1:p1&host=h2:p2&target_session_attrs=read-write``)
    becomes libpq's ``postgresql://user@h1:p1,h2:p2/db?target_session_attrs=read-write``:
    asyncpg keeps only the last of repeated ``host=`` query values, but reads every host of a
    comma-separated list, as libpq does.
    """
    u = make_url(url).set(drivername="postgresql")
    hosts = u.query.get("host")
    if not hosts:
        return u.render_as_string(hide_password=False)
    hosts = (hosts,) if isinstance(hosts, str) else hosts
    user = quote(u.username or "", safe="")
    if u.password is not None:
        user += ":" + quote(u.password, safe="")
    query = urlencode(
        [
            (k, v)
            for k, vs in u.query.items()
            if k != "host"
            for v in ((vs,) if isinstance(vs, str) else vs)
        ]
    )
    dsn = f"postgresql://{user}{'@' if user else ''}{','.join(hosts)}/{quote(u.database or '')}"
    return f"{dsn}?{query}" if query else dsn


def dsn_hosts(dsn: str) -> list[tuple[str, int]]:
    """The ``(host, port)`` pairs of a libpq URL (port 5432 when none is given)."""
    out = []
    for part in urlsplit(dsn).netloc.rpartition("@")[2].split(","):
        if part.startswith("["):  # [IPv6]:port
            host, _, rest = part[1:].partition("]")
            port = rest.lstrip(":")
        else:
            host, _, port = part.partition(":")
        if host:
            out.append((host, int(port) if port.isdigit() else 5432))
    return out


# A host that is down, silent, starting up, or not the primary: try the next one.
_NEXT_HOST = (OSError, PostgresConnectionError, TargetServerAttributeNotMatched)
# What connecting raises while there is no primary to reach (a caller retries later).
# TargetServerAttributeNotMatched is neither an OSError nor a PostgresError.
CONNECT_ERRORS = (OSError, asyncpg.PostgresError, TargetServerAttributeNotMatched)


# SQLSTATEs of a server that is unreachable, restarting or full: connection exceptions (08xxx),
# admin or crash shutdown and "the database system is starting up / shutting down" (57P01-03),
# too many connections (53300). SQLAlchemy's asyncpg dialect reports them as a plain
# DBAPIError (api/errors.py looks at their SQLSTATE).
# During a failover (docs/operations.md, "High availability") also: a write refused by a node
# that is, or has just become, a standby (25006, read_only_sql_transaction); the app opens no
# read-only transaction on its primary URL, so there it means "the primary moved".
OUTAGE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300", "25006")


def driver_outage(err: BaseException) -> bool:
    """asyncpg's own exception (raw, or the cause SQLAlchemy wrapped) meaning an outage: an
    outage SQLSTATE, a closed connection, or a client-side state error (``InternalClientError``):
    no primary among a multi-host URL's hosts yet (``target_session_attrs=read-write`` in the
    seconds before the standby is promoted: ``TargetServerAttributeNotMatched``), or a
    connection left mid-operation by a server that died under it (SQLAlchemy's dialect treats
    both as a lost connection too). None has a SQLSTATE."""
    if isinstance(err, InternalClientError):
        return True
    if isinstance(err, InterfaceError) and not isinstance(err, ClientConfigurationError):
        return True
    return isinstance(err, PostgresError) and str(err.sqlstate or "").startswith(OUTAGE_SQLSTATES)


# ``timeout`` by that name: asyncpg's pool passes its connect arguments through.
async def connect_primary(dsn: str, *, timeout: float = 5.0, **kw: Any) -> asyncpg.Connection:  # noqa: ASYNC109
    """``asyncpg.connect(dsn, ...)``, with ``timeout`` for each host of a multi-host ``dsn``
    rather than for all of them (see the module's docstring). ``kw`` goes to asyncpg (and so
    this fits ``asyncpg.create_pool(connect=...)``)."""
    hosts = dsn_hosts(dsn)
    if len(hosts) < 2:
        return await asyncpg.connect(dsn, timeout=timeout, **kw)
    # Asked, not taken from the startup report: a PgBouncer (1.18) replays to every client the
    # in_hot_standby its pool saw at its first login, stale after a promotion or a demotion.
    ask = "read-write" in parse_qs(urlsplit(dsn).query).get("target_session_attrs", [])
    last: BaseException | None = None
    for host, port in hosts:
        conn = None
        try:
            conn = await asyncpg.connect(
                dsn, host=host, port=port, timeout=timeout,
                **({"target_session_attrs": "any"} if ask else {}), **kw,
            )  # fmt: skip
            if not ask or await conn.fetchval(_WRITABLE, timeout=timeout):
                return conn
            last = TargetServerAttributeNotMatched(f"{host}:{port} is not the primary")
        except (*_NEXT_HOST, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            last = exc  # also a PgBouncer whose server is gone (the question fails): next host
        if conn is not None:
            conn.terminate()
    assert last is not None
    raise last


_WRITABLE = "SELECT NOT pg_is_in_recovery() AND current_setting('transaction_read_only') = 'off'"


def follow_primary(engine: AsyncEngine, url: str, **kw: Any) -> None:
    """Make ``engine`` connect through :func:`connect_primary` when ``url`` names several hosts
    (``kw``: asyncpg's ``timeout``, ``command_timeout``, ``statement_cache_size``...). Nothing for
    a single host: SQLAlchemy connects as usual.

    Done in SQLAlchemy's ``do_connect`` event rather than with ``async_creator``: that keeps the
    dialect's own arguments (``prepared_statement_cache_size``, which a pooler needs at 0), which
    ``async_creator`` would drop.
    """
    dsn = libpq_dsn(url)
    if len(dsn_hosts(dsn)) < 2:
        return

    def connect(*_args: Any, **_url_params: Any) -> Awaitable[asyncpg.Connection]:
        return connect_primary(dsn, **kw)

    @event.listens_for(engine.sync_engine, "do_connect")
    def _through_primary(
        _dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]
    ) -> None:
        cargs.clear()
        dialect_args: dict[str, Any] = {
            k: cparams[k]
            for k in ("prepared_statement_cache_size", "prepared_statement_name_func")
            if k in cparams
        }
        cparams.clear()
        cparams.update(dialect_args, async_creator_fn=connect)
