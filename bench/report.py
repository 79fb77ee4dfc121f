"""Run every bench and write BENCHMARKS.md: each figure the issues ask for, next to its target.

One command (``make benchmarks``)::

    .venv/bin/python bench/report.py [--quick] [--only NAME ...] [--skip-demo] [--output BENCHMARKS.md]

1. runs each bench of :data:`BENCHES` as a subprocess with the sizes the issues ask for (``--quick``:
   small sizes, to check the pipeline), each recording its figures through ``bench/figures.py`` into a
   JSON-lines file of its own (``BENCH_FIGURES_FILE``); a bench that fails, times out or records
   nothing yet is reported as such, the others still run;
2. for the ``*_demo_latency`` benches, starts ``scripts/demo.sh`` itself on free ports in a private
   copy of the repository's layout (symlinks plus its own ``.run``, so a ``make demo`` already running
   in the tree is left alone), waits until it is ready, runs them against it and stops it
   (``--skip-demo`` leaves them out);
3. writes the report: the machine, then one table per issue/automation — figure, measured, target,
   met?, command — and how each section was measured.

Bench output and the demo's logs go to ``.run/benchmarks/`` (not committed).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
if str(BENCH_DIR) not in sys.path:  # imported from the tests as ``bench.report``
    sys.path.insert(0, str(BENCH_DIR))

import figures  # noqa: E402

OUT_DIR = ROOT / ".run" / "benchmarks"
DEMO_READY = "Press Ctrl-C to stop."
DEMO_START_TIMEOUT = 900.0
SYMBOLS = {"<": "<", "<=": "≤", "==": "=", ">=": "≥", ">": ">"}


@dataclass(frozen=True)
class Section:
    """One table of the report: an automation (or the foundation) and the issue asking for it."""

    key: str
    title: str
    how: str


@dataclass(frozen=True)
class Bench:
    """A bench script, its arguments at the issues' sizes and at ``--quick`` sizes."""

    name: str
    section: str
    args: tuple[str, ...] = ()
    quick_args: tuple[str, ...] = ()
    demo: bool = False
    timeout: float = 3600.0

    @property
    def script(self) -> str:
        return f"bench/{self.name}.py"

    def argv(self, *, quick: bool) -> list[str]:
        return [self.script, *(self.quick_args if quick else self.args)]

    def command(self, *, quick: bool) -> str:
        return shlex.join([".venv/bin/python", *self.argv(quick=quick)])


@dataclass
class Run:
    """How one bench run went."""

    bench: Bench
    command: str
    status: str
    seconds: float = 0.0
    figures: list[dict[str, Any]] = field(default_factory=list)


