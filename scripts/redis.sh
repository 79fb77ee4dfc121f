#!/usr/bin/env bash
# A private Redis for the Celery tier of the tests (the broker of the CeleryExecutor).
#
#   scripts/redis.sh start   # installs redis-server if missing, starts it, prints its URL
#   scripts/redis.sh stop
#   scripts/redis.sh url
#
# It never touches the OS's own Redis service (no systemd): it listens on 127.0.0.1:$ANYMARKET_REDIS_PORT
# (default 56379), keeps nothing on disk and writes its pid and log to $ANYMARKET_REDIS_DIR.
set -euo pipefail

PORT="${ANYMARKET_REDIS_PORT:-56379}"
DIR="${ANYMARKET_REDIS_DIR:-/tmp/anymarket-redis-$PORT}"
URL="redis://127.0.0.1:$PORT/0"

ping() {
  redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null | grep -q PONG
}

start() {
  if ! command -v redis-server >/dev/null 2>&1; then
    "$(dirname "$0")/system_packages.sh" test
  fi
  if ping; then
    echo "$URL"
    return
  fi
  mkdir -p "$DIR"
  redis-server --bind 127.0.0.1 --port "$PORT" --daemonize yes --dir "$DIR" \
    --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" --save "" --appendonly no >/dev/null
  for _ in $(seq 50); do
    if ping; then
      echo "$URL"
      return
    fi
    sleep 0.1
  done
  echo "Redis did not answer on 127.0.0.1:$PORT; see $DIR/redis.log" >&2
  exit 1
}

stop() {
  if ping; then
    redis-cli -h 127.0.0.1 -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) echo "$URL" ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
