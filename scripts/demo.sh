#!/usr/bin/env bash
# `make demo`: the whole integration on one machine, syncing a demo store.
#
# Seeds the embedded SQLite ERP and the mapping DB under .run/demo, starts the AnyMarket sandbox in
# demo mode (it keeps selling), a local SMTP sink for alert e-mails, and `airflow standalone` on
# :8080 with the demo integration's connections taken from the environment. Ctrl-C stops it all.
set -euo pipefail
# Everything the demo writes (databases, logs, Airflow's generated admin password) is the user's
# alone: files 0600, folders 0700.
umask 077

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RUN="$ROOT/.run/demo"
BIN="$ROOT/.venv/bin"
SANDBOX_PORT="${SANDBOX_PORT:-8765}"
SANDBOX_TOKEN="${SANDBOX_TOKEN:-sandbox-token}"
SANDBOX_OI="${SANDBOX_OI:-sandbox-oi.}"
SMTP_PORT="${DEMO_SMTP_PORT:-1025}"
AIRFLOW_PORT="${AIRFLOW_PORT:-8080}"

mkdir -p "$RUN/maildir"
export PATH="$BIN:$PATH"   # airflow standalone runs `airflow` for its components
export PYTHONPATH="$ROOT/plugins:$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export AIRFLOW_HOME="$ROOT/.run/airflow"
export AIRFLOW__CORE__DAGS_FOLDER="$ROOT/dags"
export AIRFLOW__CORE__PLUGINS_FOLDER="$ROOT/plugins"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
# The Connections list's Test button (the `anymarket` type's checks token and OI; off by default).
export AIRFLOW__CORE__TEST_CONNECTION=Enabled
export AIRFLOW__CORE__PARALLELISM="${AIRFLOW__CORE__PARALLELISM:-4}"
export AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL=20
export AIRFLOW__API__PORT="$AIRFLOW_PORT"
# Reachable from this machine only, unless told otherwise (AIRFLOW_HOST=0.0.0.0 make demo).
export AIRFLOW__API__HOST="${AIRFLOW_HOST:-127.0.0.1}"
# Tasks report to the api-server's execution API; it must follow the port.
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://localhost:$AIRFLOW_PORT/execution/"
export ANYMARKET_INTEGRATIONS_FILE="${ANYMARKET_INTEGRATIONS_FILE:-$ROOT/include/integrations.yaml}"

# The callback URL's secret (python -m anymarket.callbacks register makes one for a connection kept in
# Airflow's DB; the demo's connections live in the environment, so the demo keeps it in a 0600 file).
if [ ! -s "$RUN/callback_secret" ]; then
  "$BIN/python" -c "import secrets; print(secrets.token_urlsafe(32))" >"$RUN/callback_secret"
fi
CALLBACK_SECRET="$(cat "$RUN/callback_secret")"

# The demo integration's connections, from the environment (no secrets stored anywhere else).
export AIRFLOW_CONN_ANYMARKET_DEMO="{\"conn_type\":\"http\",\"host\":\"http://127.0.0.1:$SANDBOX_PORT/v2\",\"password\":\"$SANDBOX_TOKEN\",\"extra\":{\"oi\":\"$SANDBOX_OI\",\"timeout\":10,\"callback_base_url\":\"http://127.0.0.1:$AIRFLOW_PORT\",\"callback_secret\":\"$CALLBACK_SECRET\"}}"
export AIRFLOW_CONN_ANYMARKET_DEMO_ERP="{\"conn_type\":\"sqlite\",\"host\":\"$RUN/erp.db\"}"
export AIRFLOW_CONN_ANYMARKET_MAPPING_DB="{\"conn_type\":\"sqlite\",\"host\":\"$RUN/mapping.db\"}"
export AIRFLOW_CONN_SMTP_DEFAULT="{\"conn_type\":\"smtp\",\"host\":\"127.0.0.1\",\"port\":$SMTP_PORT,\"extra\":{\"disable_ssl\":true,\"disable_tls\":true,\"from_email\":\"airflow-anymarket@localhost\"}}"

