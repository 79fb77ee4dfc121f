"""The AnyMarket sandbox's own overhead per request, on loopback through a keep-alive session.

Prints median/p95/p99 latency (ms) and requests/s for sequential ``GET /stocks/locals`` and
``PUT /stocks`` with 100 rows, so figures measured against the sandbox (tests, DAG benchmarks) can be
read net of it. Figures only, no assertions::

    .venv/bin/python bench/sandbox_overhead.py [--requests 2000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests
from figures import record

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from anymarket_sandbox.server import SandboxServer


def _percentile(sorted_ms: list[float], pct: float) -> float:
    index = min(len(sorted_ms) - 1, max(0, round(pct / 100 * len(sorted_ms)) - 1))
    return sorted_ms[index]


def measure(name: str, call: Callable[[], requests.Response], count: int, expected: int) -> None:
    for _ in range(min(50, count)):  # warm-up: connection, caches
        call()
    samples = []
    started = time.perf_counter()
    for _ in range(count):
        t0 = time.perf_counter()
        response = call()
        samples.append((time.perf_counter() - t0) * 1000)
        if response.status_code != expected:
            raise SystemExit(f"{name}: unexpected {response.status_code} {response.text[:200]}")
    elapsed = time.perf_counter() - started
    samples.sort()
    median, p95, p99 = statistics.median(samples), _percentile(samples, 95), _percentile(samples, 99)
    print(
        f"{name:<30} n={count:<5} median={median:6.2f} ms  p95={p95:6.2f} ms  p99={p99:6.2f} ms"
        f"  {count / elapsed:7.0f} req/s"
    )
    note = f"{count} sequential requests, keep-alive, loopback"
    for label, value in (("p50", median), ("p95", p95), ("p99", p99)):
        record("foundation", f"sandbox overhead {name}: {label} latency", value, "ms", note=note)
    record("foundation", f"sandbox overhead {name}: throughput", count / elapsed, "requests/s", note=note)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per scenario")
    args = parser.parse_args()
    # A budget high enough that the benchmark never meets the 429 limit.
    with SandboxServer(requests_per_hour=10_000_000) as server:
        session = requests.Session()
        session.headers["gumgaToken"] = server.token
        base = server.base_url
        local = session.post(base + "/stocks/locals", json={"name": "CD Bench", "defaultLocal": True}).json()[
            "data"
        ]
        skus = [
            {"title": f"Item {i}", "partnerId": f"BENCH-{i:03d}", "price": 10, "sellPrice": 9}
            for i in range(100)
        ]
        created = session.post(base + "/products", json={"title": "Bench", "skus": skus})
        assert created.status_code == 201, created.text
        rows = [
            {"partnerId": f"BENCH-{i:03d}", "quantity": i, "stockLocalId": local["id"]} for i in range(100)
        ]
        python = sys.version.split()[0]
        print(f"AnyMarket sandbox overhead on {server.root_url} (sequential, keep-alive, Python {python})")
        measure("GET /v2/stocks/locals", lambda: session.get(base + "/stocks/locals"), args.requests, 200)
        measure(
            "PUT /v2/stocks (100 rows)", lambda: session.put(base + "/stocks", json=rows), args.requests, 204
        )
        measure(
            "GET /v2/stocks?limit=100",
            lambda: session.get(base + "/stocks", params={"limit": 100}),
            max(1, args.requests // 4),
            200,
        )


if __name__ == "__main__":
    main()
