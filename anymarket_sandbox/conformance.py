"""Validate /v2 traffic against AnyMarket's OpenAPI export with openapi-core (a maintained validator).

The spec is read from ``../shared/reference/anymarket-api-v2.openapi.yaml`` (or ``ANYMARKET_OPENAPI_SPEC``),
never copied. The export has known errors; :data:`TOLERATED` lists each with its reason (also in the
sandbox README). A violation is tolerated only when its message matches one entry; everything else is
reported. ``SandboxServer(validate_openapi=True)`` checks every request and response it serves through
:class:`TrafficValidator` (``GET /_sandbox/conformance``); the test fixtures turn that on whenever the
spec is on this machine (:func:`enabled`). Tests that check a body or a request log by hand use
:func:`request_violations`, :func:`response_violations` and :func:`assert_requests_conform`.
"""

from __future__ import annotations

import copy
import json
import os
import re
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SPEC_ENV = "ANYMARKET_OPENAPI_SPEC"
#: ``0`` turns validation off, ``1`` demands it (an error when the spec is missing); unset = on
#: whenever the spec is on this machine.
VALIDATE_ENV = "SANDBOX_VALIDATE_OPENAPI"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = REPO_ROOT.parent / "shared" / "reference" / "anymarket-api-v2.openapi.yaml"
HOST = "http://sandbox-api.anymarket.com.br"


class SpecMissing(FileNotFoundError):
    """The spec file is not on this machine."""


class OpenApiViolation(AssertionError):
    """Traffic that does not fit the spec (outside :data:`TOLERATED`); ``violations`` lists each one as
    ``"<operation> <status> <request|response>: <json path>: <what is wrong>"``."""

    def __init__(self, what: str, violations: list[str]) -> None:
        self.violations = violations
        super().__init__(f"{what} violates AnyMarket's OpenAPI spec:\n  - " + "\n  - ".join(violations))


def spec_path() -> Path:
    """Where the spec is read from (``ANYMARKET_OPENAPI_SPEC`` or the team's shared reference)."""
    return Path(os.environ.get(SPEC_ENV) or DEFAULT_SPEC)


def spec_available() -> bool:
    return spec_path().is_file()


def skip_reason() -> str:
    return (
        f"AnyMarket OpenAPI spec not found at {spec_path()} (a clone outside the team's tree has no "
        f"../shared; set {SPEC_ENV} to the file to validate against it)"
    )


SKIP_REASON = skip_reason()


def requires_spec(func: Any) -> Any:
    """Decorator: skip the test, saying why, when the spec file is absent."""
    import pytest

    return pytest.mark.skipif(not spec_available(), reason=skip_reason())(func)


def enabled() -> tuple[bool, str]:
    """(validate?, why) for test sandboxes: on whenever the spec is here, unless ``SANDBOX_VALIDATE_OPENAPI``
    is ``0``. Without the spec it is off, and ``why`` says so (pytest's header shows it once) — also when
    ``1`` asked for it: a clone outside the team's tree must still run its tests."""
    wanted = os.environ.get(VALIDATE_ENV, "").strip().lower()
    if wanted in {"0", "false", "no", "off"}:
        return False, f"off ({VALIDATE_ENV}={wanted})"
    if spec_available():
        return True, f"on, every /v2 request and response checked against {spec_path()}"
    if wanted in {"1", "true", "yes", "on"}:
        return False, f"OFF although {VALIDATE_ENV}={wanted} asked for it: {skip_reason()}"
    return False, f"off: {skip_reason()}"


@lru_cache(maxsize=4)
def _load(path: str) -> dict[str, Any]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)


