"""Capacity planning: run every variant of a scenario, judge goals, name the cheapest.

A sweep is the grid of all combinations of ``KEY=V1,V2,...`` settings (ranges like
``cashiers.count=2..12``), each run ``replications`` times with seeds seed, seed+1, …
— the same seeds for every variant, so variants are compared on the same customers.
Runs go to local processes or to a Dask cluster; results do not depend on which.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import multiprocessing
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from ._confidence import interval_of
from ._goals import Goal, Verdict, parse_goal
from .loader import Override, parse_scenario
from .runner import resolve_seed, run
from .scenario import Scenario
from .summary import Summary, Tally, figures

__all__ = ["SweepError", "SweepResult", "Variant", "goal_names", "parse_sweep", "run_sweep"]

_RANGE = re.compile(r"^\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*(?::\s*(\d+)\s*)?$")
#: The most variants x replications one sweep may ask for.
MAX_RUNS = 100_000


class SweepError(ValueError):
    """A --sweep, --goal or --minimize that cannot be used; the message says why."""


@dataclass(frozen=True)
class Variant:
    """One point of the grid: its settings (key → value as written) and its scenario."""

    number: int
    settings: dict[str, str]
    scenario: Scenario


@dataclass
class VariantResult:
    """A variant's summaries, one per replication, and how it fares against the goals."""

    variant: Variant
    summaries: list[Summary]
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def meets_all(self) -> bool:
        """True when every goal is met (vacuously true without goals)."""
        return all(verdict.meets for verdict in self.verdicts)

    def interval(self, name: str) -> tuple[float, float] | None:
        """Mean and 95 % half-width of a figure across replications (None if undefined in a run)."""
        return interval_of([_run_figures(summary).get(name) for summary in self.summaries])


@dataclass
class SweepResult:
    """Every variant's results, and the cheapest variant that meets all goals."""

    results: list[VariantResult]
    goals: list[Goal]
    cheapest: VariantResult | None


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


def goal_names(scenario: Scenario | None = None) -> list[str]:
    """The figures a goal may name: the summary's numbers, the derived figures, and
    ``wait_mean[segment]`` for each segment of ``scenario`` when it has several."""
    segments = [segment.name for segment in scenario.segments] if scenario is not None else []
    return sorted(_run_figures(Tally(segments, lambda: 0.0).summary(seed=0)))


def _run_figures(summary: Summary) -> dict[str, float | None]:
    found: dict[str, float | None] = {}
    for name, value in summary.to_dict().items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            found[name] = float(value)
        elif value is None:
            found[name] = None
    return {**found, **figures(summary)}


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
        settings = dict(zip(keys, combination, strict=True))
        swept = [
            Override(f"{key}={value}", f"--sweep {spec}", f"value {value}")
            for spec, (key, value) in zip(sweeps, settings.items(), strict=True)
        ]
        yield Variant(number, settings, parse_scenario(text, source, [*base, *swept]))


def _run_one(job: tuple[Scenario, int]) -> Summary:
    """One replication, summary only: runs in whichever process or worker gets it."""
    scenario, seed = job
    return run(scenario, seed=seed)


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
) -> SweepResult:
    """Run the grid, judge the goals, and find the cheapest variant that meets them all.

    ``jobs`` local processes (default: the number of cores; 1 runs here), or the Dask
    scheduler at ``dask``. ``progress(done, total)`` is told after each run. Local
    workers are spawned, so a script calling this with ``jobs > 1`` needs the usual
    ``if __name__ == "__main__":`` guard.
    """
    grid = list(variants(text, source, base, sweeps))
    names = goal_names(grid[0].scenario)
    parsed_goals = [parse_goal(goal, names) for goal in goals]
    if minimize is not None and minimize not in grid[0].settings and minimize not in names:
        swept, known = ", ".join(grid[0].settings), ", ".join(names)
        raise SweepError(
            f"--minimize {minimize!r}: not a swept key or a figure (swept: {swept}; figures: {known})"
        )
    if len(grid) * replications > MAX_RUNS:
        raise SweepError(f"the sweep asks for {len(grid) * replications:,} runs; the most is {MAX_RUNS:,}")
    first = resolve_seed(grid[0].scenario, seed)
    work = [(variant.scenario, first + r) for variant in grid for r in range(replications)]
    summaries = _execute(work, jobs, dask, progress)
    results = []
    for index, variant in enumerate(grid):
        mine = summaries[index * replications : (index + 1) * replications]
        runs = [_run_figures(summary) for summary in mine]
        results.append(VariantResult(variant, mine, [goal.judge(runs) for goal in parsed_goals]))
    meeting = [result for result in results if result.meets_all]
    cheapest = None
    if meeting:
        cheapest = meeting[0] if minimize is None else min(meeting, key=lambda r: _cost(r, minimize))
    return SweepResult(results, parsed_goals, cheapest)


def _cost(result: VariantResult, key: str) -> float:
    if key in result.variant.settings:
        try:
            return float(result.variant.settings[key])
        except ValueError:
            raise SweepError(f"--minimize {key!r}: the swept values are not numbers") from None
    interval = result.interval(key)
    return interval[0] if interval is not None else float("inf")


def _execute(
    work: list[tuple[Scenario, int]],
    jobs: int | None,
    dask: str | None,
    progress: Callable[[int, int], None] | None,
) -> list[Summary]:
    tick = progress or (lambda done, total: None)
    total = len(work)
    if dask is not None:
        return _execute_dask(work, dask, tick)
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if workers <= 1 or total == 1:
        results = []
        for job in work:
            results.append(_run_one(job))
            tick(len(results), total)
        return results
    # spawn: a clean interpreter per worker (fork would copy a parent that may hold threads).
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=min(workers, total), mp_context=context) as pool:
        futures = [pool.submit(_run_one, job) for job in work]
        for done, _ in enumerate(concurrent.futures.as_completed(futures), start=1):
            tick(done, total)
        return [future.result() for future in futures]


def _execute_dask(
    work: list[tuple[Scenario, int]], address: str, tick: Callable[[int, int], None]
) -> list[Summary]:
    try:
        from distributed import Client  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        raise SweepError("--dask needs the dask extra: pip install 'checkout-sim[dask]'") from None
    with Client(address, set_as_default=False) as client:  # type: ignore[no-untyped-call,unused-ignore]
        futures = client.map(_run_one, work, pure=False)
        results: list[Summary] = []
        for future in futures:  # in submission order, so the progress bar counts up steadily
            results.append(future.result())
            tick(len(results), len(work))
        return results
