"""Validate /v2 traffic against AnyMarket's OpenAPI export with openapi-core (a maintained validator).

The spec is read from ``../shared/reference/anymarket-api-v2.openapi.yaml`` (or ``ANYMARKET_OPENAPI_SPEC``),
never copied. The export has known errors; :data:`TOLERATED` lists each with its reason (also in the
sandbox README). A violation is tolerated only when its message matches one entry; everything else is
reported. ``SandboxServer(validate_openapi=True)`` checks every request and response it serves through
:class:`TrafficValidator` (``GET /_sandbox/conformance``).
"""

from __future__ import annotations

import copy
import json
import re
import threading
from functools import lru_cache
from typing import Any

from anymarket_sandbox.openapi_check import SKIP_REASON, load_spec, spec_available, spec_path  # noqa: F401

HOST = "http://sandbox-api.anymarket.com.br"
# (id, operation regex "METHOD /path", message regex, reason). Keep it short and explain every entry.
TOLERATED: list[tuple[str, str, str, str]] = [
    (
        "undocumented-operation",
        r"^(PUT /v2/orders/partnerid/\d+|GET /v2/skus/partnerId/.+|GET /v2/variations/all|GET /v2/callbacks"
        r"|PUT /v2/orders/feeds/batch|GET /v2/orders/[A-Z_]+/[^/]+)$",
        r".",
        "real operations (API notes, SDKs) missing from the export",
    ),
    (
        "stocks-by-id",
        r"^(PUT|POST) /v2/stocks(/batch)?$",
        r"partnerId",
        "stock rows addressed by AnyMarket SKU id carry no partnerId (notes: `[{id, quantity}]`), the "
        "export marks partnerId required",
    ),
    (
        "auth-by-gate",
        r".",
        r"^SecurityValidationError",
        "the gumgaToken is checked by the sandbox's gate (401) and never logged",
    ),
    (
        "document-number-enum",
        r".",
        r"documentNumberNormalized: .* is not one of",
        "the export copied documentType's enum (CPF/CNPJ…) onto the normalized document number",
    ),
    (
        "arrays-documented-as-object",
        r".",
        r"\.(shippings|variations|children): \[.* is not of type 'object'",
        "items[].shippings, a SKU's variations (response form) and category children are arrays in real "
        "answers and in the export's own examples; the schema documents one object",
    ),
    (
        "metadata-strings",
        r".",
        r"\.metadata\.\w+: '(true|false)' is not of type 'boolean'",
        "order metadata is a string map on the wire (notes); the export types a few keys boolean",
    ),
    (
        "optional-product-fields",
        r"^(GET|POST|PUT) /v2/products",
        r"'(model|origin|nbm|videoUrl|gender|warrantyText|externalIdProduct)' is a required property",
        "the export's Product marks optional descriptive fields required; the API omits them when unset",
    ),
    (
        "undocumented-error-status",
        r".",
        r"^(ResponseNotFound: Unknown response http status: (4\d\d)|PathNotFound: .*)$",
        "the API answers 400/404/422 on any operation (and 404 on unknown paths) with the generic error "
        "body; the export documents them on some operations only",
    ),
    (
        "bodiless-success",
        r"^(DELETE /v2/.+|PUT /v2/orders/\d+/nfe)$",
        r"^MissingData: Missing response data$",
        "DELETEs answer 204 and the NF-e upload 200 without a body; the export gives them a content",
    ),
    (
        "page-size-max",
        r".",
        r"\.page\.size: \d+ is greater than the maximum of 5",
        "page.size maximum 5 is the default limit; limit goes up to 100",
    ),
    (
        "marketplace-enum",
        r".",
        r"(?i)marketPlace'?:? '[A-Z0-9_]+' is not one of \['B2W'",
        "the export's marketplace enum is an old partial list (no B2W_NEW_API, SHOPEE, MAGAZINE_LUIZA…)",
    ),
    (
        "links-count",
        r".",
        r"^\.links: \[.*\] (should be non-empty|is too long)$",
        "paging `links` is minItems 1 / maxItems 1 in the export, yet empty when everything fits on one "
        "page and both `next` and `prev` on a middle page (notes: rel is next or prev); clients walk by "
        "offset and never need them",
    ),
    (
        "feed-max-items",
        r"^GET /v2/(orders|transmissions)/feeds$",
        r"^\(body\): \[.*\] is too long$",
        "the feed is maxItems 10 in the export, yet `GET /orders/feeds?limit=100` answers up to 100 (notes)",
    ),
    (
        "defaulted-required",
        r"^POST /v2/products$",
        r"^\(body\): '(allowAutomaticSkuMarketplaceCreation|hasVariations|isProductActive)' is a required",
        "PostProduct marks required the flags it gives a default (allowAutomaticSkuMarketplaceCreation "
        "true, hasVariations false); the notes list them as optional",
    ),
    (
        "update-category-shape",
        r"^PUT /v2/products/\d+$",
        r"^\.category: '(name|path)' is a required property$",
        "ProductUpdate copied the answer's category {id, name, path}; a client sends {id}, as on POST",
    ),
    (
        "update-price-factor",
        r"^PUT /v2/products/\d+$",
        r"^\(body\): 'priceFactor' is a required property$",
        "ProductUpdate requires priceFactor; the client sends the price settings (priceFactor, "
        "calculatedPrice, definitionPriceScope) only at creation and leaves prices to send prices. "
        "Whether AnyMarket's PUT resets an omitted priceFactor is undocumented (open question)",
    ),
    (
        "integer-money",
        r".",
        r"is not of type 'integer'",
        "prices, amounts and factors (priceFactor, price, amount, quantity…) are typed integer in places "
        "though they carry cents/fractions",
    ),
]


