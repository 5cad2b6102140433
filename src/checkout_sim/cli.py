"""``run-scenario``: the command line, a thin layer over :func:`checkout_sim.run`.

stdout carries only the event log; people read stderr. :func:`main` is the one place
where failures become exit codes: 0 success, 1 failure while running, 2 invalid
scenario or usage, 130 / 143 interrupted by SIGINT / SIGTERM.

The analysis part (summaries for people, sweeps, goals, reports, theory) is imported
where a flag needs it, not here: a run with ``--quiet`` loads only its goals (for
``--minimize``'s help) and the batch means, a run without ``--sweep`` no worker
processes. So is the version, read from the installed metadata only for ``--version``.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import io
import logging
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

import orjson

from .config import OVERLOAD_MARK, Override, Problem, Scenario, ScenarioError, load_scenario
from .engine import SimulationStalled
from .observe import EventLogError, Summary, events
from .runner import Interrupted, RunsInterrupted, catch_signals, replicate

if TYPE_CHECKING:
    from .analysis import SweepInterrupted, SweepPlan, Variant

__all__ = ["main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _LogUnwritable(Exception):
    """An output's destination (the event log's, the report's) cannot be written."""


class _OutputClash(Exception):
    """An output would overwrite an input or another output."""


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


class _Version(argparse.Action):
    """``--version``: argparse's own version action, with the version looked up only when asked.

    Reading it from the installed metadata takes milliseconds that every run would pay if
    the parser were given the text. Printed as argparse prints it: on stdout, exit 0.
    """

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, nargs=0, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        from . import __version__

        with contextlib.suppress(AttributeError, OSError):  # no stdout, or its reader gone: as argparse
            sys.stdout.write(f"{parser.prog} {__version__}\n")
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    from .analysis import DEFAULT_MINIMIZE  # its goals module is small; a sweep's modules stay unloaded

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
        metavar="N",
        help="run N times with seeds seed, seed+1, ...; report means with 95%% confidence intervals "
        "(default 1; with --plan, 20 per candidate plan)",
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
        "--plan",
        action="store_true",
        help="find the cheapest staffing per interval and group that meets every --goal in every "
        "interval (default: min_interval(service_level) >= 0.8); the rosters go to stdout as YAML",
    )
    parser.add_argument(
        "--plan-into",
        metavar="PATH",
        help="with --plan: also write a copy of the scenario with the planned rosters, ready to run",
    )
    parser.add_argument(
        "--goal",
        action="append",
        default=[],
        metavar="EXPR",
        help="with --sweep or --plan: a goal such as 'wait_p90 <= 5m' or 'balked / arrived <= 0.01' "
        "(--plan: per interval, 'min_interval(service_level) >= 0.8'); repeatable",
    )
    parser.add_argument(
        "--minimize",
        metavar="KEY",
        help=f"with --sweep: cheapest = smallest KEY (default: {DEFAULT_MINIMIZE}, the staffed till-hours)",
    )
    parser.add_argument(
        "--jobs",
        type=_count,
        metavar="N",
        help="with --sweep or --plan: local worker processes (default: cores)",
    )
    parser.add_argument(
        "--dask", metavar="ADDRESS", help="with --sweep or --plan: run on this Dask scheduler instead"
    )
    parser.add_argument(
        "--report", metavar="PATH", help="also write a self-contained HTML report of the run (report extra)"
    )
    parser.add_argument("--items", action="store_true", help="also log one item_scanned event per item")
    parser.add_argument(
        "--intervals",
        action="store_true",
        help="also print the figures of each interval (the scenario needs intervals: 1h, say)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="validate the scenario (a sweep: every variant and goal) and the flags, print the warnings "
        "a run would print, and exit",
    )
    parser.add_argument("--quiet", action="store_true", help="no summary on stderr")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of failures")
    parser.add_argument("--version", action=_Version, help="show program's version number and exit")
    return parser


