#!/usr/bin/env bash
# Makes sure a Redis server answers on 127.0.0.1:6379, as tests/start-postgres.sh does for
# PostgreSQL: installs Debian's redis-server when it is missing and starts it. Prints the URL of
# the database the tests use (15, away from a developer's 0) on stdout.
set -euo pipefail
log() { echo "[redis] $*" >&2; }
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

if ! command -v redis-server >/dev/null 2>&1; then
  log "installing Debian's redis-server"
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq redis-server >&2
fi

answers() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; }

if ! answers; then
  log "starting redis-server"
  # Debian's init script (no systemd in containers); else the server itself, in the background.
  $SUDO /etc/init.d/redis-server start >&2 \
    || $SUDO redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save "" --appendonly no >&2 \
    || true
  for _ in $(seq 1 30); do answers && break; sleep 0.5; done
  answers || { log "Redis did not start"; exit 1; }
fi
echo "redis://127.0.0.1:6379/15"
