# The Airflow image with this project's pinned dependencies; used by docker-compose.yaml.
FROM apache/airflow:3.3.2-python3.11
COPY --chown=airflow:root requirements.txt constraints.txt /opt/anymarket/
RUN pip install --no-cache-dir -r /opt/anymarket/requirements.txt -c /opt/anymarket/constraints.txt
COPY --chown=airflow:root anymarket_sandbox /opt/anymarket/anymarket_sandbox
ENV PYTHONPATH=/opt/anymarket:/opt/airflow/plugins
