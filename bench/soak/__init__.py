"""Chaos soak of one integration: every automation on its schedule in a real Airflow, against the
AnyMarket sandbox with faults injected, while an ERP clerk works the orders — then an invariant
checker compares AnyMarket, the ERP and the mapping DB.

    .venv/bin/python -m bench.soak --minutes 10      # or: make soak (SOAK_MINUTES, default 3)

Modules: :mod:`~bench.soak.stack` (processes and wiring), :mod:`~bench.soak.chaos` (faults, worker
kills), :mod:`~bench.soak.clerk` (the ERP's users), :mod:`~bench.soak.snapshot` and
:mod:`~bench.soak.checker` (the invariants), :mod:`~bench.soak.runner` (the phases). README.md,
"Soak test", explains the settings and the quiet period.
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
# Run as `python -m bench.soak` from the repository: the project's packages live in plugins/.
for _path in (str(_ROOT / "plugins"), str(_ROOT)):
    if _path not in sys.path:
        sys.path.insert(0, _path)
