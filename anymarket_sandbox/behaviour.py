"""Switches for what AnyMarket's behaviour leaves uncertain, so clients can be tested under each.

- ``list_order``: the order of a list when the request names no ``sort`` — ``newest`` first (what a
  production client's run summary suggests for ``GET /orders``) or ``oldest`` first. The spec is silent.
- ``created_before``: ``exclusive`` (the spec: "criado antes de") or ``inclusive`` (an order created
  exactly at ``createdBefore`` is listed too).
- ``put_mode``: ``lenient`` ignores the fields the real API ignores on a PUT (a product PUT echoing
  ``skus``/``images``, a SKU PUT echoing ``amount``/``additionalTime``/``variations``…); ``strict``
  refuses them with a 422, which surfaces a client that expects such a PUT to change something.
- ``product_required``: what the export marks required on products, which AnyMarket may or may not
  enforce — a ``POST /products`` without ``height``/``width``/``length``/``weight`` and a ``PUT
  /products/{id}`` without ``priceFactor``: ``lenient`` takes them (missing measures stored as 0, an
  omitted ``priceFactor`` left as it was), ``spec`` refuses them with a 422 naming the fields.
- ``kit_components``: the shape of a product's ``kitComponents`` in answers — ``list`` (what clients
  send and read) or ``object``, the export's type, which holds one component: the main one alone.
  Requests are taken in either shape.

Set through ``SANDBOX_LIST_ORDER`` / ``SANDBOX_CREATED_BEFORE`` / ``SANDBOX_PUT_MODE`` /
``SANDBOX_PRODUCT_REQUIRED`` / ``SANDBOX_KIT_COMPONENTS``, the
:class:`~anymarket_sandbox.config.SandboxSettings` fields of the same names, or ``PUT
/_sandbox/behaviour``; ``POST /_sandbox/reset`` goes back to the settings' values.
"""

from __future__ import annotations

import os
import threading
from dataclasses import asdict, dataclass, fields
from typing import Any

CHOICES: dict[str, tuple[str, ...]] = {
    "list_order": ("newest", "oldest"),
    "created_before": ("exclusive", "inclusive"),
    "put_mode": ("lenient", "strict"),
    "product_required": ("lenient", "spec"),
    "kit_components": ("list", "object"),
}
ENV = {
    "list_order": "SANDBOX_LIST_ORDER",
    "created_before": "SANDBOX_CREATED_BEFORE",
    "put_mode": "SANDBOX_PUT_MODE",
    "product_required": "SANDBOX_PRODUCT_REQUIRED",
    "kit_components": "SANDBOX_KIT_COMPONENTS",
}


@dataclass
class Behaviour:
    list_order: str = "newest"
    created_before: str = "exclusive"
    put_mode: str = "lenient"
    product_required: str = "lenient"
    kit_components: str = "list"

    @classmethod
    def from_env(cls) -> Behaviour:
        out = cls()
        out.update(
            {k: os.environ[v].strip().lower() for k, v in ENV.items() if os.environ.get(v, "").strip()}
        )
        return out

    def update(self, values: dict[str, Any]) -> None:
        """Apply a partial update; an unknown key raises ``KeyError``, an unknown value ``ValueError``."""
        unknown = set(values) - {f.name for f in fields(self)}
        if unknown:
            raise KeyError(", ".join(sorted(unknown)))
        for key, value in values.items():
            if value not in CHOICES[key]:
                raise ValueError(f"{key} must be one of {', '.join(CHOICES[key])} (got {value!r})")
        for key, value in values.items():
            setattr(self, key, value)

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


class BehaviourHolder:
    """Thread-safe current switches plus the defaults a reset returns to."""

    def __init__(self, defaults: Behaviour) -> None:
        self._lock = threading.Lock()
        self.defaults = Behaviour(**defaults.as_dict())
        self.current = Behaviour(**defaults.as_dict())

    def snapshot(self) -> Behaviour:
        with self._lock:
            return Behaviour(**self.current.as_dict())

    def configure(self, values: dict[str, Any]) -> dict[str, str]:
        with self._lock:
            candidate = Behaviour(**self.current.as_dict())
            candidate.update(values)
            self.current = candidate
            return candidate.as_dict()

    def reset(self) -> None:
        with self._lock:
            self.current = Behaviour(**self.defaults.as_dict())
