"""Capacity planning: run every variant of a scenario, judge goals, name the cheapest.

A sweep is the grid of all combinations of ``KEY=V1,V2,...`` settings (ranges like
``cashiers.count=2..12``), each run ``replications`` times with seeds seed, seed+1, …
— the same seeds for every variant, so variants are compared on the same customers.
Runs go to local processes or to a Dask cluster; results do not depend on which.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import math
import multiprocessing
import os
import queue
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast

import yaml

from ..config.loader import Override, Problem, _Loader, parse_scenario
from ..config.scenario import Scenario
from ..observe.summary import Summary, figure_range, figures
from ..observe.tally import Tally
from ..runner import Interrupted, catch_signals, caught_signal, leave_signals_to_parent, resolve_seed, run
from .confidence import Interval, bounded_interval
from .goals import (
    DEFAULT_MINIMIZE,
    INTERVAL_FIGURES,
    MONEY_FIGURES,
    PERCENTILE,
    Goal,
    GoalError,
    Verdict,
    default_minimize,
    is_figure,
    parse_expression,
    parse_goal,
)

__all__ = [
    "DaskError",
    "Runners",
    "SweepError",
    "SweepInterrupted",
    "SweepPlan",
    "SweepResult",
    "Variant",
    "check_dask_address",
    "goal_names",
    "parse_sweep",
    "plan_sweep",
    "run_plan",
    "run_sweep",
]

_RANGE = re.compile(r"^\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*(?::\s*(\d+)\s*)?$")
#: ``3-6`` (or an en dash) where ``3..6`` was meant: said beside the error it causes.
_DASH_RANGE = re.compile(r"^\s*(-?\d+)\s*[-\u2013\u2014]\s*(-?\d+)\s*$")
#: The most variants x replications one sweep may ask for.
MAX_RUNS = 100_000
#: How often (seconds) a sweep waiting for its runs looks whether a signal was caught.
_POLL = 0.1


class SweepError(ValueError):
    """A --sweep, --goal or --minimize that cannot be used; the message says why."""


class DaskError(RuntimeError):
    """The Dask scheduler went away or cancelled the runs; the message says which."""


class SweepInterrupted(Exception):
    """A signal stopped the sweep: the runs that finished, as (variant, run number, summary) in grid order.

    ``plan`` is the sweep that was stopped, so that what finished can still be shown
    as a table (:meth:`result`) with the variants that did not finish named (:meth:`unfinished`).
    """

    def __init__(
        self,
        signal_number: int,
        finished: list[tuple[Variant, int, Summary]],
        total: int,
        plan: SweepPlan | None = None,
    ) -> None:
        super().__init__(f"interrupted by signal {signal_number}: {len(finished)} of {total} runs finished")
        self.signal_number = signal_number
        self.finished = finished
        self.total = total
        self.plan = plan

    def result(self) -> SweepResult | None:
        """The finished runs as a sweep's result: one row per variant with at least one run.

        Goals are judged, and the cheapest variant named, only when every run finished
        (the signal came after the last): judged on fewer runs than asked for, or with
        variants missing, an answer would look surer than it is. None when no run finished.
        """
        if self.plan is None or not self.finished:
            return None
        runs = self._runs()
        complete = len(self.finished) == self.total
        shown = [(variant, runs[variant.number]) for variant in self.plan.grid if variant.number in runs]
        return self.plan.result(shown, judge=complete)

    def unfinished(self) -> list[tuple[Variant, int]]:
        """Each variant with fewer finished runs than asked for, and how many it has, in grid order."""
        if self.plan is None:
            return []
        runs = self._runs()
        return [
            (variant, len(runs.get(variant.number, ())))
            for variant in self.plan.grid
            if len(runs.get(variant.number, ())) < self.plan.replications
        ]

    def _runs(self) -> dict[int, list[Summary]]:
        """The finished runs' summaries by variant number."""
        runs: dict[int, list[Summary]] = {}
        for variant, _, summary in self.finished:
            runs.setdefault(variant.number, []).append(summary)
        return runs


