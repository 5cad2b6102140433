"""``run-scenario``: the command line, a thin layer over :func:`checkout_sim.run`.

stdout carries only the event log; people read stderr. :func:`main` is the one place
where failures become exit codes: 0 success, 1 failure while running, 2 invalid
scenario or usage, 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, cast

import orjson

from . import __version__
from ._clock import SimulationStalled
from ._confidence import interval_of
from ._eventlog import EventLogError
from ._goals import GoalError
from .loader import Override, Problem, ScenarioError, load_scenario
from .report import ReportError, build_report, read_events
from .runner import Interrupted, replicate
from .scenario import Scenario
from .summary import PERCENTILE_RELATIVE_ERROR, SegmentSummary, Summary, figures, pooled_quantile
from .sweep import SweepError, SweepResult, run_sweep
from .theory import predict

__all__ = ["main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _LogUnwritable(Exception):
    """The event log's destination cannot be opened for writing."""


class _Tee(io.RawIOBase):
    """Writes the log to its destination (if any) and keeps a copy for the report."""

    def __init__(self, stream: IO[bytes] | None, copy: io.BytesIO) -> None:
        super().__init__()
        self._stream, self._copy = stream, copy

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if self._stream is not None:
            self._stream.write(data)
        return self._copy.write(data)

    def flush(self) -> None:
        # The destination is not the tee's: once its owner has closed it, there is
        # nothing left to push (the tee is flushed again when it is collected).
        if self._stream is not None and not self._stream.closed:
            self._stream.flush()


def _positive_float(text: str) -> str:
    """The text of a finite number above 0, as given (a problem with it names ``--speed TEXT``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, got {text!r}")
    return text


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
        scenario = load_scenario(args.path, [*args.set, *_clock_overrides(args)], on_warning=_warn)
        if args.check:
            print(f"{args.path}: ok", file=sys.stderr)
            return EXIT_OK
        if args.sweep:
            return _sweep(args, scenario)
        if args.goal or args.minimize or args.jobs or args.dask:
            raise SweepError("--goal, --minimize, --jobs and --dask go with --sweep")
        with _log_stream(args.log) as stream, _progress_bar("% of the arrivals") as tick:
            kept = io.BytesIO() if args.report else None
            summaries = replicate(
                scenario,
                args.replications,
                seed=args.seed,
                log=cast(IO[bytes], _Tee(stream, kept)) if kept is not None else stream,
                item_events=args.items,
                progress=None if tick is None else (lambda fraction: tick(round(100 * fraction), 100)),
            )
        if kept is not None:
            Path(args.report).write_text(
                build_report(read_events(kept.getvalue().splitlines())), encoding="utf-8"
            )
    except ScenarioError as error:
        print(error, file=sys.stderr)
        return EXIT_USAGE
    except (SweepError, GoalError) as error:
        print(f"run-scenario: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ReportError as error:
        print(f"run-scenario: --report: {error}", file=sys.stderr)
        return EXIT_FAILED
    except Interrupted as stop:
        if not args.quiet:
            print(_format_summary(scenario, stop.summary), file=sys.stderr)
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
            _format_summary(scenario, summaries[0])
            if len(summaries) == 1
            else _format_replications(scenario, summaries)
        )
        print(report, file=sys.stderr)
    if args.compare_theory:
        print(_format_theory(scenario, summaries), file=sys.stderr)
    return EXIT_OK


def _warn(problem: Problem) -> None:
    print(problem, file=sys.stderr)


def _clock_overrides(args: argparse.Namespace) -> list[Override]:
    """--clock and --speed as overrides, validated (and warned about) under their own names."""
    found = []
    if args.clock is not None:
        found.append(Override(f"clock={args.clock}", f"--clock {args.clock}"))
    if args.speed is not None:
        found.append(Override(f"speed={float(args.speed)!r}", f"--speed {args.speed}"))
    return found


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


_RATIOS = ("wait_probability", "loss", "abandonment", "utilisation")


def _figure_text(name: str, value: float) -> str:
    if name.startswith("wait_"):
        return f"{value:.4g}s" if name != "wait_probability" else f"{value:.4f}"
    if name in _RATIOS:
        return f"{value:.4f}"
    return f"{value:.4g}"


def _intervals(summaries: list[Summary]) -> dict[str, tuple[float, float]]:
    """Each figure's mean and 95 % half-width across replications (figures every run has)."""
    per_run = [figures(summary) for summary in summaries]
    found = {name: interval_of([run_figures.get(name) for run_figures in per_run]) for name in per_run[0]}
    return {name: interval for name, interval in found.items() if interval is not None}


