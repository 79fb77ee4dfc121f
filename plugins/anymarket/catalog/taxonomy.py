"""Brands, categories and variation types/values: on AnyMarket before the products that use them.

Each is looked up once, linked in the mapping DB (``links`` kinds ``brand``, ``category``,
``variation_type``, ``variation_value``) and from then on costs no request. A person's mapping
(``mappings`` kinds ``brand``/``category``: ERP code → AnyMarket id) wins over any lookup.

- Brand: ``GET /brands?partnerId=<code>``, then ``GET /brands?name=`` (AnyMarket refuses a second
  brand of the same name), else ``POST /brands``.
- Category: ``GET /categories?partnerId=`` answers only root categories, so the whole tree is read
  once per run with ``GET /categories/fullPath`` and matched by ``partnerId``, then by path; missing
  ones are created parent before child with ``POST /categories``.
- Variations: ``GET /variations/all`` once per run, then ``POST /variations`` for a missing type
  (with its values) or ``POST /variations/{id}/values`` for a missing value.

What AnyMarket refuses (4xx) becomes a :class:`TaxonomyProblem` naming the brand, category or
variation; the products that need it are refused by the sync with that message (and retried when
their data changes), while the rest of the run goes on.

Renames: products point at brands and categories by id, so renaming one in the ERP changes no
product. :meth:`Taxonomy.follow_renames` compares the ERP's names with the name kept on each link
(what AnyMarket last accepted) and renames on AnyMarket only those that differ.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from anymarket.catalog.payload import Translation, is_visual_type
from anymarket.errors import AnyMarketAPIError, row_level
from anymarket.vocabulary import normalize_name

if TYPE_CHECKING:
    from anymarket.erp.database import ErpDatabase
    from anymarket.hooks.anymarket import AnyMarketHook
    from anymarket.mapping.database import MappingDatabase
    from anymarket.settings import ProductSettings
    from anymarket.summary import RunSummary

REDUCED_NAME_MAX = 30


class TaxonomyProblem(Exception):
    """A brand, category or variation the product needs cannot be placed on AnyMarket."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _walk(nodes: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every category of a ``fullPath`` answer, flat or nested in ``children``."""
    for node in nodes:
        yield node
        yield from _walk(node.get("children") or [])


def _find_exact(items: Iterable[dict[str, Any]], field: str, wanted: str) -> dict[str, Any] | None:
    """The first item whose ``field`` equals ``wanted`` as a person reads it (AnyMarket's filters
    match substrings)."""
    return next((item for item in items if normalize_name(str(item.get(field) or "")) == wanted), None)