pids=()
# Each service runs in its own process group (setsid), so stopping the demo also stops what it
# spawned: `airflow standalone` starts a scheduler, api-server, dag-processor and workers.
start_service() {  # start_service <log> <command...>
  local log=$1; shift
  setsid "$@" >"$log" 2>&1 &
  pids+=($!)
}
cleanup() {
  trap - EXIT INT TERM
  echo "Stopping the demo..."
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'cleanup; exit 0' INT TERM

wait_for() {  # wait_for <what> <seconds> <command...>
  local what=$1 seconds=$2; shift 2
  for _ in $(seq "$seconds"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  echo "Timed out waiting for $what; see the logs in $RUN" >&2
  exit 1
}

echo "==> Checking the integrations file"
"$BIN/python" -m anymarket.settings check

echo "==> Seeding the demo ERP ($RUN/erp.db) and the mapping DB ($RUN/mapping.db)"
# Seeds a new ERP; an existing one is left as it is, its schema brought up to date (new columns).
"$BIN/python" -m anymarket_sandbox.demo_erp --url "sqlite:///$RUN/erp.db"
"$BIN/python" -m anymarket.mapping upgrade --url "sqlite:///$RUN/mapping.db"
"$BIN/python" - "$RUN/mapping.db" "$ROOT/anymarket_sandbox/demo_mappings.yaml" <<'PY'
import sys, yaml
from anymarket.mapping.database import MappingDatabase
db = MappingDatabase.from_url(f"sqlite:///{sys.argv[1]}")
for kind, pairs in yaml.safe_load(open(sys.argv[2])).items():
    for key, value in pairs.items():
        db.set_mapping("demo", kind, str(key), str(value))
print(f"demo mappings loaded from {sys.argv[2]}")
PY

echo "==> Starting the SMTP sink on 127.0.0.1:$SMTP_PORT (mails land in $RUN/maildir/new)"
start_service "$RUN/smtp.log" \
  "$BIN/python" -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" -c aiosmtpd.handlers.Mailbox "$RUN/maildir"

echo "==> Starting the AnyMarket sandbox (demo mode) on 127.0.0.1:$SANDBOX_PORT"
SANDBOX_DEMO_SKUS="$("$BIN/python" -c "from anymarket_sandbox.demo_erp import demo_sku_codes; print(','.join(demo_sku_codes('sqlite:///$RUN/erp.db')))")"
export SANDBOX_DEMO_SKUS SANDBOX_PORT SANDBOX_TOKEN SANDBOX_OI
start_service "$RUN/sandbox.log" "$BIN/python" -m anymarket_sandbox --demo
wait_for "the sandbox" 30 curl -sf -H "gumgaToken: $SANDBOX_TOKEN" "http://127.0.0.1:$SANDBOX_PORT/v2/stocks/locals"

# AnyMarket pushes order notifications to the api-server's /anymarket plugin (see import_orders), at
# the secret URL the integration registers itself (as test_connection re-checks every hour).
"$BIN/python" -m anymarket.callbacks register --integration demo

echo "==> Preparing Airflow ($AIRFLOW_HOME)"
"$BIN/airflow" db migrate >"$RUN/airflow-migrate.log" 2>&1
"$BIN/python" -m anymarket.settings pools | while IFS=$'\t' read -r pool slots description; do
  "$BIN/airflow" pools set "$pool" "$slots" "$description" >/dev/null
done

echo "==> Starting airflow standalone on :$AIRFLOW_PORT (log: $RUN/airflow.log)"
start_service "$RUN/airflow.log" "$BIN/airflow" standalone
wait_for "the Airflow API server" 180 curl -sf "http://127.0.0.1:$AIRFLOW_PORT/api/v2/monitor/health"

echo "==> Unpausing the demo DAGs once the DAG processor has parsed them"
demo_dags=$("$BIN/python" - <<'PY'
from anymarket import automations
from anymarket.settings import get_integration
demo = get_integration("demo")
print(" ".join(f"anymarket_demo__{a}" for a in automations.names() if demo.automations is None or a in demo.automations))
PY
)
# The installers first: the stock rule reads the deposit mappings install_deposits creates.
first="anymarket_demo__test_connection anymarket_demo__install_deposits"
for dag_id in $first; do
  wait_for "DAG $dag_id to be parsed" 180 "$BIN/airflow" dags unpause "$dag_id"
  "$BIN/airflow" dags trigger "$dag_id" >/dev/null
done
wait_for "install_deposits to link the demo deposits" 180 "$BIN/python" -c "
import sys
from anymarket.mapping.database import MappingDatabase
sys.exit(0 if MappingDatabase.from_url('sqlite:///$RUN/mapping.db').mappings_of('demo', 'deposit') else 1)"
for dag_id in $demo_dags; do
  case " $first " in *" $dag_id "*) continue ;; esac
  wait_for "DAG $dag_id to be parsed" 180 "$BIN/airflow" dags unpause "$dag_id"
done

password=$("$BIN/python" -c "import json,sys; print(json.load(open(sys.argv[1]))['admin'])" \
  "$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated" 2>/dev/null || echo "see $RUN/airflow.log")
cat <<MSG

  Airflow UI:        http://localhost:$AIRFLOW_PORT   (user: admin, password: $password; listening on $AIRFLOW__API__HOST)
  AnyMarket sandbox: http://127.0.0.1:$SANDBOX_PORT/v2 (token $SANDBOX_TOKEN; admin at /_sandbox/)
  Alert e-mails:     $RUN/maildir/new (one file per mail)
  Logs:              $RUN/*.log
  DAGs unpaused:     $demo_dags
  test_connection and install_deposits ran first; the other DAGs follow their schedules and the
  sandbox keeps selling.

Press Ctrl-C to stop.
MSG
wait "${pids[@]}"
