"""Benchmark: checkout-sim against SimPy and Ciw on the same models, in one process run.

    pip install -e '.[bench]' && python benchmarks/run.py [--customers 500000] [--repeat 3] [--memory]

(``--cases 1,5`` runs only those cases.)

Case 1, summary only: customers per second for checkout-sim (no event log), SimPy 4
(Store with three cashier processes; Resource with a process per customer), Ciw 3 and
the asyncio floor (the same producer-consumer on checkout-sim's loop, no bookkeeping),
and each one's ratio to checkout-sim. Case 2, full event log to a file: checkout-sim
against SimPy writing the same three events per customer, with the same fields, with
orjson (the two logs are the same size to within 0.1 %). Case 3 (``--memory``): peak
memory (VmHWM of a fresh process) of checkout-sim on every case at N and 10 N customers.
Case 4: three lane groups (3 tills, 2 express at half the service time, 4 kiosks at 1.5
times it) where each customer joins the group with the fewest people ahead per till and
leaves when patience runs out, against the same model in SimPy. Case 5: six tills each
with its own line, every arrival joining the line with the fewest people (ties at
random), at utilisation 0.9, against SimPy (a Store per till, its main peer; six
one-till Resources) and Ciw (``LoadBalancing``, its join-the-shortest-queue that counts
those in service). Case 6: case 5's shop with one shared line, written as ``cashiers``
and as a ``lanes:`` group; one shop, so both must serve the same customers with the same
mean wait (checked: the run fails otherwise), and the lanes form should cost no more.
Last, issue 20's speed targets, each as checkout-sim's speed over its peer's.

Each timing is the best of ``--repeat`` runs, taken in turns (one run of each per
round); all runs of a case happen in this one process run. ``processes.py`` times the
same cases as whole processes (start-up included) and ``instructions.py`` counts their
instructions per customer, which do not wander with the machine's load.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from cases import CASHIERS_FORM, LANES_FORM, print_targets
from peers import (
    PEERS,
    ciw_own_lines,
    simpy_lanes,
    simpy_own_lines,
    simpy_store,
    simpy_store_own_lines,
)
from scenarios import lanes_yaml, mm3_yaml, own_lines_yaml, shared_yaml

from checkout_sim import Scenario, parse_scenario, run

#: The tables' titles, by case; the targets refer to rows by case key and label.
TITLES = {
    "1": "Case 1: summary only",
    "2": "Case 2: full event log to a file",
    "4": "Case 4: three lane groups, shortest line, patience (customers/s counts every arrival)",
    "5": "Case 5: six tills, a line at each, every arrival joins the shortest (utilisation 0.9)",
    "6": "Case 6: six tills, one shared line (utilisation 0.9), as cashiers and as a lanes: group",
}


def scenario(customers: int) -> Scenario:
    """The M/M/3 model as a checkout-sim scenario."""
    return parse_scenario(mm3_yaml(customers))


def lanes_scenario(customers: int) -> Scenario:
    """Case 4's model as a checkout-sim scenario."""
    return parse_scenario(lanes_yaml(customers))


def own_lines_scenario(customers: int) -> Scenario:
    """Case 5's model as a checkout-sim scenario."""
    return parse_scenario(own_lines_yaml(customers))


def ours(customers: int, seed: int) -> tuple[int, float]:
    summary = run(scenario(customers), seed=seed)
    assert summary.wait_mean is not None
    return summary.served, summary.wait_mean


def ours_logged(customers: int, seed: int, path: str) -> tuple[int, float]:
    """Case 2: the M/M/3 run with its event log written to ``path``."""
    with open(path, "wb") as stream:
        summary = run(scenario(customers), seed=seed, log=stream)
    assert summary.wait_mean is not None
    return summary.served, summary.wait_mean


def ours_lanes(customers: int, seed: int) -> tuple[int, float]:
    summary = run(lanes_scenario(customers), seed=seed)
    assert summary.wait_mean is not None
    return summary.arrived, summary.wait_mean


def ours_own_lines(customers: int, seed: int) -> tuple[int, float]:
    summary = run(own_lines_scenario(customers), seed=seed)
    assert summary.wait_mean is not None
    return summary.served, summary.wait_mean


def ours_shared(customers: int, seed: int, form: str = "lanes") -> tuple[int, float]:
    """Case 6: the six tills with one shared line, written as ``cashiers`` or as ``lanes``."""
    summary = run(parse_scenario(shared_yaml(customers, form)), seed=seed)
    assert summary.wait_mean is not None
    return summary.served, summary.wait_mean


def ours_cashiers(customers: int, seed: int) -> tuple[int, float]:
    """Case 6 written with ``cashiers``."""
    return ours_shared(customers, seed, "cashiers")


Row = tuple[str, float, int, float]


def best_rates(functions: dict[str, Callable[[], tuple[int, float]]], repeat: int) -> list[Row]:
    """(name, customers per second of its fastest run, customers counted, mean wait) for each function.

    The runs take turns, one of each function per round, so a machine that slows down
    or speeds up during the benchmark affects every implementation alike.
    """
    best = dict.fromkeys(functions, 0.0)
    results = dict.fromkeys(functions, (0, 0.0))
    for _ in range(repeat):
        for name, function in functions.items():
            started = time.perf_counter()
            results[name] = function()
            best[name] = max(best[name], results[name][0] / (time.perf_counter() - started))
    return [(name, best[name], *results[name]) for name in functions]


