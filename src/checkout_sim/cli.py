"""``run-scenario``: the command line, a thin layer over :func:`checkout_sim.run`.

stdout carries only the event log; people read stderr. :func:`main` is the one place
where failures become exit codes: 0 success, 1 failure while running, 2 invalid
scenario or usage, 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO

import orjson

from . import __version__
from ._clock import SimulationStalled
from ._eventlog import EventLogError
from ._goals import GoalError
from .display import format_replications, format_summary, format_sweep, format_theory
from .loader import Problem, ScenarioError, load_scenario
from .report import LiveReport, ReportError, ReportUnwritable, require_plotting
from .runner import Interrupted, replicate
from .scenario import Scenario
from .sweep import SweepError, run_sweep

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


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= 100_000:
        raise argparse.ArgumentTypeError(f"must be from 1 to 100000, got {text!r}")
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
    parser.add_argument(
        "--replications",
        type=_count,
        default=1,
        metavar="N",
        help="run N times with seeds seed, seed+1, ...; report means with 95%% confidence intervals",
    )
    parser.add_argument(
        "--compare-theory",
        action="store_true",
        help="print the analytic prediction beside the simulated figures (textbook models)",
    )
    parser.add_argument(
        "--sweep",
        action="append",
        default=[],
        metavar="KEY=V1,V2,...",
        help="run every combination of these settings (ranges: cashiers.count=2..12); repeatable",
    )
    parser.add_argument(
        "--goal",
        action="append",
        default=[],
        metavar="EXPR",
        help="with --sweep: a goal such as 'wait_p90 <= 5m' or 'balked / arrived <= 0.01'; repeatable",
    )
    parser.add_argument(
        "--minimize", metavar="KEY", help="with --sweep: cheapest = smallest KEY (default: first)"
    )
    parser.add_argument(
        "--jobs", type=_count, metavar="N", help="with --sweep: local worker processes (default: cores)"
    )
    parser.add_argument("--dask", metavar="ADDRESS", help="with --sweep: run on this Dask scheduler instead")
    parser.add_argument(
        "--report", metavar="PATH", help="also write a self-contained HTML report of the run (report extra)"
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
    try:
        yield stream
    finally:
        try:
            stream.close()
        except OSError as error:
            raise EventLogError(error.errno, error.strerror) from error


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    args = _parser().parse_args(argv)
    try:
        _check_report(args)
        scenario = load_scenario(args.path, args.set, on_warning=_warn)
        scenario = _with_clock(scenario, args.clock, args.speed)
        if args.check:
            print(f"{args.path}: ok", file=sys.stderr)
            return EXIT_OK
        if args.sweep:
            return _sweep(args, scenario)
        if args.goal or args.minimize or args.jobs or args.dask:
            raise SweepError("--goal, --minimize, --jobs and --dask go with --sweep")
        with _log_stream(args.log) as stream, _progress_bar("% of the arrivals") as tick:
            live_report = LiveReport(args.report) if args.report else None
            summaries = replicate(
                scenario,
                args.replications,
                seed=args.seed,
                log=stream if live_report is None else live_report.log(stream),
                item_events=args.items,
                progress=None if tick is None else (lambda fraction: tick(round(100 * fraction), 100)),
                batch_means=args.compare_theory and args.replications == 1,
                on_behind=_behind,
            )
        if live_report is not None:
            live_report.write()
    except ScenarioError as error:
        print(error, file=sys.stderr)
        return EXIT_USAGE
    except (SweepError, GoalError) as error:
        print(f"run-scenario: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ReportError as error:
        print(f"run-scenario: --report: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ReportUnwritable as error:
        print(f"run-scenario: {error}", file=sys.stderr)
        return EXIT_FAILED
    except Interrupted as stop:
        if not args.quiet:
            print(format_summary(scenario, stop.summary), file=sys.stderr)
        name = signal.Signals(stop.signal_number).name
        print(f"run-scenario: interrupted by {name}; the log ends with the partial summary", file=sys.stderr)
        return 128 + stop.signal_number
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
    except EventLogError as error:
        where = "stdout" if args.log == "-" else args.log
        print(f"run-scenario: cannot write the log to {where}: {error.strerror}", file=sys.stderr)
        return EXIT_FAILED
    except (SimulationStalled, Exception) as error:
        if args.debug:
            traceback.print_exc()
        print(f"run-scenario: error: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_FAILED
    if not args.quiet:
        report = (
            format_summary(scenario, summaries[0])
            if len(summaries) == 1
            else format_replications(scenario, summaries)
        )
        print(report, file=sys.stderr)
    if args.compare_theory:
        print(format_theory(scenario, summaries), file=sys.stderr)
    return EXIT_OK


def _behind(lag: float, when: float) -> None:
    """Say once that the wall clock runs ahead of the simulation at the chosen speed."""
    print(
        f"run-scenario: warning: at t={when:g}s the run is {lag:.3g} simulated seconds behind the wall "
        "clock: this computer cannot keep up at this speed (the results are the same, only slower)",
        file=sys.stderr,
    )


def _check_report(args: argparse.Namespace) -> None:
    """Before any work: --report needs matplotlib and one scenario's runs, not a sweep."""
    if args.report is None:
        return
    if args.sweep:
        raise SweepError("--report does not go with --sweep (a report shows the runs of one scenario)")
    require_plotting()


def _warn(problem: Problem) -> None:
    print(problem, file=sys.stderr)


def _with_clock(scenario: Scenario, clock: str | None, speed: float | None) -> Scenario:
    update: dict[str, object] = {}
    if clock is not None:
        update["clock"] = clock
    if speed is not None:
        update["speed"] = speed
    return scenario.model_copy(update=update) if update else scenario


# --- sweeps ----------------------------------------------------------------------


def _sweep(args: argparse.Namespace, scenario: Scenario) -> int:
    """Run the grid; JSON lines of run summaries to the log, the table and answer to stderr."""
    if args.items or args.compare_theory:
        raise SweepError("--items and --compare-theory do not go with --sweep")
    base = list(args.set)
    if args.clock:
        base.append(f"clock={args.clock}")
    if args.speed:
        base.append(f"speed={args.speed}")
    with _progress_bar("runs") as tick:
        result = run_sweep(
            Path(args.path).read_bytes().decode("utf-8"),
            args.path,
            base=base,
            sweeps=args.sweep,
            replications=args.replications,
            seed=args.seed,
            goals=args.goal,
            minimize=args.minimize,
            jobs=args.jobs,
            dask=args.dask,
            progress=tick,
        )
    with _log_stream(args.log) as stream:
        if stream is not None:
            for variant in result.results:
                for run_number, summary in enumerate(variant.summaries, start=1):
                    record = {
                        "t": summary.elapsed,
                        "event": "run_finished",
                        "variant": variant.variant.number,
                        "settings": variant.variant.settings,
                        "run": run_number,
                        **summary.to_dict(),
                    }
                    stream.write(orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE))
    if not args.quiet:
        print(format_sweep(scenario, result, args.replications, args.minimize), file=sys.stderr)
    return EXIT_OK


@contextlib.contextmanager
def _progress_bar(unit: str) -> Iterator[Callable[[int, int], None] | None]:
    """A one-line progress bar on stderr, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    width = 30

    def tick(done: int, total: int) -> None:
        filled = width * done // max(total, 1)
        sys.stderr.write(f"\r  [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {unit}")
        sys.stderr.flush()

    try:
        yield tick
    finally:
        sys.stderr.write("\r" + " " * (width + 30) + "\r")
        sys.stderr.flush()
