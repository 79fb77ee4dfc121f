"""Bad mapping CSV files: each is refused with errors naming file, line and column, and no mapping
changes (the import is atomic). Mapping files hold no dates: the corpus's "dates without timezone" is
a date-time where a warehouse id belongs."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from anymarket.erp.database import ErpDatabase
from anymarket.mapping.csv_io import CsvUpload, MappingCsvError, import_files
from anymarket.mapping.database import MappingDatabase
from tests.anymarket.bad_inputs.corpus import HTML, HUGE, SQL
from tests.anymarket.mapping.test_csv_io import db, erp, snapshot  # noqa: F401 (fixtures)

CARRIERS = "anymarket_carrier,erp_code,tracking_url_template,source\n"
DEPOSITS = "erp_code,stock_local_id,counts_toward_balance,source\n"

#: (test id, file name, content, the error expected)
BAD_FILES = [
    ("truncated", "carriers.csv", CARRIERS + '"Correios,CORR', "carriers.csv line 2: malformed CSV"),
    ("id-a-word", "deposits.csv", DEPOSITS + "CD-SP,abc,true,\n", "line 2, column stock_local_id: must be a"),
    ("flag-a-word", "deposits.csv", DEPOSITS + "CD-SP,501,maybe,\n", "column counts_toward_balance: 'maybe'"),
    ("huge-key", "carriers.csv", CARRIERS + f"{HUGE},CORREIOS,,\n", "column anymarket_carrier: longer than"),
    ("sql-code", "carriers.csv", CARRIERS + f"Correios,{SQL},,\n", "column erp_code: unknown ERP carrier"),
    (
        "unknown-status",
        "order_statuses_import.csv",
        "anymarket_status,erp_status,source\nLOST_IN_SPACE,approved,\n",
        "column anymarket_status: 'LOST_IN_SPACE' is not one of",
    ),
    ("empty-code", "carriers.csv", CARRIERS + "Correios,,,\n", "line 2, column erp_code: empty: a value is"),
    ("no-code-column", "carriers.csv", "anymarket_carrier\nCorreios\n", "column erp_code: required column"),
    ("negative-id", "deposits.csv", DEPOSITS + "CD-SP,-5,true,\n", "column stock_local_id: must be a"),
    ("date-as-id", "deposits.csv", DEPOSITS + "CD-SP,2026-03-02T10:00:00,true,\n", "column stock_local_id"),
]


@pytest.mark.parametrize(("case", "name", "content", "fragment"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_a_bad_file_names_line_and_column_and_changes_nothing(
    db: MappingDatabase,  # noqa: F811
    erp: ErpDatabase,  # noqa: F811
    case: str,
    name: str,
    content: str,
    fragment: str,
) -> None:
    db.set_mapping("loja1", "carrier", "Correios", "CORREIOS")
    before = snapshot(db)
    good = CsvUpload(name="payment_methods.csv", data="anymarket_payment,erp_code,source\nPIX,CARTAO,\n")
    with pytest.raises(MappingCsvError) as raised:
        import_files(db, "loja1", [good, CsvUpload(name=name, data=content)], erp=lambda: erp)
    assert any(fragment in str(error) for error in raised.value.errors), raised.value.errors
    assert snapshot(db) == before  # the good file in the same upload was not applied either


def test_html_in_a_marketplace_carrier_name_is_stored_as_text(
    db: MappingDatabase, erp: ErpDatabase  # noqa: F811
) -> None:
    quoted = '"' + HTML.replace('"', '""') + '"'  # CSV quoting of a value holding quotes
    upload = CsvUpload(name="carriers.csv", data=f"{CARRIERS}{quoted},CORREIOS,,\n")
    import_files(db, "loja1", [upload], erp=lambda: erp)
    assert db.mappings_of("loja1", "carrier")[HTML]["value"] == "CORREIOS"
    with erp.engine.connect() as c:
        assert c.execute(sa.text("SELECT COUNT(*) FROM carriers")).scalar_one() >= 1


COVERED = {
    "truncated_json": ["truncated"],
    "wrong_types": ["id-a-word", "flag-a-word"],
    "huge_strings": ["huge-key"],
    "html_script": ["test_html_in_a_marketplace_carrier_name_is_stored_as_text"],
    "sql_like_codes": ["sql-code"],
    "unknown_enums": ["unknown-status"],
    "missing_required": ["empty-code", "no-code-column"],
    "negative_quantities": ["negative-id"],
    "dates_without_timezone": ["date-as-id"],
}
