"""Check request and response bodies against AnyMarket's own OpenAPI 3.0 export.

The spec lives outside the repository (``../shared/reference/anymarket-api-v2.openapi.yaml`` relative
to the repo root, or the file named by ``ANYMARKET_OPENAPI_SPEC``); it is read from there, never
copied. Typical use in a test::

    from anymarket_sandbox import openapi_check as oc

    oc.spec_or_skip()                      # skips the test when the spec file is absent
    oc.validate_response("GET", "/v2/orders/123", 200, body)
    oc.validate_request("PUT", "/v2/stocks", [{"partnerId": "A", "quantity": 1}])

Both raise :class:`OpenApiViolation` (an ``AssertionError``) listing every violation;
:func:`response_violations` / :func:`request_violations` return the list instead.

The spec is an export with known defects, so the check is deliberately pragmatic. Each relaxation
is applied in :func:`_relax` or :func:`_prepare_instance` and explained there:

1. ``required`` is ignored — the spec's required flags are wrong in places (real clients send subsets,
   the API omits absent fields); types, enums, formats of *present* fields are still checked.
2. ``null`` values are treated as absent — the API omits or nulls optional fields interchangeably.
3. ``maxItems``/``minItems`` are ignored — ``GET /orders/feeds`` says ``maxItems: 10`` yet answers up
   to 100, and paging ``links`` is ``minItems: 1`` yet empty when everything fits on one page.
4. ``page.size`` ``maximum: 5`` is ignored — it is the *default*; ``limit`` goes up to 100.
5. ``integer`` accepts any number for money/quantity fields (``price``, ``amount``…) that the spec types
   as integer although prices have cents and quantities may be fractional.
6. ``items[].shippings``, a category's ``children`` and a SKU's ``variations`` may be arrays — the spec
   documents one object (for variations: the request map ``{"Cor": "Azul"}``), real responses (and the
   spec's own examples) carry arrays (e.g. ``[{id, description, type:{id, name, visualVariation}}]``).
7. Operations that exist in the real API but are missing from the export (see
   ``UNDOCUMENTED_OPERATIONS``) are accepted without a body check.
8. Error statuses the operation does not document (401, 429, 5xx, …) are checked against the generic
   error shape ``{"code": string, "message": string}``.
9. ``buyer.documentNumberNormalized`` has no enum — the export copied ``documentType``'s enum
   (CPF/CNPJ/…) onto the field that carries the normalized document *number*.
10. An ``id`` typed string also accepts an integer — ids are int64 everywhere, yet e.g. ``POST /stocks``
    types the SKU ``id`` as string while ``PUT /stocks`` types the same field as integer.
11. Order ``metadata`` booleans also accept ``"true"``/``"false"`` — metadata is a string map on the
    wire (notes), the export types a few keys as boolean.
12. A body on a success status the spec documents without content is accepted (many operations, e.g.
    ``PUT /products/{id}/images``, omit their response schema); a body on a 204 is still a violation.
"""

from __future__ import annotations

import copy
import os
import re
import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from openapi_schema_validator import OAS30Validator

SPEC_ENV = "ANYMARKET_OPENAPI_SPEC"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = REPO_ROOT.parent / "shared" / "reference" / "anymarket-api-v2.openapi.yaml"

# Real operations (see the API notes) absent from the export; bodies are not checked for these.
UNDOCUMENTED_OPERATIONS = {
    ("PUT", "/orders/partnerid/{id}"),
    ("GET", "/skus/partnerId/{partnerId}"),
    ("GET", "/variations/all"),
    ("GET", "/callbacks"),
    ("PUT", "/orders/feeds/batch"),
    ("GET", "/orders/{marketPlace}/{idInMarketPlace}"),
}
# Relaxation 5: fields typed integer in the spec that carry money or (fractional) quantities.
NUMERIC_NOT_INTEGER = {
    "price",
    "sellPrice",
    "cost",
    "amount",
    "reservationAmount",
    "availableAmount",
    "quantity",
    "discountPrice",
    "value",
    "unit",
    "gross",
    "total",
    "priceFactor",
}
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "code": {"type": "string"},
        "message": {"type": "string"},
        "fieldErrors": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["code", "message"],
}


class OpenApiViolation(AssertionError):
    """A body does not match the spec; ``violations`` lists each problem as ``"<json path>: message"``."""

    def __init__(self, what: str, violations: list[str]) -> None:
        self.violations = violations
        super().__init__(f"{what} violates the AnyMarket OpenAPI spec:\n  - " + "\n  - ".join(violations))


class SpecMissing(FileNotFoundError):
    """The spec file is not on this machine."""


def spec_path() -> Path:
    """Where the spec is read from (``ANYMARKET_OPENAPI_SPEC`` or the team's shared reference)."""
    return Path(os.environ.get(SPEC_ENV) or DEFAULT_SPEC)


def spec_available() -> bool:
    return spec_path().is_file()


