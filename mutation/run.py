"""Mutation testing of the rule modules with mutmut 3 (``make mutation``), one module at a time.

Each rule module is mutated alone and checked against its own fast test files (``MODULES``), in a
work folder of its own under ``.run/mutation/<name>/`` laid out the way mutmut understands:

* ``src/anymarket/`` — a copy of ``plugins/anymarket`` (mutmut strips only ``src.`` from module
  names, so ``plugins/`` would name them ``plugins.anymarket…``);
* ``include/``, ``anymarket_sandbox/``, ``dags/`` and ``tests/`` beside it (copied into ``mutants/`` by
  mutmut's ``also_copy``: the SQL files are found from the package's path, the test conftest loads the
  sandbox's pytest plugin);
* a ``pyproject.toml`` with the project's pytest settings (``pythonpath = src``) and the mutmut ones.

Then ``mutmut run --max-children N`` and a report, ``mutation/REPORT.md``: killed / survived / timeout
per module, the kill rate, and every survivor either justified as equivalent (``mutation/equivalent.toml``:
mutant name → reason) or listed as a gap. Exit 1 when a module is under ``--min-rate`` once equivalents
are set aside.

    nice -n 19 .venv/bin/python mutation/run.py [--jobs 2] [--only importer,status] [--min-rate 90]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".run" / "mutation"
REPORT = ROOT / "mutation" / "REPORT.md"
EQUIVALENT = ROOT / "mutation" / "equivalent.toml"
ALSO_COPY = ("include", "anymarket_sandbox", "dags")
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.db", "*.db-*")

#: mutmut's exit codes (mutmut.stats.status_by_exit_code) folded into the report's columns.
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", 37: "killed"}
TIMEOUT_CODES = {36, 24, -24, 152, 255}


@dataclass(frozen=True)
class Module:
    name: str
    path: str  # under plugins/anymarket
    tests: tuple[str, ...]  # the fast test files it is checked against


MODULES = (
    Module("allocation", "orders/allocation.py", ("tests/anymarket/orders/test_allocation.py",)),
    Module(
        "fiscal",
        "orders/fiscal.py",
        ("tests/anymarket/orders/test_fiscal.py", "tests/anymarket/orders/test_allocation.py"),
    ),
    Module(
        "validation",
        "orders/validation.py",
        ("tests/anymarket/orders/test_validation.py",),
    ),
    Module("status", "orders/status.py", ("tests/anymarket/orders/test_status_planning.py",)),
    Module("send_stock", "rules/send_stock.py", ("tests/anymarket/rules/test_send_stock.py",)),
    Module("send_prices", "rules/send_prices.py", ("tests/anymarket/rules/test_send_prices.py",)),
    Module(
        "changes",
        "rules/changes.py",
        ("tests/anymarket/rules/test_send_stock.py", "tests/anymarket/rules/test_send_prices.py"),
    ),
    Module("payload", "catalog/payload.py", ("tests/anymarket/catalog/test_payload.py",)),
    Module("listings", "listings/rules.py", ("tests/anymarket/listings/test_rules.py",)),
    Module("images", "rules/images.py", ("tests/anymarket/rules/test_images.py",)),
    Module("monitorings", "rules/monitorings.py", ("tests/anymarket/rules/test_monitorings.py",)),
    Module("kits", "rules/kits.py", ("tests/anymarket/rules/test_kits.py",)),
    Module("fulfillment", "fulfillment/rules.py", ("tests/anymarket/fulfillment/test_rules.py",)),
    Module(
        "importer",
        "orders/importer.py",
        ("tests/anymarket/orders/test_importer.py", "tests/anymarket/orders/test_allocation.py"),
    ),
)


def pyproject(module: Module) -> str:
    """The work folder's pyproject.toml: the project's pytest settings and this module's mutmut ones."""
    pytest_opts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    markers = "".join(f"    {json.dumps(m)},\n" for m in pytest_opts["markers"])
    tests = ", ".join(json.dumps(t) for t in module.tests)
    return f"""\
[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["src", "."]
addopts = {json.dumps(pytest_opts["addopts"])}
markers = [
{markers}]

[tool.mutmut]
source_paths = ["src"]
only_mutate = ["src/anymarket/{module.path}"]
also_copy = {json.dumps(list(ALSO_COPY))}
pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "no:randomly"]
pytest_add_cli_args_test_selection = [{tests}]
use_git_change_detection = false
"""


def prepare(module: Module) -> Path:
    """A fresh work folder for ``module`` (any earlier one, with its ``mutants/``, is removed)."""
    work = WORK / module.name
    shutil.rmtree(work, ignore_errors=True)
    (work / "src").mkdir(parents=True)
    shutil.copytree(ROOT / "plugins" / "anymarket", work / "src" / "anymarket", ignore=IGNORE)
    for name in (*ALSO_COPY, "tests"):
        shutil.copytree(ROOT / name, work / name, ignore=IGNORE)
    (work / "pyproject.toml").write_text(pyproject(module))
    return work


