"""What is made of runs: theory, confidence intervals, sweeps and goals, reports, summaries for people."""

from .batch_means import BatchMeans, batch_means
from .confidence import Interval, bounded_interval
from .display import format_replications, format_summary, format_sweep, format_theory
from .goals import DEFAULT_MINIMIZE, Goal, GoalError, parse_goal
from .report import LiveReport, ReportError, ReportUnwritable, build_report, read_events, require_plotting
from .sweep import (
    SweepError,
    SweepInterrupted,
    SweepPlan,
    SweepResult,
    Variant,
    plan_sweep,
    run_plan,
    run_sweep,
)
from .theory import Prediction, predict

__all__ = [
    "DEFAULT_MINIMIZE",
    "BatchMeans",
    "Goal",
    "GoalError",
    "Interval",
    "LiveReport",
    "Prediction",
    "ReportError",
    "ReportUnwritable",
    "SweepError",
    "SweepInterrupted",
    "SweepPlan",
    "SweepResult",
    "Variant",
    "batch_means",
    "bounded_interval",
    "build_report",
    "format_replications",
    "format_summary",
    "format_sweep",
    "format_theory",
    "parse_goal",
    "plan_sweep",
    "predict",
    "read_events",
    "require_plotting",
    "run_plan",
    "run_sweep",
]