@dataclass(frozen=True)
class Variant:
    """One point of the grid: its settings (key → value read as YAML, as ``--set`` reads it) and scenario.

    ``written`` keeps each value as the user wrote it, for tables; ``warnings`` are the
    scenario's load-time warnings (settings that do nothing, overload), as for a single run.
    """

    number: int
    settings: dict[str, Any]
    scenario: Scenario
    written: dict[str, str] = field(default_factory=dict)
    warnings: tuple[Problem, ...] = ()

    @property
    def label(self) -> str:
        """The settings as written, ``cashiers.count=3, queue.kind=lifo``: how a message names the variant."""
        return ", ".join(f"{key}={value}" for key, value in self.written.items())

    def numbers(self) -> dict[str, float]:
        """The settings whose values are numbers, which goals may name beside the figures."""
        return {
            key: float(value)
            for key, value in self.settings.items()
            if isinstance(value, int | float) and not isinstance(value, bool)
        }


@dataclass
class VariantResult:
    """A variant's summaries, one per replication, and how it fares against the goals."""

    variant: Variant
    summaries: list[Summary]
    verdicts: list[Verdict] = field(default_factory=list)
    #: Figures worked out only when asked for (``wait_p80``): those the goals and --minimize name.
    wanted: frozenset[str] = frozenset()

    @property
    def meets_all(self) -> bool:
        """True when every goal is met (vacuously true without goals)."""
        return all(verdict.meets for verdict in self.verdicts)

    def interval(self, name: str) -> Interval | None:
        """A figure's mean and 95 % interval across runs, cut to its range (None: undefined in a run,
        or no run)."""
        if not self.summaries:
            return None
        runs = self.runs(frozenset({name}))
        return bounded_interval([figures.get(name) for figures in runs], *figure_range(name))

    def runs(self, wanted: frozenset[str] = frozenset()) -> list[dict[str, float | None]]:
        """Each run's figures by name, the variant's numeric settings among them (for goals);
        the figures worked out on demand (:attr:`wanted`, and ``wanted``) included."""
        settings: dict[str, float | None] = dict(self.variant.numbers())
        asked = self.wanted | wanted
        return [_run_figures(summary, asked) | settings for summary in self.summaries]


DEFAULT_KEY = DEFAULT_MINIMIZE


@dataclass
class SweepResult:
    """Every variant's results, and the cheapest variant that meets all goals.

    Cheapest is the fewest staffed till-hours (``lane_hours``, mean across runs)
    unless ``--minimize`` names another key; ties go to the first in sweep order.
    ``first_seed`` is the seed of every variant's first replication (a table of an
    interrupted sweep may lack that run in its first row).
    """

    results: list[VariantResult]
    goals: list[Goal]
    cheapest: VariantResult | None
    first_seed: int | None = None
    #: What "cheapest" minimized (a swept key, a figure or an expression), and the cheapest's value of it.
    key: str = DEFAULT_KEY
    cost: float | None = None


@dataclass(frozen=True)
class SweepPlan:
    """A sweep checked and ready to run: every variant validated, goals read, the seeds fixed.

    Made by :func:`plan_sweep` before any run, so ``--check`` can stop here and a
    sweep's warnings are said before its runs start.
    """

    grid: list[Variant]
    replications: int
    goals: list[Goal]
    minimize: str | None
    first_seed: int
    #: The scenario has ``costs``: unless ``minimize`` says otherwise, the cheapest costs least in money.
    costs: bool = False

    @property
    def total(self) -> int:
        """How many runs the sweep makes."""
        return len(self.grid) * self.replications

    def warnings(self) -> list[Problem]:
        """Every variant's load-time warnings, each said once.

        A warning that every variant has (a setting of the file or of ``--set`` that does
        nothing everywhere) is given as a single run gives it; any other is given for
        each variant that has it, named by its settings: ``--sweep cashiers.count=3:
        arrivals.rate: warning: ...`` (the overload of a 3-till variant is not the
        4-till one's, and the base scenario's own warnings may hold for no variant).
        """
        first, *others = self.grid
        shared = [problem for problem in first.warnings if all(problem in v.warnings for v in others)]
        found = list(dict.fromkeys(shared))
        for variant in self.grid:
            found.extend(
                Problem(f"--sweep {variant.label}", None, None, problem.key, problem.message, warning=True)
                for problem in dict.fromkeys(variant.warnings)
                if problem not in shared
            )
        return found

    def _key_names(self, key: str) -> frozenset[str]:
        """The figures --minimize names: a swept key names none, an expression those it uses."""
        if key in self.grid[0].settings:
            return frozenset()
        return parse_expression(
            key, [key, *goal_names(self.grid[0].scenario, list(self.grid[0].numbers()))]
        ).names

    def result(self, runs: Sequence[tuple[Variant, list[Summary]]], *, judge: bool = True) -> SweepResult:
        """The result of these variants' runs; with ``judge``, goals judged and the cheapest named."""
        key = self.minimize if self.minimize is not None else default_minimize(costs=self.costs)
        named = {name for goal in self.goals for name in goal.names} | set(self._key_names(key))
        wanted = frozenset(name for name in named if PERCENTILE.fullmatch(name) is not None)
        results = [VariantResult(variant, summaries, wanted=wanted) for variant, summaries in runs]
        if not judge:
            return SweepResult(results, [], None, self.first_seed)
        for result in results:
            figures_of_runs = result.runs()
            result.verdicts = [goal.judge(figures_of_runs) for goal in self.goals]
        meeting = [result for result in results if result.meets_all]
        cheapest = (
            min(meeting, key=lambda r: _cost(r, key)) if meeting else None
        )  # min keeps the first of ties
        cost = _cost(cheapest, key) if cheapest is not None else None
        return SweepResult(results, self.goals, cheapest, self.first_seed, key, cost)


