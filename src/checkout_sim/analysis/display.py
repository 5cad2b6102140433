"""What people read on stderr: a run's summary, replications, theory and sweep tables.

Every table shows times as durations (``1m01s``), shares as percentages and counts as
whole numbers, with the same labels whether it sums up one run or many; wait figures
are marked as covering served customers only, beside how many were lost.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..config.scenario import Scenario
from ..config.times import elapsed_text
from ..observe.batches import Batches, Group
from ..observe.summary import (
    PERCENTILE_RELATIVE_ERROR,
    SHARES,
    SegmentSummary,
    Summary,
    figure_range,
    figures,
    pooled_quantile,
)
from .batch_means import BatchMeans, batch_means
from .confidence import Interval, bounded_interval
from .goals import DEFAULT_MINIMIZE

if TYPE_CHECKING:
    from .sweep import SweepResult

__all__ = [
    "across_runs",
    "format_intervals",
    "format_replications",
    "format_seconds",
    "format_summary",
    "format_sweep",
    "format_theory",
    "format_value",
    "interval_text",
]

#: The footnote every wait figure points to.
WAIT_NOTE = "* waits are of served customers only (the lost are not in them)"
#: The footnote of an interval marked ``†``.
CUT_NOTE = "† the t interval reaches past what the figure can be (below 0, above 100%)"


def format_seconds(value: float | None) -> str:
    """A duration as people read it: ``47.2s``, ``2m22s``, ``4h01m``; ``-`` for none."""
    if value is None:
        return "-"
    if value < 60:
        return f"{value:.1f}s"
    minutes, seconds = divmod(round(value), 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def _share(value: float) -> str:
    return f"{value:.1%}"


def _count(value: float) -> str:
    """A count, or a mean of counts: whole from 100 up, else one decimal when not whole."""
    return f"{value:.0f}" if abs(value) >= 100 or abs(value - round(value)) < 1e-9 else f"{value:.1f}"


def format_value(name: str, value: float | None) -> str:
    """One figure in its own unit: times as durations, shares as percentages."""
    if value is None:
        return "-"
    if name in SHARES:
        return _share(value)
    if name.startswith("wait_") or name == "elapsed":
        return format_seconds(value)
    if name == "throughput_per_hour":
        return f"{value:.1f}/h"
    if name in ("queue_length_mean", "waiting_mean", "lane_hours"):
        return f"{value:.2f}"
    return _count(value)


# --- one run -----------------------------------------------------------------------


def _waits(figures: SegmentSummary) -> str:
    return (
        f"mean {format_seconds(figures.wait_mean)}  p50 {format_seconds(figures.wait_p50)}  "
        f"p90 {format_seconds(figures.wait_p90)}  p99 {format_seconds(figures.wait_p99)}  "
        f"max {format_seconds(figures.wait_max)}"
    )


def _level(value: float | None) -> str:
    """A service level as a percentage (``-``: nobody counted)."""
    return "-" if value is None else f"{value:.1%}"


def _lost(figures: SegmentSummary) -> str:
    """How many were lost (balked, reneged or unserved), and their share of arrivals."""
    lost = figures.balked + figures.reneged + figures.unserved
    return f"{lost} ({lost / figures.arrived:.1%})" if figures.arrived else f"{lost}"


def format_summary(scenario: Scenario, summary: Summary) -> str:
    """The summary of one run, as the README's Quick start shows it.

    The people in line are counted over every line (a line at each till, several lane
    groups), while the longest line is one line's: where a shop has more than one line
    both say so, or a mean above the maximum reads like a fault.
    """
    utilisation = "-" if summary.utilisation is None else f"{summary.utilisation:.1%}"
    throughput = "-" if summary.throughput_per_hour is None else f"{summary.throughput_per_hour:.1f}/h"
    warmup = f"; figures after the {format_seconds(summary.warmup)} warm-up" if summary.warmup else ""
    lines = [
        f"{scenario.name}: {_span(scenario, summary.elapsed)}{format_seconds(summary.elapsed)} simulated "
        f"({scenario.clock} clock, seed {summary.seed}){warmup}",
        f"  customers  arrived {summary.arrived}  served {summary.served}  lost {_lost(summary)}: "
        f"balked {summary.balked}  reneged {summary.reneged}  unserved {summary.unserved}",
        f"  wait*      {_waits(summary)}",
        f"  in line    mean {summary.queue_length_mean:.2f} people{_all_lines(scenario)}  "
        f"longest line {summary.queue_length_max}",
        f"  cashiers   utilisation {utilisation}  most open {summary.lanes_max}  throughput {throughput}",
    ]
    if summary.service_target is not None:
        lines.append(
            f"  service    {_level(summary.service_level)} of arrivals reached a till within "
            f"{format_seconds(summary.service_target)} (the lost count as misses)"
        )
    if len(summary.segments) > 1:
        width = max(len(name) for name in summary.segments)
        lost = {name: _lost(figures) for name, figures in summary.segments.items()}
        lost_width = max(len(text) for text in lost.values())
        for name, figures in summary.segments.items():
            lines.append(
                f"  {name:<{width}}  served {figures.served:>5}  lost {lost[name]:>{lost_width}}  "
                f"wait* {_waits(figures)}"
                + (
                    f"  within target {_level(figures.service_level)}"
                    if summary.service_target is not None
                    else ""
                )
            )
    lines.extend(_lane_rows(scenario, summary))
    lines.append(f"  {WAIT_NOTE}; percentiles within {PERCENTILE_RELATIVE_ERROR:.1%}")
    return "\n".join(lines)


def _span(scenario: Scenario, elapsed: float) -> str:
    """``08:00–20:14:37, ``: the run's span by the clock, when the scenario gives ``opens_at``."""
    if scenario.opens_at is None:
        return ""
    return f"{scenario.moment_text(0.0)}–{scenario.moment_text(elapsed)}, "


