#!/usr/bin/env bash
# A private MariaDB server for the tests: the ERP suite's third dialect (after SQLite and PostgreSQL).
#
#   scripts/mariadb.sh start   # installs mariadb-server if missing, starts the server, prints its URL
#   scripts/mariadb.sh stop
#   scripts/mariadb.sh url
#
# It never touches the OS's own MariaDB service (no systemd): data, socket, pid and log live in
# $ANYMARKET_MARIADB_DIR (default <repo>/.run/mariadb-$ANYMARKET_MARIADB_PORT, removed by `make
# clean`), it listens on 127.0.0.1:$ANYMARKET_MARIADB_PORT (default 53306) only, and its one login,
# `anymarket`, has no password (a throw-away test server, like scripts/postgres.sh's trust auth).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PORT="${ANYMARKET_MARIADB_PORT:-53306}"
DIR="${ANYMARKET_MARIADB_DIR:-$ROOT/.run/mariadb-$PORT}"
SOCKET="$DIR/mariadb.sock"
# The mysql scheme (mysqlclient), as Airflow's MySQL hook builds it; the dialect detects MariaDB.
URL="mysql+mysqldb://anymarket@127.0.0.1:$PORT/anymarket?charset=utf8mb4"

as_root_flag() {
  # mariadbd refuses to run as root unless told to; the data folder belongs to whoever runs this.
  if [ "$(id -u)" = "0" ]; then echo "--user=root"; fi
}

alive() {
  mariadb-admin --no-defaults --socket="$SOCKET" -u root ping >/dev/null 2>&1
}

# A test server of this script already on the port (e.g. started from another clone): reuse it, as
# scripts/postgres.sh does, rather than fail to bind.
alive_on_port() {
  mariadb-admin --no-defaults --protocol=tcp -h 127.0.0.1 -P "$PORT" -u anymarket ping >/dev/null 2>&1
}

start() {
  if [ ! -x /usr/sbin/mariadbd ]; then
    "$(dirname "$0")/system_packages.sh" test
  fi
  if alive || alive_on_port; then
    echo "$URL"
    return
  fi
  mkdir -p "$DIR"
  if [ ! -d "$DIR/data/mysql" ]; then
    # root logs in through the socket only (unix_socket auth of the user running this script).
    mariadb-install-db --no-defaults $(as_root_flag) --datadir="$DIR/data" \
      --auth-root-authentication-method=socket --skip-test-db >"$DIR/install.log" 2>&1 || {
      echo "mariadb-install-db failed; see $DIR/install.log" >&2
      exit 1
    }
  fi
  # Test settings: no binary log, no fsync on commit, a small buffer pool (2-core CI machine).
  nohup /usr/sbin/mariadbd --no-defaults $(as_root_flag) --datadir="$DIR/data" --socket="$SOCKET" \
    --pid-file="$DIR/mariadb.pid" --log-error="$DIR/mariadb.log" --bind-address=127.0.0.1 \
    --port="$PORT" --skip-name-resolve --innodb-flush-log-at-trx-commit=0 --innodb-buffer-pool-size=64M \
    --innodb-log-file-size=16M --innodb-flush-method=nosync --innodb-doublewrite=0 --innodb-file-per-table=0 \
    --max-connections=200 --character-set-server=utf8mb4 \
    --collation-server=utf8mb4_unicode_ci --default-time-zone=+00:00 >/dev/null 2>&1 &
  for _ in $(seq 150); do
    if alive; then
      mariadb --no-defaults --socket="$SOCKET" -u root -e "
        CREATE USER IF NOT EXISTS 'anymarket'@'127.0.0.1';
        GRANT ALL PRIVILEGES ON *.* TO 'anymarket'@'127.0.0.1' WITH GRANT OPTION;
        CREATE DATABASE IF NOT EXISTS anymarket;"
      echo "$URL"
      return
    fi
    sleep 0.2
  done
  echo "MariaDB did not answer on $SOCKET within 30 s; see $DIR/mariadb.log" >&2
  exit 1
}

stop() {
  if alive; then
    mariadb-admin --no-defaults --socket="$SOCKET" -u root shutdown >/dev/null 2>&1 || true
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) echo "$URL" ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