def parse_sweep(text: str) -> tuple[str, list[str]]:
    """``KEY=V1,V2,...`` or ``KEY=A..B`` (whole numbers, optional ``:STEP``) → (key, values)."""
    key, equals, values = text.partition("=")
    key = key.strip()
    if not equals or not key or not values.strip():
        raise SweepError(f"--sweep {text!r}: expected KEY=V1,V2,... or KEY=A..B")
    match = _RANGE.match(values)
    if match is not None:
        low, high, step = int(match[1]), int(match[2]), int(match[3] or 1)
        if high < low or step < 1:
            raise SweepError(f"--sweep {text!r}: the range is empty")
        return key, [str(value) for value in range(low, high + 1, step)]
    choices = [value.strip() for value in values.split(",")]
    if any(not value for value in choices):
        raise SweepError(f"--sweep {text!r}: an empty value in the list")
    return key, choices


def goal_names(scenario: Scenario | None = None, swept: Sequence[str] = ()) -> list[str]:
    """The figures a goal may name: the summary's numbers, the derived figures,
    ``wait_mean[segment]`` for each segment of ``scenario`` when it has several,
    ``lane_wait_mean[lane]``, ``lane_wait_p90[lane]`` and ``lane_utilisation[lane]`` for
    each of its lane groups, and the swept keys ``swept`` whose values are numbers. With a
    ``service_level`` target, ``service_level`` too, per segment and ``lane_service_level[lane]``.
    (Any ``wait_pNN`` is a figure as well: see :data:`.goals.PERCENTILE`.)"""
    segments = [segment.name for segment in scenario.segments] if scenario is not None else []
    lanes = [lane.name for lane in scenario.lanes or ()] if scenario is not None else []
    graded = scenario is not None and scenario.service_level is not None
    costed = scenario is not None and scenario.costs is not None
    per_lane = {
        f"lane_{figure}[{lane}]"
        for lane in lanes
        for figure in ("wait_mean", "wait_p90", "utilisation", *(("service_level",) if graded else ()))
    }
    empty = replace(Tally(segments, lambda: 0.0).summary(seed=0), service_target=0.0 if graded else None)
    per_interval = set()
    if scenario is not None and scenario.intervals is not None:
        per_interval = {
            f"{function}({figure})"
            for function in ("min_interval", "max_interval")
            for figure in INTERVAL_FIGURES
            if (graded or figure != "service_level") and (costed or figure not in MONEY_FIGURES)
        }
    money = set(MONEY_FIGURES) if costed else set()
    return sorted({*_run_figures(empty), *per_lane, *per_interval, *money, *swept})


def _run_figures(summary: Summary, wanted: frozenset[str] = frozenset()) -> dict[str, float | None]:
    """A run's figures by name; ``wanted`` adds the percentiles of its waits that a goal names."""
    found: dict[str, float | None] = {}
    for name, value in summary.to_dict().items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            found[name] = float(value)
        elif value is None:
            found[name] = None
    found |= figures(summary)
    if summary.intervals is not None:
        found |= _interval_extremes(summary.intervals)
    for name in wanted:
        match = PERCENTILE.fullmatch(name)
        if match is not None and name not in found:
            sketch = summary.sketch
            found[name] = sketch.quantile(int(match[1]) / 100) if sketch is not None else None
    return found