SKIP_REASON = (
    f"AnyMarket OpenAPI spec not found at {spec_path()} "
    f"(set {SPEC_ENV} to its location to run the conformance checks)"
)


@lru_cache(maxsize=4)
def _load(path: str) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)


def load_spec() -> dict[str, Any]:
    """The parsed spec (cached); raises :class:`SpecMissing` when the file is absent."""
    path = spec_path()
    if not path.is_file():
        raise SpecMissing(SKIP_REASON)
    return _load(str(path))


def spec_or_skip() -> dict[str, Any]:
    """The spec, or ``pytest.skip`` with a clear message when it is not on this machine."""
    if not spec_available():
        import pytest

        pytest.skip(SKIP_REASON)
    return load_spec()


def requires_spec(func: Any) -> Any:
    """Decorator/marker: skip the test when the spec file is absent."""
    import pytest

    return pytest.mark.skipif(not spec_available(), reason=SKIP_REASON)(func)


# -- path matching ------------------------------------------------------------------------------
_VARIANT = re.compile(r"\(.*\)$")  # "/orders/{id}(Faturado)": one PUT /orders/{id} per target status


def _normalise(path: str) -> str:
    path = urlsplit(path).path if "://" in path else path.split("?", 1)[0]
    path = "/" + path.strip("/")
    if path == "/v2" or path.startswith("/v2/"):
        path = path[3:] or "/"
    return path


def _segments_match(template: str, path: str) -> bool:
    t_parts, p_parts = template.strip("/").split("/"), path.strip("/").split("/")
    if len(t_parts) != len(p_parts):
        return False
    return all(
        t == p or (t.startswith("{") and t.endswith("}")) for t, p in zip(t_parts, p_parts, strict=True)
    )


def match_templates(method: str, path: str) -> list[str]:
    """Spec path keys (variants included) that ``method path`` resolves to, most specific first.

    A literal segment beats a parameter, so ``/orders/feeds`` wins over ``/orders/{id}``.
    """
    spec = load_spec()
    concrete = _normalise(path)
    method = method.lower()
    found: dict[str, list[str]] = {}
    for key, item in spec["paths"].items():
        base = _VARIANT.sub("", key)
        if method in item and _segments_match(base, concrete):
            found.setdefault(base, []).append(key)
    if not found:
        return []
    best = max(found, key=_literal_count)
    undocumented = _undocumented_template(method, path)
    if undocumented is not None and _literal_count(undocumented) > _literal_count(best):
        return []  # e.g. GET /variations/all is not GET /variations/{id}
    return found[best]


def _literal_count(template: str) -> int:
    return sum(1 for part in template.strip("/").split("/") if not part.startswith("{"))


def _undocumented_template(method: str, path: str) -> str | None:
    concrete = _normalise(path)
    for m, template in UNDOCUMENTED_OPERATIONS:
        if m == method.upper() and _segments_match(template, concrete):
            return template
    return None


def _undocumented(method: str, path: str) -> bool:
    return _undocumented_template(method, path) is not None


# -- schema preparation -------------------------------------------------------------------------
def _resolve(node: Any, spec: dict[str, Any], stack: tuple[str, ...] = ()) -> Any:
    """Inline ``$ref``s (a recursive reference becomes ``{}``, i.e. unchecked)."""
    if isinstance(node, dict):
        if "$ref" in node:
            ref = node["$ref"]
            if ref in stack or not ref.startswith("#/"):
                return {}
            target: Any = spec
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            return _resolve(target, spec, (*stack, ref))
        return {k: _resolve(v, spec, stack) for k, v in node.items() if not k.startswith("x-")}
    if isinstance(node, list):
        return [_resolve(v, spec, stack) for v in node]
    return node