SECTIONS = (
    Section(
        "foundation",
        "Foundation: DAG parse time and sandbox overhead (issue 2)",
        "DAG files imported by fresh interpreters that already loaded `airflow.sdk` (median of the "
        "runs); sandbox overhead: sequential keep-alive requests to the in-process sandbox on loopback.",
    ),
    Section(
        "send_stock",
        "Send stock (issue 3)",
        "a generated catalog (SKUs x 3 deposits) in a SQLite ERP, the in-process sandbox answering "
        "every request late (sizes and latency in the command), the operator's `execute()` per "
        "scenario; peak memory by `tracemalloc`. Latency: balance changes in the demo ERP, polled on "
        "the sandbox while `make demo` runs the DAG every minute.",
    ),
    Section(
        "sync_products",
        "Sync products (issue 4)",
        "demo-generator products (parents with variations, images, attributes) from a SQLite ERP to a "
        "sandbox process answering every request late; requests counted by the sandbox's request log.",
    ),
    Section(
        "send_prices",
        "Send prices (issue 4)",
        "the send-stock catalog with marketplace listings and random ERP prices, the sandbox "
        "answering late; each price scope from 'never sent', then 1 % of prices changed, then no "
        "change.",
    ),
    Section(
        "listing_health",
        "Listing health (issue 18)",
        "`seed_large_catalog` products in the sandbox, every SKU linked in a SQLite mapping DB and "
        "published by the sandbox's marketplaces (three listings per SKU), the sandbox answering late; "
        "the operator's `execute()` per pass, the budget large enough not to pace it.",
    ),
    Section(
        "kits",
        "Kits (issue 18)",
        "a SQLite ERP of kit products, each of two simple component products (2 x one + 1 x the other), "
        "every balance in the default deposit; the components sent first (kits inactive), then the kits "
        "made active; the sync_products and send_stock operators' `execute()` per step, the sandbox "
        "answering late; requests counted by the sandbox's request log.",
    ),
    Section(
        "fulfillment_stock",
        "Full stock (issue 18)",
        "`seed_large_catalog` products in the sandbox, every SKU linked in a SQLite mapping DB, the "
        "listings listing health would store (half the SKUs listed on Mercado Livre), one SKU in ten "
        "with Full stock at three CDs, a SQLite ERP with a Full deposit mapped; the operator's "
        "`execute()` per pass, the sandbox answering late, the budget large enough not to pace it.",
    ),
    Section(
        "import_catalog",
        "Import catalog (issue 4)",
        "products seeded in the sandbox (answering late) imported into an empty SQLite ERP; peak "
        "memory of a second full import under `tracemalloc`.",
    ),
    Section(
        "import_orders",
        "Import orders (issue 5)",
        "steady state: orders waiting in the feed, one run, no added latency. Backfill: orders of one "
        "day through the `created_from` Param with the sandbox answering late, under `tracemalloc`. "
        "Latency: sales made on the sandbox, polled in the demo ERP while `make demo` runs the DAG "
        "every minute, with callbacks and with every callback dropped (feed alone).",
    ),
    Section(
        "sync_order_status",
        "Sync order status (issue 6)",
        "imported orders (half needing the NF-e XML) invoiced, shipped and delivered in the ERP, one "
        "run per stage, requests from the hook's budget count. Latency: an NF-e authorized in the demo "
        "ERP, polled on the sandbox until INVOICED while `make demo` runs the DAG every minute.",
    ),
    Section(
        "budget_contention",
        "Budget under contention (issue 13)",
        "one run, two phases from a fresh state each (new mapping DB, sandbox reset, demo ERP reseeded "
        "with the products in the command, nothing on AnyMarket yet): first lanes off "
        "(`budget: {lanes: false}`, first come first served), then lanes on (the defaults: 30 % "
        "realtime reserve). The budget runs at AnyMarket's rate (5 000 requests/h) in a compressed "
        "window on both sides (sandbox `set_budget` and the connection's `requests_per_hour` / "
        "`budget_window_seconds`: 417 requests per 300 s), each phase 1.5 windows. In one process, "
        "as a scheduler would: `sync_products` back to back (the next run 5 s after one ends, waiting "
        "or not), `import_orders` from the feed every 12 s, `send_stock` every 15 s, `send_prices` "
        "every 60 s; the sandbox sells one ERP SKU every 15 s and the ERP's default-deposit balance of "
        "a SKU already on AnyMarket changes every 20 s (none in the last 60 s of a phase). Realtime "
        "needs at most ~1 260 requests/h of the 1 500 reserved. Sale → ERP: sandbox order created → "
        "its row in the ERP (polled every 0.5 s); stock → AnyMarket: ERP commit → the first accepted "
        "`PUT /stocks` with the new quantity (sandbox request log); a sale or change still missing "
        "at the end counts at its age then. Budget by lane from the mapping DB's "
        "`request_budget_usage`, per hour of phase; 429s from the sandbox log; runs counted by the "
        "bench; requests per new product from the runs' `requests_used` less brand/category/"
        "variation set-up. `make demo`'s first minutes: the demo's own sandbox request log, catalog, "
        "price and stock requests per product created (`bench/demo_first_minutes.py`).",
    ),
)

