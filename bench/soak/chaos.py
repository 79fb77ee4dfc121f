"""The faults of the soak: what the sandbox is told to do wrong, when, and the worker kills.

During the chaos phase the sandbox (``PUT /_sandbox/faults``) answers 10 % of requests with a
500/502/503, sleeps 2 s before 3 % (the connection gives up after 1.5 s, the sandbox still applies
the request), drops 25 % of the order callbacks and sends 15 % twice, keeps a new order unreadable
for 10 s after its feed item and callback exist, and every 45 s (the runner's ``BURST_EVERY``)
answers the next 12 requests with 429 (``Retry-After: 2``). Task processes are killed with SIGKILL
(Airflow's retries must recover): the first kill hits import_orders right after it read a page of
the order feed (mid-drain: whatever it did not commit must come back), the others whatever task
runs. The quiet phase turns every fault off.

Dropped callbacks and unreadable orders together are what makes "ack the feed only after the ERP
commit" matter: an order whose callback was lost and whose feed item was read while the order was
not readable yet is imported only because its feed item stays unacked until it is.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHAOS_FAULTS: dict[str, Any] = {
    "error_rate": 0.10,
    "error_statuses": [500, 502, 503],
    "timeout_rate": 0.03,
    "timeout_seconds": 2.0,
    "callback_drop_rate": 0.25,
    "callback_duplicate_rate": 0.15,
    "order_read_delay_seconds": 10.0,
}
FEED_PATH = "/v2/orders/feeds"
BURST: dict[str, Any] = {"burst_429": 12, "burst_retry_after": 2}
QUIET_FAULTS: dict[str, Any] = {
    "latency_ms": 0.0,
    "error_rate": 0.0,
    "error_burst": 0,
    "timeout_rate": 0.0,
    "burst_429": 0,
    "callback_drop_rate": 0.0,
    "callback_duplicate_rate": 0.0,
    "order_read_delay_seconds": 0.0,
}


@dataclass
class Kill:
    """One SIGKILL sent to a task process."""

    pid: int
    what: str


TASK_PROCESS = re.compile(r"^airflow worker -- ([0-9a-f-]{36})$")


@dataclass
class TaskKiller:
    """Finds and kills the process running a task of the soak's Airflow.

    The LocalExecutor's worker (``airflow worker -- LocalExecutor: <ti id>``) supervises a child
    that runs the task (``airflow worker -- <ti id>``). Killing that child — not the supervisor — is
    a worker dying mid-task: the supervisor reports the failure and Airflow retries the task. Only
    descendants of ``root_pid`` (the soak's ``airflow standalone``) are considered; the task
    instance id names the DAG through the soak's own metadata database.
    """

    root_pid: int
    metadata_db: Path
    prefer: tuple[str, ...] = ("import_orders", "sync_order_status", "send_stock")
    kills: list[Kill] = field(default_factory=list)

    def candidates(self) -> list[tuple[int, str]]:
        """``(pid, "dag_id.task_id")`` of the tasks running now."""
        parents: dict[int, int] = {}
        tasks: dict[int, str] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (
                    (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
                )
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            match = TASK_PROCESS.match(cmdline)
            if match:
                tasks[int(entry.name)] = match.group(1).replace("-", "")  # stored as bare hex
        mine = {pid: ti for pid, ti in tasks.items() if self._descends(pid, parents)}
        if not mine:
            return []
        names = self._task_names(list(mine.values()))
        return [(pid, names[ti]) for pid, ti in mine.items() if ti in names]

    def kill_one(self, only: str | None = None) -> Kill | None:
        """SIGKILL one running task — of automation ``only``, else a preferred automation when one
        runs, else any; ``None`` when none runs."""
        candidates = self.candidates()
        for automation in (only,) if only else self.prefer:
            preferred = [c for c in candidates if c[1].split(".")[0].endswith(f"__{automation}")]
            if preferred or only:
                candidates = preferred
                break
        if not candidates:
            return None
        pid, what = candidates[0]
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return None
        kill = Kill(pid, what)
        self.kills.append(kill)
        return kill

    def _descends(self, pid: int, parents: dict[int, int]) -> bool:
        while pid > 1:
            if pid == self.root_pid:
                return True
            pid = parents.get(pid, 0)
        return False

    def _task_names(self, ti_ids: list[str]) -> dict[str, str]:
        """``{ti id (hex): "dag_id.task_id"}`` from the metadata DB (read-only)."""
        uri = f"file:{self.metadata_db}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=10)) as conn:
            marks = ",".join("?" * len(ti_ids))
            rows = conn.execute(
                f"SELECT id, dag_id, task_id FROM task_instance WHERE id IN ({marks})", ti_ids
            )
            return {str(r[0]): f"{r[1]}.{r[2]}" for r in rows}


def kill_mid_feed_drain(admin: Any, killer: TaskKiller, timeout: float, poll: float = 0.25) -> Kill | None:
    """Wait for the next ``GET /v2/orders/feeds`` answered 200 and kill the import_orders task that
    made it while it works through the page; ``None`` when none came within ``timeout`` seconds."""
    seen = max((r["seq"] for r in admin.requests(method="GET", path=FEED_PATH)), default=0)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fresh = admin.requests(method="GET", path=FEED_PATH, since=seen)
        if fresh:
            seen = max(r["seq"] for r in fresh)
            if any(r["status"] == 200 for r in fresh):
                kill = killer.kill_one(only="import_orders")
                if kill is not None:
                    return kill
        time.sleep(poll)
    return None