def _format_replications(scenario: Scenario, summaries: list[Summary]) -> str:
    first, last = summaries[0].seed, summaries[-1].seed
    lines = [
        f"{scenario.name}: {len(summaries)} replications (seeds {first}..{last}, {scenario.clock} clock)",
        f"  {'figure':<24}{'mean':>14}   95% confidence interval",
    ]
    for name, (mean, half) in _intervals(summaries).items():
        lines.append(
            f"  {name:<24}{_figure_text(name, mean):>14}   "
            f"[{_figure_text(name, mean - half)}, {_figure_text(name, mean + half)}]"
        )
    counts = ("arrived", "served", "balked", "reneged", "unserved")
    totals = "  ".join(f"{key} {sum(getattr(s, key) for s in summaries)}" for key in counts)
    lines.append(f"  customers in all runs: {totals}")
    return "\n".join(lines)


def _format_theory(scenario: Scenario, summaries: list[Summary]) -> str:
    prediction = predict(scenario)
    several = len(summaries) > 1
    intervals = _intervals(summaries) if several else {}
    simulated = figures(summaries[0])
    lines = [f"theory: {prediction.model}"]
    if prediction.figures:
        header = "simulated (95% CI)" if several else "simulated"
        lines.append(f"  {'figure':<24}{header:>30}{'theory':>14}{'difference':>12}")
    for name, expected in prediction.figures.items():
        if several and name in intervals:
            mean, half = intervals[name]
            shown = f"{_figure_text(name, mean)} ± {_figure_text(name, half)}"
            verdict = "  within CI" if abs(mean - expected) <= half else "  outside CI"
        else:
            value = simulated.get(name)
            if value is None:
                continue
            mean, shown, verdict = value, _figure_text(name, value), ""
        difference = f"{(mean - expected) / expected:+.1%}" if expected else f"{mean - expected:+.3g}"
        lines.append(f"  {name:<24}{shown:>30}{_figure_text(name, expected):>14}{difference:>12}{verdict}")
    reasons = set(prediction.missing.values())
    if not prediction.figures and len(reasons) == 1:
        lines.append(f"  no figure has a closed form here: {reasons.pop()}")
    else:
        for name, reason in prediction.missing.items():
            lines.append(f"  {name}: no closed form here ({reason})")
    if prediction.figures:
        lines.append("  theory is the steady state; a finite run starts empty, so allow for warm-up")
    return "\n".join(lines)


# --- sweeps ----------------------------------------------------------------------


def _sweep(args: argparse.Namespace, scenario: Scenario) -> int:
    """Run the grid; JSON lines of run summaries to the log, the table and answer to stderr."""
    if args.items or args.compare_theory:
        raise SweepError("--items and --compare-theory do not go with --sweep")
    base = [*args.set, *_clock_overrides(args)]
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
        print(_format_sweep(scenario, result, args.replications), file=sys.stderr)
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


_SWEEP_FIGURES = ("served", "wait_mean", "wait_p90", "loss", "abandonment", "utilisation")


def _interval_text(name: str, interval: tuple[float, float] | None) -> str:
    if interval is None:
        return "-"
    mean, half = interval
    if name.startswith("wait_") and name != "wait_probability":
        return f"{_seconds(mean)} ±{_seconds(half)}" if half < float("inf") else _seconds(mean)
    if name == "served":
        return f"{mean:.0f} ±{half:.0f}" if half < float("inf") else f"{mean:.0f}"
    if name == "utilisation":
        return f"{mean:.1%} ±{half:.1%}" if half < float("inf") else f"{mean:.1%}"
    return f"{mean:.4f} ±{half:.4f}" if half < float("inf") else f"{mean:.4f}"


def _format_sweep(scenario: Scenario, result: SweepResult, replications: int) -> str:
    keys = list(result.results[0].variant.settings)
    first_seed = result.results[0].summaries[0].seed
    header = ["#", *keys, *_SWEEP_FIGURES, "p90 all runs", *(goal.text for goal in result.goals)]
    rows = []
    for variant in result.results:
        row = [str(variant.variant.number), *variant.variant.settings.values()]
        row += [_interval_text(name, variant.interval(name)) for name in _SWEEP_FIGURES]
        row.append(_seconds(pooled_quantile(variant.summaries, 0.9)))
        row += ["yes" if verdict.meets else "no" for verdict in variant.verdicts]
        rows.append(row)
    widths = [max(len(line[column]) for line in [header, *rows]) for column in range(len(header))]
    lines = [
        f"{scenario.name}: {len(result.results)} variants x {replications} replications "
        f"(seeds {first_seed}..{first_seed + replications - 1}); figures are means ±95% CI"
    ]
    for line in [header, *rows]:
        lines.append("  " + "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
    if result.goals:
        if result.cheapest is None:
            lines.append("no variant meets every goal (met only if the whole 95% interval meets it)")
        else:
            chosen = result.cheapest.variant
            settings = ", ".join(f"{key}={value}" for key, value in chosen.settings.items())
            lines.append(f"cheapest variant meeting every goal: #{chosen.number} ({settings})")
    return "\n".join(lines)
