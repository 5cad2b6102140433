"""Differential check: is the shop the same shop after an engine change?

    python benchmarks/differential.py --old 100f3ea            # previous release vs this tree
    python benchmarks/differential.py --self-check             # this tree, two seed sets: false alarms

Runs every shipped scenario (or those named with ``--scenario``) with ``--seeds`` seeds on
two engines and compares every number of the summary (served, lost, waits and their
percentiles, utilisation, line lengths, till-hours; per segment and per lane group) as
a mean over the seeds. A figure is flagged when its two means differ by more than
``--bound`` (default 4) standard errors of the difference: over the few hundred figures of
the shipped scenarios a 99 % interval would fire by chance, 4 standard errors about once
in 16,000 figures under normality. ``--self-check`` compares this tree with itself on
two disjoint seed sets, which shows the check's false-alarm rate.

``--old REF`` takes the package's source at a git commit or tag (``git archive``) and runs
it in a subprocess with that source first on ``PYTHONPATH``; the scenario files are this
tree's. The random draws may differ between engines (a change that reorders them
reorders every customer), so runs are compared as samples, never run by run.

Exit status: 0 when no figure is flagged, 1 when one is, 2 for unusable arguments.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"

#: Summary keys that are not figures of the shop: identifiers, and the run's own length.
NOT_FIGURES = frozenset({"seed", "interrupted", "warmup", "elapsed", "realtime_lag_max"})

#: Runs a scenario file with each seed: the summaries, as ``Summary.to_dict()`` gives them.
Runner = Callable[[Path, Sequence[int], Sequence[str]], list[dict[str, Any]]]

#: The driver an engine's subprocess runs: one JSON summary per line on stdout.
DRIVER = """
import json, sys
from checkout_sim import load_scenario, run
path, seeds, changes = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
scenario = load_scenario(path, changes)
for seed in seeds:
    print(json.dumps(run(scenario, seed=seed).to_dict()), flush=True)
