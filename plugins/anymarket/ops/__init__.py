"""The AnyMarket ops page on Airflow's api-server: ``/anymarket/ops/`` (see :mod:`anymarket.ops.router`).

``queries`` reads what the page shows from the mapping DB, ``router`` serves it as HTML (templates in
``templates/``), ``auth`` reuses Airflow's login. The plugin module ``plugins/anymarket_plugin.py``
mounts the app and adds the "AnyMarket" link to the Airflow UI's navigation.
"""
