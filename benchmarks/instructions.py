"""Benchmark in instructions: each case's implementations counted by callgrind, per customer.

    python benchmarks/instructions.py [--small 10000] [--large 30000] [--cases 1,5] [--without Ciw] [--jobs 2]

Wall-clock rates on a shared machine wander by 20 % from run to run; the number of
instructions a program executes does not. Each command of ``cases.py`` (the very
processes ``processes.py`` times, and the asyncio floor) runs under ``valgrind
--tool=callgrind`` at two customer counts with ``PYTHONHASHSEED=0``; the difference of
the two counts over the difference of the customers is the cost per customer, with
start-up and every other fixed cost gone, and what is left of the smaller run is the
fixed cost (start-up, imports, reading the scenario). Instructions are not time (a cache
miss costs more than an add), but between two Python programs on one interpreter they
track it closely. Needs valgrind; a run of 30,000 customers takes about half a minute
under it.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cases import BY_KEY, CASES, Case, Contender, print_targets

COLLECTED = re.compile(r"^==\d+== Collected : (\d+)$", re.MULTILINE)


def instructions(command: list[str]) -> int:
    """Instructions callgrind counts for one run of ``command``, which must succeed."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
        check=False,
    )
    found = COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"{command} failed under callgrind ({done.returncode}):\n{done.stderr[-3000:]}")
    return int(found.group(1))


def per_customer(small: int, large: int, counts: tuple[int, int]) -> tuple[float, float]:
    """(instructions per customer, fixed instructions) from the counts at ``small`` and ``large``."""
    slope = (counts[1] - counts[0]) / (large - small)
    return slope, counts[0] - slope * small


def measure(
    lineups: list[tuple[Case, list[Contender]]], small: int, large: int, jobs: int
) -> dict[str, dict[str, float]]:
    """Count every contender at ``small`` and ``large`` customers, ``jobs`` at once, and print a
    table per case; return each one's speed (one over its instructions per customer) by case key.

    The ratio column is the first contender's cost over each one's: its speed over the first's.
    """
    speeds: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as name, ThreadPoolExecutor(jobs) as pool:
        folder = Path(name)
        # Every command is written (and its scenario file made) here, before any thread runs one.
        counts = {
            (case.key, contender.label, customers): pool.submit(
                instructions, contender.command(customers, folder)
            )
            for case, lineup in lineups
            for contender in lineup
            for customers in (small, large)
        }
        for case, lineup in lineups:
            costs = {
                contender.label: per_customer(
                    small,
                    large,
                    (
                        counts[case.key, contender.label, small].result(),
                        counts[case.key, contender.label, large].result(),
                    ),
                )
                for contender in lineup
            }
            base = costs[lineup[0].label][0]
            print(f"\n{case.title}")
            columns = ("implementation", "per customer", "vs checkout-sim", "fixed (M)")
            print(f"| {columns[0]:<70} | {columns[1]:>12} | {columns[2]:>15} | {columns[3]:>9} |")
            print(f"|{'-' * 72}|{'-' * 14}|{'-' * 17}|{'-' * 11}|")
            for label, (cost, fixed) in costs.items():
                print(f"| {label:<70} | {cost:>12,.0f} | {base / cost:>14.2f}x | {fixed / 1e6:>9,.0f} |")
            speeds[case.key] = {label: 1 / cost for label, (cost, _) in costs.items()}
    return speeds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=30_000)
    parser.add_argument(
        "--cases", default=",".join(case.key for case in CASES), help="which cases, by number (default all)"
    )
    parser.add_argument(
        "--without", action="append", default=[], metavar="TEXT", help="leave out peers whose name holds TEXT"
    )
    parser.add_argument("--jobs", type=int, default=1, help="runs under callgrind at once (default 1)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("benchmarks/instructions.py: valgrind not found", file=sys.stderr)
        return 2
    small, large = args.small, args.large
    if not 0 < small < large:
        parser.error("--small must be above 0 and below --large")
    chosen = [BY_KEY[key.strip()] for key in args.cases.split(",")]
    lineups = {
        case.key: [
            contender
            for number, contender in enumerate(case.contenders)
            if number == 0 or not any(text in contender.label for text in args.without)
        ]
        for case in chosen
    }
    print(
        f"Instructions per customer (callgrind, PYTHONHASHSEED=0): runs of {small:,} and {large:,} "
        f"customers, the difference over {large - small:,}; "
        f"Python {platform.python_version()} on {platform.machine()}"
    )
    speeds = measure([(case, lineups[case.key]) for case in chosen], small, large, args.jobs)
    print_targets(speeds, "instructions per customer")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
