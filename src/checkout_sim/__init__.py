"""checkout-sim: queueing scenarios in YAML, run as real asyncio producers and consumers.

The public surface is small: read a scenario (:func:`load_scenario`), run it
(:func:`run`) and read the :class:`Summary`; the event log is written as you go.

The names are imported when first used, so ``import checkout_sim`` itself is quick:
the command catches signals before it loads pydantic, asyncio and the engine.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config.loader import Problem, ScenarioError, load_scenario, parse_scenario
    from .config.scenario import Scenario
    from .engine.clock import SimulationStalled
    from .observe.summary import SegmentSummary, Summary
    from .runner import Interrupted, replicate, run

    __version__: str

#: Each public name and the module it is imported from on first use (its home in the docs;
#: ``Interrupted`` is defined by the engine and offered by the runner, which raises it).
_HOMES = {
    "Interrupted": "runner",
    "Problem": "config.loader",
    "Scenario": "config.scenario",
    "ScenarioError": "config.loader",
    "SegmentSummary": "observe.summary",
    "SimulationStalled": "engine.clock",
    "Summary": "observe.summary",
    "load_scenario": "config.loader",
    "parse_scenario": "config.loader",
    "replicate": "runner",
    "run": "runner",
}

__all__ = [
    "Interrupted",
    "Problem",
    "Scenario",
    "ScenarioError",
    "SegmentSummary",
    "SimulationStalled",
    "Summary",
    "__version__",
    "load_scenario",
    "parse_scenario",
    "replicate",
    "run",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use (PEP 562), and keep it."""
    if name == "__version__":
        value: Any = _version()
    elif name in _HOMES:
        value = getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    else:
        raise AttributeError(f"module 'checkout_sim' has no attribute {name!r}")
    globals()[name] = value
    return value


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("checkout-sim")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
