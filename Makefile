# Two commands do all set-up on a fresh machine with Python 3.11:
#   make demo   - venv, install, seed the demo ERP + mapping DB, start the AnyMarket sandbox,
#                 an SMTP sink and `airflow standalone` on :8080, keep the demo store selling
#   make test   - venv, install, start PostgreSQL, run ruff and the whole test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv test test-sandbox-switches lint demo sandbox bench benchmarks clean soak mutation

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required (found %s)" % sys.version.split()[0])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	scripts/system_packages.sh build
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	# The distribution itself, editable (plugins/ on sys.path): registers the provider's entry point,
	# so Airflow here knows the `anymarket` connection type (pyproject.toml; tests/packaging installs the wheel).
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

# ruff, then mypy over plugins/anymarket (its settings: pyproject.toml's [tool.mypy]).
lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy

test: venv
	scripts/system_packages.sh test
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	$(MAKE) test-sandbox-switches

# Every test sandbox validates each /v2 request and response against AnyMarket's OpenAPI export when it
# is on the machine (../shared; anymarket_sandbox/conformance.py): the pytest run above does it, and
# says so in its header (or that the export is missing and validation is off).

# The client suites that list orders/products/stocks, filter by createdBefore and PUT products/SKUs,
# rerun with the sandbox's uncertain behaviours at their non-default settings (oldest first,
# createdBefore inclusive, strict PUTs, the export's required product fields enforced;
# anymarket_sandbox/behaviour.py), SQLite only (~3 min).
SWITCH_SUITES := tests/anymarket/operators/test_import_orders.py tests/anymarket/operators/test_import_catalog.py \
	tests/anymarket/operators/test_sync_products.py tests/anymarket/operators/test_send_stock.py \
	tests/anymarket/operators/test_sync_order_status.py
test-sandbox-switches: venv
	SANDBOX_LIST_ORDER=oldest SANDBOX_CREATED_BEFORE=inclusive SANDBOX_PUT_MODE=strict SANDBOX_PRODUCT_REQUIRED=spec \
		SANDBOX_KIT_COMPONENTS=object \
		$(BIN)/python -m pytest -q $(SWITCH_SUITES) -k "not postgresql"

demo: venv
	scripts/demo.sh

sandbox: venv
	$(BIN)/python -m anymarket_sandbox

bench: venv
	$(BIN)/python bench/dag_import_times.py
	$(BIN)/python bench/sandbox_overhead.py
	$(BIN)/python bench/send_stock.py
	$(BIN)/python bench/import_orders.py
	$(BIN)/python bench/sync_order_status.py

# Every bench at the issues' sizes (and the demo-latency ones against a demo of their own) into
# BENCHMARKS.md; ~30 min. `bench/report.py --quick` checks the pipeline in a few minutes.
benchmarks: venv
	$(BIN)/python bench/report.py

# Chaos soak: every automation on its schedule in a real Airflow against the faulty sandbox, an ERP
# clerk at work, then the invariant checker (exit 1 on a violation). SOAK_MINUTES (default 3).
soak: venv
	$(BIN)/python -m bench.soak $(SOAK_ARGS)

# Mutation testing (mutmut 3) of the rule modules, each against its own fast unit tests, at the lowest
# CPU priority on MUTATION_JOBS workers (default 2): killed / survived / equivalent per module in
# mutation/REPORT.md. Not part of `make test`. MUTATION_ARGS="--only importer,status" for some modules.
MUTATION_JOBS ?= 2
mutation: venv
	nice -n 19 $(BIN)/python mutation/run.py --jobs $(MUTATION_JOBS) $(MUTATION_ARGS)

clean:
	scripts/postgres.sh stop || true
	scripts/mariadb.sh stop || true
	scripts/redis.sh stop || true
	rm -rf $(VENV) .run .pytest_cache .ruff_cache mutants
