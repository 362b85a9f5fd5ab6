#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 and that the test role and database
# exist. Installs Debian's postgresql when it is missing. Prints the database URL on stdout.
set -euo pipefail
log() { echo "[postgres] $*" >&2; }
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

if ! command -v pg_lsclusters >/dev/null 2>&1; then
  log "installing Debian's postgresql"
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq postgresql >&2
fi

if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  cluster=$(pg_lsclusters -h 2>/dev/null | awk 'NR==1 {print $1" "$2}')
  if [ -z "$cluster" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -1)
    log "creating cluster $version/main"
    $SUDO pg_createcluster "$version" main >&2
    cluster="$version main"
  fi
  log "starting cluster $cluster"
  $SUDO pg_ctlcluster $cluster start >&2 || true
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
  pg_isready -h 127.0.0.1 -p 5432 -q || { log "PostgreSQL did not start"; exit 1; }
fi

as_postgres() { if [ "$(id -u)" -eq 0 ]; then su postgres -c "$*"; else sudo -u postgres sh -c "$*"; fi; }
as_postgres "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='portal_test'\"" | grep -q 1 \
  || as_postgres "psql -qc \"CREATE ROLE portal_test LOGIN CREATEDB PASSWORD 'portal_test'\"" >&2
as_postgres "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='portal_test'\"" | grep -q 1 \
  || as_postgres "createdb -O portal_test portal_test" >&2
echo "postgresql+psycopg://portal_test:portal_test@127.0.0.1:5432/portal_test"
