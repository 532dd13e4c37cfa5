#!/usr/bin/env bash
# PgBouncer in front of one database node (docker-compose.yml: `pgbouncer-a` before `pg-node-a`,
# `pgbouncer-b` before `pg-node-b`). The shipped infra/pgbouncer/pgbouncer.ini, with:
#   - its upstream: this node (PGBOUNCER_UPSTREAM_HOST, PGBOUNCER_UPSTREAM_PORT);
#   - its log on stderr (docker logs) and no pid file;
#   - userlist.txt written now from the environment's secret (POSTGRES_PASSWORD), readable by
#     PgBouncer's user only: no credential is in the image or the repository. PgBouncer checks
#     the API's SCRAM login against it and logs in to PostgreSQL with SCRAM in turn.
# The API's multi-host URL over both PgBouncers (target_session_attrs=read-write) finds the one
# whose node is the primary (docs/operations.md, "Behind PgBouncer", "With a standby").
set -euo pipefail
: "${PGBOUNCER_UPSTREAM_HOST:?the database node this PgBouncer is in front of}"
: "${POSTGRES_PASSWORD:?}"
port="${PGBOUNCER_UPSTREAM_PORT:-5432}"
user="${PGBOUNCER_USER:-tanggap}"

umask 077
# userlist.txt: "name" "password", a double quote inside doubled.
printf '"%s" "%s"\n' "$user" "${POSTGRES_PASSWORD//\"/\"\"}" > /etc/pgbouncer/userlist.txt
sed -e "s|^tanggap = host=[^ ]* port=[^ ]* |tanggap = host=${PGBOUNCER_UPSTREAM_HOST} port=${port} |" \
    -e 's|^logfile = .*|logfile =|' \
    -e 's|^pidfile = .*|pidfile =|' \
    /etc/pgbouncer/pgbouncer.ini.shipped > /etc/pgbouncer/pgbouncer.ini
grep -q "^tanggap = host=${PGBOUNCER_UPSTREAM_HOST} port=${port} " /etc/pgbouncer/pgbouncer.ini

exec pgbouncer /etc/pgbouncer/pgbouncer.ini
