"""``python -m bench.soak``: run the chaos soak and the invariant checker; exit 1 on any violation."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from bench.soak.runner import SoakOptions, run_soak
from bench.soak.stack import ROOT


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument(
        "--minutes",
        type=float,
        default=float(os.environ.get("SOAK_MINUTES", "3")),
        help="length of the chaos phase (env SOAK_MINUTES; default 3)",
    )
    parser.add_argument(
        "--quiet-max-minutes",
        type=float,
        default=6.0,
        help="cap of the quiet (catch-up) period after the chaos phase (default 6)",
    )
    parser.add_argument("--demo-interval", type=float, default=2.0, help="seconds between marketplace events")
    parser.add_argument("--requests-per-hour", type=int, default=5000, help="AnyMarket budget (both sides)")
    parser.add_argument("--products", type=int, default=40, help="demo ERP products (default 40)")
    parser.add_argument("--kills", type=int, default=2, help="task processes killed with SIGKILL (default 2)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=ROOT / ".run" / "soak", help="wiped at start")
    args = parser.parse_args()
    options = SoakOptions(
        minutes=args.minutes,
        quiet_max_minutes=args.quiet_max_minutes,
        demo_interval=args.demo_interval,
        requests_per_hour=args.requests_per_hour,
        seed=args.seed,
        products=args.products,
        kills=args.kills,
        workdir=args.workdir.resolve(),
    )
    raise SystemExit(run_soak(options))


if __name__ == "__main__":
    main()
