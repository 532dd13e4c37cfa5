#!/usr/bin/env bash
# A logical backup of the Tanggap 112 database: `pg_dump -Fc` (compressed, restorable table by
# table with pg_restore) into /backups (./backups on the host), then old dumps are pruned.
# Run by `docker compose --profile ops run --rm backup`; schedule it with cron on the host:
#   15 2 * * *  cd /srv/tanggap && docker compose --profile ops run --rm backup
# Photos are mirrored separately (`... run --rm backup-photos`). Restore: infra/README.md.
set -euo pipefail
: "${PGHOST:?}" "${PGUSER:?}" "${PGDATABASE:?}"
keep_days="${BACKUP_KEEP_DAYS:-14}"
dir=/backups/postgres
mkdir -p "$dir"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="$dir/tanggap-$stamp.dump"
# Roles and grants live outside the database.
pg_dumpall --globals-only --no-role-passwords > "$dir/globals-$stamp.sql"
pg_dump --format=custom --compress=6 --no-owner --file="$out.partial" "$PGDATABASE"
mv "$out.partial" "$out"
# A dump that pg_restore cannot list is not a backup.
pg_restore --list "$out" > /dev/null
echo "backup written: $out ($(du -h "$out" | cut -f1))"
find "$dir" -name 'tanggap-*.dump' -mtime +"$keep_days" -delete
find "$dir" -name 'globals-*.sql' -mtime +"$keep_days" -delete
