"""Bad integrations files: each is refused with an error naming the file, the integration and the key,
and nothing is loaded from it (DAGs show it as an import error; tasks fail before any request)."""

from __future__ import annotations

from pathlib import Path

import pytest

from anymarket.errors import ConfigurationError
from anymarket.settings import load_integrations
from tests.anymarket.bad_inputs.corpus import HTML, HUGE, SQL

#: Every error names the key with this prefix.
K = "integrations.loja1."
GOOD = "integrations:\n  loja1:\n    name: Loja 1\n    alert_emails: [ops@loja1.example]\n"

#: (test id, file text, fragment of the error)
BAD_FILES = [
    ("truncated", GOOD[:40] + "{name: [Loja", "is not valid YAML"),
    ("slots-a-word", GOOD + "    pool_slots: many\n", f"{K}pool_slots: Input should be a valid integer"),
    ("emails-a-text", GOOD.replace("[ops@loja1.example]", "ops@x.example"), f"{K}alert_emails: Input"),
    ("top-level-a-list", "- loja1\n- loja2\n", "the top level must hold only 'integrations:'"),
    ("huge-name", GOOD.replace("Loja 1", HUGE), f"{K}name: String should have at most 200"),
    ("sql-id", GOOD.replace("loja1:", f'"{SQL}":'), "must start with a lowercase letter"),
    ("unknown-rule", GOOD + "    stock: {rule: sum}\n", f"{K}stock.rule: Input should be"),
    ("unknown-key", GOOD + "    stock: {safety_stok: 3}\n", f"{K}stock.safety_stok: unknown setting"),
    ("no-emails", "integrations:\n  loja1:\n    name: Loja 1\n", f"{K}alert_emails: Field required"),
    ("negative-safety", GOOD + "    stock: {safety_stock: -1}\n", f"{K}stock.safety_stock: Input should be"),
    ("negative-slots", GOOD + "    pool_slots: -2\n", f"{K}pool_slots: Input should be greater"),
    ("cutoff-with-time", GOOD + "    orders: {cutoff_date: 2026-01-01T10:00:00}\n", f"{K}orders.cutoff_date"),
]


@pytest.mark.parametrize(("case", "text", "fragment"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_a_bad_file_is_refused_naming_the_key(tmp_path: Path, case: str, text: str, fragment: str) -> None:
    path = tmp_path / "integrations.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError) as raised:
        load_integrations(path)
    message = str(raised.value)
    assert str(path) in message and fragment in message, message


def test_html_in_a_name_is_kept_as_text(tmp_path: Path) -> None:
    path = tmp_path / "integrations.yaml"
    path.write_text(GOOD.replace("Loja 1", f"'{HTML}'"), encoding="utf-8")
    assert load_integrations(path)["loja1"].name == HTML


COVERED = {
    "truncated_json": ["truncated"],
    "wrong_types": ["slots-a-word", "emails-a-text", "top-level-a-list"],
    "huge_strings": ["huge-name"],
    "html_script": ["test_html_in_a_name_is_kept_as_text"],
    "sql_like_codes": ["sql-id"],
    "unknown_enums": ["unknown-rule", "unknown-key"],
    "missing_required": ["no-emails"],
    "negative_quantities": ["negative-safety", "negative-slots"],
    "dates_without_timezone": ["cutoff-with-time"],
}
