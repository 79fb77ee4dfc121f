"""Run the soak: set up, chaos phase, quiet phase, invariant check (see ``bench/soak/__init__.py``)."""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.soak import chaos
from bench.soak.checker import check, render
from bench.soak.clerk import ErpClerk
from bench.soak.snapshot import collect_world
from bench.soak.stack import INTEGRATION, Stack, StackConfig, every_minute_automations, wait_until

CLERK_EVERY = 2.0  # seconds between two rounds of ERP work
BURST_EVERY = 45.0  # seconds between two 429 bursts
#: When the catch-up counts as done: this many finished runs of every every-minute automation that
#: started after the feed and the callback inbox were empty with the faults off.
CATCH_UP_RUNS = 2


@dataclass
class SoakOptions:
    minutes: float
    quiet_max_minutes: float
    demo_interval: float
    requests_per_hour: int
    seed: int
    products: int
    kills: int
    workdir: Path


def log(message: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run_soak(options: SoakOptions) -> int:
    """The whole soak; returns the process exit code (0 = every invariant held)."""
    from anymarket import automations
    from anymarket.settings import get_integration
    from anymarket_sandbox.admin import SandboxAdmin

    started = time.monotonic()
    stack = Stack(
        StackConfig(
            workdir=options.workdir,
            demo_interval=options.demo_interval,
            requests_per_hour=options.requests_per_hour,
            seed=options.seed,
            products=options.products,
        )
    )
    names = automations.names()
    report: dict[str, Any] = {
        "automations": list(names),
        "options": {**vars(options), "workdir": str(options.workdir)},
    }
    try:
        log(f"automations: {', '.join(names)}; work dir {options.workdir}")
        stack.prepare()
        stack.start_sandbox()
        admin = SandboxAdmin(stack.sandbox_url)
        admin.pause_demo(True)  # no marketplace activity until Airflow runs
        admin.clear_requests()  # from here on the log holds only the integration's requests
        admin.set_budget(clear_usage=True)
        log("starting airflow standalone (db migrate, pool, scheduler, dag-processor, api-server)")
        stack.start_airflow()
        wait_until(
            "install_deposits to link the deposits (is the scheduler running?)",
            lambda: _deposits_linked(stack.mapping_url),
            300,
            interval=3,
        )
        setup_seconds = time.monotonic() - started
        log(f"set-up done in {setup_seconds:.0f} s; chaos phase for {options.minutes:g} min")

        clerk = ErpClerk(stack.erp_url, seed=options.seed)
        killer = chaos.TaskKiller(
            root_pid=stack.processes["airflow"].pid, metadata_db=stack.run / "airflow" / "airflow.db"
        )
        _chaos_phase(options, admin, clerk, killer, stack)
        log(f"chaos over: clerk did {dict(clerk.done)}; kills: {len(killer.kills)}")

        admin.set_faults(**chaos.QUIET_FAULTS)
        admin.pause_demo(True)
        quiet_started = time.monotonic()
        caught_up = _catch_up(options, admin, stack, names)
        quiet_seconds = time.monotonic() - quiet_started
        verdict = "caught up" if caught_up else "NOT caught up: cap reached"
        log(f"quiet period: {quiet_seconds:.0f} s ({verdict})")

        settings = get_integration(INTEGRATION, stack.integrations_file)
        world = collect_world(
            settings=settings,
            admin=admin,
            erp_url=stack.erp_url,
            mapping_url=stack.mapping_url,
            connection_requests_per_hour=stack.connection_requests_per_hour,
            with_catalog="sync_products" in names,
            validating=stack.validating,
        )
        results = check(world)
        report.update(
            setup_seconds=round(setup_seconds),
            quiet_seconds=round(quiet_seconds),
            caught_up=caught_up,
            clerk=dict(clerk.done),
            kills=[k.what for k in killer.kills],
            figures=_figures(world, admin),
            invariants={r.name: {"checked": r.checked, "violations": r.violations} for r in results},
        )
        clerk.close()
    finally:
        stack.stop()
    report["total_seconds"] = round(time.monotonic() - started)
    (options.workdir / "report.json").write_text(json.dumps(report, indent=2, default=str))
    print()
    print(_figures_text(report))
    print()
    print(render(results))
    failed = [r.name for r in results if not r.ok]
    print()
    print(
        f"soak {'FAILED: ' + ', '.join(failed) if failed else 'passed'} — chaos {options.minutes:g} min, "
        f"quiet {report['quiet_seconds']} s, total {report['total_seconds']} s "
        f"(report: {options.workdir}/report.json)"
    )
    return 1 if failed else 0


def _chaos_phase(
    options: SoakOptions, admin: Any, clerk: ErpClerk, killer: chaos.TaskKiller, stack: Stack
) -> None:
    admin.set_faults(**chaos.CHAOS_FAULTS, seed=options.seed)
    admin.pause_demo(False)
    seconds = options.minutes * 60
    kill_at = [seconds * (n + 1) / (options.kills + 1) for n in range(options.kills)]
    begin = time.monotonic()
    last_burst = begin
    while (elapsed := time.monotonic() - begin) < seconds:
        if stack.dead():
            raise RuntimeError(f"process(es) died during the soak: {stack.dead()}; see {stack.run}")
        clerk.tick()
        if time.monotonic() - last_burst >= BURST_EVERY:
            admin.set_faults(**chaos.BURST)
            last_burst = time.monotonic()
        if kill_at and elapsed >= kill_at[0]:
            # The first kill: import_orders mid feed drain (the clerk waits for it, at most 75 s).
            first = len(kill_at) == options.kills
            kill = chaos.kill_mid_feed_drain(admin, killer, timeout=75) if first else killer.kill_one()
            if kill is not None or first or elapsed - kill_at[0] > 60:
                kill_at.pop(0)
                log(f"killed -9 {kill.pid}: {kill.what}" if kill else "no task to kill came up in time")
        time.sleep(CLERK_EVERY)


def _catch_up(options: SoakOptions, admin: Any, stack: Stack, names: tuple[str, ...]) -> bool:
    """Faults off, no new activity: wait until the feed and inbox are empty, then until every
    every-minute automation finished :data:`CATCH_UP_RUNS` runs started after that. Capped."""
    from anymarket.mapping import models as m
    from anymarket.mapping.database import utcnow

    deadline = time.monotonic() + options.quiet_max_minutes * 60
    engine = sa.create_engine(stack.mapping_url)
    try:
        while time.monotonic() < deadline:
            unacked = sum(1 for item in admin.feed_state() if not item["acked"])
            with engine.connect() as conn:
                pending = conn.execute(
                    sa.text("SELECT COUNT(*) FROM callback_inbox WHERE status = 'pending'")
                ).scalar()
            if not unacked and not pending:
                break
            time.sleep(3)
        else:
            return False
        mark = utcnow()
        minute_automations = every_minute_automations()
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                started_after = sa.select(m.run_summaries.c.automation).where(
                    m.run_summaries.c.started_at >= mark
                )
                runs = Counter(conn.execute(started_after).scalars())
            if all(runs[n] >= CATCH_UP_RUNS for n in minute_automations):
                return True
            time.sleep(5)
        return False
    finally:
        engine.dispose()


def _deposits_linked(mapping_url: str) -> bool:
    from anymarket.mapping.database import MappingDatabase

    mapping = MappingDatabase.from_url(mapping_url)
    try:
        return bool(mapping.mappings_of(INTEGRATION, "deposit"))
    finally:
        mapping.engine.dispose()


def _figures(world: Any, admin: Any) -> dict[str, Any]:
    deliveries = admin.deliveries()
    return {
        "orders_by_status": dict(Counter(o["status"] for o in world.orders)),
        "orders": len(world.orders),
        "erp_sales_orders": len(world.erp_orders),
        "requests": len(world.requests),
        "faults": dict(Counter(r.get("fault") for r in world.requests if r.get("fault"))),
        "callbacks": {
            "sent": len(deliveries),
            "dropped": sum(1 for d in deliveries if d["dropped"]),
            "duplicates": sum(1 for d in deliveries if d["duplicate"]),
        },
        "budget_counted": sum(u for _, u in world.budget_usage),
    }


def _figures_text(report: dict[str, Any]) -> str:
    f = report.get("figures") or {}
    return "\n".join(
        [
            f"automations:     {', '.join(report['automations'])}",
            f"set-up:          {report.get('setup_seconds')} s",
            f"orders:          {f.get('orders')} on AnyMarket {f.get('orders_by_status')}, "
            f"{f.get('erp_sales_orders')} ERP sales orders",
            f"ERP clerk:       {report.get('clerk')}",
            f"worker kills:    {len(report.get('kills') or [])} {report.get('kills')}",
            f"requests:        {f.get('requests')} reached the sandbox; faults injected {f.get('faults')}; "
            f"budget counted {f.get('budget_counted')}",
            f"callbacks:       {f.get('callbacks')}",
        ]
    )