def _all_lines(scenario: Scenario) -> str:
    """`` (all lines)`` when the shop has more than one line: a shared line per group, or one per till."""
    lines = sum(1 if group.line == "shared" else group.most for group in scenario.tills())
    return " (all lines)" if lines > 1 else ""


def _lane_rows(scenario: Scenario, summary: Summary) -> list[str]:
    """One row per lane group: its customers' waits, its tills, its line, and its attendants' help."""
    if not summary.lanes:
        return []
    per_till = {group.name for group in scenario.tills() if group.line == "per_till"}
    width = max(len(name) for name in summary.lanes)
    rows = []
    for name, lane in summary.lanes.items():
        utilisation = "-" if lane.utilisation is None else f"{lane.utilisation:.1%}"
        row = (
            f"  lane {name:<{width}}  served {lane.served:>5}  wait* mean {format_seconds(lane.wait_mean)}  "
            f"p90 {format_seconds(lane.wait_p90)}  max {format_seconds(lane.wait_max)}  "
            f"tills {lane.tills_max} ({utilisation} busy, {lane.lane_hours:.1f} till-hours)  "
            f"in line mean {lane.queue_length_mean:.2f}{' (all its lines)' if name in per_till else ''}, "
            f"longest line {lane.queue_length_max}"
        )
        if lane.assists is not None:
            attendants = "-" if lane.attendant_utilisation is None else f"{lane.attendant_utilisation:.1%}"
            row += (
                f"  help {lane.assists} (waited {format_seconds(lane.assist_wait_mean)} on average, "
                f"attendants {attendants} busy)"
            )
        if lane.jockeyed is not None:
            row += f"  switched in {lane.jockeyed}"
        if summary.service_target is not None:
            row += f"  within target {_level(lane.service_level)}"
        rows.append(row)
    return rows


# --- several runs --------------------------------------------------------------------