def _relax(schema: Any, name: str | None = None, parent: str | None = None) -> Any:
    """Apply the documented relaxations (see the module docstring) to a resolved schema."""
    if isinstance(schema, list):
        return [_relax(s, name, parent) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {
        k: v
        for k, v in schema.items()
        if k not in ("required", "maxItems", "minItems", "example", "examples")
    }  # 1, 3
    if parent == "page" and name == "size":
        out.pop("maximum", None)  # 4
    if out.get("type") == "integer" and name in NUMERIC_NOT_INTEGER:
        out["type"] = "number"  # 5
    if "properties" in out and isinstance(out["properties"], dict):
        out["properties"] = {k: _relax(v, k, name) for k, v in out["properties"].items()}
    for key in ("items", "additionalProperties", "not"):
        if isinstance(out.get(key), dict):
            out[key] = _relax(out[key], name if key == "items" else None, parent)
    for key in ("allOf", "anyOf", "oneOf"):
        if isinstance(out.get(key), list):
            out[key] = [_relax(s, name, parent) for s in out[key]]
    if name == "id" and out.get("type") == "string":
        out = {"anyOf": [out, {"type": "integer"}]}  # 10
    if parent == "metadata" and out.get("type") == "boolean":
        out = {"anyOf": [out, {"type": "string", "enum": ["true", "false"]}]}  # 11
    if name == "documentNumberNormalized":
        out.pop("enum", None)  # 9
    if name in ("shippings", "children") and out.get("type") != "array":
        out = {"anyOf": [out, {"type": "array", "items": out}]}  # 6
    if name == "variations" and out.get("type") == "object":
        out = {"anyOf": [out, {"type": "array", "items": {"type": "object"}}]}  # 6
    return out


def _prepare_instance(value: Any) -> Any:
    """Relaxation 2: drop ``null`` members so they count as absent."""
    if isinstance(value, dict):
        return {k: _prepare_instance(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_prepare_instance(v) for v in value]
    return value


@lru_cache(maxsize=512)
def _schema_for(template_key: str, method: str, where: str) -> tuple[bool, Any]:
    """(documented, relaxed JSON schema or None) for a request (``where="request"``) or a status."""
    spec = load_spec()
    operation = spec["paths"][template_key][method]
    if where == "request":
        content = (operation.get("requestBody") or {}).get("content") or {}
    else:
        responses = operation.get("responses") or {}
        response = responses.get(where) or responses.get(where[0] + "XX") or responses.get("default")
        if response is None:
            return False, None
        content = _resolve(response, spec).get("content") or {}
    if not content:
        return True, None
    media = content.get("application/json") or content.get("*/*") or next(iter(content.values()))
    if "xml" in next(iter(content)) and "application/json" not in content:
        return True, "xml"
    schema = (media or {}).get("schema")
    if schema is None:
        return True, None
    return True, _relax(_resolve(schema, spec))


def _errors(schema: Any, instance: Any) -> list[str]:
    validator = OAS30Validator(schema)
    out = []
    for error in sorted(
        validator.iter_errors(_prepare_instance(instance)), key=lambda e: list(e.absolute_path)
    ):
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path) or "(body)"
        out.append(f"{where}: {error.message[:300]}")
    return out


def _check_variants(method: str, path: str, where: str, body: Any, body_present: bool) -> list[str]:
    keys = match_templates(method, path)
    if not keys:
        if _undocumented(method, path):
            return []
        return [f"{method.upper()} {_normalise(path)} is not an operation of the spec"]
    results: list[list[str]] = []
    for key in keys:
        documented, schema = _schema_for(key, method.lower(), where)
        if not documented:
            if where != "request" and int(where) >= 400:
                results.append(_errors(ERROR_SCHEMA, body))  # 8
            else:
                results.append([f"status {where} is not documented for {method.upper()} {key}"])
        elif where == "204":
            results.append([f"status 204 must have an empty body, got {body!r:.80}"] if body_present else [])
        elif schema is None or not body_present:
            results.append([])  # 12 (and an absent body is left to the status check)
        elif schema == "xml":
            results.append(_xml_errors(body))
        else:
            results.append(_errors(schema, body))
        if not results[-1]:
            return []  # any variant (e.g. PUT /orders/{id}(Faturado)) that accepts the body is enough
    return min(results, key=len)


def _xml_errors(body: Any) -> list[str]:
    raw = body.encode() if isinstance(body, str) else body
    try:
        ET.fromstring(raw or b"")
    except ET.ParseError as exc:
        return [f"(body): not well-formed XML: {exc}"]
    return []


def request_violations(method: str, path: str, body: Any) -> list[str]:
    """Problems of a request body (``None`` = no body); ``path`` may be a full URL or ``/v2/...``."""
    return _check_variants(method, path, "request", body, body is not None)


def response_violations(method: str, path: str, status: int, body: Any = None) -> list[str]:
    """Problems of a response body (``None`` or ``b""`` = empty body)."""
    present = body not in (None, b"", "")
    return _check_variants(method, path, str(status), body, present)


def validate_request(method: str, path: str, body: Any) -> None:
    """Raise :class:`OpenApiViolation` when the request body does not fit the spec."""
    problems = request_violations(method, path, body)
    if problems:
        raise OpenApiViolation(f"request {method.upper()} {path}", problems)


def validate_response(method: str, path: str, status: int, body: Any = None) -> None:
    """Raise :class:`OpenApiViolation` when the response (status and body) does not fit the spec."""
    problems = response_violations(method, path, status, body)
    if problems:
        raise OpenApiViolation(f"response {status} to {method.upper()} {path}", problems)


def validate_logged_requests(entries: list[dict[str, Any]]) -> None:
    """Check every request body of a sandbox request log (``SandboxAdmin.requests()``) at once."""
    problems = []
    for entry in entries:
        for problem in request_violations(entry["method"], entry["path"], copy.deepcopy(entry.get("body"))):
            problems.append(f"#{entry.get('seq')} {entry['method']} {entry['path']}: {problem}")
    if problems:
        raise OpenApiViolation("logged requests", problems)
