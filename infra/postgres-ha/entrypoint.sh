#!/usr/bin/env bash
# One pg_auto_failover process: the monitor, or a PostgreSQL + PostGIS node (primary or
# synchronous hot standby: the monitor decides). docker-compose.yml runs `pg-monitor`,
# `pg-node-a` and `pg-node-b` from this image; docs/operations.md ("High availability") has
# the topology and the failover runbook.
#
#   tanggap-pg-ha monitor
#   tanggap-pg-ha node
#
# First start (empty volume): `pg_autoctl create ...` (a node registers with the monitor; the
# first becomes the primary, the next clones it with pg_basebackup and becomes its standby),
# then `pg_autoctl run` (the keeper: it starts PostgreSQL and applies what the monitor
# assigns). Later starts go straight to `pg_autoctl run`: the keeper's state is on the volume.
# Passwords come from the environment and reach PostgreSQL through psql variables and a
# .pgpass file, never a command line.
set -euo pipefail
role="${1:?monitor or node}"
: "${PGDATA:?}" "${PG_AUTOCTL_HOSTNAME:?the name other containers reach this one by}"
: "${PGAF_MONITOR_PASSWORD:?}" "${PGAF_REPLICATION_PASSWORD:?}"
monitor_host="${PGAF_MONITOR_HOST:-pg-monitor}"
monitor_port="${PGAF_MONITOR_PORT:-5432}"
port="${PGAF_PORT:-5432}"

# libpq (pg_autoctl, pg_basebackup, psql) reads the passwords from here.
umask 077
cat > "$HOME/.pgpass" <<PGPASS
*:*:pg_auto_failover:autoctl_node:${PGAF_MONITOR_PASSWORD}
*:*:*:pgautofailover_replicator:${PGAF_REPLICATION_PASSWORD}
PGPASS

# SQL with passwords, run on a server that listens on its socket only.
local_sql() {
  pg_ctl -D "$PGDATA" -w -o "-c listen_addresses=''" start > /dev/null
  psql -p "$port" -v ON_ERROR_STOP=1 -q "$@"
  pg_ctl -D "$PGDATA" -w -m fast stop > /dev/null
}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  common=(--pgdata "$PGDATA" --pgport "$port" --hostname "$PG_AUTOCTL_HOSTNAME"
          --listen "${PGAF_LISTEN:-*}" --auth scram-sha-256 --ssl-self-signed)
  case "$role" in
    monitor)
      pg_autoctl create monitor "${common[@]}"
      local_sql -d pg_auto_failover -v pw="$PGAF_MONITOR_PASSWORD" <<'SQL'
ALTER USER autoctl_node PASSWORD :'pw';
SQL
      ;;
    node)
      : "${PGAF_NODE_NAME:?}" "${POSTGRES_PASSWORD:?}"
      pg_autoctl create postgres "${common[@]}" --name "$PGAF_NODE_NAME" \
        --dbname tanggap \
        --monitor "postgres://autoctl_node@${monitor_host}:${monitor_port}/pg_auto_failover?sslmode=require"
      pg_autoctl config set --pgdata "$PGDATA" replication.password "$PGAF_REPLICATION_PASSWORD"
      if [ ! -e "$PGDATA/standby.signal" ]; then
        # The first node, the primary: the application's role owns the database, and the
        # extensions only a superuser may create are there before the migrations run. A
        # standby gets all of it by replication.
        local_sql -d tanggap -v pw="$POSTGRES_PASSWORD" -v rpw="$PGAF_REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE tanggap LOGIN PASSWORD :'pw';
ALTER DATABASE tanggap OWNER TO tanggap;
ALTER SCHEMA public OWNER TO tanggap;
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
ALTER USER pgautofailover_replicator PASSWORD :'rpw';
SQL
      fi
      ;;
    *) echo "unknown role: $role" >&2; exit 2 ;;
  esac
fi

# Settings applied at each start. The monitor: how soon a silent primary is failed over
# (pg_auto_failover's defaults, 20 s and 30 s, measured 53 s from a dead primary to writes on
# the standby; these measured 22 s: docs/operations.md). A node: this host's memory.
if [ "$role" = monitor ]; then
  cat > "$PGDATA/tanggap.conf" <<CONF
pgautofailover.node_considered_unhealthy_timeout = ${PGAF_UNHEALTHY_TIMEOUT_MS:-10000}
pgautofailover.primary_demote_timeout = ${PGAF_DEMOTE_TIMEOUT_MS:-10000}
CONF
else
  cat > "$PGDATA/tanggap.conf" <<CONF
shared_buffers = '${POSTGRES_SHARED_BUFFERS:-1GB}'
effective_cache_size = '${POSTGRES_EFFECTIVE_CACHE_SIZE:-12GB}'
max_connections = 200
max_wal_size = '4GB'
random_page_cost = 1.1
CONF
fi
if [ "$role" = node ]; then
  # A primary cut off from the monitor and its standby steps down after this long: shorter
  # than the monitor's PGAF_DEMOTE_TIMEOUT_MS, so it has done so before the standby takes
  # over (pg_auto_failover's pairing of 20 s and 30 s, scaled down).
  pg_autoctl config set --pgdata "$PGDATA" timeout.network_partition_timeout \
    "${PGAF_PARTITION_TIMEOUT_S:-8}" > /dev/null
fi
if [ "$role" = node ]; then
  # The application's role, from the hosts on this node's networks (the API, the worker),
  # over TLS with its password. pg_auto_failover adds its own rules beside it.
  rule="hostssl tanggap tanggap samenet scram-sha-256"
  grep -qxF "$rule" "$PGDATA/pg_hba.conf" || echo "$rule" >> "$PGDATA/pg_hba.conf"
fi
grep -q "^include_if_exists = 'tanggap.conf'" "$PGDATA/postgresql.conf" ||
  echo "include_if_exists = 'tanggap.conf'" >> "$PGDATA/postgresql.conf"

exec pg_autoctl run --pgdata "$PGDATA"