def _merge_status_variants(spec: dict[str, Any]) -> None:
    """The export splits ``PUT /orders/{id}`` into pseudo-paths ``/orders/{id}(Pago)`` etc. (one per target
    status); they become one operation whose body is any of the variants."""
    variants = [k for k in spec["paths"] if re.match(r"^/orders/\{id\}\(.+\)$", k)]
    if not variants:
        return
    bodies = [
        spec["paths"][k]["put"]["requestBody"]["content"]["application/json"]["schema"] for k in variants
    ]
    first = copy.deepcopy(spec["paths"][variants[0]]["put"])
    first["requestBody"]["content"] = {"application/json": {"schema": {"anyOf": bodies}}}
    for key in variants:
        del spec["paths"][key]
    spec["paths"].setdefault("/orders/{id}", {})["put"] = first


@lru_cache(maxsize=1)
def openapi() -> Any:
    from openapi_core import OpenAPI
    from openapi_core.configurations import Config

    spec = copy.deepcopy(load_spec())
    _merge_status_variants(spec)
    return OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))


def _messages(exc: BaseException) -> list[str]:
    out = []
    cause: Any = exc
    # A parameter's errors are located by the parameter (``query.status``), a body's by its JSON path.
    top = f"{exc.location}.{exc.name}" if isinstance(getattr(exc, "name", None), str) else "(body)"
    while cause is not None:
        for err in getattr(cause, "schema_errors", None) or []:
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path) or top
            message = err.message if len(err.message) <= 240 else f"{err.message[:160]} … {err.message[-70:]}"
            out.append(f"{where}: {message}")  # the end says what is wrong ("is too long")
        cause = cause.__cause__ or getattr(cause, "__context__", None) if not out else None
    return out or [f"{type(exc).__name__}: {str(exc)[:300]}"]


def _errors(iterator: Any) -> list[str]:
    out: list[str] = []
    for exc in iterator:
        out.extend(_messages(exc))
    return out


