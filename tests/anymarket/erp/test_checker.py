"""The ERP contract checker on the reference ERP of each dialect (all OK, nothing changed) and on a
deliberately broken copy (every defect named, with where the contract documents it)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from anymarket.erp import ErpDatabase
from anymarket.erp.__main__ import main
from anymarket.erp.checker import ContractReport, check_contract
from anymarket.erp.contract import CONTRACT, README
from anymarket_sandbox.demo_erp import TABLES


def _counts(erp: ErpDatabase) -> dict[str, int]:
    with erp.engine.connect() as conn:
        return {t: conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in TABLES}


def test_the_contract_names_every_shipped_query_once(erp: ErpDatabase) -> None:
    shipped = {p.name.split(".")[0] for p in (erp.sql_dir / "queries").glob("*.sql")}
    names = [entry.name for entry in CONTRACT]
    assert len(names) == len(set(names))
    assert set(names) == shipped


def test_the_readme_documents_every_contract_column() -> None:
    """The README explains the contract to people; every file and returned column is in it, under
    the section the checker's report points to."""
    readme = (Path(__file__).resolve().parents[3] / README).read_text(encoding="utf-8")
    headings = [line.lstrip("#").strip() for line in readme.splitlines() if line.startswith("### ")]
    for entry in CONTRACT:
        assert entry.section in headings, entry.name
        start = readme.index(f"### {entry.section}")
        end = readme.find("\n### ", start + 1)
        section = readme[start : end if end != -1 else None]
        assert f"`{entry.file}`" in section or entry.section == f"`{entry.file}`", entry.name
        for column, _ in entry.returns:
            assert f"`{column}`" in section or column in section, (entry.name, column)


def test_the_reference_erp_passes_and_is_left_unchanged(seeded_erp: ErpDatabase) -> None:
    before = _counts(seeded_erp)
    report = check_contract(seeded_erp)
    assert report.ok, report.render()
    assert [f.query for f in report.files] == [entry.name for entry in CONTRACT]
    # The writes made an order the status reads found, so even their column types were checked.
    read_back = ("status_changed_orders", "status_order_parts", "order_find_by_anymarket_id")
    read_back += ("order_items_of", "kit_components")
    for name in read_back:
        assert report.file(name).rows_checked >= 1, name
    assert _counts(seeded_erp) == before
    with seeded_erp.engine.connect() as conn:
        left = conn.execute(sa.text("SELECT COUNT(*) FROM products WHERE code LIKE 'ANYMARKET-%'"))
        assert left.scalar_one() == 0
    assert check_contract(seeded_erp).ok  # nothing left behind that a second run would trip over
    if seeded_erp.dialect == "mariadb":
        assert report.file("catalog_import_upsert_sku").path.endswith("catalog_import_upsert_sku.mariadb.sql")


def _break(erp: ErpDatabase, sql_dir: Path) -> None:
    """A broken copy: a dropped column, a renamed table, a wrong type, a query file with a syntax
    error, a missing file, a file using a parameter the integration never passes, and an update keyed
    on the wrong column."""
    queries = sql_dir / "queries"
    (queries / "price_skus.sql").unlink()
    (queries / "price_lists.sql").write_text("SELEC id, code, name, active FROM price_lists\n", "utf-8")
    (queries / "order_update_status.sql").write_text(
        "UPDATE sales_orders SET status = :status WHERE anymarket_order_id = :id\n", "utf-8"
    )
    (queries / "list_deposits.sql").write_text(
        "SELECT id, code, name, 1 AS is_default, 1 AS active FROM deposits WHERE code = :company\n",
        encoding="utf-8",
    )
    dialect = erp.dialect
    statements = ["ALTER TABLE products DROP COLUMN ncm"]
    if dialect == "mariadb":
        statements += [
            "RENAME TABLE carriers TO transportadoras",
            "ALTER TABLE stock_balances MODIFY quantity VARCHAR(20) NOT NULL",
        ]
    else:
        statements.append("ALTER TABLE carriers RENAME TO transportadoras")
        if dialect == "postgresql":
            statements.append("ALTER TABLE stock_balances ALTER COLUMN quantity TYPE VARCHAR(20)")
    # SQLite keeps text in a NUMERIC column when it is not a number: the same wrong value everywhere.
    statements.append("UPDATE stock_balances SET quantity = 'muitos'")
    with erp.engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)


def _problems(report: ContractReport, query: str) -> str:
    return "; ".join(report.file(query).problems)


