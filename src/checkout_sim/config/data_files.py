"""The data files a scenario names, read once the scenario itself is valid.

A trace's rows are checked against the scenario (its opening time, its segments, the
lanes open to each), so its file is read after the scenario validates, by the arrival
pattern's reader in :data:`READERS`. Problems inside a file are placed in it
(:class:`~.arrival_files.FileProblem`); a file that cannot be opened is a problem of the
scenario key that names it (:class:`AtKey`), as the loader shows any other.
"""

from __future__ import annotations

import difflib
import functools
import itertools
import os
from collections.abc import Callable
from pathlib import Path

from .arrival_files import ProfileRows, TraceFile, read_profile, read_trace
from .scenario import MAX_CUSTOMERS, MAX_ITEMS, ProfileArrivals, Scenario, TraceArrivals

__all__ = ["READERS", "AtKey", "nearest_name", "read_files", "unreadable"]

#: How many names of a folder are compared with a missing file's name.
_NAMES_COMPARED = 10_000


class AtKey(Exception):
    """A problem of the scenario key (dotted) that names a data file: it cannot be read."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key, self.message = key, message


def read_files(scenario: Scenario, base: Path) -> None:
    """Read the files the scenario's arrivals name (paths relative to ``base``, the scenario's folder).

    Raises :class:`~.arrival_files.FileProblem` or :class:`AtKey`.
    """
    reader = READERS.get(scenario.arrivals.pattern)
    if reader is not None:
        reader(scenario, base)


def _opening(scenario: Scenario) -> tuple[float, str] | None:
    start = scenario.opening_seconds()
    return None if start is None or scenario.opens_at is None else (start, scenario.opens_at)


def _trace(scenario: Scenario, base: Path) -> None:
    arrivals = scenario.arrivals
    assert isinstance(arrivals, TraceArrivals)
    path = base / arrivals.file
    try:
        stat = path.stat()
        trace = _read_trace(
            path.resolve(),
            source=str(path),
            version=(stat.st_ino, stat.st_mtime_ns, stat.st_size),
            opens_at=_opening(scenario),
            segments=tuple(segment.name for segment in scenario.segments),
            room=tuple(scenario.roomiest()),
            shares=tuple(segment.share for segment in scenario.segments),
        )
    except OSError as error:
        raise AtKey("arrivals.file", unreadable(path, arrivals.file, error)) from None
    arrivals.read(trace)


@functools.lru_cache(maxsize=8)
def _read_trace(
    path: Path,
    *,
    source: str,
    version: tuple[int, int, int],
    opens_at: tuple[float, str] | None,
    segments: tuple[str, ...],
    room: tuple[tuple[int, str] | None, ...],
    shares: tuple[float, ...],
) -> TraceFile:
    """A trace checked once for the same file (by its inode, time and size) and scenario.

    A sweep validates every variant, each naming the same trace: one reading serves them all.
    """
    return read_trace(
        path, source, opens_at=opens_at, most_items=MAX_ITEMS, segments=segments, room=room, shares=shares
    )


def _profile(scenario: Scenario, base: Path) -> None:
    arrivals = scenario.arrivals
    assert isinstance(arrivals, ProfileArrivals)
    if arrivals.file is None:
        return  # counts in the scenario
    path = base / arrivals.file
    try:
        rows: ProfileRows = read_profile(
            path, str(path), opens_at=_opening(scenario), interval=arrivals.interval, most=MAX_CUSTOMERS
        )
    except OSError as error:
        raise AtKey("arrivals.file", unreadable(path, arrivals.file, error)) from None
    if sum(rows.counts) > MAX_CUSTOMERS:
        most = f"{MAX_CUSTOMERS:.0e}"
        raise AtKey("arrivals.file", f"the counts add up to more than {most} customers, the most a run takes")
    arrivals.read(rows)


#: How each arrival pattern that names a file reads it, by ``pattern``.
READERS: dict[str, Callable[[Scenario, Path], None]] = {"trace": _trace, "profile": _profile}


def unreadable(path: Path, written: str, error: OSError) -> str:
    """Why a data file cannot be read, in one line; for a missing one, the nearest name.

    ``path`` is where it was looked for, ``written`` the name as the scenario gives it
    (relative to the scenario's folder), which a hint repeats in kind.
    """
    if isinstance(error, FileNotFoundError):
        where = "" if Path(written).is_absolute() else " (paths are relative to the scenario's folder)"
        hint = nearest_name(path, Path(written).parent)
        return f"no such file{hint or where}"
    if isinstance(error, IsADirectoryError):
        return "is a directory, not a data file"
    if isinstance(error, PermissionError):
        return "permission denied"
    reason = error.strerror or str(error)
    return reason[:1].lower() + reason[1:]


def nearest_name(path: Path, shown: Path | None = None) -> str:
    """`` (did you mean 'scenarios/black_friday.yaml'?)`` when the folder has a close name.

    The name is shown in ``shown`` (a folder as the user wrote it), else in the folder of ``path``.
    """
    try:
        with os.scandir(path.parent) as entries:
            names = [entry.name for entry in itertools.islice(entries, _NAMES_COMPARED)]
    except OSError:
        return ""
    close = difflib.get_close_matches(path.name, names, n=1, cutoff=0.75)
    folder = path.parent if shown is None else shown
    return f" (did you mean {str(folder / close[0])!r}?)" if close else ""
