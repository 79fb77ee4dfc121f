#!/usr/bin/env bash
# OS packages the project needs beyond Python, installed when missing (as root, from Debian).
#   scripts/system_packages.sh build  # what `pip install` compiles against (mysqlclient: libmariadb-dev)
#   scripts/system_packages.sh test   # PostgreSQL, MariaDB, Redis and Chromium for the test suite
#   scripts/system_packages.sh demo   # nothing beyond Python today
set -euo pipefail

need=()
case "${1:-test}" in
  build)
    # The MySQL provider's driver (mysqlclient) has no Linux wheel: pip builds it with these.
    command -v gcc >/dev/null 2>&1 || need+=(gcc)
    command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
    pkg-config --exists libmariadb 2>/dev/null || need+=(libmariadb-dev)
    ;;
  test)
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
    # The ERP suite's third dialect (scripts/mariadb.sh starts a private server).
    [ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
    # The Celery tier's broker (scripts/redis.sh starts a private one) and the browser tier's
    # Chromium (Playwright drives /usr/bin/chromium: it cannot download a browser of its own).
    command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
    [ -x /usr/bin/chromium ] || need+=(chromium)
    ;;
  demo) ;;
  *) echo "usage: $0 build|test|demo" >&2; exit 2 ;;
esac

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != "0" ]; then
    echo "Missing OS packages: ${need[*]}. Install them (apt-get install ${need[*]}) or run as root." >&2
    exit 1
  fi
  echo "Installing OS packages: ${need[*]}" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
