"""Arrival data in files beside the scenario: a trace (a row per customer), a profile (a count per interval).

Both are CSV files with a header line naming their columns; a path is relative to the
scenario file. Every problem is one line at its place in the data file, as a scenario's
are (``arrivals.csv:17:1: t: earlier than the row before``), so a row can be found and
fixed in an editor.

A trace may hold millions of rows, so it is never held in memory: it is read a row at a
time, once when the scenario is loaded (every row checked, counted and hashed, so that a
bad row 900,000 stops the command before a run has written anything) and again, row by
row, while the run replays it. A profile is one count per interval (a day of 15-minute
intervals is 96 rows) and is kept, as a schedule's phases are.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from pydantic_core import PydanticCustomError

from .base import shown
from .times import clock_text, point_in_time
from .units import MAX_SECONDS, parse_duration

__all__ = [
    "PROFILE_COLUMNS",
    "TRACE_COLUMNS",
    "FileProblem",
    "ProfileRows",
    "TraceFile",
    "TraceRow",
    "read_profile",
    "read_trace",
]

#: The columns a trace may have: ``t`` is required, the others fix what would be drawn.
TRACE_COLUMNS = ("t", "items", "segment", "patience")
#: The columns of a profile file: when each interval starts, and how many arrive in it.
PROFILE_COLUMNS = ("from", "count")


class FileProblem(Exception):
    """One thing wrong with a data file, at a line and column of it (None: the file as a whole)."""

    def __init__(self, source: str, line: int | None, column: int | None, key: str, message: str) -> None:
        super().__init__(message)
        self.source, self.line, self.column, self.key, self.message = source, line, column, key, message


class TraceRow(NamedTuple):
    """One customer of a trace: when they arrive, and what the row fixes (None: drawn as usual)."""

    t: float
    items: int | None
    segment: int | None  # the segment's index in the scenario
    patience: float | None


#: The most rows a profile file may have (a year of 15-minute intervals is 35,040).
MAX_PROFILE_ROWS = 100_000


@dataclass(frozen=True)
class _Reading:
    """What a file's rows are read against: the scenario's opening time and segments, its limits."""

    opens_at: tuple[float, str] | None
    most_items: int = 0
    segments: Sequence[str] = ()
    #: The most items a customer of each segment can take to a till (None: no limit), and of
    #: one whose segment is drawn: (most, the segment that allows the fewest).
    room: Sequence[tuple[int, str] | None] = ()
    room_any: tuple[int, str, str] | None = None


class _Lines:
    """A CSV file's records, a physical line each, with their line numbers and text.

    Bytes are hashed as they are read; each line is decoded on its own, so a byte that is not
    UTF-8 is placed at its line and column.
    """

    def __init__(self, stream: BinaryIO, source: str, digest: Any | None = None) -> None:
        self._stream = stream
        self._source = source
        self._digest = digest
        self.line = 0
        self.text = ""

    def _decoded(self) -> Iterator[str]:
        digest = self._digest
        for raw in self._stream:
            self.line += 1
            if digest is not None:
                digest.update(raw)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                column = len(raw[: error.start].decode("utf-8", errors="replace")) + 1
                raise FileProblem(
                    self._source, self.line, column, "(file)", f"not UTF-8: byte 0x{raw[error.start]:02x}"
                ) from None
            if self.line == 1 and text.startswith("\ufeff"):
                text = text[1:]  # a byte-order mark, as spreadsheets write
            self.text = text
            yield text

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """(line number, fields) of each record that is not blank, from where the last call stopped."""
        reader = csv.reader(self._decoded(), strict=True)
        while True:
            before = self.line
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise FileProblem(
                    self._source, self.line, 1, "(file)", f"cannot read the line as CSV: {error}"
                ) from None
            if self.line != before + 1:  # a quoted value ran on over a line break
                raise FileProblem(
                    self._source, before + 1, 1, "(file)", "a quoted value runs over the end of its line"
                )
            if any(field.strip() for field in fields):
                yield self.line, fields


def _column(text: str, index: int) -> int:
    """The column (from 1) where field ``index`` of a CSV line starts."""
    field, quoted = 0, False
    for at, char in enumerate(text):
        if field == index:
            return at + 1
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            field += 1
    return len(text.rstrip("\r\n")) + 1


def _header(
    lines: _Lines, source: str, columns: Sequence[str], required: Sequence[str], meaning: str
) -> dict[str, int]:
    """The header's columns by name (their index), or the problem with it."""
    first = next(lines.records(), None)
    if first is None:
        raise FileProblem(
            source, 1, 1, "(file)", f"the file is empty: expected a header ({meaning}) and rows"
        )
    line, names = first
    found: dict[str, int] = {}
    for index, raw in enumerate(names):
        name = raw.strip()
        column = _column(lines.text, index)
        if name in found:
            raise FileProblem(source, line, column, "(header)", f"column {shown(name)} is named twice")
        if name not in columns:
            if index == 0 and not set(required) & {n.strip() for n in names} and _looks_like_data(name):
                raise FileProblem(
                    source,
                    line,
                    column,
                    "(header)",
                    f"missing header: the first line must name the columns ({meaning})",
                )
            close = difflib.get_close_matches(name, columns, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise FileProblem(
                source,
                line,
                column,
                "(header)",
                f"unknown column {shown(name)}{hint}; the columns are {meaning}",
            )
        found[name] = index
    for name in required:
        if name not in found:
            raise FileProblem(source, line, 1, "(header)", f"no column {name}; the columns are {meaning}")
    return found


def _looks_like_data(text: str) -> bool:
    try:
        parse_duration(text)
    except PydanticCustomError:
        return ":" in text and text.replace(":", "").replace(".", "").isdigit()
    return True


def _moment(text: str, opens_at: tuple[float, str] | None) -> float:
    """A time in a row: seconds since opening, a duration since opening, or a time of day."""
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if 0 <= seconds <= MAX_SECONDS:
            return seconds
    return point_in_time(text.strip(), opens_at)


def _whole(text: str, most: int) -> int:
    try:
        number = int(text)
    except ValueError:
        raise PydanticCustomError(
            "int_type", "expected a whole number, not {value}", {"value": shown(text)}
        ) from None
    if number < 0:
        raise PydanticCustomError("count", "must not be negative")
    if number > most:
        raise PydanticCustomError("too_many", f"must be at most {most:,}")
    return number


def _patience(text: str) -> float:
    seconds = parse_duration(text.strip())
    if seconds > MAX_SECONDS:
        raise PydanticCustomError("too_long", f"must be at most {MAX_SECONDS:.0f} seconds (about 31 years)")
    return seconds


@dataclass(frozen=True)
class TraceFile:
    """A checked trace file: where it is, what it held when checked, and how to read it again.

    ``path`` is absolute (a sweep's workers read it too); ``source`` is the path as problems
    name it. ``fixes`` are the columns besides ``t`` that it has. Two are equal when they
    hold the same rows, read the same way, wherever the file lies.
    """

    path: Path = field(compare=False)
    source: str = field(compare=False)
    rows: int
    sha256: str
    fixes: tuple[str, ...]
    reading: _Reading

    def replay(self) -> Iterator[TraceRow]:
        """The rows again, one at a time, as the run needs them (checked again as they come)."""
        with self.path.open("rb") as stream:
            yield from _trace_rows(stream, self.source, self.reading, None)


def _trace_rows(stream: BinaryIO, source: str, reading: _Reading, digest: Any | None) -> Iterator[TraceRow]:
    lines = _Lines(stream, source, digest)
    header = _header(lines, source, TRACE_COLUMNS, ("t",), "t, and optionally items, segment, patience")
    width = len(header)
    at_t = header["t"]
    at_items, at_segment, at_patience = (header.get(name) for name in TRACE_COLUMNS[1:])
    segments = {name: index for index, name in enumerate(reading.segments)}
    opens_at = reading.opens_at
    before = 0.0
    key = "t"
    for line, fields in lines.records():
        if len(fields) != width:
            _wrong_width(lines, source, line, len(fields), width)
        try:
            key = "t"
            text = fields[at_t]
            try:
                t = float(text)
                if not 0 <= t <= MAX_SECONDS:
                    raise ValueError
            except ValueError:
                if not text.strip():
                    raise PydanticCustomError("missing", "missing: every row needs its time") from None
                t = point_in_time(text.strip(), opens_at)
            if t < before:
                raise PydanticCustomError("order", "earlier than the row before")
            before = t
            items = segment = patience = None
            if at_items is not None and (text := fields[at_items].strip()):
                key = "items"
                items = _whole(text, reading.most_items)
            if at_segment is not None and (text := fields[at_segment].strip()):
                key = "segment"
                segment = segments.get(text)
                if segment is None:
                    raise _problem("segment", _unknown_segment(text, reading.segments))
            if at_patience is not None and (text := fields[at_patience].strip()):
                key = "patience"
                patience = _patience(text)
            if items is not None:
                key = "items"
                _check_room(reading, items, segment)
        except PydanticCustomError as error:
            index = {"t": at_t, "items": at_items, "segment": at_segment, "patience": at_patience}[key]
            raise FileProblem(source, line, _column(lines.text, index or 0), key, error.message()) from None
        yield TraceRow(t, items, segment, patience)


def _check_room(reading: _Reading, items: int, segment: int | None) -> None:
    """A basket the row fixes must fit some lane open to the customer's segment (any that may
    be drawn, when the row leaves the segment open)."""
    if segment is not None:
        room = reading.room[segment] if reading.room else None
        if room is not None and items > room[0]:
            name = reading.segments[segment]
            raise _problem(
                "no_room",
                f"no lane open to segment {name!r} takes {items} items ({room[1]} takes at most {room[0]})",
            )
    elif reading.room_any is not None and items > reading.room_any[0]:
        most, lane, name = reading.room_any
        raise _problem(
            "no_room",
            f"no lane open to segment {name!r} takes {items} items ({lane} takes at most {most}), "
            "and the row leaves the segment to be drawn",
        )


def _problem(kind: str, message: str) -> PydanticCustomError:
    """An error whose text is shown as it is: a user's name may hold braces, which pydantic
    would read as placeholders in a message template."""
    return PydanticCustomError(kind, "{message}", {"message": message})


def _unknown_segment(text: str, segments: Sequence[str]) -> str:
    close = difflib.get_close_matches(text, segments, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    either = ", ".join(segments[:-1]) + " or " + segments[-1] if len(segments) > 1 else "".join(segments)
    return f"unknown segment {shown(text)}{hint}; expected {either}"


def _wrong_width(lines: _Lines, source: str, line: int, count: int, width: int) -> None:
    column = _column(lines.text, width) if count > width else len(lines.text.rstrip("\r\n")) + 1
    raise FileProblem(
        source, line, column, "(row)", f"has {count} value{'s' * (count != 1)}; the header names {width}"
    )


def read_trace(
    path: Path,
    source: str,
    *,
    opens_at: tuple[float, str] | None,
    most_items: int,
    segments: Sequence[str],
    room: Sequence[tuple[int, str] | None] = (),
    shares: Sequence[float] = (),
) -> TraceFile:
    """Check every row of the trace at ``path`` (named ``source`` in problems), counting and hashing.

    ``most_items``: the most items a row may give. ``room``: for each segment, the most
    items any lane open to it takes and that lane's name (None: some lane takes any
    basket); ``shares`` the segments' shares (a row without a segment may be of any with a
    share above 0). Raises :class:`FileProblem`; an unreadable file is an ``OSError``.
    """
    limits = [
        (most[0], most[1], name)
        for most, name, share in zip(room, segments, shares, strict=False)
        if most is not None and share > 0
    ]
    reading = _Reading(opens_at, most_items, tuple(segments), tuple(room), min(limits) if limits else None)
    digest = hashlib.sha256()
    rows = 0
    with path.open("rb") as stream:
        header = stream.readline()
        stream.seek(0)
        for _ in _trace_rows(stream, source, reading, digest):
            rows += 1
    if rows == 0:
        raise FileProblem(source, 1, 1, "(file)", "has a header but no rows: nobody would arrive")
    fixes = tuple(name for name in TRACE_COLUMNS[1:] if name in _names(header))
    return TraceFile(path.resolve(), source, rows, digest.hexdigest(), fixes, reading)


def _names(header: bytes) -> set[str]:
    text = header.decode("utf-8", errors="replace").lstrip("\ufeff")
    return {name.strip() for name in next(csv.reader([text]), [])}


class ProfileRows(NamedTuple):
    """A profile read from its file: each interval's start (seconds since opening) and count."""

    starts: tuple[float, ...]
    counts: tuple[int, ...]


def read_profile(
    path: Path, source: str, *, opens_at: tuple[float, str] | None, interval: float, most: int
) -> ProfileRows:
    """Read a profile file of ``from,count`` rows: intervals of ``interval`` seconds, in order, apart.

    ``most``: the largest count an interval may have.
    """
    starts: list[float] = []
    counts: list[int] = []
    with path.open("rb") as stream:
        lines = _Lines(stream, source)
        header = _header(lines, source, PROFILE_COLUMNS, PROFILE_COLUMNS, "from, count")
        width = len(header)
        at_from, at_count = header["from"], header["count"]
        for line, fields in lines.records():
            if len(fields) != width:
                _wrong_width(lines, source, line, len(fields), width)
            if len(starts) >= MAX_PROFILE_ROWS:
                raise FileProblem(
                    source, line, 1, "(row)", f"a profile has at most {MAX_PROFILE_ROWS:,} rows"
                )
            key, index = "from", at_from
            try:
                text = fields[at_from].strip()
                if not text:
                    raise PydanticCustomError("missing", "missing: every row needs the start of its interval")
                start = _moment(text, opens_at)
                _after(starts, start, interval, opens_at)
                key, index = "count", at_count
                counts.append(_whole(fields[at_count].strip(), most))
            except PydanticCustomError as error:
                raise FileProblem(source, line, _column(lines.text, index), key, error.message()) from None
            starts.append(start)
    if not starts:
        raise FileProblem(source, 1, 1, "(file)", "has a header but no rows: nobody would arrive")
    if not any(counts):
        raise FileProblem(source, 1, 1, "(file)", "every count is 0: nobody would arrive")
    return ProfileRows(tuple(starts), tuple(counts))


def _after(starts: list[float], start: float, interval: float, opens_at: tuple[float, str] | None) -> None:
    if not starts:
        return
    if start < starts[-1]:
        raise PydanticCustomError("order", "earlier than the row before")
    end = starts[-1] + interval
    if start < end:
        until = f"{end:g}s" if opens_at is None else clock_text(opens_at[0] + end)
        raise PydanticCustomError(
            "overlap",
            f"starts before the interval before ends ({until}; each interval is {_spelled(interval)})",
        )


def _spelled(seconds: float) -> str:
    """An interval as a scenario writes it: ``1h``, ``15min``, ``90s``."""
    for unit, size in (("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"
