"""Bad integrations files: each is refused with an error naming the file, the integration and the key,
and nothing is loaded from it (DAGs show it as an import error; tasks fail before any request)."""

from __future__ import annotations

from pathlib import Path

import pytest

from anymarket.errors import ConfigurationError
from anymarket.settings import check, load_integrations
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
    # What `settings check` let through before: a boolean for a number, a cron that is none, a key
    # written twice (YAML keeps the last silently), an integration declared twice, an empty file.
    (
        "safety-a-boolean",
        GOOD + "    stock: {safety_stock: true}\n",
        f"{K}stock.safety_stock: Value error, expected a number",
    ),
    ("cron-invalid", GOOD + "    schedules: {send_stock: '*/99 * * *'}\n", "not a cron expression"),
    ("cron-a-word", GOOD + "    schedules: {send_stock: '@sometimes'}\n", "send_stock: '@sometimes'"),
    (
        "key-twice",
        GOOD + "    pool_slots: 2\n    pool_slots: 3\n",
        "key 'pool_slots' appears twice (lines 5 and 6)",
    ),
    (
        "integration-twice",
        GOOD + GOOD.removeprefix("integrations:\n"),
        "key 'loja1' appears twice (lines 2 and 5)",
    ),
    ("empty-file", "", "declares no integration"),
]


@pytest.mark.parametrize(("case", "text", "fragment"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_a_bad_file_is_refused_naming_the_key(tmp_path: Path, case: str, text: str, fragment: str) -> None:
    path = tmp_path / "integrations.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError) as raised:
        check(path)
    message = str(raised.value)
    assert str(path) in message and fragment in message, message


def test_errors_give_the_line(tmp_path: Path) -> None:
    path = tmp_path / "integrations.yaml"
    path.write_text(GOOD + "    stock:\n      rule: sum\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"stock\.rule: Input should be .*; line 6\)"):
        check(path)


def test_a_broken_integration_is_disabled_alone(tmp_path: Path) -> None:
    from anymarket.settings import broken_integrations, get_integration

    path = tmp_path / "integrations.yaml"
    loja2 = GOOD.removeprefix("integrations:\n").replace("loja1", "loja2").replace("Loja 1", "Loja 2")
    path.write_text(GOOD + "    stock: {rule: sum}\n" + loja2, encoding="utf-8")
    assert list(load_integrations(path)) == ["loja2"]  # its DAGs and callbacks keep working
    assert get_integration("loja2", path).name == "Loja 2"
    [problem] = broken_integrations(path)["loja1"]
    assert problem.startswith(f"{K}stock.rule: Input should be") and problem.endswith("line 5)")
    with pytest.raises(ConfigurationError, match=r"'loja1' .* is disabled until its settings are fixed"):
        get_integration("loja1", path)


def test_html_in_a_name_is_kept_as_text(tmp_path: Path) -> None:
    path = tmp_path / "integrations.yaml"
    path.write_text(GOOD.replace("Loja 1", f"'{HTML}'"), encoding="utf-8")
    assert load_integrations(path)["loja1"].name == HTML


COVERED = {
    "truncated_json": ["truncated"],
    "wrong_types": ["slots-a-word", "emails-a-text", "top-level-a-list", "safety-a-boolean", "cron-invalid"],
    "huge_strings": ["huge-name"],
    "html_script": ["test_html_in_a_name_is_kept_as_text"],
    "sql_like_codes": ["sql-id"],
    "unknown_enums": ["unknown-rule", "unknown-key", "cron-a-word"],
    "missing_required": ["no-emails", "empty-file"],
    "negative_quantities": ["negative-safety", "negative-slots"],
    "dates_without_timezone": ["cutoff-with-time"],
}
