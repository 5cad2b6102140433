"""checkout-sim: queueing scenarios in YAML, run as real asyncio producers and consumers.

The public surface is small: read a scenario (:func:`load_scenario`), run it
(:func:`run`) and read the :class:`Summary`; the event log is written as you go.
"""

from importlib.metadata import PackageNotFoundError, version

from ._clock import SimulationStalled
from .loader import Problem, ScenarioError, load_scenario, parse_scenario
from .runner import Interrupted, replicate, run
from .scenario import Scenario
from .summary import SegmentSummary, Summary

try:
    __version__ = version("checkout-sim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

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
