"""Points in time of a scenario: written since opening (``4h``) or, with ``opens_at``, as a time of day.

A store manager plans a day by the clock: doors at 08:00, the peak until 12:00, closing at
20:00. Inside checkout-sim every moment is seconds since opening (the log's ``t``), so a
time of day means something only once the scenario says when the shop opens. Every key
that names a moment (a schedule phase's ``until``, ``closes_at``, and the rows of trace
and profile files) takes one of the types here, so they all read ``"12:00"`` the same way
and say the same thing when it cannot be read. Durations (``duration``, ``every``, a
patience) are not moments and keep their own type: ``1:30`` stays an error there.

Models are validated depth first, while ``opens_at`` sits at the top of the scenario; the
scenario's validator reads it first and lends it to the keys inside through
:func:`opening` (a context variable, so nothing about it is global).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Annotated, Any, Final

from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from .base import shown
from .units import (
    DURATION_PATTERN,
    MAX_SECONDS,
    _bounded_duration,
    _parse_positive_duration,
    parse_clock_time,
)

__all__ = [
    "BEFORE_OPENING",
    "CLOCK_PATTERN",
    "NEEDS_OPENING",
    "NOT_AFTER_OPENING",
    "OPENING_ERRORS",
    "UNREADABLE_OPENING",
    "ClockTime",
    "PointInTime",
    "PositivePointInTime",
    "clock_text",
    "elapsed_text",
    "opening",
    "point_in_time",
]

#: The error types of a time of day that ``opens_at`` decides: a flag that sets ``opens_at``
#: is to blame for them, and they are not shown again while ``opens_at`` itself is wrong.
NEEDS_OPENING: Final = "needs_opens_at"
BEFORE_OPENING: Final = "before_opening"
NOT_AFTER_OPENING: Final = "not_after_opening"
OPENING_ERRORS: Final = frozenset({NEEDS_OPENING, BEFORE_OPENING, NOT_AFTER_OPENING})
#: The error type of a time of day while ``opens_at`` cannot be read: the loader shows
#: ``opens_at``'s problem alone (these moments, and the rules about them, wait for it).
UNREADABLE_OPENING: Final = "opens_at_unreadable"

CLOCK_PATTERN = r"^\s*\d{1,2}:\d{2}(?::\d{2}(?:\.\d*)?)?\s*$"


class _Unreadable:
    """``opens_at`` was given but cannot be read: its own problem is reported, not every time of day's."""


_UNREADABLE: Final = _Unreadable()
#: The opening time (seconds since midnight) and its text, while a scenario is validated; None
#: when the scenario gives none.
_OPENING: ContextVar[tuple[float, str] | _Unreadable | None] = ContextVar("opening", default=None)


@contextlib.contextmanager
def opening(value: Any) -> Iterator[None]:
    """While the block runs, times of day are read against ``value``, the scenario's ``opens_at``.

    None (or a missing key) means the scenario gives no opening time: a time of day is then
    an error that says to add one.
    """
    state: tuple[float, str] | _Unreadable | None = None
    if value is not None:
        try:
            state = (_opening_seconds(value), str(value))
        except PydanticCustomError:
            state = _UNREADABLE
    token = _OPENING.set(state)
    try:
        yield
    finally:
        _OPENING.reset(token)


def _opening_seconds(value: Any) -> float:
    seconds = parse_clock_time(value)
    if seconds >= 86400:
        raise PydanticCustomError("clock_time", "the shop cannot open at the end of the day (24:00)")
    return seconds


def _clock_time(value: Any) -> str:
    """``opens_at`` as written (``"08:00"``), once it reads as a time of day before 24:00."""
    _opening_seconds(value)
    assert isinstance(value, str)
    return value


