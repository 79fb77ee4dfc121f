"""``python -m anymarket.callbacks [--host H] [--port P]``: the callback receiver without Airflow.

Needs what the api-server plugin needs: the integrations file, the integration's AnyMarket connection
(for its OI) and the ``anymarket_mapping_db`` connection, e.g. as ``AIRFLOW_CONN_*`` variables.
Routes: ``POST /anymarket/callbacks/<integration id>`` (the same URL as under the api-server) and
``GET /anymarket/health``.
"""

from __future__ import annotations

import argparse
import os


def main(argv: list[str] | None = None) -> None:
    import uvicorn
    from fastapi import FastAPI

    from anymarket.callbacks.app import app

    parser = argparse.ArgumentParser(prog="python -m anymarket.callbacks")
    parser.add_argument("--host", default=os.environ.get("ANYMARKET_CALLBACKS_HOST", "0.0.0.0"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("ANYMARKET_CALLBACKS_PORT", "8790")))
    args = parser.parse_args(argv)
    root = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    root.mount("/anymarket", app)  # same paths as under the api-server plugin's url_prefix
    uvicorn.run(root, host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