BENCHES = (
    Bench("dag_import_times", "foundation", ("--runs", "5"), ("--runs", "1"), timeout=900),
    Bench("sandbox_overhead", "foundation", ("--requests", "2000"), ("--requests", "200"), timeout=900),
    Bench("send_stock", "send_stock", ("--skus", "20000", "--latency-ms", "50"), ("--skus", "500")),
    Bench(
        "sync_products",
        "sync_products",
        ("--products", "2000", "--latency-ms", "50"),
        ("--products", "40", "--latency-ms", "5"),
    ),
    Bench(
        "send_prices",
        "send_prices",
        ("--skus", "1000", "--listings", "2", "--latency-ms", "20"),
        ("--skus", "200", "--latency-ms", "5"),
    ),
    Bench(
        "listing_health",
        "listing_health",
        ("--products", "1000", "--latency-ms", "20"),
        ("--products", "100", "--latency-ms", "2"),
    ),
    Bench("kits", "kits", ("--kits", "100", "--latency-ms", "20"), ("--kits", "10", "--latency-ms", "2")),
    Bench(
        "fulfillment_stock",
        "fulfillment_stock",
        ("--products", "1000", "--latency-ms", "20"),
        ("--products", "100", "--latency-ms", "2"),
    ),
    Bench(
        "import_catalog",
        "import_catalog",
        ("--products", "5000", "--latency-ms", "50"),
        ("--products", "200", "--latency-ms", "5"),
    ),
    Bench(
        "import_orders",
        "import_orders",
        ("--steady", "200", "--backfill", "10000", "--latency-ms", "50", "--callbacks", "20"),
        ("--steady", "50", "--backfill", "200", "--latency-ms", "5", "--callbacks", "3"),
    ),
    Bench("sync_order_status", "sync_order_status", ("--orders", "100"), ("--orders", "20")),
    Bench(
        "budget_contention",
        "budget_contention",
        ("--products", "5000", "--window", "300", "--phase", "450"),
        ("--quick",),
        timeout=2400,
    ),
    # First among the demo benches: it counts the demo account's requests from its very first one.
    Bench("demo_first_minutes", "budget_contention", ("--minutes", "7"), ("--minutes", "2"), demo=True),
    Bench(
        "send_stock_demo_latency",
        "send_stock",
        ("--changes", "12", "--interval", "10"),
        ("--skus", "3", "--changes", "3", "--interval", "5"),
        demo=True,
        timeout=1200,
    ),
    Bench(
        "import_orders_demo_latency",
        "import_orders",
        ("--orders", "10", "--interval", "6"),
        ("--orders", "3", "--interval", "3"),
        demo=True,
        timeout=1200,
    ),
    Bench(
        "sync_order_status_demo_latency",
        "sync_order_status",
        ("--orders", "8", "--interval", "8"),
        ("--orders", "2", "--interval", "5"),
        demo=True,
        timeout=1200,
    ),
)


# --- running -----------------------------------------------------------------------------------


def run_bench(bench: Bench, *, quick: bool, env: dict[str, str], out_dir: Path) -> Run:
    """Run one bench as a subprocess; its output goes to ``<out_dir>/<name>.log``, its figures to
    ``<out_dir>/figures/<name>.jsonl``."""
    argv, command = bench.argv(quick=quick), bench.command(quick=quick)
    log, figures_file = out_dir / f"{bench.name}.log", out_dir / "figures" / f"{bench.name}.jsonl"
    figures_file.parent.mkdir(parents=True, exist_ok=True)
    figures_file.unlink(missing_ok=True)
    print(f"==> {command}", flush=True)
    started = time.monotonic()
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, *argv],
            cwd=ROOT,
            env={**env, figures.ENV_VAR: str(figures_file)},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a timeout stops what it started too
        )
        try:
            code = process.wait(timeout=bench.timeout)
        except subprocess.TimeoutExpired:
            stop_group(process, grace=10)
            code = None
    seconds = time.monotonic() - started
    found = figures.read(figures_file)
    count = len(found)
    if code is None:
        status = f"timed out after {bench.timeout:.0f} s"
    elif code != 0:
        status = f"failed (exit {code}, see the log)"
    else:
        status = "ok" if count else "no figures (the bench records none yet)"
    print(f"    {status}: {count} figures in {seconds:.0f} s (log: {log.relative_to(ROOT)})", flush=True)
    return Run(bench, command, status, seconds, found)


