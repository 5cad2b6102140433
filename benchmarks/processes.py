"""Benchmark as whole processes: each case's implementations started fresh, in turn, start-up included.

    python benchmarks/processes.py [--customers 200000] [--rounds 5] [--cases 1,2,4,5,6] [--without Ciw]

A user runs ``run-scenario FILE``, so that is what is timed for checkout-sim (``--log
none --quiet``, or ``--log /dev/null`` for case 2), on the scenario ``run.py`` runs;
each peer is a ``python -c`` process calling its function from ``peers.py`` (the
commands are in ``cases.py``). The asyncio floor is left out: as a process it would
import checkout-sim's engine to borrow its loop, which says nothing.

Start-up comes first, as a figure of its own: the interpreter alone, ``import simpy``,
checkout-sim's command-line imports, and each program on one customer. Then every case:
after one warm-up run of each command, ``--rounds`` rounds, one run of each command per
round (A, B, A, B, ...), so that a machine that slows down affects them alike. The table
gives each command's median wall time with the min and max, its median CPU time (user +
system, from the kernel's accounting of the finished child), customers per second on the
median wall time, the same with the program's start-up (its one-customer run) taken
off, and its speed over checkout-sim's. Last, issue 20's targets on these figures: on
the median wall times, and on the median CPU times (which a busy machine disturbs less:
another process's work is not counted, only the caches it shares).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cases import BENCHMARKS, BY_KEY, CASES, Case, Contender, peer, print_targets, run_scenario
from scenarios import mm3_yaml


@dataclass
class Timings:
    """The counted runs of one command: wall and CPU seconds."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


