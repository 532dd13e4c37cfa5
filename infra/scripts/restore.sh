#!/usr/bin/env bash
# Restore a `backup.sh` dump into the (empty or to-be-replaced) database, then let the
# migrations bring it to the code's schema. Stop the API and the worker first:
#   docker compose stop api worker proxy
#   docker compose --profile ops run --rm --entrypoint /bin/bash backup \
#       /scripts/restore.sh /backups/postgres/tanggap-YYYYmmddTHHMMSSZ.dump
#   docker compose run --rm migrate && docker compose up -d
set -euo pipefail
dump="${1:?usage: restore.sh /backups/postgres/tanggap-<stamp>.dump}"
: "${PGHOST:?}" "${PGUSER:?}" "${PGDATABASE:?}"
pg_restore --list "$dump" > /dev/null
# --clean --if-exists: drop what the dump recreates; one transaction: all or nothing.
pg_restore --clean --if-exists --no-owner --single-transaction --exit-on-error \
    --dbname="$PGDATABASE" "$dump"
# The statistics rollups are rebuilt from the restored raw tables (migration 0004).
psql -v ON_ERROR_STOP=1 -c "SELECT stats_rebuild()"
echo "restored $dump into $PGDATABASE"
