"""ERP catalog rows → AnyMarket product, SKU and image bodies (pure)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

from anymarket.catalog.payload import (
    ErpImage,
    ErpProduct,
    Translation,
    build_payload,
    description_html,
    differs,
    gender_of,
    image_key,
    kit_sku_problem,
    products_from_rows,
    sku_title,
    stable_hash,
    warranty_months,
    with_kit,
)
from anymarket.settings import ProductSettings


def rows(*, has_variations: bool = True, **product: Any) -> dict[str, list[dict[str, Any]]]:
    """The five query results for one product P2 (two colours x one size when it has variations)."""
    base = {
        "code": "P2",
        "name": "Camiseta",
        "description": "Linha 1\r\nLinha 2 <b>",
        "brand_code": "B1",
        "category_code": "C2",
        "ncm": "61091000",
        "origin": 2,
        "video_url": None,
        "height_cm": Decimal("10.00"),
        "width_cm": 20.0,
        "length_cm": 30,
        "weight_kg": Decimal("0.250"),
        "has_variations": int(has_variations),
        "active": 1,
        **product,
    }
    skus = [("P2-AZU", "Azul"), ("P2-PRE", "Preto")] if has_variations else [("P2", None)]
    return {
        "products": [base],
        "skus": [
            {
                "product_code": "P2",
                "code": code,
                "name": f"Camiseta {colour or ''}".strip(),
                "ean": "7890000000017" if index == 0 else None,
                "crossdocking_days": 3,
                "sell_price": Decimal("49.90"),
                "list_price": None if index else Decimal("59.90"),
                "active": 1,
            }
            for index, (code, colour) in enumerate(skus)
        ],
        "variations": [
            row
            for code, colour in skus
            if colour
            for row in (
                {"product_code": "P2", "sku_code": code, "variation_type": "Cor", "variation_value": colour},
                {"product_code": "P2", "sku_code": code, "variation_type": "Tamanho", "variation_value": "M"},
            )
        ],
        "images": [
            {"product_code": "P2", "sku_code": None, "position": 2, "url": "https://i/2.jpg", "is_main": 0},
            {"product_code": "P2", "sku_code": None, "position": 1, "url": "https://i/1.jpg", "is_main": 1},
        ]
        + (
            [
                {
                    "product_code": "P2",
                    "sku_code": "P2-PRE",
                    "position": 3,
                    "url": "https://i/p.jpg",
                    "is_main": 0,
                }
            ]
            if has_variations
            else []
        ),
        "attributes": [
            {"product_code": "P2", "name": "Modelo", "value": "M-1"},
            {"product_code": "P2", "name": "Gênero", "value": "Feminino"},
            {"product_code": "P2", "name": "Tempo de Garantia", "value": "6 meses"},
            {"product_code": "P2", "name": "Texto de Garantia", "value": "Seis meses."},
            {"product_code": "P2", "name": "Material", "value": "Algodão"},
            {"product_code": "P2", "name": "Interno", "value": "x"},
        ],
    }


def product(**kwargs: Any) -> ErpProduct:
    data = rows(**kwargs)
    [built] = products_from_rows(
        data["products"], data["skus"], data["variations"], data["images"], data["attributes"]
    )
    return built


def payload(erp: ErpProduct | None = None, translation: Translation | None = None, **settings: Any):
    return build_payload(
        erp or product(),
        brand_id="11",
        category_id="22",
        settings=ProductSettings(**settings),
        translation=translation or Translation(),
    )


def test_rows_become_products_with_skus_images_and_attributes() -> None:
    erp = product()
    assert (erp.height, erp.weight, erp.origin, erp.has_variations) == (10.0, 0.25, 2, True)
    assert [s.code for s in erp.skus] == ["P2-AZU", "P2-PRE"]
    assert erp.skus[0].variations == (("Cor", "Azul"), ("Tamanho", "M"))
    assert (erp.skus[0].list_price, erp.skus[1].list_price) == (59.9, None)
    assert [i.url for i in erp.images] == ["https://i/1.jpg", "https://i/2.jpg", "https://i/p.jpg"]
    assert erp.variation_pairs() == {("Cor", "Azul"), ("Cor", "Preto"), ("Tamanho", "M")}
    assert product(has_variations=False).variation_pairs() == set()


def test_product_body_fields() -> None:
    body = payload().product
    assert body["title"] == "Camiseta" and body["externalIdProduct"] == "P2"
    assert (body["category"], body["brand"], body["nbm"], body["origin"]) == (
        {"id": 22},
        {"id": 11},
        {"id": "61091000"},
        {"id": 2},
    )
    assert (body["model"], body["gender"], body["warrantyTime"], body["warrantyText"]) == (
        "M-1",
        "FEMALE",
        6,
        "Seis meses.",
    )
    assert body["characteristics"] == [
        {"index": 1, "name": "Material", "value": "Algodão"},
        {"index": 2, "name": "Interno", "value": "x"},
    ]
    assert (body["height"], body["width"], body["length"], body["weight"]) == (10.0, 20.0, 30.0, 0.25)
    assert body["hasVariations"] is True and body["isProductActive"] is True
    assert "videoUrl" not in body and "skus" not in body and "images" not in body


def test_attribute_mapping_renames_hides_and_targets_fields() -> None:
    translation = Translation(attributes={"Material": "Composição", "Interno": "", "Modelo": "Referência"})
    body = payload(translation=translation).product
    assert body["characteristics"] == [
        {"index": 1, "name": "Referência", "value": "M-1"},
        {"index": 2, "name": "Composição", "value": "Algodão"},
    ]
    assert "model" not in body
    assert payload(translation=Translation(attributes={"Material": "model"})).product["model"] == "Algodão"


@pytest.mark.parametrize(
    ("text", "to_br", "expected"),
    [
        ("Linha 1\r\nLinha 2 <b>", True, "Linha 1<br>Linha 2 &lt;b&gt;"),
        ("Linha 1\nLinha 2\rFim", True, "Linha 1<br>Linha 2<br>Fim"),
        ("Linha 1\nA & B", False, "Linha 1\nA &amp; B"),
        (None, True, ""),
    ],
)
def test_description(text: str | None, to_br: bool, expected: str) -> None:
    assert description_html(text, line_breaks_to_br=to_br) == expected


def test_description_setting_and_fallback_to_name() -> None:
    assert (
        payload(description_line_breaks_to_br=False).product["description"] == "Linha 1\r\nLinha 2 &lt;b&gt;"
    )
    assert payload(product(description=None)).product["description"] == "Camiseta"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("Masculino", "MALE"), ("feminino", "FEMALE"), ("Unissex", "UNISSEX"), ("Infantil", "CHILDISH_UNISSEX"),
     ("Bebê", "BABIES"), ("MALE", "MALE"), ("Alienígena", None)],
)  # fmt: skip
def test_gender(value: str, expected: str | None) -> None:
    assert gender_of(value) == expected


@pytest.mark.parametrize(
    ("value", "months"), [("12", 12), ("3 meses", 3), ("1 ano", 12), ("2 anos", 24), ("", None)]
)
def test_warranty(value: str, months: int | None) -> None:
    assert warranty_months(value) == months


def test_sku_bodies_for_creation_and_update() -> None:
    built = payload()
    created = built.sku_bodies["P2-AZU"]
    assert created == {
        "title": "Camiseta Azul",
        "partnerId": "P2-AZU",
        "ean": "7890000000017",
        "active": True,
        "amount": 0,
        "additionalTime": 3,
        "price": 59.9,
        "sellPrice": 49.9,
        "variations": {"Cor": "Azul", "Tamanho": "M"},
    }
    assert built.sku_bodies["P2-PRE"]["price"] == 49.9  # no list price: "preço de" = "preço por"
    # The update carries only what PUT /skus accepts and no price (send prices owns prices).
    assert built.sku_updates["P2-PRE"] == {"title": "Camiseta Preto", "partnerId": "P2-PRE", "active": True}
    assert payload(send_crossdocking=False).sku_bodies["P2-AZU"]["additionalTime"] == 0
    simple = payload(product(has_variations=False)).sku_bodies["P2"]
    assert "variations" not in simple


def test_variation_mapping() -> None:
    translation = Translation(variation_types={"Cor": "Color"}, variation_values={"Cor:Azul": "Azul Royal"})
    built = payload(translation=translation)
    assert built.sku_bodies["P2-AZU"]["variations"] == {"Color": "Azul Royal", "Tamanho": "M"}
    assert [i.variation for i in built.images] == [None, None, "Preto"]


def test_images_first_is_main_and_variation_images_carry_the_colour() -> None:
    images = payload().images
    assert [(i.url, i.variation, i.index, i.main) for i in images] == [
        ("https://i/1.jpg", None, 1, True),
        ("https://i/2.jpg", None, 2, False),
        ("https://i/p.jpg", "Preto", 3, False),
    ]
    assert images[2].body() == {"index": 3, "main": False, "url": "https://i/p.jpg", "variation": "Preto"}
    assert images[0].key == image_key("https://i/1.jpg", None) != image_key("https://i/1.jpg", "Azul")


def test_parent_images_replicated_per_colour() -> None:
    images = payload(replicate_parent_images=True).images
    assert [(i.url.rsplit("/", 1)[1], i.variation) for i in images] == [
        ("1.jpg", None),
        ("2.jpg", None),
        ("p.jpg", "Preto"),
        ("1.jpg", "Azul"),
        ("2.jpg", "Azul"),
        ("1.jpg", "Preto"),
        ("2.jpg", "Preto"),
    ]
    assert [i.index for i in images] == list(range(1, 8)) and sum(i.main for i in images) == 1


def test_creation_body_and_price_settings() -> None:
    built = payload(price_format="markup", price_factor=1.8, price_scope="COST")
    body = built.create_body()
    assert (body["priceFactor"], body["calculatedPrice"], body["definitionPriceScope"]) == (1.8, True, "COST")
    # The PUT carries them too (ProductUpdate requires priceFactor; a changed markup must reach the
    # products already on AnyMarket), so a settings change is a product change.
    update = built.product
    assert (update["priceFactor"], update["calculatedPrice"], update["definitionPriceScope"]) == (
        1.8,
        True,
        "COST",
    )
    assert "skus" not in update and "images" not in update
    remarked = payload(price_format="markup", price_factor=2.0, price_scope="COST")
    assert remarked.product_hash != built.product_hash and remarked.data_hash != built.data_hash
    assert [s["partnerId"] for s in body["skus"]] == ["P2-AZU", "P2-PRE"] and len(body["images"]) == 3
    fixed = payload(price_factor=1.8).create_body()
    assert (fixed["priceFactor"], fixed["calculatedPrice"]) == (1.0, False)
    assert payload(send_images="no").create_body()["images"] == []
    assert len(payload(send_images="new_products_only").create_body()["images"]) == 3


def test_hashes_follow_the_data_not_the_order() -> None:
    first, again = payload(), payload()
    assert first.data_hash == again.data_hash and first.product_hash == again.product_hash
    assert stable_hash({"a": 1, "b": [1, 2]}) == stable_hash({"b": [1, 2], "a": 1})
    renamed = payload(product(name="Camiseta Nova"))
    assert renamed.product_hash != first.product_hash and renamed.data_hash != first.data_hash
    assert renamed.sku_hash("P2-AZU") == first.sku_hash("P2-AZU")
    assert payload(delete_removed_images=True).data_hash == first.data_hash
    assert payload(send_images="no").data_hash != first.data_hash
    assert payload(replicate_parent_images=True).images_hash != first.images_hash


def test_differs_compares_references_numbers_and_characteristics() -> None:
    wanted = payload().product
    remote = {
        **wanted,
        "category": {"id": 22, "name": "Camisetas", "path": "Moda/Camisetas"},
        "brand": {"id": 11, "name": "Marca", "reducedName": "marca", "partnerId": "B1"},
        "height": 10,
        "characteristics": list(reversed(wanted["characteristics"])),
        "id": 99,
    }
    assert not differs(wanted, remote)
    assert differs(wanted, {**remote, "title": "Outra"})
    assert differs(wanted, {**remote, "brand": {"id": 12}})
    assert differs(wanted, {k: v for k, v in remote.items() if k != "warrantyText"})


def test_the_video_link_is_sent_when_the_erp_has_one() -> None:
    erp = product(video_url="  https://youtu.be/abc  ")
    assert erp.video_url == "https://youtu.be/abc"
    assert payload(erp).product["videoUrl"] == "https://youtu.be/abc"
    assert "videoUrl" not in payload(product(video_url="")).product


def test_the_same_image_twice_is_sent_once() -> None:
    erp = product()
    twice = type(erp)(**{**erp.__dict__, "images": (*erp.images, erp.images[0], erp.images[1])})
    images = payload(twice).images
    assert [(i.url, i.variation) for i in images] == [
        ("https://i/1.jpg", None),
        ("https://i/2.jpg", None),
        ("https://i/p.jpg", "Preto"),
    ]
    assert [i.index for i in images] == [1, 2, 3]


def _replace(erp: ErpProduct, **changes: Any) -> ErpProduct:
    return dataclasses.replace(erp, **changes)


def test_images_only_for_new_products_and_never_when_off() -> None:
    # "no": no image is even built (so create_body and the sync have none to send).
    off = payload(send_images="no")
    assert off.images == () and off.send_images == "no" and off.create_body()["images"] == []
    # "new_products_only": built and posted with the product, the sync leaves them alone afterwards.
    new_only = payload(send_images="new_products_only")
    assert new_only.send_images == "new_products_only" and len(new_only.images) == 3
    assert [i["url"] for i in new_only.create_body()["images"]] == [
        "https://i/1.jpg",
        "https://i/2.jpg",
        "https://i/p.jpg",
    ]
    assert new_only.images_hash == payload().images_hash


def test_payload_identity_and_defaults() -> None:
    inactive = _replace(product(has_variations=False), attributes=(), active=False)
    built = payload(inactive)
    assert (built.code, built.active) == ("P2", False)
    assert built.product["warrantyTime"] == 0 and built.product["isProductActive"] is False
    assert payload().product["description"] == "Linha 1<br>Linha 2 &lt;b&gt;"


def test_a_price_under_one_real_without_a_list_price() -> None:
    erp = product(has_variations=False)
    cheap = _replace(erp, skus=(dataclasses.replace(erp.skus[0], sell_price=0.5, list_price=None),))
    assert payload(cheap).sku_bodies["P2"]["price"] == 0.5


def test_a_product_without_variations_ignores_variation_rows_of_its_skus() -> None:
    erp = product(has_variations=False)
    sku = dataclasses.replace(erp.skus[0], variations=(("Cor", "Azul"),))
    image = ErpImage(position=9, url="https://i/s.jpg", sku_code="P2")
    built = payload(_replace(erp, skus=(sku,), images=(*erp.images, image)))
    assert "variations" not in built.sku_bodies["P2"]
    assert [(i.url, i.variation) for i in built.images][-1] == ("https://i/s.jpg", None)


@pytest.mark.parametrize(
    ("variations", "expected"),
    [
        ((("Tamanho", "M"), ("Cor", "Azul")), "Azul Royal"),  # the visual type, wherever it is
        ((("Tamanho", "M"), ("Material", "Algodão")), "Médio"),  # no visual type: the first value
    ],
)
def test_a_sku_image_goes_to_its_visual_value(variations: tuple, expected: str) -> None:
    erp = product()
    skus = (dataclasses.replace(erp.skus[0], variations=variations), *erp.skus[1:])
    image = ErpImage(position=9, url="https://i/a.jpg", sku_code=erp.skus[0].code)
    translation = Translation(variation_values={"Cor:Azul": "Azul Royal", "Tamanho:M": "Médio"})
    built = payload(_replace(erp, skus=skus, images=(image,)), translation=translation)
    assert [i.variation for i in built.images] == [expected]


def test_a_duplicate_image_in_the_middle_keeps_the_ones_after_it() -> None:
    erp = product()
    first, second = erp.images[0], erp.images[1]
    built = payload(_replace(erp, images=(first, first, second)))
    assert [i.url for i in built.images] == [first.url, second.url]


def test_blank_attributes_are_skipped_not_the_ones_after_them() -> None:
    erp = _replace(product(), attributes=(("Cor da etiqueta", "  "), ("Modelo", "M-9"), ("Material", "Lã")))
    body = payload(erp).product
    assert body["model"] == "M-9" and body["characteristics"] == [
        {"index": 1, "name": "Material", "value": "Lã"}
    ]


def test_an_empty_measure_is_not_sent_and_refuses_the_product_naming_skus_and_columns() -> None:
    erp = product(height_cm="", width_cm=None)
    assert (erp.height, erp.width) == (None, None)
    built = payload(erp)
    assert "height" not in built.product and "width" not in built.product
    assert built.incomplete == (
        "product P2 (SKU P2-AZU, P2-PRE) has no height_cm, width_cm in the ERP: AnyMarket requires a "
        "product's height, width and length (cm) and weight (kg), and marketplaces quote freight from "
        "them. Fill them in the ERP; the product is sent on the first run after it changes."
    )
    assert payload().incomplete is None


@pytest.mark.parametrize(
    ("measures", "missing"),
    [
        ({"weight_kg": None}, "weight_kg"),
        ({"length_cm": 0}, "length_cm"),  # zero is no measure: freight would be quoted on nothing
        ({"height_cm": Decimal("-1")}, "height_cm"),
        ({"height_cm": "0.01", "width_cm": 0.01, "length_cm": 0.01, "weight_kg": 0.001}, None),
    ],
)
def test_every_measure_must_be_positive(measures: dict[str, Any], missing: str | None) -> None:
    incomplete = payload(product(**measures)).incomplete
    if missing is None:
        assert incomplete is None
    else:
        assert incomplete is not None and f"has no {missing} in the ERP" in incomplete


def test_a_product_without_skus_or_measures_says_so() -> None:
    incomplete = payload(_replace(product(weight_kg=None), skus=())).incomplete
    assert incomplete is not None and incomplete.startswith(
        "product P2 (SKU none) has no weight_kg in the ERP"
    )


def test_an_inactive_product_is_taken_down_without_its_measures() -> None:
    erp = _replace(product(weight_kg=None), active=False)
    built = payload(erp)
    assert built.incomplete is None and built.product["isProductActive"] is False


@pytest.mark.parametrize(
    ("wanted", "remote", "expected"),
    [
        ({"weight": 0.25}, {"weight": 0.2504}, False),  # numbers to 3 places
        ({"weight": 0.25}, {"weight": 0.251}, True),
        ({"height": 10.4}, {"height": 10}, True),
        ({"height": 10}, {"height": 11}, True),
        ({"tags": [1, 2]}, {"tags": [1, 3]}, True),  # lists element by element
        ({"origin": {"name": "a"}}, {"origin": {"name": "b"}}, True),  # a dict without id: by content
        ({"origin": {"name": "a"}}, {"origin": {"name": "a"}}, False),
        # A dict with an id and more than 4 keys is content, not a reference.
        (
            {"x": {"id": 1, "a": 1, "b": 2, "c": 3, "d": 4}},
            {"x": {"id": 1, "a": 1, "b": 2, "c": 3, "d": 5}},
            True,
        ),
        ({"x": {"id": 1, "a": 1, "b": 2, "c": 3}}, {"x": {"id": 1, "a": 9}}, False),  # a reference: by id
        ({"flag": None}, {"flag": "None"}, True),  # missing is not the text None
        ({"flag": True}, {"flag": "True"}, True),
        ({"n": 5}, {"n": "5"}, True),  # a number is not its text
    ],
)
def test_differs_field_by_field(wanted: dict, remote: dict, expected: bool) -> None:
    assert differs(wanted, remote) is expected


def test_a_sku_title_is_cut_to_anymarkets_150_characters() -> None:
    assert sku_title("Caneca Azul") == "Caneca Azul"
    assert sku_title("x" * 150) == "x" * 150
    long = "Camiseta " + "muito " * 30 + "P3"
    cut = sku_title(long)
    assert len(cut) <= 150 and cut.endswith("muito") and long.startswith(cut)
    assert sku_title("y" * 200) == "y" * 150  # no word to cut at


def test_rows_with_empty_or_long_numbers_and_codes() -> None:
    data = rows(has_variations=False, origin=None, height_cm="10.126", width_cm=1.004, length_cm=None)
    data["products"][0] |= {"weight_kg": Decimal("0.25049"), "brand_code": " B1 ", "category_code": "C2"}
    data["skus"][0] |= {"crossdocking_days": None, "sell_price": None, "list_price": Decimal("59.904")}
    [erp] = products_from_rows(data["products"], data["skus"], [], [], [])
    assert (erp.brand_code, erp.category_code, erp.origin) == ("B1", "C2", 0)
    assert (erp.height, erp.width, erp.length, erp.weight) == (10.13, 1.0, None, 0.25)
    [sku] = erp.skus
    assert (sku.crossdocking_days, sku.sell_price, sku.list_price) == (0, 0.0, 59.9)
    assert (erp.images, erp.attributes) == ((), ())
    [bare] = products_from_rows(data["products"], [], [], [], [])
    assert bare.skus == ()


def test_create_body_amounts_per_sku_and_zero_for_the_others() -> None:
    built = payload()
    skus = built.create_body({"P2-AZU": 7})["skus"]
    assert [(s["partnerId"], s["amount"]) for s in skus] == [("P2-AZU", 7), ("P2-PRE", 0)]
    assert [s["amount"] for s in built.create_body()["skus"]] == [0, 0]
    assert built.sku_hash("P2-AZU") != built.sku_hash("P2-PRE")


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("a" * 140 + " " + "b" * 9, "a" * 140 + " " + "b" * 9),  # exactly 150: kept whole
        ("a" * 120 + " " + "b" * 100, "a" * 120),  # a word ends 30 characters from the limit: cut there
        ("a" * 119 + " " + "b" * 100, "a" * 119 + " " + "b" * 30),  # 31 from it: cut at 150
        ("a" * 130 + "  " + "b" * 100, "a" * 130),  # no trailing blank left
    ],
)
def test_where_a_long_sku_title_is_cut(name: str, title: str) -> None:
    assert sku_title(name) == title


def test_stored_keys_and_hashes_keep_their_format() -> None:
    """Image keys and data hashes are stored in the mapping DB: a change of their format would make
    every image and product look changed, and the whole catalog would be sent again."""
    import hashlib
    from datetime import date

    assert (
        stable_hash({"title": "Camiseta Básica", "since": date(2026, 1, 1)})
        == hashlib.sha256('{"since":"2026-01-01","title":"Camiseta Básica"}'.encode()).hexdigest()
    )
    url = "https://img.example.com/a.jpg"
    assert image_key(url, None) == hashlib.sha1(f"{url}|".encode()).hexdigest()[:20]
    assert image_key(url, "Azul") == hashlib.sha1(f"{url}|Azul".encode()).hexdigest()[:20]


def test_descriptions_keep_quotes_and_genders_read_hyphens() -> None:
    assert description_html('Caneca "grande" d\'água < 1 L', line_breaks_to_br=True) == (
        'Caneca "grande" d\'água &lt; 1 L'
    )
    assert gender_of("Infantil-Unissex") == "CHILDISH_UNISSEX"


def test_dimensions_and_prices_keep_two_decimals() -> None:
    data = rows(has_variations=False, width_cm="10.557", length_cm="20.126")
    data["skus"][0] |= {"sell_price": Decimal("9.996")}
    [erp] = products_from_rows(data["products"], data["skus"], [], [], [])
    assert (erp.width, erp.length, erp.skus[0].sell_price) == (10.56, 20.13, 10.0)


def test_characteristics_differ_by_value() -> None:
    wanted = {"characteristics": [{"name": "Material", "value": "Algodão"}]}
    assert differs(wanted, {"characteristics": [{"name": "Material", "value": "Poliéster"}]}) is True
    assert differs(wanted, {"characteristics": [{"value": "Algodão", "name": "Material"}]}) is False


def test_a_kit_must_be_a_product_of_one_sku() -> None:
    erp = product()
    codes = [sku.code for sku in erp.skus]
    assert len(codes) == 2
    assert kit_sku_problem(erp, []) is None and kit_sku_problem(erp, ["NOT-HERE"]) is None
    expected = (
        f"product {erp.code} holds kit SKU(s) {codes[0]}, {codes[1]} among {len(codes)} SKUs: on AnyMarket "
        "a kit is a product of one SKU (kitComponents belong to the product). Move each kit to a product "
        "of its own in the ERP; the product is sent on the first run after it changes."
    )
    assert kit_sku_problem(erp, [codes[1], codes[0]]) == expected  # in the product's SKU order
    assert kit_sku_problem(erp, iter([codes[1], codes[0]])) == expected  # any iterable, read once
    assert kit_sku_problem(_replace(erp, skus=erp.skus[:1]), [codes[0]]) is None


def test_a_kit_payload_carries_its_components_and_hashes_them() -> None:
    plain = payload()
    components = [{"idSku": 501, "quantity": 2, "percentage": 60.0, "isMainComponent": True}]
    kit = with_kit(plain, components)
    assert kit.product == {**plain.product, "kitComponents": components}
    assert "kitComponents" not in plain.product  # the plain payload is left as it was
    assert kit.product_hash != plain.product_hash and kit.data_hash != plain.data_hash
    other = with_kit(plain, [{**components[0], "idSku": 502}])
    assert other.product_hash != kit.product_hash  # a component's AnyMarket id changed: sent again
    assert kit.sku_bodies == plain.sku_bodies and kit.code == plain.code