def _interval_extremes(intervals: Sequence[Mapping[str, Any]]) -> dict[str, float | None]:
    """``min_interval(FIGURE)`` and ``max_interval(FIGURE)`` over the intervals where the figure is
    defined (an interval nobody arrived in has no service level): None if in none."""
    found: dict[str, float | None] = {}
    for figure in INTERVAL_FIGURES:
        values = [float(value) for interval in intervals if (value := interval.get(figure)) is not None]
        found[f"min_interval({figure})"] = min(values) if values else None
        found[f"max_interval({figure})"] = max(values) if values else None
    return found


def variants(
    text: str, source: str, base: Sequence[str | Override], sweeps: Sequence[str]
) -> Iterator[Variant]:
    """Every combination of the sweeps, as validated scenarios (invalid ones raise).

    A problem with a swept value names its ``--sweep`` option and the value.
    """
    axes = [parse_sweep(spec) for spec in sweeps]
    keys = [key for key, _ in axes]
    if len(set(keys)) != len(keys):
        raise SweepError("--sweep: the same key is swept twice")
    for number, combination in enumerate(itertools.product(*(values for _, values in axes)), start=1):
        written = dict(zip(keys, combination, strict=True))
        swept = [
            Override(f"{key}={value}", f"--sweep {spec}", _note(value))
            for spec, (key, value) in zip(sweeps, written.items(), strict=True)
        ]
        warnings: list[Problem] = []
        scenario = parse_scenario(text, source, [*base, *swept], on_warning=warnings.append)
        settings = {key: _read_value(value) for key, value in written.items()}
        yield Variant(number, settings, scenario, written, tuple(warnings))


def _note(value: str) -> str:
    """What a problem with a swept value adds: the value, and how to write a range if it looks like one."""
    dashed = _DASH_RANGE.match(value)
    if dashed is None:
        return f"value {value}"
    return f"value {value}; ranges are written {dashed[1]}..{dashed[2]}"


def _read_value(text: str) -> Any:
    """A swept value as ``--set`` reads it (YAML): ``4`` is a number, ``fifo`` a string."""
    return yaml.load(text, Loader=_Loader)


def _run_one(job: tuple[Scenario, int]) -> Summary:
    """One replication, summary only: runs in whichever process or worker gets it."""
    scenario, seed = job
    return run(scenario, seed=seed)


def _run_some(jobs: list[tuple[Scenario, int]]) -> list[Summary]:
    """Several replications in one task, in order (:class:`Runners`)."""
    return [_run_one(job) for job in jobs]


def run_sweep(
    text: str,
    source: str,
    *,
    base: Sequence[str | Override] = (),
    sweeps: Sequence[str],
    replications: int = 1,
    seed: int | None = None,
    goals: Sequence[str] = (),
    minimize: str | None = None,
    jobs: int | None = None,
    dask: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    on_warning: Callable[[Problem], None] | None = None,
) -> SweepResult:
    """Run the grid, judge the goals, and find the cheapest variant that meets them all.

    ``jobs`` local processes (default: the number of cores; 1 runs here), or the Dask
    scheduler at ``dask``. ``progress(done, total)`` is told after each run;
    ``on_warning`` hears the variants' warnings (:meth:`SweepPlan.warnings`) before the
    first run. Local workers are spawned, so a script calling this with ``jobs > 1``
    needs the usual ``if __name__ == "__main__":`` guard.
    """
    plan = plan_sweep(
        text,
        source,
        base=base,
        sweeps=sweeps,
        replications=replications,
        seed=seed,
        goals=goals,
        minimize=minimize,
        dask=dask,
    )
    if on_warning is not None:
        for problem in plan.warnings():
            on_warning(problem)
    return run_plan(plan, jobs=jobs, dask=dask, progress=progress)


def plan_sweep(
    text: str,
    source: str,
    *,
    base: Sequence[str | Override] = (),
    sweeps: Sequence[str],
    replications: int = 1,
    seed: int | None = None,
    goals: Sequence[str] = (),
    minimize: str | None = None,
    dask: str | None = None,
) -> SweepPlan:
    """Everything about a sweep that can be wrong before it runs, checked: every variant
    (:class:`~checkout_sim.config.ScenarioError` names the ``--sweep`` and value), the goals,
    ``--minimize``, the number of runs and the Dask address (:class:`SweepError`)."""
    if dask is not None:
        check_dask_address(dask)
    grid = list(variants(text, source, base, sweeps))
    figure_names = goal_names(grid[0].scenario)
    parsed_goals = [parse_goal(goal, goal_names(grid[0].scenario, list(grid[0].numbers()))) for goal in goals]
    if minimize is not None and minimize not in grid[0].settings and not is_figure(minimize, figure_names):
        swept, known = ", ".join(grid[0].settings), ", ".join(figure_names)
        try:
            parse_expression(minimize, goal_names(grid[0].scenario, list(grid[0].numbers())))
        except GoalError:
            raise SweepError(
                f"--minimize {minimize!r}: not a swept key, a figure or an expression over them "
                f"(swept: {swept}; figures: {known})"
            ) from None
    if len(grid) * replications > MAX_RUNS:
        raise SweepError(f"the sweep asks for {len(grid) * replications:,} runs; the most is {MAX_RUNS:,}")
    return SweepPlan(
        grid,
        replications,
        parsed_goals,
        minimize,
        resolve_seed(grid[0].scenario, seed),
        costs=grid[0].scenario.costs is not None,
    )


