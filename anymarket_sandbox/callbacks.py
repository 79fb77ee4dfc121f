"""Background delivery of OMS callbacks: ``{"type":"ORDER","content":{"id":"<id>","oi":"<oi>"}}``.

Each registered URL with ``orderActive`` gets one POST per order change, from a small thread pool so a
slow receiver never blocks the API. Non-2xx answers and connection failures are retried
``callback_retries`` times (AnyMarket: 3), then given up — the feed still has the item, which is the
point the integration must handle. Drop and duplicate faults imitate a lossy push channel.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import requests

if TYPE_CHECKING:
    from anymarket_sandbox.runtime import Sandbox


class CallbackDispatcher:
    """Queues deliveries and records every outcome in ``state.deliveries``."""

    def __init__(self, sandbox: Sandbox, workers: int = 8) -> None:
        self._sb = sandbox
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sandbox-callback")
        self._session = requests.Session()
        self._ids_lock = threading.Lock()
        self._next = 0
        self._closed = False

    def _delivery_id(self) -> int:
        with self._ids_lock:
            self._next += 1
            return self._next

    def order_changed(self, oi: str, order_id: int, callbacks: list[dict[str, Any]]) -> None:
        """Schedule one delivery per active registration (called with the state lock held)."""
        if self._closed:
            return
        faults = self._sb.faults
        generation = self._sb.state.generation
        body = {"type": "ORDER", "content": {"id": str(order_id), "oi": oi}}
        for cb in callbacks:
            if not cb.get("orderActive"):
                continue
            cfg = faults.snapshot()
            entry = {
                "id": self._delivery_id(),
                "oi": oi,
                "orderId": order_id,
                "url": cb["url"],
                "body": body,
                "attempts": [],
                "delivered": False,
                "dropped": False,
                "duplicate": False,
                "done": False,
            }
            if faults.chance(cfg.callback_drop_rate):
                entry.update(dropped=True, done=True)
                self._sb.state.record_delivery(entry)
                continue
            copies = 2 if faults.chance(cfg.callback_duplicate_rate) else 1
            for copy_index in range(copies):
                item = dict(
                    entry,
                    id=entry["id"] if copy_index == 0 else self._delivery_id(),
                    duplicate=copy_index > 0,
                    attempts=[],
                )
                self._sb.state.record_delivery(item)
                self._pool.submit(
                    self._deliver,
                    item,
                    cfg.callback_retries,
                    cfg.callback_retry_delay,
                    cfg.callback_timeout,
                    generation,
                )

    def _deliver(
        self, entry: dict[str, Any], retries: int, delay: float, timeout: float, generation: int
    ) -> None:
        for attempt in range(1 + max(0, retries)):
            if self._closed or self._sb.state.generation != generation:
                return  # reset or shutdown since this was queued: the old world is gone
            record: dict[str, Any] = {"attempt": attempt + 1, "at": time.time()}
            try:
                response = self._session.post(entry["url"], json=entry["body"], timeout=timeout)
                record["status"] = response.status_code
                ok = 200 <= response.status_code < 300
            except requests.RequestException as exc:
                record["error"] = type(exc).__name__
                ok = False
            with self._sb.state.lock:
                entry["attempts"].append(record)
                if ok:
                    entry["delivered"] = True
                    entry["done"] = True
                    return
            if attempt < retries:
                time.sleep(delay)
        with self._sb.state.lock:
            entry["done"] = True

    def close(self) -> None:
        self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._session.close()
