"""A one-file HTML report of a run, built from its event log: what a store manager reads.

Everything is derived from the log's events, streamed one at a time into bounded
aggregates (:mod:`.report_data`), so a report can be made later from a saved log of
any length (``scenario-report run.jsonl -o report.html``) and ``run-scenario --report``
builds the same page while the run writes its log. Plots are inline SVG from
matplotlib, styles are inline, and the page needs no network.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, cast

import orjson

from ..observe.events import check_event
from .report_data import LogFault, RunDigest
from .report_page import MATPLOTLIB_HINT, render

__all__ = [
    "LiveReport",
    "ReportError",
    "ReportUnwritable",
    "build_report",
    "main",
    "read_events",
    "require_plotting",
]

_loads = orjson.loads

#: The longest log line read (a run_started with a huge catalogue is a few MB).
LINE_LIMIT = 64 << 20


class ReportError(ValueError):
    """The events cannot make a report (not a log, or a log without a finished run)."""


class ReportUnwritable(Exception):
    """The report's file cannot be written (the message names it)."""


def require_plotting() -> None:
    """Refuse before any work is done when matplotlib, which draws the plots, is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ReportError(MATPLOTLIB_HINT) from None


def _lines(stream: IO[bytes]) -> Iterator[bytes]:
    """The stream's lines, read one at a time (never the whole stream)."""
    while line := stream.readline(LINE_LIMIT + 1):
        yield line


def read_events(lines: Iterable[bytes], name: str = "LOG") -> Iterator[dict[str, Any]]:
    """Parse and check JSON lines one at a time; the first bad one is a ``NAME:LINE: fault`` error.

    Blank lines are skipped. Each event is checked against the event schema
    (:func:`checkout_sim.observe.events.check_event`), and time may not go back within a run.
    """
    last_run: Any = object()
    last_t = 0.0
    for number, line in enumerate(lines, start=1):
        if len(line) > LINE_LIMIT:
            raise ReportError(f"{name}:{number}: line longer than {LINE_LIMIT >> 20} MiB")
        if not line.strip():
            continue
        try:
            event = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            raise ReportError(f"{name}:{number}: not JSON ({error})") from None
        fault = check_event(event)
        if fault is None:
            run, t = event.get("run"), event["t"]
            if event["event"] != "run_started" and run == last_run and t < last_t:
                fault = f"{event['event']}: t goes back in time ({t!r} after {last_t!r})"
            last_run, last_t = run, t
        if fault is not None:
            raise ReportError(f"{name}:{number}: {fault}")
        yield event


def _digest(events: Iterable[dict[str, Any]]) -> RunDigest:
    digest = RunDigest()
    try:
        for event in events:
            digest.add(event)
    except LogFault as fault:
        raise ReportError(str(fault)) from None
    if digest.finished is None:
        raise ReportError("the log has no complete run (run_started ... run_finished)")
    return digest


def build_report(events: Iterable[dict[str, Any]]) -> str:
    """The HTML page for the first complete run in ``events`` (see :func:`read_events`)."""
    require_plotting()
    return render(_digest(events))


def _write_page(path: str, page: str) -> None:
    try:
        Path(path).write_text(page, encoding="utf-8")
    except OSError as error:
        raise ReportUnwritable(f"cannot write the report to {path}: {error.strerror or error}") from None


class _Tap(io.RawIOBase):
    """The log stream a run writes to: each line goes on to the log's destination (if
    any) and, parsed, to the report's digest. Lines arrive whole, one per write; any
    other split is put back together."""

    def __init__(self, stream: IO[bytes] | None, add: Callable[[dict[str, Any]], None]) -> None:
        super().__init__()
        self._stream, self._add = stream, add
        self._rest = b""

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if self._stream is not None:
            self._stream.write(data)
        if not self._rest:
            try:  # one whole line, as the run writes them (two lines are not one JSON value)
                self._add(_loads(data))
                return len(data)
            except orjson.JSONDecodeError:
                pass
        *lines, self._rest = (self._rest + bytes(data)).split(b"\n")
        for line in lines:
            if line.strip():
                self._add(_loads(line))
        return len(data)

    def flush(self) -> None:
        # The destination is not the tap's: once its owner has closed it, there is
        # nothing left to push (the tap is flushed again when it is collected).
        if self._stream is not None and not self._stream.closed:
            self._stream.flush()


class LiveReport:
    """``run-scenario --report``: gathers the run's events as they are logged, writes the page after."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.digest = RunDigest()

    def log(self, stream: IO[bytes] | None) -> IO[bytes]:
        """The stream to give the run as its log: ``stream`` (None: no log) plus the report."""
        return cast(IO[bytes], _Tap(stream, self.digest.add))

    def write(self) -> None:
        """Write the page of the first run (:class:`ReportUnwritable` names the path on failure)."""
        _write_page(self.path, render(self.digest))


def main(argv: Sequence[str] | None = None) -> int:
    """``scenario-report LOG -o report.html``: build the report of a saved event log."""
    parser = argparse.ArgumentParser(
        prog="scenario-report", description="Build an HTML report from an event log."
    )
    parser.add_argument("log", metavar="LOG", help="a JSON-lines event log (- for stdin)")
    parser.add_argument("-o", "--output", metavar="PATH", required=True, help="the HTML file to write")
    args = parser.parse_args(argv)
    name = "<stdin>" if args.log == "-" else args.log
    try:
        require_plotting()
    except ReportError as error:
        print(f"scenario-report: {error}", file=sys.stderr)
        return 2
    try:
        if args.log == "-":
            digest = _digest(read_events(_lines(sys.stdin.buffer), name))
        else:
            with open(args.log, "rb") as stream:
                digest = _digest(read_events(_lines(stream), name))
        _write_page(args.output, render(digest))
    except ReportError as error:
        text = str(error)
        print(text if text.startswith(f"{name}:") else f"scenario-report: {name}: {text}", file=sys.stderr)
        return 2
    except ReportUnwritable as error:
        print(f"scenario-report: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"scenario-report: {error.filename or name}: {error.strerror or error}", file=sys.stderr)
        return 1
    return 0