@contextlib.contextmanager
def _log_stream(destination: str, *, reader_may_leave: bool = False) -> Iterator[IO[bytes] | None]:
    """The log's stream; with ``reader_may_leave`` (other outputs are wanted) the run goes on
    without the log if its reader goes away."""
    if destination == "none":
        yield None
        return
    if destination == "-":
        if sys.stdout is None:  # started with stdout closed (>&-)
            raise _LogUnwritable(f"cannot write the log to stdout: {os.strerror(errno.EBADF)}")
        yield _ReaderMayLeave.around(sys.stdout.buffer) if reader_may_leave else sys.stdout.buffer
        return
    try:
        stream = open(destination, "wb")  # noqa: SIM115 - closed below, after the run
    except OSError as error:
        raise _LogUnwritable(f"cannot write the log to {destination}: {error.strerror or error}") from None
    try:
        yield _ReaderMayLeave.around(stream) if reader_may_leave else stream
    finally:
        try:
            stream.close()
        except BrokenPipeError:
            pass  # a FIFO or /dev/stdout whose reader went away: as for stdout, not an error
        except OSError as error:
            raise EventLogError(error.errno, error.strerror) from error


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    _plug_closed_streams()
    with catch_signals() as catcher:  # one handler for the command's whole life
        code = _command(argv)
    caught = None if catcher is None else catcher.signal_number
    if caught is not None and code == EXIT_OK:
        # The signal came when nothing was left to stop (the runs were over, or --check).
        name = signal.Signals(caught).name
        print(f"run-scenario: interrupted by {name} after finishing; the output is complete", file=sys.stderr)
        return 128 + caught
    return code


def _command(argv: Sequence[str] | None) -> int:
    """The command itself; SIGINT and SIGTERM are caught (and recorded) around it."""
    args = _parser().parse_args(argv)
    if args.replications is None:
        args.replications = _PLAN_REPLICATIONS if args.plan else 1
    try:
        _check_report(args)
        _check_flags(args)
        warnings: list[Problem] = []
        scenario = load_scenario(args.path, [*args.set, *_clock_overrides(args)], on_warning=warnings.append)
        plan = _plan_sweep(args) if args.sweep else None
        if plan is not None:  # a sweep runs its variants, not the scenario as loaded: theirs are said
            warnings = plan.warnings()
        if args.plan:  # the plan staffs the day, not the scenario's counts: their overload is not said
            warnings = [problem for problem in warnings if OVERLOAD_MARK not in problem.message]
        for problem in warnings:
            _warn(problem)
        _check_outputs(args)
        if args.intervals and scenario.intervals is None:
            raise _sweep_error(
                "--intervals: the scenario has no intervals (add intervals: 1h, or --set intervals=1h)"
            )
        if args.plan:
            _check_plan(args, scenario)
        if args.check:
            _say_checked(args.path, len(warnings))
            return EXIT_OK
        if plan is not None:
            return _sweep(args, scenario, plan)
        if args.plan:
            return _plan(args, scenario)
        with (
            _log_stream(args.log, reader_may_leave=bool(args.report)) as stream,
            _progress_bar("% of the arrivals") as tick,
        ):
            live_report = None
            if args.report:
                from .analysis import LiveReport

                live_report = LiveReport(args.report)
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
    except _raised("SweepError", "GoalError", "PlanError") as error:
        print(f"run-scenario: {error}", file=sys.stderr)
        return EXIT_USAGE
    except _raised("ReportError") as error:
        print(f"run-scenario: --report: {error}", file=sys.stderr)
        return EXIT_USAGE
    except _raised("ReportUnwritable") as error:
        print(f"run-scenario: {error}", file=sys.stderr)
        return EXIT_FAILED
    except Interrupted as stop:
        return _interrupted(args, scenario, stop)
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
    except _OutputClash as error:
        print(f"run-scenario: {error}", file=sys.stderr)
        return EXIT_USAGE
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
            else _format_replications(scenario, summaries)
        )
        print(report, file=sys.stderr)
    if args.compare_theory:
        from .analysis import format_theory

        print(format_theory(scenario, summaries), file=sys.stderr)
    if args.intervals:
        from .analysis import format_intervals

        print(format_intervals(scenario, summaries), file=sys.stderr)
    return EXIT_OK


