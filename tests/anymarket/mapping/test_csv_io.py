"""Mappings as CSV: round trip per kind, located validation errors, atomic apply, held orders released."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from anymarket.erp.database import ErpDatabase
from anymarket.mapping import csv_io
from anymarket.mapping import models as m
from anymarket.mapping.csv_io import CsvUpload, MappingCsvError
from anymarket.mapping.database import MappingDatabase

IID = "loja1"

#: One row per kind as the automations use them (deposits with their attribute, carriers with a template).
SAMPLES: dict[str, list[tuple[str, str, dict[str, Any] | None]]] = {
    "category": [("CAT-1", "301", None), ("CAT-2", "302", None)],
    "brand": [("MARCA-A", "77", None)],
    "attribute": [("Material", "Material do produto", None)],
    "variation_type": [("Cor", "Cor", None)],
    "variation_value": [("Cor:Azul", "Azul Royal", None)],
    "deposit": [
        ("CD-SP", "501", {"counts_toward_balance": True}),
        ("CD-REC", "502", {"counts_toward_balance": False}),
    ],
    "fulfillment_deposit": [("MERCADO_LIVRE", "CD-REC", None)],
    "order_status_import": [("PAID_WAITING_SHIP", "approved", None), ("*", "pending", None)],
    "order_status_export": [("faturado", "INVOICED", None)],
    "payment_method": [("CREDIT_CARD", "CARTAO", None), ("*", "PIX", None)],
    "carrier": [
        ("Correios", "CORREIOS", {"tracking_url_template": "https://rastreio.example/{tracking_code}"}),
        ("Jadlog", "JADLOG", None),
    ],
    "sales_channel": [("MERCADO_LIVRE:loja", "ML", None)],
    "intermediary": [
        ("MERCADO_LIVRE", "03007331000141", {"intermediary_name": "Mercado Livre", "seller_id": "123456789"}),
        ("AMAZON:Loja 2", "15436940000103", None),
    ],
}


@pytest.fixture
def erp(tmp_path: Path) -> ErpDatabase:
    """The reference ERP with the codes the mappings point at (one inactive carrier)."""
    erp = ErpDatabase(f"sqlite:///{tmp_path / 'erp.db'}")
    erp.create_schema()
    with erp.engine.begin() as c:
        c.execute(
            sa.text(
                "INSERT INTO deposits (id, code, name, is_default, active) VALUES "
                "(1, 'CD-SP', 'CD São Paulo', 1, 1), (2, 'CD-REC', 'CD Recife', 0, 1), "
                "(3, 'OLD', 'Velho', 0, 0)"
            )
        )
        c.execute(
            sa.text(
                "INSERT INTO carriers (id, code, name, active) VALUES (1, 'CORREIOS', 'Correios', 1), "
                "(2, 'JADLOG', 'Jadlog', 1), (3, 'TNT', 'TNT', 0)"
            )
        )
        c.execute(
            sa.text(
                "INSERT INTO payment_methods (id, code, name) VALUES "
                "(1, 'CARTAO', 'Cartão'), (2, 'PIX', 'Pix')"
            )
        )
        c.execute(
            sa.text("INSERT INTO sales_channels (id, code, name, marketplace) VALUES (1, 'ML', 'ML', 'ML')")
        )
    return erp


@pytest.fixture
def db(database_url: str) -> MappingDatabase:
    db = MappingDatabase.from_url(database_url)
    db.upgrade()
    with db.begin() as conn:
        for local, name in (("501", "CD São Paulo"), ("502", "CD Recife")):
            conn.execute(
                sa.insert(m.anymarket_warehouses).values(
                    integration_id=IID,
                    stock_local_id=local,
                    name=name,
                    is_default=local == "501",
                    is_virtual=False,
                    created_at=csv_io.utcnow(),
                    updated_at=csv_io.utcnow(),
                )
            )
    return db


def seed(db: MappingDatabase, kind: str) -> None:
    for key, value, attributes in SAMPLES[kind]:
        db.set_mapping(
            IID, kind, key, value, attributes=attributes, source="auto" if kind == "deposit" else "manual"
        )


def run_import(
    db: MappingDatabase, erp: ErpDatabase, *files: tuple[str, str | bytes], **kw: Any
) -> list[Any]:
    uploads = [CsvUpload(name=name, data=data, kind=kw.pop("kind", None)) for name, data in files]
    return csv_io.import_files(db, IID, uploads, erp=lambda: erp, **kw)


def errors_of(db: MappingDatabase, erp: ErpDatabase, *files: tuple[str, str | bytes], **kw: Any) -> list[str]:
    with pytest.raises(MappingCsvError) as caught:
        run_import(db, erp, *files, **kw)
    return [str(e) for e in caught.value.errors]


def snapshot(db: MappingDatabase) -> list[tuple]:
    with db.engine.connect() as c:
        return [
            tuple(r) for r in c.execute(sa.select(m.mappings).order_by(m.mappings.c.kind, m.mappings.c.key))
        ]


def mapping_history(db: MappingDatabase) -> list[dict[str, Any]]:
    with db.engine.connect() as c:
        rows = c.execute(
            sa.select(m.history).where(m.history.c.entity_type == "mapping").order_by(m.history.c.id)
        )
        return [dict(r._mapping) for r in rows]


# -- round trip ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(m.MAPPING_KINDS))
def test_round_trip_per_kind(db: MappingDatabase, erp: ErpDatabase, kind: str) -> None:
    seed(db, kind)
    spec = csv_io.SPECS[kind]
    text = csv_io.export_csv(db, IID, kind)
    lines = text.splitlines()
    assert lines[0] == ",".join(spec.header)
    assert len(lines) == 1 + len(SAMPLES[kind])
    before = snapshot(db)

    [result] = run_import(db, erp, (spec.file_name, text))

    assert (result.kind, result.rows, result.unchanged, result.changes, result.applied) == (
        kind,
        len(SAMPLES[kind]),
        len(SAMPLES[kind]),
        [],
        False,
    )
    assert snapshot(db) == before  # not even updated_at moved
    assert mapping_history(db) == []  # an import that changes nothing records nothing

    # An edited value comes back as that value, the attributes the automations read intact.
    key, value, attributes = SAMPLES[kind][0]
    db.set_mapping(IID, kind, key, value, attributes=attributes)  # same row, for the edit below
    with db.begin() as conn:
        conn.execute(sa.delete(m.mappings).where(m.mappings.c.kind == kind))
    [result] = run_import(db, erp, (spec.file_name, text))
    assert result.count("added") == len(SAMPLES[kind]) and result.applied
    got = db.mappings_of(IID, kind)
    assert {k: (v["value"], v["attributes"] or None) for k, v in got.items()} == {
        k: (v, a) for k, v, a in SAMPLES[kind]
    }
    assert csv_io.export_csv(db, IID, kind).replace(",auto\n", ",manual\n") == text.replace(
        ",auto\n", ",manual\n"
    )


def test_semicolons_bom_windows_1252_and_edits(db: MappingDatabase, erp: ErpDatabase) -> None:
    seed(db, "carrier")
    text = (
        "anymarket_carrier;erp_code;tracking_url_template\r\n"
        "Correios;CORREIOS;https://rastreio.example/{tracking_code}\r\n"
        "Jadlog;CORREIOS;\r\n"
        "Entrega Só Hoje;JADLOG;https://j.example/?c={tracking_code}\r\n"
    )
    [result] = run_import(db, erp, ("carriers.csv", text.encode("cp1252")), user="ana")

    assert (result.count("added"), result.count("updated"), result.unchanged) == (1, 1, 1)
    carriers = db.mappings_of(IID, "carrier")
    assert carriers["Entrega Só Hoje"]["value"] == "JADLOG"
    assert carriers["Jadlog"]["value"] == "CORREIOS"
    assert carriers["Entrega Só Hoje"]["attributes"] == {
        "tracking_url_template": "https://j.example/?c={tracking_code}"
    }
    [entry] = mapping_history(db)
    assert entry["entity_key"] == "carrier" and entry["request"]["user"] == "ana"
    assert (entry["response"]["added"], entry["response"]["updated"], entry["response"]["unchanged"]) == (
        1,
        1,
        1,
    )

    bom = ("\ufeff" + text.replace(";", ",")).encode("utf-8")
    [again] = run_import(db, erp, ("carriers.csv", bom))
    assert again.changes == [] and len(mapping_history(db)) == 1


def test_unchanged_auto_rows_stay_auto_and_keep_installer_attributes(
    db: MappingDatabase, erp: ErpDatabase
) -> None:
    db.set_mapping(
        IID,
        "deposit",
        "CD-SP",
        "501",
        attributes={"counts_toward_balance": True, "erp_name": "CD São Paulo"},
        source="auto",
    )
    db.set_mapping(IID, "deposit", "CD-REC", "502", attributes={"counts_toward_balance": True}, source="auto")
    run_import(
        db,
        erp,
        ("deposits.csv", "erp_code,stock_local_id,counts_toward_balance\nCD-SP,501,yes\nCD-REC,502,no\n"),
    )
    deposits = db.mappings_of(IID, "deposit")
    assert deposits["CD-SP"] == {
        "value": "501",
        "attributes": {"counts_toward_balance": True, "erp_name": "CD São Paulo"},
        "source": "auto",
    }
    assert deposits["CD-REC"]["attributes"] == {"counts_toward_balance": False}
    assert deposits["CD-REC"]["source"] == "manual"  # a person's row: the installer leaves it alone


def test_replace_deletes_missing_rows_and_merge_keeps_them(db: MappingDatabase, erp: ErpDatabase) -> None:
    seed(db, "payment_method")
    run_import(db, erp, ("payment_methods.csv", "anymarket_payment,erp_code\nCREDIT_CARD,CARTAO\n"))
    assert set(db.mappings_of(IID, "payment_method")) == {"CREDIT_CARD", "*"}

    [result] = run_import(
        db, erp, ("payment_methods.csv", "anymarket_payment,erp_code\nCREDIT_CARD,CARTAO\n"), mode="replace"
    )
    assert [(c.key, c.change) for c in result.changes] == [("*", "deleted")]
    assert set(db.mappings_of(IID, "payment_method")) == {"CREDIT_CARD"}


def test_dry_run_reports_and_applies_nothing(db: MappingDatabase, erp: ErpDatabase) -> None:
    [result] = run_import(
        db, erp, ("carriers.csv", "anymarket_carrier,erp_code\nJadlog,JADLOG\n"), dry_run=True
    )
    assert result.count("added") == 1 and not result.applied
    assert snapshot(db) == [] and mapping_history(db) == []


# -- validation: every error names file, line and column ------------------------------------------


def test_unknown_erp_codes_name_file_line_column_and_the_known_codes(
    db: MappingDatabase, erp: ErpDatabase
) -> None:
    text = "anymarket_carrier,erp_code\nCorreios,CORREIOS\nJadlog,JADLOG\nAzul,XYZ\nTNT Express,TNT\n"
    assert errors_of(db, erp, ("carriers.csv", text)) == [
        "carriers.csv line 4, column erp_code: unknown ERP carrier 'XYZ' (known: CORREIOS, JADLOG)",
        "carriers.csv line 5, column erp_code: ERP carrier 'TNT' is inactive in the ERP: "
        "activate it or pick another",
    ]
    assert errors_of(db, erp, ("payment_methods.csv", "anymarket_payment,erp_code\nPIX,DINHEIRO\n")) == [
        "payment_methods.csv line 2, column erp_code: unknown ERP payment method 'DINHEIRO' "
        "(known: CARTAO, PIX)"
    ]
    assert errors_of(db, erp, ("sales_channels.csv", "anymarket_channel,erp_code\nNETSHOES,NS\n")) == [
        "sales_channels.csv line 2, column erp_code: unknown ERP sales channel 'NS' (known: ML)"
    ]


def test_deposits_are_checked_against_the_erp_and_the_known_warehouses(
    db: MappingDatabase, erp: ErpDatabase
) -> None:
    header = "erp_code,stock_local_id,counts_toward_balance\n"
    assert errors_of(db, erp, ("deposits.csv", header + "CD-SP,501,talvez\n")) == [
        "deposits.csv line 2, column counts_toward_balance: 'talvez' is not true or false"
    ]
    text = header + "CD-SP,999,true\nCD-XX,501,true\nOLD,502,false\n"
    assert errors_of(db, erp, ("deposits.csv", text)) == [
        "deposits.csv line 2, column stock_local_id: unknown AnyMarket warehouse '999' "
        "(known: 501 (CD São Paulo), 502 (CD Recife); run install_deposits after adding one)",
        "deposits.csv line 3, column erp_code: unknown ERP deposit 'CD-XX' (known: CD-REC, CD-SP)",
        "deposits.csv line 4, column erp_code: ERP deposit 'OLD' is inactive in the ERP: "
        "activate it or pick another",
    ]
    # Before the deposit installer ran, warehouse ids cannot be checked locally: they are taken as given.
    with db.begin() as conn:
        conn.execute(sa.delete(m.anymarket_warehouses))
    [result] = run_import(db, erp, ("deposits.csv", header + "CD-SP,999,true\n"))
    assert result.count("added") == 1


def test_format_errors(db: MappingDatabase, erp: ErpDatabase) -> None:
    carriers = (
        "anymarket_carrier,erp_code,tracking_url_template\n"
        "Correios,CORREIOS,https://x.example/\n"  # no {tracking_code}
        "Jadlog,,\n"  # empty required cell
        "Correios,JADLOG,\n"  # duplicate key
        '"Loggi, SP",JADLOG,ftp://x/{tracking_code},extra\n'  # one cell too many
    )
    assert errors_of(db, erp, ("carriers.csv", carriers)) == [
        "carriers.csv line 2, column tracking_url_template: must contain {tracking_code} where the "
        "tracking code goes, got 'https://x.example/'",
        "carriers.csv line 3, column erp_code: empty: a value is required",
        "carriers.csv line 4, column anymarket_carrier: duplicate key 'Correios' (also on line 2)",
        "carriers.csv line 5: 4 cells but the header has 3 columns (a ',' inside a value needs quotes)",
    ]
    assert errors_of(
        db, erp, ("order_statuses_import.csv", "anymarket_status,erp_status\nPAGO,approved\n")
    ) == [
        "order_statuses_import.csv line 2, column anymarket_status: 'PAGO' is not one of PENDING, "
        "PAID_WAITING_SHIP, INVOICED, PAID_WAITING_DELIVERY, DELIVERY_ISSUE, CONCLUDED, CANCELED"
    ]
    assert errors_of(db, erp, ("categories.csv", "erp_code,anymarket_category_id\nCAT-1,abc\n")) == [
        "categories.csv line 2, column anymarket_category_id: must be a numeric AnyMarket id, got 'abc'"
    ]


def test_header_kind_delimiter_and_encoding_errors(db: MappingDatabase, erp: ErpDatabase) -> None:
    assert errors_of(db, erp, ("carriers.csv", "anymarket_carrier,erp_code,url\nA,CORREIOS,x\n")) == [
        "carriers.csv line 1, column url: unknown column for carrier; known: "
        "['anymarket_carrier', 'erp_code', 'tracking_url_template', 'source']"
    ]
    assert errors_of(db, erp, ("carriers.csv", "anymarket_carrier,erp_code,erp_code\n")) == [
        "carriers.csv line 1, column erp_code: column appears more than once"
    ]
    assert errors_of(db, erp, ("carriers.csv", "\n\nerp_code\nCORREIOS\n")) == [
        "carriers.csv line 3, column anymarket_carrier: required column is missing"
    ]
    assert errors_of(db, erp, ("carriers.csv", "anymarket_carrier\terp_code\nA\tB\n")) == [
        "carriers.csv line 1: columns are separated by tabs: separate them with , or ;"
    ]
    assert errors_of(db, erp, ("carriers.csv", "anymarket_carrier|erp_code\n")) == [
        "carriers.csv line 1, column anymarket_carrier|erp_code: unknown column for carrier; known: "
        "['anymarket_carrier', 'erp_code', 'tracking_url_template', 'source']",
        "carriers.csv line 1, column anymarket_carrier: required column is missing",
        "carriers.csv line 1, column erp_code: required column is missing",
    ]
    assert errors_of(db, erp, ("carriers.csv", "")) == [
        "carriers.csv line 1: the file is empty: expected the header "
        "['anymarket_carrier', 'erp_code', 'tracking_url_template', 'source']"
    ]
    assert errors_of(db, erp, ("carriers.csv", b"anymarket_carrier,erp_code\nA\x81\x8d,CORREIOS\n")) == [
        "carriers.csv line 2: byte 0x81 is not text in UTF-8 or Windows-1252: save the file as 'CSV UTF-8'"
    ]
    assert errors_of(db, erp, ("transportadoras.csv", "a,b\n")) == [
        "transportadoras.csv: cannot tell the mapping kind from the file name (use one of categories.csv, "
        "brands.csv, attributes.csv, variation_types.csv, variation_values.csv, deposits.csv, "
        "fulfillment_deposits.csv, order_statuses_import.csv, order_statuses_export.csv, "
        "payment_methods.csv, carriers.csv, sales_channels.csv, intermediaries.csv)"
    ]
    assert errors_of(db, erp, ("x.csv", "a,b\n"), kind="shipping") == [
        "(kind): unknown mapping kind 'shipping' (known: " + ", ".join(m.MAPPING_KINDS) + ")"
    ]
    # An explicit kind wins over the file name; a prefixed export name is understood.
    [result] = run_import(db, erp, ("upload.csv", "anymarket_carrier,erp_code\nA,CORREIOS\n"), kind="carrier")
    assert result.kind == "carrier"
    assert csv_io.kind_of_file("loja1-payment_methods.csv") == "payment_method"


# -- atomicity ------------------------------------------------------------------------------------


def test_a_bad_row_in_any_file_applies_nothing(db: MappingDatabase, erp: ErpDatabase) -> None:
    seed(db, "carrier")
    before = snapshot(db)
    errors = errors_of(
        db,
        erp,
        ("payment_methods.csv", "anymarket_payment,erp_code\nPIX,PIX\nBOLETO,PIX\n"),
        ("carriers.csv", "anymarket_carrier,erp_code\nCorreios,JADLOG\nAzul,XYZ\n"),
        mode="replace",
    )
    assert errors == [
        "carriers.csv line 3, column erp_code: unknown ERP carrier 'XYZ' (known: CORREIOS, JADLOG)"
    ]
    assert snapshot(db) == before and mapping_history(db) == []


def test_a_failure_while_writing_rolls_every_row_back(
    db: MappingDatabase, erp: ErpDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(db, "carrier")
    before = snapshot(db)
    calls = []

    def fail_on_second_file(*args: Any, **kwargs: Any) -> None:
        calls.append(kwargs["entity_key"])
        if len(calls) == 2:
            raise RuntimeError("disk full")

    monkeypatch.setattr(db, "record_history", fail_on_second_file)
    with pytest.raises(RuntimeError, match="disk full"):
        run_import(
            db,
            erp,
            ("carriers.csv", "anymarket_carrier,erp_code\nCorreios,JADLOG\nAzul,CORREIOS\n"),
            ("payment_methods.csv", "anymarket_payment,erp_code\nPIX,PIX\n"),
            mode="replace",
        )
    assert calls == ["carrier", "payment_method"]  # the first file was written before the failure
    assert snapshot(db) == before


def test_the_erp_is_read_only_for_files_with_erp_codes(db: MappingDatabase) -> None:
    def no_erp() -> ErpDatabase:
        raise AssertionError("the ERP was opened")

    [result] = csv_io.import_files(
        db, IID, [CsvUpload("brands.csv", "erp_code,anymarket_brand_id\nMARCA,12\n")], erp=no_erp
    )
    assert result.count("added") == 1


# -- a mapping fixed by CSV releases the orders it held --------------------------------------------


def test_order_held_for_an_unmapped_carrier_is_imported_after_a_csv_import(
    integration_env: Any, tmp_path: Path
) -> None:
    from tests.anymarket.operators.test_import_orders import Shop, order_spec

    shop = Shop(integration_env, tmp_path)
    order = integration_env.sandbox.admin.create_order(**order_spec(carrier="Jadlog"))
    summary = shop.run()
    assert shop.orders(order["id"]) == [] and summary["held_now"] == 1

    exported = csv_io.export_csv(integration_env.mapping, "loja1", "carrier")
    edited = exported + "Jadlog,JADLOG,https://jadlog.example/{tracking_code},\n"
    [result] = csv_io.import_files(
        integration_env.mapping,
        "loja1",
        [CsvUpload("carriers.csv", edited.encode())],
        erp=lambda: integration_env.erp,
        user="ops@loja1",
    )
    assert (result.count("added"), result.unchanged) == (1, 1)

    summary = shop.run()
    [erp_order] = shop.orders(order["id"])
    assert erp_order["carrier_id"] == 2  # JADLOG
    assert summary["held_now"] == 0 and summary["counts"]["new"] == 1


def test_intermediaries_csv_checks_the_cnpj_and_keeps_name_and_seller_id(
    db: MappingDatabase, erp: ErpDatabase
) -> None:
    bad = "anymarket_marketplace,intermediary_cnpj\nSHOPEE,35635824000199\nNETSHOES,12.345\n"
    assert errors_of(db, erp, ("intermediaries.csv", bad)) == [
        "intermediaries.csv line 2, column intermediary_cnpj: "
        "'35635824000199' is not a valid CNPJ (check digits)",
        "intermediaries.csv line 3, column intermediary_cnpj: must be a CNPJ of 14 digits, got '12.345'",
    ]
    good = (
        "anymarket_marketplace;intermediary_cnpj;intermediary_name;seller_id\n"
        "SHOPEE;35.635.824/0001-12;Shopee;987654\n"
    )
    run_import(db, erp, ("loja1-intermediaries.csv", good))
    row = db.mappings_of(IID, "intermediary")["SHOPEE"]
    assert row["value"] == "35.635.824/0001-12"
    assert row["attributes"] == {"intermediary_name": "Shopee", "seller_id": "987654"}


def test_fulfillment_deposits_csv_names_a_full_marketplace_and_an_active_erp_deposit(
    db: MappingDatabase, erp: ErpDatabase
) -> None:
    header = "anymarket_marketplace,erp_deposit_code\n"
    assert errors_of(db, erp, ("fulfillment_deposits.csv", header + "mercado_livre,CD-REC\n")) == [
        "fulfillment_deposits.csv line 2, column anymarket_marketplace: 'mercado_livre' is not one of "
        "MERCADO_LIVRE, B2W_NEW_API, OUTROS"
    ]
    [error] = errors_of(db, erp, ("fulfillment_deposits.csv", header + "MERCADO_LIVRE,OLD\n"))
    assert error.startswith("fulfillment_deposits.csv line 2, column erp_deposit_code: ") and "OLD" in error
    run_import(db, erp, ("loja1-fulfillment_deposits.csv", header + "B2W_NEW_API,CD-REC\n"))
    assert {k: v["value"] for k, v in db.mappings_of(IID, "fulfillment_deposit").items()} == {
        "B2W_NEW_API": "CD-REC"
    }