"""


def figures(summary: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """Every number of a summary by dotted name (``segments.weekly.wait_mean``); None is left out."""
    found: dict[str, float] = {}
    for key, value in summary.items():
        name = f"{prefix}{key}"
        if key in NOT_FIGURES and not prefix:
            continue
        if isinstance(value, Mapping):
            found.update(figures(value, f"{name}."))
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int | float):
            found[name] = float(value)
    return found


@dataclass(frozen=True)
class Flag:
    """A figure whose means differ by more than the bound allows."""

    scenario: str
    figure: str
    first: float
    second: float
    error: float  # the standard error of the difference

    def __str__(self) -> str:
        scale = abs(self.first - self.second) / self.error if self.error else math.inf
        return (
            f"{self.scenario}: {self.figure}: {self.first:.6g} against {self.second:.6g} "
            f"({scale:.1f} standard errors)"
        )


def compare(
    scenario: str,
    first: Sequence[Mapping[str, Any]],
    second: Sequence[Mapping[str, Any]],
    bound: float = 4.0,
) -> tuple[int, list[Flag]]:
    """How many figures were compared, and those whose means differ by more than ``bound`` errors.

    A figure missing from some runs (a segment nobody of which was served) is compared over
    the runs that have it; one present in only one engine's runs is flagged (a field came or
    went). A figure that never varies must be equal to the last bit.
    """
    one = [figures(summary) for summary in first]
    other = [figures(summary) for summary in second]
    names = sorted({name for run in [*one, *other] for name in run})
    flags = []
    for name in names:
        a = [run[name] for run in one if name in run]
        b = [run[name] for run in other if name in run]
        if not a or not b:
            flags.append(Flag(scenario, name, _mean(a), _mean(b), 0.0))
            continue
        error = math.sqrt(_variance(a) / len(a) + _variance(b) / len(b))
        difference = abs(statistics.fmean(a) - statistics.fmean(b))
        if (error == 0 and difference > 0) or (error > 0 and difference > bound * error):
            flags.append(Flag(scenario, name, statistics.fmean(a), statistics.fmean(b), error))
    return len(names), flags


def _mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else math.nan


def _variance(values: Sequence[float]) -> float:
    return statistics.variance(values) if len(values) > 1 else 0.0


def engine(source: Path | None = None) -> Runner:
    """A runner for this tree (``source`` None) or for the package source in ``source``.

    Each scenario's seeds run in one subprocess, so that two engines never share a process.
    """

    def runner(path: Path, seeds: Sequence[int], changes: Sequence[str]) -> list[dict[str, Any]]:
        env = dict(os.environ)
        if source is not None:
            env["PYTHONPATH"] = os.pathsep.join([str(source), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        done = subprocess.run(
            [sys.executable, "-c", DRIVER, str(path), json.dumps(list(seeds)), json.dumps(list(changes))],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{path.name}: the engine failed:\n{done.stderr[-2000:]}")
        return [json.loads(line) for line in done.stdout.splitlines()]

    return runner


def release_source(ref: str, into: Path) -> Path:
    """The package source at git ``ref``, unpacked under ``into``; its ``src`` folder."""
    archive = into / "release.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "-C", str(ROOT), "archive", ref, "src"], stdout=out, check=True)
    with tarfile.open(archive) as tar:
        if hasattr(tarfile, "data_filter"):  # Python 3.11.4 and later
            tar.extractall(into, filter="data")
        else:  # our own git's archive of our own source
            tar.extractall(into)
    return into / "src"


def check(
    first: Runner,
    second: Runner,
    scenarios: Iterable[Path],
    seeds: Sequence[int],
    *,
    other_seeds: Sequence[int] | None = None,
    bound: float = 4.0,
    changes: Sequence[str] = (),
    second_changes: Sequence[str] | None = None,
) -> tuple[int, list[Flag]]:
    """Compare two engines on each scenario; the number of figures compared and those flagged."""
    compared, flags = 0, []
    for path in scenarios:
        a = first(path, seeds, changes)
        b = second(path, other_seeds or seeds, changes if second_changes is None else second_changes)
        count, found = compare(path.stem, a, b, bound)
        compared += count
        flags += found
    return compared, flags


def _shipped_by(ref: str, scenarios: Sequence[Path]) -> list[Path]:
    """The shipped scenarios the release ``ref`` shipped too; those it did not are new, and an
    older engine cannot read their keys: they are named on stderr and left out."""
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-tree", "--name-only", ref, "scenarios/"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    old = {Path(name).name for name in listed}
    for path in scenarios:
        if path.name not in old:
            print(f"{path.name}: new since {ref}, not compared", file=sys.stderr)
    return [path for path in scenarios if path.name in old]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--old", metavar="REF", help="a git commit or tag of the previous release")
    which.add_argument("--self-check", action="store_true", help="this tree on two seed sets")
    parser.add_argument("--seeds", type=int, default=20, help="seeds per scenario (default 20)")
    parser.add_argument("--bound", type=float, default=4.0, help="standard errors allowed (default 4)")
    parser.add_argument("--scenario", action="append", default=[], help="a scenario file (repeatable)")
    parser.add_argument("--set", action="append", default=[], help="KEY=VALUE for every run (repeatable)")
    args = parser.parse_args(argv)
    if args.seeds < 2:
        parser.error("--seeds: at least 2, for a standard error")
    scenarios = [Path(name) for name in args.scenario] or sorted(SCENARIOS.glob("*.yaml"))
    if args.old is not None and not args.scenario:
        scenarios = _shipped_by(args.old, scenarios)
    seeds = range(1, args.seeds + 1)
    with tempfile.TemporaryDirectory() as folder:
        if args.self_check:
            first, other = engine(), range(args.seeds + 1, 2 * args.seeds + 1)
        else:
            first, other = engine(release_source(args.old, Path(folder))), None
        compared, flags = check(
            first, engine(), scenarios, seeds, other_seeds=other, bound=args.bound, changes=args.set
        )
    for flag in flags:
        print(flag)
    what = "this tree on two seed sets" if args.self_check else f"{args.old} against this tree"
    print(
        f"{what}: {compared} figures over {len(scenarios)} scenarios, {args.seeds} seeds each; "
        f"{len(flags)} beyond {args.bound:g} standard errors"
    )
    return 1 if flags else 0


if __name__ == "__main__":
    sys.exit(main())
