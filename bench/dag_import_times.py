"""Print the import time of every DAG file and of the whole dags/ folder.

Targets: each file under 0.5 s, the folder under 2 s. Each figure is the median of several fresh
interpreters that already imported ``airflow.sdk`` (as the DAG processor has), so it measures what
our files add: the anymarket package, the integrations file, and building the DAGs.

    .venv/bin/python bench/dag_import_times.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from figures import record

REPO_ROOT = Path(__file__).resolve().parents[1]
DAGS = REPO_ROOT / "dags"

PROBE = """
import json, runpy, sys, time
import airflow.sdk  # already loaded in the DAG processor
import airflow.providers.http.hooks.http  # providers loaded too, as after the first parse
import airflow.providers.smtp.notifications.smtp
times = {}
start_all = time.perf_counter()
for path in sys.argv[1:]:
    start = time.perf_counter()
    runpy.run_path(path, run_name="dag_file")
    times[path] = time.perf_counter() - start
times["__folder__"] = time.perf_counter() - start_all
print(json.dumps(times))
"""

PROBE_COLD = """
import json, runpy, sys, time
import airflow.sdk
start = time.perf_counter()
for path in sys.argv[1:]:
    runpy.run_path(path, run_name="dag_file")
print(json.dumps({"cold_folder": time.perf_counter() - start}))
"""


def run_probe(code: str, files: list[str]) -> dict[str, float]:
    env = {
        **os.environ,
        "PYTHONPATH": f"{REPO_ROOT / 'plugins'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
    }
    env.setdefault("AIRFLOW_HOME", "/tmp/anymarket-bench-home")
    env.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    out = subprocess.run(
        [sys.executable, "-c", code, *files], check=True, capture_output=True, text=True, env=env
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    files = sorted(str(p) for p in DAGS.glob("*.py"))
    # Each file alone (its own interpreter: the first file pays for importing the anymarket package).
    per_file = {f: statistics.median(run_probe(PROBE, [f])[f] for _ in range(args.runs)) for f in files}
    folder = statistics.median(run_probe(PROBE, files)["__folder__"] for _ in range(args.runs))
    cold = statistics.median(run_probe(PROBE_COLD, files)["cold_folder"] for _ in range(args.runs))
    print(f"DAG file import times (median of {args.runs} fresh interpreters, airflow.sdk preloaded)")
    print(f"{'file':50} {'seconds':>8}  target")
    how = f"median of {args.runs} fresh interpreters"
    for path, seconds in per_file.items():
        print(_row(Path(path).name, seconds, 0.5))
        record(
            "foundation",
            f"import time of dags/{Path(path).name}",
            seconds,
            "s",
            target=0.5,
            comparison="<",
            note=how,
        )
    print(_row("whole dags/ folder (providers preloaded)", folder, 2.0))
    print(_row("whole dags/ folder (only airflow.sdk preloaded)", cold, 2.0))
    record(
        "foundation",
        "import time of the whole dags/ folder (providers preloaded)",
        folder,
        "s",
        target=2.0,
        comparison="<",
        note=f"{len(files)} files, {how}",
    )
    record(
        "foundation",
        "import time of the whole dags/ folder (only airflow.sdk preloaded)",
        cold,
        "s",
        target=2.0,
        comparison="<",
        note=f"{len(files)} files, {how}",
    )


def _row(label: str, seconds: float, target: float) -> str:
    verdict = "ok" if seconds < target else "OVER"
    return f"{label:50} {seconds:8.3f}  < {target:g} s {verdict}"


if __name__ == "__main__":
    main()
