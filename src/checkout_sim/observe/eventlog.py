"""The event log: one JSON object per line, through a structlog pipeline made per run.

structlog is not configured globally: each run wraps its own writer with its own
processors, so runs in one process (or in worker processes) never share state, and
a user may slip their own processors in before the line is rendered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, MutableMapping
from typing import IO, Any, NoReturn

import orjson
import structlog
from structlog.typing import Processor

from .events import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "EventLog", "EventLogError", "JSONLine", "flush_log"]


class JSONLine:
    """The last processor: renders the event as one line of JSON (orjson), newline included.

    structlog's ``JSONRenderer`` does the same through a keyword-argument call that
    costs more than orjson itself; this one calls orjson directly. Values orjson
    cannot encode are written as their ``__structlog__()`` or ``repr()``, as there.
    """

    def __call__(self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> bytes:
        return _dumps(event_dict, default=_fallback, option=_NEWLINE)


_dumps, _NEWLINE = orjson.dumps, orjson.OPT_APPEND_NEWLINE


def _fallback(value: Any) -> Any:
    structlog_form = getattr(value, "__structlog__", None)
    return structlog_form() if structlog_form is not None else repr(value)


class EventLogError(OSError):
    """The event log's destination refused a write (disk full, device error)."""


class _LineWriter:
    """The structlog 'logger' at the end of the chain: appends rendered lines to a stream.

    It also tells the time (the loop's simulated seconds) that starts every line.
    ``write`` is the stream's own (buffered) write, or a write and a flush per line
    on the wall clock, where someone may be watching the log as it grows.
    """

    def __init__(self, stream: IO[bytes], clock: Callable[[], float], flush_each: bool) -> None:
        self.clock = clock
        self._stream = stream
        self.write: Callable[[bytes], object] = self._write_and_flush if flush_each else stream.write

    def _write_and_flush(self, line: bytes) -> None:
        self._stream.write(line)
        self._stream.flush()

    def info(self, line: bytes) -> None:
        try:
            self.write(line)
        except OSError as error:
            _refused(error)


def _refused(error: OSError) -> NoReturn:
    """The stream refused a write: a reader that went away stops the command quietly, else EventLogError."""
    if isinstance(error, BrokenPipeError):
        raise error
    raise EventLogError(error.errno, error.strerror) from error


class _EventLogger(structlog.BoundLoggerBase):
    """A structlog bound logger with two lean methods for the hot path.

    structlog's level methods pass every event through three layers of keyword
    repacking; :meth:`record` takes the event dict already in line order (``t``,
    ``event``, the fields), puts the bound context after ``event``, and runs the
    processor chain, with ``DropEvent``, in one step. When the chain is the renderer
    alone (no processors of the user's), the renderer is called inline.
    """

    _logger: _LineWriter
    _processors: list[Processor]  # EventLog passes a list: the user's, then JSONLine

    def emit(self, event: str, **fields: Any) -> None:
        """Process and write one event, stamped with the current simulated time."""
        self.record({"t": self._logger.clock(), "event": event, **fields})

    def record(self, event_dict: dict[str, Any]) -> None:
        """Process and write one event given whole: ``{"t": …, "event": …, **fields}``."""
        if self._context:
            event_dict = {"t": event_dict["t"], "event": event_dict["event"], **self._context, **event_dict}
        processors = self._processors
        if len(processors) == 1:  # JSONLine alone, as JSONLine.__call__ does it
            try:
                self._logger.write(_dumps(event_dict, default=_fallback, option=_NEWLINE))
            except OSError as error:
                _refused(error)
            return
        rendered: Any = event_dict
        try:
            for processor in processors:
                rendered = processor(self._logger, "info", rendered)
        except structlog.DropEvent:
            return
        self._logger.info(rendered)


class EventLog:
    """Writes a run's events as JSON lines to a binary stream.

    Each event is a dict starting ``{"t": …, "event": …`` that goes through the
    user's structlog ``processors`` (they see and may change everything, ``t``
    included) and is rendered by :class:`JSONLine`.
    """

    def __init__(
        self,
        stream: IO[bytes],
        clock: Callable[[], float],
        *,
        processors: Iterable[Processor] = (),
        flush_each: bool = False,
        bind: Mapping[str, Any] | None = None,
    ) -> None:
        reserved = sorted({"t", "event"} & set(bind or {}))
        if reserved:
            raise ValueError(f"bind cannot set {', '.join(reserved)}: every line's own fields")
        processors = list(processors)
        writer = _LineWriter(stream, clock, flush_each)
        self._logger = structlog.wrap_logger(
            writer,
            processors=[*processors, JSONLine()],
            wrapper_class=_EventLogger,
            context_class=dict,
            cache_logger_on_first_use=True,
        ).bind(**(bind or {}))
        self.emit: Callable[..., None] = self._logger.emit
        """``emit(event, **fields)``: log one event at the current simulated time."""
        self.record: Callable[[dict[str, Any]], None] = self._logger.record
        """``record({"t": …, "event": …, **fields})``: log one event given whole (the hot path).

        With no processors of the user's and nothing bound, it renders and writes
        directly, as the logger's :meth:`~_EventLogger.record` would.
        """
        #: Where rendered lines go when nothing comes between an event and its JSON (no
        #: processors of the user's, nothing bound): the writer then renders them itself
        #: (:data:`RENDER`), a call saved per event. None otherwise.
        self.raw_write: Callable[[bytes], object] | None = None
        if not processors and not bind:
            self.record = _direct(writer.write)
            self.raw_write = writer.write


def _direct(write: Callable[[bytes], object]) -> Callable[[dict[str, Any]], None]:
    """``_EventLogger.record`` when the chain is the renderer alone and nothing is bound."""

    def record(event_dict: dict[str, Any]) -> None:
        try:
            write(_dumps(event_dict, default=_fallback, option=_NEWLINE))
        except OSError as error:
            _refused(error)

    return record


#: What :func:`_direct` does with an event, for a writer that makes its lines itself: orjson's
#: ``dumps``, its ``default`` and ``option``, and what to raise when the stream refuses a write.
RENDER = (_dumps, _fallback, _NEWLINE)


def refused(error: OSError) -> NoReturn:
    """A write refused by the log's stream, as an :class:`EventLogError`."""
    _refused(error)


def flush_log(stream: IO[bytes]) -> None:
    """Push the log to its destination; a refused write becomes an :class:`EventLogError`."""
    try:
        stream.flush()
    except OSError as error:
        _refused(error)
