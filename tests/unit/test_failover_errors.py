"""Every error a request can meet while the primary fails over is a 503 with Retry-After.

The asyncpg exceptions are the ones the driver raises; each goes through SQLAlchemy's own
translation (what a session's ``execute`` or a pool checkout raises) or arrives raw (asyncpg
used directly: PgQueuer's enqueue in the request's transaction), then through the app's real
exception handlers. Errors that are bugs stay 500, and a duplicate stays 409.
"""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
import pytest
from asyncpg import exceptions as pg
from litestar import Litestar, get
from litestar.testing import TestClient
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy.dialects.postgresql.asyncpg import (
    AsyncAdapt_asyncpg_connection,
    PGDialect_asyncpg,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from api.adapters.events import libpq_dsn
from api.errors import Unauthorized, answer_status, exception_handlers
from api.metrics import REQUESTS, metrics_middleware
from api.middleware import request_context_middleware

# What a request meets mid-failover, as the driver says it.
FAILOVER_ERRORS: dict[str, BaseException] = {
    # The old primary refuses writes while it is (or becomes) a standby.
    "read_only_transaction": pg.ReadOnlySQLTransactionError(
        "cannot execute INSERT in a read-only transaction"
    ),
    # target_session_attrs=read-write and no host is a primary yet.
    "no_primary_among_hosts": pg.TargetServerAttributeNotMatched(
        'None of the hosts match the target attribute requirement "read-write"'
    ),
    # A node starting up or in recovery.
    "cannot_connect_now": pg.CannotConnectNowError("the database system is starting up"),
    # A node shut down (fast shutdown, demotion by the failover tool).
    "admin_shutdown": pg.AdminShutdownError("terminating connection due to administrator command"),
    # The server died with the connection in use (kill -9, a dead host).
    "connection_lost_mid_transaction": pg.ConnectionDoesNotExistError(
        "connection was closed in the middle of operation"
    ),
    "connection_failure": pg.ConnectionFailureError("could not receive data from server"),
    "crash_shutdown": pg.CrashShutdownError(
        "terminating connection because of crash of another server process"
    ),
    "connection_closed": pg.InterfaceError("connection is closed"),
    # The server died between two statements of one request on the same connection: the
    # protocol is left mid-operation (seen in the embedded database's kill drill).
    "protocol_left_mid_operation": pg.InternalClientError(
        "cannot switch to state 12; another operation (2) is in progress"
    ),
}

# Raised as such by the socket layer: through SQLAlchemy too (it passes them on unchanged).
SOCKET_ERRORS: dict[str, BaseException] = {
    "connection_refused": ConnectionRefusedError(111, "Connection refused"),
    "connection_reset": ConnectionResetError(104, "Connection reset by peer"),
    "connect_timeout": TimeoutError(),
}

DIALECT = PGDialect_asyncpg()
DBAPI = PGDialect_asyncpg.import_dbapi()


def through_sqlalchemy(error: BaseException) -> BaseException:
    """``error`` as SQLAlchemy's asyncpg dialect and engine raise it to the caller."""
    try:
        AsyncAdapt_asyncpg_connection._handle_exception_no_connection(DBAPI, error)  # type: ignore[arg-type]
    except DBAPI.Error as translated:
        return DBAPIError.instance(
            "INSERT INTO cases ...", {}, translated, DBAPI.Error, dialect=DIALECT
        )
    except BaseException as passed_on:
        return passed_on
    raise AssertionError("the dialect swallowed the error")  # pragma: no cover


def answer(error: BaseException) -> Any:
    @get("/boom", sync_to_thread=False)
    def boom() -> None:
        raise error

    app = Litestar([boom], exception_handlers=exception_handlers())
    with TestClient(app) as client:
        return client.get("/boom", headers={"Accept-Language": "en"})


@pytest.mark.parametrize("name", sorted(FAILOVER_ERRORS))
def test_a_failover_error_through_sqlalchemy_is_a_503_with_retry_after(name: str) -> None:
    r = answer(through_sqlalchemy(FAILOVER_ERRORS[name]))
    assert r.status_code == 503, r.text
    assert r.json()["code"] == "service_unavailable"
    assert int(r.headers["retry-after"]) > 0


@pytest.mark.parametrize("name", sorted(FAILOVER_ERRORS))
def test_a_failover_error_from_asyncpg_used_directly_is_a_503_with_retry_after(
    name: str,
) -> None:
    r = answer(FAILOVER_ERRORS[name])
    assert r.status_code == 503, r.text
    assert int(r.headers["retry-after"]) > 0


@pytest.mark.parametrize("name", sorted(SOCKET_ERRORS))
def test_a_socket_error_on_the_way_to_the_database_is_a_503_with_retry_after(
    name: str,
) -> None:
    r = answer(through_sqlalchemy(SOCKET_ERRORS[name]))
    assert r.status_code == 503, r.text
    assert int(r.headers["retry-after"]) > 0


def test_an_exhausted_connection_pool_is_a_503_with_retry_after() -> None:
    """A surge holding every pooled connection past the pool's timeout: retry, not a bug."""
    r = answer(PoolTimeout("QueuePool limit of size 10 overflow 10 reached, timed out"))
    assert r.status_code == 503, r.text
    assert r.json()["code"] == "service_unavailable"
    assert int(r.headers["retry-after"]) > 0


@pytest.mark.parametrize(
    "error",
    [
        pg.DeadlockDetectedError("deadlock detected"),
        pg.SerializationError("could not serialize access due to concurrent update"),
    ],
    ids=["deadlock", "serialization_failure"],
)
def test_a_transaction_rolled_back_for_a_concurrent_one_is_a_503_with_retry_after(
    error: BaseException,
) -> None:
    """Two writers of one statistics row (or any two) that PostgreSQL could not both let
    through: nothing was saved, the same request again succeeds, so the client retries."""
    for raised in (through_sqlalchemy(error), error):
        r = answer(raised)
        assert r.status_code == 503, r.text
        assert r.json()["code"] == "service_unavailable"
        assert int(r.headers["retry-after"]) > 0


def test_bugs_stay_500_and_a_duplicate_stays_409() -> None:
    for bug in (
        pg.DivisionByZeroError("division by zero"),
        pg.UndefinedColumnError('column "x" does not exist'),
    ):
        assert answer(through_sqlalchemy(bug)).status_code == 500, bug
        assert answer(bug).status_code == 500, bug
    assert answer(pg.ClientConfigurationError("bad DSN")).status_code == 500
    duplicate = pg.UniqueViolationError("duplicate key value violates unique constraint")
    assert answer(through_sqlalchemy(duplicate)).status_code == 409


def test_a_multi_host_url_reaches_asyncpg_with_every_host_and_the_session_attribute() -> None:
    """The LISTEN connection and the worker's pool take the URL the engine takes."""
    url = (
        "postgresql+asyncpg://tanggap:p%40ss@/tanggap"
        "?host=pg-a:5432&host=pg-b:5433&target_session_attrs=read-write"
    )
    dsn = libpq_dsn(url)
    assert dsn == (
        "postgresql://tanggap:p%40ss@pg-a:5432,pg-b:5433/tanggap?target_session_attrs=read-write"
    )
    addrs, params = asyncpg.connect_utils._parse_connect_dsn_and_args(  # type: ignore[attr-defined]
        dsn=dsn,
        host=None,
        port=None,
        user=None,
        password=None,
        passfile=None,
        database=None,
        ssl=None,
        direct_tls=None,
        server_settings=None,
        target_session_attrs=None,
        krbsrvname=None,
        gsslib=None,
        service=None,
        servicefile=None,
    )
    assert addrs == [("pg-a", 5432), ("pg-b", 5433)]
    assert (params.user, params.password, params.database) == ("tanggap", "p@ss", "tanggap")
    assert params.target_session_attrs.value == "read-write"
    # The engine's dialect reads the same URL as two hosts.
    from sqlalchemy.engine import make_url

    _, kw = DIALECT.create_connect_args(make_url(url))
    assert kw["host"] == ["pg-a", "pg-b"] and kw["port"] == [5432, 5433]
    assert kw["target_session_attrs"] == "read-write"
    # A single-host URL is unchanged.
    assert libpq_dsn("postgresql+asyncpg://u@h:5/d") == "postgresql://u@h:5/d"


# Every error above, as a request meets it: each must be counted as what it is answered with.
ANSWERED: dict[str, BaseException] = {
    **{f"{n}_via_sqlalchemy": through_sqlalchemy(e) for n, e in FAILOVER_ERRORS.items()},
    **{f"{n}_from_asyncpg": e for n, e in FAILOVER_ERRORS.items()},
    **{f"{n}_via_sqlalchemy": through_sqlalchemy(e) for n, e in SOCKET_ERRORS.items()},
    "pool_exhausted": PoolTimeout("QueuePool limit of size 10 overflow 10 reached, timed out"),
    "bug_via_sqlalchemy": through_sqlalchemy(pg.DivisionByZeroError("division by zero")),
    "bug_from_asyncpg": pg.UndefinedColumnError('column "x" does not exist'),
    "bad_dsn": pg.ClientConfigurationError("bad DSN"),
    "duplicate": through_sqlalchemy(pg.UniqueViolationError("duplicate key value")),
    "bad_input": through_sqlalchemy(pg.NumericValueOutOfRangeError("integer out of range")),
    "bad_token": Unauthorized("token_invalid"),
    "plain_bug": RuntimeError("a bug"),
}


@pytest.mark.parametrize("name", sorted(ANSWERED))
def test_an_error_raised_past_the_metrics_middleware_is_counted_as_answered(
    name: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The auth middleware's session check runs inside the metrics middleware but outside the
    route's exception handler: what it raises is answered around the metrics middleware, which
    must count it under the status the client gets (the outage drill saw a 503 counted as 500),
    and the access log must write that status too (a refused token was logged as a 500)."""
    error = ANSWERED[name]

    def raising(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            raise error

        return middleware

    @get("/counted", sync_to_thread=False)
    def counted() -> None:  # pragma: no cover - the middleware answers first
        return None

    app = Litestar(
        [counted],
        middleware=[request_context_middleware, metrics_middleware, raising],
        exception_handlers=exception_handlers(),
        logging_config=None,  # as create_app: our records, not Litestar's queue handler
    )
    with TestClient(app) as client:
        status = client.get("/counted").status_code
        count = REQUESTS.labels("GET", "/counted", str(status))
        before = count._value.get()
        with caplog.at_level(logging.INFO, logger="tanggap.access"):
            assert client.get("/counted").status_code == status
    assert status == answer_status(error)
    assert count._value.get() == before + 1
    logged = [r.fields["status"] for r in caplog.records if r.name == "tanggap.access"]  # type: ignore[attr-defined]
    assert logged and set(logged) == {status}
