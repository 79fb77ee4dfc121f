# The Airflow image with this project's runtime dependencies (requirements.txt, pinned by
# constraints.txt) and its distribution, airflow-provider-anymarket (pyproject.toml: the package, the
# ERP SQL contract, the provider entry point that registers the `anymarket` connection type). No test
# or dev tool: those are requirements-dev.txt. Used by docker-compose.yaml.
FROM apache/airflow:3.3.2-python3.11
COPY --chown=airflow:root requirements.txt constraints.txt /opt/anymarket/
RUN pip install --no-cache-dir -r /opt/anymarket/requirements.txt -c /opt/anymarket/constraints.txt
# Only what the wheel is built from; the build tree is removed in the same layer.
COPY --chown=airflow:root pyproject.toml README.md /opt/anymarket/src/
COPY --chown=airflow:root plugins/anymarket /opt/anymarket/src/plugins/anymarket
COPY --chown=airflow:root include/sql/erp /opt/anymarket/src/include/sql/erp
RUN pip install --no-cache-dir --no-deps /opt/anymarket/src && rm -rf /opt/anymarket/src
# The demo profile's AnyMarket sandbox and demo ERP (dev-only, not part of the distribution).
COPY --chown=airflow:root anymarket_sandbox /opt/anymarket/anymarket_sandbox
# The compose mounts ./plugins there and it comes first, so a developer's edits run without a rebuild;
# an image used without that mount runs the installed distribution.
ENV PYTHONPATH=/opt/anymarket:/opt/airflow/plugins
