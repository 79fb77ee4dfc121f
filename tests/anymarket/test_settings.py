"""The integrations file: defaults, derived names, and errors that name the bad key."""

from __future__ import annotations

from pathlib import Path

import pytest

from anymarket.errors import ConfigurationError
from anymarket.settings import check, get_integration, load_integrations

REPO_ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "integrations.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_file_is_valid() -> None:
    integrations = load_integrations(REPO_ROOT / "include" / "integrations.yaml")
    assert "demo" in integrations


def test_minimal_entry_gets_derived_names_and_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "integrations:\n  loja1:\n    name: Loja 1\n    alert_emails: [a@b.com]\n")
    loja = get_integration("loja1", path)
    assert (loja.anymarket_conn_id, loja.erp_conn_id, loja.pool) == (
        "anymarket_loja1",
        "anymarket_loja1_erp",
        "anymarket_loja1",
    )
    assert loja.stock.balance == "available"
    assert loja.stock.rule == "default_deposit"
    assert loja.orders.allow_status_regression is False
    assert loja.settings_snapshot()["stock"]["safety_stock"] == 0


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("    stock: {rule: sum}\n", "integrations.loja1.stock.rule: Input should be"),
        ("    stock: {safety_stok: 3}\n", "integrations.loja1.stock.safety_stok: unknown setting"),
        ("    stock: {safety_stock: -1}\n", "integrations.loja1.stock.safety_stock: Input should be greater"),
        ("    orders: {cutoff_date: yesterday}\n", "integrations.loja1.orders.cutoff_date"),
        ("    products: {default_fiscal_origin: 9}\n", "integrations.loja1.products.default_fiscal_origin"),
        ("    automations: [send_stok]\n", "unknown automation(s) send_stok"),
        ("    schedules: {sned_stock: '* * * * *'}\n", "schedule for unknown automation(s) sned_stock"),
        ("    alert_emails: [not-an-email]\n", "not e-mail addresses: not-an-email"),
    ],
)
def test_errors_name_the_key(tmp_path: Path, entry: str, message: str) -> None:
    text = "integrations:\n  loja1:\n    name: Loja 1\n"
    if "alert_emails" not in entry:
        text += "    alert_emails: [a@b.com]\n"
    path = write(tmp_path, text + entry)
    with pytest.raises(ConfigurationError) as caught:
        check(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_alert_emails_are_required(tmp_path: Path) -> None:
    path = write(tmp_path, "integrations:\n  loja1:\n    name: Loja 1\n")
    with pytest.raises(ConfigurationError, match=r"integrations.loja1.alert_emails: Field required"):
        check(path)


def test_bad_integration_id(tmp_path: Path) -> None:
    path = write(tmp_path, "integrations:\n  Loja-1:\n    name: x\n    alert_emails: [a@b.com]\n")
    with pytest.raises(ConfigurationError, match=r"integrations.Loja-1.id: Value error, must start"):
        check(path)


def test_missing_file_and_unknown_integration(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_integrations(tmp_path / "nope.yaml")
    path = write(tmp_path, "integrations:\n  loja1:\n    name: Loja 1\n    alert_emails: [a@b.com]\n")
    with pytest.raises(ConfigurationError, match=r"'loja2' is not declared .* \(declared: loja1\)"):
        get_integration("loja2", path)


def test_edits_are_picked_up_without_restart(tmp_path: Path) -> None:
    path = write(tmp_path, "integrations:\n  loja1:\n    name: Loja 1\n    alert_emails: [a@b.com]\n")
    assert get_integration("loja1", path).stock.safety_stock == 0
    import os

    path.write_text(path.read_text() + "    stock: {safety_stock: 4}\n")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert get_integration("loja1", path).stock.safety_stock == 4


def test_readme_documents_every_setting() -> None:
    from anymarket.settings import OrderSettings, ProductSettings, StockSettings

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for section, model in (
        ("products", ProductSettings),
        ("stock", StockSettings),
        ("orders", OrderSettings),
    ):
        for key in model.model_fields:
            assert f"`{section}.{key}`" in readme, f"README 'Settings' lacks {section}.{key}"
