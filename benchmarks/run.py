"""Benchmark: checkout-sim against SimPy and Ciw on the same M/M/3 model, in one process run.

    pip install -e '.[bench]' && python benchmarks/run.py [--customers 500000] [--repeat 3]

Case 1, summary only: customers per second for checkout-sim (no event log), SimPy 4
(Store with three cashier processes; Resource with a process per customer) and Ciw 3,
and each one's ratio to checkout-sim. Case 2, full event log to a file: checkout-sim
against SimPy writing the same three events per customer, with the same fields, with
orjson (the two logs are the same size to within 0.1 %). Case 3: peak
memory (max RSS of a fresh process) for N and 10 N customers. Case 4: three lane groups
(3 tills, 2 express at half the service time, 4 kiosks at 1.5 times it) where each
customer joins the group with the fewest people ahead per till and leaves when patience
runs out, against the same model in SimPy. Case 5: six tills each with its own line,
every arrival joining the line with the fewest people (ties at random), at utilisation
0.9, against SimPy (a Store per till, its main peer; six one-till Resources) and Ciw (``LoadBalancing``, its
join-the-shortest-queue that counts those in service). Each timing is the best
of ``--repeat`` runs, taken in turns (one run of each per round); all runs of a
case happen in this one process run.
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

from peers import (
    CASHIERS,
    LAMBDA,
    LANE_GROUPS,
    LANES_LAMBDA,
    LANES_PATIENCE,
    LANES_SERVICE,
    MU,
    OWN_LAMBDA,
    OWN_SERVICE,
    OWN_TILLS,
    PEERS,
    ciw_own_lines,
    simpy_lanes,
    simpy_own_lines,
    simpy_store,
    simpy_store_own_lines,
)

from checkout_sim import Scenario, parse_scenario, run

MODEL = """
name: mm3-benchmark
arrivals: {{pattern: poisson, rate: {rate}/s, limit: {customers}}}
products: [{{name: service, checkout_time: {{dist: exponential, mean: {mean}s}}}}]
cashiers: {{count: {cashiers}}}
"""


def scenario(customers: int) -> Scenario:
    """The benchmark model as a checkout-sim scenario."""
    return parse_scenario(MODEL.format(rate=LAMBDA, customers=customers, mean=1 / MU, cashiers=CASHIERS))


LANES_MODEL = """
name: three-groups-benchmark
arrivals: {{pattern: poisson, rate: {rate}/s, limit: {customers}}}
products: [{{name: service, checkout_time: {{dist: exponential, mean: {mean}s}}}}]
segments: [{{name: regular, patience: {{dist: exponential, mean: {patience}s}}, choice: shortest}}]
lanes:
{lanes}
"""


def lanes_scenario(customers: int) -> Scenario:
    """Case 4's model as a checkout-sim scenario."""
    lanes = "\n".join(
        f"  - {{name: {name}, count: {count}, scan_factor: {factor}}}" for name, count, factor in LANE_GROUPS
    )
    return parse_scenario(
        LANES_MODEL.format(
            rate=LANES_LAMBDA, customers=customers, mean=LANES_SERVICE, patience=LANES_PATIENCE, lanes=lanes
        )
    )


def ours_lanes(customers: int, seed: int) -> tuple[int, float]:
    summary = run(lanes_scenario(customers), seed=seed)
    assert summary.wait_mean is not None
    return summary.arrived, summary.wait_mean


OWN_LINES_MODEL = """
name: own-lines-benchmark
arrivals: {{pattern: poisson, rate: {rate}/s, limit: {customers}}}
products: [{{name: service, checkout_time: {{dist: exponential, mean: {mean}s}}}}]
segments: [{{name: regular, choice: shortest}}]
lanes: [{{name: tills, count: {tills}, line: per_till}}]
"""


def own_lines_scenario(customers: int) -> Scenario:
    """Case 5's model as a checkout-sim scenario."""
    return parse_scenario(
        OWN_LINES_MODEL.format(rate=OWN_LAMBDA, customers=customers, mean=OWN_SERVICE, tills=OWN_TILLS)
    )


def ours_own_lines(customers: int, seed: int) -> tuple[int, float]:
    summary = run(own_lines_scenario(customers), seed=seed)
    assert summary.wait_mean is not None
    return summary.served, summary.wait_mean


