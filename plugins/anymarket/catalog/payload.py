"""ERP catalog rows → AnyMarket product, SKU and image bodies, and the hashes that detect changes.

Pure: no I/O. The product sync reads the rows through the ERP queries ``product_rows``,
``product_skus``, ``product_sku_variations``, ``product_images`` and ``product_attributes``, turns
them into :class:`ErpProduct` with :func:`products_from_rows`, and :func:`build_payload` makes
everything AnyMarket must hold for one product once its brand and category ids are known.

Conventions (AnyMarket API v2, see the API notes):

* a SKU's ``variations`` is a map ``{type name: value}`` in requests (arrays come back);
* ``PUT /products/{id}`` takes the product fields without SKUs and images; ``PUT
  /products/{pid}/skus/{sid}`` only ``title, partnerId, ean, price, sellPrice, externalId, active``
  — prices are left to *send prices*, so the SKU update body carries no price;
* an image's ``variation`` is the value of the SKU's visual variation type (e.g. the colour);
* the price settings (``priceFactor``, ``calculatedPrice``, ``definitionPriceScope``) go with every
  product body, ``POST`` and ``PUT``: the spec's ``ProductUpdate`` requires ``priceFactor``, DB1's own
  Magento module sends them on both, and a ``PUT`` that left them out would either reset them (if
  AnyMarket replaces the product) or never carry a changed markup to the products already there — in
  the ``COST`` scope AnyMarket itself multiplies the cost by it;
* an active product needs its package's height, width, length and weight: ``PostProduct`` requires
  them and marketplaces quote freight from them. The ERP may lack them, and no default would be right
  (a made-up weight is a wrong freight price), so such a product is refused here, row by row, naming
  its SKUs and the missing ERP columns (:attr:`ProductPayload.incomplete`): nothing is sent and it is
  offered again once the ERP changes.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from anymarket.vocabulary import normalize_name

if TYPE_CHECKING:
    from anymarket.settings import ProductSettings

# Product fields AnyMarket has for what ERPs keep in the technical sheet. An ERP attribute reaches
# one of them through the attribute mapping (value = one of these names) or by its well-known name.
PRODUCT_FIELD_TARGETS = ("model", "gender", "warrantyTime", "warrantyText")
WELL_KNOWN_ATTRIBUTES = {
    "modelo": "model",
    "genero": "gender",
    "tempo de garantia": "warrantyTime",
    "garantia (meses)": "warrantyTime",
    "texto de garantia": "warrantyText",
}
GENDERS = {
    "masculino": "MALE",
    "male": "MALE",
    "feminino": "FEMALE",
    "female": "FEMALE",
    "menino": "BOY",
    "boy": "BOY",
    "menina": "GIRL",
    "girl": "GIRL",
    "unissex": "UNISSEX",
    "unisex": "UNISSEX",
    "bebe": "BABIES",
    "bebes": "BABIES",
    "babies": "BABIES",
    "infantil": "CHILDISH_UNISSEX",
    "infantil unissex": "CHILDISH_UNISSEX",
    "childish_unissex": "CHILDISH_UNISSEX",
}
SKU_TITLE_MAX = 150
#: Package measures AnyMarket requires of a product (``PostProduct``) → the ERP column each comes from.
REQUIRED_MEASURES = {"height": "height_cm", "width": "width_cm", "length": "length_cm", "weight": "weight_kg"}
# Variation types whose values tell images apart (AnyMarket ``visualVariation``).
VISUAL_VARIATION_TYPES = {"cor", "cores", "color", "colour", "estampa"}


def is_visual_type(type_name: str) -> bool:
    return normalize_name(type_name) in VISUAL_VARIATION_TYPES


def stable_hash(value: Any) -> str:
    """SHA-256 of canonical JSON: equal data, equal hash, whatever the key order."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def image_key(url: str, variation: str | None) -> str:
    """Identity of an image on a product: the same URL shown for another variation is another image."""
    return hashlib.sha1(f"{url}|{variation or ''}".encode()).hexdigest()[:20]


# -- ERP rows --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErpSku:
    code: str
    name: str
    ean: str | None
    crossdocking_days: int
    sell_price: float
    list_price: float | None
    active: bool
    variations: tuple[tuple[str, str], ...] = ()  # (ERP type, ERP value) in the SKU's order