def check(
    method: str,
    path: str,
    query: dict[str, str],
    req_body: bytes,
    req_type: str | None,
    status: int | None = None,
    resp_body: bytes = b"",
    resp_type: str | None = None,
) -> tuple[list[str], list[str]]:
    """(request violations, response violations) of one exchange; ``status=None`` checks the request only."""
    from openapi_core.testing import MockRequest, MockResponse

    api = openapi()
    request = MockRequest(
        HOST,
        method.lower(),
        path,
        args=dict(query),
        # The gate checked the token; without the header openapi-core stops at the security check and
        # never looks at the parameters or the body.
        headers={"gumgaToken": "checked-by-the-gate"},
        data=req_body or None,
        content_type=req_type or "application/json",
    )
    req = _errors(api.iter_request_errors(request))
    if "xml" in (req_type or ""):
        # openapi-core parses an XML body into an Element and then finds it "not of type 'string'" (the
        # export types the NF-e as a string); what matters is that it is well-formed XML.
        req = [m for m in req if not re.match(r"^\(body\): <Element .* is not of type 'string'$", m)]
        req += _xml_errors(req_body)
    resp: list[str] = []
    if status is not None:
        response = MockResponse(
            resp_body or b"", status_code=status, content_type=resp_type or "application/json"
        )
        resp = _errors(api.iter_response_errors(request, response))
    return req, resp


def _xml_errors(raw: bytes) -> list[str]:
    import xml.etree.ElementTree as ET

    try:
        ET.fromstring(raw or b"")
    except ET.ParseError as exc:
        return [f"(body): not well-formed XML: {exc}"]
    return []


def tolerated(operation: str, message: str) -> str | None:
    for ident, op, msg, _ in TOLERATED:
        if re.search(op, operation) and re.search(msg, message):
            return ident
    return None


class TrafficValidator:
    """Checks each /v2 exchange (called from the gate) and keeps the violations, tolerated or not."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.checked = 0
        self.off_spec = 0  # requests a test marked off-spec on purpose (their responses still checked)
        self.violations: list[dict[str, Any]] = []

    def record(
        self,
        entry: dict[str, Any],
        raw_request: bytes,
        status: int,
        raw_response: bytes,
        resp_type: str,
        off_spec: str | None = None,
    ) -> None:
        """``off_spec``: the reason a test gave (``X-Sandbox-Off-Spec``) for sending an off-spec request on
        purpose; only the response is then checked."""
        if entry.get("fault") not in (None, "timeout", "rendezvous", "rendezvous_timeout"):
            return  # injected 429/5xx, canned raw bodies, missing endpoints: not the API's answers
        if status in (401, 429) or status >= 500:
            return
        try:
            req, resp = check(
                entry["method"],
                entry["path"],
                entry.get("query") or {},
                raw_request,
                entry.get("contentType"),
                status,
                raw_response,
                resp_type,
            )
        except Exception as exc:  # the validator itself failed: report it rather than hide it
            req, resp = [], [f"validator error: {type(exc).__name__}: {exc}"]
        if status >= 400:
            req = []  # the sandbox refused it: a client's bad input test, not traffic the API accepted
        if off_spec:
            req = []
            with self._lock:
                self.off_spec += 1
        operation = f"{entry['method']} {entry['path']}"
        found = [("request", m) for m in req] + [("response", m) for m in resp]
        with self._lock:
            self.checked += 1
            for side, message in found:
                self.violations.append(
                    {
                        "operation": operation,
                        "status": status,
                        "side": side,
                        "message": message,
                        "tolerated": tolerated(operation, message),
                    }
                )

    def report(self) -> dict[str, Any]:
        with self._lock:
            rows = list(self.violations)
            return {
                "checked": self.checked,
                "offSpecRequests": self.off_spec,
                "tolerated": sum(1 for r in rows if r["tolerated"]),
                "violations": [r for r in rows if not r["tolerated"]],
                "toleratedBy": {i: sum(1 for r in rows if r["tolerated"] == i) for i, *_ in TOLERATED},
            }


def body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body).encode()
