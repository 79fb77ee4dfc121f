"""A failed task e-mails the integration's alert recipients through a real local SMTP server."""

from __future__ import annotations

import json
import logging
import socket
import time
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

REPO_ROOT = Path(__file__).resolve().parents[2]


class Inbox:
    """aiosmtpd handler keeping every delivered message."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_inbox(monkeypatch: pytest.MonkeyPatch):
    inbox = Inbox()
    # aiosmtpd logs every connection at INFO ("EOF received"): noise in the test output.
    monkeypatch.setattr(logging.getLogger("mail.log"), "level", logging.WARNING)
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    monkeypatch.setenv(
        "AIRFLOW_CONN_SMTP_DEFAULT",
        json.dumps(
            {
                "conn_type": "smtp",
                "host": "127.0.0.1",
                "port": controller.port,
                "extra": {"disable_ssl": True, "disable_tls": True, "from_email": "alerts@example.com"},
            }
        ),
    )
    yield inbox
    controller.stop()


def test_failed_task_sends_an_alert_email(
    smtp_inbox: Inbox, airflow_metadata_db: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "integrations.yaml"
    config.write_text("integrations:\n  loja1:\n    name: Loja 1\n    alert_emails: [ops@loja1.example]\n")
    monkeypatch.setenv("ANYMARKET_INTEGRATIONS_FILE", str(config))
    # dag.test() re-parses the DAG from the project's dags/ folder (tests/conftest.py), which reads this file.
    monkeypatch.setenv(
        "AIRFLOW_CONN_ANYMARKET_MAPPING_DB",
        json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "m.db")}),
    )
    # The token is refused by nobody: the host does not listen, so the task fails fast on connect.
    monkeypatch.setenv(
        "AIRFLOW_CONN_ANYMARKET_LOJA1",
        json.dumps(
            {
                "conn_type": "http",
                "host": f"http://127.0.0.1:{free_port()}/v2",
                "password": "tok",
                "extra": {"oi": "1.", "timeout": 1, "max_retries": 0},
            }
        ),
    )
    from anymarket import automations
    from anymarket.dag_factory import build_dag
    from anymarket.settings import get_integration

    dag = build_dag(get_integration("loja1"), automations.get("test_connection"))
    for task in dag.tasks:
        task.retries = 0  # one attempt: the alert is for the failure, not for each retry
    dag.test()

    deadline = time.monotonic() + 30
    while not smtp_inbox.messages and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(smtp_inbox.messages) == 1
    mail = smtp_inbox.messages[0]
    assert mail["To"] == "ops@loja1.example"
    assert mail["Subject"] == "[AnyMarket loja1] anymarket_loja1__test_connection.test_connection failed"
    body = next(
        part.get_payload(decode=True).decode()
        for part in mail.walk()
        if part.get_content_type() == "text/html"
    )
    assert "could not connect" in body