def test_a_broken_copy_has_every_defect_named(seeded_erp: ErpDatabase, tmp_path: Path) -> None:
    sql_dir = tmp_path / "erp_sql"
    shutil.copytree(seeded_erp.sql_dir, sql_dir)
    _break(seeded_erp, sql_dir)
    broken = ErpDatabase.from_engine(seeded_erp.engine, sql_dir=sql_dir)

    report = check_contract(broken)

    assert not report.ok
    defects = {f.query for f in report.files if f.status == "defect"}
    skipped = {f.query for f in report.files if f.status == "skipped"}
    assert defects == {
        "price_skus",  # missing file
        "price_lists",  # syntax error
        "list_deposits",  # unknown parameter
        "product_rows",  # reads the dropped products.ncm
        "catalog_import_products",
        "catalog_import_upsert_product",  # writes it
        "order_reference_data",  # reads the renamed carriers
        "status_order_parts",
        "stock_balances",  # text where a number belongs
        "catalog_import_stock_balances",
        "order_update_status",  # its WHERE matches no row
    }
    # The writes that need the product the broken upsert could not write are not run, and say why.
    assert skipped == {
        "catalog_import_upsert_sku",
        "catalog_import_rename_sku",
        "catalog_import_upsert_product_attribute",
        "catalog_import_upsert_sku_variation",
        "catalog_import_upsert_stock_balance",
        "order_insert_item",
        "order_reserve_stock",
        "order_release_stock",  # nothing reserved to release
    }
    assert "the id from catalog_import_upsert_product.sql, which did not run cleanly" in _problems(
        report, "catalog_import_upsert_sku"
    )

    assert "missing" in _problems(report, "price_skus")
    assert "price_skus.sql" in _problems(report, "price_skus")
    assert "refused" in _problems(report, "price_lists") and "SELEC" in _problems(report, "price_lists")
    assert ":company" in _problems(report, "list_deposits")
    for query in ("product_rows", "catalog_import_products", "catalog_import_upsert_product"):
        assert "ncm" in _problems(report, query), query
    for query in ("order_reference_data", "status_order_parts"):
        assert "carriers" in _problems(report, query), query
    for query in ("stock_balances", "catalog_import_stock_balances"):
        assert "column 'quantity' must be a number" in _problems(report, query)
        assert "muitos" in _problems(report, query)
    assert "changed no row" in _problems(report, "order_update_status")
    # Every report line points at the README section documenting the file.
    assert report.file("price_skus").documented_at == f"{README} § Send prices: `price_*.sql`"
    text = report.render()
    assert "DEFECT  price_skus.sql: missing: ERP query 'price_skus'" in text
    assert "documented in include/sql/erp/README.md § `stock_balances.sql`" in text
    assert text.count("\nDEFECT ") == len(defects) and text.count("\nSKIPPED ") == len(skipped)


def test_the_command_line_checks_a_connection_and_exits_non_zero_on_defects(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``python -m anymarket.erp check --conn-id``: the ERP comes from an Airflow ``sqlite`` connection
    (its hook builds the URL); exit 0 when all is OK, 1 with a report naming the defect otherwise."""
    from anymarket_sandbox.demo_erp import seed_demo_erp

    path = tmp_path / "erp.db"
    seed_demo_erp(f"sqlite:///{path}", products=15, seed=3)
    monkeypatch.setenv("AIRFLOW_CONN_CHECK_ERP", f'{{"conn_type": "sqlite", "host": "{path}"}}')

    assert main(["check", "--conn-id", "check_erp"]) == 0
    out = capsys.readouterr().out
    assert f"{len(CONTRACT)} files, {len(CONTRACT)} OK, 0 not OK" in out

    sql_dir = tmp_path / "copy"
    shutil.copytree(Path(__file__).resolve().parents[3] / "include" / "sql" / "erp", sql_dir)
    (sql_dir / "queries" / "stock_skus.sql").unlink()
    assert main(["check", "--conn-id", "check_erp", "--sql-dir", str(sql_dir), "--json"]) == 1
    out = capsys.readouterr().out
    assert '"query": "stock_skus"' in out and '"status": "defect"' in out

    assert main(["check", "--conn-id", "no_such_connection"]) == 2
    assert "no_such_connection" in capsys.readouterr().err


def test_an_empty_erp_says_what_it_cannot_check(erp: ErpDatabase) -> None:
    """Every file compiles and runs on an empty ERP, but the writes that need a deposit cannot be
    tried: they are SKIPPED with the reason, never reported as the ERP's fault."""
    report = check_contract(erp)
    assert not report.ok
    skipped = {f.query: f.problems[0] for f in report.files if f.status == "skipped"}
    assert {f.query for f in report.files if f.status == "defect"} == set()
    assert set(skipped) == {
        "catalog_import_upsert_stock_balance",
        "order_insert_item",
        "order_reserve_stock",
        "order_release_stock",
    }
    assert "the id from list_deposits.sql, which returned no row" in skipped["order_insert_item"]
    assert "order_reserve_stock.sql to have run cleanly first" in skipped["order_release_stock"]