@dataclass(frozen=True)
class ErpImage:
    position: int
    url: str
    sku_code: str | None  # None = image of the product


@dataclass(frozen=True)
class ErpProduct:
    code: str
    name: str
    description: str | None
    brand_code: str | None
    category_code: str | None
    ncm: str | None
    origin: int
    video_url: str | None
    height: float | None
    width: float | None
    length: float | None
    weight: float | None
    has_variations: bool
    active: bool
    skus: tuple[ErpSku, ...] = ()
    images: tuple[ErpImage, ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()

    def variation_pairs(self) -> set[tuple[str, str]]:
        return {pair for sku in self.skus for pair in sku.variations} if self.has_variations else set()


def _number(value: Any, places: int) -> float | None:
    if value is None or value == "":
        return None
    return round(float(Decimal(str(value))), places)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def products_from_rows(
    products: Iterable[Mapping[str, Any]],
    skus: Iterable[Mapping[str, Any]],
    variations: Iterable[Mapping[str, Any]],
    images: Iterable[Mapping[str, Any]],
    attributes: Iterable[Mapping[str, Any]],
) -> list[ErpProduct]:
    """Assemble the rows of the five ``product_*`` queries into one :class:`ErpProduct` each."""
    variations_of: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in variations:
        variations_of[str(row["sku_code"])].append((str(row["variation_type"]), str(row["variation_value"])))
    skus_of: dict[str, list[ErpSku]] = defaultdict(list)
    for row in skus:
        code = str(row["code"])
        skus_of[str(row["product_code"])].append(
            ErpSku(
                code=code,
                name=str(row["name"]),
                ean=_text(row["ean"]),
                crossdocking_days=int(row["crossdocking_days"] or 0),
                sell_price=_number(row["sell_price"], 2) or 0.0,
                list_price=_number(row["list_price"], 2),
                active=bool(row["active"]),
                variations=tuple(variations_of.get(code, ())),
            )
        )
    images_of: dict[str, list[ErpImage]] = defaultdict(list)
    for row in images:
        images_of[str(row["product_code"])].append(
            ErpImage(position=int(row["position"]), url=str(row["url"]), sku_code=_text(row["sku_code"]))
        )
    attributes_of: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in attributes:
        attributes_of[str(row["product_code"])].append((str(row["name"]), str(row["value"])))
    return [
        ErpProduct(
            code=str(row["code"]),
            name=str(row["name"]),
            description=row["description"],
            brand_code=_text(row["brand_code"]),
            category_code=_text(row["category_code"]),
            ncm=_text(row["ncm"]),
            origin=int(row["origin"] or 0),
            video_url=_text(row["video_url"]),
            height=_number(row["height_cm"], 2),
            width=_number(row["width_cm"], 2),
            length=_number(row["length_cm"], 2),
            weight=_number(row["weight_kg"], 3),
            has_variations=bool(row["has_variations"]),
            active=bool(row["active"]),
            skus=tuple(skus_of.get(str(row["code"]), ())),
            images=tuple(sorted(images_of.get(str(row["code"]), ()), key=lambda i: i.position)),
            attributes=tuple(attributes_of.get(str(row["code"]), ())),
        )
        for row in products
    ]


# -- translation (the "Mapeamentos" that shape a product) ------------------------------------------


@dataclass(frozen=True)
class Translation:
    """The attribute and variation mappings: ERP names → AnyMarket names.

    ``attributes``: ERP attribute name → AnyMarket characteristic name, or one of
    :data:`PRODUCT_FIELD_TARGETS` to fill that product field, or ``""`` to leave it out.
    ``variation_types``: ERP type → AnyMarket type name; ``variation_values``: ``"type:value"`` (ERP)
    → AnyMarket value. Unmapped names go as they are.
    """

    attributes: Mapping[str, str] = field(default_factory=dict)
    variation_types: Mapping[str, str] = field(default_factory=dict)
    variation_values: Mapping[str, str] = field(default_factory=dict)

    def type_name(self, erp_type: str) -> str:
        return self.variation_types.get(erp_type) or erp_type

    def value(self, erp_type: str, erp_value: str) -> str:
        return self.variation_values.get(f"{erp_type}:{erp_value}") or erp_value

    def attribute_target(self, name: str) -> str:
        if name in self.attributes:
            return self.attributes[name]
        return WELL_KNOWN_ATTRIBUTES.get(normalize_name(name), name)


# -- field rules -----------------------------------------------------------------------------------

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def description_html(text: str | None, *, line_breaks_to_br: bool) -> str:
    """The ERP's plain-text description as AnyMarket HTML.

    The text is HTML-escaped (a ``<`` in "medidas < 10 cm" must not open a tag); with
    ``line_breaks_to_br`` each line break becomes ``<br>``, otherwise line breaks are kept as they are.
    """
    escaped = html.escape(text or "", quote=False)
    return _LINE_BREAK.sub("<br>", escaped) if line_breaks_to_br else escaped


def gender_of(value: str) -> str | None:
    """AnyMarket's gender enum for an ERP value (Masculino → MALE…); None when unknown."""
    return GENDERS.get(normalize_name(value).replace("-", " "))


def warranty_months(value: str) -> int | None:
    """Whole months from text such as ``"12"``, ``"12 meses"`` or ``"1 ano"``; None when absent."""
    match = re.search(r"\d+", value)
    if match is None:
        return None
    months = int(match.group())
    return months * 12 if re.search(r"\bano", normalize_name(value)) else months


def _product_fields(
    product: ErpProduct, translation: Translation
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Technical sheet → (product fields model/gender/warranty…, ``characteristics``)."""
    fields: dict[str, Any] = {}
    characteristics: list[dict[str, Any]] = []
    for name, value in product.attributes:
        target = translation.attribute_target(name)
        if not target or not value.strip():
            continue
        if target == "gender":
            gender = gender_of(value)
            if gender is not None:
                fields["gender"] = gender
            continue
        if target == "warrantyTime":
            months = warranty_months(value)
            if months is not None:
                fields["warrantyTime"] = months
            continue
        if target in PRODUCT_FIELD_TARGETS:
            fields[target] = value.strip()
            continue
        characteristics.append({"index": len(characteristics) + 1, "name": target, "value": value.strip()})
    return fields, characteristics


# -- payloads --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageSpec:
    key: str
    url: str
    variation: str | None
    index: int
    main: bool

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"index": self.index, "main": self.main, "url": self.url}
        if self.variation:
            body["variation"] = self.variation
        return body


@dataclass(frozen=True)
class ProductPayload:
    """Everything AnyMarket should hold for one ERP product, with the hashes of each piece.

    ``product`` is the ``PUT /products/{id}`` body (price settings included); ``sku_bodies`` the
    ``POST`` bodies and ``sku_updates`` the ``PUT`` bodies per SKU code; ``images`` the wanted images,
    main first. ``incomplete``, when set, says what the ERP lacks for AnyMarket to take the product
    (naming its SKUs and the ERP columns): the sync refuses it without a request.
    """

    code: str
    active: bool
    product: dict[str, Any]
    sku_bodies: dict[str, dict[str, Any]]
    sku_updates: dict[str, dict[str, Any]]
    images: tuple[ImageSpec, ...]
    send_images: str
    incomplete: str | None = None

    @property
    def product_hash(self) -> str:
        return stable_hash(self.product)

    def sku_hash(self, code: str) -> str:
        return stable_hash(self.sku_updates[code])

    @property
    def images_hash(self) -> str:
        return stable_hash([image.body() for image in self.images])

    @property
    def data_hash(self) -> str:
        """Changes whenever anything the sync would send (or how it sends images) changes."""
        return stable_hash(
            {
                "product": self.product,
                "skus": self.sku_bodies,
                "images": [image.body() for image in self.images],
                "send_images": self.send_images,
            }
        )

    def create_body(self, amounts: Mapping[str, int] | None = None) -> dict[str, Any]:
        """The ``POST /products`` body: product (price settings included), SKUs and (per settings) images.

        :param amounts: each SKU's quantity in AnyMarket's default warehouse (the stock rules'), which
            AnyMarket takes only at creation; a SKU not in it is created with 0. Not part of
            :attr:`data_hash`: a stock change is send stock's, never a product update.
        """
        # ``images`` is already empty with ``send_images: no`` (build_payload): one guard, not two.
        images = [image.body() for image in self.images]
        amounts = amounts or {}
        skus = [{**body, "amount": int(amounts.get(code, 0))} for code, body in self.sku_bodies.items()]
        return {**self.product, "images": images, "skus": skus}


def _sku_visual_value(sku: ErpSku, translation: Translation) -> str | None:
    """The value an image of this SKU is shown for: its visual type's value, else its first value."""
    if not sku.variations:
        return None
    for erp_type, erp_value in sku.variations:
        if is_visual_type(translation.type_name(erp_type)):
            return translation.value(erp_type, erp_value)
    erp_type, erp_value = sku.variations[0]
    return translation.value(erp_type, erp_value)


def _images(
    product: ErpProduct, settings: ProductSettings, translation: Translation
) -> tuple[ImageSpec, ...]:
    """Wanted images in ERP order: product images, then (setting) the product images again for every
    visual variation value; the first is main. An image of a SKU goes to that SKU's variation value."""
    sku_values = (
        {sku.code: _sku_visual_value(sku, translation) for sku in product.skus}
        if product.has_variations
        else {}
    )
    wanted: list[tuple[str, str | None]] = []
    for image in product.images:
        wanted.append((image.url, sku_values.get(image.sku_code) if image.sku_code else None))
    if settings.replicate_parent_images and product.has_variations:
        parent_urls = [image.url for image in product.images if image.sku_code is None]
        values = dict.fromkeys(
            value for sku in product.skus if sku.active and (value := sku_values.get(sku.code))
        )
        wanted += [(url, value) for value in values for url in parent_urls]
    specs: list[ImageSpec] = []
    seen: set[str] = set()
    for url, variation in wanted:
        key = image_key(url, variation)
        if key in seen:
            continue
        seen.add(key)
        specs.append(ImageSpec(key=key, url=url, variation=variation, index=len(specs) + 1, main=not specs))
    return tuple(specs)


def sku_title(name: str) -> str:
    """A SKU's title within AnyMarket's 150 characters (its ``Sku.title`` maxLength; longer is a 422).

    ERP SKU names are often the product's name plus the variation and run past it; the marketplaces
    show the product's title, so the SKU's is cut (at a word when one ends in the last 30 characters)
    rather than the whole product refused. A product title over 150 is still AnyMarket's to refuse.
    """
    if len(name) <= SKU_TITLE_MAX:
        return name
    cut = name[:SKU_TITLE_MAX]
    space = cut.rfind(" ")
    return (cut[:space] if space >= SKU_TITLE_MAX - 30 else cut).rstrip()


def missing_measures(product: ErpProduct) -> list[str]:
    """The package measures AnyMarket requires that the ERP lacks (empty, zero or negative) for an
    active product; an inactive one is only ever taken down, which needs none."""
    if not product.active:
        return []
    return [name for name in REQUIRED_MEASURES if not (getattr(product, name) or 0) > 0]


def incomplete_message(product: ErpProduct, missing: list[str]) -> str:
    """The row-level error of a product without its measures: its SKUs, the ERP columns, what to do."""
    skus = ", ".join(sku.code for sku in product.skus) or "none"
    columns = ", ".join(REQUIRED_MEASURES[name] for name in missing)
    return (
        f"product {product.code} (SKU {skus}) has no {columns} in the ERP: AnyMarket requires a "
        "product's height, width and length (cm) and weight (kg), and marketplaces quote freight from "
        "them. Fill them in the ERP; the product is sent on the first run after it changes."
    )


def build_payload(
    product: ErpProduct,
    *,
    brand_id: str,
    category_id: str,
    settings: ProductSettings,
    translation: Translation,
) -> ProductPayload:
    """What AnyMarket must hold for ``product`` (brand and category already on AnyMarket)."""
    fields, characteristics = _product_fields(product, translation)
    body: dict[str, Any] = {
        "title": product.name,
        # AnyMarket requires a description; a product without one shows its name.
        "description": description_html(
            product.description or product.name, line_breaks_to_br=settings.description_line_breaks_to_br
        ),
        "externalIdProduct": product.code,
        "category": {"id": int(category_id)},
        "brand": {"id": int(brand_id)},
        "origin": {"id": product.origin},
        "warrantyTime": 0,
        "hasVariations": product.has_variations,
        "isProductActive": product.active,
        "characteristics": characteristics,
        **fields,
    }
    if product.ncm:
        body["nbm"] = {"id": product.ncm}
    if product.video_url:
        body["videoUrl"] = product.video_url
    for name in ("height", "width", "length", "weight"):
        value = getattr(product, name)
        if value is not None:
            body[name] = value
    markup = settings.price_format == "markup"
    body.update(
        priceFactor=settings.price_factor if markup else 1.0,
        calculatedPrice=markup,
        definitionPriceScope=settings.price_scope,
    )
    missing = missing_measures(product)
    sku_bodies: dict[str, dict[str, Any]] = {}
    sku_updates: dict[str, dict[str, Any]] = {}
    for sku in product.skus:
        update: dict[str, Any] = {"title": sku_title(sku.name), "partnerId": sku.code, "active": sku.active}
        if sku.ean:
            update["ean"] = sku.ean
        sku_updates[sku.code] = update
        create = {
            **update,
            "amount": 0,  # the creation's amount is the stock rules' (create_body); never updated here
            "additionalTime": sku.crossdocking_days if settings.send_crossdocking else 0,
            "price": max(sku.list_price or 0.0, sku.sell_price),
            "sellPrice": sku.sell_price,
        }
        if product.has_variations and sku.variations:
            create["variations"] = {
                translation.type_name(erp_type): translation.value(erp_type, erp_value)
                for erp_type, erp_value in sku.variations
            }
        sku_bodies[sku.code] = create
    return ProductPayload(
        code=product.code,
        active=product.active,
        product=body,
        sku_bodies=sku_bodies,
        sku_updates=sku_updates,
        images=_images(product, settings, translation) if settings.send_images != "no" else (),
        send_images=settings.send_images,
        incomplete=incomplete_message(product, missing) if missing else None,
    )


def with_kit(payload: ProductPayload, kit_components: list[dict[str, Any]]) -> ProductPayload:
    """``payload`` of a kit product: its product body (``POST`` and ``PUT``) carries AnyMarket's
    ``kitComponents`` (:func:`anymarket.rules.kits.kit_components_body`), so the hashes change — and the
    kit is sent again — whenever its composition or a component's AnyMarket id changes."""
    return replace(payload, product={**payload.product, "kitComponents": kit_components})


def kit_sku_problem(product: ErpProduct, kit_codes: Iterable[str]) -> str | None:
    """Why a product holding kit SKUs cannot be sent as an AnyMarket kit, or ``None``: AnyMarket's kit is
    the product (``kitComponents`` is a product field), so a kit product has exactly one SKU."""
    kit_set = set(kit_codes)  # once: an iterator would be spent by the first SKU
    kits = [sku.code for sku in product.skus if sku.code in kit_set]
    if not kits or len(product.skus) == 1:
        return None
    return (
        f"product {product.code} holds kit SKU(s) {', '.join(kits)} among {len(product.skus)} SKUs: on "
        "AnyMarket a kit is a product of one SKU (kitComponents belong to the product). Move each kit to "
        "a product of its own in the ERP; the product is sent on the first run after it changes."
    )


# -- comparing with what AnyMarket already holds (adoption) ----------------------------------------


def _comparable(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) >= {"id"} and len(value) <= 4 and not isinstance(value.get("id"), dict):
            return str(value["id"])  # a reference: {id, name, path…} compares by id
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | Decimal):
        return round(float(value), 3)
    return str(value)


def differs(wanted: Mapping[str, Any], remote: Mapping[str, Any]) -> bool:
    """True when AnyMarket's copy lacks or differs in any field of ``wanted`` (references by id,
    numbers by value, characteristics by name and value)."""
    for key, value in wanted.items():
        if key == "characteristics":
            mine = sorted((c["name"], c["value"]) for c in value)
            theirs = sorted((c.get("name"), c.get("value")) for c in remote.get(key) or [])
            if mine != theirs:
                return True
            continue
        if _comparable(value) != _comparable(remote.get(key)):
            return True
    return False
