#!/usr/bin/env bash
# Installs what Tanggap 112 needs on a fresh Debian/Ubuntu machine, and nothing twice:
#   - PostgreSQL + PostGIS (apt, when root or sudo is available and they are missing)
#   - with --test: Chromium (end-to-end tests), wrk (benchmarks), Caddy (the proxy config test),
#     and the high-availability drills' tools: PgBouncer, pgBackRest and pg_auto_failover
#   - uv (from PyPI) and the project's Python environment (uv sync --frozen)
set -euo pipefail
cd "$(dirname "$0")/../.."

want_test=0
[[ "${1:-}" == "--test" ]] && want_test=1

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo"; else SUDO="none"; fi
fi

apt_install() {
  if [[ "$SUDO" == "none" ]]; then
    echo "!! Missing system packages: $*" >&2
    echo "!! Install them as root: apt-get install -y --no-install-recommends $*" >&2
    exit 1
  fi
  if [[ ! -f /tmp/.tanggap-apt-updated ]]; then
    $SUDO apt-get update -qq && touch /tmp/.tanggap-apt-updated
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

pg_major() {
  local v
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    v=$(basename "$(dirname "$d")"); echo "$v"; return
  done
  # Nothing installed yet: the newest PostGIS the distribution offers.
  apt-cache search --names-only '^postgresql-[0-9]+-postgis-3$' 2>/dev/null \
    | sed -E 's/^postgresql-([0-9]+)-postgis-3.*/\1/' | sort -n | tail -1
}

need=()
if ! command -v apt-get >/dev/null; then
  echo "(not a Debian/Ubuntu system: install PostgreSQL with PostGIS yourself)"
else
  [[ -f /tmp/.tanggap-apt-updated ]] || [[ -n "$(ls /usr/lib/postgresql 2>/dev/null)" ]] \
    || { [[ "$SUDO" != "none" ]] && $SUDO apt-get update -qq && touch /tmp/.tanggap-apt-updated; }
  major=$(pg_major)
  if [[ -z "$major" ]]; then echo "!! No PostgreSQL/PostGIS package found in apt" >&2; exit 1; fi
  ls /usr/share/postgresql/"$major"/extension/postgis.control >/dev/null 2>&1 \
    || need+=("postgresql-$major" "postgresql-$major-postgis-3")
  if [[ $want_test -eq 1 ]]; then
    command -v chromium >/dev/null || need+=(chromium)
    command -v caddy >/dev/null || need+=(caddy)
    command -v wrk >/dev/null || need+=(wrk)
    # Past one machine (docs/operations.md): the pooler, backups, and failover.
    [[ -x /usr/sbin/pgbouncer ]] || need+=(pgbouncer)
    command -v pgbackrest >/dev/null || need+=(pgbackrest)
    [[ -f /usr/share/postgresql/"$major"/extension/pgautofailover.control ]] \
      || need+=("postgresql-$major-auto-failover")
    command -v pg_autoctl >/dev/null || need+=(pg-auto-failover-cli)
  fi
  command -v python3 >/dev/null || need+=(python3)
  python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
  if [[ ${#need[@]} -gt 0 ]]; then
    echo "== apt-get install ${need[*]}"
    apt_install "${need[@]}"
  fi
fi

if ! command -v uv >/dev/null && [[ ! -x .tools/bin/uv ]]; then
  echo "== installing uv into .tools/ (from PyPI)"
  python3 -m venv .tools
  .tools/bin/pip install -q uv
fi