def stop_group(process: subprocess.Popen[Any], *, grace: float) -> None:
    """SIGTERM the process group ``process`` leads, SIGKILL it after ``grace`` seconds."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children_of(pid: int) -> list[int]:
    """Direct children of ``pid`` (from /proc): the services demo.sh started, each in its own group."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            # The command name in parentheses may hold spaces: the fields after its last ')'.
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


@contextlib.contextmanager
def demo_stack(log_dir: Path) -> Iterator[dict[str, str]]:
    """``scripts/demo.sh`` on free ports in a private root, until the block ends; yields the env the
    ``*_demo_latency`` benches need to find it (ports, token, the demo's ``.run/demo``).

    demo.sh keeps its state under ``<its root>/.run``; the private root is a temporary directory of
    symlinks to this repository's entries plus a real ``.run``, so the report's demo starts clean and
    never touches the tree's own ``.run/demo`` (a ``make demo`` may be running there).
    """
    shadow = Path(tempfile.mkdtemp(prefix="anymarket-bench-demo-"))
    for entry in ROOT.iterdir():
        if entry.name != ".run":
            (shadow / entry.name).symlink_to(entry)
    ports = {"SANDBOX_PORT": free_port(), "AIRFLOW_PORT": free_port(), "DEMO_SMTP_PORT": free_port()}
    env = {k: v for k, v in os.environ.items() if k != "ANYMARKET_INTEGRATIONS_FILE"}
    env.update({key: str(port) for key, port in ports.items()})
    env["SANDBOX_TOKEN"] = env.get("SANDBOX_TOKEN", "sandbox-token")
    log = log_dir / "demo.log"
    print(f"==> starting the demo (scripts/demo.sh in {shadow}, ports {ports}; log: {log})", flush=True)
    with log.open("w") as out:
        process = subprocess.Popen(
            ["bash", str(shadow / "scripts" / "demo.sh")],
            cwd=shadow,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    services: list[int] = []
    try:
        wait_demo_ready(process, log)
        services = children_of(process.pid)
        print(f"    demo ready ({len(services)} services)", flush=True)
        yield {
            "SANDBOX_PORT": env["SANDBOX_PORT"],
            "SANDBOX_TOKEN": env["SANDBOX_TOKEN"],
            "DEMO_RUN_DIR": str(shadow / ".run" / "demo"),
        }
    finally:
        services = services or children_of(process.pid)
        stop_group(process, grace=120)  # demo.sh's trap stops every service's group
        for pgid in services:  # and if it could not, they are stopped here
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
        print("    demo stopped", flush=True)
        for name in ("airflow.log", "sandbox.log", "smtp.log"):
            source = shadow / ".run" / "demo" / name
            if source.exists():
                (log_dir / f"demo-{name}").write_bytes(source.read_bytes())
        shutil.rmtree(shadow, ignore_errors=True)  # removes the symlinks, never what they point to


def wait_demo_ready(process: subprocess.Popen[Any], log: Path) -> None:
    deadline = time.monotonic() + DEMO_START_TIMEOUT
    while DEMO_READY not in log.read_text(errors="replace"):
        if process.poll() is not None:
            raise RuntimeError(f"the demo exited ({process.returncode}) before it was ready; see {log}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the demo was not ready within {DEMO_START_TIMEOUT:.0f} s; see {log}")
        time.sleep(2)


# --- the machine ---------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    cpu = _proc_field("/proc/cpuinfo", "model name") or platform.processor() or platform.machine()
    mem_kib = _proc_field("/proc/meminfo", "MemTotal")
    ram = f"{int(mem_kib.split()[0]) / 2**20:.1f} GiB" if mem_kib else "unknown"
    return {
        "CPU": f"{cpu}, {os.cpu_count()} logical cores",
        "RAM": ram,
        "OS": f"{_os_name()} (kernel {platform.release()}, {platform.machine()})",
        "Python": platform.python_version(),
        "Airflow": _version("apache-airflow"),
        "Databases": (
            f"SQLite {sqlite3.sqlite_version} (SQLAlchemy {_version('sqlalchemy')}) for the ERP and the "
            "mapping DB in every bench and in the demo; PostgreSQL not used"
        ),
        "Load average at the start (1, 5, 15 min)": ", ".join(f"{value:.2f}" for value in os.getloadavg()),
    }


def _proc_field(path: str, field: str) -> str | None:
    with contextlib.suppress(OSError):
        for line in Path(path).read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == field:
                return value.strip()
    return None


def _os_name() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    return platform.platform()


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def git_commit(root: Path = ROOT) -> str:
    """The checked-out commit, read from ``.git`` (no git process): ``<sha> (<branch>)``."""
    git = root / ".git"
    with contextlib.suppress(OSError):
        if git.is_file():  # a worktree: "gitdir: <path>"
            git = (root / git.read_text().split(":", 1)[1].strip()).resolve()
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head
        ref = head[5:]
        branch = ref.removeprefix("refs/heads/")
        if (git / ref).exists():
            return f"{(git / ref).read_text().strip()} ({branch})"
        packed = (git / "packed-refs").read_text() if (git / "packed-refs").exists() else ""
        for line in packed.splitlines():
            if line.endswith(" " + ref):
                return f"{line.split()[0]} ({branch})"
        return f"no commit yet ({branch})"
    return "unknown (no .git)"


# --- the report ----------------------------------------------------------------------------------


def number(value: float) -> str:
    """A figure as people read it: whole numbers whole, others to 3 significant digits."""
    if value == int(value) or abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}"