def ours(customers: int, seed: int) -> tuple[int, float]:
    summary = run(scenario(customers), seed=seed)
    assert summary.wait_mean is not None
    return summary.served, summary.wait_mean


def best_rates(
    functions: dict[str, Callable[[], tuple[int, float]]], repeat: int
) -> list[tuple[str, float, float]]:
    """(name, customers per second of its fastest run, mean wait) for each function.

    The runs take turns, one of each function per round, so a machine that slows down
    or speeds up during the benchmark affects every implementation alike.
    """
    best = dict.fromkeys(functions, 0.0)
    waits = dict.fromkeys(functions, 0.0)
    for _ in range(repeat):
        for name, function in functions.items():
            started = time.perf_counter()
            served, waits[name] = function()
            best[name] = max(best[name], served / (time.perf_counter() - started))
    return [(name, best[name], waits[name]) for name in functions]


def table(title: str, rows: list[tuple[str, float, float]]) -> None:
    base = rows[0][1]
    print(f"\n{title}")
    header = ("implementation", "customers/s", "vs checkout-sim", "mean wait (min)")
    print(f"| {header[0]:<52} | {header[1]:>12} | {header[2]:>15} | {header[3]:>15} |")
    print(f"|{'-' * 54}|{'-' * 14}|{'-' * 17}|{'-' * 17}|")
    for name, rate, wait in rows:
        print(f"| {name:<52} | {rate:>12,.0f} | {rate / base:>14.2f}x | {wait / 60:>15.3f} |")


def peak_rss(customers: int) -> int:
    """Peak resident memory (VmHWM, KiB) of a fresh process that runs the model.

    Not ``ru_maxrss``: on Linux that survives exec, so a child would report its parent's peak.
    """
    code = (
        "import sys; sys.path.insert(0, sys.argv[2]);"
        "from run import ours; ours(int(sys.argv[1]), 1);"
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(customers), str(Path(__file__).parent)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return int(out.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory", action="store_true", help="also measure peak memory at N and 10 N")
    args = parser.parse_args()
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

    contenders = {"checkout-sim (no event log)": lambda: ours(n, 1)}
    contenders |= {name: (lambda f=function: f(n, 1)) for name, function in PEERS.items()}
    table("Case 1: summary only", best_rates(contenders, repeat))

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "log.jsonl"

        def ours_logged() -> tuple[int, float]:
            with path.open("wb") as stream:
                summary = run(scenario(n), seed=1, log=stream)
            assert summary.wait_mean is not None
            return summary.served, summary.wait_mean

        def simpy_logged() -> tuple[int, float]:
            with path.open("wb") as stream:
                return simpy_store(n, 1, stream)

        table(
            "Case 2: full event log to a file",
            best_rates(
                {
                    "checkout-sim (event log)": ours_logged,
                    "SimPy Store + orjson, 3 events/customer": simpy_logged,
                },
                repeat,
            ),
        )

    table(
        "Case 4: three lane groups, shortest line, patience (customers/s counts every arrival)",
        best_rates(
            {
                "checkout-sim (lanes, no event log)": lambda: ours_lanes(n, 1),
                "SimPy: a Resource per group, a process per customer": lambda: simpy_lanes(n, 1),
            },
            repeat,
        ),
    )

    table(
        "Case 5: six tills, a line at each, every arrival joins the shortest (utilisation 0.9)",
        best_rates(
            {
                "checkout-sim (line: per_till, no event log)": lambda: ours_own_lines(n, 1),
                "SimPy: a Store per till, one cashier process each": lambda: simpy_store_own_lines(n, 1),
                "SimPy: six one-till Resources, a process per customer": lambda: simpy_own_lines(n, 1),
                "Ciw: LoadBalancing (join-the-shortest-queue) to six one-server nodes": lambda: ciw_own_lines(
                    n, 1
                ),
            },
            repeat,
        ),
    )

    if args.memory:
        small, large = peak_rss(n), peak_rss(10 * n)
        print(
            f"\nCase 3: peak memory (VmHWM of a fresh process): {n:,} customers {small / 1024:.1f} MiB, "
            f"{10 * n:,} customers {large / 1024:.1f} MiB, ratio {large / small:.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