class Taxonomy:
    """Resolve ERP brand/category codes and variation pairs to AnyMarket ids, creating what is missing.

    One instance per run: ERP reference rows and AnyMarket listings are read at most once, and a
    refusal is remembered so the same brand is not tried again for every product.
    """

    def __init__(
        self,
        *,
        hook: AnyMarketHook,
        mapping: MappingDatabase,
        erp: ErpDatabase,
        integration_id: str,
        settings: ProductSettings,
        summary: RunSummary,
        record_history: Callable[..., None],
    ) -> None:
        self.hook = hook
        self.mapping = mapping
        self.erp = erp
        self.integration_id = integration_id
        self.settings = settings
        self.summary = summary
        self.record_history = record_history
        self._ids: dict[str, dict[str, str]] = {}
        self._problems: dict[tuple[str, str], TaxonomyProblem] = {}
        self._erp_brands: dict[str, dict[str, Any]] | None = None
        self._erp_categories: dict[str, dict[str, Any]] | None = None
        self._remote_categories: tuple[dict[str, str], dict[str, str]] | None = None
        self._remote_variations: dict[str, dict[str, Any]] | None = None

    # -- shared -------------------------------------------------------------------------------------

    def _known(self, kind: str) -> dict[str, str]:
        """ERP id → AnyMarket id for ``kind``: the links, overridden by a person's mappings."""
        if kind not in self._ids:
            known = self.mapping.links_of(self.integration_id, kind)
            if kind in ("brand", "category"):
                known.update(
                    {k: v["value"] for k, v in self.mapping.mappings_of(self.integration_id, kind).items()}
                )
            self._ids[kind] = known
        return self._ids[kind]

    def _link(self, kind: str, erp_id: str, anymarket_id: Any, **attributes: Any) -> str:
        self.mapping.link(self.integration_id, kind, erp_id, str(anymarket_id), attributes=attributes or None)
        self._known(kind)[erp_id] = str(anymarket_id)
        return str(anymarket_id)

    def _create(self, kind: str, key: str, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST ``body``; a data refusal becomes a remembered :class:`TaxonomyProblem`."""
        try:
            created = self.hook.post(endpoint, body)
        except AnyMarketAPIError as exc:
            if not row_level(exc):  # token, outage, budget: stop the run
                raise
            problem = TaxonomyProblem(
                f"AnyMarket refused {kind.replace('_', ' ')} {key!r}: {exc.message or exc}", status=exc.status
            )
            self._problems[(kind, key)] = problem
            self._record_write(kind, key, "create", body, exc)
            raise problem from exc
        self._record_write(kind, key, "create", body)
        return created

    def _record_write(
        self, kind: str, key: str, action: str, body: dict[str, Any], error: Exception | None = None
    ) -> None:
        """The history row of one write; a success also counts as ``<kind>_<action>d`` in the run."""
        if error is not None:
            self.record_history(
                entity_type=kind,
                entity_key=key,
                action=action,
                outcome="error",
                request=body,
                error=str(error),
            )
            return
        self.summary.count(f"{kind}_{action}d")
        self.summary.count("write_requests")
        self.record_history(entity_type=kind, entity_key=key, action=action, outcome="ok", request=body)

    def _raise_known_problem(self, kind: str, key: str) -> None:
        if (kind, key) in self._problems:
            raise self._problems[(kind, key)]

    # -- renames ------------------------------------------------------------------------------------

    def follow_renames(self) -> None:
        """Rename on AnyMarket the linked brands and categories whose name changed in the ERP.

        No request when nothing was renamed; a rename is a read and a ``PUT`` of what was read with
        the new name (AnyMarket's PUT replaces the whole brand/category, and a category's parent and
        price settings are not ours to reset). Left alone: what a person mapped by hand, what is
        inactive or gone in the ERP, and links without a name yet (the catalog import's), which take
        the ERP's name as their starting point. A refusal (or a brand gone from AnyMarket, or an
        answer that cannot be read) is recorded in the history and the products still go; an outage
        or a bad token stops the run. Either way the link keeps the old name, so the next run tries
        again."""
        if self._erp_brands is None:
            self._erp_brands = {str(r["code"]): r for r in self.erp.query("product_brands")}
        if self._erp_categories is None:
            self._erp_categories = {str(r["code"]): r for r in self.erp.query("product_categories")}
        self._follow_renames_of("brand", self._erp_brands, "/brands")
        self._follow_renames_of("category", self._erp_categories, "/categories")

    def _follow_renames_of(self, kind: str, erp_rows: dict[str, dict[str, Any]], endpoint: str) -> None:
        mapped_by_hand = self.mapping.mappings_of(self.integration_id, kind)
        named: list[dict[str, Any]] = []  # links whose kept name becomes the ERP's, written in one go
        try:
            for code, (anymarket_id, attributes) in self.mapping.link_attributes_of(
                self.integration_id, kind
            ).items():
                row = erp_rows.get(code)
                if code in mapped_by_hand or row is None or not row["active"]:
                    continue
                name = str(row["name"]).strip()
                if attributes.get("name") == name:
                    continue
                if "name" in attributes:
                    try:
                        self._rename(kind, code, f"{endpoint}/{anymarket_id}", name)
                    except AnyMarketAPIError as exc:
                        if not row_level(exc):
                            raise
                        continue  # refused, gone or unreadable: recorded, and tried again next run
                named.append(
                    {
                        "erp_id": code,
                        "anymarket_id": anymarket_id,
                        "payload_hash": None,
                        "attributes": {**attributes, "name": name},
                    }
                )
        finally:  # what was renamed stays renamed even when an outage stops the loop
            self.mapping.link_many(self.integration_id, kind, named)

    def _rename(self, kind: str, code: str, endpoint: str, name: str) -> None:
        body: dict[str, Any] = {"name": name}
        try:
            current = self.hook.get(endpoint)
            if not isinstance(current, dict):
                raise AnyMarketAPIError(
                    status=200,
                    method="GET",
                    endpoint=endpoint,
                    message=f"expected the {kind} as a JSON object, got {type(current).__name__}",
                )
            body["partnerId"] = current.get("partnerId") or code
            if kind == "brand":
                body["reducedName"] = name[:REDUCED_NAME_MAX]
            else:
                body.update({k: current[k] for k in ("priceFactor", "definitionPriceScope") if k in current})
                parent = current.get("parent")
                if isinstance(parent, dict) and parent.get("id") is not None:
                    body["parent"] = {"id": parent["id"]}
            self.hook.put(endpoint, body)
        except AnyMarketAPIError as exc:
            self.summary.count(f"{kind}_rename_refused")
            self._record_write(kind, code, "rename", body, exc)
            raise
        self._record_write(kind, code, "rename", body)

    # -- brands -------------------------------------------------------------------------------------

    def brand_id(self, code: str | None) -> str:
        if not code:
            raise TaxonomyProblem("the product has no brand in the ERP (AnyMarket requires one)")
        known = self._known("brand")
        if code in known:
            return known[code]
        self._raise_known_problem("brand", code)
        if self._erp_brands is None:
            self._erp_brands = {str(r["code"]): r for r in self.erp.query("product_brands")}
        row = self._erp_brands.get(code)
        if row is None or not row["active"]:
            state = "does not exist" if row is None else "is inactive"
            problem = TaxonomyProblem(f"brand {code!r} {state} in the ERP: give the product an active brand")
            self._problems[("brand", code)] = problem
            raise problem
        name = str(row["name"]).strip()
        found = _find_exact(
            self.hook.get("/brands", {"partnerId": code, "limit": 100})["content"],
            "partnerId",
            normalize_name(code),
        )
        if found is None:
            found = _find_exact(
                self.hook.get("/brands", {"name": name, "limit": 100})["content"],
                "name",
                normalize_name(name),
            )
        if found is None:
            found = self._create(
                "brand",
                code,
                "/brands",
                {"name": name, "reducedName": name[:REDUCED_NAME_MAX], "partnerId": code},
            )
        else:
            self.summary.count("brand_linked")
        return self._link("brand", code, found["id"], name=name)

    # -- categories ---------------------------------------------------------------------------------

    def category_id(self, code: str | None) -> str:
        if not code:
            raise TaxonomyProblem("the product has no category in the ERP (AnyMarket requires one)")
        known = self._known("category")
        if code in known:
            return known[code]
        self._raise_known_problem("category", code)
        path = self._erp_path(code)
        parent_id: str | None = None
        for depth, node in enumerate(path):
            node_code = str(node["code"])
            if node_code in known:
                parent_id = known[node_code]
                continue
            self._raise_known_problem("category", node_code)
            names = "/".join(str(n["name"]) for n in path[: depth + 1])
            parent_id = self._remote_category(node_code, names) or self._create_category(
                node, names, parent_id
            )
            self._link("category", node_code, parent_id, path=names, name=str(node["name"]).strip())
        assert parent_id is not None
        return parent_id

    def _erp_path(self, code: str) -> list[dict[str, Any]]:
        """The ERP category and its ancestors, root first; inactive or missing ones are a problem."""
        if self._erp_categories is None:
            self._erp_categories = {str(r["code"]): r for r in self.erp.query("product_categories")}
        path: list[dict[str, Any]] = []
        current: str | None = code
        while current is not None:
            row = self._erp_categories.get(current)
            if row is None or not row["active"] or len(path) > 50:
                state = (
                    "does not exist"
                    if row is None
                    else "is inactive"
                    if not row["active"]
                    else "is in a cycle"
                )
                problem = TaxonomyProblem(
                    f"category {current!r} {state} in the ERP: give the product an active category"
                )
                self._problems[("category", code)] = problem
                raise problem
            path.append(row)
            current = row["parent_code"]
        return list(reversed(path))

    def _remote_category(self, code: str, path: str) -> str | None:
        if self._remote_categories is None:
            by_partner: dict[str, str] = {}
            by_path: dict[str, str] = {}
            for node in _walk(self.hook.get("/categories/fullPath") or []):
                if node.get("partnerId"):
                    by_partner.setdefault(str(node["partnerId"]), str(node["id"]))
                if node.get("path"):
                    by_path.setdefault(normalize_name(str(node["path"])), str(node["id"]))
            self._remote_categories = (by_partner, by_path)
        by_partner, by_path = self._remote_categories
        found = by_partner.get(code) or by_path.get(normalize_name(path))
        if found is not None:
            self.summary.count("category_linked")
        return found

    def _create_category(self, node: dict[str, Any], path: str, parent_id: str | None) -> str:
        markup = self.settings.price_format == "markup"
        body: dict[str, Any] = {
            "name": str(node["name"]),
            "partnerId": str(node["code"]),
            "priceFactor": self.settings.price_factor if markup else 1.0,
            "definitionPriceScope": self.settings.price_scope,
        }
        if parent_id is not None:
            body["parent"] = {"id": int(parent_id)}
        created = self._create("category", str(node["code"]), "/categories", body)
        by_partner, by_path = self._remote_categories or ({}, {})
        by_partner[str(node["code"])] = str(created["id"])
        by_path[normalize_name(path)] = str(created["id"])
        return str(created["id"])

    # -- variations ---------------------------------------------------------------------------------

    def ensure_variations(self, pairs: Iterable[tuple[str, str]], translation: Translation) -> None:
        """Make every ERP (type, value) exist on AnyMarket under its translated names."""
        types, values = self._known("variation_type"), self._known("variation_value")
        missing: dict[str, list[str]] = {}
        for erp_type, erp_value in sorted(set(pairs)):
            if f"{erp_type}:{erp_value}" not in values or erp_type not in types:
                missing.setdefault(erp_type, []).append(erp_value)
        for erp_type, erp_values in missing.items():
            self._raise_known_problem("variation_type", erp_type)
            name = translation.type_name(erp_type)
            remote = self._remote_type(name)
            if remote is None:
                body = {
                    "name": name,
                    "visualVariation": is_visual_type(name),
                    "values": [{"description": translation.value(erp_type, v)} for v in erp_values],
                }
                created = self._create("variation_type", erp_type, "/variations", body)
                remote = self._remember_type(created)
            else:
                self.summary.count("variation_type_linked")
            self._link("variation_type", erp_type, remote["id"], name=name)
            for erp_value in erp_values:
                key = f"{erp_type}:{erp_value}"
                self._raise_known_problem("variation_value", key)
                description = translation.value(erp_type, erp_value)
                value_id = remote["values"].get(normalize_name(description))
                if value_id is None:
                    created = self._create(
                        "variation_value",
                        key,
                        f"/variations/{remote['id']}/values",
                        {"description": description},
                    )
                    value_id = str(created["id"])
                    remote["values"][normalize_name(description)] = value_id
                self._link("variation_value", key, value_id, type=name, value=description)

    def _remote_type(self, name: str) -> dict[str, Any] | None:
        if self._remote_variations is None:
            self._remote_variations = {}
            for vtype in self.hook.get("/variations/all") or []:
                self._remember_type(vtype)
        return self._remote_variations.get(normalize_name(name))

    def _remember_type(self, vtype: dict[str, Any]) -> dict[str, Any]:
        entry = {
            "id": str(vtype["id"]),
            "values": {
                normalize_name(str(v["description"])): str(v["id"]) for v in vtype.get("values") or []
            },
        }
        assert self._remote_variations is not None
        self._remote_variations[normalize_name(str(vtype["name"]))] = entry
        return entry