def table(title: str, rows: list[Row]) -> None:
    base = rows[0][1]
    print(f"\n{title}")
    header = ("implementation", "customers/s", "vs checkout-sim", "mean wait (min)")
    print(f"| {header[0]:<70} | {header[1]:>12} | {header[2]:>15} | {header[3]:>15} |")
    print(f"|{'-' * 72}|{'-' * 14}|{'-' * 17}|{'-' * 17}|")
    for name, rate, _, wait in rows:
        print(f"| {name:<70} | {rate:>12,.0f} | {rate / base:>14.2f}x | {wait / 60:>15.3f} |")


def peak_rss(call: str) -> int:
    """Peak resident memory (VmHWM, KiB) of a fresh process that runs ``call`` from this module.

    Not ``ru_maxrss``: on Linux that survives exec, so a child would report its parent's peak.
    """
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        f"from run import *; {call};"
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(Path(__file__).parent)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return int(out.strip())


#: Case 3: what a fresh process runs for each case, at ``n`` customers (the log to /dev/null).
MEMORY_CALLS = {
    "1": "ours({n}, 1)",
    "2": "ours_logged({n}, 1, '/dev/null')",
    "4": "ours_lanes({n}, 1)",
    "5": "ours_own_lines({n}, 1)",
    "6 (cashiers)": "ours_cashiers({n}, 1)",
    "6 (lanes)": "ours_shared({n}, 1)",
}


def memory_table(n: int, chosen: list[str]) -> None:
    print(
        f"\nCase 3: peak memory (VmHWM of a fresh process), checkout-sim on each case at {n:,} and {10 * n:,}"
    )
    print(f"| {'case':<12} | {'N (MiB)':>10} | {'10 N (MiB)':>10} | {'ratio':>6} |")
    print(f"|{'-' * 14}|{'-' * 12}|{'-' * 12}|{'-' * 8}|")
    for case, call in MEMORY_CALLS.items():
        if case.split()[0] not in chosen:
            continue
        small, large = peak_rss(call.format(n=n)), peak_rss(call.format(n=10 * n))
        print(f"| {case:<12} | {small / 1024:>10.1f} | {large / 1024:>10.1f} | {large / small:>6.3f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--memory", action="store_true", help="also measure peak memory at N and 10 N on every case"
    )
    parser.add_argument("--cases", default=",".join(TITLES), help="which cases, by number (default all)")
    args = parser.parse_args()
    chosen = [key.strip() for key in args.cases.split(",")]
    if unknown := [key for key in chosen if key not in TITLES]:
        parser.error(f"no case {', '.join(unknown)}: the cases are {', '.join(TITLES)}")
    missing = [name for name in ("simpy", "ciw") if importlib.util.find_spec(name) is None]
    if missing:
        print(
            f"benchmarks/run.py: {' and '.join(missing)} not installed: pip install -e '.[bench]'",
            file=sys.stderr,
        )
        return 2
    n, repeat = args.customers, args.repeat
    print(
        f"M/M/3, lambda 2.7/min, mu 1/min, {n:,} customers, best of {repeat}; "
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores"
    )
    results: dict[str, list[Row]] = {}
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "log.jsonl")

        def simpy_logged() -> tuple[int, float]:
            with open(path, "wb") as stream:
                return simpy_store(n, 1, stream)

        case1 = {"checkout-sim (no event log)": lambda: ours(n, 1)}
        case1 |= {name: (lambda f=function: f(n, 1)) for name, function in PEERS.items()}
        lineups: dict[str, dict[str, Callable[[], tuple[int, float]]]] = {
            "1": case1,
            "2": {
                "checkout-sim (event log)": lambda: ours_logged(n, 1, path),
                "SimPy Store + orjson, 3 events/customer": simpy_logged,
            },
            "4": {
                "checkout-sim (lanes, no event log)": lambda: ours_lanes(n, 1),
                "SimPy: a Resource per group, a process per customer": lambda: simpy_lanes(n, 1),
            },
            "5": {
                "checkout-sim (line: per_till, no event log)": lambda: ours_own_lines(n, 1),
                "SimPy: a Store per till, one cashier process each": lambda: simpy_store_own_lines(n, 1),
                "SimPy: six one-till Resources, a process per customer": lambda: simpy_own_lines(n, 1),
                "Ciw: LoadBalancing (join-the-shortest-queue) to six one-server nodes": lambda: ciw_own_lines(
                    n, 1
                ),
            },
            "6": {CASHIERS_FORM: lambda: ours_cashiers(n, 1), LANES_FORM: lambda: ours_shared(n, 1)},
        }
        for key in chosen:
            results[key] = best_rates(lineups[key], repeat)
    for key, rows in results.items():
        table(TITLES[key], rows)

    same = True
    if "6" in results:
        (_, _, served_cashiers, wait_cashiers), (_, _, served_lanes, wait_lanes) = results["6"]
        same = (served_cashiers, wait_cashiers) == (served_lanes, wait_lanes)
        print(
            f"\nCase 6, one shop two ways (seed 1): served {served_cashiers:,} and {served_lanes:,}, "
            f"mean wait {wait_cashiers!r} s and {wait_lanes!r} s: {'the same' if same else 'DIFFERENT'}"
        )

    rates = {key: {name: rate for name, rate, _, _ in rows} for key, rows in results.items()}
    print_targets(rates, f"in-process, best of {repeat}")

    if args.memory:
        memory_table(n, chosen)
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