def across_runs(summaries: Sequence[Summary]) -> dict[str, Interval]:
    """Each figure's mean and 95 % interval across replications, cut to the figure's range.

    Only figures every run has (a run without served customers has no wait figures).
    """
    per_run = [figures(summary) | _counts(summary) for summary in summaries]
    found = {}
    for name in per_run[0]:
        interval = bounded_interval([run.get(name) for run in per_run], *figure_range(name))
        if interval is not None:
            found[name] = interval
    return found


def _counts(summary: Summary) -> dict[str, float | None]:
    return {
        "arrived": summary.arrived,
        "served": summary.served,
        "queue_length_max": summary.queue_length_max,
        "lanes_max": summary.lanes_max,
    }


@dataclass(frozen=True)
class _Row:
    group: str
    label: str
    figure: str


_REPLICATION_ROWS = (
    _Row("customers", "arrived", "arrived"),
    _Row("", "served", "served"),
    _Row("", "lost", "lost_share"),
    _Row("", "balked", "loss"),
    _Row("", "reneged", "abandonment"),
    _Row("wait*", "mean", "wait_mean"),
    _Row("", "p50", "wait_p50"),
    _Row("", "p90", "wait_p90"),
    _Row("", "p99", "wait_p99"),
    _Row("", "max", "wait_max"),
    _Row("", "waited at all", "wait_probability"),
    _Row("in line", "mean (all lines)", "queue_length_mean"),
    _Row("", "longest line", "queue_length_max"),
    _Row("cashiers", "utilisation", "utilisation"),
    _Row("", "most open", "lanes_max"),
    _Row("", "throughput", "throughput_per_hour"),
)
#: With a service-level target: the share who reached a till within it.
_SERVICE_ROWS = (_Row("service", "within target", "service_level"),)


def interval_text(name: str, interval: Interval) -> str:
    """``[low, high]`` in the figure's unit, with ``†`` when cut at the figure's range."""
    if not math.isfinite(interval.half_width):
        return ""
    mark = "†" if interval.cut else ""
    return f"[{format_value(name, interval.low)}, {format_value(name, interval.high)}]{mark}"


def format_replications(scenario: Scenario, summaries: Sequence[Summary]) -> str:
    """Means and 95 % intervals across replications, in the one-run summary's units and labels."""
    first, last = summaries[0].seed, summaries[-1].seed
    intervals = across_runs(summaries)
    lines = [
        f"{scenario.name}: {len(summaries)} replications (seeds {first}..{last}, {scenario.clock} clock): "
        "mean and 95% confidence interval across runs"
    ]
    group_width = max(len(row.group) for row in _REPLICATION_ROWS)
    label_width = max(len(row.label) for row in _REPLICATION_ROWS)
    cut = False
    rows = [*_REPLICATION_ROWS, *(_SERVICE_ROWS if scenario.service_level is not None else ())]
    for row in rows:
        interval = intervals.get(row.figure)
        if interval is None:
            shown = f"{'-':>9}"
        else:
            cut = cut or interval.cut
            shown = f"{format_value(row.figure, interval.mean):>9}  {interval_text(row.figure, interval)}"
        lines.append(f"  {row.group:<{group_width}}  {row.label:<{label_width}}  {shown}".rstrip())
    counts = ("arrived", "served", "balked", "reneged", "unserved")
    totals = "  ".join(f"{key} {sum(getattr(s, key) for s in summaries)}" for key in counts)
    lines.append(f"  customers in all runs: {totals}")
    lines.append(f"  {WAIT_NOTE}; lost, balked and reneged are shares of arrivals")
    if cut:
        lines.append(f"  {CUT_NOTE}; shown cut there")
    return "\n".join(lines)


# --- intervals -----------------------------------------------------------------------


#: The interval table's columns: heading, the figure, and how a value is shown.
_INTERVAL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("arrived", "arrived"),
    ("served", "served"),
    ("lost", "lost"),
    ("wait* mean", "wait_mean"),
    ("p90", "wait_p90"),
    ("within target", "service_level"),
    ("tills", "tills"),
    ("busy", "utilisation"),
    ("longest line", "queue_length_max"),
)