def run_plan(
    plan: SweepPlan,
    *,
    jobs: int | None = None,
    dask: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SweepResult:
    """Run a planned sweep (see :func:`run_sweep`); a signal raises :class:`SweepInterrupted`."""
    grid, replications = plan.grid, plan.replications
    work = [(variant.scenario, plan.first_seed + r) for variant in grid for r in range(replications)]
    with catch_signals(redeliver=True):
        found, signal_number = _execute(work, jobs, dask, progress)
    if signal_number is not None:
        finished = [
            (variant, r + 1, summary)
            for index, variant in enumerate(grid)
            for r in range(replications)
            if (summary := found[index * replications + r]) is not None
        ]
        raise SweepInterrupted(signal_number, finished, len(work), plan)
    summaries = [summary for summary in found if summary is not None]
    return plan.result(
        [
            (variant, summaries[index * replications : (index + 1) * replications])
            for index, variant in enumerate(grid)
        ]
    )


def _cost(result: VariantResult, key: str) -> float:
    """What ``key`` costs in this variant: its swept value, or the mean across runs of the figure
    or expression (a run where it is undefined makes the variant cost the most)."""
    if key in result.variant.settings:
        value = result.variant.numbers().get(key)
        if value is None:
            raise SweepError(f"--minimize {key!r}: the swept values are not numbers")
        return value
    if not result.summaries:
        return float("inf")
    expression = parse_expression(key, [*result.runs(frozenset({key}))[0]])
    values = [expression.value(figures) for figures in result.runs(expression.names)]
    if not values or any(value is None for value in values):
        return float("inf")
    return math.fsum(value for value in values if value is not None) / len(values)


def _execute(
    work: list[tuple[Scenario, int]],
    jobs: int | None,
    dask: str | None,
    progress: Callable[[int, int], None] | None,
) -> tuple[list[Summary | None], int | None]:
    """Every job's summary in order, and None; or, when a signal stops the sweep, the summaries
    of the runs finished so far (None for the others) and the signal. One run per task, so
    that a signal keeps every run that finished."""
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    with Runners(min(workers, len(work)), dask, per_task=1) as runners:
        return runners.run(work, progress)


def _execute_here(
    work: list[tuple[Scenario, int]], tick: Callable[[int, int], None]
) -> tuple[list[Summary | None], int | None]:
    """One run after another in this process; a signal stops the run in progress."""
    results: list[Summary | None] = [None] * len(work)
    for index, job in enumerate(work):
        if (signal_number := caught_signal()) is not None:
            return results, signal_number
        try:
            results[index] = _run_one(job)
        except Interrupted as stop:
            return results, stop.signal_number
        tick(index + 1, len(work))
    return results, caught_signal()


def _end_workers(pool: concurrent.futures.ProcessPoolExecutor) -> None:
    """Terminate a pool's worker processes (runs in progress are lost) and wait for them.

    ``_processes`` is private, but the only way to reach the workers before Python 3.14's
    ``terminate_workers()``; shutdown alone would wait for every run in progress.
    """
    processes = list((pool._processes or {}).values())
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
            process.join()


def _collect(
    futures: Sequence[Any], tick: Callable[[int, int], None]
) -> tuple[list[Summary | None], int | None]:
    """Wait for every future (local or Dask) in any order, looking for a signal every _POLL seconds.

    A failed run raises its error, unless a signal was caught: then the workers were
    probably ended by the same signal, and the sweep stops as interrupted.
    """
    position = {id(future): index for index, future in enumerate(futures)}
    done: queue.SimpleQueue[Any] = queue.SimpleQueue()
    for future in futures:
        future.add_done_callback(done.put)
    results: list[Summary | None] = [None] * len(futures)
    for count in range(1, len(futures) + 1):
        while True:
            if (signal_number := caught_signal()) is not None:
                return results, signal_number
            try:
                future = done.get(timeout=_POLL)
            except queue.Empty:
                continue
            break
        try:
            results[position[id(future)]] = future.result()
        except BaseException:
            if (signal_number := caught_signal()) is not None:
                return results, signal_number
            raise
        tick(count, len(futures))
    return results, caught_signal()


class Runners:
    """Where a series of batches of runs goes: this process, local worker processes kept for
    every batch (spawned once, not once per batch), or a Dask scheduler.

    A sweep sends its whole grid as one batch; the planner, which decides each batch from
    the last, sends many. :meth:`run` returns a batch's summaries in order, and the signal
    that stopped it. Used as a context manager; leaving it ends the workers or the connection.
    """

    def __init__(
        self, jobs: int | None = None, dask: str | None = None, *, per_task: int | None = None
    ) -> None:
        """``per_task``: runs sent to a local worker at once (None: a few, so that short runs
        are not outweighed by sending them; a sweep sends one, so a signal keeps every run
        that finished)."""
        self._workers = jobs if jobs is not None else (os.cpu_count() or 1)
        self._dask = dask
        self._per_task = per_task
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._client: Any = None

    def __enter__(self) -> Runners:
        if self._dask is not None:
            try:
                import distributed
            except ImportError:
                raise SweepError("--dask needs the dask extra: pip install 'checkout-sim[dask]'") from None
            # distributed ships no complete type hints: its client is used as Any, here only.
            make_client: Any = distributed.Client
            self._client = make_client(self._dask, set_as_default=False)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._pool is not None:
            if exc_info[0] is not None:
                _end_workers(self._pool)
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def run(
        self, work: list[tuple[Scenario, int]], tick: Callable[[int, int], None] | None = None
    ) -> tuple[list[Summary | None], int | None]:
        """Every job's summary in order (None for those a signal kept from finishing), and the signal."""
        tick = tick or (lambda done, total: None)
        if self._client is not None:
            futures = self._client.map(_run_one, work, pure=False)
            try:
                found, signal_number = _collect(futures, tick)
            except concurrent.futures.CancelledError as error:
                reason = getattr(error, "reason", None)
                if reason == "scheduler-connection-lost":
                    raise DaskError(f"lost the connection to the Dask scheduler at {self._dask}") from None
                raise DaskError(
                    f"the Dask scheduler at {self._dask} cancelled the runs ({reason or error})"
                ) from None
            if signal_number is not None:
                self._client.cancel(futures)  # the scheduler drops the runs nobody will read
            return found, signal_number
        if self._workers <= 1 or len(work) == 1:
            return _execute_here(work, tick)
        if self._pool is None:
            self._pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=self._workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=leave_signals_to_parent,
            )
        # A few runs per task: a planning day of a small shop takes milliseconds, as long as
        # sending it to a worker and back does; four tasks per worker keep them all busy.
        size = self._per_task or max(1, len(work) // (4 * self._workers))
        chunks = [work[start : start + size] for start in range(0, len(work), size)]
        futures = [self._pool.submit(_run_some, chunk) for chunk in chunks]
        try:
            found, signal_number = _collect(
                futures, lambda done, total: tick(min(len(work), done * size), len(work))
            )
        except BaseException:
            _end_workers(self._pool)
            raise
        if signal_number is not None:
            _end_workers(self._pool)
        runs: list[Summary | None] = []
        for chunk, summaries in zip(chunks, cast(list[list[Summary] | None], found), strict=True):
            runs.extend(summaries if summaries is not None else [None] * len(chunk))
        return runs, signal_number


def check_dask_address(address: str) -> None:
    """Refuse a --dask ADDRESS that cannot be a scheduler's, at once (connecting to it would
    first wait for a time-out)."""
    match = _DASK_ADDRESS.match(address)
    if match is None or (match["port"] is not None and not 0 < int(match["port"]) < 65536):
        raise SweepError(f"--dask {address!r}: not a scheduler address (write HOST:PORT or tcp://HOST:PORT)")


# [tcp|tls|ws|wss://]HOST:PORT (HOST a name, an IPv4 address, [an IPv6 one] or empty), or inproc://…
_DASK_ADDRESS = re.compile(
    r"^(?:(?:tcp|tls|ws|wss)://)?(?:[A-Za-z0-9._-]*|\[[0-9A-Fa-f:.]+\]):(?P<port>[0-9]{1,5})$|^inproc://\S+$"
)
