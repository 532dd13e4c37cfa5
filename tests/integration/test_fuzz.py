"""Property-based fuzzing of every operation in the app's own OpenAPI (schemathesis).

The spec is what the app serves at ``/schema/openapi.json``; every operation in it gets
generated requests (valid and invalid bodies, queries, path and header values) as an anonymous
caller, as an admin and as a field officer. Each answer must not be a server error (5xx other
than a documented 503 outage) and must conform to the spec: status code documented, content
type documented, body valid against its schema.

Bounded: a few examples per operation and role (``FUZZ_EXAMPLES``), no shrinking, one database
for the module (the fuzzer's writes pile up in it as they would in a city's).
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from litestar import Litestar
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.python import asgi

from api.adapters.events import libpq_dsn
from api.app import create_app
from api.config import Settings
from api.security import hash_password
from api.seed import DEMO_PASSWORD
from tests.conftest import Server, _admin
from tests.support.asgi import body_of, raw_get

FUZZ_EXAMPLES = int(os.environ.get("TANGGAP_FUZZ_EXAMPLES", "6"))
ROLES: dict[str, str | None] = {
    "anonymous": None,
    "admin": "admin",
    "field_officer": "petugas.dlhk",
}
LOGOUT = ("POST", "/api/auth/logout")
OPEN311_PREFIX = "/open311/"
# A live event stream never ends: read what it sends in this long, then cut it.
STREAM_SECONDS = 0.5


@pytest.fixture(scope="module")
def fuzz_database(pg_server: Server, template_db: str) -> Iterator[str]:
    """One seeded database for the whole module (the fuzzer's writes accumulate)."""
    name = f"fuzz_{os.getpid()}"
    asyncio.run(_admin(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(
        _admin(pg_server, f'CREATE DATABASE "{name}" TEMPLATE "{template_db}" STRATEGY FILE_COPY')
    )
    try:
        yield pg_server.url(name)
    finally:
        asyncio.run(_admin(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
def fuzz_app(fuzz_database: str, tmp_path_factory: pytest.TempPathFactory) -> Litestar:
    data = Path(tmp_path_factory.mktemp("fuzz-data"))
    settings = replace(
        Settings(),
        data_dir=data,
        jwt_secret="fuzz-secret-" + "x" * 32,
        log_level="ERROR",
        pwa_dist=data / "no-pwa",
        # Sign-in attempts are fuzzed too: the limits must not lock the roles out mid-run.
        login_max_failures_per_account_address=1_000_000,
        login_max_failures_per_ip=1_000_000,
    )
    return create_app(settings, database_url=fuzz_database)


def served_spec() -> dict[str, Any]:
    """The spec exactly as the app serves it at ``/schema/openapi.json`` (no database needed)."""
    app = create_app(
        replace(
            Settings(), data_dir=Path(tempfile.mkdtemp(prefix="tanggap-spec-")), jwt_secret="x" * 40
        ),
        database_url="postgresql+asyncpg://spec@127.0.0.1:9/spec",
    )
    sent = asyncio.run(raw_get(app, "/schema/openapi.json"))
    assert sent[0]["status"] == 200, sent
    return dict(json.loads(body_of(sent)))


CONFIG = SchemathesisConfig.from_dict(
    {
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": False},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
        "generation": {"max-examples": FUZZ_EXAMPLES, "mode": "all"},
        "checks": {
            # Schema-valid data may still break a rule the schema cannot state (an unknown
            # category, a description of blanks): refusing it is by design.
            "positive_data_acceptance": {"enabled": False},
            # Litestar parses query strings leniently ("0.0" as 0, "null" as no value, a number
            # as a Unix time): accepting such input is the framework's choice, not an error.
            # Invalid input is still generated and must never cause a 5xx.
            "negative_data_rejection": {"enabled": False},
        },
        "max-stream-events": 5,
    }
)


class AppUnderTest:
    """The ASGI app the fuzzer calls: the module's app, set once its database exists (the spec
    is loaded at collection time, before any fixture)."""

    def __init__(self) -> None:
        self.app: Litestar | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert self.app is not None, "the fuzz_app fixture sets the app first"
        await self.app(scope, receive, send)


SPEC = served_spec()
APP = AppUnderTest()
schema = schemathesis.openapi.from_dict(SPEC, config=CONFIG)
# Every request, the checks' own probes included, goes to the app in-process.
schema.app = APP


class Roles:
    """Signed-in sessions for the fuzzed roles, signed in again when the fuzzer ends one (it
    may call logout, deactivate a user, or change a password it generated)."""

    def __init__(self, app: AppUnderTest, database_url: str) -> None:
        self.app = app
        self.dsn = libpq_dsn(database_url)
        self.tokens: dict[str, str] = {}

    def _sign_in(self, username: str) -> str:
        async def repair() -> None:
            conn = await asyncpg.connect(self.dsn)
            try:
                await conn.execute(
                    "UPDATE users SET active = true, password_hash = $2 WHERE username = $1",
                    username,
                    hash_password(DEMO_PASSWORD),
                )
            finally:
                await conn.close()

        with asgi.get_client(self.app) as client:
            body = {"username": username, "password": DEMO_PASSWORD}
            r = client.post("/api/auth/login", json=body)
            if r.status_code != 200:
                asyncio.run(repair())
                r = client.post("/api/auth/login", json=body)
            assert r.status_code == 200, r.text
            return str(r.json()["access_token"])

    def headers(self, role: str, *, fresh: bool = False) -> dict[str, str]:
        username = ROLES[role]
        if username is None:
            return {}
        token = self.tokens.get(role)
        if token is not None and not fresh:
            with asgi.get_client(self.app) as client:
                me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
            if me.status_code != 200:
                token = None
        if token is None or fresh:
            token = self._sign_in(username)
            if not fresh:
                self.tokens[role] = token
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def roles(fuzz_app: Litestar, fuzz_database: str) -> Iterator[Roles]:
    APP.app = fuzz_app
    try:
        yield Roles(APP, fuzz_database)
    finally:
        asgi.shutdown_lifespans()  # the app's engine and listener, before its database goes
        APP.app = None


FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


def call_as(case: Any, roles: Roles, role: str) -> None:
    op = case.operation
    # Signing out ends the session it is given: give it one of its own.
    headers = roles.headers(role, fresh=(op.method.upper(), op.path) == LOGOUT)
    meta = getattr(case, "_meta", None)
    if meta is not None and meta.is_negative_at(ParameterLocation.HEADER):
        # The case tests bad headers (a malformed token, say): send them as generated.
        headers = {}
    elif headers and case.headers:
        # A generated token would replace the role's.
        case.headers.pop("Authorization", None)
    timeout = STREAM_SECONDS if op.path == "/api/events" else 30
    if op.path.startswith(OPEN311_PREFIX):
        # Open311 answers in its own formats (GeoReport v2 XML or JSON, its own error list),
        # which its routes do not document yet: here only "no server error" is checked.
        case.call_and_validate(
            app=roles.app, headers=headers, timeout=timeout, checks=[not_a_server_error]
        )
        return
    case.call_and_validate(app=roles.app, headers=headers, timeout=timeout)


@schema.parametrize()
@FUZZ
def test_anonymous_requests_get_no_server_error_and_match_the_schema(
    case: Any, roles: Roles
) -> None:
    call_as(case, roles, "anonymous")


@schema.parametrize()
@FUZZ
def test_admin_requests_get_no_server_error_and_match_the_schema(case: Any, roles: Roles) -> None:
    call_as(case, roles, "admin")


@schema.parametrize()
@FUZZ
def test_field_officer_requests_get_no_server_error_and_match_the_schema(
    case: Any, roles: Roles
) -> None:
    call_as(case, roles, "field_officer")
