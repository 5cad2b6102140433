"""``run-scenario``: the command line, a thin layer over :func:`checkout_sim.run`.

stdout carries only the event log; people read stderr. :func:`main` is the one place
where failures become exit codes: 0 success, 1 failure while running, 2 invalid
scenario or usage, 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import traceback
from collections.abc import Iterator, Sequence
from typing import IO

from . import __version__
from ._clock import SimulationStalled
from .loader import Problem, ScenarioError, load_scenario
from .runner import run
from .scenario import Scenario
from .summary import PERCENTILE_RELATIVE_ERROR, SegmentSummary, Summary

__all__ = ["main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _LogUnwritable(Exception):
    """The event log's destination cannot be opened for writing."""


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, got {text!r}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"must be from 0 to 2**63-1, got {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run-scenario",
        description=(
            "Run a checkout scenario (YAML) as asyncio producers and consumers and write "
            "its event log as JSON lines to stdout; a short summary goes to stderr."
        ),
    )
    parser.add_argument("path", metavar="PATH", help="the scenario file")
    parser.add_argument("--seed", type=_seed, metavar="N", help="random seed (overrides the scenario's)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a key by dotted path, the value read as YAML "
        "(cashiers.count=5, products.0.price=2.5); repeatable",
    )
    parser.add_argument(
        "--log",
        metavar="PATH",
        default="-",
        help="where the event log goes: a file, - for stdout (default), or none",
    )
    parser.add_argument("--clock", choices=("virtual", "realtime"), help="override the scenario's clock")
    parser.add_argument(
        "--speed",
        type=_positive_float,
        metavar="X",
        help="realtime clock: simulated seconds per wall second",
    )
    parser.add_argument("--items", action="store_true", help="also log one item_scanned event per item")
    parser.add_argument("--check", action="store_true", help="validate the scenario and exit")
    parser.add_argument("--quiet", action="store_true", help="no summary on stderr")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of failures")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


@contextlib.contextmanager
def _log_stream(destination: str) -> Iterator[IO[bytes] | None]:
    if destination == "none":
        yield None
        return
    if destination == "-":
        yield sys.stdout.buffer
        return
    try:
        stream = open(destination, "wb")  # noqa: SIM115 - closed below, after the run
    except OSError as error:
        raise _LogUnwritable(f"cannot write the log to {destination}: {error.strerror or error}") from None
    with stream:
        yield stream


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    args = _parser().parse_args(argv)
    try:
        scenario = load_scenario(args.path, args.set, on_warning=_warn)
        scenario = _with_clock(scenario, args.clock, args.speed)
        if args.check:
            print(f"{args.path}: ok", file=sys.stderr)
            return EXIT_OK
        with _log_stream(args.log) as stream:
            summary = run(scenario, seed=args.seed, log=stream, item_events=args.items)
    except ScenarioError as error:
        print(error, file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("run-scenario: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (| head): stop quietly, and keep Python from
        # complaining again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except _LogUnwritable as error:
        print(f"run-scenario: {error}", file=sys.stderr)
        return EXIT_FAILED
    except (SimulationStalled, Exception) as error:
        if args.debug:
            traceback.print_exc()
        print(f"run-scenario: error: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_FAILED
    if not args.quiet:
        print(_format_summary(scenario, summary), file=sys.stderr)
    return EXIT_OK


def _warn(problem: Problem) -> None:
    print(problem, file=sys.stderr)


def _with_clock(scenario: Scenario, clock: str | None, speed: float | None) -> Scenario:
    update: dict[str, object] = {}
    if clock is not None:
        update["clock"] = clock
    if speed is not None:
        update["speed"] = speed
    return scenario.model_copy(update=update) if update else scenario


# --- the human summary ----------------------------------------------------------


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 60:
        return f"{value:.1f}s"
    minutes, seconds = divmod(round(value), 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def _waits(figures: SegmentSummary) -> str:
    return (
        f"mean {_seconds(figures.wait_mean)}  p50 {_seconds(figures.wait_p50)}  "
        f"p90 {_seconds(figures.wait_p90)}  p99 {_seconds(figures.wait_p99)}  "
        f"max {_seconds(figures.wait_max)}"
    )


def _format_summary(scenario: Scenario, summary: Summary) -> str:
    utilisation = "-" if summary.utilisation is None else f"{summary.utilisation:.1%}"
    throughput = "-" if summary.throughput_per_hour is None else f"{summary.throughput_per_hour:.1f}/h"
    lines = [
        f"{scenario.name}: {_seconds(summary.elapsed)} simulated "
        f"({scenario.clock} clock, seed {summary.seed})",
        f"  customers  arrived {summary.arrived}  served {summary.served}  balked {summary.balked}  "
        f"reneged {summary.reneged}  unserved {summary.unserved}",
        f"  wait       {_waits(summary)}",
        f"  line       mean {summary.queue_length_mean:.2f}  max {summary.queue_length_max}",
        f"  cashiers   utilisation {utilisation}  most open {summary.lanes_max}  throughput {throughput}",
    ]
    if len(summary.segments) > 1:
        width = max(len(name) for name in summary.segments)
        for name, figures in summary.segments.items():
            lines.append(f"  {name:<{width}}  served {figures.served:>5}  wait {_waits(figures)}")
    lines.append(f"  (percentiles within {PERCENTILE_RELATIVE_ERROR:.1%})")
    return "\n".join(lines)
