#!/usr/bin/env bash
# OS packages the project needs beyond Python, installed when missing (as root, from Debian).
#   scripts/system_packages.sh test   # PostgreSQL, Redis and Chromium for the test suite
#   scripts/system_packages.sh demo   # nothing beyond Python today
set -euo pipefail

need=()
case "${1:-test}" in
  test)
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
    # The Celery tier's broker (scripts/redis.sh starts a private one) and the browser tier's
    # Chromium (Playwright drives /usr/bin/chromium: it cannot download a browser of its own).
    command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
    [ -x /usr/bin/chromium ] || need+=(chromium)
    ;;
  demo) ;;
  *) echo "usage: $0 test|demo" >&2; exit 2 ;;
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