def verdict(figure: dict[str, Any]) -> str:
    return {None: "—", True: "yes", False: "**NO**"}[figures.met(figure)]


def target_cell(figure: dict[str, Any]) -> str:
    if figure.get("target") is None:
        return "—"
    return f"{SYMBOLS[figure['comparison']]} {number(figure['target'])} {figure['unit']}".rstrip()


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def figure_row(figure: dict[str, Any]) -> str:
    name = _cell(figure["name"]) + (f" — *{_cell(figure['note'])}*" if figure.get("note") else "")
    measured = f"{number(figure['value'])} {figure['unit']}".rstrip()
    return (
        f"| {name} | {_cell(measured)} | {_cell(target_cell(figure))} "
        f"| {verdict(figure)} | `{_cell(figure.get('command', ''))}` |"
    )


def render(
    found: list[dict[str, Any]],
    runs: list[Run],
    host: dict[str, str],
    *,
    commit: str,
    started: dt.datetime,
    seconds: float,
    quick: bool,
) -> str:
    """BENCHMARKS.md from the figures ``found`` and how each bench ``runs`` went."""
    with_target = [f for f in found if f.get("target") is not None]
    missed = [f for f in with_target if not figures.met(f)]
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make benchmarks` (`.venv/bin/python bench/report.py`) — do not edit by hand. "
        "Every figure below was measured in this one run; a ratio (requests per order, per product, per "
        "status change...) is computed from counts of the same bench run, shown in italics.",
        "",
    ]
    if quick:
        lines += [
            "> **Quick run** (`--quick`): small sizes to check the pipeline, not the figures of record.",
            "",
        ]
    lines += [
        f"- Date: {started:%Y-%m-%d %H:%M} UTC; the whole run took {seconds / 60:.1f} min",
        f"- Commit: {commit}",
        *(f"- {key}: {value}" for key, value in host.items()),
        f"- Targets: {len(with_target) - len(missed)} of {len(with_target)} met"
        + (f"; missed: {'; '.join(_cell(f['name']) for f in missed)}" if missed else ""),
        "",
        "The machine is shared (see the load averages), so wall times and latencies are upper bounds; "
        "request counts do not depend on it.",
        "",
    ]
    known = {section.key for section in SECTIONS}
    extra = sorted({f["section"] for f in found} - known)
    for section in [*SECTIONS, *(Section(key, key, "") for key in extra)]:
        lines += render_section(section, [f for f in found if f["section"] == section.key], runs)
    lines += [
        "## Runs",
        "",
        "| bench | status | time | figures |",
        "|---|---|---|---|",
        *(
            f"| `{run.command}` | {_cell(run.status)} | {run.seconds:.0f} s | {len(run.figures)} |"
            for run in runs
        ),
        "",
    ]
    return "\n".join(lines)


def render_section(section: Section, found: list[dict[str, Any]], runs: list[Run]) -> list[str]:
    section_runs = [run for run in runs if run.bench.section == section.key]
    lines = [f"## {section.title}", ""]
    if found:
        lines += ["| figure | measured | target | met? | command |", "|---|---|---|---|---|"]
        lines += [figure_row(figure) for figure in found]
    elif section_runs:
        lines.append("No figures recorded.")
    else:
        lines.append("Not run in this report (`--only`).")
    lines.append("")
    if section.how:
        lines += [f"How measured: {section.how}", ""]
    not_ok = [run for run in section_runs if run.status != "ok"]
    if not_ok:
        lines += [f"- `{run.command}`: {_cell(run.status)}" for run in not_ok] + [""]
    return lines


# --- main ----------------------------------------------------------------------------------------


def selected(only: list[str] | None, skip_demo: bool) -> tuple[list[Bench], list[Bench]]:
    """(benches to run, benches skipped) for the options."""
    names = {bench.name for bench in BENCHES}
    unknown = sorted(set(only or ()) - names)
    if unknown:
        raise SystemExit(f"--only: unknown bench {', '.join(unknown)} (known: {', '.join(sorted(names))})")
    wanted = [bench for bench in BENCHES if not only or bench.name in only]
    skipped = [bench for bench in wanted if bench.demo and skip_demo]
    return [bench for bench in wanted if bench not in skipped], skipped


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, to check the pipeline")
    parser.add_argument("--only", nargs="+", metavar="BENCH", help="run only these benches (script names)")
    parser.add_argument("--skip-demo", action="store_true", help="leave out the *_demo_latency benches")
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args(argv)
    to_run, skipped = selected(args.only, args.skip_demo)

    started, clock = dt.datetime.now(dt.UTC), time.monotonic()
    host = machine()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != figures.ENV_VAR}
    runs = [
        run_bench(bench, quick=args.quick, env=env, out_dir=OUT_DIR) for bench in to_run if not bench.demo
    ]
    demo_benches = [bench for bench in to_run if bench.demo]
    if demo_benches:
        runs += run_with_demo(demo_benches, quick=args.quick, env=env)
    runs += [Run(bench, bench.command(quick=args.quick), "skipped (--skip-demo)") for bench in skipped]

    host["Load average at the end"] = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    found = [figure for run in runs for figure in run.figures]
    text = render(
        found,
        runs,
        host,
        commit=git_commit(),
        started=started,
        seconds=time.monotonic() - clock,
        quick=args.quick,
    )
    args.output.write_text(text, encoding="utf-8")
    print(f"\nwrote {args.output} ({len(found)} figures; {time.monotonic() - clock:.0f} s)")


def run_with_demo(benches: list[Bench], *, quick: bool, env: dict[str, str]) -> list[Run]:
    """The demo benches against one demo started for them; if it does not start, each is reported
    as not run with the reason."""
    runs: list[Run] = []
    try:
        with demo_stack(OUT_DIR) as demo_env:
            for bench in benches:
                runs.append(run_bench(bench, quick=quick, env={**env, **demo_env}, out_dir=OUT_DIR))
    except RuntimeError as error:
        print(f"    {error}", flush=True)
        done = {run.bench.name for run in runs}
        runs += [
            Run(bench, bench.command(quick=quick), f"not run: {error}")
            for bench in benches
            if bench.name not in done
        ]
    return runs


if __name__ == "__main__":
    main()