def _interval_value(name: str, value: float | None) -> str:
    if value is None:
        return "-"
    if name in ("service_level", "utilisation"):
        return f"{value:.1%}"
    if name.startswith("wait_"):
        return format_seconds(value)
    if name == "tills":
        return f"{value:.1f}"
    return _count(value)


def _interval_figures(interval: dict[str, Any]) -> dict[str, float | None]:
    lost = interval["balked"] + interval["reneged"] + interval["unserved"]
    return {**{name: interval.get(name) for _, name in _INTERVAL_COLUMNS}, "lost": lost}


def format_intervals(scenario: Scenario, summaries: Sequence[Summary]) -> str:
    """The figures of each interval: of one run, or means ±95 % intervals across replications.

    Customers are counted in the interval they arrived in; tills, busy time and the
    longest line in the interval in which the time passed (see :mod:`checkout_sim.observe.intervals`).
    """
    runs = [summary.intervals or [] for summary in summaries]
    columns = [
        (heading, name)
        for heading, name in _INTERVAL_COLUMNS
        if name != "service_level" or scenario.service_level is not None
    ]
    target = scenario.service_level.target if scenario.service_level is not None else None
    length = format_seconds(scenario.intervals)
    several = len(runs) > 1
    title = (
        f"intervals of {length}, from opening: customers count in the interval they arrived in"
        + (f"; within target: reached a till within {format_seconds(target)}" if target is not None else "")
        + (f"; means ±95% CI over {len(runs)} replications" if several else "")
    )
    rows = [["from", "to", *(heading for heading, _ in columns)]]
    # By the clock where the scenario opens at a time of day, else as time since opening.
    moment = elapsed_text if scenario.opens_at is None else scenario.moment_text
    for index in range(max(len(intervals) for intervals in runs)):
        present = [intervals[index] for intervals in runs if index < len(intervals)]
        first = present[0]
        cells = [moment(first["start"]), moment(max(i["end"] for i in present))]
        per_run = [_interval_figures(interval) for interval in present]
        for _, name in columns:
            values = [figures[name] for figures in per_run]
            if not several:
                cells.append(_interval_value(name, values[0]))
                continue
            interval = bounded_interval(values, *figure_range(name))
            if interval is None:
                cells.append("-")
            else:
                half = interval.half_width if math.isfinite(interval.half_width) else 0.0
                cells.append(f"{_interval_value(name, interval.mean)} ±{_interval_value(name, half)}")
        if several and len(present) < len(runs):
            cells[1] += f" ({len(present)} of {len(runs)} runs)"
        rows.append(cells)
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = [title]
    for row in rows:
        lines.append(
            "  "
            + "  ".join(
                cell.ljust(width) if column < 2 else cell.rjust(width)
                for column, (cell, width) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
        )
    lines.append(f"  {WAIT_NOTE}; lost: balked, reneged or unserved")
    return "\n".join(lines)


# --- theory --------------------------------------------------------------------------


def format_theory(scenario: Scenario, summaries: Sequence[Summary]) -> str:
    """Theory beside the simulation: each predicted figure, simulated and analytic.

    Several runs give intervals across replications; one run gives intervals by the
    method of batch means when the run has them (see :mod:`checkout_sim.observe.batches`),
    lane groups fed only by their own segments included. Where the scenario makes a
    figure differ from the steady state that theory describes (the drain tail, an empty
    start), a note under the table says so and what to set, and the figure's verdict
    names the cause when it is outside its interval.
    """
    from .theory import predict

    prediction = predict(scenario)
    one = summaries[0].batches if len(summaries) == 1 else None
    batches = batch_means(one, groups=_lane_groups(scenario, one)) if one is not None else None
    intervals = across_runs(summaries) if len(summaries) > 1 else batches.intervals if batches else {}
    simulated = figures(summaries[0])
    biases = _biases(scenario, summaries)
    lines = [f"theory: {prediction.model}"]
    if prediction.figures:
        lines.extend(_how_simulated(scenario, summaries, batches))
        header = "simulated (95% CI)" if intervals else "simulated"
        lines.append(f"  {'figure':<24}{header:>30}{'theory':>14}{'difference':>12}")
    noted: dict[str, _Bias] = {}
    for name, expected in prediction.figures.items():
        interval = intervals.get(name)
        value = interval.mean if interval is not None else simulated.get(name)
        if value is None:
            continue
        # One run's batch means stop at the duration: the drain tail is not in them.
        from_summaries = batches is None or interval is None
        applies = [bias for bias in biases if bias.affects(name) and (bias.in_batches or from_summaries)]
        noted.update((bias.cause, bias) for bias in applies)
        lines.append(_theory_row(name, expected, value, interval, applies))
    reasons = set(prediction.missing.values())
    if not prediction.figures and len(reasons) == 1:
        lines.append(f"  no figure has a closed form here: {reasons.pop()}")
    else:
        for name, reason in prediction.missing.items():
            lines.append(f"  {name}: no closed form here ({reason})")
    if prediction.figures:
        if summaries[0].warmup:
            lines.append(
                f"  theory is the steady state; figures count customers who arrived after the "
                f"{format_seconds(summaries[0].warmup)} warm-up"
            )
        else:
            lines.append("  theory is the steady state; figures count the whole run, from an empty shop")
        lines.extend(f"  note: {bias.note}" for bias in noted.values())
    return "\n".join(lines)


def _theory_row(
    name: str, expected: float, value: float, interval: Interval | None, biases: Sequence[_Bias]
) -> str:
    """One figure: simulated (± the interval's half-width), theory, the difference, and the verdict.

    Outside its interval, the verdict names the biases that push the figure that way.
    """
    shown, verdict = _theory_text(name, value), ""
    if interval is not None:
        shown += f" ± {_theory_text(name, interval.half_width)}"
        explains = [bias for bias in biases if bias.explains(interval, expected)]
        if expected in interval:
            verdict = "  within CI"
        elif explains:
            causes = ", ".join(bias.cause for bias in explains)
            remedies = ", ".join(bias.remedy for bias in explains)
            verdict = f"  outside CI ({causes}; set {remedies})"
        else:
            verdict = "  outside CI"
    difference = f"{(value - expected) / expected:+.1%}" if expected else f"{value - expected:+.3g}"
    return f"  {name:<24}{shown:>30}{_theory_text(name, expected):>14}{difference:>12}{verdict}"


@dataclass(frozen=True)
class _Bias:
    """Something in the scenario that keeps a figure from the steady state theory describes.

    ``cause`` and ``remedy`` go into the verdict of an affected figure whose interval
    misses theory in a way the bias can explain (``low``: it only pushes figures down;
    ``reach``: it moves them by at most this much, None when no bound is known);
    ``note`` under the table says why and what to set. ``figures``: the figures
    affected (empty: all). ``in_batches``: one run's batch means have it too (the drain
    tail falls after their last batch).
    """

    cause: str
    remedy: str
    note: str
    figures: tuple[str, ...]
    in_batches: bool
    low: bool
    reach: float | None = None

    def affects(self, name: str) -> bool:
        """Whether the figure ``name`` (``lane_utilisation[tills]`` counts as utilisation) is biased."""
        base = name.split("[", 1)[0].removeprefix("lane_")
        return not self.figures or base in self.figures

    def explains(self, interval: Interval, expected: float) -> bool:
        """Whether this bias can be why ``interval`` misses the theory value ``expected``."""
        if expected in interval:
            return False
        below = interval.high < expected  # the simulated figure is below theory
        gap = expected - interval.high if below else interval.low - expected
        return (below or not self.low) and (self.reach is None or gap <= self.reach)


def _biases(scenario: Scenario, summaries: Sequence[Summary]) -> list[_Bias]:
    """What in this scenario biases its figures against theory's steady state.

    - ``drain: true``: after arrivals stop (at the duration, or after the last arrival
      of a limited stream) the tills stay open until the line is served out; that
      tail is in the run's utilisation (each till busy to the end with one till, idle
      while others finish with several), not the steady state's. Waits are not
      affected: every customer in them arrived before the tail. Busy or idle, the tail
      moves the utilisation by at most its share of the time counted (tills neither
      open nor close in a model theory covers), so with a duration that share bounds
      the bias.
    - no warm-up: the run starts empty and idle, so the first stretch of it has waits,
      losses and utilisation below the steady state's.
    """
    found = []
    if not summaries[0].warmup:
        duration = scenario.duration
        example = (
            f" (e.g. a tenth of the duration, warmup: {format_seconds(duration / 10)})" if duration else ""
        )
        found.append(
            _Bias(
                "empty start",
                "warmup",
                "empty start: with no warm-up the run starts empty and idle, so its waits, losses and "
                "utilisation come out low; set warmup: to a time by which the lines have settled" + example,
                (),
                in_batches=True,
                low=True,
            )
        )
    if scenario.drain:
        duration = scenario.duration
        if duration is not None:
            share = max(_tail_share(summary, duration) for summary in summaries)
            stop = f"arrivals stop at {format_seconds(duration)} (up to {share:.1%} of the time counted)"
            remedy = "drain: false"
        else:
            share, stop, remedy = None, "the last arrival", "a duration and drain: false"
        found.append(
            _Bias(
                "drain tail",
                remedy,
                f"drain tail: utilisation includes the time after {stop}, while the tills serve out "
                f"the line (not the steady state); set {remedy} to end the figures there",
                ("utilisation",),
                in_batches=False,
                low=False,
                reach=share,
            )
        )
    return found


def _tail_share(summary: Summary, duration: float) -> float:
    """The share of a run's counted time (after any warm-up) that came after the arrivals stopped."""
    counted = summary.elapsed - (summary.warmup or 0.0)
    return max(0.0, summary.elapsed - duration) / counted if counted > 0 else 0.0


def _how_simulated(scenario: Scenario, summaries: Sequence[Summary], batches: BatchMeans | None) -> list[str]:
    """Where the simulated column comes from, and how far to trust its intervals."""
    if len(summaries) > 1:
        first, last = summaries[0].seed, summaries[-1].seed
        return [f"  {len(summaries)} independent runs (seeds {first}..{last}); intervals across runs"]
    if batches is None:
        why = "it has no duration" if scenario.duration is None else "it did not run to the end"
        return [f"  one run, no interval ({why}); --replications N gives intervals from N runs"]
    lines = [
        f"  one run: {batches.batches} batch means of {format_seconds(batches.width)} each from "
        f"{format_seconds(batches.start)}; lag-1 correlation of the batch means "
        f"{batches.correlation:.2f} (significant above {batches.threshold:.2f})"
    ]
    if not batches.independent:
        lines.append(
            "  the batch means are still correlated, so the intervals are too narrow: "
            "run longer, or use --replications N"
        )
    return lines


def _lane_groups(scenario: Scenario, batches: Batches) -> dict[str, Group]:
    """The lane groups one run's batches can give figures for: fed only by their own
    segments (so their customers are those segments'), with tills that never open or close."""
    from .theory import lane_segments

    fed = lane_segments(scenario) if scenario.lanes is not None else None
    if fed is None or scenario.lanes is None:
        return {}
    index = {name: number for number, name in enumerate(batches.segments)}
    return {
        lane.name: Group(tuple(index[name] for name in fed[lane.name]), lane.opening)
        for lane in scenario.lanes
        if fed[lane.name] and lane.scaling is None and lane.constant_count is not None
    }


def _theory_text(name: str, value: float) -> str:
    """Figures beside theory keep four significant digits, so small differences show."""
    name = name.removeprefix("lane_")
    if name.startswith("wait_") and name != "wait_probability":
        return f"{value:.4g}s"
    return f"{value:.4f}"


# --- sweeps --------------------------------------------------------------------------

#: The sweep table's columns: served count, waits (served customers), shares as percentages.
SWEEP_FIGURES = ("served", "wait_mean", "wait_p90", "lost_share", "utilisation", "lane_hours")
_SWEEP_HEADERS = {"wait_mean": "wait_mean*", "wait_p90": "wait_p90*", "lost_share": "lost"}


def _plus_minus(name: str, interval: Interval | None) -> str:
    """``mean ±half-width`` in the figure's unit, with ``†`` when the interval reaches past its range."""
    if interval is None:
        return "-"
    mean = format_value(name, interval.mean)
    if not math.isfinite(interval.half_width):
        return mean
    mark = "†" if interval.cut else ""
    if name in SHARES:
        return f"{mean} ±{_share(interval.half_width)}{mark}"
    if name.startswith("wait_"):
        return f"{mean} ±{format_seconds(interval.half_width)}{mark}"
    if name == "lane_hours":
        return f"{mean} ±{interval.half_width:.2f}{mark}"
    return f"{mean} ±{_count(interval.half_width)}{mark}"


def format_sweep(
    scenario: Scenario, result: SweepResult, replications: int, minimize: str | None = None
) -> str:
    """One row per variant: settings, key figures as mean ±95 % CI, goals met, and the answer."""
    keys = list(result.results[0].variant.settings)
    # The first row may lack its first run when a sweep on several workers was interrupted.
    first_seed = result.first_seed if result.first_seed is not None else result.results[0].summaries[0].seed
    # The day's figures where the scenario has them: its service level, and its cost in money.
    shown = [
        *SWEEP_FIGURES,
        *(("service_level",) if scenario.service_level is not None else ()),
        *(("total_cost",) if scenario.costs is not None else ()),
    ]
    header = [
        "#",
        *keys,
        *(_SWEEP_HEADERS.get(name, name) for name in shown),
        "p90* all runs",
        *(goal.text for goal in result.goals),
    ]
    rows = []
    cut = False
    for variant in result.results:
        row = [str(variant.variant.number), *variant.variant.written.values()]
        for name in shown:
            interval = variant.interval(name)
            cut = cut or (interval is not None and math.isfinite(interval.half_width) and interval.cut)
            row.append(_plus_minus(name, interval))
        row.append(format_seconds(pooled_quantile(variant.summaries, 0.9)))
        row += ["yes" if verdict.meets else "no" for verdict in variant.verdicts]
        rows.append(row)
    widths = [max(len(line[column]) for line in [header, *rows]) for column in range(len(header))]
    if replications == 1:
        runs = f"1 replication (seed {first_seed}); figures are of that one run (no interval)"
    else:
        runs = (
            f"{replications} replications (seeds {first_seed}..{first_seed + replications - 1}); "
            "figures are means ±95% CI"
        )
    variants = len(result.results)
    lines = [f"{scenario.name}: {variants} variant{'' if variants == 1 else 's'} x {runs}"]
    for line in [header, *rows]:
        cells = (cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        lines.append(("  " + "  ".join(cells)).rstrip())
    lines.append(f"  {WAIT_NOTE}; lost: share of arrivals not served")
    if cut:
        lines.append(f"  {CUT_NOTE}; read it as cut there")
    if result.goals:
        if result.cheapest is None:
            judged = (
                "judged on each variant's one run"
                if replications == 1
                else "met only if the whole 95% interval meets it"
            )
            lines.append(f"no variant meets every goal ({judged})")
        else:
            chosen = result.cheapest.variant
            settings = chosen.label
            cost = result.key
            if cost in chosen.settings:
                by = f"smallest {cost}"
            else:
                by = f"{'fewest' if cost == DEFAULT_MINIMIZE and minimize is None else 'lowest'} {cost}"
                by += f", {format_value(cost, result.cost)}" if result.cost is not None else ""
            lines.append(f"cheapest variant meeting every goal ({by}): #{chosen.number} ({settings})")
    return "\n".join(lines)