def load_spec() -> dict[str, Any]:
    """The parsed spec (cached); :class:`SpecMissing` when the file is absent."""
    path = spec_path()
    if not path.is_file():
        raise SpecMissing(skip_reason())
    return _load(str(path))


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
        r"^\[\d+\]: 'partnerId' is a required property$",
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
        r"\.(shippings|variations|children|kitComponents): \[.* is not of type 'object'",
        "items[].shippings, a SKU's variations (response form) and category children are arrays in real "
        "answers and in the export's own examples; the schema documents one object. A product's "
        "kitComponents too: clients send a list (one object holds one component; the sandbox's "
        "kit_components switch answers that shape too)",
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
        r"^ResponseNotFound: Unknown response http status: 4\d\d$",
        "the API answers 400/404/422 on any operation with the generic error body; the export documents "
        "them on some operations only",
    ),
    (
        "unknown-path-404",
        r".",
        r"^PathNotFound: ",
        "a path the API does not have answers 404 with the generic error body (only a 404 is tolerated: a "
        "sandbox route missing from the export and not listed above is reported)",
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
        "integer-money",
        r".",
        r"-?\d+\.\d+(e-?\d+)? is not of type 'integer'",
        "prices, amounts and factors (priceFactor, price, amount, quantity…) are typed integer in places "
        "though they carry cents/fractions; only a fractional number is excused (a string is reported)",
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


#: Entries that hold for these statuses only.
ONLY_FOR_STATUS: dict[str, tuple[int, ...]] = {"unknown-path-404": (404,)}


def tolerated(operation: str, message: str, status: int | None = None) -> str | None:
    """The :data:`TOLERATED` entry (its id) that excuses ``message`` on ``operation``, else None."""
    for ident, op, msg, _ in TOLERATED:
        if ident in ONLY_FOR_STATUS and status not in ONLY_FOR_STATUS[ident]:
            continue
        if re.search(op, operation) and re.search(msg, message):
            return ident
    return None


class TrafficValidator:
    """Checks each /v2 exchange (called from the gate) and keeps the violations, tolerated or not."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self.checked = 0
        self.off_spec = 0  # requests a test marked off-spec on purpose (their responses still checked)
        self.violations: list[dict[str, Any]] = []
        # Exchanges between the gate and the end of their check: a test's last answer reaches it before
        # its check is recorded, so :meth:`settle` waits for them.
        self._pending = 0

    def begin(self) -> None:
        """An exchange entered the gate (its check will follow its answer)."""
        with self._lock:
            self._pending += 1

    def end(self) -> None:
        with self._lock:
            self._pending -= 1
            self._lock.notify_all()

    def settle(self, timeout: float = 10.0) -> bool:
        """Wait until every exchange that entered the gate is checked; False when still busy after
        ``timeout`` (a demo or another process still talking)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._pending > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(left)
        return True

    def failed(self, exc: BaseException | None) -> None:
        """The check itself broke (not the traffic): recorded as a violation, never hidden."""
        with self._lock:
            self.violations.append(
                {
                    "seq": None,
                    "operation": "(validator)",
                    "status": None,
                    "side": "check",
                    "message": f"validator error: {type(exc).__name__}: {exc}",
                    "tolerated": None,
                }
            )

    def mark(self) -> int:
        """A position in the violations, for :meth:`outside_since` (a test's own)."""
        with self._lock:
            return len(self.violations)

    def outside_since(self, mark: int = 0) -> list[dict[str, Any]]:
        """The violations outside :data:`TOLERATED` recorded after ``mark``."""
        with self._lock:
            return [v for v in self.violations[mark:] if not v["tolerated"]]

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
                        "seq": entry.get("seq"),
                        "operation": operation,
                        "status": status,
                        "side": side,
                        "message": message,
                        "tolerated": tolerated(operation, message, status),
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


def describe(violation: dict[str, Any]) -> str:
    """One line naming the operation, the status, the side, the field (JSON path) and what is wrong."""
    seq = f"#{violation['seq']} " if violation.get("seq") is not None else ""
    return (
        f"{seq}{violation['operation']} → {violation['status']}, {violation['side']} {violation['message']}"
    )


def failure_text(violations: list[dict[str, Any]], where: str) -> str:
    """The message a test fails with: each distinct violation once, then how to read or tolerate it."""
    lines = sorted({describe({**v, "seq": None}) for v in violations})
    shown = "\n  ".join(lines[:40]) + (f"\n  … and {len(lines) - 40} more" if len(lines) > 40 else "")
    return (
        f"{len(violations)} exchange(s) with AnyMarket's OpenAPI spec violated outside the tolerated "
        f"list ({where}):\n  {shown}\n"
        "Fix the sandbox or the client; only an error of the spec itself goes to conformance.TOLERATED "
        "(with its reason, also in anymarket_sandbox/README.md). A test probing off the spec on purpose "
        "sends testing.off_spec(reason)."
    )


def _path_only(path: str) -> str:
    return urlsplit(path).path if "://" in path else path.split("?", 1)[0]


def request_violations(
    method: str,
    path: str,
    body: Any = None,
    *,
    query: dict[str, str] | None = None,
    content_type: str | None = None,
) -> list[str]:
    """What is wrong with a request outside :data:`TOLERATED` (``path`` a URL or ``/v2/...``; a ``str``
    body with an XML content type is an NF-e)."""
    path = _path_only(path)
    raw = body_bytes(body)
    kind = content_type or (
        "application/xml" if isinstance(body, str) and body.lstrip().startswith("<") else None
    )
    req, _ = check(method.upper(), path, query or {}, raw, kind)
    operation = f"{method.upper()} {path}"
    return [m for m in req if not tolerated(operation, m, 200)]


def response_violations(method: str, path: str, status: int, body: Any = None) -> list[str]:
    """What is wrong with an answer outside :data:`TOLERATED` (``body`` parsed JSON, raw bytes or None)."""
    path = _path_only(path)
    raw = body if isinstance(body, bytes) else body_bytes(body)
    _, resp = check(method.upper(), path, {}, b"", None, status, raw, "application/json")
    operation = f"{method.upper()} {path}"
    return [m for m in resp if not tolerated(operation, m, status)]


def assert_requests_conform(entries: list[dict[str, Any]]) -> int:
    """Check the request side of every accepted exchange of a sandbox request log
    (``SandboxAdmin.requests()``); raises :class:`OpenApiViolation` naming each one. Returns how many
    were checked. Skips what the sandbox refused (a 4xx: a bad-input test) and injected faults."""
    problems: list[str] = []
    checked = 0
    for entry in entries:
        status = entry.get("status")
        if entry.get("fault") not in (None, "timeout") or not status or status >= 400:
            continue
        checked += 1
        operation = f"{entry['method']} {entry['path']}"
        req, _ = check(
            entry["method"],
            entry["path"],
            entry.get("query") or {},
            body_bytes(entry.get("body")),
            entry.get("contentType"),
        )
        problems += [
            f"#{entry.get('seq')} {operation} → {status}, request {m}"
            for m in req
            if not tolerated(operation, m, status)
        ]
    if problems:
        raise OpenApiViolation("the logged requests", problems)
    return checked
