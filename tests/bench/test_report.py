"""The figures API the benches call and the BENCHMARKS.md rendering (no bench is run here)."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from pathlib import Path

import pytest

from bench import figures, report

HOST = {"CPU": "Test CPU, 2 logical cores", "Python": "3.11.7", "Airflow": "3.3.2"}


@pytest.fixture
def figures_file(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "figures.jsonl"
    monkeypatch.setenv(figures.ENV_VAR, str(path))
    return path


def test_record_writes_nothing_without_the_env_var(tmp_path, monkeypatch):
    monkeypatch.delenv(figures.ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    figures.record("send_stock", "requests", 3, "requests", target=3)
    assert list(tmp_path.iterdir()) == []


def test_record_appends_one_json_line_per_figure(figures_file, monkeypatch):
    monkeypatch.setattr("sys.argv", [str(report.ROOT / "bench" / "send_stock.py"), "--skus", "500"])
    figures.record("send_stock", "first full send, requests", 300, "requests", target=302, note="60000 rows")
    figures.record("send_stock", "peak memory", 37.5, "MiB")
    lines = [json.loads(line) for line in figures_file.read_text().splitlines()]
    assert lines[0] | {"recorded_at": None} == {
        "section": "send_stock",
        "name": "first full send, requests",
        "value": 300.0,
        "unit": "requests",
        "target": 302.0,
        "comparison": "<=",
        "note": "60000 rows",
        "command": "bench/send_stock.py --skus 500",
        "recorded_at": None,
    }
    assert lines[1]["target"] is None and lines[1]["value"] == 37.5
    assert figures.read(figures_file) == lines


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"value": 1, "target": 2, "comparison": "=<"}, "comparison '=<'"),
        ({"value": math.nan}, "value nan"),
        ({"value": 1, "target": math.inf}, "target inf"),
    ],
)
def test_record_refuses_what_it_cannot_compare(figures_file, kwargs, message):
    value = kwargs.pop("value")
    with pytest.raises(ValueError, match=message):
        figures.record("send_stock", "x", value, "s", **kwargs)
    assert not figures_file.exists()


@pytest.mark.parametrize(
    ("value", "comparison", "target", "expected"),
    [
        (2.04, "<=", 2.05, True),
        (2.06, "<=", 2.05, False),
        (90, "<", 90, False),
        (1, "==", 1, True),
        (2, "==", 1, False),
        (11, ">=", 12, False),
        (12, ">=", 12, True),
        (5, "<=", None, None),
    ],
)
def test_met_holds_the_value_against_the_target(value, comparison, target, expected):
    assert figures.met({"value": value, "comparison": comparison, "target": target}) is expected


def test_record_latencies_reports_seen_percentiles_and_max(figures_file):
    figures.record_latencies("send_stock", "lat", [30.0, 10.0, 20.0, 95.0], expected=5, p95_target=90)
    by_name = {f["name"]: f for f in figures.read(figures_file)}
    assert by_name["lat: seen"]["value"] == 4 and not figures.met(by_name["lat: seen"])
    assert by_name["lat: p50"]["value"] == 25.0
    assert by_name["lat: p95"]["value"] == 95.0 and not figures.met(by_name["lat: p95"])
    assert by_name["lat: max"]["value"] == 95.0


def test_record_latencies_with_nothing_seen_records_only_the_count(figures_file):
    figures.record_latencies("send_stock", "lat", [], expected=3, p95_target=None)
    assert [(f["name"], f["value"], f["target"]) for f in figures.read(figures_file)] == [("lat: seen", 0, 3)]


def figure(section: str, name: str, value: float, unit: str, target=None, comparison="<=", note=""):
    return {
        "section": section,
        "name": name,
        "value": value,
        "unit": unit,
        "target": target,
        "comparison": comparison,
        "note": note,
        "command": f"bench/{section}.py",
    }


def bench(name: str, section: str) -> report.Bench:
    return report.Bench(name, section, ("--n", "1"))


def render(found, runs, *, quick=False) -> str:
    return report.render(
        found,
        runs,
        HOST,
        commit="abc123 (main)",
        started=dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC),
        seconds=1800,
        quick=quick,
    )


def test_render_puts_each_figure_next_to_its_target_in_its_section():
    found = [
        figure(
            "send_stock", "first full send, requests", 300, "requests", 302, note="60000 rows | batch 200"
        ),
        figure("send_stock", "peak traced memory", 37.4567, "MiB"),
        figure("import_orders", "requests per order", 2.1, "requests/order", 2.05),
        figure("import_orders", "with callbacks: seen", 10, "", 10, ">="),
    ]
    runs = [
        report.Run(
            bench("send_stock", "send_stock"), ".venv/bin/python bench/send_stock.py", "ok", 61, found[:2]
        ),
        report.Run(bench("import_orders", "import_orders"), "import", "ok", 30, found[2:]),
        report.Run(
            bench("sync_products", "sync_products"), "sp", "no figures (the bench records none yet)", 5
        ),
        report.Run(bench("x_demo_latency", "sync_order_status"), "demo", "skipped (--skip-demo)"),
    ]
    text = render(found, runs)

    assert "do not edit by hand" in text and "`make benchmarks`" in text
    assert "- Date: 2026-03-02 12:00 UTC; the whole run took 30.0 min" in text
    assert "- Commit: abc123 (main)" in text and "- CPU: Test CPU, 2 logical cores" in text
    assert "- Targets: 2 of 3 met; missed: requests per order" in text
    assert "Quick run" not in text
    assert (
        "| first full send, requests — *60000 rows \\| batch 200* | 300 requests | ≤ 302 requests | yes "
        "| `bench/send_stock.py` |"
    ) in text
    assert "| peak traced memory | 37.5 MiB | — | — | `bench/send_stock.py` |" in text
    assert "| requests per order | 2.1 requests/order | ≤ 2.05 requests/order | **NO** |" in text
    assert "| with callbacks: seen | 10 | ≥ 10 | yes |" in text
    # Each table under its own section, in the issues' order.
    send_stock = text.index("## Send stock (issue 3)")
    orders = text.index("## Import orders (issue 5)")
    assert send_stock < text.index("| first full send") < orders < text.index("| requests per order")
    sync_products = text[text.index("## Sync products") : text.index("## Send prices")]
    assert (
        "No figures recorded." in sync_products and "no figures (the bench records none yet)" in sync_products
    )
    prices = text[text.index("## Send prices") : text.index("## Import catalog")]
    assert "Not run in this report (`--only`)." in prices
    status = text[text.index("## Sync order status") : text.index("## Runs")]
    assert "`demo`: skipped (--skip-demo)" in status
    assert "| `.venv/bin/python bench/send_stock.py` | ok | 61 s | 2 |" in text


def test_render_marks_a_quick_run_and_keeps_unknown_sections():
    found = [figure("soak", "invariants violated", 0, "", 0, "==")]
    text = render(found, [report.Run(bench("soak", "soak"), "soak", "ok", 1, found)], quick=True)
    assert "**Quick run**" in text
    assert "## soak" in text and "| invariants violated | 0 | = 0 | yes |" in text


@pytest.mark.parametrize(
    ("value", "shown"), [(300.0, "300"), (2.04, "2.04"), (0.05432, "0.0543"), (1453.7, "1454")]
)
def test_number_formats_figures_for_reading(value, shown):
    assert report.number(value) == shown


def test_selected_runs_only_what_was_asked():
    to_run, skipped = report.selected(["send_stock", "send_stock_demo_latency"], skip_demo=True)
    assert [b.name for b in to_run] == ["send_stock"]
    assert [b.name for b in skipped] == ["send_stock_demo_latency"]
    with pytest.raises(SystemExit, match="unknown bench nope"):
        report.selected(["nope"], skip_demo=False)


def test_every_bench_exists_and_belongs_to_a_section():
    sections = {section.key for section in report.SECTIONS}
    for entry in report.BENCHES:
        assert (report.ROOT / entry.script).is_file(), entry.script
        assert entry.section in sections, entry.name


def test_git_commit_is_read_from_the_git_directory(tmp_path):
    git = tmp_path / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (git / "packed-refs").write_text("# pack-refs\nfeedbeef refs/heads/main\n")
    assert report.git_commit(tmp_path) == "feedbeef (main)"
    (git / "refs" / "heads" / "main").write_text("abc123\n")
    assert report.git_commit(tmp_path) == "abc123 (main)"
    (git / "HEAD").write_text("0123456789abcdef\n")
    assert report.git_commit(tmp_path) == "0123456789abcdef"


def test_the_budget_contention_section_shows_both_phases_in_one_table():
    found = [
        figure("budget_contention", "lanes off: sale → ERP p95", 240.0, "s", note="30 sales"),
        figure("budget_contention", "lanes on: sale → ERP p95", 12.5, "s", 30, "<", note="30 sales"),
        figure("budget_contention", "lanes on: 429s received", 0, "", 0, "=="),
    ]
    entry = next(b for b in report.BENCHES if b.name == "budget_contention")
    text = render(found, [report.Run(entry, entry.command(quick=False), "ok", 900, found)])
    section = text[text.index("## Budget under contention (issue 13)") : text.index("## Runs")]
    assert "| lanes off: sale → ERP p95 — *30 sales* | 240 s | — | — |" in section
    assert "| lanes on: sale → ERP p95 — *30 sales* | 12.5 s | < 30 s | yes |" in section
    assert "| lanes on: 429s received | 0 | = 0 | yes |" in section
    assert "How measured: one run, two phases" in section
    assert text.index("## Sync order status") < text.index("## Budget under contention")
    assert entry.argv(quick=True) == ["bench/budget_contention.py", "--quick"]


@pytest.mark.slow
def test_the_budget_contention_bench_runs_quick_through_the_report():
    """The whole pipeline on the real bench at --quick sizes (about 1.5 min): both phases record
    their figures, and every lanes-on target is there to be judged."""
    entry = next(b for b in report.BENCHES if b.name == "budget_contention")
    env = {k: v for k, v in os.environ.items() if k not in (figures.ENV_VAR, "ANYMARKET_INTEGRATIONS_FILE")}
    out_dir = report.OUT_DIR / "pytest"  # under the repository: run_bench names logs relative to it
    out_dir.mkdir(parents=True, exist_ok=True)
    run = report.run_bench(entry, quick=True, env=env, out_dir=out_dir)
    assert run.status == "ok", (out_dir / "budget_contention.log").read_text()[-3000:]
    names = {f["name"] for f in run.figures}
    for lanes in ("lanes off", "lanes on"):
        for name in (
            "sale → ERP p95",
            "stock change → AnyMarket p95",
            "products created per hour",
            "budget used by bulk",
            "429s received",
            "failed runs",
            "requests per new product (sync_products + send_prices + send_stock)",
        ):
            assert f"{lanes}: {name}" in names, (lanes, name, sorted(names))
    by_name = {f["name"]: f for f in run.figures}
    assert by_name["lanes on: products created per hour"]["value"] > 0
    assert by_name["lanes on: sale → ERP p95"]["target"] == 30
    text = render(run.figures, [run], quick=True)
    assert "| lanes on: 429s received — *" in text