#: The children's environment: bytecode is cached (in a folder of its own, not in the tree),
#: as a pip install gives it. With ``PYTHONDONTWRITEBYTECODE`` set, as on some machines,
#: every start of checkout-sim would compile its ~50 modules again (about 0.055 s) while the
#: peers, installed in site-packages, run compiled: an unfair start-up.
CHILD_ENV = {
    **{name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"},
    "PYTHONPYCACHEPREFIX": os.path.join(tempfile.gettempdir(), "checkout-sim-bench-pycache"),
}


def timed(command: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run of ``command``, which must succeed.

    The CPU time is the child's own user and system time from ``wait4``: what it spent
    whatever else the machine was doing. Its output is thrown away; its errors are kept
    to say why it failed.
    """
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        child = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors, env=CHILD_ENV
        )
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            errors.seek(0)
            message = errors.read().decode(errors="replace")
            raise RuntimeError(f"{command} failed with {child.returncode}:\n{message}")
    return wall, usage.ru_utime + usage.ru_stime


def in_turn(commands: dict[str, list[str]], rounds: int, warmup: int) -> dict[str, Timings]:
    """Each command run ``warmup`` times uncounted, then ``rounds`` times, one of each per round."""
    timings = {name: Timings() for name in commands}
    for number in range(warmup + rounds):
        for name, command in commands.items():
            wall, cpu = timed(command)
            if number >= warmup:
                timings[name].wall.append(wall)
                timings[name].cpu.append(cpu)
    return timings


def startup_commands(folder: Path, programs: set[str]) -> dict[str, list[str]]:
    """The start-up rows: the interpreter, the imports, and each program on one customer."""
    python = sys.executable
    tiny = folder / "startup-1.yaml"
    tiny.write_text(mm3_yaml(1), encoding="utf-8")
    commands = {
        "python -c pass": [python, "-c", "pass"],
        "python -c 'import simpy'": [python, "-c", "import simpy"],
        "python -c 'import checkout_sim.cli' (the command's imports)": [
            python,
            "-c",
            "import checkout_sim.cli",
        ],
        "checkout-sim: run-scenario, 1 customer": [
            *run_scenario(),
            str(tiny),
            "--seed",
            "1",
            "--log",
            "none",
            "--quiet",
        ],
        "SimPy: simpy_store, 1 customer": peer("simpy_store")(1, folder),
    }
    if "Ciw" in programs:
        commands["Ciw: ciw, 1 customer"] = peer("ciw")(1, folder)
    return commands


#: Which start-up row is each program's own.
STARTUP_OF = {
    "checkout-sim": "checkout-sim: run-scenario, 1 customer",
    "SimPy": "SimPy: simpy_store, 1 customer",
    "Ciw": "Ciw: ciw, 1 customer",
}


def startup_table(timings: dict[str, Timings]) -> None:
    print("\nStart-up: the interpreter, the imports, one customer")
    print(f"| {'command':<60} | {'wall s':>7} | {'min':>7} | {'max':>7} | {'cpu s':>7} |")
    print(f"|{'-' * 62}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 9}|")
    for name, timing in timings.items():
        wall = statistics.median(timing.wall)
        print(
            f"| {name:<60} | {wall:>7.3f} | {min(timing.wall):>7.3f} | {max(timing.wall):>7.3f} | "
            f"{statistics.median(timing.cpu):>7.3f} |"
        )


def case_table(
    case: Case, contenders: list[Contender], timings: dict[str, Timings], startup: dict[str, float], n: int
) -> dict[str, float]:
    """Print a case's table; return each implementation's customers per second (median wall)."""
    rates = {c.label: n / statistics.median(timings[c.label].wall) for c in contenders}
    base = rates[contenders[0].label]
    print(f"\n{case.title}")
    print(
        f"| {'implementation':<70} | {'wall s':>7} | {'min':>7} | {'max':>7} | {'cpu s':>7} | "
        f"{'customers/s':>11} | {'less start-up':>13} | {'vs checkout-sim':>15} |"
    )
    print(f"|{'-' * 72}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 13}|{'-' * 15}|{'-' * 17}|")
    for contender in contenders:
        timing = timings[contender.label]
        wall = statistics.median(timing.wall)
        rest = wall - startup[contender.program]
        less = f"{n / rest:>13,.0f}" if rest > 0 else f"{'-':>13}"  # a short run within start-up's noise
        print(
            f"| {contender.label:<70} | {wall:>7.3f} | {min(timing.wall):>7.3f} | {max(timing.wall):>7.3f} | "
            f"{statistics.median(timing.cpu):>7.3f} | {rates[contender.label]:>11,.0f} | {less} | "
            f"{rates[contender.label] / base:>14.2f}x |"
        )
    return rates


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5, help="counted runs of each command (default 5)")
    parser.add_argument(
        "--warmup", type=int, default=1, help="uncounted runs of each command first (default 1)"
    )
    parser.add_argument(
        "--cases", default=",".join(case.key for case in CASES), help="which cases, by number (default all)"
    )
    parser.add_argument(
        "--without", action="append", default=[], metavar="TEXT", help="leave out peers whose name holds TEXT"
    )
    args = parser.parse_args()
    n, rounds = args.customers, args.rounds
    chosen = [BY_KEY[key.strip()] for key in args.cases.split(",")]
    lineups = {
        case.key: [
            contender
            for number, contender in enumerate(case.contenders)
            if contender.whole_process
            and (number == 0 or not any(text in contender.label for text in args.without))
        ]
        for case in chosen
    }
    programs = {contender.program for lineup in lineups.values() for contender in lineup}
    print(
        f"Whole processes, {n:,} customers, median of {rounds} after {args.warmup} warm-up, in turn; "
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores"
    )
    print(
        f"checkout-sim: run-scenario FILE --seed 1 --log none --quiet; "
        f"peers: python -c 'from peers import F; F(N, 1)' in {BENCHMARKS}"
    )
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        starts = in_turn(startup_commands(folder, programs), rounds, args.warmup)
        startup_table(starts)
        startup = {
            program: statistics.median(starts[row].wall)
            for program, row in STARTUP_OF.items()
            if row in starts
        }
        rates: dict[str, dict[str, float]] = {}
        cpu_rates: dict[str, dict[str, float]] = {}
        for case in chosen:
            lineup = lineups[case.key]
            commands = {contender.label: contender.command(n, folder) for contender in lineup}
            timings = in_turn(commands, rounds, args.warmup)
            rates[case.key] = case_table(case, lineup, timings, startup, n)
            cpu_rates[case.key] = {label: n / statistics.median(timings[label].cpu) for label in commands}
    print_targets(rates, f"whole processes, median wall time of {rounds}", processes=True)
    print_targets(cpu_rates, f"whole processes, median CPU time of {rounds}", processes=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
