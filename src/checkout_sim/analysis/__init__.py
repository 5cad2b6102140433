"""What is made of runs: theory, confidence intervals, sweeps and goals, reports, summaries for people.

The names are imported from their modules when first used (PEP 562), as the package's
own are: ``run-scenario`` loads a sweep's processes, a report's pages, the theory or the
summaries only when a flag asks for them, so a plain run starts sooner. Type checkers read the imports
below; ``_HOMES`` says where each name lives, for the lazy path.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .batch_means import BatchMeans, batch_means
    from .confidence import Interval, bounded_interval
    from .display import format_intervals, format_replications, format_summary, format_sweep, format_theory
    from .goals import DEFAULT_MINIMIZE, Goal, GoalError, parse_goal
    from .plan_display import format_plan
    from .plan_report import write_plan_report
    from .plan_yaml import moved_copy, planned_copy, roster_yaml
    from .planning import (
        PlanError,
        PlanInterrupted,
        PlanResult,
        Unreachable,
        check_plan,
        make_plan,
        roster_of,
    )
    from .report import (
        LiveReport,
        ReportError,
        ReportUnwritable,
        build_report,
        read_events,
        require_plotting,
    )
    from .sweep import (
        Runners,
        SweepError,
        SweepInterrupted,
        SweepPlan,
        SweepResult,
        Variant,
        check_dask_address,
        plan_sweep,
        run_plan,
        run_sweep,
    )
    from .theory import Prediction, predict

#: Each public name and the module (of this part) it is imported from on first use.
_HOMES = {
    "BatchMeans": "batch_means",
    "batch_means": "batch_means",
    "Interval": "confidence",
    "bounded_interval": "confidence",
    "format_replications": "display",
    "format_intervals": "display",
    "format_summary": "display",
    "format_sweep": "display",
    "format_theory": "display",
    "DEFAULT_MINIMIZE": "goals",
    "Goal": "goals",
    "GoalError": "goals",
    "parse_goal": "goals",
    "format_plan": "plan_display",
    "write_plan_report": "plan_report",
    "moved_copy": "plan_yaml",
    "planned_copy": "plan_yaml",
    "roster_yaml": "plan_yaml",
    "PlanError": "planning",
    "PlanInterrupted": "planning",
    "PlanResult": "planning",
    "Unreachable": "planning",
    "check_plan": "planning",
    "make_plan": "planning",
    "roster_of": "planning",
    "LiveReport": "report",
    "ReportError": "report",
    "ReportUnwritable": "report",
    "build_report": "report",
    "read_events": "report",
    "require_plotting": "report",
    "SweepError": "sweep",
    "SweepInterrupted": "sweep",
    "SweepPlan": "sweep",
    "Runners": "sweep",
    "check_dask_address": "sweep",
    "SweepResult": "sweep",
    "Variant": "sweep",
    "plan_sweep": "sweep",
    "run_plan": "sweep",
    "run_sweep": "sweep",
    "Prediction": "theory",
    "predict": "theory",
}

__all__ = [
    "DEFAULT_MINIMIZE",
    "BatchMeans",
    "Goal",
    "GoalError",
    "Interval",
    "LiveReport",
    "PlanError",
    "PlanInterrupted",
    "PlanResult",
    "Prediction",
    "ReportError",
    "ReportUnwritable",
    "Runners",
    "SweepError",
    "SweepInterrupted",
    "SweepPlan",
    "SweepResult",
    "Unreachable",
    "Variant",
    "batch_means",
    "bounded_interval",
    "build_report",
    "check_dask_address",
    "check_plan",
    "format_intervals",
    "format_plan",
    "format_replications",
    "format_summary",
    "format_sweep",
    "format_theory",
    "make_plan",
    "moved_copy",
    "parse_goal",
    "plan_sweep",
    "planned_copy",
    "predict",
    "read_events",
    "require_plotting",
    "roster_of",
    "roster_yaml",
    "run_plan",
    "run_sweep",
    "write_plan_report",
]


def __getattr__(name: str) -> Any:
    """A public name imported from its module on first use, and kept; or a submodule by name.

    Submodules are offered as attributes as they were when this face imported them all
    (``checkout_sim.analysis.sweep`` after ``import checkout_sim.analysis``).
    """
    if name in _HOMES:
        value = getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    elif not name.startswith("_") and name.isidentifier():
        try:
            value = importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as missing:
            if missing.name != f"{__name__}.{name}":
                raise  # the submodule exists and something it imports does not
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def loaded(name: str) -> Any:
    """The public name's object if its module is imported already, else None; it imports nothing.

    For code that must recognise this part's exceptions without loading their modules (the
    command's error handling): an exception whose module was never imported was never raised.
    """
    module = sys.modules.get(f"{__name__}.{_HOMES[name]}")
    return None if module is None else getattr(module, name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def _bind_module_names() -> None:
    """Bind now each name that is also a module of this part (``batch_means``: a function, a module).

    Importing a submodule sets the package's attribute of its name to the module, after
    which ``__getattr__`` is never asked: ``from checkout_sim.analysis import batch_means``
    would give the module once anything had imported it. The face that imported everything
    bound the function last; so does this.
    """
    for name in _HOMES.keys() & _HOMES.values():
        __getattr__(name)


_bind_module_names()
