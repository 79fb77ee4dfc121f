"""The :class:`Sandbox` object the app carries: settings, state, faults, budget, callbacks, demo."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from anymarket_sandbox.behaviour import BehaviourHolder
from anymarket_sandbox.callbacks import CallbackDispatcher
from anymarket_sandbox.config import SandboxSettings
from anymarket_sandbox.faults import FaultInjector, RequestBudget
from anymarket_sandbox.state import Account, SandboxState

if TYPE_CHECKING:
    from anymarket_sandbox.demo import DemoGenerator


class Sandbox:
    """Holds everything one running sandbox needs; routes reach it through ``app.state.sandbox``."""

    def __init__(self, settings: SandboxSettings) -> None:
        self.settings = settings
        self.state = SandboxState(settings.token, settings.oi)
        self.faults = FaultInjector(settings.seed)
        self.budget = RequestBudget(settings.requests_per_hour)
        self.callbacks = CallbackDispatcher(self)
        self.demo: DemoGenerator | None = None
        self.behaviour = BehaviourHolder(settings.behaviour)
        # Spec violations of /v2 traffic (settings.validate_openapi); kept across resets.
        self.conformance: Any = None
        if settings.validate_openapi:
            from anymarket_sandbox.conformance import TrafficValidator

            self.conformance = TrafficValidator()

    def order_changed(self, account: Account, order_id: int) -> None:
        """An order was created or changed: new feed token, callbacks in the background."""
        with self.state.lock:
            self.state.touch_feed(account, order_id)
            callbacks = list(account.callbacks.values())
        self.callbacks.order_changed(account.oi, order_id, callbacks)

    def reset(self) -> None:
        """Back to a fresh start: state, faults, budget, log, extra tokens (demo locals re-seeded)."""
        self.state.reset()
        self.faults.reset(self.settings.seed)
        self.budget.reset()
        self.behaviour.reset()
        if self.demo is not None:
            self.demo.seed_locals()

    def close(self) -> None:
        if self.demo is not None:
            self.demo.stop()
        self.callbacks.close()