def point_in_time(value: Any, opens_at: tuple[float, str] | None, *, after_opening: bool = False) -> float:
    """Seconds since opening of a moment written as a duration since opening or as a time of day.

    ``opens_at`` is the opening time (seconds since midnight) and its text, or None when the
    scenario gives none. ``after_opening``: the moment must come after opening (a closing
    time, the end of a phase), not at it.
    """
    if not (isinstance(value, str) and ":" in value):
        return _parse_positive_duration(value) if after_opening else _bounded_duration(value)
    clock = parse_clock_time(value)
    if opens_at is None:
        raise PydanticCustomError(
            NEEDS_OPENING,
            '{value} is a time of day, which needs opens_at (e.g. opens_at: "08:00"); '
            "or write the time since opening, e.g. 4h",
            {"value": shown(value)},
        )
    start, text = opens_at
    seconds = clock - start
    if after_opening and seconds <= 0:
        raise PydanticCustomError(
            NOT_AFTER_OPENING,
            "{value} must be after opens_at ({opens})",
            {"value": shown(value), "opens": text},
        )
    if seconds < 0:
        raise PydanticCustomError(
            BEFORE_OPENING, "{value} is before opens_at ({opens})", {"value": shown(value), "opens": text}
        )
    return seconds


def _in_scenario(after_opening: bool) -> Any:
    def parse(value: Any) -> float:
        state = _OPENING.get()
        if isinstance(state, _Unreadable):
            if isinstance(value, str) and ":" in value:
                parse_clock_time(value)  # a time of day that cannot be read is its own problem
                raise PydanticCustomError(UNREADABLE_OPENING, "cannot be read until opens_at can")
            state = None
        return point_in_time(value, state, after_opening=after_opening)

    return parse


_POINT_DESCRIPTION = (
    "Seconds since opening, a duration since opening (4h, 1h30m), or, with opens_at, a time of day "
    '("12:00", "12:30:15").'
)
_POINT_SCHEMA = {
    "anyOf": [
        {"type": "number", "minimum": 0, "maximum": int(MAX_SECONDS)},
        {"type": "string", "pattern": DURATION_PATTERN},
        {"type": "string", "pattern": CLOCK_PATTERN},
    ],
    "description": _POINT_DESCRIPTION,
}
_POSITIVE_POINT_SCHEMA = {
    "anyOf": [
        {"type": "number", "exclusiveMinimum": 0, "maximum": int(MAX_SECONDS)},
        {"type": "string", "pattern": DURATION_PATTERN},
        {"type": "string", "pattern": CLOCK_PATTERN},
    ],
    "description": _POINT_DESCRIPTION + " After opening.",
}

#: A moment of the day, in seconds since opening (opening itself allowed).
PointInTime = Annotated[float, BeforeValidator(_in_scenario(False)), WithJsonSchema(_POINT_SCHEMA)]
#: A moment after opening, in seconds since opening (``closes_at``, a phase's ``until``).
PositivePointInTime = Annotated[
    float, BeforeValidator(_in_scenario(True)), WithJsonSchema(_POSITIVE_POINT_SCHEMA)
]
#: ``opens_at``: a time of day before 24:00, kept as written (it is logged so).
ClockTime = Annotated[
    str,
    BeforeValidator(_clock_time),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": CLOCK_PATTERN,
            "description": 'A time of day, HH:MM or HH:MM:SS ("08:00").',
        }
    ),
]


def clock_text(seconds: float) -> str:
    """A time of day from seconds since midnight: ``08:00``, ``20:14:37``; the next day ``01:10+1d``.

    Whole minutes show as HH:MM, other moments to the second (rounded).
    """
    days, rest = divmod(round(seconds), 86400)
    return elapsed_text(rest) + (f"+{days}d" if days else "")


def elapsed_text(seconds: float) -> str:
    """A time since opening written as a clock reads: ``02:30``, ``26:00``, ``00:04:27``.

    Whole minutes show as HH:MM, other moments to the second (rounded); the hours run on
    past 24 (a shop with no opening time has no days to wrap into).
    """
    hours, rest = divmod(round(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")
