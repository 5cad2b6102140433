"""The log writer: an observer that writes every event it is sent as its JSON line.

Its methods are made from the event records (:data:`.events.RECORDS`) once per run,
for the settings the scenario uses: a field marked ``only_with: lanes`` is left out of
a scenario without lanes, ``till`` out of one without lines per till, here and nowhere
else. Each method builds its line as one dict literal in the order of the record's
fields, as fast as a literal written by hand (the lines written for each customer are
most of a logged run's cost).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from types import CodeType
from typing import Any

from .eventlog import RENDER, refused
from .events import ONLY_WITH, RECORDS, IntervalFinished, RunFinished, event_name, written

__all__ = ["EventWriter"]

#: Settings that decide whether a field is written (an event needing another setting is
#: only ever sent when the run uses it).
_SHAPES = frozenset({"lanes", "per_till"})


@functools.cache
def _compiled(source: str, name: str) -> CodeType:
    """A line's code, compiled once per process (a run only binds it to its stream)."""
    return compile(source, f"<{name} line>", "exec")


def _line_maker(
    record: type[Any],
    used: frozenset[str],
    write: Callable[[dict[str, Any]], None],
    raw_write: Callable[[bytes], object] | None,
) -> Any:
    """The method that writes a ``record`` as its line, or None if the run never writes it.

    With ``raw_write`` (nothing between an event and its JSON) it renders the line itself,
    as the event log would, and writes the bytes.
    """
    name = event_name(record)
    if ONLY_WITH.get(record) in _SHAPES - used:
        return None
    fields = list(record._fields)
    if record is RunFinished or record is IntervalFinished:  # figures as the line's fields
        line = f"{{'t': r[0], 'event': {name!r}, **r[1]}}"
    else:
        parts = [f"'t': r[{fields.index('t')}]", f"'event': {name!r}"]
        for attribute, logged, kind in written(record):
            if kind.only_with in _SHAPES and kind.only_with not in used:
                continue
            parts.append(f"{logged!r}: r[{fields.index(attribute)}]")
        line = f"{{{', '.join(parts)}}}"
    if raw_write is None:
        source = f"def line(r):\n    write({line})\n"
    else:
        source = (
            "def line(r):\n    try:\n"
            f"        raw_write(dumps({line}, default=fallback, option=newline))\n"
            "    except OSError as error:\n        refused(error)\n"
        )
    dumps, fallback, newline = RENDER
    namespace: dict[str, Any] = {
        "write": write,
        "raw_write": raw_write,
        "dumps": dumps,
        "fallback": fallback,
        "newline": newline,
        "refused": refused,
    }
    exec(_compiled(source, name), namespace)  # our own table, not input
    # Taken out of the namespace, which is the function's globals: else function and
    # globals refer to each other, and every run would leave a cycle for the collector.
    return namespace.pop("line")


class EventWriter:
    """Writes each event record it is sent through ``write`` (the event log's ``record``).

    ``used``: the settings of the run among ``lanes`` and ``per_till``; ``raw_write``: the
    stream's write, when the log renders events with nothing in between (see
    the event log's ``raw_write``, :class:`.eventlog.EventLog`).
    """

    def __init__(
        self,
        write: Callable[[dict[str, Any]], None],
        used: Iterable[str],
        raw_write: Callable[[bytes], object] | None = None,
    ) -> None:
        shapes = frozenset(used) & _SHAPES
        for record in RECORDS:
            method = _line_maker(record, shapes, write, raw_write)
            if method is not None:
                setattr(self, event_name(record), method)
