#!/usr/bin/env bash
# A private PostgreSQL cluster for tests and the process-based scale-out tier.
#
#   scripts/postgres.sh start   # installs PostgreSQL if missing, starts the cluster, prints its URL
#   scripts/postgres.sh stop
#   scripts/postgres.sh url
#
# It never touches the OS's own cluster: data lives in $ANYMARKET_PG_DIR (default
# /tmp/anymarket-pg-$ANYMARKET_PG_PORT), it listens on 127.0.0.1 only and trusts local logins.
set -euo pipefail

PORT="${ANYMARKET_PG_PORT:-55432}"
DATA_DIR="${ANYMARKET_PG_DIR:-/tmp/anymarket-pg-$PORT}"
URL="postgresql+psycopg2://postgres@127.0.0.1:$PORT/postgres"

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] && echo "$dir"
}

as_postgres() {
  if [ "$(id -u)" = "0" ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

install_postgres() {
  if [ -z "$(pg_bin)" ]; then
    if [ "$(id -u)" != "0" ]; then
      echo "PostgreSQL is not installed and this is not root: install the 'postgresql' package." >&2
      exit 1
    fi
    echo "Installing PostgreSQL from the OS packages..." >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
}

start() {
  install_postgres
  local bin
  bin=$(pg_bin)
  if as_postgres "$bin/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
    echo "$URL"
    return
  fi
  if [ ! -s "$DATA_DIR/PG_VERSION" ]; then
    mkdir -p "$DATA_DIR"
    [ "$(id -u)" = "0" ] && chown postgres: "$DATA_DIR"
    as_postgres "$bin/initdb" -D "$DATA_DIR" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  as_postgres "$bin/pg_ctl" -D "$DATA_DIR" -l "$DATA_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k /tmp -c fsync=off -c max_connections=200" start >/dev/null
  echo "$URL"
}

stop() {
  local bin
  bin=$(pg_bin) || exit 0
  [ -s "$DATA_DIR/PG_VERSION" ] || exit 0
  as_postgres "$bin/pg_ctl" -D "$DATA_DIR" -m fast stop >/dev/null 2>&1 || true
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) echo "$URL" ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