def run_module(module: Module, jobs: int) -> dict:
    work = prepare(module)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPATH", None)
    started = time.monotonic()
    mutmut = str(Path(sys.executable).with_name("mutmut"))
    # Its own session, so an interrupted run takes mutmut's forked workers down with it.
    proc = subprocess.Popen(
        [mutmut, "run", "--max-children", str(jobs)],
        cwd=work,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = proc.communicate()
    except BaseException:
        os.killpg(proc.pid, signal.SIGTERM)
        raise
    seconds = time.monotonic() - started
    (work / "mutmut.log").write_text(output)
    meta = work / "mutants" / "src" / "anymarket" / (module.path + ".meta")
    if not meta.exists():
        tail = "\n".join(output.splitlines()[-30:])
        raise SystemExit(f"mutmut produced no results for {module.path} (see {work}/mutmut.log):\n{tail}")
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    return {"module": module, "codes": codes, "seconds": seconds}


def status_of(code: int | None) -> str:
    if code in TIMEOUT_CODES:
        return "timeout"
    if code is None:
        return "not checked"
    return STATUS.get(code, "suspicious")


def report(
    results: list[dict], equivalent: dict[str, str], command: str, total_seconds: float
) -> tuple[str, bool]:
    rows, gaps, justified = [], [], []
    ok = True
    for result in results:
        module: Module = result["module"]
        counts: Counter[str] = Counter()
        for name, code in sorted(result["codes"].items()):
            status = status_of(code)
            if status in ("survived", "no tests", "suspicious", "not checked", "skipped"):
                reason = equivalent.get(name)
                if reason:
                    counts["equivalent"] += 1
                    justified.append((module.path, name, reason))
                    continue
                gaps.append((module.path, name, status))
            counts[status] += 1
        total = sum(counts.values())
        killed = counts["killed"] + counts["timeout"]
        considered = total - counts["equivalent"]
        rate = 100.0 * killed / considered if considered else 100.0
        ok = ok and rate >= result["min_rate"]
        tests = ", ".join(f"`{t.rsplit('/', 1)[-1]}`" for t in module.tests)
        rows.append(
            f"| `{module.path}` | {total} | {counts['killed']} | {counts['timeout']} | {counts['survived']} "
            f"| {counts['no tests']} | {counts['equivalent']} | **{rate:.1f} %** | {result['seconds']:.0f} s "
            f"| {tests} |"
        )
    lines = [
        "# Mutation testing report",
        "",
        "Generated by `make mutation` (`mutation/run.py`, mutmut 3): each rule module mutated alone and",
        "checked against its own fast test files. The kill rate counts timeouts as killed and leaves the",
        "survivors justified as equivalent (`mutation/equivalent.toml`) out of the denominator.",
        "",
        f"Command: `{command}` — {total_seconds / 60:.1f} min on this machine (2 cores, `nice -n 19`).",
        "",
        "| module | mutants | killed | timeout | survived | no tests | equivalent | kill rate | time "
        "| tests |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        *rows,
        "",
        "## Survivors not justified (gaps)",
        "",
    ]
    if gaps:
        lines += [f"- `{name}` ({status}) — `{path}`" for path, name, status in gaps]
        lines += [
            "",
            "Show one with `cd .run/mutation/<module> && ../../../.venv/bin/mutmut show <name>`.",
        ]
    else:
        lines.append("None.")
    lines += ["", "## Equivalent mutants", ""]
    if justified:
        lines += [f"- `{name}` — {reason}" for _path, name, reason in justified]
    else:
        lines.append("None.")
    return "\n".join(lines) + "\n", ok


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=2, help="mutmut --max-children (default 2)")
    parser.add_argument("--only", default="", help="comma-separated module names (default: all)")
    parser.add_argument("--min-rate", type=float, default=90.0, help="kill rate each module must reach")
    parser.add_argument("--report", type=Path, default=REPORT)
    args = parser.parse_args()
    wanted = {n.strip() for n in args.only.split(",") if n.strip()}
    unknown = wanted - {m.name for m in MODULES}
    if unknown:
        parser.error(
            f"unknown module(s) {', '.join(sorted(unknown))}; known: {', '.join(m.name for m in MODULES)}"
        )
    equivalent = tomllib.loads(EQUIVALENT.read_text()) if EQUIVALENT.exists() else {}
    reasons = {name: reason for group in equivalent.values() for name, reason in group.items()}
    command = ("nice -n 19 .venv/bin/python mutation/run.py " + " ".join(sys.argv[1:])).strip()
    started = time.monotonic()
    results: list[dict] = []
    ok = True
    for module in MODULES:
        if wanted and module.name not in wanted:
            continue
        print(f"mutating {module.path} against {', '.join(module.tests)} …", flush=True)
        result = run_module(module, args.jobs)
        result["min_rate"] = args.min_rate
        codes = Counter(status_of(c) for c in result["codes"].values())
        print(f"  {dict(codes)} in {result['seconds']:.0f} s", flush=True)
        results.append(result)
        # Written after each module, so a long run shows its figures as it goes.
        text, ok = report(results, reasons, command, time.monotonic() - started)
        args.report.write_text(text)
    print(f"report: {args.report.relative_to(ROOT) if args.report.is_relative_to(ROOT) else args.report}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
