"""The deployment files: docker-compose.yml against the Compose Specification, and the reverse
proxy's Caddyfile run by a real Caddy, serving a PWA build with the caching it promises.

The Compose Specification's JSON schema (compose-spec/compose-spec, Apache-2.0) comes vendored in
the ``check-jsonschema`` package (``check_jsonschema/builtin_schemas/vendor/compose-spec.json``,
its licence notes in that package); it is validated with ``jsonschema``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml

from tests.support.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
CADDYFILE = ROOT / "infra" / "caddy" / "Caddyfile"
DATABASE_NODES = ("pg-node-a", "pg-node-b")
PGBOUNCERS = {"pgbouncer-a": "pg-node-a", "pgbouncer-b": "pg-node-b"}  # in front of
PGBOUNCER_INI = ROOT / "infra" / "pgbouncer" / "pgbouncer.ini"


def compose_schema() -> dict[str, Any]:
    vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    return dict(json.loads(vendor.joinpath("compose-spec.json").read_text(encoding="utf-8")))


def compose() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE.read_text(encoding="utf-8")))


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    schema = compose_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(compose())]
    assert errors == []
    # The schema bites: a misspelt key is refused.
    broken = compose()
    broken["services"]["api"]["deplooy"] = {"replicas": 2}
    assert list(validator.iter_errors(broken))


def test_compose_runs_the_whole_production_shape() -> None:
    services = compose()["services"]
    assert services["minio"]["image"].startswith("minio/minio")
    # Migrations: one shot, before the API and the worker.
    assert services["migrate"]["command"] == ["tanggap", "db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    for name in ("api", "worker"):
        needs = services[name]["depends_on"]
        assert needs["migrate"]["condition"] == "service_completed_successfully"
        for node in DATABASE_NODES:
            assert needs[node]["condition"] == "service_healthy", (name, node)
    assert services["api"]["command"] == ["tanggap", "serve"]
    assert str(services["api"]["deploy"]["replicas"]).endswith("2}") or (
        services["api"]["deploy"]["replicas"] == 2
    )
    assert "ports" not in services["api"], "replicas sit behind the proxy, not on host ports"
    assert services["worker"]["command"] == ["tanggap", "worker"]
    proxy = services["proxy"]
    assert {"80:80", "443:443"} <= set(proxy["ports"])
    assert proxy["depends_on"]["api"]["condition"] == "service_healthy"
    # The API trusts forwarded addresses from the proxy's fixed address, and from nobody else.
    trusted = services["api"]["environment"]["TANGGAP_TRUSTED_PROXIES"]
    assert trusted == proxy["networks"]["default"]["ipv4_address"]
    assert "FORWARDED_ALLOW_IPS" not in services["api"]["environment"]
    for name in ("pg-monitor", *DATABASE_NODES, "minio", "proxy"):
        assert "test" in services[name]["healthcheck"], name
    assert {"pg-node-a-data", "minio-data", "caddy-data"} <= set(compose()["volumes"])
    # Secrets come from .env, never from the file.
    env = services["api"]["environment"]
    assert env["TANGGAP_JWT_SECRET"].startswith("${TANGGAP_JWT_SECRET:?")
    example = (ROOT / "infra" / "compose.env.example").read_text()
    assert "TANGGAP_JWT_SECRET=\n" in example and "POSTGRES_PASSWORD=\n" in example


def test_compose_runs_a_primary_a_synchronous_standby_and_the_failover_monitor() -> None:
    """pg_auto_failover's topology (docs/operations.md, "High availability"): a monitor and
    two data nodes from one image, each with its own volume, and every database client on
    the multi-host URL that only a primary satisfies."""
    services = compose()["services"]
    ha = ["pg-monitor", *DATABASE_NODES]
    for name in ha:
        assert services[name]["build"]["dockerfile"] == "infra/postgres-ha.Dockerfile", name
        assert services[name]["environment"]["PG_AUTOCTL_HOSTNAME"] == name
        assert services[name]["restart"] == "unless-stopped"
    assert services["pg-monitor"]["command"] == ["monitor"]
    assert [services[n]["command"] for n in DATABASE_NODES] == [["node"], ["node"]]
    assert len({services[n]["environment"]["PGAF_NODE_NAME"] for n in DATABASE_NODES}) == 2
    volumes = [services[n]["volumes"][0].split(":")[0] for n in ha]
    assert len(set(volumes)) == 3 and set(volumes) <= set(compose()["volumes"])
    for node in DATABASE_NODES:
        assert services[node]["depends_on"]["pg-monitor"]["condition"] == "service_healthy"
    assert "ports" not in services["pg-node-a"], "the database is reached on the project network"
    # The application follows the primary: both nodes, target_session_attrs=read-write, and
    # the LISTEN connection and the worker's pool (libpq_dsn) read the same hosts.
    from api.adapters.events import libpq_dsn

    def concrete(url: str) -> str:
        return libpq_dsn(url.replace("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}", "s3"))

    direct = "postgresql://tanggap:s3@pg-node-a:5432,pg-node-b:5432/tanggap"
    read_write = "?target_session_attrs=read-write"
    assert (
        concrete(services["migrate"]["environment"]["TANGGAP_DATABASE_URL"]) == direct + read_write
    )
    for name in ("api", "worker"):  # LISTEN needs a session: straight to the nodes
        listen = services[name]["environment"]["TANGGAP_DATABASE_LISTEN_URL"]
        assert concrete(listen) == direct + read_write, name
    backup = services["backup"]["environment"]
    assert backup["PGHOST"] == "pg-node-a,pg-node-b"
    assert backup["PGTARGETSESSIONATTRS"] == "read-write"
    # One PostgreSQL major version: the image's, pg_auto_failover's packages, the backup's.
    dockerfile = (ROOT / "infra" / "postgres-ha.Dockerfile").read_text()
    assert "FROM postgis/postgis:15-" in dockerfile
    assert "postgresql-15-auto-failover" in dockerfile and "pg-auto-failover-cli" in dockerfile
    assert services["backup"]["image"].startswith("postgis/postgis:15-")
    # The entrypoint is valid shell, encrypts and authenticates every connection, and takes
    # its passwords from .env (never from the file).
    entrypoint = ROOT / "infra" / "postgres-ha" / "entrypoint.sh"
    assert subprocess.run(["bash", "-n", str(entrypoint)], check=False).returncode == 0
    text = entrypoint.read_text()
    assert "--auth scram-sha-256 --ssl-self-signed" in text and "trust" not in text
    for secret in ("PGAF_MONITOR_PASSWORD", "PGAF_REPLICATION_PASSWORD"):
        assert services["pg-monitor"]["environment"][secret].startswith(f"${{{secret}:?")
        assert f"{secret}=\n" in (ROOT / "infra" / "compose.env.example").read_text()


def ini_settings(text: str) -> dict[str, str]:
    """``key = value`` lines of a PgBouncer configuration (comments are ``;``)."""
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {k.strip(): v.strip() for k, v in pairs if not k.lstrip().startswith(";")}


def test_compose_puts_a_pgbouncer_in_front_of_each_database_node() -> None:
    """docs/operations.md, "With a standby": PgBouncer 1.18 cannot pick the primary among
    hosts, so each node has its own and the API's multi-host URL over them asks for the one
    that takes writes; LISTEN and the migrations go to the nodes themselves."""
    from api.adapters.events import libpq_dsn

    services = compose()["services"]
    for name, node in PGBOUNCERS.items():
        bouncer = services[name]
        assert bouncer["build"]["dockerfile"] == "infra/pgbouncer.Dockerfile", name
        assert bouncer["environment"]["PGBOUNCER_UPSTREAM_HOST"] == node
        # Its userlist is written at start from the secret in .env, never from the repository.
        assert bouncer["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
        assert "6432" in " ".join(bouncer["healthcheck"]["test"])
        assert bouncer["restart"] == "unless-stopped"
        assert "ports" not in bouncer, "reached on the project network only"
        assert node in bouncer["depends_on"]
    secret = "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}"
    for name in ("api", "worker"):
        env = services[name]["environment"]
        assert libpq_dsn(env["TANGGAP_DATABASE_URL"].replace(secret, "s3")) == (
            "postgresql://tanggap:s3@pgbouncer-a:6432,pgbouncer-b:6432/tanggap"
            "?target_session_attrs=read-write"
        ), name
        assert env["TANGGAP_DATABASE_POOLED"] == "1", name
        for bouncer in PGBOUNCERS:
            assert services[name]["depends_on"][bouncer]["condition"] == "service_healthy"
    assert services["migrate"]["environment"]["TANGGAP_DATABASE_POOLED"] == "0"

    # The image: Debian 12's PgBouncer (1.18) with the shipped configuration.
    dockerfile = (ROOT / "infra" / "pgbouncer.Dockerfile").read_text()
    assert "FROM debian:bookworm" in dockerfile and "pgbouncer" in dockerfile
    assert "COPY infra/pgbouncer/pgbouncer.ini " in dockerfile
    ignore = (ROOT / "infra" / "pgbouncer.Dockerfile.dockerignore").read_text()
    assert "!infra/pgbouncer/pgbouncer.ini" in ignore
    assert "!infra/pgbouncer/entrypoint.sh" in ignore
    entrypoint = ROOT / "infra" / "pgbouncer" / "entrypoint.sh"
    assert subprocess.run(["bash", "-n", str(entrypoint)], check=False).returncode == 0
    script = entrypoint.read_text()
    # The secret reaches the userlist only, readable by PgBouncer's user alone.
    assert "umask 077" in script and '"${POSTGRES_PASSWORD//' in script
    # The configuration: transaction pooling on the port the URL names, SCRAM, the upstream
    # line the entrypoint rewrites, and the failover timeouts the drill ran with.
    ini = ini_settings(PGBOUNCER_INI.read_text())
    assert ini["pool_mode"] == "transaction" and ini["listen_port"] == "6432"
    assert ini["auth_type"] == "scram-sha-256"
    assert ini["auth_file"] == "/etc/pgbouncer/userlist.txt"
    assert ini["tanggap"].startswith("host=127.0.0.1 port=5432 ")
    from tests.support import pgbouncer as drill

    drill_ini = ini_settings(drill._config(1, "", [], 4, Path("/x"), "u"))
    for key in ("query_wait_timeout", "server_connect_timeout", "server_login_retry"):
        assert drill_ini[key] == ini[key], key


@contextlib.contextmanager
def caddy(tmp_path: Path, dist: Path, log: Path | None = None) -> Iterator[str]:
    """The shipped Caddyfile, validated and run by a real Caddy on 127.0.0.1 (its access log
    into ``log``); yields its base URL. No API replica runs: API paths answer 502."""
    port = free_port()
    env = {
        **os.environ,
        "TANGGAP_DOMAIN": f"http://127.0.0.1:{port}",
        "TANGGAP_PWA_ROOT": str(dist),
        "TANGGAP_API_HOST": "127.0.0.1",
        "TANGGAP_CADDY_ADMIN": f"127.0.0.1:{free_port()}",
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "HOME": str(tmp_path),
    }
    check = subprocess.run(
        ["caddy", "validate", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stderr[-2000:]
    with open(log or os.devnull, "wb") as out:
        proc = subprocess.Popen(
            ["caddy", "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
            env=env,
            stdout=out,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(base + "/index.html", timeout=1)
                break
            except httpx.HTTPError:
                assert proc.poll() is None, proc.stderr.read().decode()[-2000:]  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "caddy did not start"
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.skipif(shutil.which("caddy") is None, reason="caddy is installed by make setup-test")
def test_proxy_serves_the_pwa_with_immutable_bundles_and_a_fresh_shell(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "icons").mkdir()
    (dist / "index.html").write_text("<!doctype html><title>Tanggap 112</title>")
    (dist / "sw.js").write_text("self.addEventListener('install', () => {});")
    (dist / "manifest.webmanifest").write_text('{"name": "Tanggap 112"}')
    (dist / "assets" / "index-3f2a9c.js").write_text("console.log('app');" * 100)
    (dist / "icons" / "icon-192.png").write_bytes(b"\x89PNG\r\n")
    with caddy(tmp_path, dist) as base:

        def cache(path: str) -> str:
            r = httpx.get(base + path, headers={"Accept-Encoding": "gzip"}, timeout=5)
            assert r.status_code == 200, (path, r.status_code)
            return str(r.headers["cache-control"])

        assert cache("/assets/index-3f2a9c.js") == "public, max-age=31536000, immutable"
        for shell in ("/", "/index.html", "/sw.js", "/manifest.webmanifest"):
            assert cache(shell) == "no-cache", shell
        assert cache("/icons/icon-192.png") == "public, max-age=86400"
        # A client-side route gets the shell, never cached stale.
        r = httpx.get(base + "/tasks", timeout=5)
        assert "Tanggap 112" in r.text and r.headers["cache-control"] == "no-cache"
        assert r.headers["x-frame-options"] == "DENY"
        # Bundles go out compressed.
        r = httpx.get(base + "/assets/index-3f2a9c.js", headers={"Accept-Encoding": "gzip"})
        assert r.headers.get("content-encoding") == "gzip"
        # The API paths go to the API replicas (none run here: the proxy says so).
        assert httpx.get(base + "/api/config", timeout=10).status_code == 502


@pytest.mark.skipif(shutil.which("caddy") is None, reason="caddy is installed by make setup-test")
def test_proxy_access_log_records_no_token_pin_phone_or_key(tmp_path: Path) -> None:
    """Secrets in headers, query values and the Open311 token path never reach Caddy's log."""
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "index.html").write_text("<!doctype html><title>Tanggap 112</title>")
    log = tmp_path / "caddy-access.log"
    secrets = {
        "token": "tok-Secret-1111",
        "pin": "482913",
        "phone": "+6281234567890",
        "bearer": "eyJhbGciOiJIUzI1NiJ9.secret-bearer",
        "key": "o311_Secret-2222",
        "ticket": "tkt-Secret-3333",
    }
    with caddy(tmp_path, dist, log) as base:
        httpx.get(
            base + "/api/public/cases/KDI-2026-000001",
            headers={
                "X-Tracking-Token": secrets["token"],
                "X-Tracking-Pin": secrets["pin"],
                "X-Reporter-Phone": secrets["phone"],
                "Authorization": f"Bearer {secrets['bearer']}",
            },
            timeout=10,
        )
        query = (
            f"?token={secrets['token']}&access_token={secrets['bearer']}"
            f"&api_key={secrets['key']}&ticket={secrets['ticket']}&phone={secrets['phone']}"
        )
        httpx.get(base + "/api/events" + query, timeout=10)
        httpx.get(base + f"/open311/v2/tokens/{secrets['token']}.json", timeout=10)
        httpx.get(base + "/index.html?pin=" + secrets["pin"], timeout=10)
        deadline = time.monotonic() + 10
        while log.read_text().count('"uri"') < 4:
            assert time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.05)
    text = log.read_text()
    lines = [json.loads(line) for line in text.splitlines() if '"uri"' in line]
    uris = [line["request"]["uri"] for line in lines]
    assert "/api/public/cases/KDI-2026-000001" in uris
    assert "/open311/v2/tokens/REDACTED" in uris
    assert any(u.startswith("/api/events?token=REDACTED&access_token=REDACTED") for u in uris)
    for name, value in secrets.items():
        assert value not in text, name
        assert value.replace("+", "%2B") not in text, name