def _raised(*names: str) -> tuple[type[BaseException], ...]:
    """Those of the analysis part's exceptions ``names`` that can have been raised: those imported.

    An exception whose module was never imported was never raised, and importing it just
    to compare would load a sweep's or a report's modules on every failure and signal.
    """
    from .analysis import loaded

    return tuple(kind for kind in map(loaded, names) if kind is not None)


def format_summary(scenario: Scenario, summary: Summary) -> str:
    """:func:`checkout_sim.analysis.format_summary`, its module imported when a summary is shown.

    A name of this module as it was when imported at the top (a test's hook replaces it).
    """
    from .analysis import format_summary as summarised

    return summarised(scenario, summary)


def _format_replications(scenario: Scenario, summaries: Sequence[Summary]) -> str:
    from .analysis import format_replications

    return format_replications(scenario, summaries)


def _behind(lag: float, when: float) -> None:
    """Say once that the wall clock runs ahead of the simulation at the chosen speed."""
    print(
        f"run-scenario: warning: at t={when:g}s the run is {lag:.3g} simulated seconds behind the wall "
        "clock: this computer cannot keep up at this speed (the results are the same, only slower)",
        file=sys.stderr,
    )


def _say_checked(path: str, warnings: int) -> None:
    """``--check``'s last line: ok, and how many warnings were said above it (a run would say them too)."""
    counted = "" if not warnings else f" ({warnings} warning{'' if warnings == 1 else 's'})"
    print(f"{path}: ok{counted}", file=sys.stderr)


def _check_flags(args: argparse.Namespace) -> None:
    """Before any work: flags that go only with --sweep, or not with it; the message names those given."""
    if args.plan_into is not None and not args.plan:
        raise _sweep_error("--plan-into goes only with --plan")
    if args.plan:
        given = [
            flag
            for flag, value in (
                ("--sweep", args.sweep),
                ("--items", args.items),
                ("--compare-theory", args.compare_theory),
                ("--intervals", args.intervals),
                ("--minimize", args.minimize),
                ("--log", args.log != "-"),
            )
            if value
        ]
        if given:
            raise _sweep_error(
                f"{_listed(given)} {'does' if len(given) == 1 else 'do'} not go with --plan "
                "(it writes the rosters to stdout and minimizes total_cost, or till-hours without costs)"
            )
        return
    if args.sweep:
        given = [
            flag
            for flag, value in (
                ("--items", args.items),
                ("--compare-theory", args.compare_theory),
                ("--intervals", args.intervals),
            )
            if value
        ]
        if given:
            raise _sweep_error(f"{_listed(given)} {'does' if len(given) == 1 else 'do'} not go with --sweep")
        return
    given = [
        flag
        for flag, value in (
            ("--goal", args.goal or None),
            ("--minimize", args.minimize),
            ("--jobs", args.jobs),
            ("--dask", args.dask),
        )
        if value is not None
    ]
    if given:
        raise _sweep_error(
            f"{_listed(given)} {'goes' if len(given) == 1 else 'go'} only with --sweep"
            + (" or --plan" if "--minimize" not in given else "")
        )


def _listed(names: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _check_report(args: argparse.Namespace) -> None:
    """Before any work: --report needs matplotlib and one scenario's runs, not a sweep."""
    if args.report is None:
        return
    if args.sweep:
        raise _sweep_error("--report does not go with --sweep (a report shows the runs of one scenario)")
    from .analysis import require_plotting

    require_plotting()


def _sweep_error(message: str) -> Exception:
    """A usage error about --sweep, said as the sweep's own are (its module is loaded only now)."""
    from .analysis import SweepError

    return SweepError(message)


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


# --- outputs and signals -----------------------------------------------------------


def _plug_closed_streams() -> None:
    """Started with stdin, stdout or stderr closed (``2>&-``): point them at /dev/null.

    Otherwise the next file opened would take the closed descriptor's number, and a
    message for stderr would go to stdout (``print`` falls back to it). With stdout
    closed, a log for stdout is refused when it is opened.
    """
    for number in (0, 1, 2):
        try:
            os.fstat(number)
        except OSError:
            devnull = os.open(os.devnull, os.O_RDWR)
            if devnull != number:
                os.dup2(devnull, number)
                os.close(devnull)
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the process's life


def _check_outputs(args: argparse.Namespace) -> None:
    """Before any run: every output can be written, and none is an input or another output."""
    outputs = [("--log", args.log)] if args.log not in ("-", "none") else []
    if args.report:
        outputs.append(("--report", args.report))
    for flag, path in outputs:
        if _same_file(path, args.path):
            raise _OutputClash(
                f"{flag} {path}: that is the scenario file; an output must not overwrite an input"
            )
    if len(outputs) == 2 and _same_file(args.log, args.report):
        raise _OutputClash(f"--report {args.report}: that is also the --log; give each output its own path")
    if args.log == "-":
        if _is_stdout(args.path):
            raise _OutputClash("stdout: that is the scenario file; an output must not overwrite an input")
        if args.report and _is_stdout(args.report):
            raise _OutputClash(
                f"--report {args.report}: that is also stdout, where the log goes; "
                "give each output its own path"
            )
    if args.report:
        reason = _unwritable(args.report)
        if reason is not None:
            raise _LogUnwritable(f"cannot write the report to {args.report}: {reason}")


def _same_file(first: str, second: str) -> bool:
    """The two paths name one file, existing or not (/dev/null takes any number of outputs)."""
    try:
        return os.path.samefile(first, second) and not os.path.samefile(first, os.devnull)
    except OSError:
        return os.path.realpath(first) == os.path.realpath(second)


def _is_stdout(path: str) -> bool:
    """``path`` is the file, pipe or terminal that stdout writes to (not /dev/null)."""
    if sys.stdout is None:
        return False
    try:
        found = os.stat(path)
        return os.path.samestat(found, os.fstat(sys.stdout.fileno())) and not os.path.samestat(
            found, os.stat(os.devnull)
        )
    except (OSError, ValueError):
        return False


def _unwritable(path: str) -> str | None:
    """Why ``path`` could not be written (without creating it), or None if it could."""
    target = Path(path)
    if target.is_dir():
        return os.strerror(errno.EISDIR)
    if target.exists():
        return None if os.access(target, os.W_OK) else os.strerror(errno.EACCES)
    folder = target.parent
    if not folder.exists():
        return os.strerror(errno.ENOENT)
    if not folder.is_dir():
        return os.strerror(errno.ENOTDIR)
    return None if os.access(folder, os.W_OK) else os.strerror(errno.EACCES)


class _ReaderMayLeave(io.RawIOBase):
    """stdout or a pipe for the log while other outputs are wanted: if its reader goes away
    (``| head``), the rest of the log is dropped and the run goes on for them."""

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__()
        self._stream: IO[bytes] | None = stream

    @classmethod
    def around(cls, stream: IO[bytes]) -> IO[bytes]:
        return cast(IO[bytes], cls(stream))

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if self._stream is not None:
            try:
                self._stream.write(data)
            except BrokenPipeError:
                self._gone()
        return len(data)

    def flush(self) -> None:
        if self._stream is not None and not self._stream.closed:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._gone()

    def _gone(self) -> None:
        if self._stream is sys.stdout.buffer:
            _silence_stdout()
        self._stream = None


def _silence_stdout() -> None:
    """The reader of stdout went away: what is still buffered for it goes to /dev/null, quietly."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _interrupted(args: argparse.Namespace, scenario: Scenario, stop: Interrupted) -> int:
    """A signal stopped the runs: the summary of what finished, one line on what the log holds."""
    if isinstance(stop, RunsInterrupted):
        finished, partial, total = stop.finished, stop.partial, stop.total
    else:
        finished, partial, total = [], True, 1
    if not args.quiet:
        if len(finished) > 1:
            print(_format_replications(scenario, finished), file=sys.stderr)
        else:
            print(format_summary(scenario, finished[0] if finished else stop.summary), file=sys.stderr)
    name = signal.Signals(stop.signal_number).name
    if args.log == "none":
        note = f"{len(finished)} of {total} runs finished"
    elif total == 1 and partial:
        note = "the log ends with the partial summary"
    elif partial:
        note = (
            f"{len(finished)} of {total} runs finished, "
            f"the log ends with the partial summary of run {len(finished) + 1}"
        )
    else:
        note = (
            f"{len(finished)} of {total} runs finished, the log ends with the summary of run {len(finished)}"
        )
    print(f"run-scenario: interrupted by {name}; {note}", file=sys.stderr)
    return 128 + stop.signal_number


# --- plans -----------------------------------------------------------------------

#: Replications per candidate plan unless --replications says otherwise.
_PLAN_REPLICATIONS = 20


def _check_plan(args: argparse.Namespace, scenario: Scenario) -> None:
    """Before any run: the scenario can be planned and the goals judge intervals; the copy
    the plan goes into is not the scenario and can be written."""
    from .analysis import check_plan

    check_plan(scenario, args.goal)
    if args.dask is not None:
        from .analysis import check_dask_address

        check_dask_address(args.dask)  # before any work, as a sweep checks it
    if args.plan_into is not None:
        if _same_file(args.plan_into, args.path):
            raise _OutputClash(
                f"--plan-into {args.plan_into}: that is the scenario file; "
                "an output must not overwrite an input"
            )
        reason = _unwritable(args.plan_into)
        if reason is not None:
            raise _LogUnwritable(f"cannot write the plan to {args.plan_into}: {reason}")


def _plan(args: argparse.Namespace, scenario: Scenario) -> int:
    """Plan the day: the table on stderr, the rosters as YAML on stdout, the copy if asked for."""
    from .analysis import (
        PlanInterrupted,
        Runners,
        Unreachable,
        format_plan,
        make_plan,
        moved_copy,
        planned_copy,
        roster_of,
        roster_yaml,
        write_plan_report,
    )
    from .runner import resolve_seed

    seed = resolve_seed(scenario, args.seed)
    try:
        with (
            catch_signals(redeliver=True),
            _plan_progress() as tick,
            _quiet_dask(args),
            Runners(args.jobs, args.dask) as runners,
        ):
            result = make_plan(
                scenario, args.goal, replications=args.replications, seed=seed, runners=runners, progress=tick
            )
    except Unreachable as answer:
        print(f"run-scenario: --plan: {answer}", file=sys.stderr)
        return EXIT_FAILED
    except PlanInterrupted as stop:
        name = signal.Signals(stop.signal_number).name
        print(f"run-scenario: interrupted by {name}; no plan was made", file=sys.stderr)
        return 128 + stop.signal_number
    if not args.quiet:
        print(format_plan(result), file=sys.stderr)
    if args.report:
        write_plan_report(result, args.report)
    rosters = [roster_of(result.grid, counts) for counts in result.final]
    if sys.stdout is not None:
        sys.stdout.write(roster_yaml(result.scenario, result.groups, rosters))
        sys.stdout.flush()
    if args.plan_into is not None:
        text = Path(args.path).read_bytes().decode("utf-8")
        copy = moved_copy(
            planned_copy(text, args.path, result.groups, rosters, scenario.opens_at),
            args.path,
            args.plan_into,
        )
        try:
            with open(args.plan_into, "w", encoding="utf-8", newline="") as written:  # CRLF kept as read
                written.write(copy)
        except OSError as error:
            raise _LogUnwritable(
                f"cannot write the plan to {args.plan_into}: {error.strerror or error}"
            ) from None
        if not args.quiet:
            print(f"run-scenario: the scenario with the planned rosters: {args.plan_into}", file=sys.stderr)
        if args.set:  # the copy is the file's text: what --set changed for the plan is not in it
            print(
                f"run-scenario: note: {args.plan_into} is {args.path} with the rosters replaced; "
                f"it does not have {', '.join(f'--set {value}' for value in args.set)}",
                file=sys.stderr,
            )
    return EXIT_OK


@contextlib.contextmanager
def _plan_progress() -> Iterator[Callable[[int, int], None] | None]:
    """One line on stderr, only on a terminal: candidate plans tried and simulated days used."""
    if not sys.stderr.isatty():
        yield None
        return

    def tick(candidates: int, days: int) -> None:
        sys.stderr.write(f"\r  planning: {candidates} candidate plans tried, {days} simulated days")
        sys.stderr.flush()

    try:
        yield tick
    finally:
        sys.stderr.write("\r" + " " * 70 + "\r")
        sys.stderr.flush()


# --- sweeps ----------------------------------------------------------------------


def _plan_sweep(args: argparse.Namespace) -> SweepPlan:
    """Every variant validated, the goals and --minimize read: what a sweep checks before its runs."""
    from .analysis import plan_sweep

    return plan_sweep(
        Path(args.path).read_bytes().decode("utf-8"),
        args.path,
        base=[*args.set, *_clock_overrides(args)],
        sweeps=args.sweep,
        replications=args.replications,
        seed=args.seed,
        goals=args.goal,
        minimize=args.minimize,
        dask=args.dask,
    )


def _sweep(args: argparse.Namespace, scenario: Scenario, plan: SweepPlan) -> int:
    """Run the grid; JSON lines of run summaries to the log, the table and answer to stderr."""
    from .analysis import SweepInterrupted, format_sweep, run_plan

    with _log_stream(args.log) as stream:  # opened first: an unwritable log fails before the runs
        try:
            with _progress_bar("runs") as tick, _quiet_dask(args):
                result = run_plan(plan, jobs=args.jobs, dask=args.dask, progress=tick)
        except SweepInterrupted as stop:
            _write_runs(stream, stop.finished)
            if not args.quiet:
                _show_finished(args, scenario, stop)
            return _sweep_interrupted(stop, logged=stream is not None)
        _write_runs(
            stream,
            [
                (variant.variant, run_number, summary)
                for variant in result.results
                for run_number, summary in enumerate(variant.summaries, start=1)
            ],
        )
    if not args.quiet:
        print(format_sweep(scenario, result, args.replications, args.minimize), file=sys.stderr)
    return EXIT_OK


def _show_finished(args: argparse.Namespace, scenario: Scenario, stop: SweepInterrupted) -> None:
    """The table of the runs that finished before the signal, and which variants it lacks runs of."""
    from .analysis import format_sweep

    result = stop.result()
    if result is None:
        return
    lines = [format_sweep(scenario, result, args.replications, args.minimize)]
    unfinished = stop.unfinished()
    partial = [
        f"#{variant.number} {count} of {args.replications} runs" for variant, count in unfinished if count
    ]
    missing = [f"#{variant.number}" for variant, count in unfinished if not count]
    if partial:
        lines.append(f"  partial (fewer runs than asked for): {', '.join(partial)}")
    if missing:
        lines.append(f"  not shown (no run finished): {', '.join(missing)}")
    if unfinished and args.goal:
        lines.append("  goals are not judged: the sweep did not finish")
    print("\n".join(lines), file=sys.stderr)


def _sweep_interrupted(stop: SweepInterrupted, *, logged: bool) -> int:
    """A signal stopped the sweep: one line on how many runs finished and what the log holds."""
    note = f"{len(stop.finished)} of {stop.total} runs finished"
    if logged:
        note += ", the log holds their summaries" if stop.finished else ", the log is empty"
    print(f"run-scenario: interrupted by {signal.Signals(stop.signal_number).name}; {note}", file=sys.stderr)
    return 128 + stop.signal_number


def _write_runs(stream: IO[bytes] | None, runs: list[tuple[Variant, int, Summary]]) -> None:
    """One JSON line per run: ``t``, ``event``, the variant, its settings, the run number, the summary."""
    if stream is None:
        return
    for variant, run_number, summary in runs:
        record = events.sweep_run(
            summary.elapsed, variant.number, variant.settings, run_number, summary.to_dict()
        )
        stream.write(orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE))


@contextlib.contextmanager
def _quiet_dask(args: argparse.Namespace) -> Iterator[None]:
    """Without --debug, Dask's own log lines (tracebacks when the scheduler goes away) stay off stderr."""
    if args.dask is None or args.debug:
        yield
        return
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


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
